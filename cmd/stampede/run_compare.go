package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/profiles"
)

// profileCompares reports whether the run is a comparison: --compare-retry,
// or a profile whose phase compares (whose policies and cool-down it
// then takes, unless the flags give them).
func profileCompares(cmd *cobra.Command, f *runFlags, arg string) (bool, error) {
	if f.compare.policies != "" {
		return true, nil
	}
	p, err := loadProfile(arg, f)
	if err != nil {
		return false, err
	}
	for _, ph := range p.Phases {
		if ph.Compare == nil {
			continue
		}
		names := make([]string, len(ph.Compare.Policies))
		for i, pol := range ph.Compare.Policies {
			names[i] = pol.String()
		}
		f.compare.policies = strings.Join(names, ",")
		if !cmd.Flags().Changed("cool-down") {
			f.compare.coolDown = ph.Compare.CoolDown
		}
		return true, nil
	}
	return false, nil
}

// runCompareProfile runs the profile once per policy of --compare-retry,
// every load phase's clients retrying by that policy (with the
// parameters of the phase's retry: section, if it has one), and writes
// the comparison.
func runCompareProfile(cmd *cobra.Command, e *env, f *runFlags, arg string) error {
	policies, err := comparePolicies(f.compare.policies)
	if err != nil {
		return err
	}
	if err := checkCompareReports(f.format, f.reports); err != nil {
		return err
	}
	if f.compare.coolDown < 0 {
		return usageErrorf("--cool-down %s: must not be negative", f.compare.coolDown)
	}
	if !cmd.Flags().Changed("threshold-defaults") {
		f.judge.defaults = false // a comparison measures; see checkCompare
	}
	specs, output := f.reports, f.output
	f.reports = nil // the comparison's, written at the end
	var cmp analyze.Comparison
	runID := f.runID
	for i, p := range policies {
		f.output, f.runID = policyPath(output, p), policyRunID(runID, p)
		run, detail, err := comparePolicyProfile(cmd, e, f, arg, p)
		if err != nil || f.dryRun {
			return err
		}
		cmp.Runs = append(cmp.Runs, analyze.PolicyRun{Policy: p.String(), Detail: detail, Run: run})
		if run.Interrupted != "" {
			break
		}
		if i < len(policies)-1 && pause(cmd.Context(), f.compare.coolDown) != nil {
			break
		}
	}
	return finishCompare(cmd.Context(), e, f.format, cmp, specs)
}

// comparePolicyProfile runs the profile with one policy.
func comparePolicyProfile(cmd *cobra.Command, e *env, f *runFlags, arg string, policy retry.Policy) (analyze.Run, string, error) {
	pr, err := prepareProfile(cmd, e, f, arg)
	if err != nil || f.dryRun {
		return analyze.Run{}, "", err
	}
	if pr.file != nil {
		defer pr.file.Close()
	}
	defer pr.vegeta.Close()
	detail, err := retryAll(pr.plan.Profile, policy)
	if err != nil {
		return analyze.Run{}, "", err
	}
	pr.reports = nil // the profile's own reports are of one run
	run, err := runPolicy(cmd.Context(), e, pr.plan.Profile.Target.BaseURL, detail, pr.file, f.output, pr.judge,
		func() (analyze.Run, *signalCause, error) { return pr.execute(cmd.Context(), e) })
	return run, detail, err
}

// retryAll makes every load phase of p retry by policy, with the
// parameters its retry: section gives that apply to the policy; the
// requests' own sections are set aside. It returns the first phase's
// policy, for people.
func retryAll(p *profiles.Profile, policy retry.Policy) (string, error) {
	detail := ""
	for i := range p.Requests {
		p.Requests[i].Retry = nil
	}
	for i := range p.Phases {
		ph := &p.Phases[i]
		if ph.Kind != profiles.PhaseLoad {
			continue
		}
		if ph.Plan.Concurrency > 0 {
			return "", usageErrorf("--compare-retry: phase %s is a closed model (concurrency:), and retrying clients run in the open model: give it a rate", ph.Name)
		}
		var given retryFlags
		if ph.Retry != nil {
			given.Retry = ph.Retry.Section
		}
		r := policyRetry(given, policy)
		o, on, err := r.options()
		if err != nil {
			return "", usageErrorf("%s: phases %s: retry: %v", p.File, ph.Name, err)
		}
		ph.Retry = &profiles.RetrySpec{Options: o, On: on, Section: r.Retry}
		if detail == "" {
			detail = o.String()
		}
	}
	return detail, nil
}
