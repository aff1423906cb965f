package gradeclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/internal/gradetest"
)

func TestMain(m *testing.M) {
	gradetest.MainIfClient() // the test binary as a client, when asked to be one
	os.Exit(m.Run())
}

// grade runs the named test client (gradetest.Clients) under the grader.
func grade(t *testing.T, client string, scenarios []Scenario, runs int, timeout time.Duration) Result {
	t.Helper()
	res, err := Run(context.Background(), Options{
		Command: []string{os.Args[0], Placeholder}, Env: []string{gradetest.Env + "=" + client},
		Scenarios: scenarios, Runs: runs, Timeout: timeout,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// outcomes is each rule's verdict over the scenarios, "rule=outcome".
func outcomes(r Result) string {
	var parts []string
	for _, s := range r.Summary() {
		parts = append(parts, string(s.Rule)+"="+string(s.Outcome))
	}
	return strings.Join(parts, " ")
}

// expect writes the verdicts of every rule, in the order of Rules, the
// ones given overriding pass (jitter: skip with one run).
func expect(runs int, over map[RuleID]Outcome) string {
	var parts []string
	for _, r := range Rules {
		o := Pass
		if r.ID == Jitter && runs < MinRunsForJitter {
			o = Skip
		}
		if w, ok := over[r.ID]; ok {
			o = w
		}
		parts = append(parts, string(r.ID)+"="+string(o))
	}
	return strings.Join(parts, " ")
}

// TestGradeClients grades the test clients on every built-in scenario:
// each gets exactly its expected verdicts, every rule's.
func TestGradeClients(t *testing.T) {
	if testing.Short() {
		t.Skip("runs clients for seconds")
	}
	t.Parallel()
	cases := []struct {
		client  string
		runs    int
		timeout time.Duration
		want    map[RuleID]Outcome
	}{
		{"compliant", 1, 10 * time.Second, nil},
		{"ignores-retry-after", 3, 10 * time.Second, map[RuleID]Outcome{WaitsSeconds: Fail, WaitsDate: Fail, BackoffGrows: Warn, Jitter: Warn, InvalidFallback: Warn}},
		{"seconds-only", 1, 10 * time.Second, map[RuleID]Outcome{WaitsDate: Fail, InvalidFallback: Warn}},
		{"retries-4xx", 1, 10 * time.Second, map[RuleID]Outcome{NoRetryNonRetryable: Fail}},
		{"never-gives-up", 1, 5 * time.Second, map[RuleID]Outcome{Bounded: Fail}},
		{"crashes-on-invalid", 1, 10 * time.Second, map[RuleID]Outcome{InvalidFallback: Warn}},
	}
	for _, c := range cases {
		t.Run(c.client, func(t *testing.T) {
			t.Parallel()
			res := grade(t, c.client, Builtin(), c.runs, c.timeout)
			if got, want := outcomes(res), expect(c.runs, c.want); got != want {
				var b strings.Builder
				_ = WriteText(&b, res)
				t.Errorf("verdicts of %s:\n got %s\nwant %s\n%s", c.client, got, want, b.String())
			}
			wantFailed := false
			for _, o := range c.want {
				wantFailed = wantFailed || o == Fail
			}
			if got := len(res.Failed()) > 0; got != wantFailed {
				t.Errorf("%s: failed = %v; want %v", c.client, got, wantFailed)
			}
		})
	}
}

// TestGradeJitter runs the compliant client, which jitters, five times
// on the backoff scenario (five, so that a chance of equal waits is
// negligible: about 3 in 100 000).
func TestGradeJitter(t *testing.T) {
	if testing.Short() {
		t.Skip("runs clients for seconds")
	}
	t.Parallel()
	sc, _ := Lookup("backoff-no-retry-after")
	res := grade(t, "compliant", sc, 5, 10*time.Second)
	want := "succeeds-once-recovered=pass backoff-grows=pass jitter-across-runs=pass"
	if got := outcomes(res); got != want {
		t.Errorf("verdicts = %s; want %s", got, want)
	}
}

// TestCrashShowsOutput checks that a crashed client's last lines are
// kept and shown.
func TestCrashShowsOutput(t *testing.T) {
	t.Parallel()
	sc, _ := Lookup("invalid-retry-after")
	res := grade(t, "crashes-on-invalid", sc, 1, 10*time.Second)
	ex := res.Scenarios[0].Runs[0]
	if ex.Client.ExitCode != 2 || !strings.Contains(ex.Client.Output, `panic: invalid Retry-After "soon"`) {
		t.Fatalf("client = exit %d, output %q; want exit 2 and its panic line", ex.Client.ExitCode, ex.Client.Output)
	}
	var b strings.Builder
	if err := WriteText(&b, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `| panic: invalid Retry-After "soon"`) {
		t.Errorf("text report lacks the client's last lines:\n%s", b.String())
	}
}

// TestProxyInjectsFaults puts the grader in front of an upstream: the
// scripted faults come from the proxy, then the upstream answers.
func TestProxyInjectsFaults(t *testing.T) {
	t.Parallel()
	hits := make(chan string, 10)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits <- r.URL.Path
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"upstream":true}`))
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL)
	sc := Scenario{Name: "proxy", Steps: []Step{{Status: 503}, {Status: 503}}}
	res, err := Run(context.Background(), Options{
		Command: []string{os.Args[0], Placeholder + "/v1/items"}, Env: []string{gradetest.Env + "=compliant"},
		Scenarios: []Scenario{sc}, Runs: 1, Timeout: 10 * time.Second, Upstream: u,
	})
	if err != nil {
		t.Fatal(err)
	}
	ex := res.Scenarios[0].Runs[0]
	var statuses []int
	for _, a := range ex.Attempts {
		statuses = append(statuses, a.Status)
	}
	if len(statuses) != 3 || statuses[0] != 503 || statuses[1] != 503 || statuses[2] != 200 || ex.Client.ExitCode != 0 {
		t.Fatalf("attempts %v, exit %d; want 503 503 200 and exit 0", statuses, ex.Client.ExitCode)
	}
	if len(hits) != 1 || <-hits != "/v1/items" {
		t.Errorf("the upstream got %d requests; want 1, of /v1/items", len(hits)+1)
	}
	if got := outcomes(res); got != "succeeds-once-recovered=pass backoff-grows=pass jitter-across-runs=skip" {
		t.Errorf("verdicts = %s", got)
	}
}

// TestTooManyAttemptsStops checks that a client retrying at once without
// end is stopped beyond MaxAttempts, long before the timeout.
func TestTooManyAttemptsStops(t *testing.T) {
	t.Parallel()
	sc, _ := Lookup("never-recovers")
	res := grade(t, "hammers", sc, 1, 20*time.Second)
	ex := res.Scenarios[0].Runs[0]
	v := res.Scenarios[0].Verdicts[0]
	if ex.Client.Stopped != StopTooMany || ex.Client.Elapsed > 10*time.Second || v.Outcome != Fail {
		t.Errorf("stopped %q after %s, %s: %s; want stopped for too many attempts, well before 20 s, and a failure",
			ex.Client.Stopped, ex.Client.Elapsed, v.Outcome, v.Observed)
	}
}
