package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/attack"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/reports"
	"github.com/stampede-dev/stampede/sim"
)

// demoFlags are the flags of `stampede demo`.
type demoFlags struct {
	dir      string
	duration string
	quiet    bool
	metrics  metricsFlags
}

// demoDuration is the demo's default length.
const demoDuration = "10s"

// demoLoad is the demo's load over d: a steady 60 requests per second with
// a burst to 240 per second from 30% to 60% of d, above Mira's demo rate
// limit.
func demoLoad(d time.Duration) profiles.Load {
	return profiles.Load{
		Pace: "spike", SpikeBase: "60/s", SpikePeak: "240/s",
		SpikeAt: (d * 3 / 10).String(), SpikeFor: (d * 3 / 10).String(), Duration: d.String(),
	}
}

// Files the demo writes into its directory.
const (
	demoResults = "results.bin"
	demoText    = "summary.txt"
	demoJSON    = "summary.json"
	demoStats   = "sim-stats.json"
)

// demoLong is the help text of stampede demo.
var demoLong = `Start the simulation of the seed APIs (as 'stampede serve' does) on a free
127.0.0.1 port, run the bundled demo profile against it (stampede run
--list; its source: stampede validate demo), print the summary, and write
the report files into --dir: ` + demoResults + ` (the result file), ` + demoText + `,
` + demoJSON + `, ` + demoStats + ` (the simulation's own count of what it
answered), and its reports: ` + demoReportFiles() + `.

The profile: ` + strconv.Itoa(len(sim.DemoRequests())) + ` named requests to all four APIs at 60/s, with a
burst to 240/s from 30% to 60% of the load phase (3 s to 6 s by default),
then a pause and a probe of Mira's Retry-After. Mira chat is limited to 10
requests/s, so the burst gets 429s with Retry-After; Mira Verify has an
outage from 60% to 80% of the load (503 with Retry-After); MiMo injects 2%
of 500s and 2% of 503s; every API gets requests that fail validation,
authentication, plan or balance checks. The profile's thresholds state
what the simulation must do; the verdict and the exit code follow them.

At the end, the demo checks stampede's counts against the simulation's
ground truth and says so; a mismatch exits with status 1. Nothing leaves
this machine.`

func newDemoCmd(e *env) *cobra.Command {
	f := &demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Attack the built-in simulation of the seed APIs and write a report",
		Long:  demoLong,
		Example: `  # the whole demo, about 12 seconds
  stampede demo

  # a shorter run into another directory
  stampede demo --duration 5s --dir /tmp/demo`,
		Args: noArgs("give options as flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.metrics.serve(cmd.Context(), e, func() error { return runDemo(cmd, e, f) })
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.dir, "dir", "stampede-demo", "`directory` for the report files (created if missing)")
	fl.StringVar(&f.duration, "duration", demoDuration, "how long to attack, a `duration` of 1s or more")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress display")
	f.metrics.register(fl)
	return cmd
}

func runDemo(cmd *cobra.Command, e *env, f *demoFlags) error {
	plan, err := demoPlan(f.duration)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return usageErrorf("--dir: %v", err)
	}
	target, err := startDemoSim(plan.Duration)
	if err != nil {
		return runtimeError(err)
	}
	defer target.srv.Close()
	pr, err := demoProfile(cmd, e, target.base, plan, f)
	if err != nil {
		return err
	}
	if pr.file != nil {
		defer pr.file.Close()
	}
	var stats *sim.Stats
	pr.beforeProbe = func() { // the probe's requests are not in the result file
		if stats == nil {
			st := target.sim.Stats()
			stats = &st
		}
	}
	fmt.Fprintf(e.stderr, "stampede demo: simulation of the seed APIs on %s; running the demo profile (%s of load)\n", target.base, plan.Duration)
	run, interrupted, err := pr.execute(cmd.Context(), e)
	if err != nil {
		return err
	}
	return finishDemo(e, f, pr, run, interrupted, target, stats)
}

// finishDemo writes the demo's files, prints its summary and checks the
// counts against the simulation's ground truth.
func finishDemo(e *env, f *demoFlags, pr *preparedProfile, run analyze.Run, interrupted *signalCause, target *demoSim, stats *sim.Stats) error {
	if err := pr.file.Close(); err != nil {
		return runtimeError(fmt.Errorf("close result file: %w", err))
	}
	run.ResultFile = filepath.Join(f.dir, demoResults)
	final := target.stop()
	if stats == nil {
		stats = &final
	}
	pr.judge.apply(&run)
	replayed, written, err := writeDemoFiles(e, f.dir, run, *stats, pr.judge)
	if err != nil {
		return err
	}
	if err := printSummary(e.stdout, "text", run, demoView, nil); err != nil {
		return err
	}
	if interrupted != nil {
		return &exitError{code: interrupted.exitCode(), err: *interrupted}
	}
	fmt.Fprintf(e.stdout, "\nReports in %s/: %s\n", f.dir, strings.Join(written, ", "))
	fmt.Fprintf(e.stdout, "Open %s in a browser; re-render any of them with: stampede report --format html %s\n",
		filepath.Join(f.dir, "report.html"), run.ResultFile)
	if err := groundTruth(e, *stats, replayed); err != nil {
		return err
	}
	return verdictError(run)
}

