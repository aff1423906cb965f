package ratelimit

import (
	"math"
	"strings"
	"testing"
	"time"
)

// bodyWaitCases are the table of TestBodyWait and the seeds of
// FuzzBodyWait.
var bodyWaitCases = []struct {
	name string
	body string
	wait time.Duration
	ok   bool
}{
	// The seed APIs' rate-limit bodies.
	{"mira", `{"detail": "Rate limit exceeded. Please retry after 60 seconds."}`, time.Minute, true},
	{"mirra sdk", `{"code": "RATE_LIMIT_EXCEEDED", "message": "Rate limit exceeded. Try again in 42 seconds.", "retryAfter": 42}`, 42 * time.Second, true},
	{"mira verify per minute", `{"error": "Rate Limit Exceeded", "message": "Too many requests per minute"}`, 0, false},
	{"mira verify per day", `{"error": "Rate Limit Exceeded", "message": "Daily request limit exceeded"}`, 0, false},
	{"mirra rest", `{"success": false, "error": {"code": "RATE_LIMIT_EXCEEDED", "message": "Rate limit exceeded", "details": {}}}`, 0, false},
	{"mimo", `{"error": {"code": "rate_limit_exceeded", "message": "Too many requests, rate limit exceeded", "type": "error"}}`, 0, false},

	// Members.
	{"member beats text", `{"message": "Try again in 42 seconds.", "retryAfter": 40}`, 40 * time.Second, true},
	{"retry_after", `{"retry_after": 7}`, 7 * time.Second, true},
	{"retry-after", `{"retry-after": 7}`, 7 * time.Second, true},
	{"RetryAfter", `{"RetryAfter": 7}`, 7 * time.Second, true},
	{"retryAfterSeconds", `{"retryAfterSeconds": 7}`, 7 * time.Second, true},
	{"retry_after_seconds", `{"retry_after_seconds": 7}`, 7 * time.Second, true},
	{"retryAfterMs", `{"retryAfterMs": 1500}`, 1500 * time.Millisecond, true},
	{"retry_after_ms", `{"retry_after_ms": 250}`, 250 * time.Millisecond, true},
	{"decimal seconds", `{"retry_after": 1.5}`, 1500 * time.Millisecond, true},
	{"zero", `{"retry_after": 0}`, 0, true},
	{"numeric string", `{"retry_after": "7"}`, 7 * time.Second, true},
	{"numeric string with spaces", `{"retry_after": " 7 "}`, 7 * time.Second, true},
	{"nested", `{"error": {"type": "rate_limit", "retry_after": 7}}`, 7 * time.Second, true},
	{"nested ms", `{"error": {"retry_after_ms": 2000}}`, 2 * time.Second, true},
	{"top level beats nested", `{"error": {"retry_after": 7}, "retryAfter": 9}`, 9 * time.Second, true},
	{"first nested wins", `{"a": {"retry_after": 3}, "b": {"retry_after": 4}}`, 3 * time.Second, true},
	{"in an array", `[{"retry_after": 5}]`, 5 * time.Second, true},
	{"too deep", `{"error": {"details": {"retry_after": 7}}}`, 0, false},
	{"too deep in an array", `{"errors": [{"retry_after": 7}]}`, 0, false},
	{"a value, not a name", `{"field": "retry_after", "value": 7}`, 0, false},
	{"array element", `{"retry_after": [7]}`, 0, false},
	{"non-number", `{"retry_after": "soon"}`, 0, false},
	{"null", `{"retry_after": null}`, 0, false},
	{"negative", `{"retry_after": -1}`, 0, false},
	{"exponent", `{"retry_after": 1e3}`, 0, false},
	{"non-number then text", `{"retry_after": "soon", "message": "wait 3 seconds"}`, 3 * time.Second, true},
	{"escaped quotes before", `{"message": "say \"hi\", then", "retry_after": 2}`, 2 * time.Second, true},
	{"other name", `{"retry": 7, "after": 8}`, 0, false},
	{"cut document", `{"error": {"retry_after": 7, "message": "Rate limit exc`, 7 * time.Second, true},
	{"cut in the name", `{"retry_aft`, 0, false},
	{"byte order mark", "\xef\xbb\xbf{\"retry_after\": 4}", 4 * time.Second, true},
	{"huge saturates", `{"retry_after": 99999999999999999999}`, math.MaxInt64, true},
	{"after the document ends", `{"a": 1} {"retry_after": 7}`, 0, false},

	// Texts.
	{"drf", `{"detail": "Request was throttled. Expected available in 7 seconds."}`, 7 * time.Second, true},
	{"plain text", "Too Many Requests: retry after 30 seconds", 30 * time.Second, true},
	{"retry in s", "Please retry in 5 s.", 5 * time.Second, true},
	{"retry in abutting unit", "Please retry in 5s.", 5 * time.Second, true},
	{"wait", "Please wait 2 seconds before trying again", 2 * time.Second, true},
	{"wait for", "Please wait for 10 secs", 10 * time.Second, true},
	{"try again in minutes", "Quota exceeded; try again in 2 minutes", 2 * time.Minute, true},
	{"min", "try again in 1 min", time.Minute, true},
	{"ms", "Retry after 250 ms", 250 * time.Millisecond, true},
	{"milliseconds", "retry in 1500 milliseconds", 1500 * time.Millisecond, true},
	{"decimal", "Try again in 1.5 seconds", 1500 * time.Millisecond, true},
	{"hours", "Daily limit reached, try again in 3 hours", 3 * time.Hour, true},
	{"upper case", "RETRY AFTER 9 SECONDS", 9 * time.Second, true},
	{"line break", "please retry\nafter 4 sec", 4 * time.Second, true},
	{"retry again in", "retry again in 6 seconds", 6 * time.Second, true},
	{"first text wins", "wait 1 second, or retry after 2 seconds", time.Second, true},
	{"html", "<html><body><p>Rate limited. Try again in 20 seconds.</p></body></html>", 20 * time.Second, true},
	{"no unit", "Please retry after 60.", 0, false},
	{"unknown unit", "try again in 5 days", 0, false},
	{"unit is a longer word", "wait 5 sessions", 0, false},
	{"no number", "please wait a moment", 0, false},
	{"no space before the number", "retry after60 seconds", 0, false},
	{"negative text", "retry after -5 seconds", 0, false},
	{"a date", "retry after 2026-11-23T10:00:00Z", 0, false},
	{"empty", "", 0, false},
	{"binary", "\x00\xff\xfe{[\"", 0, false},
}

