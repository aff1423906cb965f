package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/internal/golden"
	"github.com/stampede-dev/stampede/probe"
	"github.com/stampede-dev/stampede/ratelimit"
	"github.com/stampede-dev/stampede/records/probefile"
)

const probeTarget = "POST http://127.0.0.1:8080/mira/v1/chat/completions?api_key=REDACTED"

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

// probeFixture is a probe whose rounds disagree: an honest date, a wait
// within the header's resolution, and a Retry-After: 0 still rejected at
// the end of its polls.
func probeFixture() ProbeReport {
	const s = time.Second
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	return ProbeReport{Target: probeTarget, Result: probe.Result{
		Bounds:   probe.DefaultBounds(),
		Verdict:  probe.Inconsistent,
		Requests: 23,
		Elapsed:  ms(14_320),
		Rounds: []probe.Round{
			{
				TriggerRate: 8, RampRequests: 11, RetryAfter: "Sat, 01 Jan 2000 00:00:03 GMT", Form: ratelimit.RetryAfterIMFDate,
				Advertised: 3 * s, Halfway: no(), Deadline: yes(), Recovered: true, RealWait: ms(3250), RejectedUntil: ms(1500),
				Verdict: probe.Honest,
				Exchanges: []probe.Exchange{
					{Kind: probe.KindTrigger, Status: 429, RetryAfter: "Sat, 01 Jan 2000 00:00:03 GMT"},
					{Kind: probe.KindHalfway, At: ms(1500), Status: 429, RetryAfter: "Sat, 01 Jan 2000 00:00:03 GMT"},
					{Kind: probe.KindDeadline, At: ms(3250), Status: 200},
				},
			},
			{
				TriggerRate: 2, RampRequests: 1, RetryAfter: "1", Form: ratelimit.RetryAfterSeconds,
				Advertised: s, Halfway: yes(), Recovered: true, RealWait: ms(500), Verdict: probe.Honest,
				Exchanges: []probe.Exchange{
					{Kind: probe.KindTrigger, Status: 429, RetryAfter: "1"},
					{Kind: probe.KindHalfway, At: ms(500), Status: 200},
				},
			},
			{
				TriggerRate: 2, RampRequests: 2, RetryAfter: "0", Form: ratelimit.RetryAfterSeconds,
				Deadline: no(), RejectedUntil: 4 * s, Polls: 4, Verdict: probe.Understated,
				Exchanges: []probe.Exchange{
					{Kind: probe.KindTrigger, Status: 429, RetryAfter: "0"},
					{Kind: probe.KindDeadline, At: ms(1), Status: 429, RetryAfter: "0"},
					{Kind: probe.KindPoll, At: ms(250), Status: 429, RetryAfter: "0"},
					{Kind: probe.KindPoll, At: ms(750), Status: 429, RetryAfter: "0"},
					{Kind: probe.KindPoll, At: ms(1750), Status: 429, RetryAfter: "0"},
					{Kind: probe.KindPoll, At: 4 * s, Status: 429, RetryAfter: "0"},
				},
			},
		},
	}}
}

// missingFixture is a limiter without Retry-After whose probe the request
// bound cut short in round 2.
func missingFixture() ProbeReport {
	b := probe.DefaultBounds()
	b.MaxRequests = 6
	return ProbeReport{Target: probeTarget, Result: probe.Result{
		Bounds: b, Verdict: probe.NoRetryAfter, Requests: 6, Stopped: probe.StopMaxRequests, Elapsed: 3500 * time.Millisecond,
		Rounds: []probe.Round{
			{
				TriggerRate: 2, RampRequests: 2, Form: ratelimit.RetryAfterAbsent, Recovered: true, RealWait: 3 * time.Second,
				RejectedUntil: time.Second, Polls: 2, Verdict: probe.NoRetryAfter,
				Exchanges: []probe.Exchange{
					{Kind: probe.KindTrigger, Status: 429},
					{Kind: probe.KindBackoff, At: time.Second, Status: 429},
					{Kind: probe.KindBackoff, At: 3 * time.Second, Status: 200},
				},
			},
			{
				TriggerRate: 2, RampRequests: 1, Form: ratelimit.RetryAfterAbsent, Verdict: probe.NoRetryAfter,
				Exchanges: []probe.Exchange{{Kind: probe.KindTrigger, Status: 429}},
			},
		},
	}}
}

// noLimitFixture is a target the ramp never got a 429 from.
func noLimitFixture() ProbeReport {
	return ProbeReport{Target: probeTarget, Result: probe.Result{
		Bounds: probe.DefaultBounds(), Verdict: probe.NoLimit, Requests: 2022, Elapsed: 10 * time.Second,
		GaveUp: "no 429 up to 1000/s (a whole 1s step at the top rate)",
	}}
}

