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
	return lower == "key" || strings.HasSuffix(lower, "-key") || strings.HasSuffix(lower, "_key")
}

// Header returns "Name: value" with the value masked when the name is secret.
func (p Policy) Header(name, value string) string {
	if p.IsSecret(name) {
		value = Mask
	}
	return name + ": " + value
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
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for name, vals := range q {
			if p.IsSecret(name) {
				for i := range vals {
					vals[i] = "REDACTED"
				}
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// HeaderFlags lists the flags whose value is a "Name: value" header.
var HeaderFlags = []string{"-H", "--header"}

// BodyFlags lists the flags whose value is an inline request body, which is
// never recorded: it may hold credentials and can be large.
var BodyFlags = []string{"--body"}

// URLFlags lists the flags whose value is a URL.
var URLFlags = []string{"--url", "-u"}

// Args returns a copy of a command line with header values, inline bodies and
// URL credentials masked. Both "--flag value" and "--flag=value" forms are
// handled; the flag names themselves are kept so the command stays readable.
func (p Policy) Args(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i := 0; i < len(out); i++ {
		name, value, inline := strings.Cut(out[i], "=")
		kind := flagKind(name)
		if kind == "" {
			// Short flags glued to their value, e.g. -H'Authorization: x'.
			if strings.HasPrefix(out[i], "-H") && len(out[i]) > 2 && !strings.HasPrefix(out[i], "--") {
				out[i] = "-H" + p.headerValue(out[i][2:])
			}
			continue
		}
		if !inline {
			if i+1 >= len(out) {
				continue
			}
			i++
			value = out[i]
		}
		switch kind {
		case "header":
			value = p.headerValue(value)
		case "body":
			value = Mask
		case "url":
			value = p.URL(value)
		}
		if inline {
			out[i] = name + "=" + value
		} else {
			out[i] = value
		}
	}
	return out
}

func (p Policy) headerValue(h string) string {
	name, value, ok := strings.Cut(h, ":")
	if !ok {
		return Mask // not a header: cannot tell, so hide it
	}
	if p.IsSecret(name) {
		return strings.TrimSpace(name) + ": " + Mask
	}
	return strings.TrimSpace(name) + ": " + strings.TrimSpace(value)
}

func flagKind(name string) string {
	for _, f := range HeaderFlags {
		if name == f {
			return "header"
		}
	}
	for _, f := range BodyFlags {
		if name == f {
			return "body"
		}
	}
	for _, f := range URLFlags {
		if name == f {
			return "url"
		}
	}
	return ""
}
