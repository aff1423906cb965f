package redact

import (
	"strings"
	"testing"
)

func TestIsSecret(t *testing.T) {
	p := NewPolicy("X-Tenant")
	tests := []struct {
		name string
		want bool
	}{
		{"Authorization", true}, {"authorization", true}, {"X-API-Key", true}, {"x-api-key", true},
		{"Cookie", true}, {"Set-Cookie", true}, {"X-Auth-Token", true}, {"api_key", true}, {"key", true},
		{"X-Tenant", true}, {"x-tenant", true}, {"Proxy-Authorization", true}, {"client_secret", true},
		{"Content-Type", false}, {"Accept", false}, {"X-Request-Id", false}, {"model", false}, {"", false}, {"monkey", false},
	}
	for _, tt := range tests {
		if got := p.IsSecret(tt.name); got != tt.want {
			t.Errorf("IsSecret(%q) = %v; want %v", tt.name, got, tt.want)
		}
	}
}

func TestURL(t *testing.T) {
	p := NewPolicy()
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"},
		{"http://127.0.0.1/x?api_key=abc&q=1", "http://127.0.0.1/x?api_key=REDACTED&q=1"},
		{"http://user:pw@127.0.0.1/", "http://user:REDACTED@127.0.0.1/"},
		{"http://tok@127.0.0.1/", "http://REDACTED@127.0.0.1/"},
		{"http://127.0.0.1/%zz", Mask},
	}
	for _, tt := range tests {
		if got := p.URL(tt.in); got != tt.want {
			t.Errorf("URL(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestHeaderValue(t *testing.T) {
	p := NewPolicy("X-Tenant")
	tests := []struct{ in, want string }{
		{"Authorization: Bearer sk-1", "Authorization: [REDACTED]"},
		{"x-api-key:k2", "x-api-key: [REDACTED]"},
		{"X-Tenant: t7", "X-Tenant: [REDACTED]"},
		{"Accept: */*", "Accept: */*"},
		{"Authorization Bearer sk-1", Mask},
	}
	for _, tt := range tests {
		if got := p.HeaderValue(tt.in); got != tt.want {
			t.Errorf("HeaderValue(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzHeaderValue(f *testing.F) {
	f.Add("Authorization: Bearer abc")
	f.Add("X-API-Key:k")
	f.Add("no colon")
	f.Add("Accept: x")
	f.Fuzz(func(t *testing.T, h string) {
		p := NewPolicy()
		out := p.HeaderValue(h)
		name, value, ok := strings.Cut(h, ":")
		value = strings.TrimSpace(value)
		if ok && p.IsSecret(name) && value != "" && strings.Contains(out, value) && !strings.Contains(Mask, value) && !strings.Contains(name, value) {
			t.Errorf("HeaderValue(%q) = %q; leaks the value", h, out)
		}
		if !ok && out != Mask {
			t.Errorf("HeaderValue(%q) = %q; want it masked whole", h, out)
		}
	})
}
