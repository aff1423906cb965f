package gradeclient

import (
	"strings"
	"testing"
	"time"
)

// t0 is the synthetic clock's start: the middle of a second, so that an
// HTTP-date's whole second matters.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 400*int(time.Millisecond), time.UTC)

// at is an answer in a synthetic exchange: its status and Retry-After,
// and the gap before the next attempt.
type at struct {
	status int
	ra     RetryAfter
	gap    time.Duration // before the next attempt
}

// exchange builds an exchange from answers: each answer takes 10 ms, the
// next attempt arrives gap after it ended.
func exchange(c ClientResult, answers ...at) Exchange {
	var ex Exchange
	now := t0
	for _, a := range answers {
		att := Attempt{Arrived: now, Ended: now.Add(10 * time.Millisecond), Status: a.status, RetryAfter: a.ra.Form}
		switch a.ra.Form {
		case RetryAfterSeconds:
			att.Wait, att.Header = a.ra.Wait, a.ra.String()
		case RetryAfterDate:
			att.NotBefore = att.Ended.Add(a.ra.Wait).Truncate(time.Second)
			att.Header = a.ra.Value(att.Ended)
		case RetryAfterInvalid:
			att.Header = a.ra.Raw
		}
		ex.Attempts = append(ex.Attempts, att)
		now = att.Ended.Add(a.gap)
	}
	ex.Client = c
	return ex
}

var (
	ok0   = ClientResult{ExitCode: 0, Elapsed: time.Second}
	exit1 = ClientResult{ExitCode: 1, Elapsed: time.Second}
	ms    = time.Millisecond
	sec   = time.Second
	ra3   = RetryAfter{Form: RetryAfterSeconds, Wait: 3 * sec}
	date3 = RetryAfter{Form: RetryAfterDate, Wait: 3 * sec}
	soon  = RetryAfter{Form: RetryAfterInvalid, Raw: "soon"}
)

