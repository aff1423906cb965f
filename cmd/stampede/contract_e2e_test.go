package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/internal/testserver"
	"github.com/stampede-dev/stampede/records"

	"github.com/stampede-dev/stampede/reports"
	"github.com/stampede-dev/stampede/sim"
)

// TestContractInEveryRetryAfterMode attacks the simulation in each of its
// six Retry-After behaviours, far above its rate limit of 1/s (so that a
// wait lasts longer than the admission check's margin), and checks that the
// passive contract checks recognise each one by its own violations, and
// find none in the honest ones.
func TestContractInEveryRetryAfterMode(t *testing.T) {
	tests := []struct {
		mode string
		want map[string]bool // rules that must be violated; every other rule must not be
		form string          // a Retry-After form that must be seen, "" for none
	}{
		{sim.RetryAfterHonest, nil, "delay-seconds"},
		{sim.RetryAfterMissing, map[string]bool{"retry-after-on-429": true}, ""},
		{sim.RetryAfterLying, map[string]bool{"admitted-after-wait": true}, "delay-seconds"},
		{sim.RetryAfterMalformed, map[string]bool{"retry-after-valid": true}, "invalid"},
		{sim.RetryAfterHTTPDate, nil, "http-date"},
		{sim.RetryAfterZero, map[string]bool{"retry-after-zero": true, "admitted-after-wait": true}, "delay-seconds"},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel() // each mode has its own simulation; the runs wait mostly
			s, err := sim.New(sim.Config{Seed: 1, Controls: sim.Controls{RateLimit: 1, Burst: 1, RetryAfter: tc.mode}})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(s)
			t.Cleanup(ts.Close)
			targets := filepath.Join(t.TempDir(), "targets.json")
			lines := []string{
				`{"method":"POST","url":"` + ts.URL + `/mira-verify/verify/v1/stream","header":{"Authorization":["Bearer demo-full"],"Content-Type":["application/json"]},"body":"eyJmYWN0IjoiV2F0ZXIgaXMgd2V0In0="}`,
				`{"method":"GET","url":"` + ts.URL + `/mirra/api/v1/agents","header":{"X-API-Key":["demo-full"]}}`,
			}
			if err := os.WriteFile(targets, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := runInProcess(t, "attack", "--targets", targets, "-r", "30/s", "-d", "3s", "-o", "", "--format", "json", "-q")
			// The verdict fails, exit 1, exactly when a rule of severity
			// error is broken, and names it.
			wantCode := 0
			for id := range tc.want {
				if rule, ok := contract.RuleByName(id); ok && rule.Severity == contract.SeverityError {
					wantCode = exitThreshold
					if !strings.Contains(stderr, "rate-limit contract") || !strings.Contains(stderr, id) {
						t.Errorf("stderr %q: want the contract's failed rule %s named", stderr, id)
					}
				}
			}
			if code != wantCode {
				t.Fatalf("exit %d, want %d: %s", code, wantCode, stderr)
			}
			var doc reports.JSONSummary
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.RateLimit == nil {
				t.Fatalf("summary: %v\n%s", err, stdout)
			}
			if doc.Status["429"] == 0 || doc.Status["200"] == 0 {
				t.Fatalf("statuses %v: want both 200s and 429s", doc.Status)
			}
			for _, r := range doc.RateLimit.Rules {
				switch {
				case tc.want[r.ID] && r.Violations == 0:
					t.Errorf("%s: rule %s checked %d, no violation; want some", tc.mode, r.ID, r.Checked)
				case !tc.want[r.ID] && r.Violations > 0:
					t.Errorf("%s: rule %s: %d violations of %d, e.g. %+v; want none", tc.mode, r.ID, r.Violations, r.Checked, r.Examples[0])
				}
			}
			if tc.form != "" && doc.RateLimit.RetryAfterForms[tc.form] == 0 {
				t.Errorf("%s: Retry-After forms %v; want %s", tc.mode, doc.RateLimit.RetryAfterForms, tc.form)
			}
			if doc.RateLimit.ResetKind != "epoch-seconds" {
				t.Errorf("%s: reset read as %q; want epoch-seconds", tc.mode, doc.RateLimit.ResetKind)
			}
		})
	}
}

// TestContractChecksStalledBodies attacks a target that answers 429 with
// Retry-After and X-RateLimit headers, then stalls the body past the
// client's timeout: the 429s are still held to the contract, and their
// records keep the Retry-After they gave.
func TestContractChecksStalledBodies(t *testing.T) {
	ts := testserver.StalledBody429(t)
	out := filepath.Join(t.TempDir(), "r.bin")
	_, stdout, stderr := runInProcess(t, "attack", "--url", ts.URL, "-r", "10/s", "-d", "300ms", "--timeout", "300ms",
		"-o", out, "--format", "json", "-q")
	var doc reports.JSONSummary
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.RateLimit == nil {
		t.Fatalf("summary: %v\n%s\n%s", err, stdout, stderr)
	}
	checked := -1
	for _, r := range doc.RateLimit.Rules {
		if r.ID == "retry-after-on-429" {
			checked = int(r.Checked)
		}
	}
	if checked <= 0 {
		t.Errorf("rule retry-after-on-429 checked %d times; want the stalled 429s checked", checked)
	}
	_, recs, _ := readResults(t, out)
	if len(recs) == 0 {
		t.Fatal("no records")
	}
	for _, r := range recs {
		if r.Status != 429 || r.RetryAfter != "1" || r.ErrorKind != records.ErrTimeout {
			t.Errorf("record status %d, Retry-After %q, kind %v; want 429, 1, timeout", r.Status, r.RetryAfter, r.ErrorKind)
		}
	}
}
