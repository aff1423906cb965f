package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// refTime is the reference clock of the Retry-After and reset tests:
// Monday 2026-11-23 10:00:00 UTC.
var refTime = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// retryAfterCases are the table of TestParseRetryAfter and the seeds of
// FuzzParseRetryAfter, measured from refTime.
var retryAfterCases = []struct {
	name  string
	value string
	want  RetryAfter
}{
	{"absent", "", RetryAfter{Form: RetryAfterAbsent}},
	{"blank", "  \t ", RetryAfter{Form: RetryAfterAbsent}},
	{"seconds", "120", RetryAfter{RetryAfterSeconds, 120 * time.Second}},
	{"zero", "0", RetryAfter{RetryAfterSeconds, 0}},
	{"leading zeros", "007", RetryAfter{RetryAfterSeconds, 7 * time.Second}},
	{"leading and trailing spaces", "  30 ", RetryAfter{RetryAfterSeconds, 30 * time.Second}},
	{"tabs", "\t5\t", RetryAfter{RetryAfterSeconds, 5 * time.Second}},
	{"largest exact", strconv.FormatInt(maxDelaySeconds, 10), RetryAfter{RetryAfterSeconds, time.Duration(maxDelaySeconds) * time.Second}},
	{"huge saturates", "99999999999999999999", RetryAfter{RetryAfterSeconds, time.Duration(maxDelaySeconds) * time.Second}},
	{"plus sign", "+1", RetryAfter{Form: RetryAfterInvalid}},
	{"negative", "-1", RetryAfter{Form: RetryAfterInvalid}},
	{"decimal", "1.5", RetryAfter{Form: RetryAfterInvalid}},
	{"go duration", "30s", RetryAfter{Form: RetryAfterInvalid}},
	{"inner space", "1 2", RetryAfter{Form: RetryAfterInvalid}},
	{"word", "soon", RetryAfter{Form: RetryAfterInvalid}},
	{"imf-fixdate future", "Mon, 23 Nov 2026 10:00:30 GMT", RetryAfter{RetryAfterIMFDate, 30 * time.Second}},
	{"imf-fixdate past", "Mon, 23 Nov 2026 09:59:00 GMT", RetryAfter{RetryAfterIMFDate, -time.Minute}},
	{"imf-fixdate now", "Mon, 23 Nov 2026 10:00:00 GMT", RetryAfter{RetryAfterIMFDate, 0}},
	{"imf-fixdate spaces", " Mon, 23 Nov 2026 10:00:30 GMT ", RetryAfter{RetryAfterIMFDate, 30 * time.Second}},
	{"rfc 850 date", "Monday, 23-Nov-26 10:01:00 GMT", RetryAfter{RetryAfterObsoleteDate, time.Minute}},
	{"asctime date", "Mon Nov 23 10:01:00 2026", RetryAfter{RetryAfterObsoleteDate, time.Minute}},
	{"asctime one-digit day", "Mon Nov  2 10:00:00 2026", RetryAfter{RetryAfterObsoleteDate, -21 * 24 * time.Hour}},
	{"utc is not gmt", "Mon, 23 Nov 2026 10:00:30 UTC", RetryAfter{Form: RetryAfterInvalid}},
	{"rfc 3339 is not an http-date", "2026-11-23T10:00:30Z", RetryAfter{Form: RetryAfterInvalid}},
	{"date cut", "Mon, 23 Nov 2026 10:00", RetryAfter{Form: RetryAfterInvalid}},
	{"fraction of a second", "Mon, 23 Nov 2026 10:00:30.5 GMT", RetryAfter{Form: RetryAfterInvalid}},
	{"wrong weekday: understood, not an imf-fixdate", "Fri, 23 Nov 2026 10:00:30 GMT", RetryAfter{RetryAfterObsoleteDate, 30 * time.Second}},
	{"rfc 850 in another zone", "Monday, 23-Nov-26 10:01:00 PST", RetryAfter{Form: RetryAfterInvalid}},
}

func TestParseRetryAfter(t *testing.T) {
	for _, tc := range retryAfterCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ParseRetryAfter(tc.value, refTime); got != tc.want {
				t.Errorf("ParseRetryAfter(%q) = %+v (%s); want %+v (%s)", tc.value, got, got.Form, tc.want, tc.want.Form)
			}
		})
	}
}

// TestRetryAfterMeasuredFromDate checks that an HTTP-date Retry-After is
// measured from the response's Date, whatever the client's clock says: a
// server 1 h behind or ahead of the client states the same 30 s.
func TestRetryAfterMeasuredFromDate(t *testing.T) {
	for _, tc := range []struct {
		name string
		skew time.Duration // the client's clock minus the server's
	}{
		{"server clock in the past", time.Hour},
		{"server clock in the future", -time.Hour},
		{"clocks agree", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Date", refTime.Format(http.TimeFormat))
			h.Set("Retry-After", refTime.Add(30*time.Second).Format(http.TimeFormat))
			received := refTime.Add(tc.skew)
			ref := ResponseDate(h, received)
			want := RetryAfter{RetryAfterIMFDate, 30 * time.Second}
			if got := ParseRetryAfter(h.Get("Retry-After"), ref); got != want {
				t.Errorf("ParseRetryAfter(%q) from Date %q, received %s = %+v; want %+v",
					h.Get("Retry-After"), h.Get("Date"), received.Format(time.RFC3339), got, want)
			}
			// Against the client's clock it would be off by the skew.
			if got := ParseRetryAfter(h.Get("Retry-After"), received); got.Delay != 30*time.Second-tc.skew {
				t.Errorf("ParseRetryAfter(%q) from the client clock = %s; want %s", h.Get("Retry-After"), got.Delay, 30*time.Second-tc.skew)
			}
		})
	}
}

