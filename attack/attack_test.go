package attack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/internal/testserver"
	"github.com/stampede-dev/stampede/records"
)

// collect runs an attack to its end and returns every record.
func collect(t *testing.T, o Options) []records.Record {
	t.Helper()
	a, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	var recs []records.Record
	timeout := time.After(60 * time.Second)
	for {
		select {
		case r, ok := <-a.Attempts():
			if !ok {
				return recs
			}
			recs = append(recs, r.Record)
			r.Release()
		case <-timeout:
			a.Stop()
			t.Fatalf("attack did not end within 60s (%d records)", len(recs))
		}
	}
}

func options(url string, rate float64, d time.Duration) Options {
	return Options{
		Targets:   []vegeta.Target{{Method: "GET", URL: url}},
		Shape:     pace.Constant{PerSecond: rate},
		Duration:  d,
		Transport: TransportOptions{Timeout: 5 * time.Second, Connections: 100, KeepAlive: true},
	}
}

func TestAttackRecordsEveryAttempt(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"detail":"slow down"}`)
	}))
	defer srv.Close()
	o := options(srv.URL, 200, 500*time.Millisecond)
	o.Targets[0].Method, o.Targets[0].Body = "POST", []byte("12345")
	recs := collect(t, o)
	if len(recs) != 100 {
		t.Fatalf("records = %d; want 100 (200/s for 500ms)", len(recs))
	}
	seen := map[uint64]bool{}
	for _, r := range recs {
		if r.Status != 429 || r.RetryAfter != "3" || r.BytesIn != 22 || r.BytesOut != 5 || r.ErrorKind != records.ErrNone {
			t.Fatalf("record = %+v; want 429, Retry-After 3, 22 bytes in, 5 out, no transport error", r)
		}
		if r.Attempt != 1 || r.RequestID != r.Seq || seen[r.Seq] {
			t.Fatalf("record = %+v; want attempt 1, request id = unique seq", r)
		}
		seen[r.Seq] = true
		if r.Scheduled.IsZero() || r.Latency < r.Sent {
			t.Fatalf("record = %+v; want a scheduled time and latency >= queueing delay", r)
		}
	}
}

// TestAttackCorrectsCoordinatedOmission: one worker against a 40 ms target
// at 100/s must queue, and the corrected latency must show it while the
// uncorrected one stays near 40 ms. (20 requests take 0.8 s, well within
// the attack's 200 ms plus MaxLateness.)
func TestAttackCorrectsCoordinatedOmission(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(40 * time.Millisecond)
	}))
	defer srv.Close()
	o := options(srv.URL, 100, 200*time.Millisecond)
	o.Workers, o.MaxWorkers = 1, 1
	recs := collect(t, o)
	if len(recs) != 20 {
		t.Fatalf("records = %d; want 20", len(recs))
	}
	var last records.Record
	for _, r := range recs {
		if r.Seq > last.Seq {
			last = r
		}
	}
	// The 20th request is scheduled at 190 ms but can only leave after 19
	// answers of >= 40 ms each: it queued at least 760 ms − 190 ms.
	if last.Sent < 500*time.Millisecond {
		t.Errorf("last request queued %s; want > 500ms", last.Sent)
	}
	if unc := last.Uncorrected(); unc < 40*time.Millisecond || unc > 500*time.Millisecond {
		t.Errorf("uncorrected latency = %s; want about 40ms", unc)
	}
	if last.Latency < last.Sent+40*time.Millisecond {
		t.Errorf("corrected latency = %s; want >= queueing %s + 40ms", last.Latency, last.Sent)
	}
}

// TestAttackEndsWithinMaxLateness: one worker against a 400 ms target at
// 20/s for 300 ms cannot keep up; no request may leave later than the
// duration plus MaxLateness, however long the worker was busy.
func TestAttackEndsWithinMaxLateness(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(400 * time.Millisecond)
	}))
	defer srv.Close()
	o := options(srv.URL, 20, 300*time.Millisecond)
	o.Workers, o.MaxWorkers = 1, 1
	recs := collect(t, o)
	if len(recs) == 0 || len(recs) >= 6 {
		t.Fatalf("records = %d; want some of the 6 planned, not all", len(recs))
	}
	first := recs[0].Scheduled
	for _, r := range recs {
		if r.Scheduled.Before(first) {
			first = r.Scheduled
		}
	}
	for _, r := range recs {
		// Sent is measured from the schedule; the scheduling slack of a
		// loaded machine is well under 200 ms.
		if left := r.Scheduled.Add(r.Sent).Sub(first); left > o.Duration+MaxLateness+200*time.Millisecond {
			t.Errorf("request %d left %s after the start; want within %s + %s", r.Seq, left, o.Duration, MaxLateness)
		}
	}
}

func TestTransportErrorKinds(t *testing.T) {
	// reset: accept, then close with SO_LINGER 0 so the peer gets an RST.
	resetLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer resetLn.Close()
	go func() {
		for {
			c, err := resetLn.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 1024)
			_, _ = c.Read(buf)
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}
	}()

	// timeout: a target slower than the client's timeout.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()

	// tls: a certificate the client does not trust.
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake failures are the point
	tlsSrv.StartTLS()
	defer tlsSrv.Close()

	// reset mid-body: the status line arrives, then the connection dies.
	partial := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		w.Write([]byte("only part"))
		w.(http.Flusher).Flush()
		c, _, _ := http.NewResponseController(w).Hijack()
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
	}))
	defer partial.Close()

	// refused: a port that was just closed, the last one taken, so that
	// none of the servers above is given it again.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedURL := "http://" + ln.Addr().String() + "/"
	ln.Close()

	tests := []struct {
		name     string
		url      string
		insecure bool
		want     records.ErrorKind
		status   uint16
		sent     bool // the request body went out: bytes_out counts it
	}{
		{"refused", refusedURL, false, records.ErrRefused, 0, false},
		{"reset", "http://" + resetLn.Addr().String() + "/", false, records.ErrReset, 0, true},
		{"timeout", slow.URL, false, records.ErrTimeout, 0, true},
		{"tls", tlsSrv.URL, false, records.ErrTLS, 0, false},
		{"tls insecure", tlsSrv.URL, true, records.ErrNone, 200, true},
		{"reset mid-body", partial.URL, false, records.ErrReset, 200, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := options(tt.url, 20, 100*time.Millisecond)
			// Only the timeout case needs a short timeout; the others get
			// a long one, so that a TLS handshake slowed by a loaded
			// machine and -race is not taken for a timeout.
			o.Transport.Timeout = 10 * time.Second
			if tt.want == records.ErrTimeout {
				o.Transport.Timeout = 300 * time.Millisecond
			}
			o.Transport.Insecure = tt.insecure
			o.Targets[0].Method, o.Targets[0].Body = "POST", []byte("hello")
			recs := collect(t, o)
			if len(recs) != 2 {
				t.Fatalf("records = %d; want 2", len(recs))
			}
			wantOut := uint64(0)
			if tt.sent {
				wantOut = 5
			}
			for _, r := range recs {
				if r.ErrorKind != tt.want || r.Status != tt.status || r.BytesOut != wantOut {
					t.Errorf("record kind = %v, status %d, bytes out %d; want %v, %d, %d", r.ErrorKind, r.Status, r.BytesOut, tt.want, tt.status, wantOut)
				}
			}
		})
	}
}

func TestKindOfTypedErrors(t *testing.T) {
	tests := []struct {
		err  error
		want records.ErrorKind
	}{
		{nil, records.ErrNone},
		{&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, records.ErrDNS},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, records.ErrRefused},
		{fmt.Errorf("read: %w", syscall.ECONNRESET), records.ErrReset},
		{io.ErrUnexpectedEOF, records.ErrReset},
		// net/http's unexported errServerClosedIdle, as Transport returns it
		// and as http.Client wraps it.
		{errors.New("http: server closed idle connection"), records.ErrReset},
		{fmt.Errorf("Get \"http://x/\": %w", errors.New("http: server closed idle connection")), records.ErrReset},
		{errors.New("http: server closed idle connection, or not"), records.ErrOther},
		{context.DeadlineExceeded, records.ErrTimeout},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ETIMEDOUT)}, records.ErrTimeout},
		{errors.New("something else"), records.ErrOther},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("KindOf(%v) = %v; want %v", tt.err, got, tt.want)
		}
	}
}

// TestAcceptAndCloseIsReset attacks a server that accepts each connection
// and closes it at once: every attempt fails the same way, so every record
// has the same kind, reset. Depending on whether the server's FIN reaches
// the transport before the request is handed to the connection, net/http
// reports EOF or its untyped "server closed idle connection".
func TestAcceptAndCloseIsReset(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	recs := collect(t, options("http://"+ln.Addr().String()+"/", 1000, 200*time.Millisecond))
	if len(recs) != 200 {
		t.Fatalf("records = %d; want 200", len(recs))
	}
	kinds := map[records.ErrorKind]int{}
	for _, r := range recs {
		kinds[r.ErrorKind]++
	}
	if kinds[records.ErrReset] != len(recs) {
		t.Errorf("kinds %v; want every record reset", kinds)
	}
}

// TestStopDeliversInFlight stops an unbounded attack: every attempt sent
// is delivered and the stream closes.
func TestStopDeliversInFlight(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	a, err := Start(options(srv.URL, 200, 0))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for range a.Attempts() {
		got++
		if got == 50 {
			a.Stop()
			break
		}
	}
	deadline := time.After(30 * time.Second)
	for done := false; !done; {
		select {
		case _, ok := <-a.Attempts():
			if !ok {
				done = true
				break
			}
			got++
		case <-deadline:
			t.Fatal("stream did not close after Stop")
		}
	}
	if uint64(got) != a.Started() {
		t.Errorf("delivered %d records; want every started attempt (%d)", got, a.Started())
	}
}

func TestOptionsValidate(t *testing.T) {
	errs := Options{Duration: -1, MaxWorkers: 1, Workers: 2}.Validate()
	if len(errs) != 4 {
		t.Errorf("Validate() = %v; want 4 problems (targets, shape, duration, workers)", errs)
	}
}

// TestStalledBodyKeepsHeaders: a response whose body times out after its
// headers arrived keeps its status and headers, Retry-After included, for
// classification and the contract checks.
func TestStalledBodyKeepsHeaders(t *testing.T) {
	o := options(testserver.StalledBody429(t).URL, 10, 200*time.Millisecond)
	o.Transport.Timeout = 300 * time.Millisecond
	a, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for at := range a.Attempts() {
		n++
		rec := at.Record
		if rec.Status != 429 || rec.ErrorKind != records.ErrTimeout || rec.RetryAfter != "1" {
			t.Errorf("record status %d, kind %v, Retry-After %q; want 429, timeout, 1", rec.Status, rec.ErrorKind, rec.RetryAfter)
		}
		if got := at.Header.Get("X-RateLimit-Remaining"); got != "0" {
			t.Errorf("attempt's X-RateLimit-Remaining %q (header %v); want 0", got, at.Header)
		}
		at.Release()
	}
	if n != 2 {
		t.Fatalf("attempts = %d; want 2", n)
	}
}
