package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/attack"
	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/probe"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/progress"
	"github.com/stampede-dev/stampede/records/probefile"
	"github.com/stampede-dev/stampede/reports"
	"github.com/stampede-dev/stampede/scenario"
	"github.com/stampede-dev/stampede/thresholds"
)

// abortCause is the cause of a run stopped by --abort-on-fail.
type abortCause struct{ reason string }

func (a abortCause) Error() string { return "aborted: " + a.reason }

// execute runs the profile's legs as one live run through the consume
// loop; interrupted is the signal that cut it short, if one did.
func (pr *preparedProfile) execute(parent context.Context, e *env) (run analyze.Run, interrupted *signalCause, err error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	classifier, err := classify.New(pr.classify)
	if err != nil {
		return run, nil, usageErrorf("classify: %v", err)
	}
	_, total := pr.plan.Planned()
	var chain *scenario.Chain
	checker := contract.New(pr.contract)
	src := analyze.Live(analyze.LiveOptions{
		Header: pr.header, Classifier: classifier, Checker: checker,
		Grace: pr.f.timeout + 2*time.Second, Abort: e.abort, MaxLateness: attack.MaxLateness,
		Start: func(bodyLimit int, needsBody func(uint16) bool) (analyze.Attack, error) {
			chain = scenario.Start(pr.plan, pr.engines(ctx, e, attack.Capture{Limit: bodyLimit, Status: needsBody}))
			return chain, nil
		},
		Interruption: func() string { return interruption(ctx) },
		Probes: func() []probefile.Report {
			pr.mu.Lock()
			defer pr.mu.Unlock()
			return slices.Clone(pr.probes)
		},
	})
	var display progress.Display = progress.Quiet{}
	if !pr.f.quiet {
		display = progress.New(e.stderr, e.stderrTTY, total, 5*time.Second)
	}
	bar := progress.NewSink(display, total)
	bar.Phase = func() string { return chainPhase(chain) }
	sinks := []analyze.Sink{bar}
	if pr.records != nil {
		sinks = append([]analyze.Sink{analyze.NewResultFile(pr.records)}, sinks...)
	}
	sinks = pr.f.metrics.srv.sinks(pr.vegeta.sinks(sinks), checker)
	if pr.f.abortOnFail {
		if a := thresholds.NewAbort(pr.judge.thresholds, func(reason string) { cancel(abortCause{reason}) }); a != nil {
			sinks = append(sinks, a)
		}
	}
	run, err = analyze.Consume(ctx, src, sinks...)
	if err == nil && chain != nil {
		err = chain.Err()
	}
	if err != nil {
		return run, nil, runtimeError(err)
	}
	var cause signalCause
	if run.Interrupted != "" && errors.As(context.Cause(ctx), &cause) {
		interrupted = &cause
	}
	return run, interrupted, nil
}

// interruption names what cut a run short: a signal, or a threshold.
func interruption(ctx context.Context) string {
	var cause signalCause
	var abort abortCause
	switch {
	case errors.As(context.Cause(ctx), &cause):
		return signalName(cause.sig)
	case errors.As(context.Cause(ctx), &abort):
		return "--abort-on-fail: " + abort.reason
	}
	return "interrupted"
}

// chainPhase names the phase running, "" before the chain starts.
func chainPhase(c *scenario.Chain) string {
	if c == nil {
		return ""
	}
	return c.Phase()
}