// TestRules judges each rule on synthetic arrivals: every rule has cases
// it must pass and cases it must fail (or warn).
func TestRules(t *testing.T) {
	cases := []struct {
		name    string
		rule    RuleID
		ex      Exchange
		want    Outcome
		observe string // a part of the observation
	}{
		{"seconds: waited 3 s", WaitsSeconds, exchange(ok0, at{429, ra3, 3 * sec}, at{status: 200}), Pass, "waited 3.00 s"},
		{"seconds: within the tolerance", WaitsSeconds, exchange(ok0, at{429, ra3, 3*sec - 40*ms}, at{status: 200}), Pass, "waited 2.96 s"},
		{"seconds: beyond the tolerance", WaitsSeconds, exchange(ok0, at{429, ra3, 3*sec - 60*ms}, at{status: 200}), Fail, "waited 2.94 s"},
		{"seconds: at once", WaitsSeconds, exchange(ok0, at{429, ra3, 2 * ms}, at{status: 200}), Fail, "waited 0.00 s"},
		{"seconds: did not retry", WaitsSeconds, exchange(exit1, at{429, ra3, 0}), Pass, "did not retry (1 attempt, exit 1)"},
		{"seconds: the second of two too soon", WaitsSeconds, exchange(ok0, at{429, ra3, 3 * sec}, at{429, ra3, sec}, at{status: 200}), Fail, "waited 3.00 s, 1.00 s"},

		// The answer ends at 12:00:00.410; date+3s names 12:00:03, 2.59 s later.
		{"date: until the named second", WaitsDate, exchange(ok0, at{429, date3, 2590 * ms}, at{status: 200}), Pass, "waited 2.59 s"},
		{"date: 50 ms early is allowed", WaitsDate, exchange(ok0, at{429, date3, 2545 * ms}, at{status: 200}), Pass, "waited 2.54 s"},
		{"date: 60 ms early", WaitsDate, exchange(ok0, at{429, date3, 2530 * ms}, at{status: 200}), Fail, "waited 2.53 s"},
		{"date: at once", WaitsDate, exchange(ok0, at{429, date3, 5 * ms}, at{status: 200}), Fail, "waited 0.01 s"},
		{"date: crashed, no retry", WaitsDate, exchange(exit1, at{429, date3, 0}), Pass, "did not retry"},

		{"400: no retry", NoRetryNonRetryable, exchange(exit1, at{400, RetryAfter{}, 0}), Pass, "no retry (1 attempt, exit 1)"},
		{"400: retried", NoRetryNonRetryable, exchange(ok0, at{400, RetryAfter{}, sec}, at{status: 200}), Fail, "retried the 400 after 1.00 s"},
		{"404: retried", NoRetryNonRetryable, exchange(ok0, at{404, RetryAfter{}, 0}, at{status: 200}), Fail, "retried the 404"},

		{"bounded: gave up", Bounded, exchange(exit1, at{429, ra3, sec}, at{429, ra3, 0}), Pass, "gave up after 2 attempts"},
		{"bounded: timeout", Bounded, exchange(ClientResult{ExitCode: -1, Stopped: StopTimeout, Elapsed: 30 * sec}, at{429, ra3, sec}, at{429, ra3, 0}), Fail, "killed at the timeout"},
		{"bounded: too many", Bounded, exchange(ClientResult{ExitCode: -1, Stopped: StopTooMany}, at{429, ra3, 0}), Fail, "more than 20 attempts"},

		{"succeeds: 200 and exit 0", Succeeds, exchange(ok0, at{503, RetryAfter{}, sec}, at{status: 200}), Pass, "got 200 at attempt 2, exit 0"},
		{"succeeds: 200 then exit 1", Succeeds, exchange(exit1, at{503, RetryAfter{}, sec}, at{status: 200}), Fail, "then exit 1"},
		{"succeeds: gave up first", Succeeds, exchange(exit1, at{503, RetryAfter{}, 0}), Fail, "never reached the recovery: 1 attempt, exit 1"},
		{"succeeds: exit 0 without retrying", Succeeds, exchange(ok0, at{429, ra3, 0}), Fail, "never reached the recovery"},
		{"succeeds: no request", Succeeds, exchange(exit1), Fail, "made no request"},

		{"grows: 1, 2, 4", BackoffGrows, exchange(ok0, at{503, RetryAfter{}, sec}, at{503, RetryAfter{}, 2 * sec}, at{503, RetryAfter{}, 4 * sec}, at{status: 200}), Pass, "grew: 1.00 s, 2.00 s, 4.00 s"},
		{"grows: a first retry at once left out", BackoffGrows, exchange(ok0, at{503, RetryAfter{}, 0}, at{503, RetryAfter{}, sec}, at{503, RetryAfter{}, 2 * sec}, at{status: 200}), Pass, "left out"},
		{"grows: constant", BackoffGrows, exchange(ok0, at{503, RetryAfter{}, sec}, at{503, RetryAfter{}, sec}, at{503, RetryAfter{}, sec}, at{status: 200}), Warn, "did not grow"},
		{"grows: shrinks", BackoffGrows, exchange(ok0, at{503, RetryAfter{}, 2 * sec}, at{503, RetryAfter{}, sec}, at{503, RetryAfter{}, 3 * sec}, at{status: 200}), Warn, "did not grow"},
		{"grows: at once", BackoffGrows, exchange(ok0, at{503, RetryAfter{}, ms}, at{503, RetryAfter{}, ms}, at{503, RetryAfter{}, ms}, at{status: 200}), Warn, "did not grow"},
		{"grows: no retry", BackoffGrows, exchange(exit1, at{503, RetryAfter{}, 0}), Skip, "not exercised"},

		{"invalid: backed off", InvalidFallback, exchange(ok0, at{429, soon, sec}, at{status: 200}), Pass, "waited 1.00 s"},
		{"invalid: at once", InvalidFallback, exchange(ok0, at{429, soon, 3 * ms}, at{status: 200}), Warn, "retried at once"},
		{"invalid: crashed", InvalidFallback, exchange(exit1, at{429, soon, 0}), Warn, "crashed without retrying: exit 1"},
		{"invalid: gave up", InvalidFallback, exchange(ok0, at{429, soon, 0}), Warn, "gave up without retrying"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Grade(Scenario{Name: "s", Rules: []RuleID{c.rule}}, []Exchange{c.ex})
			if len(v) != 1 {
				t.Fatalf("Grade gave %d verdicts; want 1", len(v))
			}
			if v[0].Outcome != c.want || !strings.Contains(v[0].Observed, c.observe) {
				t.Errorf("%s = %s (%q); want %s (%q)", c.rule, v[0].Outcome, v[0].Observed, c.want, c.observe)
			}
		})
	}
}

