package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// everyFlag calls visit with every flag of every command, as the help
// and completion see them.
func everyFlag(t *testing.T, visit func(c *cobra.Command, f *pflag.Flag)) {
	t.Helper()
	root := newRootCmd(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, abort: context.Background()})
	walkFlags(root, visit)
}

// helpLine is the line --help shows for a flag.
func helpLine(f *pflag.Flag) string {
	fs := pflag.NewFlagSet("", pflag.ContinueOnError)
	fs.AddFlag(f)
	return strings.TrimSpace(fs.FlagUsages())
}

// placeholder is a backquoted placeholder of a flag's usage.
var placeholder = regexp.MustCompile("`[^`]*`")

// TestHelpDefaultsOneWay: every flag's help shows its default once, as
// (default X) at the end of its line, X unquoted: pflag's for a default it
// knows, else written so in its usage; never (default "x"), (default: x)
// or (default ""). A flag that takes a value shows a placeholder of one
// word (its usage backquotes at most one); a switch shows none.
func TestHelpDefaultsOneWay(t *testing.T) {
	n := 0
	everyFlag(t, func(c *cobra.Command, f *pflag.Flag) {
		n++
		name := c.CommandPath() + " --" + f.Name
		line := helpLine(f)
		places := placeholder.FindAllString(f.Usage, -1)
		shown, _ := pflag.UnquoteUsage(f)
		switch {
		case len(places) > 1:
			t.Errorf("%s: placeholders %q in %q; want one at most", name, places, f.Usage)
		case f.Value.Type() == "bool" && len(places) > 0:
			t.Errorf("%s: a switch with a placeholder %q", name, places)
		case f.Value.Type() != "bool" && (shown == "" || strings.Contains(shown, " ") || strings.HasPrefix(shown, "string")):
			t.Errorf("%s: placeholder %q in %q; want one word, not a Go type", name, shown, f.Usage)
		}
		if strings.Count(line, "(default") > 1 {
			t.Errorf("%s: %q shows its default twice", name, line)
		}
		for _, bad := range []string{`(default "`, "(default:", "(default )", "`"} {
			if strings.Contains(line[strings.Index(line, " "):], bad) {
				t.Errorf("%s: %q has %q", name, line, bad)
			}
		}
		if i := strings.LastIndex(line, "(default"); i >= 0 && !strings.HasSuffix(line, ")") {
			t.Errorf("%s: %q: the default is not at the end of the line", name, line)
		}
	})
	if n < 100 {
		t.Errorf("%d flags walked; want every command's", n)
	}
}

// TestCompletionDescriptionsPlain: shell completion describes every flag of
// every command in plain words, without the backquotes that name the
// placeholder of --help; --help still shows the placeholder.
func TestCompletionDescriptionsPlain(t *testing.T) {
	root := newRootCmd(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, abort: context.Background()})
	n := 0
	for _, c := range root.Commands() {
		if c.Hidden {
			continue
		}
		code, stdout, _ := runInProcess(t, "__complete", c.Name(), "--")
		if code != exitOK || strings.Contains(stdout, "`") {
			t.Errorf("__complete %s --: exit %d, %q; want descriptions without backquotes", c.Name(), code, stdout)
		}
		n += strings.Count(stdout, "\n--")
	}
	if n < 100 {
		t.Errorf("%d flags completed; want every command's", n)
	}
	for _, tc := range []struct{ args, want []string }{
		{[]string{"__complete", "attack", "--ra"}, []string{"--rate\trequest rate of --pace constant (default 50/s)", "--ramp-from\tramp: starting rate"}},
		{[]string{"__complete", "report", "-"}, []string{"--format\treport format: "}},
		{[]string{"__complete", "serve", "--add"}, []string{"--addr\taddress to listen on"}},
		{[]string{"attack", "--help"}, []string{"-r, --rate rate ", " request rate of --pace constant (default 50/s)"}},
	} {
		_, stdout, _ := runInProcess(t, tc.args...)
		for _, want := range tc.want {
			if !strings.Contains(stdout, want) {
				t.Errorf("%q: no %q in\n%s", tc.args, want, stdout)
			}
		}
	}
}

// TestOutputAndFormatOneMeaning: -o/--output and -f/--format mean the same
// in every command that has them: -o is the file the command writes, the
// result file of attack and run and the report of the others, - for
// stdout; -f is the report's format.
func TestOutputAndFormatOneMeaning(t *testing.T) {
	root := newRootCmd(&env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, abort: context.Background()})
	outputs := map[string]string{}
	for _, c := range root.Commands() {
		if f := c.Flags().Lookup("output"); f != nil {
			if f.Shorthand != "o" || !strings.HasPrefix(f.Usage, "`file` the command writes: the ") || !strings.Contains(f.Usage, "- for stdout") {
				t.Errorf("stampede %s: -%s, --output %q; want -o, `file` the command writes: the …; - for stdout", c.Name(), f.Shorthand, f.Usage)
			}
			outputs[c.Name()] = f.Usage
		}
		if f := c.Flags().Lookup("format"); f != nil && (f.Shorthand != "f" || !strings.HasPrefix(f.Usage, "report `format`")) {
			t.Errorf("stampede %s: -%s, --format %q; want -f, report `format` …", c.Name(), f.Shorthand, f.Usage)
		}
		if f := c.Flags().ShorthandLookup("o"); f != nil && f.Name != "output" {
			t.Errorf("stampede %s: -o is --%s; want --output", c.Name(), f.Name)
		}
	}
	for name, product := range map[string]string{"attack": "result file", "run": "result file", "report": "report", "probe": "report", "grade-client": "report"} {
		if !strings.HasPrefix(outputs[name], "`file` the command writes: the "+product) {
			t.Errorf("stampede %s --output %q; want the %s", name, outputs[name], product)
		}
	}
}

