package ratelimit

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/sim"
)

// unix is refTime plus d, in epoch seconds, as a header states it.
func unix(d time.Duration) string { return strconv.FormatInt(refTime.Add(d).Unix(), 10) }

// unixMilli is refTime plus d, in epoch milliseconds.
func unixMilli(d time.Duration) string { return strconv.FormatInt(refTime.Add(d).UnixMilli(), 10) }

// resetCases are the table of TestParseReset and the seeds of
// FuzzParseReset, measured from refTime.
var resetCases = []struct {
	name  string
	value string
	kind  ResetKind
	in    time.Duration
	ok    bool
}{
	{"delta zero", "0", ResetDeltaSeconds, 0, true},
	{"delta", "30", ResetDeltaSeconds, 30 * time.Second, true},
	{"delta with spaces", " 30\t", ResetDeltaSeconds, 30 * time.Second, true},
	{"delta leading zeros", "0030", ResetDeltaSeconds, 30 * time.Second, true},
	{"delta decimal", "1.5", ResetDeltaSeconds, 1500 * time.Millisecond, true},
	{"largest delta, below 1e9", "999999999", ResetDeltaSeconds, 999999999 * time.Second, true},
	{"1e9 is epoch seconds", "1000000000", ResetEpochSeconds, time.Unix(1e9, 0).Sub(refTime), true},
	{"epoch seconds future", unix(30 * time.Second), ResetEpochSeconds, 30 * time.Second, true},
	{"epoch seconds past", unix(-time.Minute), ResetEpochSeconds, -time.Minute, true},
	{"epoch seconds decimal", unix(30*time.Second) + ".25", ResetEpochSeconds, 30*time.Second + 250*time.Millisecond, true},
	{"largest epoch seconds, below 1e12, saturates", "999999999999", ResetEpochSeconds, math.MaxInt64, true},
	{"1e12 is epoch ms", "1000000000000", ResetEpochMillis, time.UnixMilli(1e12).Sub(refTime), true},
	{"epoch ms future", unixMilli(1500 * time.Millisecond), ResetEpochMillis, 1500 * time.Millisecond, true},
	{"epoch ms past", unixMilli(-2 * time.Second), ResetEpochMillis, -2 * time.Second, true},
	{"epoch ms decimal", unixMilli(time.Second) + ".5", ResetEpochMillis, time.Second + 500*time.Microsecond, true},
	{"huge saturates", "99999999999999999999", ResetEpochMillis, math.MaxInt64, true},
	{"duration", "6m0s", ResetDuration, 6 * time.Minute, true},
	{"duration ms", "250ms", ResetDuration, 250 * time.Millisecond, true},
	{"duration decimal", "1.5s", ResetDuration, 1500 * time.Millisecond, true},
	{"duration composite", "1h2m3.5s", ResetDuration, time.Hour + 2*time.Minute + 3500*time.Millisecond, true},
	{"duration micro sign", "5µs", ResetDuration, 5 * time.Microsecond, true},
	{"rfc 3339 utc", "2026-11-23T10:00:30Z", ResetRFC3339, 30 * time.Second, true},
	{"rfc 3339 east", "2026-11-23T11:00:30+01:00", ResetRFC3339, 30 * time.Second, true},
	{"rfc 3339 west", "2026-11-23T05:00:30-05:00", ResetRFC3339, 30 * time.Second, true},
	{"rfc 3339 fraction", "2026-11-23T10:00:30.5Z", ResetRFC3339, 30500 * time.Millisecond, true},
	{"rfc 3339 past", "2026-11-23T09:00:00Z", ResetRFC3339, -time.Hour, true},
	{"http-date", "Mon, 23 Nov 2026 10:00:30 GMT", ResetHTTPDate, 30 * time.Second, true},
	{"http-date rfc 850", "Monday, 23-Nov-26 10:00:30 GMT", ResetHTTPDate, 30 * time.Second, true},
	{"http-date asctime", "Mon Nov 23 10:00:30 2026", ResetHTTPDate, 30 * time.Second, true},
	{"empty", "", ResetUnknown, 0, false},
	{"blank", "  ", ResetUnknown, 0, false},
	{"negative delta", "-1", ResetUnknown, 0, false},
	{"negative epoch", "-1700000000", ResetUnknown, 0, false},
	{"plus sign", "+30", ResetUnknown, 0, false},
	{"negative duration", "-5s", ResetUnknown, 0, false},
	{"exponent", "1e9", ResetUnknown, 0, false},
	{"trailing point", "30.", ResetUnknown, 0, false},
	{"leading point", ".5", ResetUnknown, 0, false},
	{"unit apart", "30 s", ResetUnknown, 0, false},
	{"bad unit", "30 seconds", ResetUnknown, 0, false},
	{"word", "soon", ResetUnknown, 0, false},
	{"rfc 3339 without zone", "2026-11-23T10:00:30", ResetUnknown, 0, false},
	{"rfc 3339 bad month", "2026-13-23T10:00:30Z", ResetUnknown, 0, false},
}

func TestParseReset(t *testing.T) {
	for _, tc := range resetCases {
		t.Run(tc.name, func(t *testing.T) {
			kind, in, ok := ParseReset(tc.value, refTime)
			if kind != tc.kind || in != tc.in || ok != tc.ok {
				t.Errorf("ParseReset(%q) = %s, %s, %v; want %s, %s, %v", tc.value, kind, in, ok, tc.kind, tc.in, tc.ok)
			}
		})
	}
}

func TestResetKindString(t *testing.T) {
	for _, tc := range []struct {
		in   ResetKind
		want string
	}{
		{ResetUnknown, "unknown"},
		{ResetEpochSeconds, "epoch-seconds"},
		{ResetEpochMillis, "epoch-ms"},
		{ResetDeltaSeconds, "delta-seconds"},
		{ResetDuration, "duration"},
		{ResetHTTPDate, "http-date"},
		{ResetRFC3339, "rfc3339"},
		{ResetRFC3339 + 1, "unknown"},
		{255, "unknown"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("ResetKind(%d).String() = %q; want %q", uint8(tc.in), got, tc.want)
		}
	}
}

