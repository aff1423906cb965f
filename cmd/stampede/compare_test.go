package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/sim"
)

// TestRetryStormComparison runs the same load against the simulation,
// whose API is down 2 s of 6, once per policy: immediate retries send
// more attempts per request than exponential backoff honouring
// Retry-After, which gets more requests through.
func TestRetryStormComparison(t *testing.T) {
	t.Parallel()
	s, err := sim.New(sim.Config{Seed: 1, Controls: sim.Controls{Outages: []sim.Window{{Start: 2 * time.Second, Duration: 2 * time.Second}}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	code, stdout, stderr := runInProcess(t, "attack", "-q", "--url", ts.URL+"/mira/v1/chat/completions",
		"-H", "Authorization: Bearer demo-full", "--body", `{"model":"mira","messages":[{"role":"user","content":"hi"}]}`,
		"--rate", "40/s", "--duration", "6s", "--compare-retry", "none,immediate,exponential", "--cool-down", "0s",
		"-o", filepath.Join(dir, "r.bin"), "--format", "json", "--report", "html="+filepath.Join(dir, "cmp.html"),
		"--threshold", "retries.amplification < 1.5")
	if code != exitThreshold || !strings.Contains(stderr, "immediate: verdict FAIL: retries.amplification") ||
		strings.Contains(stderr, "exponential: verdict") || strings.Contains(stderr, "none: verdict") {
		t.Fatalf("exit %d, stderr %q; want 1, the immediate policy alone failing its amplification threshold", code, stderr)
	}
	var cmp struct {
		Schema   string
		Policies []struct {
			Policy        string
			Goodput       float64 `json:"goodput_per_s"`
			Amplification float64
			Success       float64 `json:"eventual_success_ratio"`
			Peak          float64 `json:"peak_load_per_s"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &cmp); err != nil || len(cmp.Policies) != 3 {
		t.Fatalf("comparison JSON: %v, %d policies; want 3\n%s", err, len(cmp.Policies), stdout)
	}
	none, imm, exp := cmp.Policies[0], cmp.Policies[1], cmp.Policies[2]
	t.Logf("none %+v\nimmediate %+v\nexponential %+v", none, imm, exp)
	if none.Amplification != 1 || imm.Amplification <= exp.Amplification || exp.Amplification <= 1 {
		t.Errorf("amplification none %.2f, immediate %.2f, exponential %.2f; want 1 < exponential < immediate", none.Amplification, imm.Amplification, exp.Amplification)
	}
	if exp.Goodput < imm.Goodput || exp.Success <= imm.Success {
		t.Errorf("goodput exponential %.1f/s, immediate %.1f/s; success %.2f, %.2f; want exponential ahead", exp.Goodput, imm.Goodput, exp.Success, imm.Success)
	}
	if imm.Peak < 2*none.Peak {
		t.Errorf("peak load immediate %.0f/s, none %.0f/s; want the storm to at least double it", imm.Peak, none.Peak)
	}
	for _, p := range []string{"none", "immediate", "exponential"} {
		if _, err := os.Stat(filepath.Join(dir, "r-"+p+".bin")); err != nil {
			t.Errorf("result file of %s: %v", p, err)
		}
	}
	if html, err := os.ReadFile(filepath.Join(dir, "cmp.html")); err != nil || !strings.Contains(string(html), "exponential") {
		t.Errorf("HTML comparison: %v", err)
	}
}

func TestRetryUsageErrors(t *testing.T) {
	t.Parallel()
	u := []string{"attack", "-u", "http://127.0.0.1:1/", "-o", ""}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--retry", "exponentail"}, `--retry exponentail: want one of none, immediate, exponential, decorrelated`},
		{[]string{"--retry-max", "3"}, "--retry-max 3: applies to a retrying client: give a policy"},
		{[]string{"--retry", "immediate", "--jitter", "full"}, "--jitter full: applies to the exponential policy"},
		{[]string{"--retry", "exponential", "--retry-budget", "10"}, "--retry-budget 10: want a percentage"},
		{[]string{"--retry", "exponential", "--retry-max", "1000"}, "--retry-max 1000: must be between 0 and 100"},
		{[]string{"--retry", "exponential", "--retry-base", "1s", "--retry-cap", "10ms"}, "--retry-cap 10ms: is below --retry-base 1s"},
		{[]string{"--retry", "exponential", "--honor-retry-after=maybe"}, "--honor-retry-after maybe: want true or false"},
		{[]string{"--retry", "exponential", "--retry-on", "4xx,teapot"}, "--retry-on 4xx,teapot: want retryable"},
		{[]string{"--compare-retry", "none"}, "compare at least two policies"},
		{[]string{"--compare-retry", "none,none"}, "none is listed twice"},
		{[]string{"--compare-retry", "none,bogus"}, `unknown retry policy "bogus"`},
		{[]string{"--compare-retry", "none,immediate", "--retry", "exponential"}, "drop --retry"},
		{[]string{"--compare-retry", "none,immediate", "-d", "0"}, "--compare-retry needs runs that end"},
		{[]string{"--compare-retry", "none,immediate", "-d", "0s"}, "--compare-retry needs runs that end"},
		{[]string{"--retry", "exponential", "--honor-retry-after", "false"}, `got "false": a flag that is on or off takes its value after =`},
		{[]string{"--retry", "exponential", "--retry-cap", "1h"}, "--retry-cap 1h0m0s: must be between 0s and 10m0s"},
		{[]string{"--compare-retry", "none,immediate", "--report", "csv=x.csv"}, "a comparison is written as text, json, markdown, html"},
		{[]string{"--compare-retry", "none,immediate", "-f", "csv"}, "--format csv and --compare-retry: a comparison is written as text, json, markdown, html"},
	}
	for _, tc := range tests {
		code, _, stderr := runInProcess(t, append(append([]string{}, u...), tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// TestProfileRetrySections: a phase's retry: section makes its clients
// retry, a request's own section wins over it, and a phase without one
// does not retry; thresholds on retries judge the run.
func TestProfileRetrySections(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	profile := filepath.Join(dir, "p.yaml")
	body := "target: {base-url: " + srv.URL + "}\n" +
		"requests:\n  - {name: a, path: /a}\n  - {name: b, path: /b, retry: {policy: none}}\n" +
		"phases:\n" +
		"  - {name: retrying, requests: [a], load: {rate: 10/s, duration: 1s}, retry: {policy: immediate, max: 2}}\n" +
		"  - {name: overridden, requests: [b], load: {rate: 10/s, duration: 1s}, retry: {policy: immediate, max: 2}}\n" +
		"  - {name: plain, requests: [a], load: {rate: 10/s, duration: 1s}}\n" +
		"thresholds:\n  - expr: retries.amplification < 1.5\n"
	if err := os.WriteFile(profile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.bin")
	code, _, stderr := runInProcess(t, "run", profile, "-q", "-o", out)
	if code != exitThreshold || !strings.Contains(stderr, "retries.amplification 1.67 ≥ 1.50") {
		t.Errorf("exit %d, stderr %q; want 1: 50 attempts for 30 logical requests", code, stderr)
	}
	_, recs, _ := readResults(t, out)
	start := recs[0].Scheduled
	for _, r := range recs {
		if r.Attempt > 1 && r.Scheduled.Sub(start) > 1500*time.Millisecond {
			t.Errorf("a retry at %v into the run, attempt %d; want retries in the first phase only", r.Scheduled.Sub(start), r.Attempt)
		}
	}
	if len(recs) != 50 || hits.Load() != 50 {
		t.Errorf("records %d, hits %d; want 50: 10 requests of 3 attempts, then 10 and 10 of 1", len(recs), hits.Load())
	}
}

// TestRunCompareRetry runs a profile once per policy: every load phase
// takes the policy, the profile's thresholds judge each run.
func TestRunCompareRetry(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	profile := filepath.Join(dir, "p.yaml")
	body := "target: {base-url: " + srv.URL + "}\nrequests:\n  - {name: a, path: /a, retry: {policy: immediate, max: 5}}\n" +
		"phases:\n  - {name: one, load: {rate: 10/s, duration: 1s}, retry: {policy: exponential, max: 2, base: 10ms, cap: 20ms}}\n" +
		"thresholds:\n  - expr: retries.amplification <= 2\n"
	if err := os.WriteFile(profile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInProcess(t, "run", profile, "-q", "-o", filepath.Join(dir, "r.bin"),
		"--compare-retry", "none,immediate,decorrelated", "--cool-down", "0s", "--format", "json")
	// immediate and decorrelated both retry twice (the phase's max; the
	// request's own section is set aside): 3 attempts per request.
	if code != exitThreshold || !strings.Contains(stderr, "immediate: verdict FAIL: retries.amplification 3 > 2") ||
		!strings.Contains(stderr, "decorrelated: verdict FAIL") || strings.Contains(stderr, "none: verdict") {
		t.Fatalf("exit %d, stderr %q; want 1, immediate and decorrelated failing", code, stderr)
	}
	var cmp struct {
		Policies []struct {
			Policy        string
			Amplification float64
		}
	}
	if err := json.Unmarshal([]byte(stdout), &cmp); err != nil || len(cmp.Policies) != 3 {
		t.Fatalf("comparison JSON: %v\n%s", err, stdout)
	}
	for i, want := range []float64{1, 3, 3} {
		if got := cmp.Policies[i].Amplification; got != want {
			t.Errorf("%s: amplification %v; want %v", cmp.Policies[i].Policy, got, want)
		}
	}
	for _, p := range []string{"none", "immediate", "decorrelated"} {
		if _, err := os.Stat(filepath.Join(dir, "r-"+p+".bin")); err != nil {
			t.Errorf("result file of %s: %v", p, err)
		}
	}
}

// TestRetryOnlyRetryableClasses: by default the clients retry what the
// classifier marks retryable: a per-second 429 is retried, a daily quota
// 429 is not; --retry-on 429 retries both, and counts the quota ones as
// non-retryable responses retried.
func TestRetryOnlyRetryableClasses(t *testing.T) {
	t.Parallel()
	s, err := sim.New(sim.Config{Seed: 1, APIs: map[string]sim.Controls{"mira-verify": {DailyLimit: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	retries := func(key, path, body string, extra ...string) (r struct {
		Logical      uint64 `json:"logical_requests"`
		Retries      uint64
		Failed       uint64
		NonRetryable uint64 `json:"non_retryable_retried"`
	}) {
		t.Helper()
		args := append([]string{"attack", "-q", "-o", "", "--format", "json", "--url", ts.URL + path, "-H", "Authorization: Bearer " + key,
			"--body", body, "--rate", "10/s", "--duration", "1s", "--retry", "immediate", "--retry-max", "1", "--threshold", "requests > 0"}, extra...)
		code, stdout, stderr := runInProcess(t, args...)
		var out struct{ Retries json.RawMessage }
		if err := json.Unmarshal([]byte(stdout), &out); code != exitOK || err != nil || json.Unmarshal(out.Retries, &r) != nil {
			t.Fatalf("%v: exit %d, %v, %s", args, code, err, stderr)
		}
		return r
	}
	chat := `{"model":"mira","messages":[{"role":"user","content":"hi"}]}`
	rate := retries("demo-free", "/mira/v1/chat/completions", chat) // 2/s with a burst of 2: per-second 429s
	if rate.Logical != 10 || rate.Retries == 0 || rate.NonRetryable != 0 {
		t.Errorf("per-second 429s: %+v; want 10 logical requests, some retried, none non-retryable", rate)
	}
	fact := `{"fact":"Water boils at 100 C at sea level."}`
	quota := retries("demo-full", "/mira-verify/verify/v1/stream", fact) // 3 a day: then daily 429s
	if quota.Logical != 10 || quota.Retries != 0 || quota.Failed != 7 {
		t.Errorf("daily-quota 429s: %+v; want 10 logical requests, none retried, 7 failed", quota)
	}
	forced := retries("demo-full", "/mira-verify/verify/v1/stream", fact, "--retry-on", "429")
	if forced.Retries != 10 || forced.NonRetryable != 10 {
		t.Errorf("--retry-on 429 on daily-quota 429s: %+v; want all 10 retried, 10 non-retryable retried", forced)
	}
}

// TestProfileComparePhase: a profile whose phase compares runs its load
// once per policy of compare.policies, with its retry: parameters.
func TestProfileComparePhase(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	profile := filepath.Join(dir, "storm.yaml")
	body := "target: {base-url: " + srv.URL + "}\nrequests:\n  - {name: a, path: /a}\n" +
		"phases:\n  - name: storm\n    load: {rate: 10/s, duration: 1s}\n" +
		"    compare: {policies: [immediate, none], cool-down: 0s}\n    retry: {max: 1}\n"
	if err := os.WriteFile(profile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runInProcess(t, "run", profile, "-q", "-o", "", "--format", "json")
	var cmp struct {
		Policies []struct {
			Policy        string
			Amplification float64
		}
	}
	if err := json.Unmarshal([]byte(stdout), &cmp); code != exitOK || err != nil || len(cmp.Policies) != 2 {
		t.Fatalf("exit %d, %v, stderr %q; want 0 and a comparison of 2 policies\n%s", code, err, stderr, stdout)
	}
	if cmp.Policies[0].Policy != "immediate" || cmp.Policies[0].Amplification != 2 || cmp.Policies[1].Policy != "none" || cmp.Policies[1].Amplification != 1 {
		t.Errorf("policies %+v; want immediate at 2× (retry: max 1), then none at 1×", cmp.Policies)
	}
	if code, _, stderr := runInProcess(t, "validate", profile); code != exitOK {
		t.Errorf("validate: exit %d, %s", code, stderr)
	}
}

// TestCompareRunIDPerPolicy: with --run-id, each policy's run gets an id
// of its own (id-policy), so that its file and its metrics series are its
// own run's, not added up with the other policies'.
func TestCompareRunIDPerPolicy(t *testing.T) {
	srv, _ := countingServer(t)
	out := filepath.Join(t.TempDir(), "r.bin")
	code, _, stderr := runInProcess(t, "attack", "-u", srv.URL, "-r", "20/s", "-d", "200ms", "-q", "-o", out,
		"--compare-retry", "none,immediate", "--cool-down", "0s", "--run-id", "CMP")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range []string{"none", "immediate"} {
		h, _, _ := readResults(t, filepath.Join(filepath.Dir(out), "r-"+p+".bin"))
		if h.RunID != "CMP-"+p {
			t.Errorf("policy %s: run id %q; want %q", p, h.RunID, "CMP-"+p)
		}
	}
}
