package attack

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ParseHeader parses one request header given as text. Its errors never
// quote the header's value, which may be a credential.
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
		return "", "", errors.New("missing ':' (want 'Name: value', e.g. 'Content-Type: application/json')")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return "", "", errors.New("empty name (want 'Name: value')")
	}
	for i := 0; i < len(name); i++ {
		if !isTokenChar(name[i]) {
			// The "name" may be a value missing its colon: say where, not what.
			return "", "", fmt.Errorf("invalid character %q at position %d of the name (names are letters, digits and !#$%%&'*+-.^_`|~; want 'Name: value')", name[i], i+1)
		}
	}
	value = strings.TrimSpace(value)
	for i := 0; i < len(value); i++ {
		if c := value[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return "", "", fmt.Errorf("%s: control character %q in the value", name, c)
		}
	}
	return name, value, nil
}

// ParseHeaders parses repeated header flags into an http.Header, keeping
// every value of a repeated name in order. An error names the header by its
// position (1-based).
func ParseHeaders(list []string) (http.Header, error) {
	h := make(http.Header, len(list))
	for i, s := range list {
		name, value, err := ParseHeader(s)
		if err != nil {
			return nil, fmt.Errorf("header %d: %w", i+1, err)
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
