package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stampede-dev/stampede/records/probefile"
	"github.com/stampede-dev/stampede/sim"
)

// probeSim serves a simulation with one limit of rate requests per second
// from a bucket of one for every key, whose 429s advertise their wait in
// the Retry-After behaviour mode.
func probeSim(t *testing.T, mode string, rate sim.Rate) (*httptest.Server, *sim.Server) {
	t.Helper()
	s, err := sim.New(sim.Config{Controls: sim.Controls{RateLimit: rate, Burst: 1, RetryAfter: mode}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, s
}

// probeArgs are the arguments of a one-round probe of the simulation's
// Mira chat API; the ramp starts at 20/s, above the limit.
func probeArgs(url string, more ...string) []string {
	return append([]string{"probe", "--url", url + "/mira/v1/chat/completions?api_key=s3cret-query",
		"-H", "Authorization: Bearer demo-full", "-H", "Content-Type: application/json",
		"--body", `{"model":"mira","messages":[{"role":"user","content":"Hi"}]}`,
		"--rounds", "1", "--start-rate", "20/s", "--max-requests", "200", "--max-time", "30s"}, more...)
}

// TestProbe probes a real server: an honest limiter passes (exit 0), a
// lying one and one that says Retry-After: 0 fail (exit 1) with the
// evidence in the report. The ramp's second request, 50 ms after the
// first, gets the 429: at 5/s its real wait is 150 ms (the request at T/2
// is admitted, within the header's resolution); at 1/s it is 950 ms, far
// from every instant the verdicts depend on.
func TestProbe(t *testing.T) {
	t.Run("honest", func(t *testing.T) {
		t.Parallel()
		srv, s := probeSim(t, sim.RetryAfterHonest, 5)
		code, stdout, stderr := runInProcess(t, probeArgs(srv.URL, "--format", "json", "-q")...)
		if code != exitOK || stderr != "" {
			t.Fatalf("exit %d; want 0\nstdout %s\nstderr %s", code, stdout, stderr)
		}
		var doc probefile.Report
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout)
		}
		if doc.Schema != probefile.Schema || doc.Verdict != "honest" || len(doc.Probe.Rounds) != 1 || doc.Probe.Rounds[0].Form != "delay-seconds" {
			t.Errorf("schema %q, verdict %q, rounds %+v; want %q, honest, one round with delay-seconds", doc.Schema, doc.Verdict, doc.Probe.Rounds, probefile.Schema)
		}
		if got := s.Stats().Requests; int64(doc.Requests) != got || doc.Requests > 200 {
			t.Errorf("report counts %d requests, the server answered %d; want equal, at most 200", doc.Requests, got)
		}
		if strings.Contains(stdout, "s3cret") || !strings.Contains(doc.Target, "api_key=REDACTED") {
			t.Errorf("target %q: want the secret query value masked", doc.Target)
		}
	})
	t.Run("lying", func(t *testing.T) {
		t.Parallel()
		srv, _ := probeSim(t, sim.RetryAfterLying, 1)
		code, stdout, stderr := runInProcess(t, probeArgs(srv.URL)...)
		if code != exitThreshold {
			t.Fatalf("exit %d; want 1\nstdout %s\nstderr %s", code, stdout, stderr)
		}
		for _, want := range []string{"understated", "rejected", "Verdict   understated: round 1: its 429 said Retry-After: 1 (1.00 s), but a request"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("report lacks %q:\n%s", want, stdout)
			}
		}
		if !strings.Contains(stderr, "probe: round 1: deadline at +") || !strings.HasSuffix(stderr, "stampede: probe verdict: understated\n") {
			t.Errorf("stderr %q: want progress lines, then the verdict", stderr)
		}
		if strings.Contains(stdout+stderr, "s3cret") || strings.Contains(stdout+stderr, "demo-full") {
			t.Errorf("a secret leaked:\n%s\n%s", stdout, stderr)
		}
	})
	t.Run("zero", func(t *testing.T) {
		t.Parallel()
		srv, _ := probeSim(t, sim.RetryAfterZero, 1)
		code, stdout, stderr := runInProcess(t, probeArgs(srv.URL, "--format", "json", "-q")...)
		if code != exitThreshold || stderr != "stampede: probe verdict: understated\n" {
			t.Fatalf("exit %d, stderr %q; want 1, the verdict\nstdout %s", code, stderr, stdout)
		}
		var doc probefile.Report
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, stdout)
		}
		r := doc.Probe.Rounds[0]
		if r.RetryAfter != "0" || r.AdvertisedS == nil || *r.AdvertisedS != 0 || r.DeadlineAdmitted == nil || *r.DeadlineAdmitted || r.RealWaitS == nil {
			t.Errorf("round %+v; want Retry-After 0, rejected at once, admitted later", r)
		}
	})
}

