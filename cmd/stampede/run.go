package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/attack"
	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/internal/suggest"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
	"github.com/stampede-dev/stampede/reports"
	"github.com/stampede-dev/stampede/scenario"
	"github.com/stampede-dev/stampede/thresholds"
)

// runFlags are the flags of `stampede run`.
type runFlags struct {
	output, format, baseURL, shard, runID string
	list, dryRun, abortOnFail, quiet      bool
	allowLiteralSecrets                   bool
	timeout                               time.Duration
	workers, maxWorkers                   uint64
	workerLimit                           uint64 // the attack's MaxWorkers, from both (workerBound)
	workersSet, maxWorkersSet             bool   // --workers, --max-workers given
	reports                               []string
	judge                                 judgeFlags
	compare                               compareFlags
	split                                 records.Shard // --shard i/N read
	metrics                               metricsFlags
}

// runLong is the help text of stampede run.
const runLong = `Run a profile: a load test kept as a YAML file (docs/profiles.md) with
its target, its requests, its phases in order (load, pause, probe), its
thresholds and its reports. NAME is a bundled profile (stampede run --list):
one per simulated seed API, and the demo's.

The live display names the phase running. At the end: the summary, the
thresholds with what each measured, the reports the profile names, and the
exit code: 0 when every threshold held, 1 when one failed, 2 for a profile
or flag error, 3 when the run itself failed, 130/143 when interrupted.
Without thresholds in the profile or --threshold, the defaults apply: the
rate-limit contract holds, transport failures and server errors (5xx) are
at most 1 % each, and the run finished.`

// runExample are the examples of stampede run's help.
const runExample = `  # a bundled profile against the simulation (stampede serve in another terminal)
  stampede run mira-chat

  # your own profile against staging; what it would do first
  stampede run load/checkout.yaml --base-url https://staging.example.com --dry-run
  stampede run load/checkout.yaml --base-url https://staging.example.com

  # tonight against last night: a 20 % slower p99 fails the job
  stampede run nightly.yaml -o tonight.bin --baseline last-night.bin \
    --threshold 'latency.p99 < 1.2 * baseline.latency.p99'

  # stop as soon as an abortable threshold can no longer hold
  stampede run nightly.yaml --abort-on-fail

  # one of 4 shards of the profile (Kubernetes: --shard $(JOB_COMPLETION_INDEX)/4);
  # stampede report of the 4 files judges the run: docs/distributed.md
  stampede run nightly.yaml --shard 2/4 --run-id nightly-42 -o nightly-42-shard-2.bin

  # watch every shard live in one Grafana dashboard (deploy/grafana)
  stampede run nightly.yaml --shard 2/4 --run-id nightly-42 --metrics-addr :9464

  # the whole profile once per retry policy, side by side
  stampede run mira-chat --compare-retry none,immediate,exponential --report html=storm.html`

