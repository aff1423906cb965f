package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/reports"
)

// vegetaJSON is the export format for vegeta's tools; it streams records
// instead of rendering a summary.
const vegetaJSON = "vegeta-json"

// reportFlags are the flags of `stampede report`.
type reportFlags struct {
	format    string
	output    string
	csvSeries bool
	class     string
	histogram bool
	reports   []string // FORMAT=PATH
	judge     judgeFlags
}

// reportLong is the help text of stampede report.
const reportLong = `Render the results of earlier runs, with no access to the target. FILE is a
result file of 'stampede attack -o' (any format version) or of vegeta
(gob, JSON or CSV encoding; bodies it stored are classified again), or the
JSON report of 'stampede probe --format json', shown beside them; - reads
standard input. Several files, the shards of one run or repeated runs,
merge into one analysis: histograms merge exactly, counts add up and time
series line up on absolute time.

Formats (--format):
  text        aligned tables, as at the end of 'stampede attack'
  json        the stampede/summary/v1 document (docs/summary-json.md)
  csv         one row per class: status, code, category, retryable, count,
              share, latency p50/p90/p99/max in ms (RFC 4180)
  csv-series  one row per second and class: count, p50, p99 (same as
              --format csv --csv-series)
  html        one self-contained page with charts; works offline
  junit       JUnit XML: one test case per rate-limit contract rule
  markdown    a compact summary for a pull request or $GITHUB_STEP_SUMMARY
  hgrm        HdrHistogram's percentile distribution (ms), of every
              response or of --class
  vegeta-json the records as vegeta JSON results, for vegeta's tools

A FILE with *, ? or [ that names no file is a pattern stampede expands
itself (for containers with no shell): report /results/run-7-*.bin.
Shards of a run split with --shard i/N are checked: a shard missing, one
read twice or files that disagree on N fail the verdict (exit 1), with
the reason in every report. --report FORMAT=PATH writes more reports of
the same analysis, beside the one of --format.

Damage in a file (bad checksums, a cut end) is skipped and listed under
Notes; a file that is not a result file is an error (exit 2).`

// reportExample are the examples of stampede report's help.
const reportExample = `  # the HTML report of a run
  stampede report --format html -o report.html run.bin

  # merge the shards of one run (attack or run --shard i/4 --run-id nightly-7);
  # the pattern is expanded by stampede where there is no shell (Kubernetes)
  stampede report shard-0.bin shard-1.bin shard-2.bin shard-3.bin
  stampede report '/results/nightly-7-shard-*.bin' --report html=/results/nightly-7.html --report junit=/results/nightly-7.xml

  # a job summary on GitHub Actions; exit 1 if the p99 is over 300 ms
  stampede report --format markdown --threshold 'latency.p99 < 300ms' run.bin >> "$GITHUB_STEP_SUMMARY"

  # tonight against last night: fail on a 20 % slower p99
  stampede report --baseline last-night.bin --threshold 'latency.p99 < 1.2 * baseline.latency.p99' tonight.bin

  # latency distribution of the 429s, for HdrHistogram's plotter
  stampede report --format hgrm --class 429 -o 429.hgrm run.bin

  # analyse a vegeta run, and export a stampede run to vegeta's tools
  vegeta attack -targets t.txt -duration 10s > v.gob && stampede report v.gob
  stampede report --format vegeta-json run.bin | vegeta report -type=hist[0,10ms,50ms]`

func newReportCmd(e *env) *cobra.Command {
	f := &reportFlags{}
	cmd := &cobra.Command{
		Use:     "report [flags] FILE…",
		Short:   "Render result files again: text, JSON, CSV, HTML, JUnit, Markdown, HDR",
		Long:    reportLong,
		Example: reportExample,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give one or more result files, such as: stampede report run.bin")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runReport(cmd.Context(), e, f, args) },
	}
	f.register(cmd.Flags())
	return cmd
}

// register adds the flags of stampede report.
func (f *reportFlags) register(fl *pflag.FlagSet) {
	fl.StringVarP(&f.format, "format", "f", "text", formatUsage+": "+strings.Join(reports.Formats, ", ")+" or "+vegetaJSON)
	fl.StringVarP(&f.output, "output", "o", "-", reportOutputUsage)
	fl.BoolVar(&f.csvSeries, "csv-series", false, "with --format csv: the per-second time series instead of the class table")
	fl.StringVar(&f.class, "class", "", "with --format hgrm: the `classes` to show: a status (429), status/code (429/rate_limited), a code or transport failure (timeout), or id=N")
	fl.BoolVar(&f.histogram, "histogram", false, "with --format text: draw a latency histogram of each of the top classes")
	fl.StringArrayVar(&f.reports, "report", nil, "also write a report, as `FORMAT=PATH` (repeatable)")
	f.judge.register(fl)
}

