package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/attack"
	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/probe"
	"github.com/stampede-dev/stampede/reports"
)

// probeFlags are the flags of `stampede probe`, before interpretation.
type probeFlags struct {
	requestFlags
	secretHeaders         []string
	startRate, maxRate    string
	step, maxTime, margin time.Duration
	maxRequests, rounds   int
	maxInFlight           int
	timeout               time.Duration
	format, output        string
	quiet                 bool
}

// probeLong is the help text of stampede probe.
const probeLong = `Probe the rate limiter in front of one endpoint, with bounded traffic, and
tell whether the waits its 429s advertise are true. Each round:

  1. raises the rate step by step (--start-rate, doubled every --step, up to
     --max-rate) until the first 429;
  2. stops all traffic and reads the 429's Retry-After: the advertised wait T
     (a date is measured from the response's own Date header);
  3. sends one request at T/2 (rejected: consistent; admitted: T is
     overstated, beyond the header's whole-second resolution) and one at
     T + --margin, or at once for Retry-After: 0 (admitted: honest;
     rejected: understated, and polls with doubling gaps up to 4·max(T, 1s)
     measure the real wait). Without a
     usable Retry-After it backs off 1s, 2s, 4s, … (at most 60s), as the
     seed APIs advise, to measure the recovery anyway.
     Only a 429 rejects and only a 2xx admits: another answer (a 5xx, 401,
     403, 3xx, a timeout) is sent again 250ms later, up to 3 times; with no
     limiter answer still, the round ends without a verdict, saying why.

--rounds rounds run; the report shows, per round, the advertised and the
real wait and every request sent after the 429, and a verdict:
  honest                 the limiter admits once the advertised wait is over
  overstated             it admits well before: clients wait for nothing
  understated            it still rejects after the wait (Retry-After: 0 too)
  no_retry_after         its 429s carry no Retry-After
  malformed_retry_after  its Retry-After is neither seconds nor an HTTP-date
  inconsistent           the rounds disagree
  no_limit               no 429 within the bounds: nothing to verify
  inconclusive           a bound or an interrupt stopped it before a verdict

Bounds: no more than --max-requests requests in all (checked before every
send), none after --max-time, at most --max-in-flight requests of a ramp at
once; a bound that stops the probe early is reported with what was measured.

Exit codes: 0 honest; 1 any other verdict; 2 usage error; 3 the probe
failed (5 ramp requests in a row failed in transport, or an answer from
400 up other than 429, a 4xx or a 5xx, before any 429); 130/143 interrupted.
See docs/probe.md.`

// probeExample are the examples of stampede probe's help.
const probeExample = `  # against the simulation: stampede serve --rate-limit 5/s --retry-after lying
  stampede probe --url http://127.0.0.1:8080/mira/v1/chat/completions \
    -H 'Authorization: Bearer demo-full' -H 'Content-Type: application/json' \
    --body '{"model":"mira","messages":[{"role":"user","content":"Hi"}]}'

  # one quick round, machine-readable
  stampede probe --url http://127.0.0.1:8080/v1/items -H "X-API-Key: $KEY" \
    --rounds 1 --max-requests 500 --format json -q`

func newProbeCmd(e *env) *cobra.Command {
	f := &probeFlags{}
	cmd := &cobra.Command{
		Use:     "probe",
		Short:   "Check whether a rate limiter's Retry-After tells the truth",
		Long:    probeLong,
		Example: probeExample,
		Args:    noArgs("give the target with --url URL, and quote header values (-H 'Name: value')"),
		RunE:    func(cmd *cobra.Command, _ []string) error { return runProbe(cmd.Context(), e, f) },
	}
	f.register(cmd.Flags())
	return cmd
}

// register adds the probe's flags.
func (f *probeFlags) register(fl *pflag.FlagSet) {
	d := probe.DefaultBounds()
	fl.SortFlags = false
	f.requestFlags.register(fl, "probe")
	fl.StringArrayVar(&f.secretHeaders, "secret-header", nil, "another header `name` whose value is secret (repeatable)")
	fl.StringVar(&f.startRate, "start-rate", pace.RateString(d.StartRate), "`rate` of the ramp's first step")
	fl.StringVar(&f.maxRate, "max-rate", pace.RateString(d.MaxRate), "highest `rate` of the ramp: a whole step at it without a 429 ends the probe")
	fl.DurationVar(&f.step, "step", d.Step, "how long each rate of the ramp lasts; each step doubles it")
	fl.DurationVar(&f.maxTime, "max-time", d.MaxTime, "bound on the whole probe: no request leaves after it")
	fl.IntVar(&f.maxRequests, "max-requests", d.MaxRequests, "bound on the requests sent in all")
	fl.IntVar(&f.rounds, "rounds", d.Rounds, "rounds of trigger and check")
	fl.DurationVar(&f.margin, "margin", d.Margin, "how long after the advertised wait the deadline request leaves")
	fl.IntVar(&f.maxInFlight, "max-in-flight", d.MaxInFlight, "requests of a ramp in flight at once")
	fl.DurationVar(&f.timeout, "timeout", attack.DefaultTimeout, "timeout of each request, response body included; 0 for none")
	fl.StringVarP(&f.format, "format", "f", "text", formatUsage+": text or json")
	fl.StringVarP(&f.output, "output", "o", "-", reportOutputUsage)
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress lines on stderr")
}