func probeText(t *testing.T, rep ProbeReport) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := ProbeText(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestProbeText(t *testing.T) {
	got := probeText(t, probeFixture())
	golden.Check(t, "txt", got)
	for _, want := range []string{
		"Verdict   inconsistent: the rounds disagree: round 1 honest, round 2 honest, round 3 understated",
		"0.00–0.50", "> 4.00", "Requests  23 of at most 10000",
	} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestProbeTextNoRetryAfter(t *testing.T) {
	got := probeText(t, missingFixture())
	golden.Check(t, "txt", got)
	if want := "Stopped   by the bound of 6 requests, after 2 of 3 rounds"; !bytes.Contains(got, []byte(want)) {
		t.Errorf("report lacks %q", want)
	}
}

func TestProbeTextNoLimit(t *testing.T) {
	got := probeText(t, noLimitFixture())
	golden.Check(t, "txt", got)
	if want := "Verdict   no_limit: no 429 up to 1000/s (a whole 1s step at the top rate): nothing to verify"; !bytes.Contains(got, []byte(want)) {
		t.Errorf("report lacks %q", want)
	}
}

func TestProbeJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := ProbeJSON(&buf, probeFixture()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "json", buf.Bytes())

	var doc probefile.Report
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.Schema != probefile.Schema || doc.Verdict != "inconsistent" || doc.Probe.Verdict != doc.Verdict || len(doc.Probe.Rounds) != 3 {
		t.Errorf("schema %q, verdict %q/%q, %d rounds; want %q, inconsistent twice, 3", doc.Schema, doc.Verdict, doc.Probe.Verdict, len(doc.Probe.Rounds), probefile.Schema)
	}
	r := doc.Probe.Rounds[2]
	if r.RealWaitS != nil || r.AdvertisedS == nil || *r.AdvertisedS != 0 || r.HalfwayAdmitted != nil || r.DeadlineAdmitted == nil || *r.DeadlineAdmitted {
		t.Errorf("round 3 = %+v; want real_wait_s null, advertised_s 0, halfway_admitted null, deadline_admitted false", r)
	}
	// Unknowns are null, not absent: every key is always there.
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	round := raw["probe"].(map[string]any)["rounds"].([]any)[2].(map[string]any)
	for _, key := range []string{"trigger_rate_per_s", "retry_after", "form", "advertised_s", "halfway_admitted", "deadline_admitted", "real_wait_s", "polls", "exchanges"} {
		if _, ok := round[key]; !ok {
			t.Errorf("round lacks key %q", key)
		}
	}

	// A probe without rounds has an empty list, not null.
	buf.Reset()
	if err := ProbeJSON(&buf, noLimitFixture()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"rounds": []`) || !strings.Contains(buf.String(), `"verdict": "no_limit"`) {
		t.Errorf("no-limit report:\n%s\nwant \"rounds\": [] and verdict no_limit", buf.String())
	}
}

// TestProbeTextNoAnswer: a round whose deadline request got no limiter
// answer (503s, then a transport failure) has no verdict, and says why.
func TestProbeTextNoAnswer(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	why := "the deadline request got no limiter answer in 4 tries (503, 503, 503, failed)"
	rep := ProbeReport{Target: probeTarget, Result: probe.Result{
		Bounds: probe.DefaultBounds(), Verdict: probe.Inconclusive, Requests: 7, Failures: 1, Elapsed: ms(2_750),
		Rounds: []probe.Round{{
			TriggerRate: 2, RampRequests: 2, RetryAfter: "1", Form: ratelimit.RetryAfterSeconds, Advertised: time.Second,
			Halfway: no(), RejectedUntil: ms(500), NoAnswer: why,
			Exchanges: []probe.Exchange{
				{Kind: probe.KindTrigger, Status: 429, RetryAfter: "1"},
				{Kind: probe.KindHalfway, At: ms(500), Status: 429, RetryAfter: "1"},
				{Kind: probe.KindDeadline, At: ms(1250), Status: 503},
				{Kind: probe.KindDeadline, At: ms(1500), Status: 503},
				{Kind: probe.KindDeadline, At: ms(1750), Status: 503},
				{Kind: probe.KindDeadline, At: ms(2000), Error: "request failed: timeout"},
			},
		}},
	}}
	got := probeText(t, rep)
	golden.Check(t, "txt", got)
	// The deadline request was sent, four times: its column says so.
	if cells := probeRow(got, "1"); len(cells) < 7 || cells[6] != "no answer" {
		t.Errorf("At T+margin of round 1 = %q; want no answer", cells)
	}
	for _, want := range []string{"no answer", "2.00 failed", "Verdict   inconclusive: no round reached a verdict: round 1: " + why} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	var buf bytes.Buffer
	if err := ProbeJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"no_answer": "`+why+`"`)) || !bytes.Contains(buf.Bytes(), []byte(`"error": "request failed: timeout"`)) {
		t.Errorf("JSON lacks no_answer or error:\n%s", buf.Bytes())
	}
}

// probeRow returns the trimmed cells of the rounds table's row of round n.
func probeRow(text []byte, n string) []string {
	for line := range strings.SplitSeq(string(text), "\n") {
		cells := strings.Split(line, "│")
		if len(cells) < 3 {
			continue
		}
		cells = cells[1 : len(cells)-1]
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == n {
			return cells
		}
	}
	return nil
}
