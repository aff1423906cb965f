package classify

import (
	"bytes"
	"unicode/utf8"
)

// MaxFingerprintInput bounds the bytes of a message that AppendPattern
// reads: messages that differ only beyond it share a pattern.
const MaxFingerprintInput = 1024

// Placeholders of AppendPattern.
const (
	maskNumber = '#' // a number: 42, 3.5, -1, 1,000
	maskID     = '*' // any other token with a digit (ids, timestamps, versions), an e-mail, a URL, a quoted value
)

// maxQuoted bounds the length of a quoted value that AppendPattern masks;
// a longer "quotation" is more likely prose than a value.
const maxQuoted = 256

// AppendPattern appends the fingerprint pattern of msg to dst and returns
// the extended buffer: the message with its variable parts masked, so that
// messages built from one template share a pattern. It reads at most
// MaxFingerprintInput bytes of msg and never allocates when dst has room
// (the pattern is never longer than the bytes read).
//
// The message is cut into tokens at white space and at the punctuation
// ,;()[]{}<> (kept as they are). A token that holds a digit is masked: '#'
// if it is a number (digits with . , + - and a leading sign), '*'
// otherwise (ids, timestamps, versions, sizes like 64KiB). A token with
// '@' (an e-mail), "://" (a URL) or a leading '/' (a path) is '*'. A value quoted with ' " ` or
// curly quotes, opening at the start of a token and closing before a
// separator, becomes the quotes around '*'. Runs of white space become one
// space, and leading and trailing space is dropped.
//
//	"Rate limit exceeded. Try again in 42 seconds." → "Rate limit exceeded. Try again in # seconds."
//	"Script with ID '123abc' not found"             → "Script with ID '*' not found"
//	"Daily request limit exceeded"                  → unchanged
func AppendPattern(dst, msg []byte) []byte {
	if len(msg) > MaxFingerprintInput {
		msg = msg[:MaxFingerprintInput]
	}
	space := false      // a space is pending before the next output
	credential := false // the last token was an authentication scheme
	var closers [quoteKinds]quoteCursor
	i := 0
	for i < len(msg) {
		c := msg[i]
		if isSpace(c) {
			space = true
			i++
			continue
		}
		if space && len(dst) > 0 {
			dst = append(dst, ' ')
		}
		space = false
		if isSeparator(c) {
			dst = append(dst, c)
			credential = false
			i++
			continue
		}
		if open, close, kind, n := quoteAt(msg, i); n > 0 {
			// "" stays: masking would lengthen it; a closer too far away
			// is prose, not a value.
			if end := closers[kind].next(msg, i+n, close); end > i+n && end-(i+n) <= maxQuoted {
				dst = append(dst, open...)
				dst = append(dst, maskID)
				dst = append(dst, close...)
				i = end + len(close)
				continue
			}
		}
		j := i
		for j < len(msg) && !isSpace(msg[j]) && !isSeparator(msg[j]) {
			j++
		}
		if credential && isCredential(msg[i:j]) {
			dst = append(dst, maskID)
		} else {
			dst = appendToken(dst, msg[i:j])
		}
		credential = isAuthScheme(msg[i:j])
		i = j
	}
	return dst
}

// isAuthScheme reports whether tok names an HTTP authentication scheme
// whose next word is a credential: Bearer, Basic, Token, Digest.
func isAuthScheme(tok []byte) bool {
	for _, s := range [...]string{"bearer", "basic", "token", "digest"} {
		if len(tok) == len(s) && asciiEqualFold(tok, s) {
			return true
		}
	}
	return false
}

// isCredential reports whether a word after an authentication scheme is a
// credential rather than prose: not a plain word (letters only, in one
// case or capitalised, shorter than 16), so "Token expired" keeps its
// word and "Bearer abcdEFGH…" loses its token.
func isCredential(tok []byte) bool {
	if len(tok) >= 16 {
		return true
	}
	upper := 0
	for _, c := range tok {
		switch {
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= 'a' && c <= 'z':
		default:
			return true // digits, the symbols of token68
		}
	}
	titled := upper == 1 && tok[0] >= 'A' && tok[0] <= 'Z'
	return upper != 0 && upper != len(tok) && !titled
}

