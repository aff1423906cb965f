package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/sim"
)

// limitedServer answers every third request with a 429 in the OpenAI
// dialect (with Retry-After), the others with a 200.
func limitedServer(t *testing.T) *httptest.Server {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 0 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error": {"code": "rate_limit_exceeded", "message": "Rate limit reached", "type": "requests"}}`))
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// attackFile runs a short attack into a result file and returns its path.
func attackFile(t *testing.T, url, dir, name string, extra ...string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	args := append([]string{"attack", "--url", url, "--rate", "100/s", "--duration", "600ms", "-q", "-o", path}, extra...)
	if code, _, stderr := runInProcess(t, args...); code != 0 {
		t.Fatalf("attack exit %d: %s", code, stderr)
	}
	return path
}

// TestReportEveryFormat renders one result file in every format, each
// checked for what makes it valid.
func TestReportEveryFormat(t *testing.T) {
	srv := limitedServer(t)
	dir := t.TempDir()
	file := attackFile(t, srv.URL+"/v1/items", dir, "r.bin")
	_, recs, _ := readResults(t, file)
	n := len(recs)

	for _, tc := range []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{"text", func(t *testing.T, out string) {
			for _, want := range []string{"Read      " + file, "Classes", "rate_limit_exceeded", "Rate-limit contract"} {
				if !strings.Contains(out, want) {
					t.Errorf("text lacks %q", want)
				}
			}
		}},
		{"json", func(t *testing.T, out string) {
			var doc struct {
				Schema   string `json:"schema"`
				Requests int    `json:"requests"`
				Verdict  struct{ Pass bool }
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Schema != "stampede/summary/v1" || doc.Requests != n {
				t.Errorf("json: %v, schema %q, %d requests of %d", err, doc.Schema, doc.Requests, n)
			}
		}},
		{"csv", func(t *testing.T, out string) {
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(rows) != 3 || rows[0][0] != "class_id" {
				t.Errorf("csv: %v, %d rows: %q", err, len(rows), out)
			}
		}},
		{"csv-series", func(t *testing.T, out string) {
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(rows) < 3 || rows[0][0] != "start" {
				t.Errorf("csv-series: %v, %d rows", err, len(rows))
			}
		}},
		{"html", func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "rate_limit_exceeded") || strings.Contains(out, `src="http`) {
				t.Errorf("html: %.200q…", out)
			}
		}},
		{"junit", func(t *testing.T, out string) {
			var suites struct {
				Suites []struct {
					Tests int `xml:"tests,attr"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal([]byte(out), &suites); err != nil || len(suites.Suites) != 1 || suites.Suites[0].Tests < 15 {
				t.Errorf("junit: %v, %+v", err, suites)
			}
		}},
		{"markdown", func(t *testing.T, out string) {
			if !strings.Contains(out, "PASS") || !strings.Contains(out, "| ") {
				t.Errorf("markdown: %q", out)
			}
		}},
		{"hgrm", func(t *testing.T, out string) {
			if !strings.Contains(out, "Value     Percentile TotalCount 1/(1-Percentile)") || !regexp.MustCompile(`Total count\s+=\s+`+strconv.Itoa(n)+`\]`).MatchString(out) {
				t.Errorf("hgrm: %q", out)
			}
		}},
		{"vegeta-json", func(t *testing.T, out string) {
			dec := vegeta.NewJSONDecoder(strings.NewReader(out))
			var m vegeta.Metrics
			var r vegeta.Result
			for dec.Decode(&r) == nil {
				m.Add(&r)
			}
			m.Close()
			if int(m.Requests) != n || m.StatusCodes["429"] == 0 {
				t.Errorf("vegeta-json: %d results of %d, statuses %v", m.Requests, n, m.StatusCodes)
			}
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			code, stdout, stderr := runInProcess(t, "report", "--format", tc.format, file)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			tc.check(t, stdout)
		})
	}

	// -o writes a file, and --class picks the histogram of the 429s.
	out := filepath.Join(dir, "429.hgrm")
	if code, _, stderr := runInProcess(t, "report", "--format", "hgrm", "--class", "429/rate_limit_exceeded", "-o", out, file); code != 0 {
		t.Fatalf("hgrm --class: exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil || !regexp.MustCompile(`Total count\s+=\s+`+strconv.Itoa(n/3)+`\]`).Match(data) {
		t.Errorf("429.hgrm: %v\n%s", err, data)
	}
}

// TestReportMergesShards: two shard files report the sum of both: counts,
// statuses and the contract checks.
func TestReportMergesShards(t *testing.T) {
	srv := limitedServer(t)
	dir := t.TempDir()
	a := attackFile(t, srv.URL+"/", dir, "a.bin", "--shard", "a", "--run-id", "r1")
	b := attackFile(t, srv.URL+"/", dir, "b.bin", "--shard", "b", "--run-id", "r1")
	type doc struct {
		Requests  int            `json:"requests"`
		Status    map[string]int `json:"status"`
		Shards    []string       `json:"shards"`
		RunID     string         `json:"run_id"`
		RateLimit *struct {
			Rules []struct {
				ID      string `json:"id"`
				Checked int    `json:"checked"`
			} `json:"rules"`
		} `json:"rate_limit"`
	}
	report := func(files ...string) doc {
		t.Helper()
		code, stdout, stderr := runInProcess(t, append([]string{"report", "--format", "json"}, files...)...)
		var d doc
		if code != 0 || json.Unmarshal([]byte(stdout), &d) != nil || d.RateLimit == nil {
			t.Fatalf("report %v: exit %d, %s", files, code, stderr)
		}
		return d
	}
	da, db, both := report(a), report(b), report(a, b)
	if both.Requests != da.Requests+db.Requests || strings.Join(both.Shards, ",") != "a,b" || both.RunID != "r1" {
		t.Errorf("merged: %d requests (want %d), shards %v, run %q", both.Requests, da.Requests+db.Requests, both.Shards, both.RunID)
	}
	for code, n := range both.Status {
		if n != da.Status[code]+db.Status[code] {
			t.Errorf("status %s: %d merged; %d + %d in the shards", code, n, da.Status[code], db.Status[code])
		}
	}
	for i, r := range both.RateLimit.Rules {
		if r.ID == "retry-after-on-429" && (r.Checked == 0 || r.Checked != da.RateLimit.Rules[i].Checked+db.RateLimit.Rules[i].Checked) {
			t.Errorf("%s checked %d merged; %d + %d in the shards", r.ID, r.Checked, da.RateLimit.Rules[i].Checked, db.RateLimit.Rules[i].Checked)
		}
	}
}

// TestAttackWritesReports: --report FORMAT=PATH writes each report at the
// end of the run, and a bad one is a usage error before any request.
func TestAttackWritesReports(t *testing.T) {
	srv := limitedServer(t)
	dir := t.TempDir()
	html, junit := filepath.Join(dir, "r.html"), filepath.Join(dir, "junit.xml")
	attackFile(t, srv.URL+"/", dir, "r.bin", "--report", "html="+html, "--report", "junit="+junit)
	for _, p := range []string{html, junit} {
		if st, err := os.Stat(p); err != nil || st.Size() < 500 {
			t.Errorf("%s: %v", p, err)
		}
	}
	data, _ := os.ReadFile(html)
	if !bytes.Contains(data, []byte("stampede attack")) {
		t.Errorf("the HTML report lacks the command line")
	}
	counting, hits := countingServer(t)
	result := filepath.Join(dir, "kept.bin")
	for _, tc := range []struct{ arg, want string }{
		{"pdf=x.pdf", `unknown report format "pdf"`},
		{"html", "want FORMAT=PATH"},
		{"html=", "want FORMAT=PATH"},
		{"html=-", "give a file name"},
		{"html=" + result, "is the result file (-o)"},
		{"html=" + filepath.Join(dir, "no", "such", "dir", "r.html"), "no directory"},
	} {
		code, _, stderr := runInProcess(t, "attack", "--url", counting.URL, "--duration", "1s", "-q", "-o", result, "--report", tc.arg)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("--report %s: exit %d, %q; want 2 and %q", tc.arg, code, stderr, tc.want)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("a bad --report let %d requests go out; it must stop the attack before it starts", hits.Load())
	}
	// Two reports on one path, however named.
	code, _, stderr := runInProcess(t, "attack", "--url", counting.URL, "--duration", "1s", "-q", "-o", "",
		"--report", "html="+filepath.Join(dir, "x.html"), "--report", "json="+filepath.Join(dir, ".", "x.html"))
	if code != exitUsage || !strings.Contains(stderr, "already the path of another report") {
		t.Errorf("two reports on one path: exit %d, %q", code, stderr)
	}
}

// TestReportUsageErrors: every mistake is one line and exit status 2, and
// nothing is written.
func TestReportUsageErrors(t *testing.T) {
	srv := limitedServer(t)
	dir := t.TempDir()
	file := attackFile(t, srv.URL+"/", dir, "r.bin")
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not results\n"), 0o644)
	out := filepath.Join(dir, "out.html")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "give one or more result files"},
		{[]string{"report", filepath.Join(dir, "missing.bin")}, "no such file"},
		{[]string{"report", text}, "not a stampede or vegeta result file"},
		{[]string{"report", dir}, "is a directory"},
		{[]string{"report", "--format", "pdf", file}, `unknown report format "pdf"`},
		{[]string{"report", "--format", "json", "--class", "429", file}, "--class selects the histogram of --format hgrm"},
		{[]string{"report", "--format", "json", "--csv-series", file}, "--csv-series goes with --format csv"},
		{[]string{"report", "--format", "hgrm", "--class", "404", file}, `--class "404": matches no class; the classes are: 200, 429/rate_limit_exceeded`},
		{[]string{"report", "--format", "hgrm", "--class", "7", file}, "is not an HTTP status"},
		{[]string{"report", "-", "-"}, "can be read only once"},
		{[]string{"report", "--format", "html", "-o", out, text}, "not a stampede or vegeta result file"},
		{[]string{"report", "--format", "html", "-o", file, file}, "is also a result file to read"},
		{[]string{"report", "--format", "hgrm", "--class", "0", file}, `--class "0": 0 is not an HTTP status (100 to 999) (see`},
	} {
		code, stdout, stderr := runInProcess(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want 2 and one line with %q", tc.args, code, stderr, len(stdout), tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed report left %s behind: %v", out, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".out.html*")); len(m) > 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

// TestReportOutputFiles: -o keeps the mode of the file it replaces and
// writes into a FIFO in place, so that a reader at its other end gets the
// report.
func TestReportOutputFiles(t *testing.T) {
	srv := limitedServer(t)
	dir := t.TempDir()
	file := attackFile(t, srv.URL+"/", dir, "r.bin")
	private := filepath.Join(dir, "private.md")
	if err := os.WriteFile(private, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runInProcess(t, "report", "--format", "markdown", "-o", private, file); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if st, err := os.Stat(private); err != nil || st.Mode().Perm() != 0o600 || st.Size() < 100 {
		t.Errorf("private.md: %v, mode %v; want the report, mode 0600", err, st.Mode())
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan []byte, 1)
	go func() {
		data, _ := os.ReadFile(fifo) // opens for reading: the writer's open returns
		got <- data
	}()
	if code, _, stderr := runInProcess(t, "report", "--format", "json", "-o", fifo, file); code != 0 {
		t.Fatalf("report into a FIFO: exit %d: %s", code, stderr)
	}
	select {
	case data := <-got:
		if !bytes.Contains(data, []byte(`"schema": "stampede/summary/v1"`)) {
			t.Errorf("the FIFO's reader got %d bytes: %.100q", len(data), data)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the FIFO's reader got nothing in 10 s")
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", err, st.Mode())
	}
}

// TestReportKeepsPathRuleClasses: classes told apart only by a --classify
// rule with a path read back from the file as the run saw them.
func TestReportKeepsPathRuleClasses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"detail": "Too many requests"}`))
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	targets := filepath.Join(dir, "targets.txt")
	os.WriteFile(targets, []byte("GET "+srv.URL+"/a\n\nGET "+srv.URL+"/b\n"), 0o644)
	file := filepath.Join(dir, "r.bin")
	code, live, stderr := runInProcess(t, "attack", "--targets", targets, "--rate", "100/s", "--duration", "400ms", "-q", "-o", file,
		"--classify", "path=/a,status=429,category=server_error", "--format", "json")
	if code != 0 {
		t.Fatalf("attack exit %d: %s", code, stderr)
	}
	code, replayed, stderr := runInProcess(t, "report", "--format", "json", file)
	if code != 0 {
		t.Fatalf("report exit %d: %s", code, stderr)
	}
	type classes struct {
		Classes []struct {
			Category string
			Count    int
		}
	}
	var a, b classes
	if json.Unmarshal([]byte(live), &a) != nil || json.Unmarshal([]byte(replayed), &b) != nil || len(a.Classes) != 2 || !reflect.DeepEqual(a, b) {
		t.Errorf("live classes %+v; replayed %+v; want the same two", a, b)
	}
}

// TestReportWithProbe: the JSON report of `stampede probe` read with a
// result file appears in every report, and a lying limiter fails the
// verdict.
func TestReportWithProbe(t *testing.T) {
	dir := t.TempDir()
	srv, _ := probeSim(t, sim.RetryAfterLying, 1)
	code, stdout, stderr := runInProcess(t, probeArgs(srv.URL, "--format", "json", "-q")...)
	if code != exitThreshold {
		t.Fatalf("probe of a lying limiter: exit %d; want 1\n%s", code, stderr)
	}
	probeFile := filepath.Join(dir, "probe.json")
	os.WriteFile(probeFile, []byte(stdout), 0o644)
	file := attackFile(t, limitedServer(t).URL+"/", dir, "r.bin")

	for format, want := range map[string][]string{
		"text":     {"Probes of the Retry-After", "understated"},
		"markdown": {"**Probes of the Retry-After**", "❌", "understated"},
		"junit":    {`classname="probe"`, `type="understated"`},
		"html":     {`<section id="probes">`, "understated", "Advertised wait"},
		"json":     {`"probes": [`, `"schema": "stampede/probe/v1"`, `"probe of `},
	} {
		code, out, stderr := runInProcess(t, "report", "--format", format, file, probeFile)
		if code != exitThreshold || !strings.Contains(stderr, "understated") {
			t.Fatalf("%s: exit %d (%s): want 1, the probe's understated verdict failing the run", format, code, stderr)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s report lacks %q", format, w)
			}
		}
		if strings.Contains(out, "s3cret-query") {
			t.Errorf("%s report shows the probe's secret query value", format)
		}
	}
	// A probe report alone renders too, with no "no request" failure: the
	// probe's understated verdict alone fails it.
	code, out, stderr := runInProcess(t, "report", "--format", "json", probeFile)
	if code != exitThreshold || strings.Contains(out, "no request was made") || !strings.Contains(out, "understated") {
		t.Errorf("probe alone: exit %d, %s\n%s", code, stderr, out)
	}
	// A damaged probe report is an error naming the file.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema": "stampede/probe/v1", "requests": "many"}`), 0o644)
	if code, _, stderr := runInProcess(t, "report", bad); code != exitUsage || !strings.Contains(stderr, "bad.json: a probe report that does not parse") {
		t.Errorf("damaged probe report: exit %d, %q", code, stderr)
	}
}

