package ratelimit

import "time"

// BodyWait returns the wait an error body states, in whichever common
// form: JSON members named retryAfter, retry_after, retry-after,
// retryAfterSeconds, retry_after_seconds (seconds; a number or a numeric
// string), retryAfterMs / retry_after_ms (milliseconds), at the top level
// or one level down (e.g. {"error": {"retry_after": 7}}); or a message
// text "retry after N seconds", "try again in N seconds", "retry in N s",
// "available in N seconds", "wait N seconds" (case-insensitive, N an
// integer or decimal, units s/sec/secs/second/seconds/ms/milliseconds/
// minute(s)/min). ok false when none.
//
// A member wins over a text; a top-level member over one a level down;
// otherwise the first in the body. A member whose value is not a
// non-negative number (null, "soon", -1, 1e3) is passed over. A wait too
// long for a time.Duration saturates.
//
// It is called only on 429 and 503 bodies (at most the classifier's 64 KiB
// prefix): it does not allocate, is linear in the body size and reads any
// bytes, a cut or malformed document included.
//
// The members, matched without case and ignoring "_" and "-" in the name
// (so RetryAfter, Retry-After and retry_after_ms are found too):
//
//	member  = name ":" ( number / DQUOTE *SP number *SP DQUOTE )
//	name    = "retryafter" / "retryafterseconds"                          ; seconds
//	        / "retryafterms" / "retryaftermillis" / "retryaftermilliseconds" ; milliseconds
//	number  = 1*DIGIT [ "." 1*DIGIT ]
//
// The texts, matched without case anywhere in the body (a JSON string
// included), a space in a phrase standing for any run of white space:
//
//	text    = phrase 1*WS number *WS unit   ; unit followed by a non-letter or the end
//	phrase  = "retry after" / "try again in" / "retry in" / "available in" / "wait for" / "wait"
//	unit    = "ms" / "msec" / "msecs" / "millisecond" / "milliseconds"
//	        / "s" / "sec" / "secs" / "second" / "seconds"
//	        / "min" / "mins" / "minute" / "minutes"
//	        / "h" / "hr" / "hrs" / "hour" / "hours"
func BodyWait(body []byte) (wait time.Duration, ok bool) {
	if wait, ok := jsonWait(body); ok {
		return wait, true
	}
	return textWait(body)
}

// jsonWait finds a wait member in a JSON document at depth 1 or 2 (see
// BodyWait). It scans tokens without building the document, so a cut or
// malformed one is read as far as it goes: a string is a name where a
// name is expected (after "{" or an object's ","), anything else a value.
func jsonWait(b []byte) (time.Duration, bool) {
	i := 0
	if len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf { // a byte order mark
		i = 3
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i == len(b) || b[i] != '{' && b[i] != '[' {
		return 0, false
	}
	var (
		depth      int
		kinds      [3]byte // kinds[d]: the container at depth d ≤ 2, '{' or '['
		expectName bool    // a string here is a member's name
		name       []byte  // the name of the member whose value comes next
		haveName   bool
		nested     time.Duration // the first wait found at depth 2
		hasNested  bool
	)
	// value considers a scalar value (a string's contents, quoted tells
	// which) of the current member; it reports a wait at depth 1.
	value := func(v []byte, quoted bool) (time.Duration, bool) {
		if !haveName || depth > 2 || hasNested && depth == 2 {
			return 0, false
		}
		unit, ok := waitMemberUnit(name)
		if !ok {
			return 0, false
		}
		if quoted {
			v = trimSpaceBytes(v)
		}
		whole, frac, ok := parseDecimal(v)
		if !ok {
			return 0, false
		}
		w := scaleDecimal(whole, frac, unit)
		if depth == 1 {
			return w, true
		}
		nested, hasNested = w, true
		return 0, false
	}
	for i < len(b) {
		switch c := b[i]; {
		case c == '{' || c == '[':
			depth++
			if depth < len(kinds) {
				kinds[depth] = c
			}
			expectName, haveName = c == '{', false
			i++
		case c == '}' || c == ']':
			depth--
			expectName, haveName = false, false
			i++
			if depth <= 0 {
				return nested, hasNested // the document is complete
			}
		case c == ',':
			expectName = depth < len(kinds) && kinds[depth] == '{'
			haveName = false
			i++
		case c == ':' || isSpace(c):
			i++
		case c == '"':
			end := stringEnd(b, i+1)
			if end < 0 {
				return nested, hasNested // cut inside a string
			}
			s := b[i+1 : end]
			i = end + 1
			if expectName {
				name, haveName, expectName = s, true, false
				continue
			}
			if w, ok := value(s, true); ok {
				return w, true
			}
			haveName = false
		default: // a number or a literal, up to the next delimiter
			j := i + 1
			for j < len(b) && !isJSONDelimiter(b[j]) {
				j++
			}
			if w, ok := value(b[i:j], false); ok {
				return w, true
			}
			haveName = false
			i = j
		}
	}
	return nested, hasNested
}

// stringEnd returns the index of the quote closing the JSON string whose
// contents start at b[i:], or -1 when the body ends first.
func stringEnd(b []byte, i int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++ // skip the escaped byte; a \uXXXX's hex digits are plain bytes
		case '"':
			return i
		}
	}
	return -1
}

