package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
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

func newDemoCmd(e *env) *cobra.Command {
	f := &demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Attack the built-in simulation of the seed APIs and write a report",
		Long: `Start the simulation of the seed APIs (as 'stampede serve' does) on a free
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
this machine.`,
		Example: `  # the whole demo, about 12 seconds
  stampede demo

  # a shorter run into another directory
  stampede demo --duration 5s --dir /tmp/demo`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("demo takes no arguments (got %d)", len(args))
			}
			return nil
		},
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
	d, err := time.ParseDuration(f.duration)
	if err != nil || d < time.Second || d > time.Hour {
		return usageErrorf("--duration %q: want a duration from 1s to 1h, such as 10s", f.duration)
	}
	plan, errs := demoLoad(d).Plan()
	if len(errs) > 0 {
		return usageErrorf("--duration: %v", errors.Join(errs...))
	}
	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return usageErrorf("--dir: %v", err)
	}
	file, err := os.Create(filepath.Join(f.dir, demoResults))
	if err != nil {
		return usageErrorf("--dir: %v", err)
	}
	defer file.Close()

	s, err := sim.New(sim.DemoConfig(d))
	if err != nil {
		return runtimeError(fmt.Errorf("demo simulation: %w", err)) // a bug: the demo's config is fixed
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return runtimeError(fmt.Errorf("demo simulation: listen on 127.0.0.1: %w", err))
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	base := "http://" + ln.Addr().String()

	targets, err := demoTargets(base)
	if err != nil {
		return runtimeError(err)
	}
	opts := attack.Options{
		Targets: targets, Shape: plan.Shape, Duration: plan.Duration,
		Workers: attack.DefaultWorkers,
		Transport: attack.TransportOptions{
			Timeout: attack.DefaultTimeout, Connections: attack.DefaultConnections, KeepAlive: true,
		},
	}
	if errs := opts.Validate(); len(errs) > 0 {
		return runtimeError(fmt.Errorf("demo attack: %w", errors.Join(errs...)))
	}
	fmt.Fprintf(e.stderr, "stampede demo: simulation of the seed APIs on %s; attacking for %s\n", base, plan.Duration)
	header := records.Header{
		Start:    time.Now(),
		Command:  commandLine(cmd, redact.NewPolicy()),
		Target:   fmt.Sprintf("stampede demo: a mix of %d kinds of request to the simulated seed APIs at %s", len(targets), base),
		Pacer:    opts.Shape.String(),
		Duration: opts.Duration,
		RunID:    newRunID(),
		Tool:     "stampede " + version,
	}
	run, interrupted, err := execute(cmd.Context(), e, execution{
		opts: opts, header: header, records: file, quiet: f.quiet, timeout: attack.DefaultTimeout,
	})
	if err != nil {
		return err
	}
	if err := file.Close(); err != nil {
		return runtimeError(fmt.Errorf("close result file: %w", err))
	}
	run.ResultFile = filepath.Join(f.dir, demoResults)

	// Shutdown waits for every handler, so the stats are complete.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	stats := s.Stats()

	written, err := writeDemoFiles(e, f.dir, run, stats)
	if err != nil {
		return err
	}
	if err := printSummary(e.stdout, "text", run, demoView); err != nil {
		return err
	}
	if interrupted != nil {
		return &exitError{code: interrupted.exitCode(), err: *interrupted}
	}
	mismatch := compareGroundTruth(run.Summary, stats)
	fmt.Fprintf(e.stdout, "\nReports in %s/: %s\n", f.dir, strings.Join(written, ", "))
	fmt.Fprintf(e.stdout, "Open %s in a browser; re-render any of them with: stampede report --format html %s\n",
		filepath.Join(f.dir, "report.html"), run.ResultFile)
	if mismatch != "" {
		return &exitError{code: exitThreshold, err: errors.New("stampede's counts differ from the simulation's: " + mismatch)}
	}
	counted := codeCounts(run.Summary)
	apis, codes := slices.Sorted(maps.Keys(counted)), 0
	for _, c := range counted {
		codes += len(c)
	}
	fmt.Fprintf(e.stdout, "Ground truth: the simulation answered %d requests; stampede recorded the same count for every status,\nand for each of the %d error codes of %s.\n", stats.Requests, codes, strings.Join(apis, " and "))
	return nil
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
// report from it alone, checking that it holds what the run saw.
func writeDemoFiles(e *env, dir string, run analyze.Run, stats sim.Stats) ([]string, error) {
	var text, js bytes.Buffer
	if err := reports.Text(&text, run, demoView); err != nil {
		return nil, runtimeError(fmt.Errorf("text summary: %w", err))
	}
	if err := reports.JSON(&js, run); err != nil {
		return nil, runtimeError(fmt.Errorf("JSON summary: %w", err))
	}
	st, err := json.MarshalIndent(stats, "", "  ")
	if err != nil {
		return nil, runtimeError(fmt.Errorf("simulation stats: %w", err))
	}
	for name, data := range map[string][]byte{demoText: text.Bytes(), demoJSON: js.Bytes(), demoStats: append(st, '\n')} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nil, runtimeError(fmt.Errorf("write %s: %w", name, err))
		}
	}
	replayed, err := analyze.Consume(context.Background(), analyze.Files([]string{run.ResultFile}, analyze.FileOptions{}))
	if err != nil {
		return nil, runtimeError(fmt.Errorf("read the demo's result file back: %w", err))
	}
	if replayed.Summary.Requests != run.Summary.Requests || !maps.Equal(replayed.Summary.Status, run.Summary.Status) ||
		len(replayed.Summary.ClassStats()) != len(run.Summary.ClassStats()) {
		return nil, runtimeError(fmt.Errorf("the result file holds %d requests in %d classes; the run saw %d in %d",
			replayed.Summary.Requests, len(replayed.Summary.ClassStats()), run.Summary.Requests, len(run.Summary.ClassStats())))
	}
	names := []string{demoResults, demoText, demoJSON, demoStats}
	specs := make([]reportSpec, len(demoReports))
	for i, r := range demoReports {
		specs[i] = reportSpec{r.format, filepath.Join(dir, r.path)}
		names = append(names, r.path)
	}
	if err := writeReports(e, specs, replayed, demoView); err != nil {
		return nil, err
	}
	return names, nil
}

