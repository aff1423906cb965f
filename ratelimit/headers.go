package ratelimit

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// ResetKind is what an API's reset value means.
type ResetKind uint8

// The kinds of reset value that APIs send (in X-RateLimit-Reset and its
// kin), as ParseReset tells them apart.
const (
	ResetUnknown      ResetKind = iota
	ResetEpochSeconds           // 1699999999
	ResetEpochMillis            // 1699999999123
	ResetDeltaSeconds           // 30
	ResetDuration               // "6m0s", "1.5s", "250ms" (Go duration syntax, as some APIs send)
	ResetHTTPDate               // IMF-fixdate (or an obsolete HTTP-date form)
	ResetRFC3339                // "2026-11-23T10:00:00Z"
)

var resetKindNames = [...]string{
	ResetUnknown:      "unknown",
	ResetEpochSeconds: "epoch-seconds",
	ResetEpochMillis:  "epoch-ms",
	ResetDeltaSeconds: "delta-seconds",
	ResetDuration:     "duration",
	ResetHTTPDate:     "http-date",
	ResetRFC3339:      "rfc3339",
}

// String names the kind as reports show it; "unknown" for ResetUnknown
// and for any value out of range.
func (k ResetKind) String() string {
	if int(k) < len(resetKindNames) {
		return resetKindNames[k]
	}
	return "unknown"
}

// Absolute reports whether the kind names an instant (epoch seconds,
// epoch milliseconds, an HTTP-date, an RFC 3339 date-time), which may lie
// in the past, rather than a span from now (delta seconds, a duration),
// which cannot. It is false for ResetUnknown and any value out of range.
func (k ResetKind) Absolute() bool {
	switch k {
	case ResetEpochSeconds, ResetEpochMillis, ResetHTTPDate, ResetRFC3339:
		return true
	}
	return false
}

// The integer thresholds of ParseReset. Both fall on 2001-09-09: an API
// counting epoch seconds has sent numbers ≥ 1e9 since then, one counting
// epoch milliseconds numbers ≥ 1e12; a delta of 1e9 seconds would be 31
// years, and epoch seconds ≥ 1e12 the year 33658.
const (
	epochSecondsFrom = 1_000_000_000
	epochMillisFrom  = 1_000_000_000_000
)

// ParseReset reads a reset value and returns what it means and how long
// from ref it is (negative: in the past). Integers: ≥ 1e12 epoch
// milliseconds; ≥ 1e9 epoch seconds; otherwise delta seconds. ok is false
// when the value is none of the kinds. Surrounding white space is allowed;
// a value too large for a time.Duration saturates.
//
//	reset    = integer / decimal / duration / rfc3339 / HTTP-date
//	integer  = 1*DIGIT              ; no sign: a negative reset means nothing
//	decimal  = 1*DIGIT "." 1*DIGIT  ; as integer, with a fraction: "1470173023.123" (Discord)
//	duration = 1*( number unit )    ; time.ParseDuration, unsigned: "6m0s", "1.5s", "250ms"
//	number   = 1*DIGIT [ "." *DIGIT ] / "." 1*DIGIT
//	unit     = "ns" / "us" / "µs" / "μs" / "ms" / "s" / "m" / "h"
//	rfc3339  = date-time            ; RFC 3339 §5.6, as time.RFC3339 parses it: "2026-11-23T10:00:00+01:00"
//	HTTP-date                       ; RFC 9110 §5.6.7: IMF-fixdate, rfc850-date or asctime-date
func ParseReset(value string, ref time.Time) (kind ResetKind, in time.Duration, ok bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return ResetUnknown, 0, false
	}
	if whole, frac, ok := parseDecimal(v); ok {
		switch {
		case whole >= epochMillisFrom:
			// frac is in billionths of a millisecond: frac/1e3 nanoseconds.
			t := time.Unix(whole/1e3, (whole%1e3)*1e6+frac/1e3)
			return ResetEpochMillis, t.Sub(ref), true
		case whole >= epochSecondsFrom:
			return ResetEpochSeconds, time.Unix(whole, frac).Sub(ref), true
		}
		return ResetDeltaSeconds, scaleDecimal(whole, frac, time.Second), true
	}
	if looksDuration(v) {
		if d, err := time.ParseDuration(v); err == nil {
			return ResetDuration, d, true
		}
	}
	if looksRFC3339(v) {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return ResetRFC3339, t.Sub(ref), true
		}
	}
	if looksHTTPDate(v) {
		if t, err := http.ParseTime(v); err == nil {
			return ResetHTTPDate, t.Sub(ref), true
		}
	}
	return ResetUnknown, 0, false
}