func isJSONDelimiter(c byte) bool {
	switch c {
	case '{', '}', '[', ']', ',', ':', '"':
		return true
	}
	return isSpace(c)
}

func trimSpaceBytes(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// waitMemberUnit returns the unit of a wait member's value by its name,
// folded to lower case without "_" and "-" (see BodyWait); ok false for
// any other name.
func waitMemberUnit(name []byte) (time.Duration, bool) {
	var buf [len("retryaftermilliseconds")]byte
	n := 0
	for _, c := range name {
		switch {
		case c == '_' || c == '-':
			continue
		case n == len(buf):
			return 0, false
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	switch string(buf[:n]) {
	case "retryafter", "retryafterseconds":
		return time.Second, true
	case "retryafterms", "retryaftermillis", "retryaftermilliseconds":
		return time.Millisecond, true
	}
	return 0, false
}

// waitPhrases are the texts that introduce a wait (see BodyWait), in
// lower case; a space stands for any run of white space.
var waitPhrases = [...]string{"retry after", "try again in", "retry in", "available in", "wait for", "wait"}

// textWait finds the first wait phrase in b that is followed by a number
// and a unit. Each phrase is tried once at each byte, and what follows a
// phrase (white space, a number, a word) is read once per phrase that
// ends there, so the scan is linear.
func textWait(b []byte) (time.Duration, bool) {
	for i := range b {
		switch b[i] | 0x20 { // ASCII lower case, for letters
		case 'r', 't', 'a', 'w':
		default:
			continue
		}
		for _, p := range waitPhrases {
			if j, ok := matchPhrase(b, i, p); ok {
				if w, ok := quantity(b, j); ok {
					return w, true
				}
			}
		}
	}
	return 0, false
}

// matchPhrase reports whether phrase matches b at i without case, a space
// in it matching one or more white-space bytes, and returns the index
// after the match.
func matchPhrase(b []byte, i int, phrase string) (int, bool) {
	for k := 0; k < len(phrase); k++ {
		if phrase[k] == ' ' {
			if i >= len(b) || !isSpace(b[i]) {
				return 0, false
			}
			for i < len(b) && isSpace(b[i]) {
				i++
			}
			continue
		}
		if i >= len(b) || lowerASCII(b[i]) != phrase[k] {
			return 0, false
		}
		i++
	}
	return i, true
}

// quantity reads 1*WS number *WS unit at b[i:] (see BodyWait) as a
// duration.
func quantity(b []byte, i int) (time.Duration, bool) {
	j := i
	for j < len(b) && isSpace(b[j]) {
		j++
	}
	if j == i {
		return 0, false
	}
	start := j
	for j < len(b) && ('0' <= b[j] && b[j] <= '9' || b[j] == '.') {
		j++
	}
	whole, frac, ok := parseDecimal(b[start:j])
	if !ok {
		return 0, false
	}
	for j < len(b) && isSpace(b[j]) {
		j++
	}
	start = j
	for j < len(b) && isAlpha(b[j]) {
		j++
	}
	unit, ok := waitUnit(b[start:j])
	if !ok {
		return 0, false
	}
	return scaleDecimal(whole, frac, unit), true
}

// waitUnit returns the duration of a unit word of BodyWait's texts,
// matched without case.
func waitUnit(word []byte) (time.Duration, bool) {
	var buf [len("milliseconds")]byte
	if len(word) > len(buf) {
		return 0, false
	}
	for i, c := range word {
		buf[i] = lowerASCII(c)
	}
	switch string(buf[:len(word)]) {
	case "ms", "msec", "msecs", "millisecond", "milliseconds":
		return time.Millisecond, true
	case "s", "sec", "secs", "second", "seconds":
		return time.Second, true
	case "min", "mins", "minute", "minutes":
		return time.Minute, true
	case "h", "hr", "hrs", "hour", "hours":
		return time.Hour, true
	}
	return 0, false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isSpace reports whether c is ASCII white space.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
