package attack

import (
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	tests := []struct {
		in, name, value, err string
	}{
		{in: "Content-Type: application/json", name: "Content-Type", value: "application/json"},
		{in: "Authorization:Bearer x", name: "Authorization", value: "Bearer x"},
		{in: "X-Empty:", name: "X-Empty", value: ""},
		{in: "  X-Pad  :  v  ", name: "X-Pad", value: "v"},
		{in: "X-Colon: a:b:c", name: "X-Colon", value: "a:b:c"},
		{in: "NoColon", err: "missing ':'"},
		{in: ": value", err: "empty name"},
		{in: "Bad Name: x", err: "invalid character ' ' at position 4"},
		{in: "Authorization Bearer sk-1", err: "missing ':'"},
		{in: "X-Ctl: a\x01b", err: "X-Ctl: control character"},
		{in: "X-NL: a\nb", err: "control character"},
	}
	for _, tt := range tests {
		name, value, err := ParseHeader(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseHeader(%q) = %v; want error containing %q", tt.in, err, tt.err)
			}
			if _, v, _ := strings.Cut(tt.in, ":"); err != nil && len(strings.TrimSpace(v)) > 5 && strings.Contains(err.Error(), strings.TrimSpace(v)) {
				t.Errorf("ParseHeader(%q) = %v; the error quotes the value", tt.in, err)
			}
			continue
		}
		if err != nil || name != tt.name || value != tt.value {
			t.Errorf("ParseHeader(%q) = %q, %q, %v; want %q, %q", tt.in, name, value, err, tt.name, tt.value)
		}
	}
}

func TestParseHeadersKeepsRepeats(t *testing.T) {
	h, err := ParseHeaders([]string{"Accept: a", "accept: b", "X-One: 1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.Values("Accept"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Values(Accept) = %q; want [a b]", got)
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"A: b", "Authorization: Bearer x", ":", "x:y:z", "Bad Name: x", "X: \x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, value, err := ParseHeader(s)
		if err != nil {
			return
		}
		// Round trip: what parsed prints back to the same header.
		n2, v2, err := ParseHeader(name + ": " + value)
		if err != nil || n2 != name || v2 != value {
			t.Errorf("ParseHeader(%q) = %q, %q; reparse = %q, %q, %v", s, name, value, n2, v2, err)
		}
		if name == "" || strings.ContainsAny(name, " :\t\r\n") || strings.ContainsAny(value, "\r\n") {
			t.Errorf("ParseHeader(%q) = %q, %q: invalid result", s, name, value)
		}
	})
}
