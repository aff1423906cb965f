package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stampede-dev/stampede/metrics"
	"github.com/stampede-dev/stampede/reports"
)

// lineWriter is an output safe for the command writing it and the test
// reading it, which hands over each complete line as it is written.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	part  string
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 1000)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.part += string(p)
	for {
		line, rest, ok := strings.Cut(w.part, "\n")
		if !ok {
			break
		}
		select {
		case w.lines <- line:
		default: // nobody reads that many lines
		}
		w.part = rest
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// awaitLine returns the first line from w that starts with prefix,
// failing after 30 s.
func awaitLine(t *testing.T, w *lineWriter, prefix string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line := <-w.lines:
			if strings.HasPrefix(line, prefix) {
				return line
			}
		case <-timeout:
			t.Fatalf("no line %q within 30s; output:\n%s", prefix, w.String())
		}
	}
}

// bgRun is the CLI run in-process in a goroutine of its own.
type bgRun struct {
	stdout, stderr *lineWriter
	cancel         context.CancelFunc // interrupts it
	done           chan int           // its exit code
	once           sync.Once
	code           int
}

// background runs the CLI in-process in its own goroutine; the test's end
// interrupts it and waits for it.
func background(t *testing.T, args ...string) *bgRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b := &bgRun{stdout: newLineWriter(), stderr: newLineWriter(), cancel: cancel, done: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: b.stdout, stderr: b.stderr, abort: context.Background()}
	go func() { b.done <- run(ctx, e, args) }()
	t.Cleanup(func() {
		cancel()
		b.wait(t)
	})
	return b
}

// wait returns the exit code, failing after 30 s.
func (b *bgRun) wait(t *testing.T) int {
	t.Helper()
	b.once.Do(func() {
		select {
		case b.code = <-b.done:
		case <-time.After(30 * time.Second):
			b.code = -1
			t.Errorf("the command did not end within 30s")
		}
	})
	return b.code
}

// scrape fetches and parses the text exposition at url.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return fams
}

