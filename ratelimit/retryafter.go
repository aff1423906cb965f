package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryAfterForm is the form a Retry-After value was written in.
type RetryAfterForm uint8

// The forms of Retry-After (RFC 9110 §10.2.3): delay-seconds or an
// HTTP-date, whose preferred form is the IMF-fixdate; the obsolete RFC 850
// and asctime forms are understood but are a sender's fault.
const (
	RetryAfterAbsent       RetryAfterForm = iota // no header
	RetryAfterSeconds                            // delay-seconds: "120"
	RetryAfterIMFDate                            // "Sun, 06 Nov 1994 08:49:37 GMT"
	RetryAfterObsoleteDate                       // "Sunday, 06-Nov-94 08:49:37 GMT" or "Sun Nov  6 08:49:37 1994"
	RetryAfterInvalid                            // anything else: "soon", "1.5", "-1", "30s"
)

var retryAfterFormNames = [...]string{
	RetryAfterAbsent:       "absent",
	RetryAfterSeconds:      "delay-seconds",
	RetryAfterIMFDate:      "http-date",
	RetryAfterObsoleteDate: "obsolete-date",
	RetryAfterInvalid:      "invalid",
}

// String names the form as reports show it.
func (f RetryAfterForm) String() string {
	if int(f) < len(retryAfterFormNames) {
		return retryAfterFormNames[f]
	}
	return "RetryAfterForm(" + strconv.Itoa(int(f)) + ")"
}

// Valid reports whether the form states a wait.
func (f RetryAfterForm) Valid() bool {
	return f == RetryAfterSeconds || f == RetryAfterIMFDate || f == RetryAfterObsoleteDate
}

// RetryAfter is a parsed Retry-After header.
type RetryAfter struct {
	Form  RetryAfterForm
	Delay time.Duration // the wait it states; for a date, the date minus the reference time (negative for a date in the past)
}

// maxDelaySeconds is the largest delay-seconds kept exactly; larger values
// (still valid) saturate, far beyond any bound a check applies.
const maxDelaySeconds = math.MaxInt64 / int64(time.Second)

// ParseRetryAfter parses a Retry-After value. A date is measured from ref:
// the response's own Date header (see ResponseDate), so that a skew
// between the client's clock and the server's does not change the wait.
// Surrounding white space is allowed; "" is RetryAfterAbsent.
//
//	Retry-After = HTTP-date / delay-seconds
//	delay-seconds = 1*DIGIT
func ParseRetryAfter(value string, ref time.Time) RetryAfter {
	v := strings.TrimSpace(value)
	switch {
	case v == "":
		return RetryAfter{Form: RetryAfterAbsent}
	case isDigits(v):
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > maxDelaySeconds {
			n = maxDelaySeconds // all digits, so only too large
		}
		return RetryAfter{Form: RetryAfterSeconds, Delay: time.Duration(n) * time.Second}
	}
	// An IMF-fixdate is exactly what http.TimeFormat writes: a wrong
	// weekday or a fraction of a second is a date understood, but not one.
	if t, err := time.Parse(http.TimeFormat, v); err == nil && t.Format(http.TimeFormat) == v {
		return RetryAfter{Form: RetryAfterIMFDate, Delay: t.Sub(ref)}
	}
	if t, err := http.ParseTime(v); err == nil && isGMT(t) && !strings.Contains(v, ".") {
		return RetryAfter{Form: RetryAfterObsoleteDate, Delay: t.Sub(ref)}
	}
	return RetryAfter{Form: RetryAfterInvalid}
}

// isGMT reports whether a parsed HTTP-date was in GMT, as HTTP dates must
// be: time.Parse turns an unknown zone abbreviation ("PST") into a zone of
// that name at offset 0, and asctime dates, zoneless, into UTC.
func isGMT(t time.Time) bool {
	name, offset := t.Zone()
	return offset == 0 && (name == "GMT" || name == "UTC")
}

// ResponseDate returns the time a response's dates are measured from: its
// Date header when it has a valid one, else received, the time the client
// got it.
func ResponseDate(h http.Header, received time.Time) time.Time {
	if d := h.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			return t
		}
	}
	return received
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool { return s != "" && strings.TrimLeft(s, "0123456789") == "" }