// appendToken appends tok, or its mask.
func appendToken(dst, tok []byte) []byte {
	digit, at, colon := false, false, false // one pass: this runs for every word
	for _, c := range tok {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c == '@':
			at = true
		case c == ':':
			colon = true
		}
	}
	other := at || colon && bytes.Contains(tok, []byte("://")) || len(tok) > 1 && tok[0] == '/'
	if !digit && !other {
		return append(dst, tok...)
	}
	// Keep sentence punctuation after a masked value: "42." is "#.".
	end := len(tok)
	for end > 0 && (tok[end-1] == '.' || tok[end-1] == ':' || tok[end-1] == '!' || tok[end-1] == '?') {
		end--
	}
	if !other && isNumber(tok[:end]) {
		dst = append(dst, maskNumber)
	} else {
		dst = append(dst, maskID)
	}
	return append(dst, tok[end:]...)
}

// isNumber reports whether b is a number: an optional sign, then digits
// with '.' and ',' between them, and an optional exponent or percent sign.
func isNumber(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	if len(b) > 0 && b[len(b)-1] == '%' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 || b[0] < '0' || b[0] > '9' {
		return false
	}
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' || c == ',':
			if i == len(b)-1 {
				return false
			}
		case c == 'e' || c == 'E':
			if i == len(b)-1 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isSeparator(c byte) bool {
	switch c {
	case ',', ';', '(', ')', '[', ']', '{', '}', '<', '>':
		return true
	}
	return false
}

// Curly quotes, as UTF-8.
const (
	leftDouble  = "\u201c"
	rightDouble = "\u201d"
	leftSingle  = "\u2018"
	rightSingle = "\u2019"
)

// quoteKinds is the number of kinds of quotes: ' " ` and the two curly
// pairs.
const quoteKinds = 5

// quoteAt reports whether a quoted value opens at msg[i]: the opening
// quote, the quote that closes it, the kind of quote, and the opening
// quote's length in bytes. A quote opens only at the start of a token (i
// is at the start of msg or after a space or separator, which
// AppendPattern guarantees) so the apostrophe of "doesn't" opens nothing.
func quoteAt(msg []byte, i int) (open, close []byte, kind, n int) {
	switch c := msg[i]; c {
	case '\'':
		return msg[i : i+1], msg[i : i+1], 0, 1
	case '"':
		return msg[i : i+1], msg[i : i+1], 1, 1
	case '`':
		return msg[i : i+1], msg[i : i+1], 2, 1
	case 0xe2:
		switch {
		case bytes.HasPrefix(msg[i:], []byte(leftDouble)):
			return []byte(leftDouble), []byte(rightDouble), 3, len(leftDouble)
		case bytes.HasPrefix(msg[i:], []byte(leftSingle)):
			return []byte(leftSingle), []byte(rightSingle), 4, len(leftSingle)
		}
	}
	return nil, nil, 0, 0
}

// quoteCursor finds the closers of one kind of quote in a message. The
// openings AppendPattern asks about only move forward, and the first
// closer after an opening is also the first after any later opening that
// precedes it, so each byte is scanned once per kind: a message full of
// unclosed quotes costs linear time, not quadratic.
type quoteCursor struct {
	at       int  // the first closer at or after the last search's start
	searched bool // at is valid
	none     bool // a search reached the end of the message without one
}

// next returns the index of the first closer at or after from, -1 if
// there is none.
func (q *quoteCursor) next(msg []byte, from int, close []byte) int {
	switch {
	case q.none:
		return -1
	case q.searched && q.at >= from:
		return q.at
	}
	q.at, q.searched = closingQuote(msg, from, close), true
	q.none = q.at < 0
	return q.at
}

// closingQuote returns the index of the first quote close in msg at or
// after from that ends a token (the end of msg, a space, a separator or
// sentence punctuation follows it); -1 if there is none.
func closingQuote(msg []byte, from int, close []byte) int {
	for k := from; k+len(close) <= len(msg); k++ {
		if !bytes.HasPrefix(msg[k:], close) {
			continue
		}
		after := k + len(close)
		if after == len(msg) || isSpace(msg[after]) || isSeparator(msg[after]) || bytes.IndexByte([]byte(".:!?"), msg[after]) >= 0 {
			return k
		}
	}
	return -1
}

// isCodeLike reports whether s looks like a machine-readable code rather
// than a phrase: no white space, at most 128 bytes, only letters, digits
// and _ . : -, and either a separator or letters all of one case
// ("invalid_grant", "UNAUTHORIZED", "quota.exceeded", "unauthorized"), not
// a capitalised word or title ("Unauthorized", "Rate Limit Exceeded").
func isCodeLike(s []byte) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	upper, lower, sep := false, false, false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
		case c == '_' || c == '.' || c == ':' || c == '-':
			sep = true
		default:
			return false
		}
	}
	return sep || !(upper && lower)
}