// TestJitter judges jitter across runs.
func TestJitter(t *testing.T) {
	backoff := func(gaps ...time.Duration) Exchange {
		var as []at
		for _, g := range gaps {
			as = append(as, at{503, RetryAfter{}, g})
		}
		return exchange(ok0, append(as, at{status: 200})...)
	}
	cases := []struct {
		name string
		runs []Exchange
		want Outcome
	}{
		{"one run", []Exchange{backoff(sec, 2*sec)}, Skip},
		{"two runs", []Exchange{backoff(sec, 2*sec), backoff(1300*ms, 2*sec)}, Skip},
		{"equal", []Exchange{backoff(sec, 2*sec), backoff(sec+5*ms, 2*sec+3*ms), backoff(sec+2*ms, 2*sec)}, Warn},
		{"at once", []Exchange{backoff(ms, ms), backoff(2*ms, ms), backoff(ms, 3*ms)}, Warn},
		{"spread below a tenth", []Exchange{backoff(4 * sec), backoff(4*sec + 60*ms), backoff(4*sec + 300*ms)}, Warn},
		{"jittered", []Exchange{backoff(sec, 2*sec), backoff(1400*ms, 2*sec), backoff(1200*ms, 2*sec)}, Pass},
		{"second wait jittered", []Exchange{backoff(sec, 2*sec), backoff(sec, 2600*ms), backoff(sec, 2300*ms)}, Pass},
		{"a run without a wait", []Exchange{backoff(sec), backoff(1400 * ms), exchange(exit1, at{503, RetryAfter{}, 0})}, Skip},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Grade(Scenario{Name: "s", Rules: []RuleID{Jitter}}, c.runs)
			if v[0].Outcome != c.want {
				t.Errorf("jitter = %s (%s); want %s", v[0].Outcome, v[0].Observed, c.want)
			}
		})
	}
}

// TestWorstRunDecides checks that a per-run rule's verdict is its worst
// run's, named.
func TestWorstRunDecides(t *testing.T) {
	good := exchange(ok0, at{429, ra3, 3 * sec}, at{status: 200})
	bad := exchange(ok0, at{429, ra3, sec}, at{status: 200})
	v := Grade(Scenario{Name: "s", Rules: []RuleID{WaitsSeconds}}, []Exchange{good, bad, good})
	if v[0].Outcome != Fail || v[0].Run != 2 {
		t.Errorf("verdict = %s of run %d; want fail of run 2", v[0].Outcome, v[0].Run)
	}
}

// TestApplicable checks the rules a scenario's steps give a chance to
// break.
func TestApplicable(t *testing.T) {
	for _, s := range Builtin() {
		got := Scenario{Steps: s.Steps, Then: s.Then}.Applicable()
		for _, id := range s.Rules {
			if !containsRule(got, id) {
				t.Errorf("%s: Applicable = %v; lacks %s, which the built-in grades", s.Name, got, id)
			}
		}
	}
	got := Scenario{Steps: []Step{{Status: 503}, {Status: 401}}, Then: Recover}.Applicable()
	want := []RuleID{NoRetryNonRetryable}
	if strings.Join(ruleStrings(got), ",") != strings.Join(ruleStrings(want), ",") {
		t.Errorf("Applicable(503, 401, recover) = %v; want %v", got, want)
	}
}

func containsRule(ids []RuleID, id RuleID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func ruleStrings(ids []RuleID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// TestRetryAfterSpec round-trips the retry-after values of scenarios.
func TestRetryAfterSpec(t *testing.T) {
	for in, want := range map[string]RetryAfterForm{
		"": NoRetryAfter, "3": RetryAfterSeconds, "0": RetryAfterSeconds, "date+2s": RetryAfterDate,
		"soon": RetryAfterInvalid, "-1": RetryAfterInvalid, "1.5": RetryAfterInvalid, "+3": RetryAfterInvalid, "date+x": RetryAfterInvalid,
	} {
		got := ParseRetryAfterSpec(in)
		if got.Form != want || got.String() != in {
			t.Errorf("ParseRetryAfterSpec(%q) = %v (%q); want %v", in, got.Form, got.String(), want)
		}
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 700*int(time.Millisecond), time.UTC)
	if got := (RetryAfter{Form: RetryAfterDate, Wait: 2 * time.Second}).Value(now); got != "Sun, 01 Mar 2026 12:00:02 GMT" {
		t.Errorf("date+2s at 12:00:00.7 = %q; want Sun, 01 Mar 2026 12:00:02 GMT", got)
	}
}