func TestResetKindAbsolute(t *testing.T) {
	for _, tc := range []struct {
		in   ResetKind
		want bool
	}{
		{ResetUnknown, false},
		{ResetEpochSeconds, true},
		{ResetEpochMillis, true},
		{ResetDeltaSeconds, false},
		{ResetDuration, false},
		{ResetHTTPDate, true},
		{ResetRFC3339, true},
		{ResetRFC3339 + 1, false},
		{255, false},
	} {
		if got := tc.in.Absolute(); got != tc.want {
			t.Errorf("ResetKind(%d).Absolute() = %v; want %v", uint8(tc.in), got, tc.want)
		}
	}
	// A kind that measures from now can never be in the past.
	for _, tc := range resetCases {
		if tc.ok && !tc.kind.Absolute() && tc.in < 0 {
			t.Errorf("ParseReset(%q) = %s, %s: a relative kind in the past", tc.value, tc.kind, tc.in)
		}
	}
}

func TestRateLimitSchemeString(t *testing.T) {
	for _, tc := range []struct {
		in   Scheme
		want string
	}{
		{SchemeNone, "none"},
		{SchemeXRateLimit, "x-ratelimit"},
		{SchemeXRateLimitDash, "x-rate-limit"},
		{SchemeRateLimitFields, "ratelimit-fields"},
		{SchemeRateLimitSF, "ratelimit"},
		{SchemeRateLimitLegacy, "ratelimit-legacy"},
		{SchemeOpenAI, "x-ratelimit-requests"},
		{SchemeShopify, "shopify"},
		{NumSchemes, "none"},
		{255, "none"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("Scheme(%d).String() = %q; want %q", uint8(tc.in), got, tc.want)
		}
	}
	// The existing schemes keep their numbers (reports and counters index
	// by them), and NumSchemes follows the last.
	if SchemeRateLimitLegacy != 5 || SchemeOpenAI != 6 || SchemeShopify != 7 || NumSchemes != 8 {
		t.Errorf("scheme numbers: legacy %d, openai %d, shopify %d, count %d; want 5, 6, 7, 8",
			SchemeRateLimitLegacy, SchemeOpenAI, SchemeShopify, NumSchemes)
	}
	for s := range NumSchemes {
		if s != SchemeNone && s.String() == "none" {
			t.Errorf("Scheme(%d) has no name", uint8(s))
		}
	}
}