// runReport reads the files and writes the report.
func runReport(ctx context.Context, e *env, f *reportFlags, paths []string) error {
	format, err := reportFormat(f)
	if err != nil {
		return err
	}
	if paths, err = expandPaths(paths); err != nil {
		return err
	}
	if err := checkReportPaths(e, f.output, paths); err != nil {
		return err
	}
	specs, err := reportSpecs(f, format, paths)
	if err != nil {
		return err
	}
	j, err := f.judge.prepare(ctx)
	if err != nil {
		return err
	}
	vx, err := newVegetaExport("", specs) // --format vegeta-json streams, without an analysis
	if err != nil {
		return err
	}
	defer vx.Close()
	var judged *analyze.Run
	err = writeOutput(e, "--output", f.output, func(w io.Writer) error {
		if format == vegetaJSON {
			return exportVegeta(ctx, e, w, paths)
		}
		run, err := analyze.Consume(ctx, analyze.Files(paths, analyze.FileOptions{Stdin: e.stdin}), vx.sinks(nil)...)
		if err != nil {
			if ctx.Err() != nil {
				return err // interrupted: the exit code comes from the signal
			}
			return usageErrorf("%v", err)
		}
		j.apply(&run)
		judged = &run
		if err := reports.Render(w, format, run, reports.Options{Class: f.class, Histogram: f.histogram}); err != nil {
			if field.As(err) != nil {
				return usageErrorf("%s", flagProblem(err))
			}
			return runtimeError(fmt.Errorf("write %s report: %w", format, err))
		}
		return nil
	})
	var cause signalCause
	if ctx.Err() != nil && errors.As(context.Cause(ctx), &cause) {
		return &exitError{code: cause.exitCode(), err: cause}
	}
	if err != nil || judged == nil {
		return err
	}
	if err := writeReports(e, specs, *judged, reports.Options{Class: f.class}, vx); err != nil {
		return err
	}
	return reportVerdict(format, specs, *judged)
}

// reportVerdict is the exit of a report: the run's verdict when one of its
// formats shows it, none when all are data exports.
func reportVerdict(format string, specs []reportSpec, run analyze.Run) error {
	verdict := showsVerdict(format)
	for _, s := range specs {
		verdict = verdict || showsVerdict(s.format)
	}
	if !verdict {
		return nil
	}
	return verdictError(run)
}

// reportSpecs are the reports of --report, none of which may overwrite a
// file read.
func reportSpecs(f *reportFlags, format string, paths []string) ([]reportSpec, error) {
	if len(f.reports) > 0 && format == vegetaJSON {
		return nil, usageErrorf("--report goes with a report, not --format %s: drop one", vegetaJSON)
	}
	specs, err := parseReportSpecs(f.reports, f.output)
	if err != nil {
		return nil, err
	}
	for _, s := range specs {
		for _, p := range paths {
			if samePath(s.path, p) {
				return nil, usageErrorf("--report %s=%s: is also a result file to read; write the report elsewhere", s.format, s.path)
			}
		}
	}
	return specs, nil
}

// maxPatternFiles bounds the files a pattern may name.
const maxPatternFiles = 100_000

// expandPaths expands the patterns among paths, as a shell would where
// there is none (a distroless container): an argument with *, ? or [
// that names no file is replaced by the files it matches, sorted; one
// that matches nothing is an error, as is a malformed pattern.
func expandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		if p == "-" || !strings.ContainsAny(p, "*?[") {
			out = append(out, p)
			continue
		}
		if _, err := os.Stat(p); err == nil {
			out = append(out, p) // a file so named
			continue
		}
		matches, err := filepath.Glob(p)
		switch {
		case err != nil:
			return nil, usageErrorf("result file %s: %v", p, err)
		case len(matches) == 0:
			return nil, usageErrorf("result file %s: no file matches the pattern", p)
		case len(out)+len(matches) > maxPatternFiles:
			return nil, usageErrorf("result file %s: more than %d files", p, maxPatternFiles)
		}
		out = append(out, matches...)
	}
	return out, nil
}

// showsVerdict reports whether a format shows the verdict: those that do
// exit with it, the data exports (CSV, HDR) do not.
func showsVerdict(format string) bool {
	switch format {
	case "text", "json", "html", "junit", "markdown":
		return true
	}
	return false
}

// reportFormat is the format the flags ask for, checked with the flags
// that go with it.
func reportFormat(f *reportFlags) (string, error) {
	format := f.format
	if f.csvSeries {
		if format != "csv" && format != "csv-series" {
			return "", usageErrorf("--csv-series goes with --format csv, not %s", format)
		}
		format = "csv-series"
	}
	if err := checkReportFormat(format); err != nil {
		return "", usageErrorf("--format: %v", err)
	}
	if f.class != "" && format != "hgrm" {
		return "", usageErrorf("--class selects the histogram of --format hgrm, not %s: drop it, or add --format hgrm", format)
	}
	if f.histogram && format != "text" {
		return "", usageErrorf("--histogram draws in the text report, not %s: drop it, or use --format text", format)
	}
	return format, nil
}

