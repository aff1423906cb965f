package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
)

// timedRun is a deterministic run of 30 s at 40/s (1200 records) with every
// part a report shows: latency that climbs and falls over time, 200s, rate
// limits in two messages, server errors in two dialects, refused
// connections and timeouts at varying times, a rejected key, a contract
// with violations and the run's metadata. Tests of every format share it.
func timedRun(t testing.TB) analyze.Run {
	t.Helper()
	c := fixtureClassifier(t, classify.Options{})
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := analyze.NewSummaryFor(c.Classes())
	const n = 1200
	for i := range n {
		sec := i / 40
		resp := response{status: 200, ctype: "application/json"}
		switch {
		case sec >= 10 && sec < 20 && i%4 == 1:
			resp.status, resp.body = 429, rateLimit60
		case sec >= 10 && sec < 20 && i%4 == 3:
			resp.status, resp.body = 429, rateLimit30
		case i%97 == 5:
			resp.status, resp.kind, resp.ctype = 0, records.ErrRefused, ""
		case i%150 == 7:
			resp.status, resp.body = 500, internal
		case i%333 == 9:
			resp.status, resp.ctype, resp.body = 503, "text/plain", envoy503
		case i%400 == 11:
			resp.status, resp.kind, resp.ctype = 0, records.ErrTimeout, ""
		case i == 600:
			resp.status, resp.body = 401, badKey
		}
		// Latency climbs for 15 s and falls back: 2 ms + 0.5 ms per
		// second from the middle, plus a spread within each second.
		mid := 15 - sec
		if mid < 0 {
			mid = -mid
		}
		latency := time.Duration(2000+500*(15-mid)+37*(i%40)) * time.Microsecond
		if resp.kind == records.ErrTimeout {
			latency = 5 * time.Second
		}
		r := records.Record{
			Seq: uint64(i), Scheduled: t0.Add(time.Duration(i) * 25 * time.Millisecond),
			Sent: time.Duration(i%7) * 50 * time.Microsecond, Latency: latency,
			Status: resp.status, ErrorKind: resp.kind, BytesIn: uint64(len(resp.body)), BytesOut: 64,
			Attempt: 1, RequestID: uint64(i + 1),
		}
		addClassified(c, s, &r, resp)
	}
	return analyze.Run{
		Summary: s, Target: "GET http://127.0.0.1:8080/v1/items?api_key=REDACTED", Pacer: "constant 40/s",
		Planned: 30 * time.Second, ResultFile: "timed.bin", Records: n,
		Truncated: c.Truncated(), BodyLimit: c.BodyLimit(), MaxLateness: time.Second,
		Contract: fixedContract().Report(),
		Command:  []string{"stampede", "attack", "--rate", "40/s", "--duration", "30s", "-H", "Authorization: [REDACTED]", "http://127.0.0.1:8080/v1/items?api_key=REDACTED"},
		Start:    t0, Tool: "stampede test", RunID: "run-0001", Shards: []string{"shard-a"}, Sources: []string{"timed.bin"},
	}
}

// TestTimedRunFixture checks the fixture itself, so that format tests can
// trust it: every kind of class is there and the timeline spans 30 s.
func TestTimedRunFixture(t *testing.T) {
	run := timedRun(t)
	if run.Summary.Requests != 1200 || len(run.Summary.ClassStats()) != 7 {
		t.Fatalf("%d requests in %d classes; want 1200 in 7", run.Summary.Requests, len(run.Summary.ClassStats()))
	}
	seconds := run.Summary.Timeline.AtLeast(time.Second)
	points := seconds.Points()
	if len(points) != 30 || seconds.Step() != time.Second {
		t.Fatalf("%d points of %v; want 30 of 1s", len(points), seconds.Step())
	}
	if points[15].P50 <= points[0].P50 || points[29].P50 >= points[15].P50 {
		t.Errorf("latency does not climb and fall: p50 %v, %v, %v", points[0].P50, points[15].P50, points[29].P50)
	}
	if v := run.Verdict(); v.Pass {
		t.Errorf("verdict passes; the fixture's contract has violations")
	}
}

// TestTextNoTerminalEscapes: strings from a result file (shard, signal,
// target, notes, rule names) reach the terminal without their control
// characters.
func TestTextNoTerminalEscapes(t *testing.T) {
	run := timedRun(t)
	run.Target = "GET http://x/\x1b]0;pwned\x07"
	run.Shards = []string{"s\x1b[2J"}
	run.Interrupted = "\x1b[31mSIGINT"
	run.Notes = []string{"note\x1b[1A\r"}
	run.Contract.Rules[0].Name = "rule\x1b[5m"
	run.Contract.Forms = map[string]uint64{"form\x07": 1}
	var b bytes.Buffer
	if err := Text(&b, run, Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07\r") {
		t.Errorf("the text report holds control characters:\n%q", b.String())
	}
}

// TestJUnitHostileWarning: a warning's evidence from a crafted file stays
// valid XML.
func TestJUnitHostileWarning(t *testing.T) {
	run := timedRun(t)
	crafted := 0
	for i := range run.Contract.Rules {
		r := &run.Contract.Rules[i]
		if r.Severity == contract.SeverityWarning && r.Violations > 0 {
			r.Title, r.Examples[0].Detail = "crafted\x02", "detail\x00\x1b"
			crafted++
		}
	}
	if crafted == 0 {
		t.Fatal("the fixture has no violated warning to craft")
	}
	var b bytes.Buffer
	if err := JUnit(&b, run); err != nil {
		t.Fatal(err)
	}
	var v struct{}
	if err := xml.Unmarshal(b.Bytes(), &v); err != nil || strings.ContainsAny(b.String(), "\x00\x02\x1b") {
		t.Errorf("JUnit with a crafted warning: %v", err)
	}
}