// engines start the legs of the profile: attacks, and probes whose
// reports join the run.
func (pr *preparedProfile) engines(ctx context.Context, e *env, capture attack.Capture) scenario.Engines {
	return scenario.Engines{
		Attack: func(leg scenario.Leg) (scenario.Attack, error) {
			o := attack.Options{
				Next: pr.plan.Next(leg), Duration: leg.Length(), Capture: capture,
				Transport: pr.transport(),
			}
			if leg.Closed() {
				o.Concurrency = leg.Concurrency
			} else {
				o.Shape, o.Workers, o.MaxWorkers = leg.Sequence, pr.f.workers, pr.f.workerLimit
			}
			if pr.plan.Retries() && !leg.Closed() { // a closed leg does not retry
				var err error
				if o.Retryable, err = retryPredicate(pr.classify); err != nil {
					return nil, err
				}
				o.RetryOf = pr.plan.RetryOf(leg)
			}
			return attack.Start(o)
		},
		Probe: func(legCtx context.Context, leg scenario.Leg) error {
			if pr.beforeProbe != nil {
				pr.beforeProbe()
			}
			return pr.runProbe(legCtx, e, leg)
		},
	}
}

// transport is the attack's transport for the profile.
func (pr *preparedProfile) transport() attack.TransportOptions {
	return transportOf(pr.plan.Profile.Target.TLS, pr.f.timeout)
}

// transportOf is the transport of a profile's TLS settings and --timeout.
func transportOf(tls profiles.TLS, timeout time.Duration) attack.TransportOptions {
	t := attack.DefaultTransport()
	t.Timeout = timeout
	t.Insecure, t.CAFile, t.CertFile, t.KeyFile = tls.Insecure, tls.CAFile, tls.CertFile, tls.KeyFile
	return t
}

// runProbe runs a probe phase and keeps its report.
func (pr *preparedProfile) runProbe(ctx context.Context, e *env, leg scenario.Leg) error {
	opts, target, err := pr.probeOptions(leg)
	if err != nil {
		return err
	}
	if !pr.f.quiet && !e.stderrTTY {
		opts.Progress = func(line string) { fmt.Fprintf(e.stderr, "probe: %s\n", line) }
	}
	res, err := probe.Run(ctx, opts)
	if err != nil && res.Requests == 0 {
		return fmt.Errorf("probe phase %s: %w", leg.Probe.Name, err)
	}
	pr.mu.Lock()
	pr.probes = append(pr.probes, probe.NewReport(target, res))
	pr.mu.Unlock()
	return nil
}

// probeOptions are the probe's options of a probe phase: the phase's
// request, made once, repeated.
func (pr *preparedProfile) probeOptions(leg scenario.Leg) (probe.Options, string, error) {
	ph := leg.Probe
	p := pr.plan.Profile
	req := p.Request(ph.Probe.Request)
	if req == nil {
		return probe.Options{}, "", fmt.Errorf("probe phase %s: no request %q", ph.Name, ph.Probe.Request)
	}
	var t vegeta.Target
	if err := pr.plan.Target(req, ph.Name, &t); err != nil {
		return probe.Options{}, "", err
	}
	o := ph.Probe
	timeout := o.Timeout
	if timeout == 0 {
		timeout = pr.f.timeout
	}
	tr := pr.transport()
	tr.Timeout, tr.Connections = timeout, max(o.MaxInFlight, 1)
	client, err := attack.NewClient(tr)
	if err != nil {
		return probe.Options{}, "", err
	}
	opts := probe.Options{Target: t, Client: client, Bounds: probe.Bounds{
		StartRate: o.StartRate, MaxRate: o.MaxRate, Step: o.Step, MaxTime: o.MaxTime, MaxRequests: o.MaxRequests,
		Rounds: o.Rounds, Margin: o.Margin, MaxInFlight: o.MaxInFlight,
	}}
	policy, secrets := pr.classify.Redact, pr.classify.Secrets
	opts.Redact = func(s string) string { return policy.Body(s, secrets) }
	return opts, req.Method + " " + policy.URL(t.URL), errors.Join(opts.Validate()...)
}

