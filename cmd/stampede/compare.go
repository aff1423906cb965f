package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/reports"
)

// compareFlags are the flags of the retry-storm comparison.
type compareFlags struct {
	policies string
	coolDown time.Duration
}

func (c *compareFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&c.policies, "compare-retry", "", "run the load once per retry policy of this `list`, one after the other, and compare them side by side, e.g. none,immediate,exponential")
	fl.DurationVar(&c.coolDown, "cool-down", 5*time.Second, "pause between the runs of --compare-retry, a `duration` (a target run by stampede serve is also reset)")
}

// comparePolicies reads the list of --compare-retry: at least two
// distinct policies.
func comparePolicies(list string) ([]retry.Policy, error) {
	var out []retry.Policy
	for item := range strings.SplitSeq(list, ",") {
		p, err := retry.ParsePolicy(item)
		if err != nil {
			return nil, usageErrorf("--compare-retry %q: %v", list, err)
		}
		for _, q := range out {
			if q == p {
				return nil, usageErrorf("--compare-retry %q: %s is listed twice", list, p)
			}
		}
		out = append(out, p)
	}
	if len(out) < 2 {
		return nil, usageErrorf("--compare-retry %q: compare at least two policies, e.g. none,immediate,exponential", list)
	}
	return out, nil
}

// checkCompare checks the flags that do not go with a comparison.
func checkCompare(cmd *cobra.Command, f *attackFlags) error {
	switch {
	case f.retry.Policy != "":
		return usageErrorf("--retry %s and --compare-retry: the comparison runs each policy of its list; drop --retry", f.retry.Policy)
	case f.output == "-":
		return usageErrorf("--compare-retry writes one result file per policy: give -o FILE (each gets the policy's name) or -o ''")
	case f.unbounded():
		return usageErrorf("--compare-retry needs runs that end: give --duration above 0")
	case f.compare.coolDown < 0:
		return usageErrorf("--cool-down %s: must not be negative", f.compare.coolDown)
	case f.load.Concurrency != "":
		return usageErrorf("--concurrency and --compare-retry: retrying clients run in the open model; give a --rate instead")
	}
	if err := checkCompareReports(f.format, f.reports); err != nil {
		return err
	}
	if !cmd.Flags().Changed("threshold-defaults") {
		// A comparison measures: it is judged by the thresholds given
		// (each run by all), not by the defaults an outage always breaks.
		f.judge.defaults = false
	}
	return nil
}

// checkCompareReports checks the --format and --report values of a
// comparison, before its runs: it is written in its own formats.
func checkCompareReports(format string, specs []string) error {
	if reports.CheckComparisonFormat(format) != nil {
		return usageErrorf("--format %s and --compare-retry: a comparison is written as %s", format, strings.Join(reports.ComparisonFormats, ", "))
	}
	for _, spec := range specs {
		format, path, ok := strings.Cut(spec, "=")
		if !ok || path == "" || path == "-" {
			return usageErrorf("--report %q: want FORMAT=PATH, such as html=storm.html", spec)
		}
		if reports.CheckComparisonFormat(format) != nil {
			return usageErrorf("--report %q: a comparison is written as %s", spec, strings.Join(reports.ComparisonFormats, ", "))
		}
	}
	return nil
}

// unbounded reports whether the load flags ask for a run that lasts
// until interrupted (their other problems are reported with the run's).
func (f *attackFlags) unbounded() bool {
	plan, errs := f.load.Plan()
	return len(errs) == 0 && plan.Duration == 0
}

// runCompare runs the attack once per policy of --compare-retry and
// writes the comparison.
func runCompare(cmd *cobra.Command, e *env, f *attackFlags) error {
	policies, err := comparePolicies(f.compare.policies)
	if err != nil {
		return err
	}
	if err := checkCompare(cmd, f); err != nil {
		return err
	}
	specs := f.reports
	f.reports = nil // the comparison's, written at the end
	output, given, runID := f.output, f.retry, f.runID
	var cmp analyze.Comparison
	for i, p := range policies {
		f.runID = policyRunID(runID, p)
		run, detail, err := comparePolicy(cmd, e, f, policyRetry(given, p), policyPath(output, p))
		if err != nil {
			return err
		}
		cmp.Runs = append(cmp.Runs, analyze.PolicyRun{Policy: p.String(), Detail: detail, Run: run})
		if run.Interrupted != "" {
			break
		}
		if i < len(policies)-1 {
			if err := pause(cmd.Context(), f.compare.coolDown); err != nil {
				break
			}
		}
	}
	return finishCompare(cmd.Context(), e, f.format, cmp, specs)
}

