// Package testserver holds local targets that several packages' tests
// attack: hostile behaviours written once. Tests import it; nothing else
// does.
package testserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// StalledBody429 starts a server on 127.0.0.1 that answers 429 with
// Retry-After and X-RateLimit headers and a Content-Length of 100, then
// stalls its body until the client gives up (at most 5 s). It is closed
// when the test ends.
func StalledBody429(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Retry-After", "1")
		h.Set("X-RateLimit-Limit", "10")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", "1")
		h.Set("Content-Length", "100")
		w.WriteHeader(http.StatusTooManyRequests)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}
