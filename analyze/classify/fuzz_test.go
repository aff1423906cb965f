package classify

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stampede-dev/stampede/records"
)

// FuzzClassify feeds arbitrary bodies, content types and statuses to one
// classifier with a small class limit. It must never panic; every class
// must stay within the bounds of the result file; the table must stay
// within its limit; samples within theirs; and the same response must
// always land in the same class.
func FuzzClassify(f *testing.F) {
	for _, tc := range seedCases {
		f.Add(tc.status, tc.contentType, []byte(tc.body))
	}
	f.Add(uint16(400), "application/json", []byte(`{"detail": [{"loc": ["body", 0, {"x": 1}], "msg": 5}]}`))
	f.Add(uint16(500), "application/json", []byte(`{"error": {"code": {"nested": true}, "status": 5}}`))
	f.Add(uint16(400), "application/json", []byte(`{"errors": ["plain string"]}`))
	f.Add(uint16(400), "application/json", []byte(`[[[[]]]]`))
	f.Add(uint16(400), "", []byte(`{"message": "`+strings.Repeat("9 ", 2000)+`"}`))
	f.Add(uint16(404), "text/html", []byte("<title>\xff\xfe</title>"))
	f.Add(uint16(429), "", []byte("\"'`\u201c\u2018"))

	c := mustClassifier(f, Options{MaxClasses: 50, Rules: []Rule{
		mustParse(f, "status=200,code-path=$.errors[0].extensions.code"),
		mustParse(f, "status=418,code-regex=E([0-9]+)"),
		mustParse(f, "status=5xx,message=down,retryable=false"),
	}})
	f.Fuzz(func(t *testing.T, status uint16, contentType string, body []byte) {
		r := &Response{Status: status, ContentType: contentType, Body: body, BodyLen: uint64(len(body)), Method: "GET", URL: "http://127.0.0.1/x"}
		first := c.Classify(r).Class
		checkClass(t, first)
		if again := c.Classify(r).Class; again != first {
			t.Fatalf("the same response landed in classes %d and %d", first.ID, again.ID)
		}
		bodied := 0
		for _, cls := range c.Classes().All() {
			if !cls.Overflow && cls.Dialect != Skipped.String() {
				bodied++
			}
		}
		if bodied > c.Classes().Max() {
			t.Fatalf("table holds %d classes read from bodies; limit %d", bodied, c.Classes().Max())
		}
	})
}

// checkClass checks that a class fits the result file's limits.
func checkClass(t *testing.T, c *Class) {
	t.Helper()
	for _, f := range []struct {
		name  string
		value string
		limit int
	}{
		{"code", c.Code, records.MaxCodeLen},
		{"pattern", c.Pattern, records.MaxPatternLen},
		{"dialect", c.Dialect, records.MaxDialectLen},
		{"message", c.Message, records.MaxMessageLen},
		{"example", c.Example, records.MaxExampleLen},
	} {
		if len(f.value) > f.limit {
			t.Fatalf("class %d: %s of %d bytes; limit %d", c.ID, f.name, len(f.value), f.limit)
		}
	}
	if c.ID == 0 {
		t.Fatal("class ID 0")
	}
	if len(c.Samples) > records.MaxSamplesPerClass {
		t.Fatalf("class %d keeps %d samples", c.ID, len(c.Samples))
	}
	for _, s := range c.Samples {
		if len(s) > records.MaxSampleLen {
			t.Fatalf("class %d: sample of %d bytes", c.ID, len(s))
		}
	}
}

// FuzzAppendPattern: the fingerprinter never panics, never returns more
// than it read, keeps no digit, and a pattern without quotes is its own
// pattern.
func FuzzAppendPattern(f *testing.F) {
	for _, tc := range seedCases {
		f.Add([]byte(tc.body))
		f.Add([]byte(tc.pattern))
	}
	f.Add([]byte("it's 'a' \u201cb\u201d `c` 1.5e3 -2 x@y http://z"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		p := AppendPattern(nil, msg)
		if len(p) > min(len(msg), MaxFingerprintInput) {
			t.Fatalf("pattern of %d bytes from a %d-byte message", len(p), len(msg))
		}
		if utf8.Valid(msg) && !utf8.Valid(p) {
			t.Fatalf("pattern %q of valid UTF-8 %q is not valid UTF-8", p, msg)
		}
		if i := bytes.IndexFunc(p, func(r rune) bool { return r >= '0' && r <= '9' }); i >= 0 {
			t.Fatalf("pattern %q of %q keeps a digit", p, msg)
		}
		// Without quotes (whose matching is bounded in distance), a
		// pattern is its own pattern.
		if len(msg) <= MaxFingerprintInput && !bytes.ContainsAny(msg, "'\"`\u201c\u2018") {
			if again := AppendPattern(nil, p); !bytes.Equal(again, p) {
				t.Fatalf("pattern(%q) = %q, but pattern(pattern) = %q", msg, p, again)
			}
		}
	})
}

// FuzzParseRule: the rule parser never panics, accepts only valid rules,
// and its JSON paths print and parse back to themselves.
func FuzzParseRule(f *testing.F) {
	for _, s := range []string{
		"status=429,code=insufficient_quota,category=payment,retryable=false",
		"path=/graphql,status=200,code-path=$.errors[0].extensions.code",
		`code-regex=ERR-([0-9]{1\,4})`, "path=/legacy/,dialect=text", "code-path=$['a.b'][3]",
		"status=4xx,message=(?i)quota,retryable=false", "=", ",,", `\,`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRule(s)
		if err != nil {
			return
		}
		if errs := r.Validate(); len(errs) > 0 {
			t.Fatalf("ParseRule(%q) accepted a rule with problems: %v", s, errs)
		}
		if len(r.CodePath) > 0 {
			again, err := ParseJSONPath(r.CodePath.String())
			if err != nil || strings.Join(again, "\x00") != strings.Join(r.CodePath, "\x00") {
				t.Fatalf("code-path %q prints as %q, which parses to %q, %v", r.CodePath, r.CodePath.String(), again, err)
			}
		}
	})
}

func mustParse(tb testing.TB, s string) Rule {
	tb.Helper()
	r, err := ParseRule(s)
	if err != nil {
		tb.Fatalf("ParseRule(%q): %v", s, err)
	}
	return r
}
