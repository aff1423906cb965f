package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/internal/suggest"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/thresholds"
)

// judgeFlags are the flags that set how a run is judged: its thresholds
// and the baseline it is compared with.
type judgeFlags struct {
	thresholds []string
	defaults   bool
	baseline   []string
}

func (j *judgeFlags) register(fl *pflag.FlagSet) {
	fl.StringArrayVar(&j.thresholds, "threshold", nil, "a `condition` the run must meet, e.g. 'latency.p99 < 300ms' (repeatable; replaces the defaults; see docs/thresholds.md)")
	fl.BoolVar(&j.defaults, "threshold-defaults", true, "judge the default thresholds when no --threshold is given (contract holds, transport failures and 5xx at most 1 %, run finished)")
	fl.StringArrayVar(&j.baseline, "baseline", nil, "result `file` of an earlier run (repeatable, for shards): baseline.* in thresholds, deltas in reports")
}

// judge is how a run is judged: compiled thresholds and a baseline.
type judge struct {
	thresholds []*thresholds.Threshold
	defaults   bool
	baseline   *analyze.Run
	// checkNames holds the thresholds given to the request names of the
	// run: a name it has not (a typo) fails its threshold rather than
	// count nothing. A profile's are checked against its requests.
	checkNames bool
}

// prepare compiles the thresholds and reads the baseline; a bad
// expression or an unreadable baseline is a usage error.
func (j *judgeFlags) prepare(ctx context.Context) (judge, error) {
	out := judge{defaults: j.defaults, checkNames: true}
	if len(j.thresholds) > profiles.MaxThresholds {
		return out, usageErrorf("%d --threshold flags: at most %d", len(j.thresholds), profiles.MaxThresholds)
	}
	for _, src := range j.thresholds {
		th, err := thresholds.Compile("", src, false)
		if err != nil {
			return out, usageErrorf("--threshold %q: %v", clipped(src, 120), err)
		}
		out.thresholds = append(out.thresholds, th)
	}
	return out, out.readBaseline(ctx, j.baseline)
}

// readBaseline reads the baseline run from its result files, if any; a
// threshold that reads baseline.* without one is a usage error.
func (j *judge) readBaseline(ctx context.Context, paths []string) error {
	if len(paths) == 0 {
		for _, th := range j.thresholds {
			if th.UsesBaseline() {
				return usageErrorf("threshold %q reads baseline.*: give the earlier run's result file with --baseline FILE", th.Expr)
			}
		}
		return nil
	}
	base, err := analyze.Consume(ctx, analyze.Files(paths, analyze.FileOptions{}))
	if err != nil {
		return usageErrorf("--baseline: %v", err)
	}
	if base.Summary == nil || base.Summary.Requests == 0 {
		return usageErrorf("--baseline %s: no request in it to compare with", strings.Join(paths, " "))
	}
	j.baseline = &base
	return nil
}

// apply judges the run: by the thresholds given, or else by those its
// result files say it was judged by, or else by the defaults (none when
// they are dropped).
func (j judge) apply(run *analyze.Run) {
	run.Baseline = j.baseline
	ths, broken := j.thresholds, []analyze.Threshold(nil)
	if len(ths) == 0 {
		ths, broken = compileConditions(run.Conditions)
	}
	switch {
	case len(ths) > 0 || len(broken) > 0:
		run.Thresholds = append(thresholds.Judge(*run, j.baseline, ths), broken...)
		if j.checkNames && len(j.thresholds) > 0 {
			unknownNames(run, j.thresholds)
		}
	case j.defaults:
		run.Thresholds = analyze.DefaultThresholds(*run)
	default:
		run.Thresholds = []analyze.Threshold{}
	}
}

// unknownNames fails each threshold that names a request the run has
// not: count(request == "chta") == 0 would hold for a typo.
func unknownNames(run *analyze.Run, ths []*thresholds.Threshold) {
	var names []string
	for _, r := range run.Summary.RequestStats() {
		names = append(names, r.Name)
	}
	for i, th := range ths {
		for _, name := range th.Requests() {
			if slices.Contains(names, name) {
				continue
			}
			msg := fmt.Sprintf("%s: the run has no request named %q", th.Name, name)
			if near := suggest.Nearest(name, names); near != "" {
				msg += fmt.Sprintf("; did you mean %q?", near)
			}
			run.Thresholds[i].Pass, run.Thresholds[i].Reason = false, msg
			break
		}
	}
}

// compileConditions compiles the thresholds a result file's header
// names; one that does not compile (a file of a later version, or a
// crafted one) is judged failed, not dropped.
func compileConditions(conds []records.HeaderThreshold) ([]*thresholds.Threshold, []analyze.Threshold) {
	var ths []*thresholds.Threshold
	var broken []analyze.Threshold
	for _, c := range conds {
		th, err := thresholds.Compile(c.Name, c.Expr, c.Abort)
		if err != nil {
			broken = append(broken, analyze.Threshold{Name: c.Expr, Expr: c.Expr, Reason: fmt.Sprintf("threshold %q of the result file: %v", c.Expr, err)})
			continue
		}
		ths = append(ths, th)
	}
	return ths, broken
}

// headerThresholds are the thresholds as a result file's header keeps them.
func headerThresholds(ths []*thresholds.Threshold) []records.HeaderThreshold {
	var out []records.HeaderThreshold
	for _, t := range ths {
		h := records.HeaderThreshold{Expr: t.Expr, Abort: t.Abort}
		if t.Name != t.Expr {
			h.Name = t.Name
		}
		out = append(out, h)
	}
	return out
}

// maxReasons bounds the reasons the line on stderr names.
const maxReasons = 5

// verdictError is the exit of a run whose verdict failed: exit code 1,
// with the reasons; nil when it passed.
func verdictError(run analyze.Run) error {
	v := run.Verdict()
	if v.Pass {
		return nil
	}
	reasons := v.Reasons
	if len(reasons) > maxReasons { // the summary and reports list them all
		reasons = append(reasons[:maxReasons:maxReasons], fmt.Sprintf("and %d more", len(v.Reasons)-maxReasons))
	}
	return &exitError{code: exitThreshold, err: fmt.Errorf("verdict FAIL: %s", oneLine(strings.Join(reasons, "; ")))}
}

// clipped shortens a text a user gave, to quote it in a message.
func clipped(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return records.CutString(s, n) + "…"
}
