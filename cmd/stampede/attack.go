package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/attack"
	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/progress"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/reports"
)

// attackFlags are the flags of `stampede attack`, before interpretation.
type attackFlags struct {
	requestFlags
	targets, targetsFormat        string
	secretHeaders                 []string
	load                          loadFlags
	retry                         retryFlags
	compare                       compareFlags
	workers, maxWorkers           uint64
	connections, maxConnections   int
	timeout                       time.Duration
	http2, insecure, keepalive    bool
	output, format, shard, runID  string
	uncorrected, quiet, histogram bool
	workersSet, maxWorkersSet     bool          // --workers, --max-workers given explicitly
	split                         records.Shard // --shard i/N read
	wholeLoad                     string        // the load of the whole run, of which a shard's is a share
	classify                      []string
	maxClasses                    int
	classifyLimit                 string
	retryAfterMax                 time.Duration
	reports                       []string // FORMAT=PATH
	judge                         judgeFlags
	metrics                       metricsFlags
}

// attackLong is the help text of stampede attack.
const attackLong = `Send HTTP requests on a schedule (an open model: requests leave on time
whatever the target does), write one record per response to a result file,
and print a summary.

Latency is measured from the moment each request was scheduled to leave, so
a slow target cannot hide the queueing it causes (see docs/latency.md);
--uncorrected also shows latency from the actual send, like wrk2 -U.

--concurrency N runs a closed model instead: N workers, each sending its
next request when its previous one is answered (wrk -c, k6 constant-vus);
its latency runs from each actual send, so it cannot show coordinated
omission, and every report says so.

Load shapes (--pace; a shape's own flags imply it: --steps alone is --pace steps):
  constant  --rate 200/s
  ramp      --ramp-from 10/s --ramp-to 200/s [--ramp-over 1m]   (default: over the whole duration)
  steps     --steps 100/s@30s,200/s@30s                        (duration defaults to their total)
  spike     --spike-base 50/s --spike-peak 500/s --spike-at 10s --spike-for 5s
  sine      --sine-mean 100/s --sine-amplitude 50/s --sine-period 1m
Rates use vegeta's syntax: 200, 200/s, 50/100ms, 3000/m.

Every response is classified by status, error code and message: the code
and message are read from the body in whatever error dialect the API speaks
(RFC 9457 problem+json, {"detail"}, {"error": "Type", "message"},
{"error": {"code", "message"}}, {"success": false, "error": {…}},
{"code", "message"}, {"errors": […]}, HTML and text pages), and each class
gets a category (validation, rate_limit, …) and a retryable flag. Rules
given with --classify (comma-separated key=value pairs; "\," is a literal
comma) say where an API's code is, or what a class means:
  path=/v1/,status=4xx    select responses (both optional)
  dialect=NAME            read bodies in one dialect: problem, envelope,
                          error-object, error-string, errors, detail, flat,
                          generic, json, html, xml, text
  code-path=$.a.b[0].c    the code is at this JSON path
  code-regex=RE           the code is RE's match (or its group) in the body
  code=X, message=RE      select by the code or message found (overrides only)
  category=NAME           override the category
  retryable=true|false    override the retryable flag
Bodies are read for classification from status 400 on, and for the statuses
a rule that finds the code names (status=200,code-path=… for GraphQL
errors); gzip and deflate bodies are inflated. See docs/classification.md.

Every response is also checked against the rate-limit contract: a 429
carries a valid Retry-After (delay-seconds or an HTTP-date, at most
--retry-after-max, not 0, agreeing with a wait the body states), the
X-RateLimit-* / RateLimit headers are valid and consistent, and a request
sent once an advertised wait has passed is admitted. The summary lists each
rule with its evidence; see docs/rate-limit-contract.md.

With --retry the simulated clients retry failed requests (immediate,
exponential with --jitter none|full|equal, or decorrelated backoff; by
default the classes marked retryable, honouring Retry-After for the
backoff policies); every attempt is a record, and the summary shows the
amplification, eventual success, time to success and recovery.
--compare-retry runs the same load once per policy and sets them side by
side: the storm that naive retries cause. See docs/retries.md.

Headers named Authorization, X-API-Key, Cookie and the like, and any named
with --secret-header, are redacted in the result file and reports; their
values are also masked in the error messages and sample bodies kept.`

