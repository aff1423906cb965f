package contract

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/ratelimit"
)

var contractT0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// resp builds a response received at t0+at, sent 10 ms earlier, with
// headers given as "Name: value" strings.
func resp(status uint16, at time.Duration, headers ...string) *Response {
	h := http.Header{}
	for _, kv := range headers {
		name, value, _ := strings.Cut(kv, ":")
		h.Add(name, strings.TrimSpace(value))
	}
	return &Response{Status: status, Header: h, Sent: contractT0.Add(at - 10*time.Millisecond), Received: contractT0.Add(at), Scope: 1, Class: uint32(status)}
}

// at sets when the request of r left.
func at(r *Response, sent time.Duration) *Response {
	r.Sent = contractT0.Add(sent)
	return r
}

// scoped moves r to another endpoint of the same principal.
func scoped(r *Response, scope uint64) *Response {
	r.Scope = scope
	return r
}

// violated returns the names of the rules with violations, and checks
// that every violation has an example with a detail.
func violated(t *testing.T, c *Checker) []string {
	t.Helper()
	var out []string
	for _, r := range c.Results() {
		if r.Violations > r.Checked {
			t.Errorf("%s: %d violations of %d checked", r.Name, r.Violations, r.Checked)
		}
		if r.Violations > 0 {
			out = append(out, r.Name)
			if len(r.Examples) == 0 || r.Examples[0].Detail == "" {
				t.Errorf("%s: a violation without evidence: %+v", r.Name, r.Examples)
			}
		}
	}
	return out
}

