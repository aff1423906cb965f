package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stampede-dev/stampede/reports"
)

// hostileDeadline bounds every attack of the hostile suite: a run of 1 or 2
// seconds that takes longer than this hangs.
const hostileDeadline = 30 * time.Second

// hostileResult is what one attack against a hostile target gave.
type hostileResult struct {
	code    int
	doc     reports.JSONSummary
	stdout  string
	stderr  string
	records int // records read back from the result file
}

// attackHostile runs `stampede attack` in-process against url at 20/s for
// 1 s (extra flags override), with a result file and the JSON summary,
// and checks what holds of every hostile target: the run ends within
// hostileDeadline, exits 0 or 1 (never 3, never a panic), prints a JSON
// summary, and its result file holds every attempt it counted.
func attackHostile(t *testing.T, url string, extra ...string) hostileResult {
	t.Helper()
	out := filepath.Join(t.TempDir(), "r.bin")
	args := append([]string{"attack", "--url", url, "--rate", "20/s", "--duration", "1s",
		"-o", out, "--format", "json", "--quiet"}, extra...)
	type ran struct {
		code           int
		stdout, stderr string
		panicked       any
	}
	done := make(chan ran, 1)
	go func() {
		var r ran
		defer func() {
			r.panicked = recover()
			done <- r
		}()
		r.code, r.stdout, r.stderr = runInProcess(t, args...)
	}()
	var r ran
	select {
	case r = <-done:
	case <-time.After(hostileDeadline):
		t.Fatalf("stampede %s did not end within %s", strings.Join(args, " "), hostileDeadline)
	}
	if r.panicked != nil {
		t.Fatalf("stampede panicked: %v", r.panicked)
	}
	if r.code != 0 && r.code != 1 {
		t.Fatalf("exit %d; want 0 or 1\nstderr: %s", r.code, r.stderr)
	}
	res := hostileResult{code: r.code, stdout: r.stdout, stderr: r.stderr}
	if err := json.Unmarshal([]byte(r.stdout), &res.doc); err != nil {
		t.Fatalf("summary is not JSON: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
	}
	_, recs, skipped := readResults(t, out)
	res.records = len(recs)
	if uint64(len(recs)) != res.doc.Requests || res.doc.RecordsWritten != res.doc.Requests || skipped != 0 {
		t.Errorf("result file: %d records (%d bytes skipped), records_written %d; want requests = %d each, 0 skipped",
			len(recs), skipped, res.doc.RecordsWritten, res.doc.Requests)
	}
	var sum uint64
	for _, c := range res.doc.Classes {
		sum += c.Count
	}
	if sum != res.doc.Requests {
		t.Errorf("classes count %d attempts; want requests = %d", sum, res.doc.Requests)
	}
	if res.doc.Interrupted != "" || res.doc.Unanswered != 0 {
		t.Errorf("interrupted %q, unanswered %d; want a run that ended on its own", res.doc.Interrupted, res.doc.Unanswered)
	}
	return res
}

// wantCount checks that stampede counted as many attempts as the server saw.
func (r hostileResult) wantCount(t *testing.T, server int64) {
	t.Helper()
	if r.doc.Requests == 0 || r.doc.Requests != uint64(server) {
		t.Errorf("stampede counted %d requests, the server %d; want equal and > 0", r.doc.Requests, server)
	}
}

// class returns the classes of status and kind ("" for a response).
func (r hostileResult) class(status uint16, kind string) (n uint64, cs []reports.JSONClass) {
	for _, c := range r.doc.Classes {
		if c.Status == status && c.ErrorKind == kind {
			n += c.Count
			cs = append(cs, c)
		}
	}
	return n, cs
}

// wantAll checks that every attempt is of status and kind.
func (r hostileResult) wantAll(t *testing.T, status uint16, kind string) []reports.JSONClass {
	t.Helper()
	n, cs := r.class(status, kind)
	if n != r.doc.Requests {
		t.Errorf("%d of %d attempts have status %d, kind %q; classes: %s", n, r.doc.Requests, status, kind, classList(r.doc.Classes))
	}
	return cs
}

func classList(cs []reports.JSONClass) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, strconv.Itoa(int(c.Status))+"/"+c.ErrorKind+"/"+c.Category+"/"+c.Code+"×"+strconv.FormatUint(c.Count, 10))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// heapPeak samples the heap in use every 5 ms while fn runs and returns its
// growth over the level before: a bound, not a measurement (other tests
// of the package may run meanwhile).
func heapPeak(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(5 * time.Millisecond)
		defer tk.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-tk.C:
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	if peak.Load() < base {
		return 0
	}
	return peak.Load() - base
}

