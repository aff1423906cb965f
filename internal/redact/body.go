package redact

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"math/bits"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
)

// MinSecretLen is the shortest literal secret Body masks: shorter values
// (a one-letter password, a two-digit tenant id) would mask too many
// innocent bytes of a body.
const MinSecretLen = 4

// Body returns text with every secret masked (Mask): text is a response
// body or an error message, possibly cut anywhere, invalid JSON, HTML or
// plain text. Body never fails; bytes it does not mask are kept as they
// are, invalid UTF-8 included. The rules, all applied to the original text:
//
//  1. Every occurrence of each literal secret (the user's header values,
//     URL passwords, secret query values) is masked, as are its encoded
//     forms: JSON-escaped (with and without HTML escaping, and with "\/"
//     for "/") and URL-escaped (query and path escaping). Secrets shorter
//     than MinSecretLen bytes, or blank, are ignored. Overlapping matches
//     merge, so a secret containing another is masked whole. A secret of
//     MinBase64SecretLen bytes or more is also found in base64 (either
//     alphabet, at any alignment: "Bearer "+secret encoded, a header dump
//     encoded); the whole run of base64 characters holding it is masked.
//  2. The value of a JSON-ish member whose name is secret: "token": "v",
//     also with single quotes (Python reprs), with escaped quotes in the
//     value, and inside JSON-encoded strings (\"token\": \"v\"). A string
//     keeps its quotes; a number or other literal is masked to the next
//     , } ] quote or white space; an object or array is masked whole;
//     null, true, false and "" are kept. A value cut by the end of the text
//     is masked to the end.
//  3. The credential after an HTTP auth scheme (Bearer, Basic, Token, any
//     case, then spaces and a run of token68 characters), unless the run
//     reads as a word ("Bearer token required"): letters only, in lower,
//     upper or title case, shorter than 16 bytes.
//  4. The value of a name=value pair whose name is secret, up to the next
//     & ; white space, quote, < > or backslash.
//  5. The rest of a header-like line whose name is secret
//     ("Authorization: Basic x" at the start of a line).
//
// Which names are secret is the policy's (IsSecret, plus the names the
// user marked), with two exceptions in bodies, where names describe the
// answer rather than carry credentials (user-marked names still win):
//
//   - Error vocabulary: "code", "error_code" (errorCode, error-code),
//     "error_key", "message_key", "type", "error_type", "message", "detail",
//     "title", "Unauthorized", "Unauthenticated", "WWW-Authenticate", and
//     names ending in error, exception, failed, failure or expired
//     ("AuthenticationError: invalid key", "token_expired"). An error's
//     "code": "RATE_LIMIT_EXCEEDED" is what stampede is there to count.
//     In name=value pairs, though, "code" after ? & or # is an OAuth
//     authorization code and stays secret.
//   - Token counts: names where "token" is an LLM token count or a token's
//     metadata, such as max_tokens, total_tokens, x-ratelimit-remaining-tokens,
//     tokenUsage, token_count, token_limit, token_type, unless the rest of
//     the name is secret too (access_tokens, refresh_tokens, id_tokens).
//
// "key", "sig" and names ending in _key stay secret: {"key": "sk-..."}.
//
// Body masks bytes of the original text only, never of its own Masks, so a
// literal secret survives only if it can straddle a Mask and the bytes
// next to it (it holds '[' or ']') or is part of Mask. Each masked span,
// merged with the spans it overlaps or touches, becomes one Mask, so the result is at most len(Mask) bytes longer per masked
// span. Text that none of the rules can apply to is returned as is,
// without allocating.
func (p Policy) Body(text string, secrets []string) string {
	if !p.mayHoldSecrets(text, secrets) {
		return text
	}
	var s spans
	for _, secret := range encodedSecrets(secrets) {
		s.addAll(text, secret)
	}
	for _, form := range base64Forms(secrets) {
		s.addBase64Runs(text, form)
	}
	p.jsonMembers(text, &s)
	authSchemes(text, &s)
	p.namedPairs(text, &s)
	p.headerLines(text, &s)
	return s.apply(text)
}