func newRunCmd(e *env) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:     "run FILE|NAME",
		Short:   "Run a profile: phases, thresholds and reports from a YAML file",
		Long:    runLong,
		Example: runExample,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("give one profile, a file or a bundled name; got %d", len(args))
			}
			if len(args) == 0 && !f.list {
				return usageErrorf("give a profile file or a bundled profile's name (stampede run --list)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.workersSet, f.maxWorkersSet = cmd.Flags().Changed("workers"), cmd.Flags().Changed("max-workers")
			f.limitWorkers()
			if f.list {
				return listProfiles(e)
			}
			if f.dryRun { // sends nothing: the endpoint is checked, not bound
				if err := f.metrics.check(); err != nil {
					return err
				}
				return runProfileOrCompare(cmd, e, f, args[0])
			}
			return f.metrics.serve(cmd.Context(), e, func() error { return runProfileOrCompare(cmd, e, f, args[0]) })
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// runProfileOrCompare runs the profile, or compares retry policies.
func runProfileOrCompare(cmd *cobra.Command, e *env, f *runFlags, arg string) error {
	if compares, err := profileCompares(cmd, f, arg); err != nil || compares {
		if err != nil {
			return err
		}
		return runCompareProfile(cmd, e, f, arg)
	}
	return runProfile(cmd, e, f, arg)
}

func (f *runFlags) register(fl *pflag.FlagSet) {
	fl.SortFlags = false
	fl.BoolVar(&f.list, "list", false, "list the bundled profiles")
	fl.BoolVar(&f.dryRun, "dry-run", false, "check the profile and print the plan (phases, rates, requests expected, thresholds); send nothing")
	fl.StringVar(&f.baseURL, "base-url", "", "send the profile's requests to this `URL` instead of its target.base-url")
	fl.BoolVar(&f.abortOnFail, "abort-on-fail", false, "stop the run once a threshold marked abort: true fails (checked every second)")
	fl.StringVarP(&f.output, "output", "o", "stampede-results.bin", resultOutputUsage)
	fl.StringVarP(&f.format, "format", "f", "text", summaryFormatUsage)
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress display")
	fl.StringArrayVar(&f.reports, "report", nil, "also write a report, as `FORMAT=PATH` (repeatable; beside the profile's reports:)")
	f.judge.register(fl)
	fl.BoolVar(&f.allowLiteralSecrets, "allow-literal-secrets", false, "accept secrets written in the profile itself (refused by default: read them from the environment)")
	fl.DurationVar(&f.timeout, "timeout", attack.DefaultTimeout, "timeout of each request, response body included; 0 for none")
	fl.Uint64Var(&f.workers, "workers", attack.DefaultWorkers, "initial number of workers")
	fl.Uint64Var(&f.maxWorkers, "max-workers", attack.DefaultMaxWorkers, maxWorkersUsage)
	fl.StringVar(&f.shard, "shard", "", shardHelp)
	fl.StringVar(&f.runID, "run-id", "", "`id` shared by the shards of one run (default random)")
	f.compare.register(fl)
	f.metrics.register(fl)
}

// listProfiles prints the bundled profiles.
func listProfiles(e *env) error {
	rows := [][]string{}
	for _, name := range profiles.Bundled() {
		p, errs := profiles.LoadBundled(name, profiles.LoadOptions{})
		desc := ""
		if len(errs) == 0 {
			desc = p.Description
		}
		rows = append(rows, []string{name, desc})
	}
	return reports.Table(e.stdout, []string{"Profile", "What it runs"}, rows)
}

// loadProfile reads a profile file, or a bundled profile by name; every
// problem of the file is a usage error, one per line.
func loadProfile(arg string, f *runFlags) (*profiles.Profile, error) {
	p, problems, err := readProfile(arg, f)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, usageErrorf("%s", problemLines(problems))
	}
	return p, nil
}

// readProfile reads a profile file, or a bundled profile by name, and
// returns it or its problems; err says that there is no such profile.
func readProfile(arg string, f *runFlags) (*profiles.Profile, []error, error) {
	opts := profiles.LoadOptions{
		AllowLiteralSecrets: f.allowLiteralSecrets, BaseURL: f.baseURL,
		CheckThreshold: checkThreshold,
	}
	var p *profiles.Profile
	var problems []error
	if _, err := os.Stat(arg); err == nil || strings.ContainsAny(arg, "/.") {
		p, problems = profiles.LoadFile(arg, opts)
	} else if _, ok := profiles.BundledSource(arg); ok {
		p, problems = profiles.LoadBundled(arg, opts)
	} else {
		msg := fmt.Sprintf("no profile file %q and no bundled profile of that name (bundled: %s)", arg, strings.Join(profiles.Bundled(), ", "))
		if near := suggest.Nearest(strings.TrimSuffix(arg, ".yaml"), profiles.Bundled()); near != "" {
			msg += fmt.Sprintf("; did you mean %s?", near)
		}
		return nil, nil, usageErrorf("%s", msg)
	}
	if len(problems) > 0 {
		return nil, problems, nil
	}
	return p, nil, nil
}

// checkThreshold checks a profile's threshold: it compiles, and the
// request names it reads are the profile's.
func checkThreshold(expr string, requests []string) error {
	th, err := thresholds.Compile("", expr, false)
	if err != nil {
		return err
	}
	for _, name := range th.Requests() {
		if !slices.Contains(requests, name) {
			msg := fmt.Sprintf("no request %q in requests:", name)
			if near := suggest.Nearest(name, requests); near != "" {
				msg += fmt.Sprintf(" did you mean %q?", near)
			}
			return errors.New(msg)
		}
	}
	return nil
}

// problemLines renders a profile's problems, one per line.
func problemLines(errs []error) string {
	lines := make([]string, len(errs))
	for i, err := range errs {
		lines[i] = err.Error()
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d problems: %s (stampede validate lists them one per line)", len(lines), strings.Join(lines, "; "))
}

// profileThresholds compiles the profile's thresholds and those of
// --threshold (which add to them).
func profileThresholds(p *profiles.Profile, extra []string) ([]*thresholds.Threshold, error) {
	var out []*thresholds.Threshold
	for _, t := range p.Thresholds {
		th, err := thresholds.Compile(t.Name, t.Expr, t.Abort)
		if err != nil { // the loader checked it: cannot happen
			return nil, usageErrorf("%s:%d:%d: threshold %q: %v", p.File, t.Line, t.Col, t.Expr, err)
		}
		out = append(out, th)
	}
	names := make([]string, len(p.Requests))
	for i, r := range p.Requests {
		names[i] = r.Name
	}
	for _, src := range extra {
		if err := checkThreshold(src, names); err != nil {
			return nil, usageErrorf("--threshold %q: %v", clipped(src, 120), err)
		}
		th, _ := thresholds.Compile("", src, false)
		out = append(out, th)
	}
	if len(out) > profiles.MaxThresholds {
		return nil, usageErrorf("%d thresholds (the profile's and --threshold): at most %d", len(out), profiles.MaxThresholds)
	}
	return out, nil
}

// runProfile runs a profile end to end.
func runProfile(cmd *cobra.Command, e *env, f *runFlags, arg string) error {
	pr, err := prepareProfile(cmd, e, f, arg)
	if err != nil || f.dryRun {
		return err
	}
	if pr.file != nil {
		defer pr.file.Close()
	}
	defer pr.vegeta.Close()
	run, interrupted, err := pr.execute(cmd.Context(), e)
	if err != nil {
		return err
	}
	if pr.file != nil {
		if err := pr.file.Close(); err != nil {
			return runtimeError(fmt.Errorf("close result file: %w", err))
		}
		run.ResultFile = f.output
	}
	pr.judge.apply(&run)
	if err := printSummary(pr.summary, f.format, run, reports.Options{}, pr.vegeta); err != nil {
		return err
	}
	if err := writeReports(e, pr.reports, run, reports.Options{}, pr.vegeta); err != nil && interrupted == nil {
		return err
	}
	if interrupted != nil {
		return &exitError{code: interrupted.exitCode(), err: *interrupted}
	}
	return shardVerdict(e, f.split, run)
}

// preparedProfile is a profile ready to run.
type preparedProfile struct {
	plan     *scenario.Plan
	judge    judge
	header   records.Header
	file     *os.File
	records  io.Writer
	summary  io.Writer     // where the summary goes: stderr when the records go to stdout
	vegeta   *vegetaExport // the vegeta-json report; nil for none
	reports  []reportSpec
	classify classify.Options
	contract contract.Options
	f        *runFlags
	probes   []probefile.Report
	mu       sync.Mutex
	// beforeProbe, if set, is called as each probe phase starts (the demo
	// takes its simulation's count of the load phases then).
	beforeProbe func()
}

// prepareProfile loads and plans the profile, compiles its thresholds,
// reads the baseline, and opens the result file (last).
func prepareProfile(cmd *cobra.Command, e *env, f *runFlags, arg string) (*preparedProfile, error) {
	p, err := loadProfile(arg, f)
	if err != nil {
		return nil, err
	}
	return preparePlan(cmd, e, f, p)
}

// preparePlan plans a loaded profile (see prepareProfile).
func preparePlan(cmd *cobra.Command, e *env, f *runFlags, p *profiles.Profile) (*preparedProfile, error) {
	var err error
	if f.split, err = shardOf(f.shard, f.runID, f.output); err != nil {
		return nil, err
	}
	plan, err := runnable(p, f)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	pr := &preparedProfile{f: f, plan: plan}
	ths, err := profileThresholds(p, f.judge.thresholds)
	if err != nil {
		return nil, err
	}
	pr.judge = judge{thresholds: ths, defaults: f.judge.defaults}
	if err := pr.judge.readBaseline(cmd.Context(), f.judge.baseline); err != nil {
		return nil, err
	}
	if err := f.check(p); err != nil {
		return nil, err
	}
	if err := pr.options(p); err != nil {
		return nil, err
	}
	if f.dryRun {
		if _, err := parseReportSpecs(f.reports, f.output); err != nil {
			return nil, err
		}
		return pr, printPlan(e.stdout, pr.plan, pr.judge, f.compare)
	}
	if pr.reports, err = profileReports(p, f); err != nil {
		return nil, err
	}
	pr.header = profileHeader(cmd, f, pr.plan)
	pr.header.Thresholds = headerThresholds(ths)
	if pr.vegeta, err = newVegetaExport(f.format, pr.reports); err != nil {
		return nil, err
	}
	err = interruptibly(cmd.Context(), func() (err error) {
		pr.records, pr.summary, pr.file, err = openOutput(e, f.output)
		return err
	})
	if err != nil {
		pr.vegeta.Close()
	}
	return pr, err
}

// runnable plans a profile, checking what loading it does not: that its
// phases can be planned (their total length), and its TLS files make a
// transport. validate and run both ask.
func runnable(p *profiles.Profile, f *runFlags) (*scenario.Plan, error) {
	plan, err := scenario.NewShard(p, f.split)
	var empty *records.EmptyShareError
	if errors.As(err, &empty) {
		return nil, fmt.Errorf("--shard %s: %s: phases: %w", f.split, p.File, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: phases: %v", p.File, err)
	}
	if _, err := attack.NewClient(transportOf(p.Target.TLS, f.timeout)); err != nil {
		return nil, fmt.Errorf("%s: target.tls: %v", p.File, err)
	}
	return plan, nil
}

// limitWorkers sets the attack's bound on workers from the flags, as
// attack does: --max-workers 0 is no limit, an explicit start above the
// default bound raises it, and the default start of 10 yields to an
// explicit bound below it.
func (f *runFlags) limitWorkers() {
	f.workers, f.workerLimit = workerLimits(f.workers, f.maxWorkers, f.workersSet, f.maxWorkersSet)
}

// closedOnly reports whether every load phase of p is a closed model's.
func closedOnly(p *profiles.Profile) bool {
	closed := false
	for _, ph := range p.Phases {
		if ph.Kind == profiles.PhaseLoad {
			if ph.Plan.Concurrency == 0 {
				return false
			}
			closed = true
		}
	}
	return closed
}

// check checks the flags of run against each other and the profile.
func (f *runFlags) check(p *profiles.Profile) error {
	if err := checkSummaryFormat(f.format); err != nil {
		return err
	}
	switch {
	case f.timeout < 0:
		return usageErrorf("--timeout %s: must not be negative (0 for no timeout)", f.timeout)
	case f.workers == 0:
		return usageErrorf("--workers 0: want at least 1")
	case f.workers > f.workerLimit:
		return usageErrorf("--workers %d: more than --max-workers %d", f.workers, f.maxWorkers)
	case (f.workersSet || f.maxWorkersSet) && closedOnly(p):
		return usageErrorf("--workers and --max-workers pace the open model, and every load phase of %s is a closed model's (concurrency:): drop them", p.Name)
	}
	for _, b := range f.judge.baseline {
		if samePath(b, f.output) {
			return usageErrorf("--baseline %s is the result file (-o): the run would overwrite what it is compared with", b)
		}
	}
	if f.baseURL == "" {
		return nil
	}
	for _, r := range p.Requests { // a request written with its own URL would go elsewhere, with the auth
		if u := r.URL.Expand(profiles.TemplateContext{}); !strings.HasPrefix(u, strings.TrimSuffix(f.baseURL, "/")) {
			return usageErrorf("--base-url %s: request %s has a URL of its own (%s), which --base-url does not move; write its path relative to target.base-url", f.baseURL, r.Name, redact.NewPolicy().URL(u))
		}
	}
	return nil
}

// options are the classifier's and the contract checker's options of a
// profile.
func (pr *preparedProfile) options(p *profiles.Profile) error {
	policy := redact.NewPolicy()
	if a := p.Target.Auth; a != nil {
		policy = redact.NewPolicy(a.Header) // whatever its name, the auth's header is secret
	}
	secrets := profileSecrets(p, policy)
	pr.classify = classify.Options{Redact: policy, Secrets: secrets}
	for _, s := range p.Target.Classify {
		r, err := classify.ParseRule(s)
		if err != nil {
			return usageErrorf("%s: classify %q: %v", p.File, s, err)
		}
		pr.classify.Rules = append(pr.classify.Rules, r)
	}
	c := p.Target.Contract
	pr.contract = contract.Options{MaxRetryAfter: c.MaxRetryAfter, AdmitMargin: c.AdmitMargin, Settle: pr.f.timeout, Severity: map[contract.RuleID]contract.Severity{}}
	for name, sev := range c.Severity {
		rule, ok := contract.RuleByName(name)
		if !ok {
			return usageErrorf("%s: contract severity: no rule %q", p.File, name)
		}
		var s contract.Severity
		_ = s.UnmarshalText([]byte(sev))
		pr.contract.Severity[rule.ID] = s
	}
	pr.contract.Redact = func(s string) string { return policy.Body(s, secrets) }
	return nil
}

// profileSecrets are the secrets a profile's requests carry: its auth's,
// and the values of secret headers and query parameters (Authorization,
// X-API-Key, ?api_key=…) of the target and of every request, as the
// environment filled them in. They are masked wherever the target may
// echo them: messages, samples, evidence.
func profileSecrets(p *profiles.Profile, policy redact.Policy) []string {
	var reqs []redact.Request
	if a := p.Target.Auth; a != nil && a.Secret != "" {
		h := http.Header{}
		h.Set(a.Header, a.Value())
		reqs = append(reqs, redact.Request{Header: h})
	}
	reqs = append(reqs, redact.Request{Header: p.Target.Headers, URL: p.Target.BaseURL})
	for _, r := range p.Requests {
		h := http.Header{}
		for k, v := range r.Header {
			h.Set(k, v.Expand(profiles.TemplateContext{}))
		}
		reqs = append(reqs, redact.Request{Header: h, URL: r.URL.Expand(profiles.TemplateContext{})})
	}
	secrets := policy.Secrets(reqs...)
	if a := p.Target.Auth; a != nil && a.Secret != "" && !slices.Contains(secrets, a.Secret) {
		secrets = append(secrets, a.Secret) // a header the policy does not know as secret still carries it
	}
	return secrets
}

// profileReports are the profile's reports and those of --report.
func profileReports(p *profiles.Profile, f *runFlags) ([]reportSpec, error) {
	values := make([]string, 0, len(p.Reports)+len(f.reports))
	for _, r := range p.Reports {
		values = append(values, r.Format+"="+r.Path)
		// A profile's reports go where it says, as CI jobs expect them.
		if err := os.MkdirAll(filepath.Dir(r.Path), 0o755); err != nil {
			return nil, usageErrorf("%s: reports: %s: %v", p.File, r.Format, err)
		}
	}
	return parseReportSpecs(append(values, f.reports...), f.output)
}

// profileHeader is what the result file says of a profile's run.
func profileHeader(cmd *cobra.Command, f *runFlags, plan *scenario.Plan) records.Header {
	_, d := plan.Planned()
	runID := f.runID
	if runID == "" {
		runID = newRunID()
	}
	p := plan.Profile
	return records.Header{
		Start: time.Now(), Command: commandLine(cmd, redact.NewPolicy()),
		Target: "profile " + p.Name + " at " + redact.NewPolicy().URL(p.Target.BaseURL), Pacer: phasesLine(plan),
		Duration: d, Concurrency: closedConcurrency(plan), RunID: runID, Shard: shardName(f.shard, f.split), Tool: "stampede " + version,
	}
}

// closedConcurrency is the largest concurrency of a profile whose every
// load leg is a closed model's, 0 when one is paced (its latency is then
// measured from the schedule, and a closed model's caveat would mislead).
func closedConcurrency(plan *scenario.Plan) uint64 {
	var n uint64
	for _, leg := range plan.Legs {
		switch {
		case leg.Closed():
			n = max(n, leg.Concurrency)
		case leg.Sequence != nil:
			return 0
		}
	}
	return n
}

// phasesLine describes the phases on one line, with the planned total.
func phasesLine(plan *scenario.Plan) string {
	var parts []string
	for _, ph := range plan.Profile.Phases {
		switch ph.Kind {
		case profiles.PhaseLoad:
			parts = append(parts, fmt.Sprintf("%s: %s (%s)", ph.Name, ph.Plan, ph.Plan.Duration))
		case profiles.PhasePause:
			parts = append(parts, fmt.Sprintf("%s: pause (%s)", ph.Name, ph.Pause))
		case profiles.PhaseProbe:
			parts = append(parts, fmt.Sprintf("%s: probe of %s (≤ %s)", ph.Name, ph.Probe.Request, ph.Probe.MaxTime))
		}
	}
	return strings.Join(parts, ", then ") + "; in all" // reports add "for 32s", the plan's total
}
