package analyze

import (
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// passingRun is a run with one answered request and nothing against it.
func passingRun() Run {
	s := NewSummary()
	s.Add(&records.Record{Status: 200, Scheduled: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Latency: time.Millisecond})
	return Run{Summary: s, ResultFiles: 1}
}

// TestVerdict: each reason fails the run, alone, with its words; and the
// run with none passes.
func TestVerdict(t *testing.T) {
	if v := passingRun().Verdict(); !v.Pass || len(v.Reasons) != 0 {
		t.Fatalf("a run with nothing against it: %+v; want a pass", v)
	}
	violated := contract.Report{Rules: []contract.RuleResult{{Rule: contract.Rules[contract.RuleRetryAfterOn429], Checked: 3, Violations: 2}}}
	warned := contract.Report{Rules: []contract.RuleResult{{Rule: contract.Rules[contract.RuleRetryAfterOn503], Checked: 3, Violations: 2}}}
	for _, tc := range []struct {
		name       string
		change     func(*Run)
		want       string // "" for a pass
		unfinished bool
	}{
		{"no request", func(r *Run) { r.Summary = NewSummary() }, "no request was made", false},
		{"contract error", func(r *Run) { r.Contract = &violated }, "rate-limit contract: 2 violations", false},
		{"contract warning only", func(r *Run) { r.Contract = &warned }, "", false},
		{"interrupted", func(r *Run) { r.Interrupted = "SIGINT" }, "interrupted by SIGINT", true},
		{"unsent", func(r *Run) { r.Unsent = 1 }, "1 scheduled attempt was never sent", true},
		{"unanswered", func(r *Run) { r.Unanswered = 2 }, "2 attempts unanswered", true},
		{"crashed file", func(r *Run) { r.Unfinished = 1 }, "1 result file has no end", true},
		{"dishonest probe", func(r *Run) {
			r.Probes = []probefile.Report{{Target: "GET /x", Verdict: "understated"}}
		}, "probe of GET /x: understated", false},
		{"honest probe", func(r *Run) { r.Probes = []probefile.Report{{Verdict: probefile.Honest}} }, "", false},
		{"honest probe alone", func(r *Run) {
			r.Summary, r.ResultFiles, r.ProbeFiles = NewSummary(), 0, 1
			r.Probes = []probefile.Report{{Verdict: probefile.Honest}}
		}, "", false},
		{"a live run with a probe phase and no request", func(r *Run) {
			r.Summary, r.ResultFiles, r.Live = NewSummary(), 0, true
			r.Probes = []probefile.Report{{Verdict: probefile.Honest}}
		}, "no request was made", false},
		{"probe beside an empty result file", func(r *Run) {
			r.Summary = NewSummary()
			r.Probes = []probefile.Report{{Verdict: probefile.Honest}}
		}, "no request was made", false},
	} {
		run := passingRun()
		tc.change(&run)
		v := run.Verdict()
		reasons := strings.Join(v.Reasons, "; ")
		switch {
		case tc.want == "" && (!v.Pass || reasons != ""):
			t.Errorf("%s: %+v; want a pass", tc.name, v)
		case tc.want != "" && (v.Pass || !strings.Contains(reasons, tc.want)):
			t.Errorf("%s: %+v; want a fail because %q", tc.name, v, tc.want)
		case tc.unfinished != (len(v.Unfinished) > 0):
			t.Errorf("%s: unfinished reasons %q; want some %v", tc.name, v.Unfinished, tc.unfinished)
		}
	}
}

// TestVerdictWhateverTheThresholds: thresholds replace the defaults, but
// never make an unfinished run, or one whose probe found the waits
// untrue, pass.
func TestVerdictWhateverTheThresholds(t *testing.T) {
	held := []Threshold{{Name: "latency.p99 < 10s", Expr: "latency.p99 < 10s", Pass: true}}
	for _, tc := range []struct {
		name   string
		change func(*Run)
		want   string
	}{
		{"interrupted", func(r *Run) { r.Interrupted = "SIGINT" }, "run not finished: interrupted by SIGINT"},
		{"aborted", func(r *Run) { r.Interrupted = "--abort-on-fail: x" }, "run not finished: interrupted by --abort-on-fail: x"},
		{"unsent", func(r *Run) { r.Unsent = 3 }, "run not finished: 3 scheduled attempts were never sent"},
		{"crashed file", func(r *Run) { r.Unfinished = 1 }, "run not finished: 1 result file has no end"},
		{"dishonest probe", func(r *Run) { r.Probes = []probefile.Report{{Target: "GET /x", Verdict: "understated"}} }, "probe of GET /x: understated"},
	} {
		run := passingRun()
		run.Thresholds = held
		if v := run.Verdict(); !v.Pass {
			t.Fatalf("%s: the run before the change fails: %q", tc.name, v.Reasons)
		}
		tc.change(&run)
		v := run.Verdict()
		if v.Pass || !strings.Contains(strings.Join(v.Reasons, "; "), tc.want) {
			t.Errorf("%s with thresholds that held: %+v; want a fail because %q", tc.name, v, tc.want)
		}
		run.Thresholds = []Threshold{} // none judged at all
		if run.Verdict().Pass {
			t.Errorf("%s with no threshold: passes", tc.name)
		}
	}
}

func TestPercent(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0 %", 0.01: "1 %", 1: "100.0 %", 0.05: "5 %",
		0.99967: "99.97 %", 0.9999: "99.99 %", 0.999999: "99.9999 %",
		0.0100001: "1.00001 %", 0.00789: "0.789 %", 0.16667: "16.7 %", 0.1083: "10.8 %", 0.123: "12.3 %",
	} {
		if got := Percent(f); got != want {
			t.Errorf("Percent(%v) = %q, want %q", f, got, want)
		}
	}
}