// header builds a header from name, value pairs, in the order given.
func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// rateLimitCases are the table of TestParseRateLimitHeaders and the seeds
// of FuzzParseRateLimitHeaders, measured from refTime.
var rateLimitCases = []struct {
	name  string
	h     http.Header
	want  Headers
	found bool
}{
	{"none", header("Content-Type", "application/json", "Retry-After", "5"), Headers{}, false},
	{"empty", http.Header{}, Headers{}, false},
	{"sim honest", header("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", unix(2*time.Second)),
		Headers{Scheme: SchemeXRateLimit, Limit: 5, Remaining: 0, ResetIn: 2 * time.Second, ResetKind: ResetEpochSeconds,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"5", "0", unix(2 * time.Second)}}, true},
	{"x-ratelimit delta reset", header("X-RateLimit-Limit", "60", "X-RateLimit-Remaining", "59", "X-RateLimit-Reset", "60"),
		Headers{Scheme: SchemeXRateLimit, Limit: 60, Remaining: 59, ResetIn: time.Minute, ResetKind: ResetDeltaSeconds,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"60", "59", "60"}}, true},
	{"x-ratelimit epoch ms reset", header("X-RateLimit-Reset", unixMilli(1500*time.Millisecond)),
		Headers{Scheme: SchemeXRateLimit, ResetIn: 1500 * time.Millisecond, ResetKind: ResetEpochMillis,
			HasReset: true, Raw: [3]string{"", "", unixMilli(1500 * time.Millisecond)}}, true},
	{"x-ratelimit rfc 3339 reset", header("X-RateLimit-Remaining", "3", "X-RateLimit-Reset", "2026-11-23T10:01:00Z"),
		Headers{Scheme: SchemeXRateLimit, Remaining: 3, ResetIn: time.Minute, ResetKind: ResetRFC3339,
			HasRemaining: true, HasReset: true, Raw: [3]string{"", "3", "2026-11-23T10:01:00Z"}}, true},
	{"x-ratelimit past reset", header("X-RateLimit-Reset", unix(-10*time.Second)),
		Headers{Scheme: SchemeXRateLimit, ResetIn: -10 * time.Second, ResetKind: ResetEpochSeconds,
			HasReset: true, Raw: [3]string{"", "", unix(-10 * time.Second)}}, true},
	{"x-ratelimit lower-case names", header("x-ratelimit-limit", "10", "x-ratelimit-remaining", "9"),
		Headers{Scheme: SchemeXRateLimit, Limit: 10, Remaining: 9, HasLimit: true, HasRemaining: true,
			Raw: [3]string{"10", "9", ""}}, true},
	{"x-ratelimit first value", header("X-RateLimit-Limit", "10", "X-RateLimit-Limit", "20"),
		Headers{Scheme: SchemeXRateLimit, Limit: 10, HasLimit: true, Raw: [3]string{"10", "", ""}}, true},
	{"x-ratelimit surrounding spaces", header("X-RateLimit-Limit", " 10 ", "X-RateLimit-Remaining", " 9 "),
		Headers{Scheme: SchemeXRateLimit, Limit: 10, Remaining: 9, HasLimit: true, HasRemaining: true,
			Raw: [3]string{" 10 ", " 9 ", ""}}, true},
	{"x-ratelimit negative remaining", header("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "-3"),
		Headers{Scheme: SchemeXRateLimit, Limit: 5, Remaining: -3, HasLimit: true, HasRemaining: true,
			Raw: [3]string{"5", "-3", ""}}, true},
	{"x-ratelimit malformed", header("X-RateLimit-Limit", "abc", "X-RateLimit-Remaining", "1.5", "X-RateLimit-Reset", "soon"),
		Headers{Scheme: SchemeXRateLimit, Malformed: FieldLimit | FieldRemaining | FieldReset,
			Raw: [3]string{"abc", "1.5", "soon"}}, true},
	{"x-ratelimit negative limit", header("X-RateLimit-Limit", "-5", "X-RateLimit-Remaining", "0"),
		Headers{Scheme: SchemeXRateLimit, Remaining: 0, HasRemaining: true, Malformed: FieldLimit,
			Raw: [3]string{"-5", "0", ""}}, true},
	{"x-ratelimit empty and overflowing", header("X-RateLimit-Limit", "", "X-RateLimit-Remaining", "99999999999999999999", "X-RateLimit-Reset", "-1"),
		Headers{Scheme: SchemeXRateLimit, Malformed: FieldLimit | FieldRemaining | FieldReset,
			Raw: [3]string{"", "99999999999999999999", "-1"}}, true},
	{"x-ratelimit plus sign", header("X-RateLimit-Limit", "+5", "X-RateLimit-Remaining", "+1"),
		Headers{Scheme: SchemeXRateLimit, Malformed: FieldLimit | FieldRemaining, Raw: [3]string{"+5", "+1", ""}}, true},
	{"x-rate-limit", header("X-Rate-Limit-Limit", "100", "X-Rate-Limit-Remaining", "99", "X-Rate-Limit-Reset", "6m0s"),
		Headers{Scheme: SchemeXRateLimitDash, Limit: 100, Remaining: 99, ResetIn: 6 * time.Minute, ResetKind: ResetDuration,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"100", "99", "6m0s"}}, true},
	{"x-ratelimit envoy list", header("X-RateLimit-Limit", `10, 10;w=60;name="per-minute"`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "30"),
		Headers{Scheme: SchemeXRateLimit, Limit: 10, Remaining: 0, ResetIn: 30 * time.Second, ResetKind: ResetDeltaSeconds,
			Window: time.Minute, HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{`10, 10;w=60;name="per-minute"`, "0", "30"}}, true},
	{"x-rate-limit list", header("X-Rate-Limit-Limit", "100, 100;w=60, 1000;w=3600"),
		Headers{Scheme: SchemeXRateLimitDash, Limit: 100, Window: time.Minute, HasLimit: true,
			Raw: [3]string{"100, 100;w=60, 1000;w=3600", "", ""}}, true},
	{"x-ratelimit list window of the first item", header("X-RateLimit-Limit", "10;w=1, 10;w=60"),
		Headers{Scheme: SchemeXRateLimit, Limit: 10, Window: time.Second, HasLimit: true, Raw: [3]string{"10;w=1, 10;w=60", "", ""}}, true},
	{"x-ratelimit list window of the matching item", header("X-RateLimit-Limit", "50, 10;w=1, 50;w=60"),
		Headers{Scheme: SchemeXRateLimit, Limit: 50, Window: time.Minute, HasLimit: true, Raw: [3]string{"50, 10;w=1, 50;w=60", "", ""}}, true},
	{"x-ratelimit list without a matching item", header("X-RateLimit-Limit", "50, 10;w=1"),
		Headers{Scheme: SchemeXRateLimit, Limit: 50, HasLimit: true, Raw: [3]string{"50, 10;w=1", "", ""}}, true},
	{"x-ratelimit list bad window", header("X-RateLimit-Limit", "10, 10;w=0"),
		Headers{Scheme: SchemeXRateLimit, Limit: 10, HasLimit: true, Malformed: FieldPolicy, Raw: [3]string{"10, 10;w=0", "", ""}}, true},
	{"x-ratelimit list negative limit", header("X-RateLimit-Limit", "-10, 10;w=60"),
		Headers{Scheme: SchemeXRateLimit, Malformed: FieldLimit, Raw: [3]string{"-10, 10;w=60", "", ""}}, true},
	{"x-ratelimit list first item not an integer", header("X-RateLimit-Limit", `"10", 10;w=60`),
		Headers{Scheme: SchemeXRateLimit, Malformed: FieldLimit, Raw: [3]string{`"10", 10;w=60`, "", ""}}, true},
	{"x-ratelimit list decimal limit", header("X-RateLimit-Limit", "10.5;w=60"),
		Headers{Scheme: SchemeXRateLimit, Malformed: FieldLimit, Raw: [3]string{"10.5;w=60", "", ""}}, true},
	{"ratelimit fields", header("RateLimit-Limit", "100", "RateLimit-Remaining", "50", "RateLimit-Reset", "30"),
		Headers{Scheme: SchemeRateLimitFields, Limit: 100, Remaining: 50, ResetIn: 30 * time.Second, ResetKind: ResetDeltaSeconds,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"100", "50", "30"}}, true},
	{"ratelimit fields with policy", header("RateLimit-Limit", "100", "RateLimit-Remaining", "50", "RateLimit-Reset", "30", "RateLimit-Policy", "100;w=60"),
		Headers{Scheme: SchemeRateLimitFields, Limit: 100, Remaining: 50, ResetIn: 30 * time.Second, ResetKind: ResetDeltaSeconds,
			Window: time.Minute, HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"100", "50", "30"}}, true},
	{"ratelimit fields limit with quota policies", header("RateLimit-Limit", "100, 100;w=60, 1000;w=3600", "RateLimit-Remaining", "0"),
		Headers{Scheme: SchemeRateLimitFields, Limit: 100, Remaining: 0, Window: time.Minute, HasLimit: true, HasRemaining: true,
			Raw: [3]string{"100, 100;w=60, 1000;w=3600", "0", ""}}, true},
	{"ratelimit fields policy window over the list's", header("RateLimit-Limit", "100, 100;w=60", "RateLimit-Policy", "100;w=1"),
		Headers{Scheme: SchemeRateLimitFields, Limit: 100, Window: time.Second, HasLimit: true,
			Raw: [3]string{"100, 100;w=60", "", ""}}, true},
	{"ratelimit fields epoch reset", header("RateLimit-Reset", unix(30*time.Second)),
		Headers{Scheme: SchemeRateLimitFields, ResetIn: 30 * time.Second, ResetKind: ResetEpochSeconds,
			HasReset: true, Raw: [3]string{"", "", unix(30 * time.Second)}}, true},
	{"ratelimit fields bad policy window", header("RateLimit-Limit", "10", "RateLimit-Policy", "10;w=0"),
		Headers{Scheme: SchemeRateLimitFields, Limit: 10, HasLimit: true, Malformed: FieldPolicy, Raw: [3]string{"10", "", ""}}, true},
	{"ratelimit fields malformed limit", header("RateLimit-Limit", "ten"),
		Headers{Scheme: SchemeRateLimitFields, Malformed: FieldLimit, Raw: [3]string{"ten", "", ""}}, true},
	{"structured", header("RateLimit", `"default";r=50;t=30`, "RateLimit-Policy", `"default";q=100;w=60`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 100, Remaining: 50, ResetIn: 30 * time.Second, ResetKind: ResetDeltaSeconds,
			Window: time.Minute, HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"100", "50", "30"}}, true},
	{"structured token name and spaces", header("RateLimit", `default; r=0; t=5`, "RateLimit-Policy", `default; q=10; w=1`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 10, Remaining: 0, ResetIn: 5 * time.Second, ResetKind: ResetDeltaSeconds,
			Window: time.Second, HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"10", "0", "5"}}, true},
	{"structured policy by name", header("RateLimit", `"day";r=5;t=3600`, "RateLimit-Policy", `"burst";q=10;w=1, "day";q=1000;w=86400`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 1000, Remaining: 5, ResetIn: time.Hour, ResetKind: ResetDeltaSeconds,
			Window: 24 * time.Hour, HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"1000", "5", "3600"}}, true},
	{"structured unknown policy name takes the first", header("RateLimit", `"hour";r=5`, "RateLimit-Policy", `"burst";q=10;w=1, "day";q=1000;w=86400`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 10, Remaining: 5, Window: time.Second,
			HasLimit: true, HasRemaining: true, Raw: [3]string{"10", "5", ""}}, true},
	{"structured older policy", header("RateLimit", `"x";r=1`, "RateLimit-Policy", `100;w=60`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 100, Remaining: 1, Window: time.Minute,
			HasLimit: true, HasRemaining: true, Raw: [3]string{"100", "1", ""}}, true},
	{"structured policy alone", header("RateLimit-Policy", `"default";q=100;w=60;qu="requests"`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 100, Window: time.Minute, HasLimit: true, Raw: [3]string{"100", "", ""}}, true},
	{"structured smallest r first", header("RateLimit", `"a";r=1;t=2, "b";r=3;t=4`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: 1, ResetIn: 2 * time.Second, ResetKind: ResetDeltaSeconds,
			HasRemaining: true, HasReset: true, Raw: [3]string{"", "1", "2"}}, true},
	{"structured most constraining of several", header("RateLimit", `"burst";r=5;t=1, "daily";r=0;t=3600`,
		"RateLimit-Policy", `"burst";q=5;w=1, "daily";q=1000;w=86400`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 1000, Remaining: 0, ResetIn: time.Hour, ResetKind: ResetDeltaSeconds,
			Window: 24 * time.Hour, HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"1000", "0", "3600"}}, true},
	{"structured most constraining without policy", header("RateLimit", `"burst";r=5;t=1, "daily";r=0;t=3600`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: 0, ResetIn: time.Hour, ResetKind: ResetDeltaSeconds,
			HasRemaining: true, HasReset: true, Raw: [3]string{"", "0", "3600"}}, true},
	{"structured tie takes the larger t", header("RateLimit", `"a";r=0;t=1, "b";r=0;t=60, "c";r=0;t=2`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: 0, ResetIn: time.Minute, ResetKind: ResetDeltaSeconds,
			HasRemaining: true, HasReset: true, Raw: [3]string{"", "0", "60"}}, true},
	{"structured tie without t loses", header("RateLimit", `"a";r=0, "b";r=0;t=5`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: 0, ResetIn: 5 * time.Second, ResetKind: ResetDeltaSeconds,
			HasRemaining: true, HasReset: true, Raw: [3]string{"", "0", "5"}}, true},
	{"structured tie keeps the first with t", header("RateLimit", `"a";r=0;t=5, "b";r=0, "c";r=0;t=5`, "RateLimit-Policy", `"c";q=1, "a";q=2`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 2, Remaining: 0, ResetIn: 5 * time.Second, ResetKind: ResetDeltaSeconds,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"2", "0", "5"}}, true},
	{"structured negative r is most constraining", header("RateLimit", `"a";r=3;t=1, "b";r=-2;t=1`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: -2, ResetIn: time.Second, ResetKind: ResetDeltaSeconds,
			HasRemaining: true, HasReset: true, Raw: [3]string{"", "-2", "1"}}, true},
	{"structured item without r passed over", header("RateLimit", `"a";t=1, "b";r=3;t=4`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: 3, ResetIn: 4 * time.Second, ResetKind: ResetDeltaSeconds,
			HasRemaining: true, HasReset: true, Raw: [3]string{"", "3", "4"}}, true},
	{"structured no valid r keeps the first", header("RateLimit", `"a";t=1, "b";r="x";t=2`),
		Headers{Scheme: SchemeRateLimitSF, ResetIn: time.Second, ResetKind: ResetDeltaSeconds, HasReset: true,
			Malformed: FieldRemaining, Raw: [3]string{"", "", "1"}}, true},
	{"structured malformed item ends the list", header("RateLimit", `"a";r=5;t=1, (1 2), "c";r=0;t=9`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: 5, ResetIn: time.Second, ResetKind: ResetDeltaSeconds,
			HasRemaining: true, HasReset: true, Raw: [3]string{"", "5", "1"}}, true},
	{"structured unnamed policy of the chosen item takes the first", header("RateLimit", `"a";r=9, "hour";r=1`,
		"RateLimit-Policy", `"a";q=10;w=1, "day";q=1000;w=86400`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 10, Remaining: 1, Window: time.Second,
			HasLimit: true, HasRemaining: true, Raw: [3]string{"10", "1", ""}}, true},
	{"structured last of a repeated parameter", header("RateLimit", `"a";r=1;r=2`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: 2, HasRemaining: true, Raw: [3]string{"", "2", ""}}, true},
	{"structured negative remaining", header("RateLimit", `"a";r=-1;t=1`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: -1, ResetIn: time.Second, ResetKind: ResetDeltaSeconds,
			HasRemaining: true, HasReset: true, Raw: [3]string{"", "-1", "1"}}, true},
	{"structured unterminated string", header("RateLimit", `"default;r=50;t=30`),
		Headers{Scheme: SchemeRateLimitSF, Malformed: FieldRemaining | FieldReset,
			Raw: [3]string{"", `"default;r=50;t=30`, `"default;r=50;t=30`}}, true},
	{"structured without r", header("RateLimit", `"default";t=30`),
		Headers{Scheme: SchemeRateLimitSF, ResetIn: 30 * time.Second, ResetKind: ResetDeltaSeconds, HasReset: true,
			Malformed: FieldRemaining, Raw: [3]string{"", "", "30"}}, true},
	{"structured string values", header("RateLimit", `"default";r="5";t="30"`),
		Headers{Scheme: SchemeRateLimitSF, Malformed: FieldRemaining | FieldReset, Raw: [3]string{"", `"5"`, `"30"`}}, true},
	{"structured decimal and negative reset", header("RateLimit", `"default";r=1.5;t=-30`),
		Headers{Scheme: SchemeRateLimitSF, Malformed: FieldRemaining | FieldReset, Raw: [3]string{"", "1.5", "-30"}}, true},
	{"structured policy without quota", header("RateLimit", `"default";r=5`, "RateLimit-Policy", `"default";w=60`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: 5, Window: time.Minute, HasRemaining: true,
			Malformed: FieldLimit, Raw: [3]string{"", "5", ""}}, true},
	{"structured policy not an item", header("RateLimit", `"default";r=5`, "RateLimit-Policy", `(1 2);w=3`),
		Headers{Scheme: SchemeRateLimitSF, Remaining: 5, HasRemaining: true,
			Malformed: FieldLimit | FieldPolicy, Raw: [3]string{"(1 2);w=3", "5", ""}}, true},
	{"structured policy bad window", header("RateLimit-Policy", `"default";q=100;w=sixty`),
		Headers{Scheme: SchemeRateLimitSF, Limit: 100, HasLimit: true, Malformed: FieldPolicy, Raw: [3]string{"100", "", ""}}, true},
	{"legacy", header("RateLimit", "limit=100, remaining=50, reset=5"),
		Headers{Scheme: SchemeRateLimitLegacy, Limit: 100, Remaining: 50, ResetIn: 5 * time.Second, ResetKind: ResetDeltaSeconds,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"100", "50", "5"}}, true},
	{"legacy any case and spaces", header("RateLimit", "Limit = 10 ,REMAINING=0,reset= 2"),
		Headers{Scheme: SchemeRateLimitLegacy, Limit: 10, Remaining: 0, ResetIn: 2 * time.Second, ResetKind: ResetDeltaSeconds,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"10", "0", "2"}}, true},
	{"legacy with policy", header("RateLimit", "limit=10, remaining=9, reset=1", "RateLimit-Policy", "10;w=1, 50;w=60"),
		Headers{Scheme: SchemeRateLimitLegacy, Limit: 10, Remaining: 9, ResetIn: time.Second, ResetKind: ResetDeltaSeconds,
			Window: time.Second, HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"10", "9", "1"}}, true},
	{"legacy missing reset and bad limit", header("RateLimit", "limit=ten, remaining=1, extra"),
		Headers{Scheme: SchemeRateLimitLegacy, Remaining: 1, HasRemaining: true,
			Malformed: FieldLimit | FieldReset, Raw: [3]string{"ten", "1", ""}}, true},
	{"openai", header("x-ratelimit-limit-requests", "60", "x-ratelimit-remaining-requests", "59", "x-ratelimit-reset-requests", "1s"),
		Headers{Scheme: SchemeOpenAI, Limit: 60, Remaining: 59, ResetIn: time.Second, ResetKind: ResetDuration,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"60", "59", "1s"}}, true},
	{"openai tokens ignored", header("x-ratelimit-limit-requests", "5000", "x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "6m0s",
		"x-ratelimit-limit-tokens", "40000", "x-ratelimit-remaining-tokens", "39000", "x-ratelimit-reset-tokens", "20ms"),
		Headers{Scheme: SchemeOpenAI, Limit: 5000, Remaining: 0, ResetIn: 6 * time.Minute, ResetKind: ResetDuration,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"5000", "0", "6m0s"}}, true},
	{"openai tokens alone", header("x-ratelimit-limit-tokens", "40000", "x-ratelimit-remaining-tokens", "39000"), Headers{}, false},
	{"openai reset only", header("x-ratelimit-reset-requests", "250ms"),
		Headers{Scheme: SchemeOpenAI, ResetIn: 250 * time.Millisecond, ResetKind: ResetDuration, HasReset: true,
			Raw: [3]string{"", "", "250ms"}}, true},
	{"openai malformed", header("x-ratelimit-limit-requests", "10, 10;w=60", "x-ratelimit-remaining-requests", "many", "x-ratelimit-reset-requests", "6 minutes"),
		Headers{Scheme: SchemeOpenAI, Malformed: FieldLimit | FieldRemaining | FieldReset,
			Raw: [3]string{"10, 10;w=60", "many", "6 minutes"}}, true},
	{"shopify", header("X-Shopify-Shop-Api-Call-Limit", "39/40"),
		Headers{Scheme: SchemeShopify, Limit: 40, Remaining: 1, HasLimit: true, HasRemaining: true, Raw: [3]string{"39/40", "39/40", ""}}, true},
	{"shopify over the limit", header("X-Shopify-Shop-Api-Call-Limit", "41/40"),
		Headers{Scheme: SchemeShopify, Limit: 40, Remaining: -1, HasLimit: true, HasRemaining: true, Raw: [3]string{"41/40", "41/40", ""}}, true},
	{"shopify spaces", header("x-shopify-shop-api-call-limit", " 1 / 40 "),
		Headers{Scheme: SchemeShopify, Limit: 40, Remaining: 39, HasLimit: true, HasRemaining: true, Raw: [3]string{" 1 / 40 ", " 1 / 40 ", ""}}, true},
	{"shopify no slash", header("X-Shopify-Shop-Api-Call-Limit", "39"),
		Headers{Scheme: SchemeShopify, Malformed: FieldLimit | FieldRemaining, Raw: [3]string{"39", "39", ""}}, true},
	{"shopify bad limit", header("X-Shopify-Shop-Api-Call-Limit", "39/forty"),
		Headers{Scheme: SchemeShopify, Malformed: FieldLimit | FieldRemaining, Raw: [3]string{"39/forty", "39/forty", ""}}, true},
	{"shopify negative used", header("X-Shopify-Shop-Api-Call-Limit", "-1/40"),
		Headers{Scheme: SchemeShopify, Malformed: FieldLimit | FieldRemaining, Raw: [3]string{"-1/40", "-1/40", ""}}, true},
	{"shopify two slashes", header("X-Shopify-Shop-Api-Call-Limit", "39/40/41"),
		Headers{Scheme: SchemeShopify, Malformed: FieldLimit | FieldRemaining, Raw: [3]string{"39/40/41", "39/40/41", ""}}, true},
	{"shopify empty", header("X-Shopify-Shop-Api-Call-Limit", ""),
		Headers{Scheme: SchemeShopify, Malformed: FieldLimit | FieldRemaining}, true},
	{"precedence x-ratelimit before openai", header("x-ratelimit-limit-requests", "60", "X-RateLimit-Remaining", "4"),
		Headers{Scheme: SchemeXRateLimit, Remaining: 4, HasRemaining: true, Raw: [3]string{"", "4", ""}}, true},
	{"precedence policy alone before openai", header("x-ratelimit-limit-requests", "60", "RateLimit-Policy", "10;w=1"),
		Headers{Scheme: SchemeRateLimitSF, Limit: 10, Window: time.Second, HasLimit: true, Raw: [3]string{"10", "", ""}}, true},
	{"precedence legacy before shopify", header("X-Shopify-Shop-Api-Call-Limit", "1/40", "RateLimit", "limit=1, remaining=0, reset=1"),
		Headers{Scheme: SchemeRateLimitLegacy, Limit: 1, Remaining: 0, ResetIn: time.Second, ResetKind: ResetDeltaSeconds,
			HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"1", "0", "1"}}, true},
	{"precedence openai before shopify", header("X-Shopify-Shop-Api-Call-Limit", "1/40", "x-ratelimit-remaining-requests", "7"),
		Headers{Scheme: SchemeOpenAI, Remaining: 7, HasRemaining: true, Raw: [3]string{"", "7", ""}}, true},
	{"precedence x-ratelimit first", header(
		"RateLimit", `"default";r=1;t=1`, "RateLimit-Limit", "2", "X-Rate-Limit-Limit", "3", "X-RateLimit-Limit", "4"),
		Headers{Scheme: SchemeXRateLimit, Limit: 4, HasLimit: true, Raw: [3]string{"4", "", ""}}, true},
	{"precedence x-rate-limit before ratelimit", header(
		"RateLimit", `"default";r=1;t=1`, "RateLimit-Limit", "2", "X-Rate-Limit-Remaining", "3"),
		Headers{Scheme: SchemeXRateLimitDash, Remaining: 3, HasRemaining: true, Raw: [3]string{"", "3", ""}}, true},
	{"precedence fields before structured", header("RateLimit", `"default";r=1;t=1`, "RateLimit-Remaining", "2"),
		Headers{Scheme: SchemeRateLimitFields, Remaining: 2, HasRemaining: true, Raw: [3]string{"", "2", ""}}, true},
	{"precedence malformed x-ratelimit still first", header("X-RateLimit-Limit", "lots", "RateLimit-Limit", "2"),
		Headers{Scheme: SchemeXRateLimit, Malformed: FieldLimit, Raw: [3]string{"lots", "", ""}}, true},
}