// total adds the values of the series of a family by the value of label
// by ("" for one total), of those whose labels include match.
func total(fams map[string]*dto.MetricFamily, name, by string, match map[string]string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range fams[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		ok := true
		for k, v := range match {
			ok = ok && labels[k] == v
		}
		if ok {
			out[labels[by]] += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return out
}

// scrapeMismatches compares a scrape with the JSON summary of the same
// run: requests by status, by error code, transport failures, retries and
// rate-limit violations. It returns what differs.
func scrapeMismatches(fams map[string]*dto.MetricFamily, doc *reports.JSONSummary) []string {
	var out []string
	differ := func(what string, got map[string]float64, want map[string]uint64) {
		w := map[string]float64{}
		for k, v := range want {
			if v > 0 {
				w[k] += float64(v)
			}
		}
		for k, v := range got {
			if v == 0 {
				delete(got, k)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(w) { // maps print sorted
			out = append(out, fmt.Sprintf("%s: scraped %v; summary %v", what, got, w))
		}
	}
	run := map[string]string{"run_id": doc.RunID}
	differ("requests by status", total(fams, metrics.RequestsTotal, "status", run), doc.Status)
	byCode := map[string]uint64{}
	for _, c := range doc.Classes {
		byCode[c.Code] += c.Count
	}
	differ("requests by code", total(fams, metrics.RequestsTotal, "code", run), byCode)
	differ("transport failures", total(fams, metrics.TransportErrorsTotal, "kind", run), doc.TransportErrors)
	r := doc.Retries
	differ("retries", map[string]float64{
		"logical": total(fams, metrics.LogicalRequestsTotal, "", run)[""], "retries": total(fams, metrics.RetriesTotal, "", run)[""],
		"succeeded": total(fams, metrics.SettledTotal, "outcome", run)["succeeded"], "failed": total(fams, metrics.SettledTotal, "outcome", run)["failed"],
		"gave_up": total(fams, metrics.SettledTotal, "outcome", run)["gave_up"], "latencies": total(fams, metrics.RequestDuration, "", run)[""],
	}, map[string]uint64{"logical": r.LogicalRequests, "retries": r.Retries, "succeeded": r.Succeeded, "failed": r.Failed, "gave_up": r.GaveUp.Total, "latencies": doc.Requests})
	violations := map[string]uint64{}
	if doc.RateLimit != nil {
		for _, rule := range doc.RateLimit.Rules {
			violations[rule.ID] = rule.Violations
		}
	}
	differ("rate-limit violations", total(fams, metrics.ViolationsTotal, "rule", run), violations)
	return out
}

// gatedTarget answers the first `open` requests (every 10th from the 4th
// a 429 without Retry-After, every 10th from the 8th a 503, both with an
// error code) and holds the others until release is closed; reached is
// closed when a request beyond `open` arrives.
func gatedTarget(t *testing.T, open int64) (srv *httptest.Server, reached, release chan struct{}) {
	t.Helper()
	var hits atomic.Int64
	var once sync.Once
	reached, release = make(chan struct{}), make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		if n > open {
			once.Do(func() { close(reached) })
			select {
			case <-release:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		switch n % 10 {
		case 4:
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error": {"code": "rate_limited", "message": "slow down"}}`)
		case 8:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error": {"code": "overloaded", "message": "try later"}}`)
		default:
			fmt.Fprint(w, `{"ok": true}`)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	return srv, reached, release
}

// TestMetricsDuringAndAfterTheRun scrapes a live attack's metrics while
// requests are held by the target (the counts are there, and only those
// answered), then after the run, in the linger: the counters equal the
// summary's counts exactly.
func TestMetricsDuringAndAfterTheRun(t *testing.T) {
	const open = 40
	srv, reached, release := gatedTarget(t, open)
	b := background(t, "attack", "-u", srv.URL+"/v1/items", "--rate", "100/s", "--duration", "1s",
		"-o", "", "--format", "json", "--quiet", "--run-id", "prom-e2e", "--shard", "a",
		"--retry", "immediate", "--retry-max", "1", "--metrics-addr", "127.0.0.1:0", "--metrics-linger", "1m")
	url := strings.TrimPrefix(awaitLine(t, b.stderr, "stampede: metrics at "), "stampede: metrics at ")
	select {
	case <-reached:
	case <-time.After(30 * time.Second):
		t.Fatalf("the target got no more than %d requests in 30s; stderr:\n%s", open, b.stderr.String())
	}
	// The first `open` requests are answered and the rest held: the sink
	// counts them as the consume loop takes them in.
	var during map[string]*dto.MetricFamily
	waitFor(t, func() bool {
		during = scrape(t, url)
		return total(during, metrics.RequestsTotal, "", nil)[""] >= open
	})
	sel := map[string]string{"run_id": "prom-e2e", "shard": "a"}
	if got := total(during, metrics.RequestsTotal, "", sel)[""]; got != open {
		t.Errorf("during the run: %v requests counted; want the %d answered", got, open)
	}
	if got := total(during, metrics.RunActive, "", sel)[""]; got != 1 {
		t.Errorf("during the run: %s = %v; want 1", metrics.RunActive, got)
	}
	close(release)
	awaitLine(t, b.stderr, "stampede: metrics served 1m0s more at "+url)
	final := scrape(t, url)
	var doc reports.JSONSummary
	if err := json.Unmarshal([]byte(b.stdout.String()), &doc); err != nil {
		t.Fatalf("summary: %v\n%s", err, b.stdout.String())
	}
	if doc.Requests < 100 || doc.Retries.Retries == 0 || doc.Status["429"] == 0 || doc.Status["503"] == 0 {
		t.Fatalf("the run lacks retries, 429s or 503s: %d requests, %d retries, statuses %v", doc.Requests, doc.Retries.Retries, doc.Status)
	}
	if bad := scrapeMismatches(final, &doc); len(bad) > 0 {
		t.Errorf("the final scrape differs from the summary:\n%s", strings.Join(bad, "\n"))
	}
	if got := total(final, metrics.RequestsTotal, "", sel)[""]; got < total(during, metrics.RequestsTotal, "", sel)[""] {
		t.Errorf("the final count %v is below the count during the run", got)
	}
	if got := total(final, metrics.RunActive, "", sel)[""]; got != 0 {
		t.Errorf("after the run: %s = %v; want 0", metrics.RunActive, got)
	}
	if got := total(final, metrics.ViolationsTotal, "", map[string]string{"rule": "retry-after-on-429"})[""]; got == 0 {
		t.Errorf("429s without Retry-After: no violation scraped")
	}
	t.Logf("final scrape: %v by status, %v by code", total(final, metrics.RequestsTotal, "status", sel), total(final, metrics.RequestsTotal, "code", sel))

	// The check can fail: a summary with one response of another status.
	doc.Status["200"]--
	doc.Status["418"]++
	if bad := scrapeMismatches(final, &doc); len(bad) != 1 || !strings.Contains(bad[0], "status") {
		t.Errorf("a summary with a 418 the run never had: mismatches %q; want one, of the statuses", bad)
	}

	b.cancel()                              // ends the linger
	if c := b.wait(t); c != exitThreshold { // the 429s without Retry-After break the contract
		t.Errorf("exit %d; want %d; stderr:\n%s", c, exitThreshold, b.stderr.String())
	}
	if _, err := http.Get(url); err == nil {
		t.Errorf("the endpoint still answers after the command ended")
	}
}

// TestMetricsFlagErrors checks the exit codes and messages of bad
// endpoint flags: a malformed address is a usage error, one that cannot
// be bound a runtime error; each names its flag.
func TestMetricsFlagErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	srv, hits := countingServer(t)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--metrics-addr", "9464"}, exitUsage, `--metrics-addr "9464": want HOST:PORT`},
		{[]string{"--metrics-addr", "127.0.0.1:99999"}, exitUsage, `--metrics-addr "127.0.0.1:99999": port`},
		{[]string{"--metrics-addr", "127.0.0.1:0", "--metrics-linger", "-1s"}, exitUsage, "--metrics-linger -1s: must not be negative"},
		{[]string{"--metrics-linger", "5s"}, exitUsage, "--metrics-linger 5s: applies with --metrics-addr"},
		{[]string{"--metrics-addr", busy.Addr().String()}, exitRuntime, "--metrics-addr " + busy.Addr().String() + ": listen tcp"},
	} {
		args := append([]string{"attack", "-u", srv.URL, "-r", "10/s", "-d", "1s", "-o", "", "-q"}, tc.args...)
		code, _, stderr := runInProcess(t, args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the target got %d requests from commands that failed", hits.Load())
	}
	for _, cmd := range [][]string{{"run", "mira-chat", "--dry-run"}, {"demo"}} {
		code, _, stderr := runInProcess(t, append(cmd, "--metrics-addr", "nowhere")...)
		if code != exitUsage || !strings.Contains(stderr, "--metrics-addr") {
			t.Errorf("%v --metrics-addr nowhere: exit %d, stderr %q; want %d naming the flag", cmd, code, stderr, exitUsage)
		}
	}
}

// TestMetricsRunProfile checks that `stampede run` feeds the endpoint:
// the final scrape (in the linger) counts what the summary counts.
func TestMetricsRunProfile(t *testing.T) {
	srv, _ := countingServer(t)
	profile := writeProfile(t, srv.URL)
	b := background(t, "run", profile, "-o", "", "--format", "json", "--quiet",
		"--run-id", "prom-run", "--metrics-addr", "127.0.0.1:0", "--metrics-linger", "1m")
	url := strings.TrimPrefix(awaitLine(t, b.stderr, "stampede: metrics at "), "stampede: metrics at ")
	awaitLine(t, b.stderr, "stampede: metrics served")
	final := scrape(t, url)
	var doc reports.JSONSummary
	if err := json.Unmarshal([]byte(b.stdout.String()), &doc); err != nil {
		t.Fatalf("summary: %v\n%s", err, b.stdout.String())
	}
	if bad := scrapeMismatches(final, &doc); len(bad) > 0 || doc.Requests == 0 {
		t.Errorf("%d requests; the final scrape differs from the summary:\n%s", doc.Requests, strings.Join(bad, "\n"))
	}
	byRequest := total(final, metrics.RequestsTotal, "request", map[string]string{"run_id": "prom-run"})
	names := slices.Sorted(maps.Keys(byRequest))
	if !slices.Equal(names, []string{"list", "show"}) {
		t.Errorf("request labels %v; want the profile's names [list show]", names)
	}
	b.cancel()
	if c := b.wait(t); c != exitOK {
		t.Errorf("exit %d; want 0; stderr:\n%s", c, b.stderr.String())
	}
}

// writeProfile writes a profile of two named requests to base, 2 s at
// 50/s, and returns its path.
func writeProfile(t *testing.T, base string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.yaml")
	body := `name: metrics
target:
  base-url: ` + base + `
requests:
  - {name: list, path: /items, weight: 3}
  - {name: show, path: /items/1}
phases:
  - {name: load, load: {rate: 50/s, duration: 2s}}
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