func TestContractRules(t *testing.T) {
	epoch := func(secs int) string {
		return strconv.FormatInt(contractT0.Add(time.Duration(secs)*time.Second).Unix(), 10)
	}
	date := func(d time.Duration) string { return contractT0.Add(d).Format(http.TimeFormat) }
	dateHeader := "Date: " + date(0)
	tests := []struct {
		name  string
		resps []*Response
		want  string // violated rules, comma-separated
	}{
		{"honest 429", []*Response{resp(429, 0, "Retry-After: 2", "X-RateLimit-Limit: 5", "X-RateLimit-Remaining: 0", "X-RateLimit-Reset: "+epoch(2), dateHeader)}, ""},
		{"429 without Retry-After", []*Response{resp(429, 0)}, "retry-after-on-429"},
		{"503 without Retry-After", []*Response{resp(503, 0)}, "retry-after-on-503"},
		{"malformed", []*Response{resp(429, 0, "Retry-After: 1s")}, "retry-after-valid"},
		{"obsolete date", []*Response{resp(429, 0, dateHeader, "Retry-After: "+contractT0.Add(5*time.Second).Format(time.RFC850))}, "retry-after-imf-fixdate"},
		{"date in the past", []*Response{resp(429, 0, dateHeader, "Retry-After: "+date(-time.Minute))}, "retry-after-bounds"},
		{"over a day", []*Response{resp(429, 0, "Retry-After: 90000")}, "retry-after-bounds"},
		{"zero", []*Response{resp(429, 0, "Retry-After: 0")}, "retry-after-zero"},
		{"body disagrees", []*Response{func() *Response {
			r := resp(429, 0, "Retry-After: 10")
			r.Body = []byte(`{"detail": "Rate limit exceeded. Please retry after 60 seconds."}`)
			return r
		}()}, "retry-after-matches-body"},
		{"body agrees", []*Response{func() *Response {
			r := resp(429, 0, "Retry-After: 42")
			r.Body = []byte(`{"code": "RATE_LIMIT_EXCEEDED", "message": "Rate limit exceeded. Try again in 42 seconds.", "retryAfter": 42}`)
			return r
		}()}, ""},
		{"malformed limit", []*Response{resp(200, 0, "X-RateLimit-Limit: lots", "X-RateLimit-Remaining: 3")}, "ratelimit-valid"},
		{"remaining above limit", []*Response{resp(200, 0, "X-RateLimit-Limit: 5", "X-RateLimit-Remaining: 9")}, "ratelimit-remaining-in-range"},
		{"negative remaining", []*Response{resp(200, 0, "X-RateLimit-Limit: 5", "X-RateLimit-Remaining: -1")}, "ratelimit-remaining-in-range"},
		{"limit changes in its window", []*Response{
			resp(200, 0, "X-RateLimit-Limit: 5", "X-RateLimit-Remaining: 4", "X-RateLimit-Reset: "+epoch(60), dateHeader),
			resp(200, time.Second, "X-RateLimit-Limit: 50", "X-RateLimit-Remaining: 48", "X-RateLimit-Reset: "+epoch(60), "Date: "+date(time.Second)),
		}, "ratelimit-limit-stable"},
		{"limit changes after its window", []*Response{
			resp(200, 0, "X-RateLimit-Limit: 5", "X-RateLimit-Remaining: 4", "X-RateLimit-Reset: "+epoch(1), dateHeader),
			resp(200, 2*time.Second, "X-RateLimit-Limit: 50", "X-RateLimit-Remaining: 48", "X-RateLimit-Reset: "+epoch(60), "Date: "+date(2*time.Second)),
		}, ""},
		{"429 with remaining", []*Response{resp(429, 0, "Retry-After: 1", "X-RateLimit-Limit: 5", "X-RateLimit-Remaining: 2")}, "ratelimit-remaining-zero-on-429"},
		{"reset in the past", []*Response{resp(200, 0, dateHeader, "X-RateLimit-Limit: 5", "X-RateLimit-Remaining: 2", "X-RateLimit-Reset: "+epoch(-3600))}, "ratelimit-reset-not-past"},
		{"reset disagrees with retry-after", []*Response{resp(429, 0, dateHeader, "Retry-After: 1", "X-RateLimit-Limit: 5", "X-RateLimit-Remaining: 0", "X-RateLimit-Reset: "+epoch(30))}, "ratelimit-reset-matches-retry-after"},
		{"ietf structured fields honest", []*Response{resp(429, 0, "Retry-After: 30", `RateLimit: "default";r=0;t=30`, `RateLimit-Policy: "default";q=100;w=60`)}, ""},
		{"headers on some 429s of a class", []*Response{resp(429, 0, "Retry-After: 1"), resp(429, time.Second)}, "retry-after-on-429,headers-consistent"},
	}
	for _, tc := range tests {
		c := New(Options{})
		for _, r := range tc.resps {
			c.Add(r)
		}
		if got := strings.Join(violated(t, c), ","); got != tc.want {
			t.Errorf("%s: violated %q; want %q", tc.name, got, tc.want)
		}
	}
}

// TestRetryAfterDateAgainstServerClock: a client whose clock is hours off
// the server's reads an HTTP-date Retry-After against the Date header, and
// finds neither a past date nor a disagreement with Reset.
func TestRetryAfterDateAgainstServerClock(t *testing.T) {
	server := contractT0
	r := &Response{Status: 429, Scope: 1, Sent: server.Add(3 * time.Hour), Received: server.Add(3 * time.Hour), Header: http.Header{
		"Date":                  {server.Format(http.TimeFormat)},
		"Retry-After":           {server.Add(5 * time.Second).Format(http.TimeFormat)},
		"X-Ratelimit-Limit":     {"5"},
		"X-Ratelimit-Remaining": {"0"},
		"X-Ratelimit-Reset":     {strconv.FormatInt(server.Add(5*time.Second).Unix(), 10)},
	}}
	c := New(Options{})
	c.Add(r)
	if v := violated(t, c); len(v) != 0 {
		t.Errorf("a skewed client clock gives violations %v; want none", v)
	}
	if kind, _ := c.Report().ResetKind(); kind != ratelimit.ResetEpochSeconds.String() || c.Forms()["http-date"] != 1 {
		t.Errorf("reset kind %s, forms %v; want epoch-seconds and one http-date", kind, c.Forms())
	}
}

