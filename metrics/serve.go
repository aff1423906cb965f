package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Path is where a Server serves the metrics.
const Path = "/metrics"

// ParseAddr checks a listen address: HOST:PORT, where HOST may be empty
// (every interface), an IP address or a name, and PORT is 0 to 65535 (0
// for any free port).
func ParseAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want HOST:PORT, such as 127.0.0.1:9464 or :9464")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || strconv.FormatUint(n, 10) != port {
		return fmt.Errorf("port %q: want a number from 0 to 65535", port)
	}
	if ip := net.ParseIP(host); ip == nil && host != "" && !validHost(host) {
		return fmt.Errorf("host %q: want an IP address or a host name", host)
	}
	return nil
}

// validHost reports whether s may be a host name: letters, digits, dots,
// hyphens and underscores.
func validHost(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Server serves a Metrics over HTTP on Path; anything else is not found.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{} // closed when Serve has returned
}

// Listen binds addr (checked with ParseAddr) and serves m there until
// Close.
func Listen(addr string, m *Metrics) (*Server, error) {
	if err := ParseAddr(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(Path, m.Handler())
	s := &Server{
		// Scrapers are trusted no more than any client: a slow one is cut.
		srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second},
		ln:  ln, done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // ErrServerClosed once Close is called; nothing else ends it
	}()
	return s, nil
}

// URL is where the metrics are served, with the port bound: for
// 127.0.0.1:0, http://127.0.0.1:41234/metrics.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + Path }

// shutdownGrace is how long Close lets a scrape in progress finish.
const shutdownGrace = time.Second

// Close stops serving: a scrape in progress gets up to a second to
// finish.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	<-s.done
	return err
}