// compareGroundTruth compares stampede's count per status with what the
// simulation says it answered, and describes any difference ("" if none).
func compareGroundTruth(sum *analyze.Summary, stats sim.Stats) string {
	// Requests that reached no API were answered 404 too.
	truth := map[uint16]uint64{}
	if stats.Unrouted > 0 {
		truth[http.StatusNotFound] = uint64(stats.Unrouted)
	}
	for _, a := range stats.APIs {
		for status, n := range a.Status {
			code, _ := strconv.ParseUint(status, 10, 16)
			truth[uint16(code)] += uint64(n)
		}
	}
	seen := maps.Clone(truth)
	for st, n := range sum.Status {
		seen[st] += n
	}
	var diffs []string
	statuses := slices.Sorted(maps.Keys(seen))
	for _, st := range statuses {
		if truth[st] != sum.Status[st] {
			name := strconv.Itoa(int(st))
			if st == 0 {
				name = "no response"
			}
			diffs = append(diffs, fmt.Sprintf("%s: stampede %d, simulation %d", name, sum.Status[st], truth[st]))
		}
	}
	if stats.Unrouted != 0 {
		diffs = append(diffs, fmt.Sprintf("%d requests reached no API", stats.Unrouted))
	}
	diffs = append(diffs, compareCodes(sum, stats)...)
	return strings.Join(diffs, "; ")
}

// codeCounts counts the responses of every error code per API. A class is
// attributed to the API its example request went to: in the demo, each API
// answers in a dialect of its own, so no class with a code spans two.
func codeCounts(sum *analyze.Summary) map[string]map[string]uint64 {
	counted := map[string]map[string]uint64{} // API → code → responses
	for _, st := range sum.ClassStats() {
		if st.Class.Code == "" || st.Class.Overflow {
			continue
		}
		_, path, _ := strings.Cut(st.Class.Example, " ")
		api, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if counted[api] == nil {
			counted[api] = map[string]uint64{}
		}
		counted[api][st.Class.Code] += st.Count
	}
	return counted
}

// compareCodes compares, for every API whose errors carry codes, stampede's
// count of each error code with the simulation's.
func compareCodes(sum *analyze.Summary, stats sim.Stats) []string {
	counted := codeCounts(sum)
	var diffs []string
	for _, api := range slices.Sorted(maps.Keys(counted)) {
		truth := stats.APIs[api]
		if truth == nil {
			diffs = append(diffs, fmt.Sprintf("classes with codes attributed to %q, which is no API", api))
			continue
		}
		codes := maps.Clone(counted[api])
		for code := range truth.Codes {
			codes[code] += 0
		}
		for _, code := range slices.Sorted(maps.Keys(codes)) {
			if counted[api][code] != uint64(truth.Codes[code]) {
				diffs = append(diffs, fmt.Sprintf("%s %s: stampede %d, simulation %d", api, code, counted[api][code], truth.Codes[code]))
			}
		}
	}
	return diffs
}