// printPlan prints what a profile would do (--dry-run).
func printPlan(w io.Writer, plan *scenario.Plan, j judge, cmp compareFlags) error {
	p := plan.Profile
	requests, d := plan.Planned()
	fmt.Fprintf(w, "Profile   %s (%s)\nTarget    %s, auth %s\nPlan      %d phases, about %d requests over %s (probes at their bound)\n",
		oneLine(p.Name), oneLine(p.File), oneLine(redact.NewPolicy().URL(p.Target.BaseURL)), oneLine(p.Target.Auth.String()), len(p.Phases), requests, d)
	if !plan.Shard.IsZero() {
		fmt.Fprintf(w, "Shard     %s: this process's share of the run's load (1/%d of each phase's rate)\n", plan.Shard, plan.Shard.Count)
	}
	if cmp.policies != "" {
		fmt.Fprintf(w, "Compare   retry policies %s: the plan runs once per policy, %s apart\n", strings.ReplaceAll(cmp.policies, ",", ", "), cmp.coolDown)
	}
	fmt.Fprintln(w)
	var rows [][]string
	for _, leg := range plan.Legs {
		rows = append(rows, legRows(plan, leg)...)
	}
	if err := reports.Table(w, []string{"Phase", "Kind", "Load", "Duration", "Requests", "Draws from"}, rows); err != nil {
		return err
	}
	rows = nil
	for _, t := range j.thresholds {
		abort := ""
		if t.Abort {
			abort = "abort"
		}
		rows = append(rows, []string{oneLine(t.Name), oneLine(t.Expr), abort})
	}
	if len(rows) == 0 && j.defaults {
		for _, t := range analyze.DefaultThresholds(analyze.Run{}) {
			rows = append(rows, []string{t.Name + " (default)", t.Expr, ""})
		}
	}
	fmt.Fprintln(w)
	if len(rows) == 0 {
		why := ""
		if cmp.policies != "" {
			why = " (a comparison is judged by the thresholds given, not the defaults)"
		}
		_, err := fmt.Fprintln(w, "Thresholds: none"+why)
		return err
	}
	return reports.Table(w, []string{"Threshold", "Expression", "On fail"}, rows)
}

// legRows are the plan's rows of one leg.
func legRows(plan *scenario.Plan, leg scenario.Leg) [][]string {
	var rows [][]string
	for i, idx := range leg.Phases {
		ph := plan.Profile.Phases[idx]
		ph.Name = oneLine(ph.Name)
		draws := "all requests"
		if len(ph.Requests) > 0 {
			draws = oneLine(strings.Join(ph.Requests, ", "))
		}
		switch {
		case leg.Probe != nil:
			rows = append(rows, []string{ph.Name, "probe", fmt.Sprintf("%s up to %s", pace.RateString(ph.Probe.StartRate), pace.RateString(ph.Probe.MaxRate)), "≤ " + ph.Probe.MaxTime.String(), "≤ " + strconv.Itoa(ph.Probe.MaxRequests), ph.Probe.Request})
		case ph.Kind == profiles.PhasePause:
			rows = append(rows, []string{ph.Name, "pause", "-", ph.Pause.String(), "0", "-"})
		case ph.Kind == profiles.PhaseProbe: // a shard other than 0 waits while shard 0 probes
			rows = append(rows, []string{ph.Name, "pause (shard 0 probes)", "-", ph.Probe.MaxTime.String(), "0", "-"})
		case leg.Closed():
			load := profiles.ClosedModel(leg.Concurrency)
			if leg.Concurrency != ph.Plan.Concurrency {
				load += fmt.Sprintf(" (this shard's of %d)", ph.Plan.Concurrency)
			}
			rows = append(rows, []string{ph.Name, "load", load, ph.Plan.Duration.String(), "as answered", draws})
		default:
			seg := leg.Sequence.Segments()[i] // a shard's share of the phase's shape
			hits, _ := leg.Sequence.Planned(i)
			rows = append(rows, []string{ph.Name, "load", seg.Shape.String(), ph.Plan.Duration.String(), strconv.FormatUint(hits, 10), draws})
		}
	}
	return rows
}
