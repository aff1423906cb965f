// Package redact removes secrets (credentials in headers, URLs and command
// lines) from everything stampede writes: result files, reports and logs.
//
// Redaction is by name: a header, query parameter or flag whose name looks
// like a credential keeps its name and loses its value. The list of names is
// a Policy, so users can mark more names as secret.
package redact

import (
	"net/url"
	"strings"
)

// Mask replaces every redacted value.
const Mask = "[REDACTED]"

// DefaultSecretHeaders are header names whose values are always secret.
var DefaultSecretHeaders = []string{
	"Authorization", "Proxy-Authorization", "X-Api-Key", "Api-Key", "X-Auth-Token",
	"Cookie", "Set-Cookie", "X-Amz-Security-Token", "X-Csrf-Token",
}

// secretWords are substrings that make a header or query parameter name secret.
var secretWords = []string{"auth", "token", "secret", "password", "passwd", "apikey", "api-key", "api_key", "session", "cookie", "signature", "credential"}

// Policy decides which names are secret. The zero value uses the defaults.
type Policy struct {
	extra map[string]bool // lower-cased extra names marked secret by the user
}

// NewPolicy returns a policy that also treats the given header or parameter
// names (case-insensitive) as secret.
func NewPolicy(extra ...string) Policy {
	p := Policy{extra: make(map[string]bool, len(extra))}
	for _, name := range extra {
		if name = strings.TrimSpace(name); name != "" {
			p.extra[strings.ToLower(name)] = true
		}
	}
	return p
}

// IsSecret reports whether a header, query parameter or form field name
// carries a secret.
func (p Policy) IsSecret(name string) bool {
	lower := strings.ToLower(strings.TrimSpace(name))
	if lower == "" {
		return false
	}
	if p.extra[lower] {
		return true
	}
	for _, h := range DefaultSecretHeaders {
		if strings.EqualFold(h, lower) {
			return true
		}
	}
	for _, w := range secretWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	switch lower {
	case "key", "sig", "code": // Azure SAS signatures, OAuth authorization codes
		return true
	}
	return strings.HasSuffix(lower, "-key") || strings.HasSuffix(lower, "_key")
}

// URL masks the password of the user info and the values of secret query
// parameters. An unparseable URL is masked whole, since it cannot be checked.
func (p Policy) URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Mask
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "REDACTED")
		} else {
			u.User = url.User("REDACTED")
		}
	}
	u.RawQuery = p.pairs(u.RawQuery)
	if u.Fragment != "" { // OAuth's implicit flow puts tokens there
		u.RawFragment = p.pairs(u.EscapedFragment())
		u.Fragment, _ = url.PathUnescape(u.RawFragment)
	}
	return u.String()
}

// pairs masks the values of secret names in name=value pairs separated by
// '&' or ';', keeping everything else byte for byte. It works on the raw
// text, so that a malformed pair (a bad escape, a ';') is masked as
// reliably as a well-formed one.
func (p Policy) pairs(raw string) string {
	if raw == "" {
		return raw
	}
	var b strings.Builder
	for raw != "" {
		end := strings.IndexAny(raw, "&;")
		pair, sep := raw, ""
		if end >= 0 {
			pair, sep, raw = raw[:end], raw[end:end+1], raw[end+1:]
		} else {
			raw = ""
		}
		name, _, hasValue := strings.Cut(pair, "=")
		plain, err := url.QueryUnescape(name)
		if err != nil {
			plain = name
		}
		if hasValue && p.IsSecret(plain) {
			pair = name + "=REDACTED"
		}
		b.WriteString(pair)
		b.WriteString(sep)
	}
	return b.String()
}

// HeaderValue returns a "Name: value" header with the value masked when
// the name is secret; text that is not a header is masked whole.
func (p Policy) HeaderValue(h string) string {
	name, value, ok := strings.Cut(h, ":")
	if !ok {
		return Mask // not a header: cannot tell, so hide it
	}
	if p.IsSecret(name) {
		return strings.TrimSpace(name) + ": " + Mask
	}
	return strings.TrimSpace(name) + ": " + strings.TrimSpace(value)
}
