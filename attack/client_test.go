package attack

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestNewClient: the client the probe sends with is an attack's: it
// follows no redirect, times out as told and asks for no compression.
func TestNewClient(t *testing.T) {
	var encodings []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encodings = append(encodings, r.Header.Get("Accept-Encoding"))
		if r.URL.Path == "/" {
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		}
	}))
	defer srv.Close()
	c, err := NewClient(TransportOptions{Timeout: 3 * time.Second, Connections: 2, KeepAlive: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout != 3*time.Second {
		t.Errorf("timeout %s; want 3s", c.Timeout)
	}
	resp, err := c.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || len(encodings) != 1 || encodings[0] != "" {
		t.Errorf("status %d after %d requests, Accept-Encoding %q; want the 302 itself, one request, none", resp.StatusCode, len(encodings), encodings)
	}
}
