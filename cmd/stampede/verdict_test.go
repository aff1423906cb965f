package main

import (
	"encoding/xml"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/sim"
)

// closedPort returns the address of a 127.0.0.1 port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// simServer serves the simulation as `stampede serve` would with args.
func simServer(t *testing.T, args ...string) string {
	t.Helper()
	f := &serveFlags{}
	fl := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	f.register(fl)
	if err := fl.Parse(args); err != nil {
		t.Fatal(err)
	}
	cfg, err := serveConfig(fl, f)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestAttackVerdictTellsTheTruth: a run whose every request failed exits
// 1 and names the threshold with what it measured; a healthy one exits 0.
func TestAttackVerdictTellsTheTruth(t *testing.T) {
	all500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer all500.Close()
	healthy, _ := countingServer(t)
	for _, tc := range []struct {
		name, url string
		extra     []string
		code      int
		want      string
	}{
		{"closed port", "http://" + closedPort(t) + "/", nil, exitThreshold, "transport failures 100.0 % > 1 %: 20 connection_refused"},
		{"all 500", all500.URL, nil, exitThreshold, "server errors (5xx) 100.0 % > 1 %: 20 HTTP 500"},
		{"healthy", healthy.URL, nil, exitOK, ""},
		{"healthy, a threshold it misses", healthy.URL, []string{"--threshold", "latency.p99 < 1us"}, exitThreshold, "latency.p99 "},
		{"all 500, the defaults dropped", all500.URL, []string{"--threshold-defaults=false"}, exitOK, ""},
		{"all 500, a threshold of its own", all500.URL, []string{"--threshold", `count(status == 500) == 20`}, exitOK, ""},
	} {
		args := append([]string{"attack", "--url", tc.url, "-r", "20/s", "-d", "1s", "-o", "", "-q"}, tc.extra...)
		code, stdout, stderr := runInProcess(t, args...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d\n%s", tc.name, code, tc.code, stderr)
			continue
		}
		if tc.want != "" && (!strings.Contains(stderr, tc.want) || !strings.Contains(stdout, "Verdict: FAIL: "+tc.want)) {
			t.Errorf("%s: want %q in the verdict and on stderr:\n%s\n%s", tc.name, tc.want, stdout, stderr)
		}
		if tc.code == exitOK && !strings.Contains(stdout, "Verdict: PASS") {
			t.Errorf("%s: no PASS:\n%s", tc.name, stdout)
		}
	}
}

// TestReportJudgesMergedShards: the shards of a run that failed, merged
// by report, fail; a failed threshold fails its JUnit testcase.
func TestReportJudgesMergedShards(t *testing.T) {
	dir := t.TempDir()
	all500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }))
	defer all500.Close()
	healthy, _ := countingServer(t)
	a, b := filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.bin")
	if code, _, stderr := runInProcess(t, "attack", "--url", healthy.URL, "-r", "50/s", "-d", "1s", "-o", a, "-q", "--shard", "a", "--run-id", "r1"); code != 0 {
		t.Fatalf("shard a: exit %d: %s", code, stderr)
	}
	if code, _, _ := runInProcess(t, "attack", "--url", all500.URL, "-r", "10/s", "-d", "1s", "-o", b, "-q", "--shard", "b", "--run-id", "r1"); code != exitThreshold {
		t.Fatalf("shard b: exit %d, want 1", code)
	}
	code, out, stderr := runInProcess(t, "report", a, b)
	if code != exitThreshold || !strings.Contains(out, "server errors (5xx) 16.7 % > 1 %: 10 HTTP 500") {
		t.Fatalf("report of the merged shards: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, format := range []string{"csv", "csv-series", "csv-requests", "hgrm"} { // data, no verdict shown
		if code, _, stderr := runInProcess(t, "report", "--format", format, a, b); code != exitOK {
			t.Errorf("report --format %s of a failed run: exit %d (%s); a data export shows no verdict, want 0", format, code, stderr)
		}
	}
	if code, _, stderr := runInProcess(t, "report", a); code != exitOK {
		t.Errorf("report of the healthy shard alone: exit %d: %s", code, stderr)
	}
	junit := filepath.Join(dir, "j.xml")
	code, _, _ = runInProcess(t, "report", "--format", "junit", "-o", junit, "--threshold", "requests > 100", a, b)
	if code != exitThreshold {
		t.Fatalf("report --threshold 'requests > 100' of 60 requests: exit %d, want 1", code)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range doc.Cases {
		if c.Classname == "threshold" && c.Name == "requests > 100" {
			found = c.Failure != nil && c.Failure.Message == "requests 60 ≤ 100"
		}
	}
	if !found {
		t.Errorf("JUnit has no failed testcase for the threshold:\n%s", data)
	}
}

// TestThresholdErrors: a bad expression is a usage error naming the
// column and what was expected.
func TestThresholdErrors(t *testing.T) {
	healthy, hits := countingServer(t)
	for expr, want := range map[string]string{
		"latncy.p99 < 300ms":                     `--threshold "latncy.p99 < 300ms": column 1: unknown metric "latncy"; did you mean "latency"?`,
		"latency.p99 < 300":                      "give the number a unit, e.g. 300ms",
		"latency.p99 < 2 * baseline.latency.p99": "reads baseline.*: give the earlier run's result file with --baseline FILE",
	} {
		code, _, stderr := runInProcess(t, "attack", "--url", healthy.URL, "-d", "1s", "-o", "", "-q", "--threshold", expr)
		if code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("--threshold %q: exit %d, %q; want 2 and %q", expr, code, stderr, want)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("%d requests sent despite a bad threshold", hits.Load())
	}
}

// TestReportJudgesByTheFilesThresholds: report judges a file by the
// thresholds it was run with; files that name different thresholds are
// judged by the defaults, so one file's thresholds cannot switch off
// another's.
func TestReportJudgesByTheFilesThresholds(t *testing.T) {
	dir := t.TempDir()
	dead := "http://" + closedPort(t) + "/"
	plain, lenient := filepath.Join(dir, "plain.bin"), filepath.Join(dir, "lenient.bin")
	if code, _, _ := runInProcess(t, "attack", "--url", dead, "-r", "20/s", "-d", "1s", "-o", plain, "-q"); code != exitThreshold {
		t.Fatalf("dead port: exit %d, want 1", code)
	}
	if code, _, stderr := runInProcess(t, "attack", "--url", dead, "-r", "20/s", "-d", "1s", "-o", lenient, "-q", "--threshold", "latency.p99 < 10s"); code != exitOK {
		t.Fatalf("dead port with a lenient threshold: exit %d (%s), want 0", code, stderr)
	}
	if code, out, _ := runInProcess(t, "report", lenient); code != exitOK || !strings.Contains(out, "latency.p99 < 10s") {
		t.Errorf("report of the lenient file alone: exit %d; want 0, judged by its own threshold\n%s", code, out)
	}
	code, out, _ := runInProcess(t, "report", plain, lenient)
	if code != exitThreshold || !strings.Contains(out, "transport failures 100.0 % > 1 %") || !strings.Contains(out, "judged by different thresholds") {
		t.Errorf("report of both: exit %d; want 1, by the defaults, with a note\n%s", code, out)
	}
}

// TestNoWayAroundTheVerdict: a shard read twice, a typo in a request
// name, a baseline overwritten by its own run: none passes quietly.
func TestNoWayAroundTheVerdict(t *testing.T) {
	dir := t.TempDir()
	healthy, _ := countingServer(t)
	a := filepath.Join(dir, "a.bin")
	if code, _, stderr := runInProcess(t, "attack", "--url", healthy.URL+"/v1/items", "-r", "20/s", "-d", "1s", "-o", a, "-q", "--run-id", "r", "--shard", "a"); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, out, _ := runInProcess(t, "report", a, a); code != exitThreshold || !strings.Contains(out, "1 file is a shard read already") {
		t.Errorf("a shard read twice: exit %d\n%s", code, tail(out, 5))
	}
	code, out, _ := runInProcess(t, "report", "--threshold", `count(request == "GET /v1/itmes") == 0`, a)
	if code != exitThreshold || !strings.Contains(out, `the run has no request named "GET /v1/itmes"; did you mean "GET /v1/items"?`) {
		t.Errorf("a typo in a request name: exit %d\n%s", code, tail(out, 5))
	}
	if code, _, _ := runInProcess(t, "report", "--threshold", `count(request == "GET /v1/items") == 20`, a); code != exitOK {
		t.Errorf("the request's right name: exit %d", code)
	}
	if code, _, stderr := runInProcess(t, "attack", "--url", healthy.URL, "-d", "1s", "-q", "-o", a, "--baseline", a); code != exitUsage || !strings.Contains(stderr, "would overwrite") {
		t.Errorf("-o the baseline: exit %d, %s", code, stderr)
	}
	if code, _, stderr := runInProcess(t, "run", "mira-chat", "--dry-run", "--threshold", `request("chta").latency.p99 < 1s`); code != exitUsage || !strings.Contains(stderr, `no request "chta"`) {
		t.Errorf("run --threshold with a typo: exit %d, %s", code, stderr)
	}
}
