package main

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stampede-dev/stampede/profiles"
)

// TestBundledProfilesAgainstTheSimulation runs every bundled seed profile
// against the simulation: each passes against its defaults, and fails,
// naming the threshold, against a lying limiter and against injected
// server errors.
func TestBundledProfilesAgainstTheSimulation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs each bundled profile for about 30 s")
	}
	// The profiles write their reports under stampede-out/, relative to
	// the working directory: a directory of the test's own.
	t.Chdir(t.TempDir())
	type result struct {
		code           int
		stdout, stderr string
	}
	type profileCase struct {
		name, mode   string
		serve, extra []string
		code         int
		want         string // in the verdict
		out          result
	}
	var cases []profileCase
	for _, name := range profiles.Bundled() {
		if name == "demo" {
			continue // made for the demo's simulation: TestDemo runs it
		}
		cases = append(cases,
			profileCase{name: name, mode: "defaults", code: exitOK},
			profileCase{name: name, mode: "lying", serve: []string{"--retry-after", "lying"}, code: exitThreshold, want: `probe.verdict "inconsistent" ≠ "honest"`},
			profileCase{name: name, mode: "5xx", serve: []string{"--error-rate", "500=10%"}, extra: []string{"--abort-on-fail"}, code: exitThreshold, want: "count("},
		)
	}
	// The runs mostly wait: all at once, rather than GOMAXPROCS at a time.
	var wg sync.WaitGroup
	for i := range cases {
		c := &cases[i]
		url := simServer(t, c.serve...)
		out := filepath.Join(t.TempDir(), "r.bin")
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append([]string{"run", c.name, "--base-url", url, "-q", "-o", out}, c.extra...)
			c.out.code, c.out.stdout, c.out.stderr = runInProcess(t, args...)
		}()
	}
	wg.Wait()
	for _, c := range cases {
		t.Run(c.name+"/"+c.mode, func(t *testing.T) {
			if c.out.code != c.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", c.out.code, c.code, tail(c.out.stdout, 40), c.out.stderr)
			}
			if c.want != "" && !strings.Contains(c.out.stderr, c.want) {
				t.Errorf("stderr %q: want the failed threshold %q", c.out.stderr, c.want)
			}
			if c.code == exitOK && !strings.Contains(c.out.stdout, "Verdict: PASS") {
				t.Errorf("no PASS:\n%s", tail(c.out.stdout, 40))
			}
			p, _ := profiles.LoadBundled(c.name, profiles.LoadOptions{})
			for _, r := range p.Reports {
				if st, err := os.Stat(r.Path); err != nil || st.Size() == 0 {
					t.Errorf("report %s %s: %v", r.Format, r.Path, err)
				}
			}
		})
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestValidateTenMistakes: a profile with ten different mistakes gets ten
// precise FILE:LINE:COL errors, all at once, and exit 2.
func TestValidateTenMistakes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	profile := `name: bad
target:
  base-url: ${NO_SUCH_STAMPEDE_VAR}
  auth: {type: bearer, token: sk-literal}
  tiemout: 5s
requests:
  - name: a
    weight: -1
    method: GET
    path: /a
  - name: b
    path: /b/{{nope}}
phases:
  - name: warm
    load: {pace: constant, rate: fast, duration: 10s}
    requests: [a, c]
  - name: rest
    pause: soon
thresholds:
  - latncy.p99 < 300ms
  - rate(category == "server_eror") < 1%
reports:
  pdf: out.pdf
`
	if err := os.WriteFile(path, []byte(profile), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInProcess(t, "validate", path)
	if code != exitUsage {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	want := []string{
		`:3:13: `, `:4:31: `, `:5:3: `, `:8:13: `, `:12:14: `, `:15:34: `, `:16:19: `, `:18:12: `, `:20:6: `, `:21:20: `, `:23:3: `,
	}
	pos := regexp.MustCompile(`^` + regexp.QuoteMeta(path) + `:(\d+):(\d+): \S`)
	for _, l := range lines {
		if !pos.MatchString(l) {
			t.Errorf("line %q is not FILE:LINE:COL: message", l)
		}
	}
	if len(lines) != len(want) {
		t.Fatalf("%d problems, want %d:\n%s", len(lines), len(want), stdout)
	}
	for _, w := range want {
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, w)
		}
		if !found {
			t.Errorf("no problem at %s in:\n%s", w, stdout)
		}
	}
	for _, w := range []string{"NO_SUCH_STAMPEDE_VAR", `"tiemout"`, `did you mean "latency"?`, `unknown category "server_eror"`, "sk-literal"} {
		if w == "sk-literal" {
			if strings.Contains(stdout+stderr, w) {
				t.Errorf("the literal secret is shown:\n%s", stdout)
			}
			continue
		}
		if !strings.Contains(stdout, w) {
			t.Errorf("no %q in:\n%s", w, stdout)
		}
	}
	if !strings.Contains(stderr, "problems") {
		t.Errorf("stderr %q: want the count of problems", stderr)
	}
	code, stdout, _ = runInProcess(t, "validate", "mira-chat")
	if code != exitOK || !strings.Contains(stdout, "valid") {
		t.Errorf("validate mira-chat: exit %d, %s", code, stdout)
	}
}