func TestResponseDate(t *testing.T) {
	received := refTime.Add(90 * time.Second)
	for _, tc := range []struct {
		name string
		date []string // the Date header's values; nil for none
		want time.Time
	}{
		{"valid imf-fixdate", []string{"Mon, 23 Nov 2026 10:00:00 GMT"}, refTime},
		{"rfc 850 date", []string{"Monday, 23-Nov-26 10:00:00 GMT"}, refTime},
		{"asctime date", []string{"Mon Nov 23 10:00:00 2026"}, refTime},
		{"absent", nil, received},
		{"empty", []string{""}, received},
		{"invalid", []string{"yesterday"}, received},
		{"rfc 3339 is invalid", []string{"2026-11-23T10:00:00Z"}, received},
		{"first of two", []string{"Mon, 23 Nov 2026 10:00:00 GMT", "Mon, 23 Nov 2026 11:00:00 GMT"}, refTime},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, d := range tc.date {
				h.Add("Date", d)
			}
			if got := ResponseDate(h, received); !got.Equal(tc.want) {
				t.Errorf("ResponseDate(Date: %q, %s) = %s; want %s", tc.date, received.Format(time.RFC3339), got.Format(time.RFC3339), tc.want.Format(time.RFC3339))
			}
		})
	}
}

func TestRetryAfterFormString(t *testing.T) {
	for _, tc := range []struct {
		in   RetryAfterForm
		want string
	}{
		{RetryAfterAbsent, "absent"},
		{RetryAfterSeconds, "delay-seconds"},
		{RetryAfterIMFDate, "http-date"},
		{RetryAfterObsoleteDate, "obsolete-date"},
		{RetryAfterInvalid, "invalid"},
		{RetryAfterInvalid + 1, "RetryAfterForm(5)"},
	} {
		if got := tc.in.String(); got != tc.want {
			t.Errorf("RetryAfterForm(%d).String() = %q; want %q", uint8(tc.in), got, tc.want)
		}
	}
}

// FuzzParseRetryAfter checks, for any value: no panic; the form agrees
// with the value's shape (absent iff blank, delay-seconds iff all digits,
// a date form iff the date layouts parse it); only a date's delay is
// negative; and a delay-seconds value formats back to the same number
// (leading zeros aside) unless it saturated.
func FuzzParseRetryAfter(f *testing.F) {
	for _, tc := range retryAfterCases {
		f.Add(tc.value)
	}
	f.Fuzz(func(t *testing.T, value string) {
		got := ParseRetryAfter(value, refTime)
		v := strings.TrimSpace(value)
		if (got.Form == RetryAfterAbsent) != (v == "") {
			t.Fatalf("ParseRetryAfter(%q) = %s; want absent iff blank", value, got.Form)
		}
		if (got.Form == RetryAfterSeconds) != isDigits(v) {
			t.Fatalf("ParseRetryAfter(%q) = %s; want delay-seconds iff all digits", value, got.Form)
		}
		if got.Form == RetryAfterIMFDate {
			if _, err := time.Parse(http.TimeFormat, v); err != nil {
				t.Fatalf("ParseRetryAfter(%q) = %s, but it is no IMF-fixdate: %v", value, got.Form, err)
			}
		}
		if got.Form == RetryAfterObsoleteDate {
			if _, err := http.ParseTime(v); err != nil {
				t.Fatalf("ParseRetryAfter(%q) = %s, but it is no HTTP-date: %v", value, got.Form, err)
			}
		}
		if got.Form.Valid() != (got.Form != RetryAfterAbsent && got.Form != RetryAfterInvalid) {
			t.Fatalf("ParseRetryAfter(%q).Form.Valid() = %v for %s", value, got.Form.Valid(), got.Form)
		}
		if !got.Form.Valid() && got.Delay != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %+v: a delay without a valid form", value, got)
		}
		if got.Form != RetryAfterSeconds {
			return
		}
		if got.Delay < 0 || got.Delay%time.Second != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %s; want whole non-negative seconds", value, got.Delay)
		}
		n := int64(got.Delay / time.Second)
		if n == maxDelaySeconds {
			return // saturated, or exactly the largest: either way no round trip to check
		}
		want := strings.TrimLeft(v, "0")
		if want == "" {
			want = "0"
		}
		if back := strconv.FormatInt(n, 10); back != want {
			t.Fatalf("ParseRetryAfter(%q) = %s, which formats back as %s", value, got.Delay, back)
		}
	})
}