// TestAdmittedAfterWait follows the promise per scope: a request sent once
// the advertised wait has passed (plus the margin) must be admitted.
func TestAdmittedAfterWait(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name       string
		resps      []*Response
		checked    uint64
		violations uint64
	}{
		{"honest: admitted after the wait", []*Response{resp(429, 0, "Retry-After: 1"), resp(200, 1100*time.Millisecond)}, 1, 0},
		{"lying: rejected well after the wait", []*Response{resp(429, 0, "Retry-After: 1"), resp(429, 1500*time.Millisecond, "Retry-After: 1")}, 1, 1},
		{"within the margin: not judged", []*Response{resp(429, 0, "Retry-After: 1"), resp(429, 1100*time.Millisecond, "Retry-After: 1")}, 0, 0},
		{"a later 429 does not move the deadline", []*Response{resp(429, 0, "Retry-After: 1"), resp(429, 900*time.Millisecond, "Retry-After: 1"), resp(429, 1500*time.Millisecond, "Retry-After: 1")}, 1, 1},
		{"admitted meanwhile: the capacity was spent", []*Response{resp(429, 0, "Retry-After: 1"), resp(200, 500*time.Millisecond), resp(429, 1500*time.Millisecond, "Retry-After: 1")}, 0, 0},
		{"a suspect waits for slower answers", []*Response{resp(429, 0, "Retry-After: 1"), resp(429, 1500*time.Millisecond, "Retry-After: 1"), resp(200, 2600*time.Millisecond)}, 1, 1},
		{"a slower admitted answer sent before excuses it", []*Response{resp(429, 0, "Retry-After: 1"), at(resp(429, 1305*time.Millisecond, "Retry-After: 1"), 1300*time.Millisecond), at(resp(200, 1850*time.Millisecond), 1050*time.Millisecond)}, 0, 0},
		{"admitted on another endpoint of the same key", []*Response{resp(429, 0, "Retry-After: 1"), scoped(resp(200, 1020*time.Millisecond), 2), resp(429, 1400*time.Millisecond, "Retry-After: 1")}, 0, 0},
		{"a 503's wait is not the limiter's", []*Response{resp(503, 0, "Retry-After: 1"), resp(429, 2*time.Second, "Retry-After: 30")}, 0, 0},
		{"settled after the request timeout", append([]*Response{resp(429, 0, "Retry-After: 1"), resp(429, 1500*time.Millisecond, "Retry-After: 1")}, resp(429, 40*time.Second, "Retry-After: 1"), resp(429, 42*time.Second, "Retry-After: 1")), 2, 2},
		{"zero that was not zero", []*Response{resp(429, 0, "Retry-After: 0"), resp(429, 500*time.Millisecond, "Retry-After: 0")}, 1, 1},
		{"no Retry-After: nothing promised", []*Response{resp(429, 0), resp(429, 5*sec)}, 0, 0},
		{"another scope is not held to it", []*Response{resp(429, 0, "Retry-After: 1"), scoped(resp(429, 2*sec, "Retry-After: 1"), 2)}, 0, 0},
	}
	for _, tc := range tests {
		c := New(Options{})
		for _, r := range tc.resps {
			c.Add(r)
		}
		got := c.Results()[RuleAdmittedAfterWait]
		if got.Checked != tc.checked || got.Violations != tc.violations {
			t.Errorf("%s: checked %d, violations %d; want %d, %d", tc.name, got.Checked, got.Violations, tc.checked, tc.violations)
		}
	}
}

// TestContractBounded: examples and followed scopes stay bounded however
// many responses and scopes a run has.
func TestContractBounded(t *testing.T) {
	c := New(Options{})
	for i := range 3 * maxScopes {
		r := resp(429, time.Duration(i)*time.Millisecond)
		r.Scope, r.Class = uint64(i), uint32(i)
		c.Add(r)
	}
	res := c.Results()[RuleRetryAfterOn429]
	if res.Checked != 3*maxScopes || res.Violations != 3*maxScopes || len(res.Examples) != MaxExamples {
		t.Errorf("checked %d, violations %d, %d examples; want %d, %d, %d", res.Checked, res.Violations, len(res.Examples), 3*maxScopes, 3*maxScopes, MaxExamples)
	}
	if len(c.scopes) > maxScopes || len(c.classes) > maxScopes {
		t.Errorf("%d scopes, %d classes followed; want at most %d", len(c.scopes), len(c.classes), maxScopes)
	}
}

