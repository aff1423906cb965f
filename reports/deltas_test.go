package reports

import (
	"fmt"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/records"
)

// TestDeltasFlagRegressionsNotNoise: twice the latency and a new error
// class are for the worse; a few percent of change is not.
func TestDeltasFlagRegressionsNotNoise(t *testing.T) {
	build := func(latency time.Duration, errors int) analyze.Run {
		s := analyze.NewSummary()
		t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 100 {
			r := records.Record{Scheduled: t0.Add(time.Duration(i) * 10 * time.Millisecond), Latency: latency, Status: 200}
			if i < errors {
				r.Status = 500
			}
			s.Add(&r)
		}
		return analyze.Run{Summary: s}
	}
	worse := func(ds []Delta) map[string]bool {
		out := map[string]bool{}
		for _, d := range ds {
			if d.Worse {
				out[d.What] = true
			}
		}
		return out
	}
	base := build(20*time.Millisecond, 0)
	same := build(21*time.Millisecond, 0)
	same.Baseline = &base
	if w := worse(Deltas(same)); len(w) != 0 {
		t.Errorf("5 %% slower, no error: flagged %v", w)
	}
	slow := build(40*time.Millisecond, 5)
	slow.Baseline = &base
	w := worse(Deltas(slow))
	for _, what := range []string{"p50", "p99", "max", "success ratio", "class 500"} {
		if !w[what] {
			t.Errorf("twice as slow with 5 %% of 500s: %s not flagged (flagged %v)", what, w)
		}
	}
	if len(Deltas(base)) != 0 {
		t.Error("deltas without a baseline")
	}
	// A run against itself: every change is none, even with several
	// classes of one status and code (their messages differ).
	mixed := analyze.NewSummary()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		r := records.Record{Scheduled: t0.Add(time.Duration(i) * time.Millisecond), Latency: time.Millisecond, Status: 400, ErrorCode: "BAD"}
		mixed.ImportClass(records.Class{Status: 400, Code: "BAD", Pattern: fmt.Sprint("message ", i%3)}, nil)
		r.Class = uint32(i%3 + 1)
		mixed.Add(&r)
	}
	self := analyze.Run{Summary: mixed}
	self.Baseline = &analyze.Run{Summary: mixed}
	for _, d := range Deltas(self) {
		if d.Worse || (d.Change != "+0.0 %" && d.Change != "+0.00 pt" && d.Change != "0 %") {
			t.Errorf("a run against itself: %+v", d)
		}
	}
}
