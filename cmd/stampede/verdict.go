package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/analyze"
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
	fl.StringArrayVar(&j.thresholds, "threshold", nil, "a condition the run must meet, e.g. 'latency.p99 < 300ms' (repeatable; replaces the defaults; see docs/thresholds.md)")
	fl.BoolVar(&j.defaults, "threshold-defaults", true, "judge the default thresholds when no --threshold is given (contract holds, transport failures and 5xx at most 1 %, run finished)")
	fl.StringArrayVar(&j.baseline, "baseline", nil, "result `file` of an earlier run (repeatable, for shards): baseline.* in thresholds, deltas in reports")
}

// judge is how a run is judged: compiled thresholds and a baseline.
type judge struct {
	thresholds []*thresholds.Threshold
	defaults   bool
	baseline   *analyze.Run
}

// prepare compiles the thresholds and reads the baseline; a bad
// expression or an unreadable baseline is a usage error.
func (j *judgeFlags) prepare(ctx context.Context) (judge, error) {
	out := judge{defaults: j.defaults}
	for _, src := range j.thresholds {
		th, err := thresholds.Compile("", src, false)
		if err != nil {
			return out, usageErrorf("--threshold %q: %v", src, err)
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

// apply judges the run: its thresholds if any were given, the defaults
// (Run.Verdict's) otherwise, none when the defaults are dropped.
func (j judge) apply(run *analyze.Run) {
	run.Baseline = j.baseline
	switch {
	case len(j.thresholds) > 0:
		run.Thresholds = thresholds.Judge(*run, j.baseline, j.thresholds)
	case j.defaults:
		run.Thresholds = analyze.DefaultThresholds(*run)
	default:
		run.Thresholds = []analyze.Threshold{}
	}
}

// verdictError is the exit of a run whose verdict failed: exit code 1,
// with the reasons; nil when it passed.
func verdictError(run analyze.Run) error {
	v := run.Verdict()
	if v.Pass {
		return nil
	}
	return &exitError{code: exitThreshold, err: fmt.Errorf("verdict FAIL: %s", oneLine(strings.Join(v.Reasons, "; ")))}
}