// comparePolicy runs the attack with the retry flags of one policy,
// writing its result file to output.
func comparePolicy(cmd *cobra.Command, e *env, f *attackFlags, r retryFlags, output string) (analyze.Run, string, error) {
	f.retry, f.output = r, output
	o, _, err := f.retry.options()
	if err != nil {
		return analyze.Run{}, "", err
	}
	prep, err := prepareAttack(cmd, e, f)
	if err != nil {
		return analyze.Run{}, "", err
	}
	if prep.file != nil {
		defer prep.file.Close()
	}
	run, err := runPolicy(cmd.Context(), e, prep.x.opts.Targets[0].URL, o.String(), prep.file, f.output, prep.judge,
		func() (analyze.Run, *signalCause, error) { return execute(cmd.Context(), e, prep.x) })
	return run, o.String(), err
}

// runPolicy runs the attack of one policy of a comparison: it resets a
// simulated target, says which policy runs, runs it, closes its result
// file (written to output) and judges the run.
func runPolicy(ctx context.Context, e *env, target, detail string, file *os.File, output string, j judge,
	exec func() (analyze.Run, *signalCause, error)) (analyze.Run, error) {
	resetSim(ctx, e, target)
	fmt.Fprintf(e.stderr, "stampede: retry policy %s\n", detail)
	run, _, err := exec()
	if err != nil {
		return run, err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return run, runtimeError(fmt.Errorf("close result file: %w", err))
		}
		run.ResultFile = output
	}
	j.apply(&run)
	return run, nil
}

// policyRetry is the retry section of one policy of a comparison: the
// parameters given that apply to it.
func policyRetry(given retryFlags, p retry.Policy) retryFlags {
	r := given
	r.Policy = p.String()
	switch p {
	case retry.None:
		r = retryFlags{}
		r.Policy = p.String()
	case retry.Immediate, retry.Decorrelated:
		r.Jitter = "" // exponential waits only
	}
	return r
}

// policyPath names the result file of one policy: run.bin → run-immediate.bin.
func policyPath(output string, p retry.Policy) string {
	if output == "" {
		return ""
	}
	ext := filepath.Ext(output)
	return strings.TrimSuffix(output, ext) + "-" + p.String() + ext
}

// pause waits d, or until ctx is done.
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// simBase is the simulator's address of a target URL: its scheme and host.
func simBase(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// simTarget reports whether the target is served by `stampede serve`:
// its host answers GET /__sim/stats.
func simTarget(ctx context.Context, target string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, simBase(target)+"/__sim/stats", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json")
}

// resetSim resets a simulated target before a policy's run, so that each
// starts from the same state (rate limits refilled, outages restarted).
func resetSim(ctx context.Context, e *env, target string) {
	if !simTarget(ctx, target) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, simBase(target)+"/__sim/reset", nil)
	if err == nil {
		var resp *http.Response
		if resp, err = http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 != 2 {
				err = errors.New(resp.Status)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "stampede: could not reset the simulated target: %v\n", err)
	}
}

// finishCompare writes the comparison (summary and reports) and returns
// the exit: 1 when a policy's run failed its thresholds.
func finishCompare(ctx context.Context, e *env, format string, cmp analyze.Comparison, specs []string) error {
	if err := reports.RenderComparison(e.stdout, format, cmp); err != nil {
		return runtimeError(fmt.Errorf("write comparison: %w", err))
	}
	var first error
	for _, spec := range specs {
		format, path, _ := strings.Cut(spec, "=")
		err := writeOutput(e, "--report "+format, path, func(w io.Writer) error {
			return reports.RenderComparison(w, format, cmp)
		})
		if err != nil && first == nil {
			first = runtimeError(err)
		}
	}
	if first != nil {
		return first
	}
	var failed []string
	for _, pr := range cmp.Runs {
		if err := verdictError(pr.Run); err != nil {
			failed = append(failed, pr.Policy+": "+err.Error())
		}
	}
	if ctx.Err() != nil {
		var cause signalCause
		if errors.As(context.Cause(ctx), &cause) {
			return &exitError{code: cause.exitCode(), err: cause}
		}
	}
	if len(failed) > 0 {
		return &exitError{code: exitThreshold, err: errors.New(strings.Join(failed, "; "))}
	}
	return nil
}

// policyRunID is the run id of one policy's run of a comparison given
// --run-id id: id-policy, so that each run is one of its own in the
// result files and in the metrics (whose series a shared id would add
// up); "" (each run a random id) without one.
func policyRunID(id string, p retry.Policy) string {
	if id == "" {
		return ""
	}
	return id + "-" + p.String()
}