// looksHTTPDate reports whether v may be an HTTP-date: it starts with a
// day name's letter and is as long as the shortest form, asctime's
// "Sun Nov  6 08:49:37 1994". It spares http.ParseTime (whose errors
// allocate) short words such as "soon".
func looksHTTPDate(v string) bool {
	return len(v) >= len(time.ANSIC) && isAlpha(v[0])
}

// looksDuration reports whether v may be an unsigned Go duration: it
// starts with a digit or a point and ends with a unit's last letter. It
// spares time.ParseDuration (whose errors allocate) most other values.
func looksDuration(v string) bool {
	first, last := v[0], v[len(v)-1]
	return (first == '.' || '0' <= first && first <= '9') && (last == 's' || last == 'm' || last == 'h')
}

// looksRFC3339 reports whether v starts as an RFC 3339 date does,
// "2006-01-02T".
func looksRFC3339(v string) bool {
	return len(v) >= len("2006-01-02T15:04:05Z") && isDigits(v[:4]) && v[4] == '-' && v[7] == '-' && v[10] == 'T'
}

// parseDecimal reads an unsigned decimal number, 1*DIGIT [ "." 1*DIGIT ],
// as its whole part, saturated at math.MaxInt64, and its fraction in
// billionths (digits past the ninth dropped). ok is false for anything
// else, signs and exponents included.
func parseDecimal[T string | []byte](s T) (whole, frac int64, ok bool) {
	i := 0
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		d := int64(s[i] - '0')
		if whole > (math.MaxInt64-d)/10 {
			whole = math.MaxInt64 // and it stays there: MaxInt64 > (MaxInt64-d)/10
		} else {
			whole = whole*10 + d
		}
	}
	switch {
	case i == 0:
		return 0, 0, false
	case i == len(s):
		return whole, 0, true
	case s[i] != '.' || i+1 == len(s):
		return 0, 0, false
	}
	for scale := int64(1e8); i+1 < len(s); scale /= 10 {
		i++
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, false
		}
		frac += int64(s[i]-'0') * scale // scale is 0 past the ninth digit
	}
	return whole, frac, true
}

// scaleDecimal is (whole + frac/1e9) × unit, saturated at the largest
// duration. unit is positive.
func scaleDecimal(whole, frac int64, unit time.Duration) time.Duration {
	if whole > math.MaxInt64/int64(unit) {
		return math.MaxInt64
	}
	d := time.Duration(whole) * unit
	f := time.Duration(float64(frac) / 1e9 * float64(unit)) // < unit: a fraction of it
	if d > math.MaxInt64-f {
		return math.MaxInt64
	}
	return d + f
}

