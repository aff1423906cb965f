package attack

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestScopesOf checks whose limit a request is held to: one endpoint and
// one set of credentials for the scope, the host and credentials for the
// principal, whatever the order of headers and whatever the other headers.
func TestScopesOf(t *testing.T) {
	req := func(method, url string, headers ...string) *http.Request {
		r := httptest.NewRequest(method, url, nil)
		for i := 0; i+1 < len(headers); i += 2 {
			r.Header.Add(headers[i], headers[i+1])
		}
		return r
	}
	base := req("GET", "http://api.test/v1/a", "Authorization", "Bearer k1", "Accept", "*/*")
	scope, principal := scopesOf(base)
	tests := []struct {
		name                     string
		r                        *http.Request
		sameScope, samePrincipal bool
	}{
		{"the same request", req("GET", "http://api.test/v1/a", "Authorization", "Bearer k1"), true, true},
		{"other non-secret headers", req("GET", "http://api.test/v1/a", "Authorization", "Bearer k1", "X-Trace", "42", seqHeader, "7"), true, true},
		{"another key", req("GET", "http://api.test/v1/a", "Authorization", "Bearer k2"), false, false},
		{"another endpoint", req("GET", "http://api.test/v1/b", "Authorization", "Bearer k1"), false, true},
		{"another method", req("POST", "http://api.test/v1/a", "Authorization", "Bearer k1"), false, true},
		{"another host", req("GET", "http://other.test/v1/a", "Authorization", "Bearer k1"), false, false},
		{"a second credential", req("GET", "http://api.test/v1/a", "Authorization", "Bearer k1", "X-Auth-Token", "t"), false, false},
		{"a non-secret query", req("GET", "http://api.test/v1/a?page=2", "Authorization", "Bearer k1"), true, true},
	}
	for _, tc := range tests {
		s, p := scopesOf(tc.r)
		if (s == scope) != tc.sameScope || (p == principal) != tc.samePrincipal {
			t.Errorf("%s: same scope %t, same principal %t; want %t, %t", tc.name, s == scope, p == principal, tc.sameScope, tc.samePrincipal)
		}
	}
	a, _ := scopesOf(req("GET", "http://api.test/v1/a?api_key=one&page=1"))
	b, _ := scopesOf(req("GET", "http://api.test/v1/a?api_key=two&page=1"))
	c, _ := scopesOf(req("GET", "http://api.test/v1/a?page=1&api_key=one"))
	if a == b || a != c {
		t.Errorf("query keys: one/two same scope %t, reordered same scope %t; want false, true", a == b, a == c)
	}
}

// TestScopesOfAllocs guards the transport's hot path: once the names of a
// request have been seen, identifying its scope allocates nothing.
func TestScopesOfAllocs(t *testing.T) {
	r := httptest.NewRequest("GET", "http://api.test/v1/a?api_key=k&page=2", nil)
	r.Header.Set("Authorization", "Bearer k1")
	r.Header.Set("Accept", "*/*")
	scopesOf(r)
	if n := testing.AllocsPerRun(100, func() { scopesOf(r) }); n != 0 {
		t.Errorf("scopesOf allocates %v times per request; want 0", n)
	}
}