func TestContractRulesNamed(t *testing.T) {
	seen := map[string]bool{}
	for i, r := range Rules {
		if r.ID != RuleID(i) || r.Name == "" || r.Title == "" || seen[r.Name] {
			t.Errorf("rule %d: %+v: ids in order, names unique and set", i, r)
		}
		seen[r.Name] = true
	}
	if fmt.Sprint(SeverityError, SeverityWarning) != "error warning" {
		t.Errorf("severities print as %v %v", SeverityError, SeverityWarning)
	}
}

// TestContractEvidenceRedacted: header values kept as evidence go through
// the Redact option, since a target may echo a key in any header.
func TestContractEvidenceRedacted(t *testing.T) {
	c := New(Options{Redact: func(s string) string { return strings.ReplaceAll(s, "TOPSECRET", "[REDACTED]") }})
	c.Add(resp(429, 0, "Retry-After: Bearer TOPSECRET", "X-RateLimit-Limit: TOPSECRET"))
	for _, r := range c.Results() {
		for _, ex := range r.Examples {
			if strings.Contains(ex.RetryAfter+ex.RateLimit+ex.Detail, "TOPSECRET") {
				t.Errorf("%s keeps the secret: %+v", r.Name, ex)
			}
		}
	}
	if c.Results()[RuleRetryAfterValid].Violations != 1 {
		t.Error("the echoed value was not reported as invalid")
	}
}

// TestContractAddAllocs guards the consume loop: checking a response with
// rate-limit headers, admitted or rejected, allocates nothing.
func TestContractAddAllocs(t *testing.T) {
	c := New(Options{})
	ok := resp(200, 0, "X-RateLimit-Limit: 100", "X-RateLimit-Remaining: 42", "X-RateLimit-Reset: 1795435230", "Date: "+contractT0.Format(http.TimeFormat))
	limited := resp(429, 0, "Retry-After: 7", "X-RateLimit-Limit: 100", "X-RateLimit-Remaining: 0", "X-RateLimit-Reset: 1795435230")
	c.Add(ok)
	c.Add(limited)
	for name, r := range map[string]*Response{"admitted": ok, "limited": limited} {
		if n := testing.AllocsPerRun(200, func() { c.Add(r) }); n != 0 {
			t.Errorf("%s: Add allocates %v times per response; want 0", name, n)
		}
	}
}

func TestSeverityOverride(t *testing.T) {
	rule, ok := RuleByName("retry-after-on-503")
	if !ok {
		t.Fatal("no rule retry-after-on-503")
	}
	c := New(Options{Severity: map[RuleID]Severity{rule.ID: SeverityError}})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Add(&Response{Status: 503, Header: http.Header{}, Sent: now, Received: now})
	r := c.Report()
	if errs, warns := r.Violations(); errs != 1 || warns != 0 {
		t.Errorf("a 503 without Retry-After held as an error: %d errors, %d warnings; want 1 and 0", errs, warns)
	}
	if errs, warns := New(Options{}).Report().Violations(); errs != 0 || warns != 0 {
		t.Errorf("no response: %d errors, %d warnings", errs, warns)
	}
	plain := New(Options{})
	plain.Add(&Response{Status: 503, Header: http.Header{}, Sent: now, Received: now})
	if errs, warns := plain.Report().Violations(); errs != 0 || warns != 1 {
		t.Errorf("by default a 503 without Retry-After is a warning: %d errors, %d warnings", errs, warns)
	}
	if _, ok := RuleByName("no-such-rule"); ok {
		t.Error("RuleByName found a rule that does not exist")
	}
}
