package sim

import (
	"net/http"
	"strconv"
	"time"
)

// Rate-limit answers shared by every API: the Retry-After header in the
// API's Retry-After behaviour (Controls.RetryAfter), and the X-RateLimit-*
// headers of the APIs that send them.

// retryAfter sets the Retry-After header of a 429 answering the rejection
// d, as the behaviour of the API named api says, and returns the wait in
// whole seconds that the API's body should state (bodies agree with the
// header, except where the behaviour is to omit or garble the header).
func (c *common) retryAfter(h http.Header, api string, d decision) int64 {
	secs := retryAfterSeconds(d.advertised)
	switch c.control(api).RetryAfter {
	case RetryAfterMissing:
	case RetryAfterMalformed:
		h.Set("Retry-After", strconv.FormatInt(secs, 10)+"s")
	case RetryAfterHTTPDate:
		// The date is computed on the simulation's clock, and so is the
		// Date header, so that a client can compare the two.
		// The date is rounded up to the second, so that a client that
		// comes back at that date is admitted.
		now := c.now().UTC()
		h.Set("Date", now.Truncate(time.Second).Format(http.TimeFormat))
		h.Set("Retry-After", time.Unix(ceilUnix(now.Add(d.advertised)), 0).UTC().Format(http.TimeFormat))
	case RetryAfterZero:
		h.Set("Retry-After", "0")
		return 0
	default: // honest, lying: the lie is in the limiter, not the format
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	return secs
}

// quotaHeaders sets X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (Unix epoch seconds, rounded up) from a decision of
// the limiter; nothing if the key has no limit. A rejection shows 0
// remaining and the moment its advertised wait ends.
func quotaHeaders(h http.Header, d decision) {
	if d.quota <= 0 {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.quota))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(ceilUnix(d.reset), 10))
}

// ceilUnix is t in Unix seconds, rounded up.
func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}
