package classify

import (
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/records"
)

func TestParseRule(t *testing.T) {
	r, err := ParseRule(`status=429,code=insufficient_quota,category=payment,retryable=false`)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Status.Matches(429) || r.Status.Matches(430) || r.Code != "insufficient_quota" || *r.Category != records.CatPayment || *r.Retryable {
		t.Errorf("ParseRule = %+v", r)
	}
	r, err = ParseRule(`path=/graphql,status=2xx,code-path=$.errors[0].extensions.code`)
	if err != nil {
		t.Fatal(err)
	}
	if r.Path != "/graphql" || !r.Status.Matches(204) || r.Status.Matches(300) || r.CodePath.String() != "$.errors[0].extensions.code" {
		t.Errorf("ParseRule = %+v (path %s)", r, r.CodePath)
	}
	r, err = ParseRule(`code-regex=ERR-([0-9]{1\,4})`)
	if err != nil {
		t.Fatal(err)
	}
	if r.CodeRegexp.String() != "ERR-([0-9]{1,4})" {
		t.Errorf("code-regex = %s; want the escaped comma unescaped", r.CodeRegexp)
	}
}

func TestParseRuleErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty rule"},
		{"status", `"status" is not key=value`},
		{"status=429", "the rule does nothing"},
		{"status=999,category=payment", "status=999: want a status from 100 to 599"},
		{"status=6xx,category=payment", "status=6xx"},
		{"colour=red", "unknown key (want one of path, status"},
		{"category=money", `unknown category "money"`},
		{"retryable=maybe", "retryable=maybe: want true or false"},
		{"dialect=yaml", `unknown dialect "yaml"`},
		{"dialect=auto", "auto is the default"},
		{"path=v1,category=payment", "want a URL path prefix starting with /"},
		{"code-regex=(", "not a regular expression"},
		{"code-regex=(a)(b)", "has 2 groups"},
		{"code-path=$.a,code-regex=x", "give one"},
		{"code=x,code-path=$.a", "write two rules"},
		{"status=429,status=500,category=payment", "status= is given twice"},
		{"code-path=$.a[x]", "is not an array index"},
	}
	for _, tc := range tests {
		_, err := ParseRule(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseRule(%q) error = %v; want it to contain %q", tc.in, err, tc.want)
		}
	}
}

func TestParseJSONPath(t *testing.T) {
	tests := []struct {
		in   string
		want string // keys joined with |
	}{
		{"$.error.code", "error|code"},
		{"error.code", "error|code"},
		{"$.errors[0].extensions.code", "errors|0|extensions|code"},
		{"$['error-info'].code", "error-info|code"},
		{`$["a.b"][12]`, "a.b|12"},
		{"code", "code"},
	}
	for _, tc := range tests {
		p, err := ParseJSONPath(tc.in)
		if err != nil {
			t.Errorf("ParseJSONPath(%q) error %v", tc.in, err)
			continue
		}
		if got := strings.Join(p, "|"); got != tc.want {
			t.Errorf("ParseJSONPath(%q) = %s; want %s", tc.in, got, tc.want)
		}
		again, err := ParseJSONPath(p.String())
		if err != nil || strings.Join(again, "|") != tc.want {
			t.Errorf("ParseJSONPath(%q.String() = %q) = %v, %v; want the same path", tc.in, p.String(), again, err)
		}
	}
	for _, bad := range []string{"", "$", "$.", "$..a", "$[", "$['a", "$[-1]", "$.a]", "a[0"} {
		if p, err := ParseJSONPath(bad); err == nil {
			t.Errorf("ParseJSONPath(%q) = %v; want an error", bad, p)
		}
	}
}

func mustRule(t *testing.T, s string) Rule {
	t.Helper()
	r, err := ParseRule(s)
	if err != nil {
		t.Fatalf("ParseRule(%q): %v", s, err)
	}
	return r
}

func TestRules(t *testing.T) {
	c := mustClassifier(t, Options{Rules: []Rule{
		mustRule(t, "path=/graphql,status=200,code-path=$.errors[0].extensions.code"),
		mustRule(t, "path=/legacy/,code-regex=ERR-([0-9]+)"),
		mustRule(t, "path=/plain/,dialect=text"),
		mustRule(t, "status=429,code=rate_limit_exceeded,retryable=false"),
		mustRule(t, "status=5xx,message=maintenance,category=unavailable"),
		mustRule(t, "status=5xx,message=maintenance,retryable=false"),
	}})
	tests := []struct {
		name, url, body string
		status          uint16
		code, dialect   string
		category        records.Category
		retryable       bool
	}{
		{"graphql error in a 200", "http://h/graphql", `{"errors": [{"message": "denied", "extensions": {"code": "FORBIDDEN"}}]}`, 200, "FORBIDDEN", "errors", records.CatSuccess, false},
		{"graphql data in a 200", "http://h/graphql", `{"data": {"x": 1}}`, 200, "", "json", records.CatSuccess, false},
		{"200 elsewhere is not read", "http://h/rest", `{"errors": [{"extensions": {"code": "FORBIDDEN"}}]}`, 200, "", "none", records.CatSuccess, false},
		{"regex in an html page", "http://h/legacy/x?y=1", `<html><title>Error ERR-1234</title></html>`, 500, "1234", "html", records.CatServerError, true},
		{"pinned text", "http://h/plain/x", `{"detail": "looks like json"}`, 400, "", "text", records.CatValidation, false},
		{"override by code", "http://h/a", `{"error": {"code": "rate_limit_exceeded", "message": "slow down"}}`, 429, "rate_limit_exceeded", "error-object", records.CatRateLimit, false},
		{"other code keeps defaults", "http://h/a", `{"error": {"code": "busy", "message": "slow down"}}`, 429, "busy", "error-object", records.CatRateLimit, true},
		{"two overrides by message", "http://h/a", `{"detail": "down for maintenance"}`, 500, "", "detail", records.CatUnavailable, false},
	}
	for _, tc := range tests {
		got := c.Classify(&Response{Status: tc.status, Body: []byte(tc.body), URL: tc.url}).Class
		if got.Code != tc.code || got.Dialect != tc.dialect || got.Category != tc.category || got.Retryable != tc.retryable {
			t.Errorf("%s: class = code %q dialect %q %s retryable %t; want %q %q %s %t", tc.name, got.Code, got.Dialect, got.Category, got.Retryable, tc.code, tc.dialect, tc.category, tc.retryable)
		}
	}
	for status, want := range map[uint16]bool{200: true, 201: false, 302: false, 400: true, 503: true} {
		if got := c.NeedsBody(status); got != want {
			t.Errorf("NeedsBody(%d) = %t; want %t", status, got, want)
		}
	}
}

func TestNewClassifierRejectsBadRules(t *testing.T) {
	_, err := New(Options{Rules: []Rule{{Path: "/x"}}})
	if err == nil || !strings.Contains(err.Error(), "rule 1: the rule does nothing") {
		t.Errorf("New error = %v; want rule 1 named", err)
	}
}