func TestParseRateLimitHeaders(t *testing.T) {
	for _, tc := range rateLimitCases {
		t.Run(tc.name, func(t *testing.T) {
			got, found := ParseHeaders(tc.h, refTime)
			if got != tc.want || found != tc.found {
				t.Errorf("ParseHeaders(%v) = %+v, %v; want %+v, %v", tc.h, got, found, tc.want, tc.found)
			}
		})
	}
}

// TestParseRateLimitHeadersAllocs guards the promise that a response
// without rate-limit headers, or with the simulation's three
// X-RateLimit-* headers, costs no allocation.
func TestParseRateLimitHeadersAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    http.Header
	}{
		{"none", header("Content-Type", "application/json", "Date", "Mon, 23 Nov 2026 10:00:00 GMT", "Retry-After", "1", "Content-Length", "42")},
		{"sim's x-ratelimit", header("X-RateLimit-Limit", "5", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", unix(2*time.Second))},
		{"ratelimit fields", header("RateLimit-Limit", "100", "RateLimit-Remaining", "50", "RateLimit-Reset", "30", "RateLimit-Policy", "100;w=60")},
		{"structured", header("RateLimit", `"default";r=50;t=30`, "RateLimit-Policy", `"burst";q=10;w=1, "default";q=100;w=60`)},
		{"legacy", header("RateLimit", "limit=100, remaining=50, reset=5")},
		{"duration reset", header("X-RateLimit-Reset", "6m0s")},
		{"http-date reset", header("X-RateLimit-Reset", "Mon, 23 Nov 2026 10:00:30 GMT")},
		{"rfc 3339 reset", header("X-RateLimit-Reset", "2026-11-23T10:00:30+01:00")},
		{"malformed", header("X-RateLimit-Limit", "abc", "X-RateLimit-Remaining", "-", "X-RateLimit-Reset", "soon")},
		{"malformed structured", header("RateLimit", `"default;r=1`, "RateLimit-Policy", "(1 2)")},
		{"envoy list", header("X-RateLimit-Limit", `10, 10;w=60;name="per-minute"`, "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "30")},
		{"structured several", header("RateLimit", `"burst";r=5;t=1, "daily";r=0;t=3600, "x";r=0;t=9`, "RateLimit-Policy", `"burst";q=5;w=1, "daily";q=1000;w=86400`)},
		{"openai", header("x-ratelimit-limit-requests", "60", "x-ratelimit-remaining-requests", "59", "x-ratelimit-reset-requests", "6m0s")},
		{"shopify", header("X-Shopify-Shop-Api-Call-Limit", "39/40")},
		{"shopify malformed", header("X-Shopify-Shop-Api-Call-Limit", "39/forty")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(100, func() {
				ParseHeaders(tc.h, refTime)
			})
			if allocs != 0 {
				t.Errorf("ParseHeaders(%v) allocates %.1f times; want 0", tc.h, allocs)
			}
		})
	}
}

// TestSimRateLimitAnswers reads the rate-limit answers of the simulation
// (whose ground truth is known: the free plan admits a burst of 2) with
// every parser: the third request at one instant is rejected for 0.5 s,
// advertised as 1 s.
func TestSimRateLimitAnswers(t *testing.T) {
	now := refTime
	for _, tc := range []struct {
		name, retryAfter string
		want             RetryAfter
	}{
		{"honest", sim.RetryAfterHonest, RetryAfter{RetryAfterSeconds, time.Second}},
		{"http-date", sim.RetryAfterHTTPDate, RetryAfter{RetryAfterIMFDate, time.Second}},
		{"malformed", sim.RetryAfterMalformed, RetryAfter{Form: RetryAfterInvalid}},
		{"zero", sim.RetryAfterZero, RetryAfter{RetryAfterSeconds, 0}},
		{"missing", sim.RetryAfterMissing, RetryAfter{Form: RetryAfterAbsent}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sim.New(sim.Config{Controls: sim.Controls{RetryAfter: tc.retryAfter}}, sim.WithClock(func() time.Time { return now }))
			if err != nil {
				t.Fatalf("sim.New: %v", err)
			}
			var rec *httptest.ResponseRecorder
			for range 3 {
				req := httptest.NewRequest(http.MethodGet, "/mirra/api/v1/agents", nil)
				req.Header.Set("X-API-Key", "demo-free")
				req.Header.Set("X-Mirra-Error-Format", "flat")
				rec = httptest.NewRecorder()
				s.ServeHTTP(rec, req)
			}
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("third request: status %d (%s); want 429", res.StatusCode, body)
			}
			ref := ResponseDate(res.Header, now)
			if got := ParseRetryAfter(res.Header.Get("Retry-After"), ref); got != tc.want {
				t.Errorf("ParseRetryAfter(%q) = %+v; want %+v", res.Header.Get("Retry-After"), got, tc.want)
			}
			reset := unix(time.Second)
			wantRL := Headers{Scheme: SchemeXRateLimit, Limit: 2, Remaining: 0, ResetIn: time.Second, ResetKind: ResetEpochSeconds,
				HasLimit: true, HasRemaining: true, HasReset: true, Raw: [3]string{"2", "0", reset}}
			if got, found := ParseHeaders(res.Header, ref); got != wantRL || !found {
				t.Errorf("ParseHeaders(%v) = %+v, %v; want %+v, true", res.Header, got, found, wantRL)
			}
			wait, ok := BodyWait(body)
			wantWait := tc.want.Delay
			if tc.retryAfter == sim.RetryAfterMissing || tc.retryAfter == sim.RetryAfterMalformed {
				wantWait = time.Second // the body still says it
			}
			if wait != wantWait || !ok {
				t.Errorf("BodyWait(%s) = %s, %v; want %s, true", body, wait, ok, wantWait)
			}
		})
	}
}