func TestBodyWait(t *testing.T) {
	for _, tc := range bodyWaitCases {
		t.Run(tc.name, func(t *testing.T) {
			wait, ok := BodyWait([]byte(tc.body))
			if wait != tc.wait || ok != tc.ok {
				t.Errorf("BodyWait(%q) = %s, %v; want %s, %v", tc.body, wait, ok, tc.wait, tc.ok)
			}
		})
	}
}

// TestBodyWaitAllocs guards BodyWait's promise not to allocate.
func TestBodyWaitAllocs(t *testing.T) {
	for _, tc := range bodyWaitCases {
		body := []byte(tc.body)
		if allocs := testing.AllocsPerRun(20, func() { BodyWait(body) }); allocs != 0 {
			t.Errorf("BodyWait(%q) allocates %.1f times; want 0", tc.body, allocs)
		}
	}
}

// TestBodyWaitLinear reads adversarial 64 KiB bodies (near-misses of
// every phrase, deep nesting, long runs), which must find nothing. A
// quadratic scan would take minutes on them; their time is reported by
// BenchmarkBodyWait, never asserted.
func TestBodyWaitLinear(t *testing.T) {
	for name, body := range adversarialBodies() {
		if wait, ok := BodyWait(body); ok {
			t.Errorf("BodyWait(%s body) = %s, true; want none", name, wait)
		}
	}
}

// adversarialBodies are 64 KiB bodies built to defeat a quadratic scan.
func adversarialBodies() map[string][]byte {
	const size = 64 << 10
	fill := func(unit string) []byte { return []byte(strings.Repeat(unit, size/len(unit))) }
	return map[string][]byte{
		"phrase prefixes":         fill("retry afte wait fo try again i availabl "),
		"phrases without numbers": fill("retry after wait for try again in "),
		"phrase then spaces":      []byte("retry after" + strings.Repeat(" ", size)),
		"phrase then digits":      []byte("retry after " + strings.Repeat("9", size)),
		"numbers without units":   fill("wait 1.5 "),
		"deep nesting":            fill(`{"retry_after":[`),
		"many names":              fill(`{"retry_afte": 1, `),
		"open string":             []byte(`{"retry_after": "` + strings.Repeat("7", size)),
		"backslashes":             []byte(`{"a": "` + strings.Repeat(`\`, size)),
	}
}

func BenchmarkBodyWait(b *testing.B) {
	for name, body := range adversarialBodies() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				BodyWait(body)
			}
		})
	}
}

// FuzzBodyWait checks that no body panics, that a wait found is never
// negative, and that none is found in an empty body.
func FuzzBodyWait(f *testing.F) {
	for _, tc := range bodyWaitCases {
		f.Add([]byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		wait, ok := BodyWait(body)
		if ok && wait < 0 {
			t.Fatalf("BodyWait(%q) = %s, true: a negative wait", body, wait)
		}
		if !ok && wait != 0 {
			t.Fatalf("BodyWait(%q) = %s, false: a wait without ok", body, wait)
		}
		if ok && len(body) == 0 {
			t.Fatalf("BodyWait(empty) = %s, true", wait)
		}
	})
}