// mayHoldSecrets reports whether any rule of Body could apply to text: it
// holds a literal secret, a ':' (members, header lines), a '=' (pairs), an
// escape character (encoded secrets differ from the literal by '\\', '%'
// or '+') or an auth scheme word.
func (p Policy) mayHoldSecrets(text string, secrets []string) bool {
	if strings.ContainsAny(text, ":=\\%+") {
		return true
	}
	for _, scheme := range schemes {
		if indexFold(text, scheme) >= 0 {
			return true
		}
	}
	for _, s := range secrets {
		if usableSecret(s) && strings.Contains(text, s) {
			return true
		}
	}
	for _, form := range base64Forms(secrets) {
		if strings.Contains(text, form) {
			return true
		}
	}
	return false
}

// MinBase64SecretLen is the shortest secret whose base64 encodings Body
// masks: a shorter one leaves too few characters of its own to find.
const MinBase64SecretLen = 8

// base64Forms returns, for each secret of at least MinBase64SecretLen
// bytes, the characters of its base64 encodings (standard and URL
// alphabets) that depend on its bytes alone, at each of the three
// alignments it may have in a longer encoded text ("Bearer "+secret, a
// header dump, "user:"+password). The forms of the last list asked for are
// kept: a command asks with the same secrets for every body.
func base64Forms(secrets []string) []string {
	if c := lastBase64.Load(); c != nil && slices.Equal(c.secrets, secrets) {
		return c.forms
	}
	forms := encodeBase64Forms(secrets)
	lastBase64.Store(&base64Cache{slices.Clone(secrets), forms})
	return forms
}

// base64Cache is a list of secrets and its base64Forms.
type base64Cache struct{ secrets, forms []string }

var lastBase64 atomic.Pointer[base64Cache]

