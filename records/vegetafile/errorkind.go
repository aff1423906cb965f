package vegetafile

import (
	"strconv"
	"strings"

	"github.com/stampede-dev/stampede/records"
)

// ErrorKindOf maps the text of a vegeta error (Result.Error, the Error() of a
// Go error) to a stampede error kind, the way attack.KindOf maps the typed
// error, and in the same order of precedence:
//
//   - "" → ErrNone;
//   - DNS: "no such host", "server misbehaving", "lookup " after a
//     non-alphanumeric byte (so a DNS timeout is DNS, as in KindOf);
//   - TLS: "tls:", "x509:", "certificate";
//   - timeout: "timeout" (covers "Client.Timeout exceeded", "i/o timeout",
//     "TLS handshake timeout"), "timed out", "deadline exceeded";
//   - refused: "connection refused", "actively refused";
//   - reset: "connection reset", "broken pipe", "connection abort",
//     "forcibly closed", "server closed idle connection" (net/http's EOF
//     before the request), the word "EOF" (a peer closing early);
//   - anything else → ErrOther.
//
// Matching ignores case, except for "EOF". The `Get "URL": ` prefix that
// net/http puts in front of its errors is dropped first, so that words in
// the URL do not count.
//
// The Reader applies ErrorKindOf only to results without a status: vegeta also
// sets Error for a response outside [200, 400) (to its status line, such as
// "503 Service Unavailable"), and such a result is no transport failure.
func ErrorKindOf(msg string) records.ErrorKind {
	if msg == "" {
		return records.ErrNone
	}
	msg = dropURLPrefix(msg)
	lower := strings.ToLower(msg)
	switch {
	case containsAny(lower, "no such host", "server misbehaving") || hasWord(lower, "lookup "):
		return records.ErrDNS
	case containsAny(lower, "tls:", "x509:", "certificate"):
		return records.ErrTLS
	case containsAny(lower, "timeout", "timed out", "deadline exceeded"):
		return records.ErrTimeout
	case containsAny(lower, "connection refused", "actively refused"):
		return records.ErrRefused
	case containsAny(lower, "connection reset", "broken pipe", "connection abort", "forcibly closed", "server closed idle connection") ||
		hasWord(msg, "EOF"):
		return records.ErrReset
	}
	return records.ErrOther
}

// dropURLPrefix returns msg without the `Op "URL": ` prefix of a *url.Error,
// or msg itself if it has none.
func dropURLPrefix(msg string) string {
	i := strings.Index(msg, ` "`)
	if i <= 0 || strings.ContainsAny(msg[:i], " :") {
		return msg
	}
	q, err := strconv.QuotedPrefix(msg[i+1:])
	if err != nil {
		return msg
	}
	if rest, ok := strings.CutPrefix(msg[i+1+len(q):], ": "); ok {
		return rest
	}
	return msg
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// hasWord reports whether word occurs in s with no ASCII letter or digit
// immediately before it, nor after it unless word ends in a space.
func hasWord(s, word string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !isAlnum(s[start-1])) && (end == len(s) || !isAlnum(s[end]) || word[len(word)-1] == ' ') {
			return true
		}
		i = start + 1
	}
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// kindTexts are the errors a Writer writes for the error kinds: short texts
// that read well in vegeta's reports and that ErrorKindOf maps back to the
// same kind.
var kindTexts = [...]string{
	records.ErrTimeout: "timeout",
	records.ErrRefused: "connection refused",
	records.ErrReset:   "connection reset by peer",
	records.ErrTLS:     "tls: handshake or certificate check failed",
	records.ErrDNS:     "dns: lookup failed",
	records.ErrOther:   "transport error",
}

// kindText returns the error text for a kind other than ErrNone; a kind
// unknown to this version is written as ErrOther.
func kindText(k records.ErrorKind) string {
	if int(k) < len(kindTexts) && kindTexts[k] != "" {
		return kindTexts[k]
	}
	return kindTexts[records.ErrOther]
}
