package classify

import (
	"strings"

	"github.com/stampede-dev/stampede/records"
)

// StatusCategory returns the category and the retryable flag a response
// gets from its status alone, or a transport failure from its kind, before
// its error code refines them (Refine). Retryable follows the seed
// documents: 429, 500, 502, 503, 504, timeouts and lost connections are
// worth retrying; other client errors are not.
//
//	2xx success · 3xx redirect · 400, 405, 406, 411, 413–415, 431 and other
//	4xx validation · 401, 407 authentication · 402 payment · 403, 451
//	permission · 404, 410 not_found · 408 timeout (retryable) · 409, 412,
//	423 conflict · 422 unprocessable · 429 rate_limit (retryable) · 500,
//	502 and other 5xx server_error (retryable but 501 and 505) · 503
//	unavailable (retryable) · 504 timeout (retryable).
//	Transport: timeout (retryable); refused and reset: transport
//	(retryable, the target may come back); TLS, DNS, other: transport.
func StatusCategory(status uint16, kind records.ErrorKind) (records.Category, bool) {
	if kind != records.ErrNone || status == 0 {
		// A failure after the status line (a body cut short) is a
		// transport failure too: the answer never arrived whole.
		switch kind {
		case records.ErrTimeout:
			return records.CatTimeout, true
		case records.ErrRefused, records.ErrReset:
			return records.CatTransport, true
		case records.ErrNone:
			return records.CatUnknown, false
		}
		return records.CatTransport, false
	}
	switch status {
	case 401, 407:
		return records.CatAuthentication, false
	case 402:
		return records.CatPayment, false
	case 403, 451:
		return records.CatPermission, false
	case 404, 410:
		return records.CatNotFound, false
	case 408:
		return records.CatTimeout, true
	case 409, 412, 423:
		return records.CatConflict, false
	case 422:
		return records.CatUnprocessable, false
	case 429:
		return records.CatRateLimit, true
	case 501, 505:
		return records.CatServerError, false
	case 503:
		return records.CatUnavailable, true
	case 504:
		return records.CatTimeout, true
	}
	switch {
	case status >= 200 && status < 300:
		return records.CatSuccess, false
	case status >= 300 && status < 400:
		return records.CatRedirect, false
	case status >= 400 && status < 500:
		return records.CatValidation, false
	case status >= 500 && status < 600:
		return records.CatServerError, true
	}
	return records.CatUnknown, false
}

// Refine adjusts a class's category and retryable flag from what its error
// code and message say, so that classes of one status can differ:
//
//   - a 429 or 403 whose code names an exhausted balance, credit or billing
//     limit (OpenAI's insufficient_quota, insufficient_balance,
//     billing_hard_limit_reached), or whose message says "insufficient
//     balance", "insufficient funds", "insufficient credit", "out of
//     credit" or "payment required", is payment and not retryable;
//   - a 429 whose code or message names a daily or monthly limit ("Daily
//     request limit exceeded", daily_quota_exceeded), or whose code says a
//     quota is exceeded or exhausted, stays rate_limit but is not
//     retryable within a run: waiting seconds will not help. A message
//     that speaks of a limit per second or per minute keeps it retryable
//     (Google's "Quota exceeded for … per minute");
//   - a 400 or 403 whose code or message says rate limit, rate exceeded,
//     throttled or too many requests (GitHub's secondary limits answer 403,
//     AWS's ThrottlingException 400) is rate_limit and retryable.
//
// The code is compared without case and separators, the message without
// case.
func Refine(status uint16, cat records.Category, retryable bool, code, message string) (records.Category, bool) {
	c := squash(code)
	m := strings.ToLower(message)
	inCode := func(words ...string) bool {
		for _, w := range words {
			if c != "" && strings.Contains(c, squash(w)) {
				return true
			}
		}
		return false
	}
	inMessage := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(m, w) {
				return true
			}
		}
		return false
	}
	switch status {
	case 429, 403:
		if inCode("insufficient_quota", "insufficient_balance", "insufficient_funds", "insufficient_credit", "billing", "payment_required", "out_of_credit") ||
			inMessage("insufficient balance", "insufficient funds", "insufficient credit", "out of credit", "payment required") {
			return records.CatPayment, false
		}
		short := inMessage("per second", "per minute", "/s", "/min", "per-second", "per-minute")
		if status == 429 && !short && (inCode("daily", "monthly", "quota_exceeded", "quota_exhausted") ||
			inMessage("daily", "per day", "monthly", "per month")) {
			return records.CatRateLimit, false
		}
	}
	switch status {
	case 400, 403:
		if inCode("rate_limit", "throttl", "too_many_requests", "rate_exceeded") ||
			inMessage("rate limit", "rate exceeded", "throttl", "too many requests") {
			return records.CatRateLimit, true
		}
	}
	return cat, retryable
}

// squash lower-cases s and drops everything but letters and digits:
// "RATE_LIMIT-Exceeded" becomes "ratelimitexceeded".
func squash(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9':
			b.WriteByte(ch)
		case ch >= 'A' && ch <= 'Z':
			b.WriteByte(ch + 'a' - 'A')
		}
	}
	return b.String()
}