// FuzzParseReset checks that no value panics, that ok means a known kind
// (and not ok no kind and no duration), and that the kind agrees with the
// value's shape.
func FuzzParseReset(f *testing.F) {
	for _, tc := range resetCases {
		f.Add(tc.value)
	}
	f.Fuzz(func(t *testing.T, value string) {
		kind, in, ok := ParseReset(value, refTime)
		if ok != (kind != ResetUnknown) {
			t.Fatalf("ParseReset(%q) = %s, %s, %v; want a known kind iff ok", value, kind, in, ok)
		}
		if !ok && in != 0 {
			t.Fatalf("ParseReset(%q) = %s, %s, %v; want no duration when not ok", value, kind, in, ok)
		}
		v := strings.TrimSpace(value)
		switch kind {
		case ResetDeltaSeconds, ResetDuration:
			if in < 0 {
				t.Fatalf("ParseReset(%q) = %s, %s: a negative %s", value, kind, in, kind)
			}
		}
		if isDigits(v) {
			if !ok {
				t.Fatalf("ParseReset(%q) = not ok; want an integer's kind", value)
			}
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				want := ResetDeltaSeconds
				if n >= 1e12 {
					want = ResetEpochMillis
				} else if n >= 1e9 {
					want = ResetEpochSeconds
				}
				if kind != want {
					t.Fatalf("ParseReset(%q) = %s; want %s", value, kind, want)
				}
				if kind == ResetDeltaSeconds && in != time.Duration(n)*time.Second {
					t.Fatalf("ParseReset(%q) = %s; want %ds", value, in, n)
				}
			}
		}
		if kind == ResetDuration {
			if d, err := time.ParseDuration(v); err != nil || d != in {
				t.Fatalf("ParseReset(%q) = %s, %s; time.ParseDuration says %s, %v", value, kind, in, d, err)
			}
		}
		if strings.HasPrefix(v, "-") && ok {
			t.Fatalf("ParseReset(%q) = %s, %s, ok: a signed value", value, kind, in)
		}
	})
}