// parseCount reads a count: 1*DIGIT, within int64.
func parseCount(s string) (int64, bool) {
	if !isDigits(s) {
		return 0, false
	}
	var n int64
	for i := range len(s) {
		d := int64(s[i] - '0')
		if n > (math.MaxInt64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseSigned reads a count that may be negative: [ "-" ] 1*DIGIT, within
// int64.
func parseSigned(s string) (int64, bool) {
	if strings.HasPrefix(s, "-") {
		n, ok := parseCount(s[1:])
		return -n, ok
	}
	return parseCount(s)
}

// Scheme is which family of headers a response used.
type Scheme uint8

// The families of rate-limit headers, in the order ParseHeaders
// looks for them (SchemeRateLimitSF and SchemeRateLimitLegacy share one
// place: RateLimit's shape decides).
const (
	SchemeNone            Scheme = iota
	SchemeXRateLimit             // X-RateLimit-Limit / -Remaining / -Reset
	SchemeXRateLimitDash         // X-Rate-Limit-Limit / -Remaining / -Reset
	SchemeRateLimitFields        // RateLimit-Limit / RateLimit-Remaining / RateLimit-Reset (IETF draft -00..-06, with RateLimit-Policy from -05)
	SchemeRateLimitSF            // RateLimit: "default";r=50;t=30 with RateLimit-Policy: "default";q=100;w=60 (IETF draft -08 and later, structured fields)
	SchemeRateLimitLegacy        // RateLimit: limit=100, remaining=50, reset=5 (IETF draft -07, one combined dictionary field)
	SchemeOpenAI                 // x-ratelimit-limit-requests / -remaining-requests / -reset-requests (OpenAI; reset a duration, "6m0s")
	SchemeShopify                // X-Shopify-Shop-Api-Call-Limit: 39/40 (used/limit)
)

// NumSchemes is one more than the last scheme: the length of an
// array indexed by Scheme.
const NumSchemes = SchemeShopify + 1

var schemeNames = [NumSchemes]string{
	SchemeNone:            "none",
	SchemeXRateLimit:      "x-ratelimit",
	SchemeXRateLimitDash:  "x-rate-limit",
	SchemeRateLimitFields: "ratelimit-fields",
	SchemeRateLimitSF:     "ratelimit",
	SchemeRateLimitLegacy: "ratelimit-legacy",
	SchemeOpenAI:          "x-ratelimit-requests",
	SchemeShopify:         "shopify",
}

// String names the scheme as reports show it; "none" for SchemeNone and
// for any value out of range.
func (s Scheme) String() string {
	if int(s) < len(schemeNames) {
		return schemeNames[s]
	}
	return "none"
}

// Field names a field whose value did not parse, as a bit set.
type Field uint8

// The fields of Headers.Malformed.
const (
	FieldLimit     Field = 1 << iota // the limit (or the policy's quota q) is not a count, or the policy has no quota, or Shopify's used/limit is not two counts
	FieldRemaining                   // remaining is not an integer, or a combined RateLimit field lacks it, or Shopify's used/limit is not two counts
	FieldReset                       // the reset is none of the ResetKinds (RateLimit's t: not an integer), or a combined field lacks it
	FieldPolicy                      // RateLimit-Policy is not a list of items, or a window w (of the policy, or of a list-form limit) is not a positive count
)

// Headers is what a response says of its rate limit.
type Headers struct {
	Scheme                           Scheme
	Limit                            int64         // HasLimit; from Limit, or the policy's quota q
	Remaining                        int64         // HasRemaining; may be negative when the server sends a negative number (a violation the checker reports)
	ResetIn                          time.Duration // HasReset; from ref
	ResetKind                        ResetKind
	Window                           time.Duration // the policy's window w, when given
	HasLimit, HasRemaining, HasReset bool
	Malformed                        Field     // fields present whose values did not parse
	Raw                              [3]string // the raw Limit, Remaining, Reset values as sent (for evidence), "" when absent
}

// The header names, in canonical form: ParseHeaders indexes the
// map with them directly, as http.Header.Get would after canonicalizing
// (which, for a name such as "X-RateLimit-Limit", allocates).
const (
	hdrXLimit          = "X-Ratelimit-Limit"
	hdrXRemaining      = "X-Ratelimit-Remaining"
	hdrXReset          = "X-Ratelimit-Reset"
	hdrXDashLimit      = "X-Rate-Limit-Limit"
	hdrXDashRemaining  = "X-Rate-Limit-Remaining"
	hdrXDashReset      = "X-Rate-Limit-Reset"
	hdrRateLimitLimit  = "Ratelimit-Limit"
	hdrRateLimitRemain = "Ratelimit-Remaining"
	hdrRateLimitReset  = "Ratelimit-Reset"
	hdrRateLimit       = "Ratelimit"
	hdrRateLimitPolicy = "Ratelimit-Policy"
	hdrOpenAILimit     = "X-Ratelimit-Limit-Requests"
	hdrOpenAIRemaining = "X-Ratelimit-Remaining-Requests"
	hdrOpenAIReset     = "X-Ratelimit-Reset-Requests"
	hdrShopify         = "X-Shopify-Shop-Api-Call-Limit"
)

// The indexes of Headers.Raw.
const (
	rawLimit = iota
	rawRemain
	rawReset
)

// headerValue is the first value of the canonical header key, as
// http.Header.Get returns it, and whether the header is present.
func headerValue(h http.Header, key string) (string, bool) {
	if vs := h[key]; len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// ParseHeaders reads the first scheme present in h (in the order
// of the constants), measuring resets from ref. found is false when none
// is present. A scheme is present when any of its fields is; RateLimit
// is read as SchemeRateLimitLegacy when it starts as a dictionary does
// (a key and "="), else as SchemeRateLimitSF, which RateLimit-Policy alone
// also makes present. SchemeOpenAI and SchemeShopify are read only when
// none of the earlier schemes is present. It does not allocate, save for
// the error that a reset shaped like a duration or a date but failing to
// parse as one costs inside the time package ("5xs", "Mon, 32 Nov 2026 …").
//
// X-RateLimit-*, X-Rate-Limit-*, RateLimit-Limit / -Remaining / -Reset and
// x-ratelimit-limit-requests / -remaining-requests / -reset-requests, each
// value with optional surrounding white space:
//
//	limit      = 1*DIGIT / limit-list     ; OpenAI: 1*DIGIT only
//	limit-list = sf-list                  ; the first item is an integer, the limit; the w of that item, else of the
//	                                      ; first later item whose integer equals it, gives Window (Envoy, drafts
//	                                      ; -00..-03: 10, 10;w=60;name="per-minute")
//	remaining  = [ "-" ] 1*DIGIT          ; negative: parsed, for the checker to report
//	reset      = see ParseReset           ; any kind, which ResetKind reports (the drafts want delta seconds, OpenAI a duration)
//
// SchemeOpenAI reads the -requests dimension only: the -tokens headers
// (x-ratelimit-limit-tokens, …) count tokens, not requests, and neither
// make the scheme present nor are read.
//
// X-Shopify-Shop-Api-Call-Limit (SchemeShopify), with optional white
// space around each count:
//
//	call-limit = used "/" limit   ; Limit = limit, Remaining = limit − used (negative past the limit: "41/40")
//	used       = 1*DIGIT          ; a value of any other shape sets FieldLimit and FieldRemaining, and neither
//	limit      = 1*DIGIT
//
// RateLimit, draft -07 (SchemeRateLimitLegacy):
//
//	ratelimit = member *( OWS "," OWS member )
//	member    = key OWS "=" OWS value [ ";" *( any but "," ) ]   ; parameters ignored; the last of a key wins
//	key       = "limit" / "remaining" / "reset" / any other, ignored   ; any case
//	value     = as limit, remaining and reset above; all three are required
//
// RateLimit and RateLimit-Policy, draft -08 on (SchemeRateLimitSF): see
// sfNextItem for the syntax.
//
//	RateLimit        = sf-list   ; every item: parameters r (remaining, required) and t (an integer: reset, read by ParseReset);
//	                             ; the most constraining item is read: the smallest r, on a tie the larger t (an item without a
//	                             ; valid r is passed over, and one without a valid t loses a tie); none with a valid r: the first;
//	                             ; a malformed item ends the list
//	RateLimit-Policy = sf-list   ; the item named as the RateLimit item read, else the first: q (quota), w (window seconds)
//	                             ; an integer item is the quota itself (older drafts: "100;w=60")
//
// With every IETF scheme, a RateLimit-Policy's w gives Window.
func ParseHeaders(h http.Header, ref time.Time) (rl Headers, found bool) {
	if len(h) == 0 {
		return rl, false
	}
	for _, s := range [...]struct {
		scheme                  Scheme
		limit, remaining, reset string
	}{
		{SchemeXRateLimit, hdrXLimit, hdrXRemaining, hdrXReset},
		{SchemeXRateLimitDash, hdrXDashLimit, hdrXDashRemaining, hdrXDashReset},
		{SchemeRateLimitFields, hdrRateLimitLimit, hdrRateLimitRemain, hdrRateLimitReset},
	} {
		if !rl.readTriple(h, s.scheme, s.limit, s.remaining, s.reset, ref) {
			continue
		}
		if s.scheme == SchemeRateLimitFields {
			if policy, ok := headerValue(h, hdrRateLimitPolicy); ok {
				rl.readPolicy(policy, "", false)
			}
		}
		return rl, true
	}

	combined, hasCombined := headerValue(h, hdrRateLimit)
	policy, hasPolicy := headerValue(h, hdrRateLimitPolicy)
	switch {
	case hasCombined && isDictionary(combined):
		rl.Scheme = SchemeRateLimitLegacy
		rl.readLegacy(combined, ref)
		if hasPolicy {
			rl.readPolicy(policy, "", false)
		}
		return rl, true
	case hasCombined || hasPolicy:
		rl.Scheme = SchemeRateLimitSF
		var name string
		if hasCombined {
			name = rl.readSF(combined, ref)
		}
		if hasPolicy {
			rl.readPolicy(policy, name, true)
		}
		return rl, true
	}

	if rl.readTriple(h, SchemeOpenAI, hdrOpenAILimit, hdrOpenAIRemaining, hdrOpenAIReset, ref) {
		return rl, true
	}
	if v, ok := headerValue(h, hdrShopify); ok {
		rl.Scheme = SchemeShopify
		rl.readShopify(v)
		return rl, true
	}
	return rl, false
}

// readTriple reads a scheme of three headers, limit, remaining and reset,
// and reports whether any is present; when none is, rl is unchanged.
func (rl *Headers) readTriple(h http.Header, scheme Scheme, limitKey, remainingKey, resetKey string, ref time.Time) bool {
	limit, hasLimit := headerValue(h, limitKey)
	remaining, hasRemaining := headerValue(h, remainingKey)
	reset, hasReset := headerValue(h, resetKey)
	if !hasLimit && !hasRemaining && !hasReset {
		return false
	}
	rl.Scheme = scheme
	if hasLimit {
		if scheme == SchemeOpenAI {
			rl.setLimit(limit, limit)
		} else {
			rl.setListLimit(limit)
		}
	}
	if hasRemaining {
		rl.setRemaining(remaining, remaining)
	}
	if hasReset {
		rl.setReset(reset, ref)
	}
	return true
}

// readShopify reads X-Shopify-Shop-Api-Call-Limit, "used/limit". Raw
// holds the whole value as both the limit and the remaining.
func (rl *Headers) readShopify(raw string) {
	rl.Raw[rawLimit], rl.Raw[rawRemain] = raw, raw
	usedText, limitText, ok := strings.Cut(raw, "/")
	used, okUsed := parseCount(strings.TrimSpace(usedText))
	limit, okLimit := parseCount(strings.TrimSpace(limitText))
	if !ok || !okUsed || !okLimit {
		rl.Malformed |= FieldLimit | FieldRemaining
		return
	}
	rl.Limit, rl.HasLimit = limit, true
	rl.Remaining, rl.HasRemaining = limit-used, true // both ≥ 0: no overflow
}

// setLimit records the limit value v, raw as sent: a count, or FieldLimit.
func (rl *Headers) setLimit(v, raw string) {
	rl.Raw[rawLimit] = raw
	if n, ok := parseCount(strings.TrimSpace(v)); ok {
		rl.Limit, rl.HasLimit = n, true
	} else {
		rl.Malformed |= FieldLimit
	}
}

// setListLimit records a limit value: an integer, or, as the early
// RateLimit drafts allowed and Envoy sends in X-RateLimit-Limit, a list
// whose first item is the integer and whose others are quota policies
// (100, 100;w=60 or 10, 10;w=60;name="per-minute"). The first w
// parameter of the first item, else of a later item whose integer equals
// the limit, gives Window; one that is not a positive count sets
// FieldPolicy.
func (rl *Headers) setListLimit(raw string) {
	if v := strings.TrimSpace(raw); isDigits(v) {
		rl.setLimit(v, raw) // the common plain count: no list to read
		return
	}
	it, rest, ok := sfNextItem(raw)
	if !ok || it.bare.kind != sfInteger {
		rl.setLimit(raw, raw)
		return
	}
	rl.setLimit(it.bare.text, raw)
	if !rl.HasLimit {
		return
	}
	w, hasW := it.param("w")
	for !hasW && rest != "" {
		if it, rest, ok = sfNextItem(rest); !ok {
			break
		}
		if it.bare.kind == sfInteger {
			if n, ok := parseCount(it.bare.text); ok && n == rl.Limit {
				w, hasW = it.param("w")
			}
		}
	}
	if hasW {
		rl.setWindow(w)
	}
}

// setWindow records a window parameter w: a positive count of seconds,
// or FieldPolicy.
func (rl *Headers) setWindow(w sfBare) {
	if n, ok := parseCount(w.text); ok && w.kind == sfInteger && n > 0 {
		rl.Window = scaleDecimal(n, 0, time.Second)
	} else {
		rl.Malformed |= FieldPolicy
	}
}

// setRemaining records the remaining value v, raw as sent: an integer
// (negative ones too), or FieldRemaining.
func (rl *Headers) setRemaining(v, raw string) {
	rl.Raw[rawRemain] = raw
	if n, ok := parseSigned(strings.TrimSpace(v)); ok {
		rl.Remaining, rl.HasRemaining = n, true
	} else {
		rl.Malformed |= FieldRemaining
	}
}

// setReset records a reset value in any ResetKind, or FieldReset.
func (rl *Headers) setReset(raw string, ref time.Time) {
	rl.Raw[rawReset] = raw
	if kind, in, ok := ParseReset(raw, ref); ok {
		rl.ResetKind, rl.ResetIn, rl.HasReset = kind, in, true
	} else {
		rl.Malformed |= FieldReset
	}
}

// isDictionary reports whether a RateLimit value starts as the draft -07
// dictionary does, with a key and "=" ("limit=100, …"), rather than as an
// sf-list item ("default";r=50 or default;r=50, where a token is followed
// by ";", "," or nothing).
func isDictionary(v string) bool {
	i := skipOWS(v, 0)
	j := i
	for j < len(v) && isKeyChar(v[j]) {
		j++
	}
	j = skipOWS(v, j)
	return j > i && j < len(v) && v[j] == '='
}

// readLegacy reads a draft -07 RateLimit dictionary (see
// ParseHeaders for its grammar).
func (rl *Headers) readLegacy(v string, ref time.Time) {
	var vals [3]string // limit, remaining, reset: the last of each key
	var seen [3]bool
	for rest := v; rest != ""; {
		var member string
		member, rest, _ = strings.Cut(rest, ",")
		key, val, ok := strings.Cut(member, "=")
		if !ok {
			continue // a bare key: a boolean, of no interest
		}
		val, _, _ = strings.Cut(val, ";")
		var i int
		switch k := strings.TrimSpace(key); {
		case strings.EqualFold(k, "limit"):
			i = rawLimit
		case strings.EqualFold(k, "remaining"):
			i = rawRemain
		case strings.EqualFold(k, "reset"):
			i = rawReset
		default:
			continue
		}
		vals[i], seen[i] = strings.TrimSpace(val), true
	}
	if seen[rawLimit] {
		rl.setLimit(vals[rawLimit], vals[rawLimit])
	} else {
		rl.Malformed |= FieldLimit
	}
	if seen[rawRemain] {
		rl.setRemaining(vals[rawRemain], vals[rawRemain])
	} else {
		rl.Malformed |= FieldRemaining
	}
	if seen[rawReset] {
		rl.setReset(vals[rawReset], ref)
	} else {
		rl.Malformed |= FieldReset
	}
}

// readSF reads a draft -08 RateLimit field's most constraining item (see
// ParseHeaders), and returns its name (the policy it speaks of),
// "" when it has none.
func (rl *Headers) readSF(v string, ref time.Time) (name string) {
	best, rest, ok := sfNextItem(v)
	if !ok {
		rl.Raw[rawRemain], rl.Raw[rawReset] = v, v
		rl.Malformed |= FieldRemaining | FieldReset
		return ""
	}
	bestR, bestT, hasBest := sfConstraint(&best, ref)
	for rest != "" {
		var it sfItem
		if it, rest, ok = sfNextItem(rest); !ok {
			break // a malformed item: keep to those before it
		}
		r, t, ok := sfConstraint(&it, ref)
		if ok && (!hasBest || r < bestR || r == bestR && t > bestT) {
			best, bestR, bestT, hasBest = it, r, t, true
		}
	}
	if r, ok := best.param("r"); ok && r.kind == sfInteger {
		rl.setRemaining(r.text, r.text)
	} else {
		rl.Raw[rawRemain] = r.text // "" when absent
		rl.Malformed |= FieldRemaining
	}
	if t, ok := best.param("t"); ok {
		if t.kind == sfInteger {
			rl.setReset(t.text, ref)
		} else {
			rl.Raw[rawReset] = t.text
			rl.Malformed |= FieldReset
		}
	}
	return best.bare.name()
}

// sfConstraint returns a RateLimit item's remaining r and reset t, the
// latter math.MinInt64 when it is absent or not valid; ok is false when r
// is not a valid integer.
func sfConstraint(it *sfItem, ref time.Time) (r int64, t time.Duration, ok bool) {
	p, has := it.param("r")
	if !has || p.kind != sfInteger {
		return 0, 0, false
	}
	if r, ok = parseSigned(p.text); !ok {
		return 0, 0, false
	}
	t = math.MinInt64
	if p, has := it.param("t"); has && p.kind == sfInteger {
		if _, in, ok := ParseReset(p.text, ref); ok {
			t = in
		}
	}
	return r, t, true
}

// readPolicy reads a RateLimit-Policy: the item named name, else the
// first. With setLimit, its quota (q, or the item itself when it is an
// integer) gives Limit; its window w gives Window.
func (rl *Headers) readPolicy(v, name string, setLimit bool) {
	p, rest, ok := sfNextItem(v)
	if !ok {
		rl.Malformed |= FieldPolicy
		if setLimit {
			rl.Raw[rawLimit] = v
			rl.Malformed |= FieldLimit
		}
		return
	}
	for name != "" && p.bare.name() != name && rest != "" {
		next, r, ok := sfNextItem(rest)
		if !ok {
			break // a later item is malformed: keep to the first
		}
		if next.bare.name() == name {
			p = next
			break
		}
		rest = r
	}
	if setLimit {
		q := p.bare
		if q.kind != sfInteger {
			q, _ = p.param("q")
		}
		if q.kind == sfInteger {
			rl.setLimit(q.text, q.text)
		} else {
			rl.Raw[rawLimit] = q.text
			rl.Malformed |= FieldLimit
		}
	}
	if w, ok := p.param("w"); ok {
		rl.setWindow(w)
	}
}

// The kinds of sfBare.
const (
	sfNone    = iota // a parameter without a value
	sfInteger        // -12
	sfDecimal        // 1.5
	sfString         // "default"
	sfToken          // default, foo/bar, *
	sfBoolean        // ?1
	sfBinary         // :cHJldGVuZA==:
)

// sfBare is a bare item of a structured field, as written: a string with
// its quotes and escapes.
type sfBare struct {
	kind uint8
	text string
}

// name is the item's text without the quotes of a string: the name of a
// policy. Escapes are kept, so two names compare as written.
func (b sfBare) name() string {
	switch b.kind {
	case sfString:
		return b.text[1 : len(b.text)-1]
	case sfToken:
		return b.text
	}
	return ""
}

// sfMaxParams bounds the parameters kept of an item; more are parsed and
// dropped.
const sfMaxParams = 8

type sfParam struct {
	key   string
	value sfBare
}

// sfItem is an item of a structured field: a bare item and its
// parameters.
type sfItem struct {
	bare   sfBare
	params [sfMaxParams]sfParam
	n      int
}

// param returns the value of the parameter key, matched without case, and
// whether the item has it.
func (it *sfItem) param(key string) (sfBare, bool) {
	for _, p := range it.params[:it.n] {
		if strings.EqualFold(p.key, key) {
			return p.value, true
		}
	}
	return sfBare{}, false
}

// set adds a parameter; a repeated key replaces the earlier value, as in
// RFC 8941 §4.2.3.2.
func (it *sfItem) set(key string, value sfBare) {
	for i := range it.params[:it.n] {
		if strings.EqualFold(it.params[i].key, key) {
			it.params[i].value = value
			return
		}
	}
	if it.n < sfMaxParams {
		it.params[it.n] = sfParam{key, value}
		it.n++
	}
}

// sfNextItem parses the list member at the start of s and returns it and
// what follows its comma; ok is false when the member is not an item. It
// reads the subset of RFC 8941 that the RateLimit fields use, tolerant of
// white space before ";", of upper case in keys, and of long numbers:
//
//	sf-list     = list-member *( OWS "," OWS list-member )
//	list-member = sf-item                       ; an inner list "( … )" is not read
//	sf-item     = bare-item parameters
//	parameters  = *( OWS ";" OWS parameter )    ; RFC 8941: *( ";" *SP parameter )
//	parameter   = key [ "=" bare-item ]         ; no value: boolean true
//	key         = ( ALPHA / "*" ) *( ALPHA / DIGIT / "_" / "-" / "." / "*" )  ; RFC 8941: lower case
//	bare-item   = sf-integer / sf-decimal / sf-string / sf-token / sf-boolean / sf-binary
//	sf-integer  = [ "-" ] 1*DIGIT               ; RFC 8941: at most 15 digits
//	sf-decimal  = [ "-" ] 1*DIGIT "." 1*DIGIT   ; RFC 8941: 12 and 3
//	sf-string   = DQUOTE *( %x20-21 / %x23-5B / %x5D-7E / "\" ( DQUOTE / "\" ) ) DQUOTE
//	sf-token    = ( ALPHA / "*" ) *( tchar / ":" / "/" )
//	sf-boolean  = "?" ( "0" / "1" )
//	sf-binary   = ":" *( ALPHA / DIGIT / "+" / "/" / "=" ) ":"
func sfNextItem(s string) (it sfItem, rest string, ok bool) {
	i := skipOWS(s, 0)
	if it.bare, i, ok = sfParseBare(s, i); !ok {
		return it, "", false
	}
	for {
		j := skipOWS(s, i)
		if j == len(s) || s[j] != ';' {
			i = j
			break
		}
		j = skipOWS(s, j+1)
		k := j
		if k == len(s) || !isAlpha(s[k]) && s[k] != '*' {
			return it, "", false
		}
		for k < len(s) && isKeyChar(s[k]) {
			k++
		}
		key := s[j:k]
		var value sfBare
		if k < len(s) && s[k] == '=' {
			if value, k, ok = sfParseBare(s, k+1); !ok {
				return it, "", false
			}
		}
		it.set(key, value)
		i = k
	}
	switch {
	case i == len(s):
		return it, "", true
	case s[i] == ',':
		return it, s[i+1:], true
	}
	return it, "", false
}

// sfParseBare parses the bare item at s[i:] and returns it and the index
// after it.
func sfParseBare(s string, i int) (sfBare, int, bool) {
	if i >= len(s) {
		return sfBare{}, i, false
	}
	start, kind := i, uint8(0)
	switch c := s[i]; {
	case c == '"':
		kind = sfString
		for i++; ; i++ {
			if i >= len(s) || s[i] < 0x20 || s[i] > 0x7e {
				return sfBare{}, i, false
			}
			if s[i] == '\\' {
				if i++; i >= len(s) || s[i] != '"' && s[i] != '\\' {
					return sfBare{}, i, false
				}
			} else if s[i] == '"' {
				i++
				break
			}
		}
	case c == '-' || '0' <= c && c <= '9':
		kind = sfInteger
		if c == '-' {
			i++
		}
		j := skipDigits(s, i)
		if j == i {
			return sfBare{}, i, false
		}
		if i = j; i < len(s) && s[i] == '.' {
			kind = sfDecimal
			if j = skipDigits(s, i+1); j == i+1 {
				return sfBare{}, i, false
			}
			i = j
		}
	case isAlpha(c) || c == '*':
		kind = sfToken
		for i++; i < len(s) && (isTchar(s[i]) || s[i] == ':' || s[i] == '/'); i++ {
		}
	case c == '?':
		kind = sfBoolean
		if i+1 >= len(s) || s[i+1] != '0' && s[i+1] != '1' {
			return sfBare{}, i, false
		}
		i += 2
	case c == ':':
		kind = sfBinary
		for i++; i < len(s) && (isAlpha(s[i]) || '0' <= s[i] && s[i] <= '9' || s[i] == '+' || s[i] == '/' || s[i] == '='); i++ {
		}
		if i >= len(s) || s[i] != ':' {
			return sfBare{}, i, false
		}
		i++
	default:
		return sfBare{}, i, false
	}
	return sfBare{kind, s[start:i]}, i, true
}

func skipOWS(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

func skipDigits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// isKeyChar reports whether c may continue a structured-field key.
func isKeyChar(c byte) bool {
	return isAlpha(c) || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*'
}

// isTchar reports whether c is a tchar (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	return isAlpha(c) || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