func TestProbeUsageErrors(t *testing.T) {
	const url = "http://127.0.0.1:9/"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"probe"}, "no target: give --url URL"},
		{[]string{"probe", "--url", "ftp://x/"}, "--url: scheme \"ftp\""},
		{[]string{"probe", "--url", url, "--rounds", "0"}, "--rounds 0: must be at least 1"},
		{[]string{"probe", "--url", url, "--max-requests", "0"}, "--max-requests 0: must be at least 1"},
		{[]string{"probe", "--url", url, "--margin", "-1s"}, "--margin -1s: must not be negative"},
		{[]string{"probe", "--url", url, "--start-rate", "fast"}, "--start-rate \"fast\""},
		{[]string{"probe", "--url", url, "--max-rate", "0"}, "--max-rate \"0\""},
		{[]string{"probe", "--url", url, "--start-rate", "100/s", "--max-rate", "10/s"}, "--start-rate 100/s: above max-rate 10/s"},
		{[]string{"probe", "--url", url, "--max-time", "0s"}, "--max-time 0s: must be above 0"},
		{[]string{"probe", "--url", url, "--step", "0s"}, "--step 0s: must be above 0"},
		{[]string{"probe", "--url", url, "--max-in-flight", "0"}, "--max-in-flight 0: must be at least 1"},
		{[]string{"probe", "--url", url, "--format", "xml"}, "--format \"xml\": want text or json"},
		{[]string{"probe", "--url", url, "--timeout", "-1s"}, "--timeout -1s: must not be negative"},
		{[]string{"probe", "--url", url, "-H", "NoColon"}, "--header:"},
		{[]string{"probe", "--url", url, "--body", "x", "--body-file", "f"}, "--body and --body-file: give one or the other"},
		{[]string{"probe", "--url", url, "--method", "G T"}, "--method:"},
		{[]string{"probe", "--url", url, "extra"}, "probe takes no arguments, got 1"},
		{[]string{"probe", "--rounds", "many"}, "--rounds"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			code, stdout, stderr := runInProcess(t, tc.args...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stampede %s = exit %d, stdout %q, stderr %q; want exit 2, one line with %q", strings.Join(tc.args, " "), code, stdout, stderr, tc.want)
			}
		})
	}
}

// TestProbeUnreachable: a target that cannot be reached fails the probe
// (exit 3) without quoting the URL's secret.
func TestProbeUnreachable(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close()
	code, stdout, stderr := runInProcess(t, "probe", "--url", url+"/?api_key=s3cret-query", "-q")
	if code != exitRuntime || stdout != "" || !strings.Contains(stderr, "request failed") || strings.Contains(stderr, "s3cret") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 3, a failed request, no secret", code, stdout, stderr)
	}
}

// TestProbeServerError: a target answering 503 before any 429 ends the
// probe at its first answer, exit 3, as a 4xx does.
func TestProbeServerError(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	code, stdout, stderr := runInProcess(t, "probe", "--url", srv.URL+"/", "--start-rate", "20/s", "--max-requests", "50", "--max-time", "10s", "-q")
	if code != exitRuntime || hits.Load() > 5 || !strings.Contains(stderr, "503 Service Unavailable before any 429") {
		t.Errorf("exit %d, the target got %d requests; want 3, at most 5\nstdout %s\nstderr %s", code, hits.Load(), stdout, stderr)
	}
}

// TestProbeRedirects: the probe follows no redirect, so the target
// receives no more than --max-requests requests.
func TestProbeRedirects(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	code, stdout, stderr := runInProcess(t, "probe", "--url", srv.URL+"/", "--start-rate", "50/s", "--max-requests", "5", "-q")
	if code != exitThreshold || hits.Load() != 5 || !strings.Contains(stdout, "Requests  5 of at most 5") {
		t.Errorf("exit %d, the target got %d requests; want 1, 5\nstdout %s\nstderr %s", code, hits.Load(), stdout, stderr)
	}
}

// TestProbeEchoedSecret: a target that echoes the request's key in
// Retry-After gets it masked in the progress lines, the report and the
// JSON.
func TestProbeEchoedSecret(t *testing.T) {
	const secret = "TOPSECRET999"
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			return
		}
		w.Header().Set("Retry-After", r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	for _, format := range []string{"text", "json"} {
		code, stdout, stderr := runInProcess(t, "probe", "--url", srv.URL+"/", "-H", "Authorization: Bearer "+secret,
			"--rounds", "1", "--start-rate", "20/s", "--max-time", "2s", "--format", format)
		if code != exitThreshold || !strings.Contains(stdout, "malformed_retry_after") || !strings.Contains(stdout+stderr, "[REDACTED]") {
			t.Errorf("%s: exit %d; want 1, a malformed Retry-After, masked\nstdout %s\nstderr %s", format, code, stdout, stderr)
		}
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("%s: the secret leaked:\nstdout %s\nstderr %s", format, stdout, stderr)
		}
	}
}
