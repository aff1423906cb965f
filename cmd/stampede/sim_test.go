package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/reports"
	"github.com/stampede-dev/stampede/sim"
)

// TestDemo runs a short demo in process: it must pass its own ground-truth
// check, write every file, and the files must agree with each other.
func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runInProcess(t, "demo", "--duration", "3s", "--dir", dir, "-q")
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	for _, want := range []string{"Status codes", "429 Too Many Requests", "Classes", "INVALID_SUBDOMAIN", "Ground truth: the simulation answered", "and for each of the", "Reports in " + dir} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	// Its help names every file it wrote.
	_, help, _ := runInProcess(t, "demo", "--help")
	written, err := os.ReadDir(dir)
	if err != nil || len(written) < 10 {
		t.Fatalf("demo wrote %d files (%v); want its 10", len(written), err)
	}
	for _, f := range written {
		if !strings.Contains(help, f.Name()) {
			t.Errorf("demo --help does not name %s, which the demo writes", f.Name())
		}
	}
	var doc reports.JSONSummary
	data, err := os.ReadFile(filepath.Join(dir, demoJSON))
	if err != nil || json.Unmarshal(data, &doc) != nil {
		t.Fatalf("%s: %v\n%s", demoJSON, err, data)
	}
	_, recs, skipped := readResults(t, filepath.Join(dir, demoResults))
	var stats sim.Stats
	data, err = os.ReadFile(filepath.Join(dir, demoStats))
	if err != nil || json.Unmarshal(data, &stats) != nil {
		t.Fatalf("%s: %v\n%s", demoStats, err, data)
	}
	if uint64(len(recs)) != doc.Requests || int64(doc.Requests) != stats.Requests || skipped != 0 || stats.Unrouted != 0 {
		t.Errorf("records %d, summary %d, simulation %d (unrouted %d), skipped %d; want all equal", len(recs), doc.Requests, stats.Requests, stats.Unrouted, skipped)
	}
	if !reflect.DeepEqual(doc.Status, simStatus(stats)) {
		t.Errorf("summary statuses %v; simulation %v", doc.Status, simStatus(stats))
	}
	// Every API got traffic, and the demo shows what it promises.
	for _, name := range sim.APINames() {
		if stats.APIs[name].Requests == 0 {
			t.Errorf("API %s got no request", name)
		}
	}
	for status, what := range map[string]string{"429": "the burst", "503": "the outage", "401": "bad keys", "400": "invalid bodies"} {
		if doc.Status[status] == 0 {
			t.Errorf("no %s answer: %s did not happen", status, what)
		}
	}
	// The summary's classes with codes add up to the simulation's codes,
	// per API; every class count adds up to the requests.
	codes := map[string]map[string]int64{}
	var classified uint64
	for _, c := range doc.Classes {
		classified += c.Count
		if c.Code == "" {
			continue
		}
		_, path, _ := strings.Cut(c.ExampleRequest, " ")
		api, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if codes[api] == nil {
			codes[api] = map[string]int64{}
		}
		codes[api][c.Code] += int64(c.Count)
	}
	if classified != doc.Requests {
		t.Errorf("classes count %d responses; want all %d", classified, doc.Requests)
	}
	for _, api := range []string{"mimo", "mirra"} {
		if !reflect.DeepEqual(codes[api], stats.APIs[api].Codes) {
			t.Errorf("%s: codes %v in the summary; simulation %v", api, codes[api], stats.APIs[api].Codes)
		}
	}
	if text, err := os.ReadFile(filepath.Join(dir, demoText)); err != nil || !strings.Contains(string(text), "Status codes") {
		t.Errorf("%s: %v", demoText, err)
	}
}

// simStatus adds up the simulation's answers per status over every API.
func simStatus(st sim.Stats) map[string]uint64 {
	out := map[string]uint64{}
	for _, a := range st.APIs {
		for status, n := range a.Status {
			out[status] += uint64(n)
		}
	}
	if st.Unrouted > 0 {
		out["404"] += uint64(st.Unrouted)
	}
	return out
}

func TestDemoUsageErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"demo", "--duration", "0.5s"}, "--duration \"0.5s\": want a duration from 1s to 1h"},
		{[]string{"demo", "--duration", "soon"}, "--duration \"soon\""},
		{[]string{"demo", "--dir", filepath.Join(file, "sub")}, "--dir:"},
		{[]string{"demo", "extra"}, "demo takes no arguments"},
	} {
		code, _, stderr := runInProcess(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("rate_limit: 5/s\nlatencyy: 5ms\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Fields a file and a flag both set are named by both; fields only a
	// file sets, by the file.
	fields := filepath.Join(dir, "fields.yaml")
	yaml := "lie_factor: 1\napis:\n  nosuch: {}\n  mira: {capacity: -4}\nkeys:\n  - {name: k, key: secret-1, plan: gold}\n"
	if err := os.WriteFile(fields, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--latency", "fast"}, `--latency: latency "fast"`},
		{[]string{"serve", "--error-rate", "500=2"}, "--error-rate: error rates \"500=2\": probability 2 of 500"},
		{[]string{"serve", "--outage", "10s"}, "--outage: outage \"10s\": want START+DURATION"},
		{[]string{"serve", "--stall", "5s/1s"}, "--stall: stall \"5s/1s\": want 0 < FOR < EVERY"},
		{[]string{"serve", "--retry-after", "never"}, `--retry-after "never": want one of honest, missing, lying, malformed, http-date, zero`},
		{[]string{"serve", "--burst", "3"}, "--burst 3: applies only with a rate limit"},
		{[]string{"serve", "--capacity", "-1"}, "--capacity -1: must be >= 0"},
		{[]string{"serve", "--lie-factor", "1"}, "--lie-factor 1: want 2 to 100"},
		{[]string{"serve", "--rate-limit", "fast"}, "--rate-limit: rate \"fast\""},
		{[]string{"serve", "--config", filepath.Join(dir, "none.yaml")}, "--config " + filepath.Join(dir, "none.yaml") + ": open"},
		{[]string{"serve", "--config", bad}, "--config " + bad + ": line 2: field latencyy not found"},
		{[]string{"serve", "--addr", "0.0.0.0:8080"}, "listens on every interface"},
		{[]string{"serve", "--addr", "8080"}, `--addr "8080": want host:port`},
		{[]string{"serve", "--addr", "127.0.0.1:99999"}, `--addr "127.0.0.1:99999": port 99999: want 0 to 65535`},
		{[]string{"serve", "--addr", "127.0.0.1:abc"}, `--addr "127.0.0.1:abc": port "abc": want 0 to 65535`},
		{[]string{"serve", "--config", fields}, fields + " or --lie-factor 1: want 2 to 100 (0: 3); "},
		{[]string{"serve", "--config", fields, "--daily-limit", "-1"}, fields + " or --daily-limit -1: must be >= 0"},
		{[]string{"serve", "--config", fields}, fields + ": apis.mira.capacity -4: must be >= 0"},
		{[]string{"serve", "--config", fields}, fields + ": apis.nosuch: no such API; want one of mimo, mira, mira-verify, mirra"},
		{[]string{"serve", "--config", fields}, fields + `: keys[0].plan "gold": want one of free, full`},
	} {
		code, _, stderr := runInProcess(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line with %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

// TestServeConfig checks that flags given on the command line override
// the --config file, and that flags not given leave the file's values.
func TestServeConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sim.yaml")
	if err := os.WriteFile(file, []byte("seed: 9\nretry_after: lying\nlatency: 5ms\nerrors: {500: 0.1}\napis: {mimo: {capacity: 3}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want func(sim.Config) bool
	}{
		{[]string{"--config", file}, func(c sim.Config) bool {
			return c.Seed == 9 && c.RetryAfter == "lying" && c.Latency.String() == "fixed:5ms" && c.Errors[500] == 0.1 && c.APIs["mimo"].Capacity == 3
		}},
		{[]string{"--config", file, "--retry-after", "zero", "--latency", "uniform:1ms,2ms", "--seed", "4"}, func(c sim.Config) bool {
			return c.Seed == 4 && c.RetryAfter == "zero" && c.Latency.String() == "uniform:1ms,2ms" && c.Errors[500] == 0.1 &&
				c.APIs["mimo"].Capacity == 3
		}},
		// A flag completes the file: burst in the file, the rate limit on
		// the command line.
		{[]string{"--config", burstFile(t), "--rate-limit", "5/s"}, func(c sim.Config) bool {
			return c.RateLimit == 5 && c.Burst == 2
		}},
		// A flag overrides the file's per-API value too.
		{[]string{"--config", file, "--capacity", "5"}, func(c sim.Config) bool {
			return c.Capacity == 5 && c.APIs["mimo"].Capacity == 0
		}},
		{[]string{"--rate-limit", "20/s", "--burst", "4", "--outage", "1s+2s", "--outage", "5s+1s", "--stall", "1s/10s", "--capacity", "7", "--fault-header"}, func(c sim.Config) bool {
			return c.Seed == 1 && c.RetryAfter == "honest" && c.RateLimit == 20 && c.Burst == 4 && len(c.Outages) == 2 &&
				c.Outages[1].String() == "5s+1s" && c.Stall.String() == "1s/10s" && c.Capacity == 7 && c.AllowFaultHeader
		}},
	} {
		f := &serveFlags{}
		cmd := newServeCmdFor(&env{}, f)
		if err := cmd.ParseFlags(tc.args); err != nil {
			t.Fatal(err)
		}
		cfg, err := serveConfig(cmd.Flags(), f)
		if err != nil || !tc.want(cfg) {
			t.Errorf("%v: config %+v, %v", tc.args, cfg, err)
		}
	}
}

// TestBinaryServe runs `stampede serve` as a process on a free port, attacks
// it, and checks stampede's counts against /__sim/stats, then stops it with
// SIGINT.
func TestBinaryServe(t *testing.T) {
	bin := buildBinary(t)
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--rate-limit", "20/s", "--burst", "5")
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	lines := bufio.NewScanner(stderr)
	addr := ""
	re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	deadline := time.AfterFunc(10*time.Second, func() { srv.Process.Kill() })
	for addr == "" && lines.Scan() {
		if m := re.FindStringSubmatch(lines.Text()); m != nil {
			addr = m[1]
		}
	}
	deadline.Stop()
	if addr == "" {
		t.Fatal("serve never said where it listens")
	}
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(stderr); rest <- string(b) }()

	out := filepath.Join(t.TempDir(), "r.bin")
	code, stdout, errOut := runInProcess(t, "attack", "-u", addr+"/mira/v1/chat/completions",
		"-H", "Authorization: Bearer demo-full", "-H", "Content-Type: application/json",
		"--body", `{"model":"mira","messages":[{"role":"user","content":"hi"}]}`,
		"-r", "60/s", "-d", "2s", "-o", out, "--format", "json", "-q")
	if code != 0 {
		t.Fatalf("attack exit %d: %s", code, errOut)
	}
	var doc reports.JSONSummary
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("summary: %v\n%s", err, stdout)
	}
	resp, err := http.Get(addr + "/__sim/stats")
	if err != nil {
		t.Fatal(err)
	}
	var stats sim.Stats
	err = json.NewDecoder(resp.Body).Decode(&stats)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(doc.Status, simStatus(stats)) || int64(doc.Requests) != stats.Requests {
		t.Errorf("stampede: %d requests %v; simulation: %d %v", doc.Requests, doc.Status, stats.Requests, simStatus(stats))
	}
	// 60/s against 20/s with a burst of 5: both answers, in about those shares.
	if ok, limited := doc.Status["200"], doc.Status["429"]; ok < 30 || ok > 50 || limited < 60 {
		t.Errorf("200s %d, 429s %d of %d; want about 45 admitted (20/s × 2 s + 5) and the rest 429", ok, limited, doc.Requests)
	}
	if got := stats.APIs["mira"].Keys["demo-full"]; got != stats.Requests {
		t.Errorf("requests of demo-full = %d; want %d", got, stats.Requests)
	}

	if err := srv.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// Read stderr to its end before Wait, which closes the pipe: waiting
	// first could cut the last words off.
	tail := <-rest
	err = srv.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("serve after SIGINT: %v; want exit 130", err)
	}
	// Every request answered counts: the API's and the GET of /__sim/stats.
	want := fmt.Sprintf("stopped after %d requests (%d to the APIs, 1 to /__sim/ or unrouted)", stats.Requests+1, stats.Requests)
	if !strings.Contains(tail, want) {
		t.Errorf("serve's last words %q; want %q", tail, want)
	}
}

// TestServeClosesIdleConnections checks that the server serve runs closes
// a keep-alive connection left idle longer than its idle timeout.
func TestServeClosesIdleConnections(t *testing.T) {
	defer func(d time.Duration) { serveIdleTimeout = d }(serveIdleTimeout)
	serveIdleTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newServeServer(http.NotFoundHandler())
	go srv.Serve(ln)
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	start := time.Now()
	conn.SetReadDeadline(start.Add(2 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle keep-alive connection after %v: %v; want it closed (EOF) after %v", time.Since(start).Round(time.Millisecond), err, serveIdleTimeout)
	}
}

// TestServeHelpDocumentsKeysAndAPIs checks that --help lists every demo key
// and API, as the README promises.
func TestServeHelpDocumentsKeysAndAPIs(t *testing.T) {
	_, stdout, _ := runInProcess(t, "serve", "--help")
	var missing []string
	for _, k := range sim.DemoKeys {
		if !strings.Contains(stdout, k.Name) {
			missing = append(missing, k.Name)
		}
	}
	for _, name := range sim.APINames() {
		if !strings.Contains(stdout, "/"+name+" ") {
			missing = append(missing, "/"+name)
		}
	}
	for _, mode := range sim.RetryAfterModes {
		if !strings.Contains(stdout, mode) {
			missing = append(missing, mode)
		}
	}
	if len(missing) > 0 {
		t.Errorf("serve --help lacks %v:\n%s", missing, stdout)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range sim.DemoKeys {
		if !bytes.Contains(readme, []byte("`"+k.Name+"`")) {
			t.Errorf("README does not document the demo key %s", k.Name)
		}
	}
}

// burstFile is a configuration with a burst but no rate limit: invalid on
// its own.
func burstFile(t *testing.T) string {
	file := filepath.Join(t.TempDir(), "burst.yaml")
	if err := os.WriteFile(file, []byte("burst: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