const heapBound = 200 << 20

// zeros is an endless reader of zero bytes: a body generated, never held.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// counted is a handler that counts the requests it receives.
func counted(n *atomic.Int64, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}
}

// quietServer starts an httptest server whose log is discarded: the
// hostile targets' broken connections are the point.
func quietServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// gzipBomb is a gzip stream of 1 GiB of zeros in about 1 MiB: one member
// of 1 MiB of zeros, repeated (a gzip reader reads concatenated members).
var gzipBomb = sync.OnceValue(func() []byte {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return bytes.Repeat(member.Bytes(), 1024)
})

// rawServer listens on 127.0.0.1 and hands each connection that sent
// request bytes to handle, counting them; connections that never send
// (a transport's spare dial) are not counted.
func rawServer(t *testing.T, handle func(net.Conn)) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetReadDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 4096)
				if k, _ := c.Read(buf); k == 0 {
					return
				}
				n.Add(1)
				handle(c)
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/", &n
}

// countingListener counts the connections accepted.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// TestHostileTargets runs stampede against targets that misbehave, each a
// server on 127.0.0.1 that counts what it received: the run ends, its
// counts equal the server's, memory stays bounded and the classes are
// right. The cases that stream much data run one at a time, so that the
// heap they measure is mostly theirs; the others run in parallel.
func TestHostileTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile targets take seconds")
	}
	start := time.Now()
	t.Cleanup(func() { t.Logf("hostile suite: %s", time.Since(start).Round(time.Millisecond)) })

	// 100 MB bodies, streamed: a request either reads the whole body or
	// times out; stampede drains and counts it without keeping it.
	t.Run("100MB body", func(t *testing.T) {
		var n atomic.Int64
		srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(100<<20))
			io.Copy(w, io.LimitReader(zeros{}, 100<<20))
		}))
		var res hostileResult
		grew := heapPeak(func() { res = attackHostile(t, srv.URL, "--rate", "5/s", "--timeout", "3s") })
		res.wantCount(t, n.Load())
		ok, _ := res.class(200, "")
		timedOut := res.doc.TransportErrors["timeout"]
		// A loaded machine may not stream 100 MB within the timeout.
		if ok+timedOut != res.doc.Requests {
			t.Errorf("%d answered 200, %d timed out of %d; want all either: %s", ok, timedOut, res.doc.Requests, classList(res.doc.Classes))
		}
		if res.doc.BytesIn < ok*(100<<20) {
			t.Errorf("bytes_in = %d; want at least 100 MiB for each of %d whole bodies", res.doc.BytesIn, ok)
		}
		t.Logf("%d requests, %d whole bodies, %d MiB in; heap grew %d MiB", res.doc.Requests, ok, res.doc.BytesIn>>20, grew>>20)
		if grew > heapBound {
			t.Errorf("heap grew by %d MiB; want under %d MiB", grew>>20, heapBound>>20)
		}
	})

	// A gzip bomb (1 GiB of zeros in 1 MiB): as a 200, whose body is not
	// read, and as a 400, whose body the classifier inflates up to its
	// limit only.
	for _, status := range []int{200, 400} {
		t.Run("gzip bomb "+strconv.Itoa(status), func(t *testing.T) {
			bomb := gzipBomb()
			var n atomic.Int64
			srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Length", strconv.Itoa(len(bomb)))
				w.WriteHeader(status)
				w.Write(bomb)
			}))
			var res hostileResult
			grew := heapPeak(func() { res = attackHostile(t, srv.URL, "--timeout", "5s") })
			res.wantCount(t, n.Load())
			cs := res.wantAll(t, uint16(status), "")
			if res.doc.BytesIn != res.doc.Requests*uint64(len(bomb)) {
				t.Errorf("bytes_in = %d; want the compressed %d bytes × %d", res.doc.BytesIn, len(bomb), res.doc.Requests)
			}
			if status >= 400 {
				for _, c := range cs {
					if c.Category != "validation" {
						t.Errorf("class %+v: want category validation", c)
					}
					for _, s := range c.Samples {
						if len(s) > 1024 {
							t.Errorf("a sample of %d bytes; want at most 1024", len(s))
						}
					}
				}
				if tb := res.doc.Classification.TruncatedBodies; tb != res.doc.Requests {
					t.Errorf("truncated_bodies = %d; want every one of %d bombs cut at the limit", tb, res.doc.Requests)
				}
			}
			t.Logf("%d requests; heap grew %d MiB", res.doc.Requests, grew>>20)
			if grew > heapBound {
				t.Errorf("heap grew by %d MiB; want under %d MiB", grew>>20, heapBound>>20)
			}
		})
	}

	// Headers: one of 2 MiB is within Go's client limit (10 MiB of
	// response headers, http.Transport's default) and answers; one of
	// 11 MiB is beyond it, a transport failure of kind other; 5000 small
	// ones are within it and answer.
	for _, size := range []int{2 << 20, 11 << 20} {
		t.Run("huge header "+strconv.Itoa(size>>20)+"MiB", func(t *testing.T) {
			big := strings.Repeat("x", size)
			var n atomic.Int64
			srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Huge", big)
				w.WriteHeader(200)
			}))
			var res hostileResult
			// Go's transport holds up to 10 MiB of headers per response
			// in flight (and reads them slowly under -race): a low rate.
			grew := heapPeak(func() { res = attackHostile(t, srv.URL, "--rate", "3/s", "--timeout", "10s") })
			res.wantCount(t, n.Load())
			if size < 10<<20 {
				res.wantAll(t, 200, "")
			} else if other, to := res.doc.TransportErrors["other"], res.doc.TransportErrors["timeout"]; other+to != res.doc.Requests || other == 0 && to == 0 {
				// kind other: "server response headers exceeded"; a loaded
				// machine may not read 10 MiB within the timeout.
				t.Errorf("%d other, %d timeouts of %d; want all other (or timeouts): %s", other, to, res.doc.Requests, classList(res.doc.Classes))
			}
			t.Logf("%d requests; heap grew %d MiB", res.doc.Requests, grew>>20)
			if grew > heapBound {
				t.Errorf("heap grew by %d MiB; want under %d MiB", grew>>20, heapBound>>20)
			}
		})
	}
	t.Run("numerous headers", func(t *testing.T) {
		var n atomic.Int64
		srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
			for i := range 5000 {
				w.Header().Set("X-H-"+strconv.Itoa(i), "v")
			}
			w.Header().Set("Retry-After", "soon") // junk among them
			w.Header().Set("X-RateLimit-Remaining", "-3")
			w.WriteHeader(200)
		}))
		var res hostileResult
		grew := heapPeak(func() { res = attackHostile(t, srv.URL, "--timeout", "5s") })
		res.wantCount(t, n.Load())
		res.wantAll(t, 200, "")
		if grew > heapBound {
			t.Errorf("heap grew by %d MiB; want under %d MiB", grew>>20, heapBound>>20)
		}
	})

	// 1 byte a second: the timeout ends each request, and the run ends.
	t.Run("drip", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int64
		srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			tk := time.NewTicker(time.Second)
			defer tk.Stop()
			for range 10 {
				if _, err := w.Write([]byte("x")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-tk.C:
				}
			}
		}))
		res := attackHostile(t, srv.URL, "--timeout", "2s") // long enough for a loaded machine
		res.wantCount(t, n.Load())
		if to := res.doc.TransportErrors["timeout"]; to != res.doc.Requests {
			t.Errorf("%d of %d timed out; classes %s", to, res.doc.Requests, classList(res.doc.Classes))
		}
		if res.code != 1 || res.doc.Verdict.Pass {
			t.Errorf("exit %d, verdict pass %v; want a failed run (transport failures)", res.code, res.doc.Verdict.Pass)
		}
	})

	// Error bodies that are not valid JSON, nor valid UTF-8: still a class
	// with its status, and a summary that is valid JSON.
	t.Run("invalid JSON and UTF-8", func(t *testing.T) {
		t.Parallel()
		bodies := []string{
			`{"error": {"code": "bad_input", "message": "trunc`,
			"{\"error\": {\"code\": \"bad\xff\xfe\", \"message\": \"caf\xe9 \xc3\x28\"}}",
			"\xff\xfe\xfd not json at all \x80",
			`{"errors": [{"code": 1e999999, "message": }]}`,
		}
		var n atomic.Int64
		srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(422)
			w.Write([]byte(bodies[int(n.Load())%len(bodies)]))
		}))
		res := attackHostile(t, srv.URL)
		res.wantCount(t, n.Load())
		for _, c := range res.wantAll(t, 422, "") {
			if c.Category != "unprocessable" {
				t.Errorf("class %d: category %q; want unprocessable", c.ID, c.Category)
			}
			for _, s := range append([]string{c.Code, c.Message, c.Pattern}, c.Samples...) {
				if !utf8.ValidString(s) {
					t.Errorf("class %d: %q is not valid UTF-8", c.ID, s)
				}
			}
		}
	})

	// A redirect to itself: stampede follows no redirect, so the 302 is
	// the answer, once per request.
	t.Run("redirect loop", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int64
		srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String(), http.StatusFound)
		}))
		res := attackHostile(t, srv.URL)
		res.wantCount(t, n.Load())
		for _, c := range res.wantAll(t, 302, "") {
			if c.Category != "redirect" {
				t.Errorf("class %d: category %q; want redirect", c.ID, c.Category)
			}
		}
	})

	// The status line and part of the body, then an RST: kind reset, with
	// the 200 that arrived.
	t.Run("reset mid-body", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int64
		srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			w.WriteHeader(200)
			w.Write([]byte("only part"))
			w.(http.Flusher).Flush()
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			c.(*net.TCPConn).SetLinger(0)
			c.Close()
		}))
		res := attackHostile(t, srv.URL)
		res.wantCount(t, n.Load())
		res.wantAll(t, 200, "connection_reset")
	})

	// Accept, read the request, close without a word: a transport failure
	// (reset or other: see the stricter check below), counted once each.
	t.Run("accept then close", func(t *testing.T) {
		t.Parallel()
		url, n := rawServer(t, func(net.Conn) {})
		res := attackHostile(t, url)
		res.wantCount(t, n.Load())
		// One failure, one kind: net/http's "server closed idle
		// connection" race is a reset too.
		if reset := res.doc.TransportErrors["connection_reset"]; reset != res.doc.Requests {
			t.Errorf("%d reset of %d; want every attempt: %s", reset, res.doc.Requests, classList(res.doc.Classes))
		}
	})

	// A certificate the client does not trust: kind tls, one handshake
	// per attempt.
	t.Run("bad TLS", func(t *testing.T) {
		t.Parallel()
		var accepted, handled atomic.Int64
		srv := httptest.NewUnstartedServer(counted(&handled, func(http.ResponseWriter, *http.Request) {}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.Listener = countingListener{srv.Listener, &accepted}
		srv.StartTLS()
		t.Cleanup(srv.Close)
		res := attackHostile(t, srv.URL)
		res.wantCount(t, accepted.Load())
		res.wantAll(t, 0, "tls")
		if handled.Load() != 0 {
			t.Errorf("the handler ran %d times; want none", handled.Load())
		}
	})

	// A 429 with a valid Retry-After longer than the run: the contract
	// holds, and the run passes.
	t.Run("429 with Retry-After", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int64
		srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(429)
			w.Write([]byte(`{"error": {"code": "rate_limited", "message": "slow down"}}`))
		}))
		res := attackHostile(t, srv.URL)
		res.wantCount(t, n.Load())
		for _, c := range res.wantAll(t, 429, "") {
			if c.Category != "rate_limit" || !c.Retryable || c.Code != "rate_limited" {
				t.Errorf("class %+v: want rate_limit, retryable, code rate_limited", c)
			}
		}
		rl := res.doc.RateLimit
		if rl == nil {
			t.Fatal("no rate_limit in the summary")
		}
		if rl.Errors != 0 || rl.RetryAfterForms["delay-seconds"] != res.doc.Requests {
			t.Errorf("contract errors %d, delay-seconds Retry-After %d; want 0, %d", rl.Errors, rl.RetryAfterForms["delay-seconds"], res.doc.Requests)
		}
		if res.code != 0 || !res.doc.Verdict.Pass {
			t.Errorf("exit %d, verdict %+v; want a passing run", res.code, res.doc.Verdict.Reasons)
		}
	})

	// A 429 whose body stalls past the timeout: the run ends, every
	// attempt is counted as a timeout, and its headers are checked.
	t.Run("429 with stalled body", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int64
		srv := quietServer(t, counted(&n, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(429)
			w.Write([]byte(`{"error": `))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}))
		res := attackHostile(t, srv.URL, "--timeout", "2s") // long enough for a loaded machine
		res.wantCount(t, n.Load())
		if to := res.doc.TransportErrors["timeout"]; to != res.doc.Requests {
			t.Errorf("%d of %d timed out; classes %s", to, res.doc.Requests, classList(res.doc.Classes))
		}
		// The status that arrived before the stall is kept with the timeout.
		res.wantAll(t, 429, "timeout")
		// Its headers reach the contract checks all the same.
		rl := res.doc.RateLimit
		if rl == nil {
			t.Fatal("no rate_limit in the summary")
		}
		checked := int64(-1)
		for _, r := range rl.Rules {
			if r.ID == "retry-after-on-429" {
				checked = int64(r.Checked)
			}
		}
		if checked != int64(res.doc.Requests) || rl.RetryAfterForms["delay-seconds"] != res.doc.Requests {
			t.Errorf("retry-after-on-429 checked %d, delay-seconds Retry-After %d; want %d both", checked, rl.RetryAfterForms["delay-seconds"], res.doc.Requests)
		}
	})

	// A target that dies (its listener and connections closed) and comes
	// back on the same port: refused during the gap, answers before and
	// after it, and every answer the server gave is counted.
	t.Run("dies and comes back", func(t *testing.T) {
		t.Parallel()
		var n atomic.Int64
		h := counted(&n, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		first := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
		go first.Serve(ln)
		var second atomic.Pointer[http.Server]
		var back atomic.Int64 // when the target listened again, Unix ns
		cycled := make(chan error, 1)
		go func() {
			// Die after 5 answers, come back 600 ms later; bounded.
			for i := 0; n.Load() < 5 && i < 1000; i++ {
				time.Sleep(5 * time.Millisecond)
			}
			first.Close()
			time.Sleep(600 * time.Millisecond)
			ln2, err := net.Listen("tcp", addr)
			if err != nil {
				cycled <- err
				return
			}
			s := &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}
			second.Store(s)
			back.Store(time.Now().UnixNano())
			cycled <- nil
			s.Serve(ln2)
		}()
		t.Cleanup(func() {
			first.Close()
			if s := second.Load(); s != nil {
				s.Close()
			}
		})
		res := attackHostile(t, "http://"+addr+"/", "--duration", "2s", "--timeout", "3s")
		if err := <-cycled; err != nil {
			t.Fatalf("listening again on %s: %v", addr, err)
		}
		ok, _ := res.class(200, "")
		if ok != uint64(n.Load()) {
			t.Errorf("%d answered 200, the server answered %d", ok, n.Load())
		}
		var failed uint64
		for _, v := range res.doc.TransportErrors {
			failed += v
		}
		refused := res.doc.TransportErrors["connection_refused"]
		t.Logf("%d requests: %d answered, %d refused, %d failed in all", res.doc.Requests, ok, refused, failed)
		if ok+failed != res.doc.Requests || refused == 0 {
			t.Errorf("%d answered, %d failed (%d refused) of %d; want all one or the other, some refused: %s",
				ok, failed, refused, res.doc.Requests, classList(res.doc.Classes))
		}
		// Answers came back after the refusals began.
		var firstRefused, lastOK *time.Time
		for _, c := range res.doc.Classes {
			switch {
			case c.ErrorKind == "connection_refused":
				firstRefused = c.FirstSeen
			case c.Status == 200 && c.ErrorKind == "":
				lastOK = c.LastSeen
			}
		}
		// On a loaded machine the target may come back too late in the
		// run for an answer: judged only with half a second of sends left.
		var sendsEnd time.Time
		if res.doc.StartedAt != nil {
			sendsEnd = res.doc.StartedAt.Add(2 * time.Second)
		}
		if b := time.Unix(0, back.Load()); back.Load() == 0 || sendsEnd.Sub(b) < 500*time.Millisecond {
			t.Logf("the target came back %s before the last send: too late to judge the answers after it", sendsEnd.Sub(b))
		} else if firstRefused == nil || lastOK == nil || !lastOK.After(*firstRefused) {
			t.Errorf("first refusal %v, last answer %v; want answers after the target came back", firstRefused, lastOK)
		}
		if res.doc.Requests != 40 {
			t.Errorf("requests = %d; want the 40 of 2 s at 20/s", res.doc.Requests)
		}
	})
}
