package gradeclient

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RequireClientsEnv names the environment variable that, set to 1, makes
// the tests of real clients (curl, python3 with requests, node) fail
// instead of skipping when one is missing. .ci/run sets it.
const RequireClientsEnv = "STAMPEDE_REQUIRE_CLIENTS"

// need finds a program for a test of a real client, or skips (fails under
// STAMPEDE_REQUIRE_CLIENTS=1); check, if given, must run with success.
func need(t *testing.T, name string, check ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(check) > 0 {
		if out, cerr := exec.Command(path, check...).CombinedOutput(); cerr != nil {
			err = &exec.Error{Name: name + " " + strings.Join(check, " "), Err: cerr}
			t.Logf("%s", out)
		}
	}
	if err != nil {
		if os.Getenv(RequireClientsEnv) == "1" {
			t.Fatalf("%s=1 but %v (apt-get install curl python3 python3-requests nodejs)", RequireClientsEnv, err)
		}
		t.Skipf("%v (apt-get install curl python3 python3-requests nodejs, or set %s=1 to fail instead)", err, RequireClientsEnv)
	}
	return path
}

// gradeReal grades a real client's command on every built-in scenario.
func gradeReal(t *testing.T, argv ...string) Result {
	t.Helper()
	res, err := Run(context.Background(), Options{Command: argv, Env: []string{"MIRA_API_KEY=demo"}, Scenarios: Builtin(), Runs: 1})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// check compares a real client's verdicts with the expected ones: every
// rule but those in unjudged (whose verdict depends on the client's own
// randomness), in the order of Rules.
func check(t *testing.T, res Result, want map[RuleID]Outcome, unjudged ...RuleID) {
	t.Helper()
	var got, exp []string
	for _, s := range res.Summary() {
		if !containsRule(unjudged, s.Rule) {
			got = append(got, string(s.Rule)+"="+string(s.Outcome))
		}
	}
	for _, r := range Rules {
		if containsRule(unjudged, r.ID) {
			continue
		}
		o := Pass
		if r.ID == Jitter {
			o = Skip
		}
		if w, ok := want[r.ID]; ok {
			o = w
		}
		exp = append(exp, string(r.ID)+"="+string(o))
	}
	if strings.Join(got, " ") != strings.Join(exp, " ") {
		var b strings.Builder
		_ = WriteText(&b, res)
		t.Errorf("verdicts:\n got %s\nwant %s\n%s", strings.Join(got, " "), strings.Join(exp, " "), b.String())
	}
}

// TestGradeCurl grades curl --retry 3: it honours Retry-After in both
// forms (libcurl reads an HTTP-date too), falls back to its own backoff
// (1, 2, 4 s) on an invalid one, and does not retry a 400.
func TestGradeCurl(t *testing.T) {
	if testing.Short() {
		t.Skip("runs curl for seconds")
	}
	t.Parallel()
	curl := need(t, "curl")
	res := gradeReal(t, curl, "-sS", "--retry", "3", Placeholder)
	check(t, res, nil)
}

// The seed documents' retry loops, as examples/clients runs them: each
// graded, its real verdicts those docs/grade-client.md shows.
func TestGradeSeedClients(t *testing.T) {
	if testing.Short() {
		t.Skip("runs clients for tens of seconds")
	}
	t.Parallel()
	dir := filepath.Join("..", "examples", "clients")
	cases := []struct {
		name     string
		program  []string // the interpreter and its check
		file     string
		want     map[RuleID]Outcome
		unjudged []RuleID
	}{
		// int(Retry-After) raises on a date and on "soon": a crash where
		// the server would have recovered.
		{"mira-chat python requests", []string{"python3", "-c", "import requests"}, "mira_chat_requests.py",
			map[RuleID]Outcome{Succeeds: Fail, InvalidFallback: Warn}, nil},
		// parseInt reads a date and "soon" as NaN; setTimeout(NaN) is 0 ms.
		{"mira-chat node fetch", []string{"node", "--version"}, "mira_chat_fetch.mjs",
			map[RuleID]Outcome{WaitsDate: Fail, InvalidFallback: Warn}, nil},
		// The same parseInt; and three attempts in all cannot outlast
		// three 503s.
		{"mira-verify fetchWithRetry", []string{"node", "--version"}, "mira_verify_fetch_with_retry.mjs",
			map[RuleID]Outcome{WaitsDate: Fail, Succeeds: Fail, InvalidFallback: Warn}, nil},
		// Never reads Retry-After (waits 1 s + random), retries every
		// error, a 400 too. Its backoff grows but for a chance of about
		// 1 in 1000 (2 + r₂ against 1 + r₁), so that rule is not asserted.
		{"mimo python backoff", []string{"python3", "-c", "import requests"}, "mimo_retry.py",
			map[RuleID]Outcome{WaitsSeconds: Fail, WaitsDate: Fail, NoRetryNonRetryable: Fail}, []RuleID{BackoffGrows}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			prog := need(t, c.program[0], c.program[1:]...)
			res := gradeReal(t, prog, filepath.Join(dir, c.file), Placeholder)
			check(t, res, c.want, c.unjudged...)
		})
	}
}