// TestReportOutputGuards: standard input may not be -o's file either; a
// missing input fails before -o opens a FIFO (whose open would wait for a
// reader); --report may not name a directory; the vegeta-json export
// skips probe reports and says a write failure is the run's (exit 3).
func TestReportOutputGuards(t *testing.T) {
	srv := limitedServer(t)
	dir := t.TempDir()
	file := attackFile(t, srv.URL+"/", dir, "r.bin")

	in, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var stdout, stderr bytes.Buffer
	e := &env{stdin: in, stdout: &stdout, stderr: &stderr, abort: context.Background()}
	if code := run(context.Background(), e, []string{"report", "-o", file, "-"}); code != exitUsage || !strings.Contains(stderr.String(), "is also standard input") {
		t.Errorf("report - -o r.bin < r.bin: exit %d, %q", code, stderr.String())
	}
	if _, _, err := readResultsErr(file); err != nil {
		t.Errorf("the result file was damaged: %v", err)
	}

	fifo := filepath.Join(dir, "out.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan int, 1)
	go func() {
		code, _, _ := runInProcess(t, "report", "-o", fifo, filepath.Join(dir, "missing.bin"))
		done <- code
	}()
	select {
	case code := <-done:
		if code != exitUsage {
			t.Errorf("missing input, -o FIFO: exit %d; want 2", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a missing input with -o FIFO hung: -o was opened first")
	}

	code, _, stderrText := runInProcess(t, "attack", "--url", srv.URL, "--duration", "1s", "-q", "-o", "", "--report", "html="+dir)
	if code != exitUsage || !strings.Contains(stderrText, "is a directory") {
		t.Errorf("--report html=DIR: exit %d, %q", code, stderrText)
	}

	probeFile := filepath.Join(dir, "probe.json")
	os.WriteFile(probeFile, []byte(`{"schema": "stampede/probe/v1", "target": "GET /", "verdict": "honest", "probe": {"rounds": []}}`), 0o644)
	code, out, stderrText := runInProcess(t, "report", "--format", "vegeta-json", file, probeFile)
	if code != 0 || strings.Count(out, "\n") == 0 {
		t.Errorf("vegeta-json with a probe report: exit %d, %q", code, stderrText)
	}
	if _, err := os.Stat("/dev/full"); err == nil {
		code, _, stderrText := runInProcess(t, "report", "--format", "vegeta-json", "-o", "/dev/full", file)
		if code != exitRuntime || !strings.Contains(stderrText, "no space left") {
			t.Errorf("vegeta-json into /dev/full: exit %d, %q; want 3", code, stderrText)
		}
	}
}

// readResultsErr reads a result file to its end.
func readResultsErr(path string) (records.Header, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return records.Header{}, 0, err
	}
	defer f.Close()
	r, err := records.NewReader(f)
	if err != nil {
		return records.Header{}, 0, err
	}
	n := 0
	var rec records.Record
	for r.Next(&rec) == nil {
		n++
	}
	return r.Header(), n, nil
}

// TestVegetaFileSendDelayUnknown: vegeta's files keep no scheduled time,
// so their send delay is unknown, not a measured 1 µs; a stampede file's
// is measured.
func TestVegetaFileSendDelayUnknown(t *testing.T) {
	srv, _ := countingServer(t)
	dir := t.TempDir()
	own, theirs := filepath.Join(dir, "r.bin"), filepath.Join(dir, "v.json")
	if code, _, stderr := runInProcess(t, "attack", "-u", srv.URL, "-r", "50/s", "-d", "200ms", "-q", "-o", own); code != exitOK {
		t.Fatalf("attack: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runInProcess(t, "report", "--format", "vegeta-json", "-o", theirs, own); code != exitOK {
		t.Fatalf("report -f vegeta-json: exit %d: %s", code, stderr)
	}
	_, text, _ := runInProcess(t, "report", theirs)
	_, doc, _ := runInProcess(t, "report", "--format", "json", theirs)
	if !strings.Contains(text, "unknown (vegeta files keep no schedule)") || !strings.Contains(doc, `"send_delay_unknown": true`) {
		t.Errorf("a vegeta file's send delay is not unknown:\n%s\n%s", text, doc)
	}
	_, text, _ = runInProcess(t, "report", own)
	_, doc, _ = runInProcess(t, "report", "--format", "json", own)
	if strings.Contains(text, "unknown (vegeta") || strings.Contains(doc, "send_delay_unknown") {
		t.Errorf("a stampede file's send delay is unknown:\n%s", text)
	}
}
