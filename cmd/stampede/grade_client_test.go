package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/internal/gradetest"
)

func init() {
	gradetest.MainIfClient() // the test binary as a grade-client test client, when asked to be one
}

// runGrade runs stampede with args in-process.
func runGrade(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, abort: context.Background()}, args)
	return code, out.String(), errb.String()
}

// testClient is the command line of a test client (gradetest.Clients).
func testClient(name string) []string {
	return []string{"env", gradetest.Env + "=" + name, os.Args[0], "{url}"}
}

// TestGradeClientExitCodes: a client that retries at once fails (exit 1,
// naming the rules it broke); a compliant one passes (exit 0); the JSON
// report is versioned.
func TestGradeClientExitCodes(t *testing.T) {
	t.Parallel()
	code, out, errs := runGrade(t, append([]string{"grade-client", "-q", "--scenario", "retry-after-seconds", "--"}, testClient("ignores-retry-after")...)...)
	if code != exitThreshold || !strings.Contains(errs, "waits-retry-after-seconds") || !strings.Contains(out, "FAIL") {
		t.Errorf("retrying at once: exit %d, stderr %q; want 1 naming waits-retry-after-seconds\n%s", code, errs, out)
	}
	code, out, errs = runGrade(t, append([]string{"grade-client", "-q", "--scenario", "non-retryable-400", "--format", "json", "--"}, testClient("compliant")...)...)
	if code != exitOK {
		t.Fatalf("compliant: exit %d, stderr %q; want 0", code, errs)
	}
	var rep struct {
		Schema string `json:"schema"`
		Passed bool   `json:"passed"`
		Rules  []struct {
			Rule, Outcome string
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("JSON report: %v\n%s", err, out)
	}
	if rep.Schema != "stampede/grade-client/v1" || !rep.Passed || len(rep.Rules) != 1 || rep.Rules[0].Rule != "no-retry-non-retryable" || rep.Rules[0].Outcome != "pass" {
		t.Errorf("JSON report = %+v; want schema stampede/grade-client/v1, passed, no-retry-non-retryable=pass", rep)
	}
}

// TestGradeClientScenarioFile grades a scenario of a file, writing JUnit.
func TestGradeClientScenarioFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "forbidden.yaml")
	if err := os.WriteFile(file, []byte("steps:\n  - status: 403\n    headers: {X-Reason: scripted}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "grade.xml")
	code, _, errs := runGrade(t, append([]string{"grade-client", "-q", "--scenario", file, "--format", "junit", "-o", out, "--"}, testClient("retries-4xx")...)...)
	if code != exitThreshold {
		t.Fatalf("exit %d, stderr %q; want 1", code, errs)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(data); !strings.Contains(s, `<testcase classname="forbidden" name="no-retry-non-retryable"`) || !strings.Contains(s, "retried the 403") {
		t.Errorf("JUnit report lacks the failed rule:\n%s", s)
	}
}

// TestGradeClientUsageErrors: each mistake is exit 2 with a message that
// names the flag or the fix.
func TestGradeClientUsageErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("steps:\n  - status: 99\n    retry-afte: 3\nthen: forever\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"grade-client"}, "no client command: give it after --"},
		{[]string{"grade-client", "--", "curl", "http://127.0.0.1:1/"}, "has no {url}"},
		{[]string{"grade-client", "--proxy", "https://api.example.com", "--", "curl", "https://api.example.com"}, "has no {url}"},
		{[]string{"grade-client", "--", "no-such-client-program", "{url}"}, `command "no-such-client-program" was not found`},
		{[]string{"grade-client", "--runs", "0", "--", "curl", "{url}"}, "--runs 0: want 1 or more"},
		{[]string{"grade-client", "--timeout", "0s", "--", "curl", "{url}"}, "--timeout 0s: want a duration above 0"},
		{[]string{"grade-client", "--format", "xml", "--", "curl", "{url}"}, `--format "xml": want one of text, json, junit`},
		{[]string{"grade-client", "--proxy", "api.example.com", "--", "curl", "{url}"}, `--proxy "api.example.com": want the upstream's URL`},
		{[]string{"grade-client", "--scenario", "retry-after", "--", "curl", "{url}"}, `--scenario "retry-after": no such built-in scenario or file`},
		{[]string{"grade-client", "--scenario", bad, "--", "curl", "{url}"}, bad + `:2:13: steps[0].status "99": want an HTTP status from 100 to 599; ` +
			bad + `:3:5: steps[0].retry-afte: unknown key; did you mean "retry-after"?; ` + bad + `:4:7: then "forever": want recover`},
	}
	for _, c := range cases {
		code, _, errs := runGrade(t, c.args...)
		if code != exitUsage || !strings.Contains(errs, c.want) {
			t.Errorf("stampede %s: exit %d, %q; want 2 and %q", strings.Join(c.args, " "), code, errs, c.want)
		}
	}
}

// TestGradeClientList lists every built-in scenario.
func TestGradeClientList(t *testing.T) {
	t.Parallel()
	code, out, _ := runGrade(t, "grade-client", "--list")
	for _, name := range []string{"retry-after-seconds", "retry-after-date", "backoff-no-retry-after", "invalid-retry-after", "non-retryable-400", "never-recovers", "all"} {
		if !strings.Contains(out, name) {
			t.Errorf("--list lacks %s:\n%s", name, out)
		}
	}
	if code != exitOK {
		t.Errorf("--list: exit %d; want 0", code)
	}
}
