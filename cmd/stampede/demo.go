package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/attack"
	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/reports"
	"github.com/stampede-dev/stampede/sim"
)

// demoFlags are the flags of `stampede demo`.
type demoFlags struct {
	dir      string
	duration string
	quiet    bool
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
127.0.0.1 port, attack it with a bundled mix of valid and invalid requests
to all four APIs, print the summary, and write the report files into
--dir: ` + demoResults + ` (the result file), ` + demoText + `, ` + demoJSON + ` and
` + demoStats + ` (the simulation's own count of what it answered).

The mix: ` + strconv.Itoa(len(sim.DemoRequests())) + ` requests sent in turn at 60/s, with a burst to 240/s
from 30% to 60% of the run (3 s to 6 s by default). Mira chat is limited to
10 requests/s, so the burst gets 429s with Retry-After; Mira Verify has an
outage from 60% to 80% of the run (503 with Retry-After); MiMo injects 2% of
500s and 2% of 503s; every API gets requests that fail validation,
authentication, plan or balance checks.

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
			return runDemo(cmd, e, f)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.dir, "dir", "stampede-demo", "`directory` for the report files (created if missing)")
	fl.StringVar(&f.duration, "duration", demoDuration, "how long to attack, a `duration` of 1s or more")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress display")
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
	file, err := os.Create(filepath.Join(f.dir, demoResults))
	if err != nil {
		return usageErrorf("--dir: %v", err)
	}
	defer file.Close()
	target, err := startDemoSim(plan.Duration)
	if err != nil {
		return runtimeError(err)
	}
	defer target.srv.Close()
	x, err := demoExecution(cmd, target.base, plan, file, f.quiet)
	if err != nil {
		return runtimeError(err) // a bug: the demo's attack is fixed
	}
	fmt.Fprintf(e.stderr, "stampede demo: simulation of the seed APIs on %s; attacking for %s\n", target.base, plan.Duration)
	run, interrupted, err := execute(cmd.Context(), e, x)
	if err != nil {
		return err
	}
	if err := file.Close(); err != nil {
		return runtimeError(fmt.Errorf("close result file: %w", err))
	}
	run.ResultFile = filepath.Join(f.dir, demoResults)
	stats := target.stop()
	replayed, written, err := writeDemoFiles(e, f.dir, run, stats)
	if err != nil {
		return err
	}
	if err := printSummary(e.stdout, "text", run, demoView); err != nil {
		return err
	}
	if interrupted != nil {
		return &exitError{code: interrupted.exitCode(), err: *interrupted}
	}
	fmt.Fprintf(e.stdout, "\nReports in %s/: %s\n", f.dir, strings.Join(written, ", "))
	fmt.Fprintf(e.stdout, "Open %s in a browser; re-render any of them with: stampede report --format html %s\n",
		filepath.Join(f.dir, "report.html"), run.ResultFile)
	return groundTruth(e, stats, replayed)
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

// demoExecution is the demo's attack on the simulation at base, its
// records into file.
func demoExecution(cmd *cobra.Command, base string, plan profiles.Plan, file io.Writer, quiet bool) (execution, error) {
	targets, err := demoTargets(base)
	if err != nil {
		return execution{}, err
	}
	opts := attack.Options{
		Targets: targets, Shape: plan.Shape, Duration: plan.Duration, Workers: attack.DefaultWorkers, Transport: attack.DefaultTransport(),
	}
	if errs := opts.Validate(); len(errs) > 0 {
		return execution{}, fmt.Errorf("demo attack: %w", errors.Join(errs...))
	}
	header := records.Header{
		Start:    time.Now(),
		Command:  commandLine(cmd, redact.NewPolicy()),
		Target:   fmt.Sprintf("stampede demo: a mix of %d kinds of request to the simulated seed APIs at %s", len(targets), base),
		Pacer:    opts.Shape.String(),
		Duration: opts.Duration,
		RunID:    newRunID(),
		Tool:     "stampede " + version,
	}
	return execution{opts: opts, header: header, records: file, quiet: quiet, timeout: attack.DefaultTimeout}, nil
}

// demoTargets turns the demo mix into attack targets at base.
func demoTargets(base string) ([]vegeta.Target, error) {
	var targets []vegeta.Target
	for _, r := range sim.DemoRequests() {
		h := http.Header{}
		for k, v := range r.Header {
			h.Set(k, v)
		}
		t, err := attack.Static(r.Method, base+r.Path, h, []byte(r.Body))
		if err != nil {
			return nil, fmt.Errorf("demo target %s %s: %w", r.Method, r.Path, err)
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// demoView shows the demo's classes: they are its point, so all of them.
var demoView = reports.Options{ClassRows: 50}

// demoReports are the reports the demo renders from its result file.
var demoReports = []reportSpec{
	{"html", "report.html"}, {"markdown", "report.md"}, {"junit", "junit.xml"},
	{"csv", "classes.csv"}, {"csv-series", "series.csv"}, {"hgrm", "latency.hgrm"},
}

// writeDemoFiles writes the text and JSON summaries and the simulation's
// stats into dir, then reads the result file back and renders every other
// report from it alone. It returns the run read back and the files
// written.
func writeDemoFiles(e *env, dir string, run analyze.Run, stats sim.Stats) (analyze.Run, []string, error) {
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
	names := []string{demoResults, demoText, demoJSON, demoStats}
	specs := make([]reportSpec, len(demoReports))
	for i, r := range demoReports {
		specs[i] = reportSpec{r.format, filepath.Join(dir, r.path)}
		names = append(names, r.path)
	}
	return replayed, names, writeReports(e, specs, replayed, demoView)
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
