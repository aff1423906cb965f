package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAttackClosedModel: --concurrency runs a closed model, and every
// output says so: the result file's header, the JSON summary and the
// text summary, which warns that its latency cannot show coordinated
// omission and shows no send delay.
func TestAttackClosedModel(t *testing.T) {
	srv, hits := countingServer(t)
	out := filepath.Join(t.TempDir(), "r.bin")
	code, stdout, stderr := runInProcess(t, "attack", "-u", srv.URL, "--concurrency", "2", "-d", "300ms", "-q", "-o", out, "--format", "json")
	if code != 0 {
		t.Fatalf("attack = exit %d; stderr %s", code, stderr)
	}
	var doc struct {
		Pacer       string  `json:"pacer"`
		Concurrency uint64  `json:"concurrency"`
		Requests    uint64  `json:"requests"`
		RatePerS    float64 `json:"rate_per_s"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("JSON summary: %v\n%s", err, stdout)
	}
	if doc.Pacer != "closed model, 2 workers" || doc.Concurrency != 2 {
		t.Errorf("pacer %q, concurrency %d; want the closed model of 2 workers", doc.Pacer, doc.Concurrency)
	}
	if doc.Requests == 0 || int64(doc.Requests) != hits.Load() {
		t.Errorf("requests = %d, the server saw %d; want equal and above 0", doc.Requests, hits.Load())
	}
	header, recs, _ := readResults(t, out)
	if header.Concurrency != 2 || uint64(len(recs)) != doc.Requests {
		t.Errorf("header concurrency %d, %d records; want 2 and %d", header.Concurrency, len(recs), doc.Requests)
	}
	code, stdout, stderr = runInProcess(t, "report", out)
	if code != 0 {
		t.Fatalf("report = exit %d; stderr %s", code, stderr)
	}
	for _, want := range []string{"Load      closed model, 2 workers for 300ms", "Model     closed: each worker sends", "cannot show coordinated omission", "n/a (closed model)", "from actual send", "sent rate (closed model)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	// The open model's report says none of it.
	open := filepath.Join(filepath.Dir(out), "open.bin")
	code, stdout, _ = runInProcess(t, "attack", "-u", srv.URL, "--rate", "20/s", "-d", "100ms", "-q", "-o", open)
	if code != 0 || strings.Contains(stdout, "closed") || !strings.Contains(stdout, "from scheduled send") {
		t.Errorf("open model (exit %d) mentions a closed model or lacks the scheduled send:\n%s", code, stdout)
	}
	// A closed model whose every request fails does not pass.
	if code, _, stderr := runInProcess(t, "attack", "-u", "http://127.0.0.1:1/", "--concurrency", "2", "-d", "200ms", "-q", "-o", ""); code != exitThreshold || !strings.Contains(stderr, "transport failures") {
		t.Errorf("closed model against a refusing target: exit %d, %q; want %d for the transport failures", code, stderr, exitThreshold)
	}
	// Nor does a report of both, which says that some files are closed.
	code, stdout, _ = runInProcess(t, "report", out, open)
	if strings.Contains(stdout, "Model     closed") || strings.Contains(stdout, "n/a (closed model)") ||
		!strings.Contains(stdout, "from scheduled send") || !strings.Contains(stdout, "1 of the 2 result files are closed-model runs") {
		t.Errorf("report of a closed and an open file (exit %d):\n%s", code, stdout)
	}
}

// TestProfileClosedPhase: a profile's load phase with concurrency: runs
// as a closed model of its own, after a paced phase.
func TestProfileClosedPhase(t *testing.T) {
	srv, hits := countingServer(t)
	dir := t.TempDir()
	profile := filepath.Join(dir, "p.yaml")
	writeFile(t, profile, []byte(`name: closed
target:
  base-url: http://127.0.0.1:1
requests:
  - name: root
    path: /
phases:
  - name: warm
    load: {rate: 20/s, duration: 200ms}
  - name: closed
    load: {concurrency: 3, duration: 300ms}
`))
	code, stdout, stderr := runInProcess(t, "run", profile, "--base-url", srv.URL, "--dry-run")
	if code != 0 || !strings.Contains(stdout, "closed model, 3 workers") || !strings.Contains(stdout, "as answered") {
		t.Fatalf("dry run = exit %d:\n%s%s", code, stdout, stderr)
	}
	out := filepath.Join(dir, "r.bin")
	code, stdout, stderr = runInProcess(t, "run", profile, "--base-url", srv.URL, "-q", "-o", out)
	if code != 0 {
		t.Fatalf("run = exit %d:\n%s%s", code, stdout, stderr)
	}
	_, recs, _ := readResults(t, out)
	// 4 paced requests, then as many as 3 workers get answered in 300 ms.
	if len(recs) <= 4 || int64(len(recs)) != hits.Load() {
		t.Errorf("records = %d, server saw %d; want equal and more than the 4 paced ones", len(recs), hits.Load())
	}
	if !strings.Contains(stdout, "then closed: closed model, 3 workers") {
		t.Errorf("summary lacks the closed phase:\n%s", stdout)
	}
	// A closed phase cannot retry, by its own retry: section or by a
	// request it draws; and a retry-storm comparison of a closed profile
	// would compare nothing. Each is refused before anything is sent.
	const closedProfile = "name: closed\ntarget: {base-url: http://127.0.0.1:1}\nrequests: [{name: root, path: /%s}]\n" +
		"phases:\n  - name: closed\n    load: {concurrency: 3, duration: 300ms}\n%s"
	for _, tc := range []struct {
		name, request, phase string
		extra                []string
		want                 string
	}{
		{"phase retries", "", "    retry: {policy: exponential}\n", nil, "retrying clients run in the open model"},
		{"request retries", ", retry: {policy: immediate, max: 2}", "", nil, "request root retries, and retrying clients run in the open model"},
		{"compared", "", "", []string{"--compare-retry", "none,immediate"}, "phase closed is a closed model"},
	} {
		writeFile(t, profile, []byte(fmt.Sprintf(closedProfile, tc.request, tc.phase)))
		before := hits.Load()
		code, _, stderr = runInProcess(t, append([]string{"run", profile, "--base-url", srv.URL, "-q", "-o", ""}, tc.extra...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || hits.Load() != before {
			t.Errorf("%s: exit %d, %q, %d requests sent; want exit %d naming the problem before sending any",
				tc.name, code, stderr, hits.Load()-before, exitUsage)
		}
	}
}

// TestClosedPhaseCannotHideUnsent: the attempts a closed phase sends are
// its plan, so they cannot make up for the attempts a paced phase before
// it never sent: the run does not finish, and fails.
func TestClosedPhaseCannotHideUnsent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	profile := filepath.Join(t.TempDir(), "p.yaml")
	writeFile(t, profile, []byte(`name: behind
target: {base-url: http://127.0.0.1:1}
requests: [{name: root, path: /}]
phases:
  - name: paced
    load: {rate: 500/s, duration: 1s}
  - name: closed
    load: {concurrency: 20, duration: 1s}
`))
	code, stdout, stderr := runInProcess(t, "run", profile, "--base-url", srv.URL, "--workers", "1", "--max-workers", "1", "-q", "--format", "json")
	var doc struct {
		Unsent   uint64 `json:"unsent"`
		Requests uint64 `json:"requests"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatalf("JSON summary: %v\n%s\n%s", err, stdout, stderr)
	}
	// One worker answers 50/s: of the 500 paced requests some 100 leave
	// within the second of lateness allowed, the rest are unsent; the
	// closed phase's 20 workers then send some 1,000, more than those.
	if code != exitThreshold || doc.Unsent < 200 || !strings.Contains(stderr, "never sent") {
		t.Errorf("exit %d, %d unsent of %d requests, stderr %q; want exit %d, hundreds unsent, the verdict naming them",
			code, doc.Unsent, doc.Requests, stderr, exitThreshold)
	}
}