// TestProbeOutput: probe writes its report to -o, as report does, and
// nothing to stdout then.
func TestProbeOutput(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	out := filepath.Join(t.TempDir(), "probe.json")
	code, stdout, stderr := runInProcess(t, "probe", "-u", srv.URL, "--rounds", "1", "--max-requests", "20", "--start-rate", "100/s", "--max-rate", "200/s", "--step", "50ms", "-q", "-f", "json", "-o", out)
	data, err := os.ReadFile(out)
	if err != nil || stdout != "" || !json.Valid(data) || !strings.Contains(string(data), `"verdict": "no_limit"`) {
		t.Errorf("probe -f json -o %s: exit %d, stdout %q, file %q (%v); want the JSON report in the file (stderr %s)", out, code, stdout, data, err, stderr)
	}
}

// formatMarks are what a report of each format starts with, or holds.
var formatMarks = map[string]string{
	"text": "Target    ", "json": `"schema": "stampede/summary/v1"`, "csv": "class_id,status,", "csv-series": "start,second,width_s,",
	"csv-requests": "request,count,successes,", "html": "<!DOCTYPE html>", "junit": "<testsuites", "markdown": "stampede: PASS",
	"hgrm": "Value     Percentile", vegetaJSON: `{"attack":"stampede","seq":0,"code":200,`,
}

// quickProfile writes a profile of 20/s for 300 ms against url.
func quickProfile(t *testing.T, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "quick.yaml")
	profile := "name: quick\ntarget:\n  base-url: " + url + "\nrequests:\n  - {name: root, path: /}\nphases:\n  - {name: steady, load: {rate: 20/s, duration: 300ms}}\n"
	if err := os.WriteFile(path, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEveryFormatFromEveryCommand: every report format, vegeta-json too,
// works as attack's and run's summary (--format), as a report of theirs
// (--report FORMAT=PATH), and from report (--format, --report).
func TestEveryFormatFromEveryCommand(t *testing.T) {
	srv, _ := countingServer(t)
	profile := quickProfile(t, srv.URL)
	dir := t.TempDir()
	results := filepath.Join(dir, "run.bin")
	if code, _, stderr := runInProcess(t, "attack", "-u", srv.URL, "-r", "20/s", "-d", "300ms", "-q", "-o", results); code != exitOK {
		t.Fatalf("attack: exit %d: %s", code, stderr)
	}
	if len(reportFormats) != len(formatMarks) {
		t.Fatalf("formats %q; want a mark for each in formatMarks", reportFormats)
	}
	commands := map[string][]string{
		"attack": {"attack", "-u", srv.URL, "-r", "20/s", "-d", "300ms", "-q", "-o", ""},
		"run":    {"run", profile, "-q", "-o", ""},
		"report": {"report", results},
	}
	for _, format := range reportFormats {
		mark := formatMarks[format]
		for name, args := range commands {
			t.Run(name+"/"+format, func(t *testing.T) {
				code, stdout, stderr := runInProcess(t, append(slices.Clone(args), "-f", format)...)
				if code != exitOK || !strings.Contains(stdout, mark) {
					t.Errorf("%s -f %s: exit %d, %q…; want %q in it (stderr %s)", name, format, code, stdout[:min(len(stdout), 200)], mark, stderr)
				}
				path := filepath.Join(t.TempDir(), "report."+format)
				code, _, stderr = runInProcess(t, append(slices.Clone(args), "--report", format+"="+path)...)
				data, err := os.ReadFile(path)
				if code != exitOK || err != nil || !strings.Contains(string(data), mark) {
					t.Errorf("%s --report %s=PATH: exit %d, %q… (%v); want %q in it (stderr %s)", name, format, code, data[:min(len(data), 200)], err, mark, stderr)
				}
			})
		}
	}
}

// TestRunOutputStdout: run -o - writes the result file to stdout and its
// summary to stderr, as attack does, instead of both to stdout.
func TestRunOutputStdout(t *testing.T) {
	srv, _ := countingServer(t)
	code, stdout, stderr := runInProcess(t, "run", quickProfile(t, srv.URL), "-q", "-o", "-")
	path := filepath.Join(t.TempDir(), "stdout.bin")
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	_, recs, _ := readResults(t, path)
	if code != exitOK || len(recs) != 6 || strings.Contains(stdout, "Target    ") || !strings.Contains(stderr, "Target    ") {
		t.Errorf("run -o -: exit %d, %d records on stdout, summary on stderr %v; want 6 records on stdout, the summary on stderr only (stderr %s)", code, len(recs), strings.Contains(stderr, "Target    "), stderr)
	}
}

// TestProfileVegetaReport: a profile's reports: may name vegeta-json, as
// run --report may.
func TestProfileVegetaReport(t *testing.T) {
	srv, _ := countingServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out", "v.json")
	profile := filepath.Join(dir, "p.yaml")
	body := "name: quick\ntarget:\n  base-url: " + srv.URL + "\nrequests:\n  - {name: root, path: /}\nphases:\n  - {name: steady, load: {rate: 20/s, duration: 300ms}}\nreports:\n  vegeta-json: " + out + "\n"
	if err := os.WriteFile(profile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runInProcess(t, "run", profile, "-q", "-o", "")
	data, err := os.ReadFile(out)
	if code != exitOK || err != nil || strings.Count(string(data), formatMarks[vegetaJSON][:20]) != 6 {
		t.Errorf("run with reports: vegeta-json: exit %d, %q (%v); want 6 vegeta results (stderr %s)", code, data, err, stderr)
	}
}
