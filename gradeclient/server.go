package gradeclient

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// maxRecorded bounds the attempts a server keeps: a client that retries
// without end is stopped long before (MaxAttempts), this bounds the
// memory of one that floods between two checks.
const maxRecorded = 1000

// SuccessBody is the body of the recovered server's 200: an
// OpenAI-compatible chat completion, so that clients written for the seed
// APIs read it as they read a real answer.
const SuccessBody = `{"id":"grade-client","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`

// errorBody is the JSON error body of a step without a body of its own:
// the shape the seed APIs document ({"error": {"message", "type"}}).
func errorBody(status int) string {
	return fmt.Sprintf(`{"error":{"message":"scripted %d from stampede grade-client","type":"%s","code":%d}}`,
		status, http.StatusText(status), status)
}

// Server answers attempt n of a scenario with its step n, and after the
// steps with the scenario's Then, recording every attempt. It is an
// http.Handler; one Server serves one run of one scenario, so attempts
// count from 1.
type Server struct {
	scenario Scenario
	proxy    *httputil.ReverseProxy // nil: answer 200 on recovery
	now      func() time.Time

	mu       sync.Mutex
	idle     *sync.Cond // signalled when active falls to 0
	active   int        // handlers running
	closed   bool       // drain has begun: no attempt is recorded after
	attempts []Attempt
	seen     int           // requests received, recorded or not
	over     chan struct{} // closed when seen exceeds MaxAttempts
	overOnce sync.Once
}

// NewServer returns the scripted server of a scenario. With a non-nil
// upstream it is a reverse proxy: the script's faults are answered by it,
// and every request once the script is spent (Then recover) goes to the
// upstream.
func NewServer(s Scenario, upstream *url.URL) *Server {
	srv := &Server{scenario: s, now: time.Now, over: make(chan struct{})}
	srv.idle = sync.NewCond(&srv.mu)
	if upstream != nil {
		p := httputil.NewSingleHostReverseProxy(upstream)
		director := p.Director
		p.Director = func(r *http.Request) {
			director(r)
			r.Host = upstream.Host
		}
		srv.proxy = p
	}
	return srv
}

// Over is closed once the client has sent more than MaxAttempts requests.
func (s *Server) Over() <-chan struct{} { return s.over }

// Attempts returns a copy of the attempts recorded so far.
func (s *Server) Attempts() []Attempt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Attempt(nil), s.attempts...)
}

// step returns the step for attempt n (1-based) and whether it is scripted
// (false: the server has recovered).
func (s *Server) step(n int) (Step, bool) {
	steps := s.scenario.Steps
	switch {
	case n <= len(steps):
		return steps[n-1], true
	case s.scenario.Then == Repeat && len(steps) > 0:
		return steps[len(steps)-1], true
	}
	return Step{Status: http.StatusOK}, false
}

// ServeHTTP answers one attempt.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := s.now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "grade-client: the run is over", http.StatusServiceUnavailable)
		return
	}
	s.active++
	s.seen++
	n := s.seen
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.active--; s.active == 0 {
			s.idle.Broadcast()
		}
		s.mu.Unlock()
	}()
	if n > MaxAttempts {
		s.overOnce.Do(func() { close(s.over) })
	}
	st, scripted := s.step(n)
	a := Attempt{Arrived: arrived}
	if !scripted && s.proxy != nil {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		s.proxy.ServeHTTP(rec, r)
		a.Status = rec.status
	} else {
		a = s.answer(w, r, st, a, scripted)
	}
	a.Ended = s.now()
	s.mu.Lock()
	if len(s.attempts) < maxRecorded {
		s.attempts = append(s.attempts, a)
	}
	s.mu.Unlock()
}

// answer writes a step's answer, after its delay, and returns the attempt
// with what was sent.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, st Step, a Attempt, scripted bool) Attempt {
	if st.Delay > 0 {
		t := time.NewTimer(st.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	h := w.Header()
	for _, k := range sortedHeaderKeys(st.Header) {
		h[k] = st.Header[k]
	}
	body := st.Body
	switch {
	case !scripted:
		body = SuccessBody
	case body == "":
		body = errorBody(st.Status)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	a.Status, a.RetryAfter = st.Status, st.RetryAfter.Form
	if st.RetryAfter.Form != NoRetryAfter {
		now := s.now()
		a.Header = st.RetryAfter.Value(now)
		h.Set("Retry-After", a.Header)
		switch st.RetryAfter.Form {
		case RetryAfterSeconds:
			a.Wait = st.RetryAfter.Wait
		case RetryAfterDate:
			a.NotBefore = now.Add(st.RetryAfter.Wait).Truncate(time.Second)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(st.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return a
}

// drain waits for the handlers running to record their attempts, and
// refuses any later request: after it, Attempts is final.
func (s *Server) drain() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for s.active > 0 {
		s.idle.Wait()
	}
}

// statusWriter records the status the proxied upstream answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// started is a Server listening on 127.0.0.1.
type started struct {
	*Server
	url   string
	close func()
}

// start serves s on a free port of 127.0.0.1.
func start(ctx context.Context, s *Server) (started, error) {
	ln, err := listenLocal(ctx)
	if err != nil {
		return started{}, err
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(ln)
	}()
	return started{Server: s, url: "http://" + ln.Addr().String(), close: func() {
		_ = hs.Close() // closes the connections: a delayed answer's wait ends
		<-done
		s.drain()
	}}, nil
}