// rateLimitHeaderNames are the headers FuzzParseRateLimitHeaders fills.
var rateLimitHeaderNames = [...]string{
	"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
	"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset",
	"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset",
	"RateLimit", "RateLimit-Policy",
	"x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests",
	"X-Shopify-Shop-Api-Call-Limit",
}

// FuzzParseRateLimitHeaders builds a header from fuzzed values, one for
// each rate-limit header (presence a bit of mask), and checks: no panic;
// found iff some header is present; a field that parsed has its
// Malformed bit clear; a field that did not is zero; and Raw holds only
// text the header sent.
func FuzzParseRateLimitHeaders(f *testing.F) {
	for _, tc := range rateLimitCases {
		var vals [len(rateLimitHeaderNames)]string
		var mask uint16
		for i, name := range rateLimitHeaderNames {
			if v, ok := headerValue(tc.h, http.CanonicalHeaderKey(name)); ok {
				vals[i], mask = v, mask|1<<i
			}
		}
		f.Add(mask, vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], vals[7], vals[8], vals[9], vals[10],
			vals[11], vals[12], vals[13], vals[14])
	}
	f.Fuzz(func(t *testing.T, mask uint16, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14 string) {
		vals := [...]string{v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14}
		h := http.Header{}
		for i, name := range rateLimitHeaderNames {
			if mask&(1<<i) != 0 {
				h.Set(name, vals[i])
			}
		}
		rl, found := ParseHeaders(h, refTime)
		if found != (len(h) > 0) || found != (rl.Scheme != SchemeNone) {
			t.Fatalf("ParseHeaders(%v) = %+v, found %v", h, rl, found)
		}
		for _, f := range []struct {
			name string
			has  bool
			bit  Field
			zero bool
		}{
			{"limit", rl.HasLimit, FieldLimit, rl.Limit == 0},
			{"remaining", rl.HasRemaining, FieldRemaining, rl.Remaining == 0},
			{"reset", rl.HasReset, FieldReset, rl.ResetIn == 0 && rl.ResetKind == ResetUnknown},
		} {
			if f.has && rl.Malformed&f.bit != 0 {
				t.Fatalf("ParseHeaders(%v) = %+v: has a %s and calls it malformed", h, rl, f.name)
			}
			if !f.has && !f.zero {
				t.Fatalf("ParseHeaders(%v) = %+v: no %s, yet a value", h, rl, f.name)
			}
		}
		if rl.Scheme == SchemeXRateLimit || rl.Scheme == SchemeXRateLimitDash || rl.Scheme == SchemeOpenAI {
			// Round trip: a count formats back as it was sent (a list-form
			// limit: its first item), but for surrounding space and
			// leading zeros.
			for _, f := range []struct {
				has bool
				n   int64
				raw string
			}{{rl.HasLimit, rl.Limit, rl.Raw[0]}, {rl.HasRemaining, rl.Remaining, rl.Raw[1]}} {
				if !f.has {
					continue
				}
				raw := f.raw
				if i := strings.IndexAny(raw, ",;"); i >= 0 {
					raw = raw[:i]
				}
				sign, digits := "", strings.TrimSpace(raw)
				if d, ok := strings.CutPrefix(digits, "-"); ok {
					sign, digits = "-", d
				}
				if digits = strings.TrimLeft(digits, "0"); digits == "" {
					sign, digits = "", "0"
				}
				if back := strconv.FormatInt(f.n, 10); back != sign+digits {
					t.Fatalf("ParseHeaders(%v) = %+v: %q read as %s", h, rl, f.raw, back)
				}
			}
		}
		if rl.Scheme == SchemeShopify {
			// used/limit: both or neither, and used = limit − remaining ≥ 0.
			if rl.HasLimit != rl.HasRemaining || rl.HasLimit && rl.Remaining > rl.Limit || rl.HasReset || rl.Window != 0 {
				t.Fatalf("ParseHeaders(%v) = %+v: not a used/limit reading", h, rl)
			}
		}
		if rl.HasLimit && rl.Limit < 0 {
			t.Fatalf("ParseHeaders(%v) = %+v: a negative limit", h, rl)
		}
		if rl.Window < 0 {
			t.Fatalf("ParseHeaders(%v) = %+v: a negative window", h, rl)
		}
		if rl.HasReset && rl.ResetKind == ResetUnknown {
			t.Fatalf("ParseHeaders(%v) = %+v: a reset of unknown kind", h, rl)
		}
		for i, raw := range rl.Raw {
			if raw == "" {
				continue
			}
			sent := false
			for _, vs := range h {
				sent = sent || strings.Contains(vs[0], raw)
			}
			if !sent {
				t.Fatalf("ParseHeaders(%v): Raw[%d] = %q, which no header sent", h, i, raw)
			}
		}
	})
}
