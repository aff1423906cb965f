package redact

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Args removes from an error message every secret the command line args
// hold:
// values of secret headers (and their tokens), URL passwords and values of
// secret query parameters. Errors come from many layers (flag parsing,
// URL parsing, file formats) that cannot all be trusted to leave secrets
// out, so the last step before printing makes sure.
func Args(msg string, args []string) string {
	for _, s := range secretsIn(args) {
		msg = strings.ReplaceAll(msg, s, Mask)
	}
	return msg
}

// schemeWords are words of header values that are no secret themselves:
// the auth schemes.
var schemeWords = []string{"bearer", "basic", "token", "digest", "apikey"}

// secretsIn returns the secret values of a command line, longest first (so
// that a value is masked whole before any part of it).
func secretsIn(args []string) []string {
	var names []string
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--secret-header="); ok {
			names = append(names, v)
		} else if a == "--secret-header" && i+1 < len(args) {
			names = append(names, args[i+1])
		}
	}
	policy := NewPolicy(names...)
	var out []string
	add := collect(&out)
	for _, a := range args {
		// -H"Name: v", --header=Name: v and plain "Name: v" alike.
		h := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(a, "--header="), "-H"), "=")
		if name, value, ok := strings.Cut(h, ":"); ok && !strings.Contains(name, "/") && policy.IsSecret(name) {
			add(value)
			for _, w := range strings.Fields(value) {
				add(w)
			}
		}
		if i := strings.Index(a, "://"); i >= 0 {
			addURLSecrets(a[max(0, strings.LastIndexAny(a[:i], "= ")+1):], policy, add)
		}
	}
	return longestFirst(withURLForms(out))
}

// withURLForms adds to secrets their URL encodings (query and path) where
// they differ: a server may echo a secret as it went in a URL.
func withURLForms(secrets []string) []string {
	out := secrets
	for _, s := range secrets {
		for _, e := range []string{url.QueryEscape(s), url.PathEscape(s)} {
			if e != s {
				out = append(out, e)
			}
		}
	}
	return out
}

// collect returns a function that appends a secret to out, unless it is too
// short or an authentication scheme's name.
func collect(out *[]string) func(string) {
	return func(s string) {
		s = strings.TrimSpace(s)
		if len(s) >= MinSecretLen && !slices.Contains(schemeWords, strings.ToLower(s)) {
			*out = append(*out, s)
		}
	}
}

// longestFirst sorts secrets longest first, so that a value is masked whole
// before any part of it, and drops repeats.
func longestFirst(secrets []string) []string {
	slices.SortFunc(secrets, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return slices.Compact(secrets)
}

// Request is what a request carries that may hold secrets.
type Request struct {
	Header http.Header
	URL    string
}

// Secrets returns the secrets requests carry: values (and their words) of
// secret headers, URL passwords (and the Basic credentials net/http derives
// from a URL's user info) and secret query values, each also URL-encoded,
// longest first.
// The classifier masks them in the messages and bodies it keeps, since an
// API may echo a key back in an error.
func (p Policy) Secrets(reqs ...Request) []string {
	var out []string
	add := collect(&out)
	for _, r := range reqs {
		for name, values := range r.Header {
			if !p.IsSecret(name) {
				continue
			}
			for _, v := range values {
				add(v)
				for _, w := range strings.Fields(v) {
					add(w)
				}
			}
		}
		if strings.Contains(r.URL, "://") {
			addURLSecrets(r.URL, p, add)
		}
	}
	return longestFirst(withURLForms(out))
}

// basicCredentials returns the credentials net/http sends in
// "Authorization: Basic …" for a URL's user info: base64 of the decoded
// "user:password" (an absent password is empty).
func basicCredentials(userinfo string) string {
	user, pw, _ := strings.Cut(userinfo, ":")
	if u, err := url.PathUnescape(user); err == nil {
		user = u
	}
	if p, err := url.PathUnescape(pw); err == nil {
		pw = p
	}
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
}

// addURLSecrets adds the password (and the Basic credentials of the user
// info) and the secret query and fragment values of a URL, parsed by hand so that a URL too broken for url.Parse still
// gives up its secrets.
func addURLSecrets(raw string, policy Policy, add func(string)) {
	rest := raw[strings.Index(raw, "://")+3:]
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		userinfo := rest[:at]
		if slash := strings.IndexAny(userinfo, "?#"); slash < 0 {
			if _, pw, ok := strings.Cut(userinfo, ":"); ok {
				add(pw)
				if u, err := url.PathUnescape(pw); err == nil {
					add(u)
				}
			} else {
				add(userinfo)
			}
			add(basicCredentials(userinfo))
		}
	}
	if q := strings.IndexAny(rest, "?#"); q >= 0 {
		for _, pair := range strings.FieldsFunc(rest[q+1:], func(r rune) bool { return r == '&' || r == ';' || r == '#' }) {
			name, value, ok := strings.Cut(pair, "=")
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			if ok && policy.IsSecret(name) {
				add(value)
				if v, err := url.QueryUnescape(value); err == nil {
					add(v)
				}
			}
		}
	}
}
