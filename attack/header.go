package attack

import (
	"fmt"
	"net/http"
	"strings"
)

// ParseHeader parses one request header given as text.
//
// Grammar:
//
//	header = name ":" [ OWS value ]
//	name   = 1*tchar            ; RFC 9110 token: letters, digits and !#$%&'*+-.^_`|~
//	value  = *( VCHAR / SP / HTAB / obs-text ), surrounding whitespace trimmed
//
// Examples: "Authorization: Bearer abc", "X-Empty:".
func ParseHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("header %q: missing ':' (want 'Name: value', e.g. 'Content-Type: application/json')", s)
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", "", fmt.Errorf("header %q: empty name (want 'Name: value')", s)
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			return "", "", fmt.Errorf("header %q: name %q has invalid character %q (names are letters, digits and !#$%%&'*+-.^_`|~)", s, name, name[i])
		}
	}
	value = strings.TrimSpace(value)
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return "", "", fmt.Errorf("header %q: value has control character %q", s, c)
		}
	}
	return name, value, nil
}

// ParseHeaders parses repeated header flags into an http.Header, keeping
// every value of a repeated name in order.
func ParseHeaders(list []string) (http.Header, error) {
	h := make(http.Header, len(list))
	for _, s := range list {
		name, value, err := ParseHeader(s)
		if err != nil {
			return nil, err
		}
		h.Add(name, value)
	}
	return h, nil
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