// TestRunDryRunSendsNothing: --dry-run prints the plan and sends nothing.
func TestRunDryRunSendsNothing(t *testing.T) {
	srv, hits := countingServer(t)
	code, stdout, stderr := runInProcess(t, "run", "mira-chat", "--base-url", srv.URL, "--dry-run")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{"about 190 requests over 32s", "warmup", "constant 10/s", "│ honesty │ probe", `probe.verdict == "honest"`} {
		if !strings.Contains(stdout, w) {
			t.Errorf("plan lacks %q:\n%s", w, stdout)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("--dry-run sent %d requests", hits.Load())
	}
	code, _, stderr = runInProcess(t, "run", "no-such-profile")
	if code != exitUsage || !strings.Contains(stderr, "bundled: demo, mimo, mira-chat, mira-verify, mirra") {
		t.Errorf("unknown profile: exit %d, %s", code, stderr)
	}
}

// TestBaselineCatchesALatencyRegression: a nightly-style run against last
// night's result file fails when the simulation is twice as slow, and
// passes when it is not.
func TestBaselineCatchesALatencyRegression(t *testing.T) {
	dir := t.TempDir()
	profile := filepath.Join(dir, "nightly.yaml")
	if err := os.WriteFile(profile, []byte(`name: nightly
target:
  base-url: http://127.0.0.1:1
  auth: {type: header, header: X-API-Key, env: "${NIGHTLY_KEY:-demo-full}"}
requests:
  - {name: list-agents, path: /mirra/api/v1/agents}
phases:
  - {name: steady, load: {rate: 20/s, duration: 2s}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	last := filepath.Join(dir, "last-night.bin")
	if code, _, stderr := runInProcess(t, "run", profile, "--base-url", simServer(t, "--latency", "100ms"), "-q", "-o", last); code != exitOK {
		t.Fatalf("last night: exit %d: %s", code, stderr)
	}
	const rule = "request(\"list-agents\").latency.p99 < 1.5 * baseline.request(\"list-agents\").latency.p99"
	for _, tc := range []struct {
		latency string
		code    int
	}{{"400ms", exitThreshold}, {"100ms", exitOK}} { // a regression of 4×; 50 ms of room for a busy machine's noise on the 100 ms run
		code, stdout, stderr := runInProcess(t, "run", profile, "--base-url", simServer(t, "--latency", tc.latency), "-q", "-o", filepath.Join(dir, "tonight.bin"),
			"--baseline", last, "--threshold", rule, "--threshold", "latency.p99 < 1.5 * baseline.latency.p99")
		if code != tc.code {
			t.Fatalf("latency %s: exit %d, want %d\n%s\n%s", tc.latency, code, tc.code, tail(stdout, 30), stderr)
		}
		if !strings.Contains(stdout, "Compared with the baseline") || !strings.Contains(stdout, "request list-agents p99") {
			t.Errorf("latency %s: no comparison with the baseline:\n%s", tc.latency, tail(stdout, 40))
		}
		if tc.code == exitThreshold && !strings.Contains(stderr, `request("list-agents").latency.p99 4`) {
			t.Errorf("latency %s: the verdict does not name the regressed threshold: %s", tc.latency, stderr)
		}
	}
}

// TestRunTLS: a profile's target.tls trusts a CA file; without it the
// target's certificate fails every request (exit 1); a CA file that is
// no certificate is a profile error (exit 2) before anything is sent.
func TestRunTLS(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes refused on purpose
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	bogus := filepath.Join(dir, "bogus.pem")
	os.WriteFile(bogus, []byte("not a certificate"), 0o644)
	write := func(tlsLine string) string {
		path := filepath.Join(dir, "p.yaml")
		body := "target:\n  base-url: " + srv.URL + "\n" + tlsLine + "requests:\n  - {name: r, path: /}\nphases:\n  - {name: p, load: {rate: 10/s, duration: 1s}}\n"
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	if code, _, stderr := runInProcess(t, "run", write("  tls: {ca-file: ca.pem}\n"), "-q", "-o", ""); code != exitOK {
		t.Errorf("with the CA: exit %d: %s", code, stderr)
	}
	if code, _, stderr := runInProcess(t, "run", write(""), "-q", "-o", ""); code != exitThreshold || !strings.Contains(stderr, "tls") {
		t.Errorf("without the CA: exit %d (%s); want 1, transport failures of kind tls", code, stderr)
	}
	before := hits.Load()
	if code, _, stderr := runInProcess(t, "run", write("  tls: {ca-file: bogus.pem}\n"), "-q", "-o", ""); code != exitUsage || !strings.Contains(stderr, "target.tls: ") || !strings.Contains(stderr, "bogus.pem: no PEM certificate") {
		t.Errorf("a bogus CA file: exit %d (%s); want 2 naming target.tls", code, stderr)
	}
	if hits.Load() != before {
		t.Error("requests sent despite a bad CA file")
	}
}

// TestRunMasksEverySecret: a target that echoes the request's headers in
// its error bodies gets the auth's secret and a request's own secret
// header; neither reaches the result file, the reports or the terminal.
func TestRunMasksEverySecret(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(401)
		fmt.Fprintf(w, `{"error": {"code": "BAD_KEY", "message": "key %s and %s refused"}}`, r.Header.Get("X-Api-Key"), r.Header.Get("X-Service-Token"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	profile := filepath.Join(dir, "p.yaml")
	os.WriteFile(profile, []byte(`target:
  base-url: `+srv.URL+`
  auth: {type: header, header: X-Service-Token, env: SVC_TOKEN}
requests:
  - {name: other, path: /, headers: {X-Api-Key: "${OTHER_KEY}"}}
phases:
  - {name: p, load: {rate: 20/s, duration: 1s}}
`), 0o644)
	t.Setenv("SVC_TOKEN", "svc-secret-4711")
	t.Setenv("OTHER_KEY", "sk-other-777")
	out := filepath.Join(dir, "r.bin")
	code, stdout, stderr := runInProcess(t, "run", profile, "-q", "-o", out, "--report", "json="+filepath.Join(dir, "r.json"), "--report", "html="+filepath.Join(dir, "r.html"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for name, text := range map[string]string{"stdout": stdout, "stderr": stderr} {
		for _, secret := range []string{"svc-secret-4711", "sk-other-777"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows %s", name, secret)
			}
		}
	}
	for _, f := range []string{"r.bin", "r.json", "r.html"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{"svc-secret-4711", "sk-other-777"} {
			if bytes.Contains(data, []byte(secret)) {
				t.Errorf("%s holds %s", f, secret)
			}
		}
	}
	if !strings.Contains(stdout, "BAD_KEY") {
		t.Errorf("the echoing class is not in the summary:\n%s", stdout)
	}
}
