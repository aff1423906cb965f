package thresholds

import (
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
)

func TestAbortStopsOnceAnAbortableThresholdFails(t *testing.T) {
	run := testRun(t) // ten INTERNAL_ERRORs
	must := func(name, src string, abort bool) *Threshold {
		th, err := Compile(name, src, abort)
		if err != nil {
			t.Fatal(err)
		}
		return th
	}
	if NewAbort([]*Threshold{must("", "latency.p99 < 1ms", false)}, func(string) {}) != nil {
		t.Error("a sink for no abortable threshold")
	}
	var reasons []string
	a := NewAbort([]*Threshold{
		must("", "latency.p99 < 1ms", false), // fails, but is not abortable
		must("holds", "requests > 0", true),
		must("may still come", "count(status == 429) > 0", true),               // a lower bound on a count
		must("not yet sent", `request("later").latency.p99 < 1s`, true),        // a request of a later phase
		must("may still reach", `count(code == "INTERNAL_ERROR") == 20`, true), // 10 so far
		must("either", `count(status == 500) < 5 || requests > 1000`, true),    // no plain comparison
		must("swapped", `300 < count(status == 200)`, true),                    // a lower bound, written the other way
		must("grows", `requests > 1000`, true),
		must("no internal errors", `count(code == "INTERNAL_ERROR") == 0`, true),
	}, func(r string) { reasons = append(reasons, r) })
	tick := func(at time.Duration) {
		if err := a.Observe(&analyze.Event{Kind: analyze.EventTick, Elapsed: at}, &run); err != nil {
			t.Fatal(err)
		}
	}
	tick(500 * time.Millisecond) // before the first check
	if len(reasons) != 0 {
		t.Fatalf("stopped before a second had passed: %q", reasons)
	}
	tick(time.Second)
	tick(2 * time.Second)
	if len(reasons) != 1 || reasons[0] != `no internal errors: count(code == "INTERNAL_ERROR") 10 ≠ 0` {
		t.Errorf("reasons %q: want one, naming the failed abortable threshold", reasons)
	}

	clean := analyze.Run{Summary: analyze.NewSummary()}
	ok := NewAbort([]*Threshold{must("", "latency.p99 < 1s", true)}, func(r string) { t.Errorf("stopped a passing run: %s", r) })
	_ = ok.Observe(&analyze.Event{Kind: analyze.EventTick, Elapsed: 5 * time.Second}, &clean) // no request yet: nothing judged
	passing := testRun(t)
	_ = ok.Observe(&analyze.Event{Kind: analyze.EventTick, Elapsed: 6 * time.Second}, &passing)
}