// htmlText returns the text of an HTML page's <title>, or of its first
// <h1> when the title is missing or empty: what a person reads first on an
// error page. Tags inside are dropped. It returns nil when there is
// neither.
func htmlText(body []byte) []byte {
	for _, tag := range [...]string{"title", "h1"} {
		if t := bytes.TrimSpace(elementText(body, tag)); len(t) > 0 {
			return t
		}
	}
	return nil
}

// elementText returns the raw inner text of the first <tag …>…</tag> in
// body, matched without case, with nested tags removed in place of a copy
// only when there are none (the common case); nil if absent.
func elementText(body []byte, tag string) []byte {
	start := indexFold(body, "<"+tag)
	if start < 0 {
		return nil
	}
	rest := body[start+1+len(tag):]
	if len(rest) == 0 || (rest[0] != '>' && !isSpace(rest[0])) {
		return nil // <titles>, <h1x>: another element
	}
	gt := bytes.IndexByte(rest, '>')
	if gt < 0 {
		return nil
	}
	rest = rest[gt+1:]
	end := indexFold(rest, "</"+tag)
	if end < 0 {
		end = min(len(rest), 256) // an unclosed element: take what follows
	}
	text := rest[:end]
	if bytes.IndexByte(text, '<') >= 0 {
		text = text[:bytes.IndexByte(text, '<')] // text before a nested tag
	}
	return text
}

// indexFold returns the index of the first occurrence of the ASCII string
// sub in b, matched without case; -1 if absent.
func indexFold(b []byte, sub string) int {
	for i := 0; i+len(sub) <= len(b); i++ {
		if asciiEqualFold(b[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func asciiEqualFold(b []byte, s string) bool {
	for i := range len(s) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// maxTextLine bounds the first line of a text body used as its message.
const maxTextLine = 256

// firstLine returns the first line of body that is not blank, at most
// maxTextLine bytes, cut at a UTF-8 boundary.
func firstLine(body []byte) []byte {
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			return cutUTF8(line, maxTextLine)
		}
	}
	return nil
}

// cutUTF8 returns b cut to at most n bytes, not inside a UTF-8 sequence.
func cutUTF8(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return b[:n]
}

// isBinary reports whether body looks like binary data rather than text:
// a NUL byte, or invalid UTF-8, in its first 512 bytes.
func isBinary(body []byte) bool {
	head := body[:min(len(body), 512)]
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	// A sequence cut by the end of head is not invalid.
	for len(head) > 0 {
		r, size := utf8.DecodeRune(head)
		if r == utf8.RuneError && size == 1 {
			return len(head) >= utf8.UTFMax || utf8.FullRune(head)
		}
		head = head[size:]
	}
	return false
}