// encodeBase64Forms computes base64Forms.
func encodeBase64Forms(secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if len(s) < MinBase64SecretLen || !usableSecret(s) {
			continue
		}
		for p := range 3 {
			b := []byte(strings.Repeat("\x00", p) + s)
			start, end := (8*p+5)/6, 8*(p+len(s))/6
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				out = append(out, enc.EncodeToString(b)[start:end])
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// usableSecret reports whether Body masks the literal secret s.
func usableSecret(s string) bool {
	return len(s) >= MinSecretLen && strings.TrimSpace(s) != ""
}

// encodedSecrets returns the usable secrets and their encoded forms, each
// once, longest first.
func encodedSecrets(secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if !usableSecret(s) {
			continue
		}
		j, jHTML := jsonString(s, false), jsonString(s, true)
		out = append(out, s, j, jHTML,
			strings.ReplaceAll(j, "/", `\/`), strings.ReplaceAll(jHTML, "/", `\/`),
			url.QueryEscape(s), url.PathEscape(s))
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := cmp.Compare(len(b), len(a)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(out)
}

// jsonString returns s as encoding/json writes it inside quotes.
func jsonString(s string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(s) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// errorVocabulary holds the names (lower case, without _ - or .)
// that IsSecret may flag but that, in a body, name the error rather than
// a credential. See Body.
var errorVocabulary = map[string]bool{
	"code": true, "errorcode": true, "errorkey": true, "messagekey": true,
	"type": true, "errortype": true, "message": true, "detail": true, "title": true,
	"unauthorized": true, "unauthenticated": true, "wwwauthenticate": true,
}

// errorSuffixes end names (lower case, without _ - or .) that
// name an error, not a credential: AuthenticationError, token_expired.
var errorSuffixes = []string{"error", "exception", "failed", "failure", "expired"}

// tokenCountWords are the parts of a normalized name in which "token"
// counts LLM tokens or describes a token rather than holds one, longest
// first.
var tokenCountWords = []string{"tokenusage", "tokencount", "tokenlimit", "tokentype", "tokens"}

// credentialTokens are the endings of what is left of a name without its
// token count words that make it a credential after all (access_tokens).
var credentialTokens = []string{"access", "refresh", "id", "api", "bearer"}

// bodyName reports whether name is secret in a body. inQuery tells a
// name=value pair inside a query string or fragment, where "code" is an
// OAuth authorization code and not an error's.
func (p Policy) bodyName(name string, inQuery bool) bool {
	lower := strings.ToLower(strings.TrimSpace(name))
	if lower == "" {
		return false
	}
	if p.extra[lower] {
		return true
	}
	norm := strings.Map(func(r rune) rune {
		if r == '_' || r == '-' || r == '.' {
			return -1
		}
		return r
	}, lower)
	if errorVocabulary[norm] && !(inQuery && norm == "code") {
		return false
	}
	if slices.ContainsFunc(errorSuffixes, func(e string) bool { return strings.HasSuffix(norm, e) }) {
		return false
	}
	if strings.Contains(norm, "token") {
		rest := norm
		for _, w := range tokenCountWords {
			rest = strings.ReplaceAll(rest, w, "")
		}
		if rest != norm && !strings.Contains(rest, "token") && !p.IsSecret(rest) &&
			!slices.ContainsFunc(credentialTokens, func(c string) bool { return strings.HasSuffix(rest, c) }) {
			return false
		}
	}
	return p.IsSecret(lower)
}

// jsonMembers adds the values of JSON-ish members with secret names. It
// looks at every ':' and back for a quoted name before it, rather than
// reading the text as JSON, so that text that is cut, invalid JSON, or JSON
// inside a message or inside a JSON string (\"token\":\"v\") is covered.
//
// A quote preceded by n backslashes delimits strings at depth
// trailingOnes(n): 0 for ", 1 for \" inside a JSON string, 2 for \\\" and
// so on; at any deeper depth it is a quote of the content.
func (p Policy) jsonMembers(text string, s *spans) {
	for c := strings.IndexByte(text, ':'); c >= 0; {
		next := c + 1
		for _, q := range []byte{'"', '\''} {
			if end, ok := p.member(text, c, q, s); ok {
				next = max(next, end)
				break
			}
		}
		i := strings.IndexByte(text[next:], ':')
		if i < 0 {
			break
		}
		c = next + i
	}
}

// maxNameLen bounds the names jsonMembers looks back for.
const maxNameLen = 256

// member masks the value of the member whose ':' is at c and whose name is
// quoted with q, if the name is secret. It returns the end of the value
// and whether there was a quoted name before the colon.
func (p Policy) member(text string, c int, q byte, s *spans) (end int, ok bool) {
	b := c - 1
	for b >= 0 && isSpace(text[b]) {
		b--
	}
	if b < 0 || text[b] != q {
		return 0, false
	}
	depth := quoteDepth(text, b)
	delim := 1<<depth - 1 // backslashes before a quote at this depth
	nameEnd := b - delim
	o := nameEnd - 1
	for o >= 0 && nameEnd-o <= maxNameLen && text[o] != q {
		o--
	}
	if o < 0 || text[o] != q || nameEnd-o > maxNameLen || quoteDepth(text, o) != depth {
		return 0, false
	}
	name := text[o+1 : nameEnd]
	if depth == 0 && q == '"' && strings.Contains(name, `\`) {
		var decoded string
		if json.Unmarshal([]byte(text[o:b+1]), &decoded) == nil {
			name = decoded
		}
	}
	if !p.bodyName(name, false) {
		return c + 1, true
	}
	v := c + 1
	for v < len(text) && isSpace(text[v]) {
		v++
	}
	k := v
	for k < len(text) && text[k] == '\\' {
		k++
	}
	switch {
	case k < len(text) && text[k] == q && k-v == delim: // a string
		start := k + 1
		contentEnd, after := stringEnd(text, start, q, depth)
		s.add(start, contentEnd)
		return after, true
	case v < len(text) && (text[v] == '{' || text[v] == '['):
		end := compoundEnd(text, v, q, depth)
		s.add(v, end)
		return end, true
	}
	end = v
	for end < len(text) && !strings.ContainsRune(",}] \t\r\n\"'\\", rune(text[end])) {
		end++
	}
	switch strings.ToLower(text[v:end]) {
	case "null", "true", "false", "none":
	default:
		s.add(v, end)
	}
	return end, true
}

// stringEnd returns where the content of a string at depth that starts at
// start ends (at its closing quote, or at the close of an enclosing string,
// or at the end of the text) and the index after the closing quote.
func stringEnd(text string, start int, q byte, depth int) (contentEnd, after int) {
	for i := start; i < len(text); i++ {
		if text[i] != q {
			continue
		}
		if d := quoteDepth(text, i); d <= depth {
			return i - (1<<d - 1), i + 1
		}
	}
	return len(text), len(text)
}

// compoundEnd returns the index after the object or array that opens at
// v, inside strings at depth, or the end of the enclosing string or of the
// text if it is cut.
func compoundEnd(text string, v int, q byte, depth int) int {
	nest := 0
	for i := v; i < len(text); i++ {
		switch text[i] {
		case '{', '[':
			nest++
		case '}', ']':
			if nest--; nest == 0 {
				return i + 1
			}
		case q:
			d := quoteDepth(text, i)
			if d < depth {
				return i - (1<<d - 1)
			}
			if d == depth { // a string inside: skip it
				_, after := stringEnd(text, i+1, q, depth)
				if after < len(text) && quoteDepth(text, after-1) < depth {
					return after - 1 - (1<<quoteDepth(text, after-1) - 1)
				}
				i = after - 1
			}
		}
	}
	return len(text)
}

// quoteDepth returns the depth of the strings the quote at i delimits:
// the number of trailing one bits of the count of backslashes before it.
func quoteDepth(text string, i int) int {
	n := 0
	for i-n-1 >= 0 && text[i-n-1] == '\\' {
		n++
	}
	return bits.TrailingZeros(^uint(n))
}

// schemes are the HTTP auth schemes whose credential authSchemes masks.
var schemes = []string{"bearer", "basic", "token"}

// authSchemes adds the credentials that follow an auth scheme in free text.
func authSchemes(text string, s *spans) {
	for i := 0; i < len(text); i++ {
		if i > 0 && isWordByte(text[i-1]) {
			continue
		}
		for _, scheme := range schemes {
			if len(text)-i <= len(scheme) || !equalFoldASCII(text[i:i+len(scheme)], scheme) {
				continue
			}
			j := i + len(scheme)
			if text[j] != ' ' && text[j] != '\t' {
				continue
			}
			for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
				j++
			}
			end := j
			for end < len(text) && isToken68(text[end]) && text[end] != '=' {
				end++
			}
			pad := end // token68 ends with its padding
			for pad < len(text) && text[pad] == '=' {
				pad++
			}
			cred := strings.TrimRight(text[j:pad], ".") // . ends a sentence
			word := strings.TrimRight(cred, "=")
			quoted := pad > end && pad < len(text) && text[pad] == '"'
			// A word is no credential, nor is a word= or name=" that starts
			// an auth parameter (realm="api", as in WWW-Authenticate).
			if word != "" && !isWord(word) && !quoted {
				s.add(j, j+len(cred))
			}
			i = end - 1
			break
		}
	}
}

// isWord reports whether a credential is rather an English word: letters
// only, in lower, upper or title case, and short.
func isWord(s string) bool {
	if len(s) >= 16 {
		return false
	}
	lower, upper := 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z':
			lower++
		case 'A' <= c && c <= 'Z':
			upper++
		default:
			return false
		}
	}
	return upper == 0 || lower == 0 || (upper == 1 && 'A' <= s[0] && s[0] <= 'Z')
}

// namedPairs adds the values of name=value pairs with secret names.
func (p Policy) namedPairs(text string, s *spans) {
	for i := strings.IndexByte(text, '='); i >= 0; {
		j := i
		for j > 0 && isPairNameByte(text[j-1]) {
			j--
		}
		if name := text[j:i]; name != "" {
			if plain, err := url.QueryUnescape(name); err == nil {
				name = plain
			}
			inQuery := j > 0 && strings.IndexByte("?&#", text[j-1]) >= 0
			if p.bodyName(name, inQuery) {
				end := i + 1
				for end < len(text) && !strings.ContainsRune("&; \t\r\n\"'<>\\", rune(text[end])) {
					end++
				}
				s.add(i+1, end)
				i = end - 1 // the value's '=' are masked with it
			}
		}
		next := strings.IndexByte(text[i+1:], '=')
		if next < 0 {
			break
		}
		i += 1 + next
	}
}

// headerLines adds the rest of the lines that start (after blanks) with a
// secret header name and a colon.
func (p Policy) headerLines(text string, s *spans) {
	for start := 0; start < len(text); {
		line := text[start:]
		if nl := strings.IndexByte(line, '\n'); nl >= 0 {
			line = line[:nl]
		}
		i := 0
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		j := i
		for j < len(line) && isTChar(line[j]) {
			j++
		}
		if j > i && j < len(line) && line[j] == ':' && p.bodyName(line[i:j], false) {
			v := j + 1
			for v < len(line) && (line[v] == ' ' || line[v] == '\t') {
				v++
			}
			s.add(start+v, start+len(strings.TrimRight(line, "\r")))
		}
		start += len(line) + 1
	}
}

// spans are the byte ranges of a text to mask.
type spans []span

type span struct{ start, end int }

// add adds text[start:end] if it is not empty.
func (s *spans) add(start, end int) {
	if start < end {
		*s = append(*s, span{start, end})
	}
}

// addAll adds every occurrence of sub in text, overlapping ones included.
func (s *spans) addAll(text, sub string) {
	for i := 0; i <= len(text)-len(sub); {
		j := strings.Index(text[i:], sub)
		if j < 0 {
			return
		}
		s.add(i+j, i+j+len(sub))
		i += j + 1
	}
}

// addBase64Runs adds, for every occurrence of form in text, the whole run
// of base64 characters (either alphabet, padding included) around it: the
// encoding of a secret is masked with the bytes encoded beside it.
func (s *spans) addBase64Runs(text, form string) {
	for i := 0; i <= len(text)-len(form); {
		j := strings.Index(text[i:], form)
		if j < 0 {
			return
		}
		start, end := i+j, i+j+len(form)
		for start > 0 && isBase64Byte(text[start-1]) {
			start--
		}
		for end < len(text) && isBase64Byte(text[end]) {
			end++
		}
		s.add(start, end)
		i = end
	}
}

// isBase64Byte reports whether c is a character of standard or URL base64.
func isBase64Byte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("+/=-_", c) >= 0
}

// apply returns text with each run of overlapping or touching spans
// replaced by one Mask.
func (s spans) apply(text string) string {
	if len(s) == 0 {
		return text
	}
	slices.SortFunc(s, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	var b strings.Builder
	b.Grow(len(text) + len(Mask))
	kept := 0 // text[:kept] is written
	for i := 0; i < len(s); {
		start, end := s[i].start, s[i].end
		for i++; i < len(s) && s[i].start <= end; i++ {
			end = max(end, s[i].end)
		}
		b.WriteString(text[kept:start])
		b.WriteString(Mask)
		kept = end
	}
	b.WriteString(text[kept:])
	return b.String()
}

// indexFold returns the index of the first occurrence of the lower-case
// ASCII word in s, in any case, or -1.
func indexFold(s, word string) int {
	for i := 0; i+len(word) <= len(s); i++ {
		if equalFoldASCII(s[i:i+len(word)], word) {
			return i
		}
	}
	return -1
}

// equalFoldASCII reports whether s equals the lower-case ASCII word in
// any case (strings.EqualFold would also match non-ASCII look-alikes).
func equalFoldASCII(s, word string) bool {
	if len(s) != len(word) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != word[i] {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}

// isToken68 reports whether c may appear in an RFC 7235 token68.
func isToken68(c byte) bool { return isWordByte(c) || strings.IndexByte(".~+/=-", c) >= 0 }

// isPairNameByte reports whether c may appear in the name of a name=value
// pair: a form or query name, escaped or not, or a bracketed one
// (user[password]).
func isPairNameByte(c byte) bool { return isWordByte(c) || strings.IndexByte(".~%-[]", c) >= 0 }

// isTChar reports whether c may appear in an HTTP header name; quotes,
// legal but unheard of, are left out so that a quoted JSON-ish name is not
// taken for a header.
func isTChar(c byte) bool { return isWordByte(c) || strings.IndexByte("!#$%&*+-.^|~", c) >= 0 }
