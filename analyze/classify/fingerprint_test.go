package classify

import (
	"strings"
	"testing"
)

func TestAppendPattern(t *testing.T) {
	tests := []struct{ in, want string }{
		{"retry after 42 seconds", "retry after # seconds"},
		{"retry after 7 seconds", "retry after # seconds"},
		{"Too many requests per minute", "Too many requests per minute"},
		{"Daily request limit exceeded", "Daily request limit exceeded"},
		{"Rate limit exceeded. Try again in 42 seconds.", "Rate limit exceeded. Try again in # seconds."},
		{"Script with ID '123abc' not found", "Script with ID '*' not found"},
		{"The subdomain 'my-agent' is already taken", "The subdomain '*' is already taken"},
		{`Field "name" is invalid`, `Field "*" is invalid`},
		{"Unknown model `gpt-9`.", "Unknown model `*`."},
		{"Model \u201cmira\u201d is busy", "Model \u201c*\u201d is busy"},
		{"doesn't exist", "doesn't exist"},
		{"it's 'quoted' and it's not", "it's '*' and it's not"},
		{"an 'unclosed quote", "an 'unclosed quote"},
		{"order 5f3c2a9e-0b1d-4c6e-8f7a-112233445566 failed", "order * failed"},
		{"at 2026-11-23T10:00:00Z the job failed", "at * the job failed"},
		{"balance is -30.5, needs 1,000", "balance is #, needs #,#"},
		{"50% used", "# used"},
		{"mail admin@example.com or see https://status.example.com/x", "mail * or see *"},
		{"value (12) out of [0, 10]", "value (#) out of [#, #]"},
		{"  lots   of\n\tspace  ", "lots of space"},
		{"version v2 is retired", "version * is retired"},
		{"Unknown URL /mimo/v1/models; see / and and/or", "Unknown URL *; see / and and/or"},
		{"Invalid token: Bearer abcdefghijklmnopqrstuvwxyzABCDEF", "Invalid token: Bearer *"},
		{"Bearer sk-live.abc/def= rejected", "Bearer * rejected"},
		{"Token expired", "Token expired"},
		{"Basic Auth required", "Basic Auth required"},
		{"bearer TOKEN missing", "bearer TOKEN missing"},
		{"Bearer abCD", "Bearer *"},
		{"", ""},
	}
	for _, tc := range tests {
		if got := string(AppendPattern(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("AppendPattern(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestAppendPatternBounds checks the input bound and that the pattern
// never outgrows what it read.
func TestAppendPatternBounds(t *testing.T) {
	long := make([]byte, 3*MaxFingerprintInput)
	for i := range long {
		long[i] = 'a' + byte(i%26)
	}
	if got := AppendPattern(nil, long); len(got) > MaxFingerprintInput {
		t.Errorf("pattern of a %d-byte message is %d bytes; want at most %d", len(long), len(got), MaxFingerprintInput)
	}
	diffAtEnd := append([]byte(nil), long...)
	diffAtEnd[len(diffAtEnd)-1] = 'Z'
	if string(AppendPattern(nil, long)) != string(AppendPattern(nil, diffAtEnd)) {
		t.Error("messages differing only beyond MaxFingerprintInput have different patterns")
	}
}

func TestAppendPatternAllocs(t *testing.T) {
	msg := []byte("Rate limit exceeded. Try again in 42 seconds, see 'docs'.")
	dst := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { dst = AppendPattern(dst[:0], msg) }); n != 0 {
		t.Errorf("AppendPattern allocates %v times per call; want 0", n)
	}
}

func TestIsCodeLike(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"invalid_grant", true}, {"UNAUTHORIZED", true}, {"unauthorized", true}, {"quota.exceeded", true},
		{"E1001", true}, {"Unauthorized", false}, {"Rate Limit Exceeded", false}, {"ErrorType", false},
		{"", false}, {"a b", false}, {"naïve", false},
	}
	for _, tc := range tests {
		if got := isCodeLike([]byte(tc.in)); got != tc.want {
			t.Errorf("isCodeLike(%q) = %t; want %t", tc.in, got, tc.want)
		}
	}
}

func TestHTMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<html><head><TITLE>503 Service Unavailable</TITLE></head></html>", "503 Service Unavailable"},
		{"<html><title> </title><h1 class='x'>Oops</h1></html>", "Oops"},
		{"<html><titles>no</titles><h1>Yes</h1></html>", "Yes"},
		{"<html><title>Bad <b>gateway</b></title></html>", "Bad"},
		{"<html><title>unclosed", "unclosed"},
		{"<html><body>nothing</body></html>", ""},
	}
	for _, tc := range tests {
		if got := string(htmlText([]byte(tc.in))); got != tc.want {
			t.Errorf("htmlText(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// BenchmarkAppendPattern measures the fingerprinter on a plain message
// and on one full of unclosed quotes, the worst case for finding closers:
// the two should cost about the same per byte (a quadratic scan made the
// second a thousand times slower).
func BenchmarkAppendPattern(b *testing.B) {
	for name, msg := range map[string][]byte{
		"plain":           []byte(strings.Repeat("ab ", MaxFingerprintInput/3)),
		"unclosed-quotes": []byte(strings.Repeat("'a ", MaxFingerprintInput/3)),
	} {
		b.Run(name, func(b *testing.B) {
			dst := make([]byte, 0, 2*MaxFingerprintInput)
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				dst = AppendPattern(dst[:0], msg)
			}
		})
	}
}