// attackExample are the examples of stampede attack's help.
const attackExample = `  # 500 requests per second for 5 seconds, records to r.bin
  stampede attack --url http://127.0.0.1:8080/ --rate 500/s --duration 5s -o r.bin

  # POST a JSON body with a bearer token, JSON summary on stdout
  stampede attack --url http://127.0.0.1:8080/v1/chat/completions \
    -H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
    --body-file req.json --rate 20/s --format json

  # ramp from 10/s to 300/s over a minute
  stampede attack --url http://127.0.0.1:8080/ --pace ramp --ramp-from 10/s --ramp-to 300/s --duration 1m

  # a closed model: 64 workers as fast as the target answers them
  stampede attack --url http://127.0.0.1:8080/ --concurrency 64 --duration 30s

  # many endpoints from a vegeta targets file, until Ctrl-C
  stampede attack --targets targets.txt --rate 100/s --duration 0

  # watch it live in Prometheus and Grafana (docs/metrics.md): /metrics on port 9464,
  # served 30 s past the end so that the last scrape sees the final counts
  stampede attack --url http://127.0.0.1:8080/ --rate 100/s --duration 10m \
    --metrics-addr 127.0.0.1:9464 --metrics-linger 30s

  # a 429 whose code says the quota is gone is a payment problem, not a retry;
  # GraphQL errors arrive in 200s; latency histograms of the top classes
  stampede attack --url http://127.0.0.1:8080/graphql --rate 50/s --duration 30s \
    --classify 'status=429,code=insufficient_quota,category=payment,retryable=false' \
    --classify 'status=200,code-path=$.errors[0].extensions.code' --histogram

  # clients that retry with exponential backoff and jitter, at most 10 % more load
  stampede attack --url http://127.0.0.1:8080/ --rate 100/s --duration 30s \
    --retry exponential --retry-max 3 --retry-budget 10% --threshold 'retries.amplification < 1.5'

  # shard 0 of 4 of one run (run the others with 1/4, 2/4, 3/4 elsewhere), then
  # judge the merged run: docs/distributed.md
  stampede attack --targets targets.txt --rate 2000/s --duration 10m --shard 0/4 --run-id nightly-42 -o nightly-42-shard-0.bin
  stampede report nightly-42-shard-*.bin

  # the retry storm: the same load with no, immediate and exponential retries
  stampede attack --url http://127.0.0.1:8080/ --rate 40/s --duration 20s \
    --compare-retry none,immediate,exponential --report html=storm.html`