// checkReportPaths checks, before -o opens anything (a FIFO's open waits
// for a reader), that the result files exist and none is the output.
func checkReportPaths(e *env, output string, paths []string) error {
	if stdinCount(paths) > 1 {
		return usageErrorf("- (standard input) can be read only once")
	}
	for _, p := range paths {
		if p == "-" {
			if in, ok := e.stdin.(*os.File); ok && sameFile(in, output) {
				return usageErrorf("--output %s: is also standard input, the result file to read; write the report elsewhere", output)
			}
			continue
		}
		if samePath(p, output) {
			return usageErrorf("--output %s: is also a result file to read; write the report elsewhere", output)
		}
		if _, err := os.Stat(p); err != nil {
			return usageErrorf("result file: %v", err)
		}
	}
	return nil
}

// exportVegeta writes the records of the result files as vegeta JSON
// results. A damaged input is a usage error, a failure to write a runtime
// one.
func exportVegeta(ctx context.Context, e *env, w io.Writer, paths []string) error {
	src := analyze.Files(paths, analyze.FileOptions{Stdin: e.stdin, Strict: true})
	_, err := analyze.Consume(ctx, src, analyze.NewVegetaJSON(w))
	var write *analyze.WriteError
	switch {
	case err == nil || ctx.Err() != nil:
		return err
	case errors.As(err, &write):
		return runtimeError(err)
	}
	return usageErrorf("%v", err)
}

// reportFormats are the formats of every command's reports (--format,
// --report): those of package reports, and vegeta-json.
var reportFormats = append(slices.Clone(reports.Formats), vegetaJSON)

// checkReportFormat checks a report format: one of reportFormats.
func checkReportFormat(format string) error {
	if format == vegetaJSON {
		return nil
	}
	if err := reports.CheckFormat(format); err != nil {
		return fmt.Errorf("%w, %s", err, vegetaJSON)
	}
	return nil
}

// vegetaExport is the vegeta-json report of a run. Vegeta JSON is the
// records themselves, not a summary of them: the consume loop writes it,
// as the records stream (Sink), into a temporary file, copied where the
// report goes once the run is over (WriteTo).
type vegetaExport struct {
	tmp  *os.File
	buf  *bufio.Writer
	sink *analyze.VegetaJSON
}

// newVegetaExport returns the vegeta-json report of a run about to be
// consumed, or nil when neither the format nor a report asks for it.
func newVegetaExport(format string, specs []reportSpec) (*vegetaExport, error) {
	wanted := format == vegetaJSON
	for _, s := range specs {
		wanted = wanted || s.format == vegetaJSON
	}
	if !wanted {
		return nil, nil
	}
	tmp, err := os.CreateTemp("", "stampede-vegeta-*.json")
	if err != nil {
		return nil, runtimeError(fmt.Errorf("%s report: %w", vegetaJSON, err))
	}
	x := &vegetaExport{tmp: tmp, buf: bufio.NewWriter(tmp)}
	x.sink = analyze.NewVegetaJSON(x.buf)
	return x, nil
}

// sinks appends the export's sink to sinks; a nil export appends none.
func (x *vegetaExport) sinks(sinks []analyze.Sink) []analyze.Sink {
	if x == nil {
		return sinks
	}
	return append(sinks, x.sink)
}

// WriteTo copies the records written so far, as vegeta JSON, to w.
func (x *vegetaExport) WriteTo(w io.Writer) (int64, error) {
	if err := x.buf.Flush(); err != nil {
		return 0, runtimeError(fmt.Errorf("%s report: %w", vegetaJSON, err))
	}
	if _, err := x.tmp.Seek(0, io.SeekStart); err != nil {
		return 0, runtimeError(fmt.Errorf("%s report: %w", vegetaJSON, err))
	}
	n, err := io.Copy(w, x.tmp)
	if err != nil {
		err = runtimeError(fmt.Errorf("write %s report: %w", vegetaJSON, err))
	}
	return n, err
}

// Close removes the temporary file; a nil export has none.
func (x *vegetaExport) Close() {
	if x == nil {
		return
	}
	x.tmp.Close()
	os.Remove(x.tmp.Name())
}

// renderReport writes the report of a run in a format, vegeta-json from
// the run's export.
func renderReport(w io.Writer, format string, run analyze.Run, view reports.Options, vx *vegetaExport) error {
	if format == vegetaJSON {
		_, err := vx.WriteTo(w)
		return err
	}
	return reports.Render(w, format, run, view)
}

