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

func TestArgs(t *testing.T) {
	p := NewPolicy("X-Tenant")
	in := []string{"stampede", "attack", "-H", "Authorization: Bearer sk-1", "--header=X-API-Key: k2", "-HCookie: c3",
		"-H", "Accept: */*", "--body", `{"password":"p4"}`, "--url", "http://u:p5@127.0.0.1/?token=t6", "-H", "X-Tenant: t7", "--rate", "5/s"}
	got := p.Args(in)
	joined := strings.Join(got, " ")
	for _, secret := range []string{"sk-1", "k2", "c3", "p4", "p5", "t6", "t7"} {
		if strings.Contains(joined, secret) {
			t.Errorf("Args(...) = %q; leaks %q", joined, secret)
		}
	}
	for _, kept := range []string{"Authorization: [REDACTED]", "--header=X-API-Key: [REDACTED]", "Accept: */*", "--rate 5/s", "127.0.0.1"} {
		if !strings.Contains(joined, kept) {
			t.Errorf("Args(...) = %q; want it to keep %q", joined, kept)
		}
	}
	if in[3] != "Authorization: Bearer sk-1" {
		t.Errorf("Args modified its input: %q", in[3])
	}
}

func FuzzArgs(f *testing.F) {
	f.Add("-H", "Authorization: Bearer abc")
	f.Add("--url", "http://a:b@127.0.0.1/?token=x")
	f.Add("--body", "secret")
	f.Add("-H", "no colon")
	f.Fuzz(func(t *testing.T, flag, value string) {
		p := NewPolicy()
		out := p.Args([]string{flag, value})
		if len(out) != 2 {
			t.Fatalf("Args changed the number of arguments: %q", out)
		}
		if (flag == "-H" || flag == "--header") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(value)), "authorization:") {
			if strings.Contains(out[1], value[strings.Index(value, ":")+1:]) && strings.TrimSpace(value[strings.Index(value, ":")+1:]) != "" && !strings.Contains(Mask, strings.TrimSpace(value[strings.Index(value, ":")+1:])) {
				t.Errorf("Args(%q, %q) = %q; leaks the authorization value", flag, value, out)
			}
		}
	})
}