func newAttackCmd(e *env) *cobra.Command {
	f := &attackFlags{}
	cmd := &cobra.Command{
		Use:     "attack",
		Short:   "Send paced HTTP load and summarise every response",
		Long:    attackLong,
		Example: attackExample,
		// The arguments are not quoted: a header value split by the shell
		// (-H Authorization: Bearer sk-…) lands here.
		Args: noArgs("give the target with --url URL or --targets FILE, and quote header values (-H 'Name: value')"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.workersSet, f.maxWorkersSet = cmd.Flags().Changed("workers"), cmd.Flags().Changed("max-workers")
			f.load.imply(cmd.Flags())
			return f.metrics.serve(cmd.Context(), e, func() error {
				if f.compare.policies != "" {
					return runCompare(cmd, e, f)
				}
				return runAttack(cmd, e, f)
			})
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	f.requestFlags.register(fl, "attack")
	fl.StringVar(&f.targets, "targets", "", "vegeta targets `file` (http or json format) instead of --url; - for stdin")
	fl.StringVar(&f.targetsFormat, "targets-format", "", "`format` of --targets: http or json (default detected)")
	f.load.register(fl)
	f.retry.register(fl)
	f.compare.register(fl)
	f.registerTransport(fl)
	f.registerOutput(fl)
	f.judge.register(fl)
	f.metrics.register(fl)
	return cmd
}

func runAttack(cmd *cobra.Command, e *env, f *attackFlags) error {
	p, err := prepareAttack(cmd, e, f)
	if err != nil {
		return err
	}
	if p.file != nil {
		defer p.file.Close()
	}
	defer p.x.vegeta.Close()
	run, interrupted, err := execute(cmd.Context(), e, p.x)
	if err != nil {
		return err
	}
	if p.file != nil {
		if err := p.file.Close(); err != nil {
			return runtimeError(fmt.Errorf("close result file: %w", err))
		}
		run.ResultFile = f.output
	}
	p.judge.apply(&run)
	view := reports.Options{Uncorrected: f.uncorrected, Histogram: f.histogram}
	if err := printSummary(p.summary, f.format, run, view, p.x.vegeta); err != nil {
		return err
	}
	reportErr := writeReports(e, p.reports, run, view, p.x.vegeta)
	if interrupted != nil {
		if reportErr != nil { // the signal decides the exit code; say what failed
			fmt.Fprintf(e.stderr, "stampede: %s\n", oneLine(reportErr.Error()))
		}
		return &exitError{code: interrupted.exitCode(), err: *interrupted}
	}
	if reportErr != nil {
		return reportErr
	}
	return shardVerdict(e, f.split, run)
}

// preparedAttack is an attack ready to run, and where what it writes goes.
type preparedAttack struct {
	x       execution
	file    *os.File  // the result file, to close; nil for none or stdout
	summary io.Writer // where the summary goes
	reports []reportSpec
	judge   judge
}

// prepareAttack checks every flag, then opens the result file (last: a
// mistake in a flag leaves an existing file alone).
func prepareAttack(cmd *cobra.Command, e *env, f *attackFlags) (preparedAttack, error) {
	var p preparedAttack
	policy := redact.NewPolicy(f.secretHeaders...)
	opts, target, err := attackOptions(cmd.Context(), e, f, policy)
	if err != nil {
		return p, err
	}
	if err := checkSummaryFormat(f.format); err != nil {
		return p, err
	}
	if f.histogram && f.format != "text" {
		return p, usageErrorf("--histogram draws in the text summary: drop it, or use --format text (the JSON has the quantiles of every class)")
	}
	if p.reports, err = parseReportSpecs(f.reports, f.output); err != nil {
		return p, err
	}
	classify, err := classifierOptions(f, opts.Targets, policy)
	if err != nil {
		return p, err
	}
	if f.retryAfterMax <= 0 {
		return p, usageErrorf("--retry-after-max %s: want a positive duration, such as 1h", f.retryAfterMax)
	}
	if p.judge, err = f.judge.prepare(cmd.Context()); err != nil {
		return p, err
	}
	for _, b := range f.judge.baseline {
		if samePath(b, f.output) {
			return p, usageErrorf("--baseline %s is the result file (-o): the run would overwrite what it is compared with", b)
		}
	}
	vegeta, err := newVegetaExport(f.format, p.reports)
	if err != nil {
		return p, err
	}
	var out io.Writer
	err = interruptibly(cmd.Context(), func() (err error) {
		out, p.summary, p.file, err = openOutput(e, f.output)
		return err
	})
	if err != nil {
		vegeta.Close()
		return p, err
	}
	p.x = execution{vegeta: vegeta,
		opts: opts, header: attackHeader(cmd, f, opts, target, policy), records: out, quiet: f.quiet, timeout: f.timeout,
		classify: classify, contract: contract.Options{MaxRetryAfter: f.retryAfterMax}, metrics: f.metrics.srv,
	}
	p.x.header.Thresholds = headerThresholds(p.judge.thresholds)
	return p, nil
}

// attackHeader is what the result file says of the run.
func attackHeader(cmd *cobra.Command, f *attackFlags, opts attack.Options, target string, policy redact.Policy) records.Header {
	runID := f.runID
	if runID == "" {
		runID = newRunID()
	}
	return records.Header{
		Start:       time.Now(),
		Command:     commandLine(cmd, policy),
		Target:      target,
		Pacer:       f.wholeLoad,
		Duration:    opts.Duration,
		Concurrency: opts.Concurrency,
		RunID:       runID,
		Shard:       shardName(f.shard, f.split),
		Tool:        "stampede " + version,
	}
}

// execution is one attack ready to run.
type execution struct {
	opts     attack.Options
	header   records.Header
	records  io.Writer // the result file; nil for none
	quiet    bool      // no progress display
	timeout  time.Duration
	classify classify.Options
	contract contract.Options
	metrics  *metricsServer // nil without --metrics-addr
	vegeta   *vegetaExport  // the vegeta-json report; nil for none
}

// execute runs an attack through the consume loop, with a progress
// display on stderr unless quiet, and returns what the summary shows.
// interrupted is the signal that cut the run short, if one did.
func execute(ctx context.Context, e *env, x execution) (run analyze.Run, interrupted *signalCause, err error) {
	classifier, err := classify.New(x.classify)
	if err != nil {
		return run, nil, usageErrorf("--classify: %v", err)
	}
	var display progress.Display = progress.Quiet{} // after every error that returns: the sink closes it
	if !x.quiet {
		display = progress.New(e.stderr, e.stderrTTY, x.opts.Duration, 5*time.Second)
	}
	live := liveOptions(ctx, e, x, classifier)
	src := analyze.Live(live)
	sinks := []analyze.Sink{progress.NewSink(display, x.opts.Duration)}
	if x.records != nil {
		sinks = append([]analyze.Sink{analyze.NewResultFile(x.records)}, sinks...)
	}
	sinks = x.metrics.sinks(x.vegeta.sinks(sinks), live.Checker)
	run, err = analyze.Consume(ctx, src, sinks...)
	if err != nil {
		return run, nil, runtimeError(err)
	}
	if x.records == nil {
		run.Records = 0 // none written
	}
	var cause signalCause
	if run.Interrupted != "" && errors.As(context.Cause(ctx), &cause) {
		interrupted = &cause
	}
	return run, interrupted, nil
}

// liveOptions are the options of an execution's live source.
func liveOptions(ctx context.Context, e *env, x execution, classifier *classify.Classifier) analyze.LiveOptions {
	// After an interrupt, attempts in flight end by their own timeout; the
	// margin covers those that left at the very moment of the interrupt.
	grace := x.timeout + 2*time.Second
	if x.timeout <= 0 {
		grace = attack.DefaultTimeout
	}
	return analyze.LiveOptions{
		Header: x.header, Classifier: classifier, Checker: contract.New(contractOptions(x)),
		Grace: grace, Abort: e.abort, MaxLateness: attack.MaxLateness,
		Start: func(bodyLimit int, needsBody func(uint16) bool) (analyze.Attack, error) {
			opts := x.opts
			opts.Capture = attack.Capture{Limit: bodyLimit, Status: needsBody}
			var err error
			if opts.Retryable, err = retryPredicate(x.classify); err != nil {
				return nil, err
			}
			atk, err := attack.Start(opts)
			if err != nil {
				return nil, err
			}
			return atk, nil
		},
		Interruption: func() string {
			var cause signalCause
			if errors.As(context.Cause(ctx), &cause) {
				return signalName(cause.sig)
			}
			return "interrupted"
		},
	}
}

// openOutput opens the result file named by -o: nothing for "", stdout for
// "-" (the summary then goes to stderr), else a file. It returns where
// records go, where the summary goes, and the file to close, if any.
func openOutput(e *env, name string) (out, summary io.Writer, file *os.File, err error) {
	switch name {
	case "":
		return nil, e.stdout, nil, nil
	case "-":
		return e.stdout, e.stderr, nil, nil
	}
	// Write-only: opening a FIFO read-write would make this process its
	// own reader and hang it once the pipe is full.
	file, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, nil, nil, usageErrorf("--output: %v", err)
	}
	return file, e.stdout, file, nil
}

// checkSummaryFormat checks --format: any report format.
func checkSummaryFormat(format string) error {
	if checkReportFormat(format) != nil {
		return usageErrorf("--format %q: want one of %s", format, strings.Join(reportFormats, ", "))
	}
	return nil
}

// summaryFormatUsage is the help of --format of attack and run.
var summaryFormatUsage = formatUsage + " of the summary: " + strings.Join(reportFormats, ", ")

// printSummary writes the summary of a run in the chosen format; that of
// vegeta-json is the run's records, from vx.
func printSummary(w io.Writer, format string, run analyze.Run, view reports.Options, vx *vegetaExport) error {
	if err := renderReport(w, format, run, view, vx); err != nil {
		var exit *exitError
		if errors.As(err, &exit) {
			return err
		}
		return runtimeError(fmt.Errorf("write summary: %w", err))
	}
	return nil
}

// attackOptions turns flags into attack options and a description of the
// target with secrets masked, reporting every load problem at once.
func attackOptions(ctx context.Context, e *env, f *attackFlags, policy redact.Policy) (attack.Options, string, error) {
	plan, errs := f.load.Plan()
	if len(errs) > 0 {
		return attack.Options{}, "", flagProblems(errs)
	}
	req, err := f.requestFlags.parts(ctx)
	if err != nil {
		return attack.Options{}, "", err
	}
	if err := f.checkTransport(); err != nil {
		return attack.Options{}, "", err
	}
	targets, described, err := attackTargets(ctx, e, f, req, policy)
	if err != nil {
		return attack.Options{}, "", err
	}
	if f.split, err = shardOf(f.shard, f.runID, f.output); err != nil {
		return attack.Options{}, "", err
	}
	f.wholeLoad = plan.String() // every shard's file names the run's
	if err := shareLoad(&plan, f.split); err != nil {
		return attack.Options{}, "", err
	}
	targets = attack.ShareTargets(targets, f.split)
	workers, maxWorkers := workerLimits(f.workers, f.maxWorkers, f.workersSet, f.maxWorkersSet)
	if plan.Concurrency > 0 {
		if !f.workersSet {
			workers = 0 // a closed model's workers are its concurrency
		}
		if !f.maxWorkersSet {
			maxWorkers = 0
		}
	}
	opts := attack.Options{
		Targets: targets, Shape: plan.Shape, Duration: plan.Duration, Concurrency: plan.Concurrency,
		Workers: workers, MaxWorkers: maxWorkers,
		Transport: attack.TransportOptions{
			Timeout: f.timeout, Connections: f.connections, MaxConnections: f.maxConnections,
			HTTP2: f.http2, Insecure: f.insecure, KeepAlive: f.keepalive,
		},
	}
	if opts.Retry, opts.RetryOn, err = f.retry.options(); err != nil {
		return attack.Options{}, "", err
	}
	if errs := opts.Validate(); len(errs) > 0 {
		return attack.Options{}, "", flagProblems(errs) // options are named as the flags are
	}
	return opts, described, nil
}

// checkTransport checks the flags of timeouts and connections.
func (f *attackFlags) checkTransport() error {
	switch {
	case f.timeout < 0:
		return usageErrorf("--timeout %s: must not be negative (0 for no timeout)", f.timeout)
	case f.connections < 1:
		return usageErrorf("--connections %d: must be at least 1", f.connections)
	case f.maxConnections < 0:
		return usageErrorf("--max-connections %d: must not be negative (0 for no limit)", f.maxConnections)
	}
	return nil
}

// attackTargets are the targets of --url or --targets, and a description
// of them with secrets masked.
func attackTargets(ctx context.Context, e *env, f *attackFlags, req request, policy redact.Policy) ([]vegeta.Target, string, error) {
	switch {
	case f.url != "" && f.targets != "":
		return nil, "", usageErrorf("--url and --targets: give one or the other")
	case f.url != "":
		t, err := attack.Static(req.method, f.url, req.header, req.body)
		if err != nil {
			return nil, "", usageErrorf("--url: %v", err)
		}
		if f.http2 && strings.HasPrefix(t.URL, "http:") {
			return nil, "", usageErrorf("--http2: HTTP/2 is negotiated over TLS only; use an https:// URL or drop --http2")
		}
		return []vegeta.Target{t}, t.Method + " " + policy.URL(t.URL), nil
	case f.targets != "":
		if f.method != "" {
			return nil, "", usageErrorf("--method applies to --url; a targets file gives each target its own method")
		}
		targets, err := targetsFile(ctx, e, f.targets, f.targetsFormat, req)
		if err != nil {
			return nil, "", err
		}
		described := targets[0].Method + " " + policy.URL(targets[0].URL)
		if len(targets) > 1 {
			described += fmt.Sprintf(" and %d more targets from %s", len(targets)-1, f.targets)
		}
		return targets, described, nil
	}
	return nil, "", usageErrorf("no target: give --url URL or --targets FILE")
}

// targetsFile reads the targets of --targets: a file, or standard input
// for "-". Reading gives up on an interrupt.
func targetsFile(ctx context.Context, e *env, path, format string, req request) ([]vegeta.Target, error) {
	src := e.stdin
	if path == "-" {
		var data []byte
		err := interruptibly(ctx, func() (err error) {
			data, err = io.ReadAll(io.LimitReader(e.stdin, attack.MaxTargetsSize+1))
			if err != nil {
				return usageErrorf("--targets -: read standard input: %v", err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		src = bytes.NewReader(data)
	}
	var targets []vegeta.Target
	err := interruptibly(ctx, func() (err error) {
		if path != "-" {
			file, err := os.Open(path)
			if err != nil {
				return usageErrorf("--targets: %v", err)
			}
			defer file.Close()
			src = file
		}
		if targets, err = attack.LoadTargets(src, format, req.header, req.body); err != nil {
			return usageErrorf("--targets %s: %v", path, err)
		}
		return nil
	})
	return targets, err
}

// requestFlags describe the request of --url, shared by the commands that
// send one.
type requestFlags struct {
	url, method, body, bodyFile string
	headers                     []string
}

// register adds the request flags to fl; verb says what the URL is for.
func (r *requestFlags) register(fl *pflag.FlagSet, verb string) {
	fl.StringVarP(&r.url, "url", "u", "", "`URL` to "+verb+" (http or https)")
	fl.StringVarP(&r.method, "method", "m", "", "HTTP `method` (default GET, or POST when a body is given)")
	fl.StringArrayVarP(&r.headers, "header", "H", nil, "request `header` 'Name: value' (repeatable)")
	fl.StringVar(&r.body, "body", "", "request `body`")
	fl.StringVar(&r.bodyFile, "body-file", "", "`file` holding the request body")
}

// request is what the request flags say of the request.
type request struct {
	method string
	header http.Header
	body   []byte
}

// parts reads the headers, the body (waiting on a terminal or a FIFO gives
// up on an interrupt) and the method of the request.
func (r *requestFlags) parts(ctx context.Context) (request, error) {
	var req request
	var err error
	if req.header, err = attack.ParseHeaders(r.headers); err != nil {
		return req, usageErrorf("--header: %v", err)
	}
	err = interruptibly(ctx, func() (err error) {
		req.body, err = readBody(r)
		return err
	})
	if err != nil {
		return req, err
	}
	req.method, err = requestMethod(r.method, req.body)
	return req, err
}

// requestMethod is the method of --method, upper-cased: GET by default,
// or POST when there is a body.
func requestMethod(flag string, body []byte) (string, error) {
	method := strings.ToUpper(flag)
	if method == "" {
		method = http.MethodGet
		if len(body) > 0 {
			method = http.MethodPost
		}
	}
	if err := attack.ValidateMethod(method); err != nil {
		return "", usageErrorf("--method: %v", err)
	}
	return method, nil
}

func readBody(f *requestFlags) ([]byte, error) {
	switch {
	case f.body != "" && f.bodyFile != "":
		return nil, usageErrorf("--body and --body-file: give one or the other")
	case f.bodyFile != "":
		file, err := os.Open(f.bodyFile)
		if err != nil {
			return nil, usageErrorf("--body-file: %v", err)
		}
		defer file.Close()
		b, err := attack.ReadBody(file)
		if err != nil {
			return nil, usageErrorf("--body-file %s: %v", f.bodyFile, err)
		}
		return b, nil
	}
	return []byte(f.body), nil
}

// contractOptions completes the contract checks' options of an execution:
// a rejection is judged once the requests sent before it have had their
// timeout to answer, and evidence is redacted as class messages are.
func contractOptions(x execution) contract.Options {
	o := x.contract
	o.Settle = x.timeout
	policy, secrets := x.classify.Redact, x.classify.Secrets
	o.Redact = func(s string) string { return policy.Body(s, secrets) }
	return o
}

// maxClassesLimit bounds --max-classes: each class keeps an HDR histogram
// (some 190 KiB), and readers of result files keep no more classes.
const maxClassesLimit = records.MaxClasses

// classifierOptions turns the classification flags into options.
func classifierOptions(f *attackFlags, targets []vegeta.Target, policy redact.Policy) (classify.Options, error) {
	o := classify.Options{MaxClasses: f.maxClasses, Redact: policy, Secrets: targetSecrets(policy, targets...)}
	if f.maxClasses < 1 || f.maxClasses > maxClassesLimit {
		return o, usageErrorf("--max-classes %d: want 1 to %d", f.maxClasses, maxClassesLimit)
	}
	limit, err := profiles.ParseSize(f.classifyLimit)
	if err != nil || limit < 1 || limit > maxClassifyLimit {
		return o, usageErrorf("--classify-limit %q: want a size from 1 B to 1MiB, such as 4096, 64KiB or 1MiB", f.classifyLimit)
	}
	o.BodyLimit = int(limit)
	var errs []string
	for _, s := range f.classify {
		r, err := classify.ParseRule(s)
		if err != nil {
			errs = append(errs, fmt.Sprintf("--classify %q: %s", s, strings.ReplaceAll(err.Error(), "\n", "; ")))
			continue
		}
		o.Rules = append(o.Rules, r)
	}
	if len(errs) > 0 {
		return o, usageErrorf("%s", strings.Join(errs, "; "))
	}
	return o, nil
}

// maxClassifyLimit bounds --classify-limit: the captured start of every
// error body in flight or queued for the consume loop (up to some
// thousand) is held in memory.
const maxClassifyLimit = 1 << 20

// newRunID returns a random identifier for a run.
func newRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// interruptibly runs fn, which may block on input (a terminal, a FIFO
// with no writer, a FIFO with no reader for -o), and gives up when ctx is
// cancelled: a user who interrupts while stampede waits gets the exit code
// of the interrupt at once. fn keeps running in the background then; the
// process is about to exit.
func interruptibly(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		var cause signalCause
		if errors.As(context.Cause(ctx), &cause) {
			return &exitError{code: cause.exitCode(), err: cause}
		}
		return ctx.Err()
	}
}

// targetSecrets returns the secrets the targets carry (redact.Policy.Secrets).
func targetSecrets(policy redact.Policy, targets ...vegeta.Target) []string {
	reqs := make([]redact.Request, len(targets))
	for i, t := range targets {
		reqs[i] = redact.Request{Header: t.Header, URL: t.URL}
	}
	return policy.Secrets(reqs...)
}

// workerBound is the attack's MaxWorkers for --max-workers max (0: no
// limit) and --workers start: an explicit start above the default bound
// raises it, an explicit bound stays (and Validate refuses a start above
// it).
func workerBound(start, most uint64, mostSet bool) uint64 {
	switch {
	case most == 0:
		return attack.NoLimit
	case !mostSet && start > most:
		return start
	}
	return most
}

// workerLimits are the attack's start and bound of workers for --workers
// start and --max-workers most (workerBound); the default start of 10
// yields to an explicit bound below it.
func workerLimits(start, most uint64, startSet, mostSet bool) (uint64, uint64) {
	limit := workerBound(start, most, mostSet)
	if mostSet && !startSet && start > limit {
		start = limit
	}
	return start, limit
}

// maxWorkersUsage is the help of --max-workers.
const maxWorkersUsage = "maximum number of workers, which bounds the requests (and connections) in flight: " +
	"beyond it requests queue, their latency shows it and a warning says stampede fell behind; 0 for no limit"

// registerTransport adds the flags of workers and connections.
func (f *attackFlags) registerTransport(fl *pflag.FlagSet) {
	fl.Uint64Var(&f.workers, "workers", attack.DefaultWorkers, "initial number of workers")
	fl.Uint64Var(&f.maxWorkers, "max-workers", attack.DefaultMaxWorkers, maxWorkersUsage)
	fl.IntVar(&f.connections, "connections", attack.DefaultConnections, "idle connections kept open per host (at least 1)")
	fl.IntVar(&f.maxConnections, "max-connections", 0, "connections per host (default as many as --max-workers)")
	fl.DurationVar(&f.timeout, "timeout", attack.DefaultTimeout, "timeout of each request, response body included; 0 for none")
	fl.BoolVar(&f.http2, "http2", false, "negotiate HTTP/2 with TLS targets")
	fl.BoolVarP(&f.insecure, "insecure", "k", false, "skip TLS certificate verification")
	fl.BoolVar(&f.keepalive, "keepalive", true, "reuse connections (--keepalive=false opens one per request)")
}

// registerOutput adds the flags of what the attack writes and how it
// classifies responses.
func (f *attackFlags) registerOutput(fl *pflag.FlagSet) {
	fl.StringVarP(&f.output, "output", "o", "stampede-results.bin", resultOutputUsage)
	fl.StringVarP(&f.format, "format", "f", "text", summaryFormatUsage)
	fl.BoolVar(&f.uncorrected, "uncorrected", false, "also show latency measured from the actual send (wrk2 -U)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress display")
	fl.BoolVar(&f.histogram, "histogram", false, "show ASCII latency histograms of the top classes")
	fl.StringArrayVar(&f.classify, "classify", nil, "classification `rule` of key=value pairs, e.g. status=429,code=insufficient_quota,retryable=false (repeatable; see above)")
	fl.IntVar(&f.maxClasses, "max-classes", classify.DefaultMaxClasses, fmt.Sprintf("most distinct response classes read from bodies (1 to %d); the rest count as 'other' of their status", maxClassesLimit))
	fl.DurationVar(&f.retryAfterMax, "retry-after-max", contract.DefaultMaxRetryAfter, "longest acceptable Retry-After wait; a longer one violates the rate-limit contract")
	fl.StringVar(&f.classifyLimit, "classify-limit", "64KiB", "body `size` read to classify a response (1 B to 1MiB, e.g. 4KiB); the rest is drained and counted")
	fl.StringArrayVar(&f.secretHeaders, "secret-header", nil, "another header `name` to redact (repeatable)")
	fl.StringVar(&f.shard, "shard", "", shardHelp)
	fl.StringVar(&f.runID, "run-id", "", "`id` shared by the shards of one run (default random)")
	fl.StringArrayVar(&f.reports, "report", nil, "also write a report at the end of the run, as `FORMAT=PATH` (repeatable; FORMAT: "+strings.Join(reportFormats, ", ")+")")
}

// loadFlags are the load-shape flags, into a profiles.Load.
type loadFlags struct{ profiles.Load }

// imply sets --pace from the flags given when it is not: --steps alone
// means --pace steps, --ramp-to alone --pace ramp. Flags of several
// paces imply none, and Plan says which belong to which.
func (l *loadFlags) imply(fl *pflag.FlagSet) {
	if fl.Changed("pace") {
		return
	}
	implied := ""
	fl.Visit(func(f *pflag.Flag) {
		switch pace, ok := profiles.PaceOfField(f.Name); {
		case !ok:
		case implied == "":
			implied = pace
		case implied != pace:
			implied = "several"
		}
	})
	if implied != "" && implied != "several" {
		l.Pace = implied
	}
}

// register adds the load-shape flags: each is named as the key of the
// load section of a profile.
func (l *loadFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&l.Pace, "pace", "constant", "load `shape`: "+strings.Join(profiles.Paces, ", "))
	fl.StringVarP(&l.Rate, "rate", "r", "", "request `rate` of --pace constant (default "+profiles.DefaultRate+")")
	fl.StringVarP(&l.Duration, "duration", "d", "", "how long to attack (a `duration`); 0 runs until interrupted (default 30s; steps: their total)")
	fl.StringVar(&l.Concurrency, "concurrency", "", "a closed model instead of a pace: `N` workers, each sending its next request when its previous one is answered")
	fl.StringVar(&l.RampFrom, "ramp-from", "", "ramp: starting `rate`")
	fl.StringVar(&l.RampTo, "ramp-to", "", "ramp: final `rate`")
	fl.StringVar(&l.RampOver, "ramp-over", "", "ramp: how long the ramp lasts, a `duration` (default the whole attack)")
	fl.StringVar(&l.Steps, "steps", "", "steps: `list` of rate@duration, e.g. 100/s@30s,200/s@30s")
	fl.StringVar(&l.SpikeBase, "spike-base", "", "spike: `rate` outside the spike")
	fl.StringVar(&l.SpikePeak, "spike-peak", "", "spike: `rate` during the spike")
	fl.StringVar(&l.SpikeAt, "spike-at", "", "spike: `offset` at which the spike starts (default 10s)")
	fl.StringVar(&l.SpikeFor, "spike-for", "", "spike: `duration` of the spike (default 5s)")
	fl.StringVar(&l.SineMean, "sine-mean", "", "sine: mean `rate`")
	fl.StringVar(&l.SineAmplitude, "sine-amplitude", "", "sine: amplitude, a `rate` at most the mean")
	fl.StringVar(&l.SinePeriod, "sine-period", "", "sine: `period` of the wave (default 1m)")
}