// stdinCount counts the "-" among paths.
func stdinCount(paths []string) int {
	n := 0
	for _, p := range paths {
		if p == "-" {
			n++
		}
	}
	return n
}

// samePath reports whether two paths name the same file: the same path
// once cleaned, or the same existing file by another name.
func samePath(a, b string) bool {
	if a == "" || b == "" || a == "-" || b == "-" {
		return false
	}
	if absA, errA := filepath.Abs(a); errA == nil {
		if absB, errB := filepath.Abs(b); errB == nil && absA == absB {
			return true
		}
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// sameFile reports whether an open file is the file at path.
func sameFile(f *os.File, path string) bool {
	if path == "" || path == "-" {
		return false
	}
	a, errA := f.Stat()
	b, errB := os.Stat(path)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

// writeOutput runs write into stdout for "-". A regular file is written
// beside path and renamed over it once complete, keeping the mode of the
// file it replaces: a failed report never leaves a half-written file
// behind, nor destroys an older one. Anything else that exists (a FIFO,
// /dev/stdout, a terminal) is written in place. flag names the option
// that gave path, for error messages.
func writeOutput(e *env, flag, path string, write func(io.Writer) error) error {
	if path == "-" || path == "" {
		bw := bufio.NewWriter(e.stdout)
		if err := write(bw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return runtimeError(fmt.Errorf("write report: %w", err))
		}
		return nil
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		switch {
		case st.IsDir():
			return usageErrorf("%s %s: is a directory; give a file name", flag, path)
		case !st.Mode().IsRegular():
			return writeInPlace(flag, path, write)
		}
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return usageErrorf("%s %s: %v", flag, path, errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing to remove
	bw := bufio.NewWriter(tmp)
	if err := write(bw); err != nil {
		tmp.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		tmp.Close()
		return runtimeError(fmt.Errorf("%s %s: %w", flag, path, err))
	}
	if err := tmp.Close(); err != nil {
		return runtimeError(fmt.Errorf("%s %s: %w", flag, path, err))
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return runtimeError(fmt.Errorf("%s %s: %w", flag, path, err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return runtimeError(fmt.Errorf("%s %s: %w", flag, path, err))
	}
	return nil
}

// writeInPlace writes into an existing file that is not a regular one.
func writeInPlace(flag, path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return usageErrorf("%s %s: %v", flag, path, errors.Unwrap(err))
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	var exit *exitError
	if err != nil && !errors.As(err, &exit) {
		err = runtimeError(fmt.Errorf("%s %s: %w", flag, path, err))
	}
	return err
}

// reportSpec is one --report FORMAT=PATH.
type reportSpec struct{ format, path string }

// parseReportSpecs reads the --report values, and checks before the run
// that each can be written: its directory exists, and it is neither the
// result file (output) nor another report.
func parseReportSpecs(values []string, output string) ([]reportSpec, error) {
	var specs []reportSpec
	for _, v := range values {
		format, path, ok := strings.Cut(v, "=")
		if !ok || path == "" {
			return nil, usageErrorf("--report %q: want FORMAT=PATH, such as html=report.html", v)
		}
		if path == "-" {
			return nil, usageErrorf("--report %q: the summary goes to standard output; give a file name (or use --format json)", v)
		}
		if err := checkReportFormat(format); err != nil {
			return nil, usageErrorf("--report %q: %v", v, err)
		}
		if samePath(path, output) {
			return nil, usageErrorf("--report %q: %s is the result file (-o); give the report another name", v, path)
		}
		for _, other := range specs {
			if samePath(path, other.path) {
				return nil, usageErrorf("--report %q: %s is already the path of another report", v, path)
			}
		}
		if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
			return nil, usageErrorf("--report %q: no directory %s to write it in", v, filepath.Dir(path))
		}
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			return nil, usageErrorf("--report %q: %s is a directory; give a file name", v, path)
		}
		specs = append(specs, reportSpec{format, path})
	}
	return specs, nil
}

// writeReports writes each report of a finished run. A report that
// cannot be written does not stop the others; the first error is returned.
// A vegeta-json report is copied from vx, the run's export.
func writeReports(e *env, specs []reportSpec, run analyze.Run, view reports.Options, vx *vegetaExport) error {
	var first error
	for _, spec := range specs {
		err := writeOutput(e, "--report "+spec.format, spec.path, func(w io.Writer) error {
			if err := renderReport(w, spec.format, run, view, vx); err != nil {
				var exit *exitError
				if errors.As(err, &exit) {
					return err
				}
				return runtimeError(fmt.Errorf("write %s report %s: %w", spec.format, spec.path, err))
			}
			return nil
		})
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}