// demoProfile is the bundled demo profile aimed at the simulation at base,
// its load phase over the demo's duration, its records into --dir.
func demoProfile(cmd *cobra.Command, e *env, base string, plan profiles.Plan, f *demoFlags) (*preparedProfile, error) {
	p, errs := profiles.LoadBundled("demo", profiles.LoadOptions{BaseURL: base, Env: func(string) (string, bool) { return "", false }})
	if len(errs) > 0 {
		return nil, runtimeError(fmt.Errorf("the demo profile: %w", errors.Join(errs...))) // a bug: it is bundled
	}
	p.Reports = nil // the demo writes its own, into --dir
	for i := range p.Phases {
		if p.Phases[i].Kind == profiles.PhaseLoad {
			p.Phases[i].Plan = plan // the mix over --duration
			break
		}
	}
	rf := &runFlags{
		output: filepath.Join(f.dir, demoResults), format: "text", baseURL: base, quiet: f.quiet,
		timeout: attack.DefaultTimeout, workers: attack.DefaultWorkers, maxWorkers: attack.DefaultMaxWorkers, judge: judgeFlags{defaults: true},
		metrics: metricsFlags{srv: f.metrics.srv},
	}
	rf.limitWorkers()
	return preparePlan(cmd, e, rf, p)
}

// demoPlan is the demo's load over --duration.
func demoPlan(duration string) (profiles.Plan, error) {
	d, err := time.ParseDuration(duration)
	if err != nil || d < time.Second || d > time.Hour {
		return profiles.Plan{}, usageErrorf("--duration %q: want a duration from 1s to 1h, such as 10s", duration)
	}
	plan, errs := demoLoad(d).Plan()
	if len(errs) > 0 {
		return plan, usageErrorf("--duration: %v", errors.Join(errs...))
	}
	return plan, nil
}

// demoSim is the simulation the demo attacks, served on a free port.
type demoSim struct {
	sim  *sim.Server
	srv  *http.Server
	base string // its URL
}

// startDemoSim serves the demo's simulation of a run of d on a free
// 127.0.0.1 port.
func startDemoSim(d time.Duration) (*demoSim, error) {
	s, err := sim.New(sim.DemoConfig(d))
	if err != nil {
		return nil, fmt.Errorf("demo simulation: %w", err) // a bug: the demo's config is fixed
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo simulation: listen on 127.0.0.1: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return &demoSim{sim: s, srv: srv, base: "http://" + ln.Addr().String()}, nil
}

// stop shuts the simulation down and returns its ground truth: Shutdown
// waits for every handler, so the stats are complete.
func (d *demoSim) stop() sim.Stats {
	ctx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if err := d.srv.Shutdown(ctx); err != nil {
		d.srv.Close()
	}
	return d.sim.Stats()
}

// demoView shows the demo's classes: they are its point, so all of them.
var demoView = reports.Options{ClassRows: 50}

// demoReports are the reports the demo renders from its result file.
var demoReports = []reportSpec{
	{"html", "report.html"}, {"markdown", "report.md"}, {"junit", "junit.xml"},
	{"csv", "classes.csv"}, {"csv-series", "series.csv"}, {"hgrm", "latency.hgrm"},
}

// demoReportFiles lists the reports' files, for the help, three to a
// line.
func demoReportFiles() string {
	var b strings.Builder
	for i, r := range demoReports {
		switch {
		case i == 0:
		case i%3 == 0:
			b.WriteString(",\n")
		default:
			b.WriteString(", ")
		}
		b.WriteString(r.path)
	}
	return b.String()
}

// writeDemoFiles writes the text and JSON summaries and the simulation's
// stats into dir, then reads the result file back and renders every other
// report from it alone. It returns the run read back and the files
// written.
func writeDemoFiles(e *env, dir string, run analyze.Run, stats sim.Stats, j judge) (analyze.Run, []string, error) {
	var text, js bytes.Buffer
	if err := reports.Text(&text, run, demoView); err != nil {
		return run, nil, runtimeError(fmt.Errorf("text summary: %w", err))
	}
	if err := reports.JSON(&js, run); err != nil {
		return run, nil, runtimeError(fmt.Errorf("JSON summary: %w", err))
	}
	st, err := json.MarshalIndent(stats, "", "  ")
	if err != nil {
		return run, nil, runtimeError(fmt.Errorf("simulation stats: %w", err))
	}
	for name, data := range map[string][]byte{demoText: text.Bytes(), demoJSON: js.Bytes(), demoStats: append(st, '\n')} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return run, nil, runtimeError(fmt.Errorf("write %s: %w", name, err))
		}
	}
	replayed, err := analyze.Consume(context.Background(), analyze.Files([]string{run.ResultFile}, analyze.FileOptions{}))
	if err != nil {
		return run, nil, runtimeError(fmt.Errorf("read the demo's result file back: %w", err))
	}
	j.apply(&replayed)
	names := []string{demoResults, demoText, demoJSON, demoStats}
	specs := make([]reportSpec, len(demoReports))
	for i, r := range demoReports {
		specs[i] = reportSpec{r.format, filepath.Join(dir, r.path)}
		names = append(names, r.path)
	}
	return replayed, names, writeReports(e, specs, replayed, demoView, nil)
}

// groundTruth compares what the reports say, read back from the result
// file, with what the simulation answered: a difference fails the demo.
func groundTruth(e *env, stats sim.Stats, run analyze.Run) error {
	counted := sim.Counted{Status: run.Summary.Status}
	for _, st := range run.Summary.ClassStats() {
		if st.Class.Code != "" && !st.Class.Overflow {
			counted.Codes = append(counted.Codes, sim.CodeCount{Request: st.Class.Example, Code: st.Class.Code, Count: st.Count})
		}
	}
	cmp := stats.Compare(counted)
	if len(cmp.Diffs) > 0 {
		return &exitError{code: exitThreshold, err: errors.New("stampede's counts differ from the simulation's: " + strings.Join(cmp.Diffs, "; "))}
	}
	fmt.Fprintf(e.stdout, "Ground truth: the simulation answered %d requests; stampede recorded the same count for every status,\nand for each of the %d error codes of %s.\n",
		stats.Requests, cmp.Codes, strings.Join(cmp.APIs, " and "))
	return nil
}
