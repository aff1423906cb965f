package records

import (
	"strings"
	"testing"
	"time"
)

func TestErrorKindString(t *testing.T) {
	tests := []struct {
		in   ErrorKind
		want string
	}{
		{ErrNone, ""},
		{ErrTimeout, "timeout"},
		{ErrRefused, "connection_refused"},
		{ErrReset, "connection_reset"},
		{ErrTLS, "tls"},
		{ErrDNS, "dns"},
		{ErrOther, "other"},
		{ErrorKind(42), "ErrorKind(42)"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("ErrorKind(%d).String() = %q; want %q", uint8(tt.in), got, tt.want)
		}
	}
}

func TestParseErrorKind(t *testing.T) {
	for k := ErrNone; k <= ErrOther; k++ {
		if got, err := ParseErrorKind(k.String()); got != k || err != nil {
			t.Errorf("ParseErrorKind(%q) = %v, %v; want %v, nil", k.String(), got, err, k)
		}
	}
	const want = `unknown error kind "Timeout" (want one of timeout, connection_refused, connection_reset, tls, dns, other)`
	if _, err := ParseErrorKind("Timeout"); err == nil || err.Error() != want {
		t.Errorf("ParseErrorKind(%q) error = %v; want %s", "Timeout", err, want)
	}
}

func TestErrorKinds(t *testing.T) {
	want := []ErrorKind{ErrTimeout, ErrRefused, ErrReset, ErrTLS, ErrDNS, ErrOther}
	if len(ErrorKinds) != len(want) {
		t.Fatalf("ErrorKinds = %v; want %v", ErrorKinds, want)
	}
	for i := range want {
		if ErrorKinds[i] != want[i] {
			t.Errorf("ErrorKinds[%d] = %v; want %v", i, ErrorKinds[i], want[i])
		}
	}
}

func TestCategoryString(t *testing.T) {
	tests := []struct {
		in   Category
		want string
	}{
		{CatUnknown, "unknown"},
		{CatSuccess, "success"},
		{CatRedirect, "redirect"},
		{CatValidation, "validation"},
		{CatAuthentication, "authentication"},
		{CatPermission, "permission"},
		{CatPayment, "payment"},
		{CatNotFound, "not_found"},
		{CatConflict, "conflict"},
		{CatUnprocessable, "unprocessable"},
		{CatRateLimit, "rate_limit"},
		{CatServerError, "server_error"},
		{CatUnavailable, "unavailable"},
		{CatTimeout, "timeout"},
		{CatTransport, "transport"},
		{Category(200), "Category(200)"},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Category(%d).String() = %q; want %q", uint8(tt.in), got, tt.want)
		}
	}
}

func TestParseCategory(t *testing.T) {
	for c := CatUnknown; c <= CatTransport; c++ {
		if got, err := ParseCategory(c.String()); got != c || err != nil {
			t.Errorf("ParseCategory(%q) = %v, %v; want %v, nil", c.String(), got, err, c)
		}
	}
	for _, in := range []string{"", "rate-limit", "RATE_LIMIT"} {
		_, err := ParseCategory(in)
		if err == nil || !strings.HasPrefix(err.Error(), "unknown category "+`"`+in+`" (want one of unknown, success,`) {
			t.Errorf("ParseCategory(%q) error = %v; want an unknown category error listing the names", in, err)
		}
	}
}

func TestRecordSuccess(t *testing.T) {
	tests := []struct {
		name string
		in   Record
		want bool
	}{
		{"ok", Record{Status: 200}, true},
		{"no content", Record{Status: 204}, true},
		{"redirect", Record{Status: 302}, true},
		{"last 3xx", Record{Status: 399}, true},
		{"client error", Record{Status: 400}, false},
		{"server error", Record{Status: 503}, false},
		{"informational", Record{Status: 199}, false},
		{"no response", Record{Status: 0, ErrorKind: ErrTimeout}, false},
		{"body failed after status", Record{Status: 200, ErrorKind: ErrReset}, false},
	}
	for _, tt := range tests {
		if got := tt.in.Success(); got != tt.want {
			t.Errorf("%s: Record{Status: %d, ErrorKind: %q}.Success() = %v; want %v", tt.name, tt.in.Status, tt.in.ErrorKind, got, tt.want)
		}
	}
}

func TestRecordUncorrected(t *testing.T) {
	tests := []struct {
		sent, latency, want time.Duration
	}{
		{0, 10 * time.Millisecond, 10 * time.Millisecond},
		{3 * time.Millisecond, 10 * time.Millisecond, 7 * time.Millisecond},
		{10 * time.Millisecond, 10 * time.Millisecond, 0},
		{11 * time.Millisecond, 10 * time.Millisecond, 0}, // inconsistent: clamped
	}
	for _, tt := range tests {
		r := Record{Sent: tt.sent, Latency: tt.latency}
		if got := r.Uncorrected(); got != tt.want {
			t.Errorf("Record{Sent: %v, Latency: %v}.Uncorrected() = %v; want %v", tt.sent, tt.latency, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"ascii", "abcdef", 5, "abcde"},
		{"before 2-byte rune", "abcdé", 4, "abcd"},
		{"inside 2-byte rune", "abcdé", 5, "abcd"},
		{"after 2-byte rune", "abcdéf", 6, "abcdé"},
		{"inside 3-byte rune", "ab€", 3, "ab"},
		{"inside 3-byte rune, second continuation", "ab€", 4, "ab"},
		{"inside 4-byte rune", "a😀b", 4, "a"},
		{"rune at the end fits", "a😀b", 5, "a😀"},
		{"stray continuation bytes", "ab\x80\x80\x80\x80\x80", 4, "ab\x80\x80"},
		{"ascii before stray continuation", "abc\x80", 3, "abc"},
		{"truncated rune before cut", "ab\xe2\x82c", 4, "ab\xe2\x82"},
		{"encoded U+FFFD straddles", "a\uFFFD", 2, "a"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("%s: truncate(%q, %d) = %q; want %q", tt.name, tt.in, tt.n, got, tt.want)
		}
	}
}