func runProbe(ctx context.Context, e *env, f *probeFlags) error {
	opts, target, err := probeOptions(ctx, e, f)
	if err != nil {
		return err
	}
	if !f.quiet {
		opts.Progress = func(line string) { fmt.Fprintf(e.stderr, "probe: %s\n", line) }
	}
	res, err := probe.Run(ctx, opts)
	rep := reports.ProbeReport{Target: target, Result: res}
	if err != nil {
		if res.Requests > 0 && len(res.Rounds) > 0 {
			_ = printProbe(e, f, rep)
		}
		return runtimeError(fmt.Errorf("probe: %w", err))
	}
	if err := printProbe(e, f, rep); err != nil {
		return err
	}
	var cause signalCause
	if res.Stopped == probe.StopInterrupted && errors.As(context.Cause(ctx), &cause) {
		return &exitError{code: cause.exitCode(), err: cause}
	}
	if res.Verdict != probe.Honest {
		return &exitError{code: exitThreshold, err: fmt.Errorf("probe verdict: %s", res.Verdict)}
	}
	return nil
}

// printProbe writes the report in the chosen format to --output.
func printProbe(e *env, f *probeFlags, rep reports.ProbeReport) error {
	return writeOutput(e, "--output", f.output, func(w io.Writer) error {
		var err error
		if f.format == "json" {
			err = reports.ProbeJSON(w, rep)
		} else {
			err = reports.ProbeText(w, rep)
		}
		if err != nil {
			return runtimeError(fmt.Errorf("write report: %w", err))
		}
		return nil
	})
}

// probeOptions turns flags into the probe's options and a description of
// the target with secrets masked, reporting every bound's problem at once.
func probeOptions(ctx context.Context, e *env, f *probeFlags) (probe.Options, string, error) {
	var o probe.Options
	if f.format != "text" && f.format != "json" {
		return o, "", usageErrorf("--format %q: want text or json", f.format)
	}
	if f.url == "" {
		return o, "", usageErrorf("no target: give --url URL")
	}
	req, err := f.requestFlags.parts(ctx)
	if err != nil {
		return o, "", err
	}
	t, err := attack.Static(req.method, f.url, req.header, req.body)
	if err != nil {
		return o, "", usageErrorf("--url: %v", err)
	}
	if f.timeout < 0 {
		return o, "", usageErrorf("--timeout %s: must not be negative (0 for no timeout)", f.timeout)
	}
	b, msgs := f.bounds()
	// The attack's transport, a connection per request in flight: the
	// probe sends only the headers given, and follows no redirect (every
	// request the target receives counts against --max-requests).
	client, err := attack.NewClient(attack.TransportOptions{Timeout: f.timeout, Connections: max(f.maxInFlight, 1), KeepAlive: true})
	if err != nil {
		return o, "", runtimeError(err)
	}
	o = probe.Options{Target: t, Bounds: b, Client: client}
	if len(msgs) == 0 {
		for _, err := range o.Validate() {
			msgs = append(msgs, flagProblem(err))
		}
	}
	if len(msgs) > 0 {
		return o, "", usageErrorf("%s", strings.Join(msgs, "; "))
	}
	policy := redact.NewPolicy(f.secretHeaders...)
	// A target may echo the request's secrets back in a header the probe
	// keeps (Retry-After): mask them, and bearer tokens and secret JSON
	// members, before the probe stores or prints anything.
	secrets := targetSecrets(policy, t)
	o.Redact = func(text string) string { return policy.Body(text, secrets) }
	return o, t.Method + " " + policy.URL(t.URL), nil
}

// bounds are the probe's bounds of the flags, and the problems of the
// rates that do not parse.
func (f *probeFlags) bounds() (probe.Bounds, []string) {
	var msgs []string
	b := probe.Bounds{
		Step: f.step, MaxTime: f.maxTime, MaxRequests: f.maxRequests, Rounds: f.rounds,
		Margin: f.margin, MaxInFlight: f.maxInFlight,
	}
	for _, r := range []struct {
		name, value string
		into        *float64
	}{{"start-rate", f.startRate, &b.StartRate}, {"max-rate", f.maxRate, &b.MaxRate}} {
		v, err := pace.ParseRate(r.value)
		if err != nil {
			msgs = append(msgs, fmt.Sprintf("--%s %q: %v", r.name, r.value, err))
			continue
		}
		*r.into = v
	}
	return b, msgs
}
