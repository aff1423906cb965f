// Command benchtarget is a minimal local HTTP target for benchmarks and
// manual runs: it answers every request with a small body, optionally after
// a delay, and prints its address on stdout. It listens on loopback only.
//
// With -stall S -every E it stalls periodically: time is cut into periods
// of E from the moment the server started listening, and the first S of
// each period is a stall window. A request that arrives during a window
// (its handler starts at an offset d with d mod E < S) is held until the
// window ends, then answered; a request arriving outside every window is
// answered at once. So an open-model client sending at a constant rate for
// a whole number of periods sees a share S/E of its requests stalled, for
// times spread evenly over (0, S]: its true stall-inclusive latency
// quantile q (for 1−q < S/E) is S − (1−q)·E, e.g. a p99 of 900 ms for
// -stall 1s -every 10s.
//
// With -log FILE every request is also written to FILE as one line
// "ARRIVAL ANSWER" (Unix times in nanoseconds), flushed every 100 ms, so
// a benchmark can compute what the server saw.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "loopback address to listen on")
	delay := flag.Duration("delay", 0, "delay before each answer")
	stall := flag.Duration("stall", 0, "length of the stall window at the start of each -every period (0: no stall)")
	every := flag.Duration("every", 10*time.Second, "period of the stall windows")
	logPath := flag.String("log", "", "write one line 'ARRIVAL ANSWER' (Unix ns) per request to this file")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		log.Fatalf("benchtarget: -addr %q must be a loopback address such as 127.0.0.1:0", *addr)
	}
	if *stall < 0 || (*stall > 0 && (*every <= 0 || *stall >= *every)) {
		log.Fatalf("benchtarget: -stall %v must be shorter than -every %v", *stall, *every)
	}
	var reqLog *requestLog
	if *logPath != "" {
		f, err := os.Create(*logPath)
		if err != nil {
			log.Fatalf("benchtarget: %v", err)
		}
		reqLog = newRequestLog(f)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("benchtarget: %v", err)
	}
	start := time.Now()
	fmt.Fprintf(os.Stdout, "http://%s/\n", ln.Addr())
	body := []byte(`{"ok":true}`)
	log.Fatal(http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrival := time.Now()
		_, _ = io.Copy(io.Discard, r.Body)
		if *delay > 0 {
			time.Sleep(*delay)
		}
		if *stall > 0 {
			if wait := stallWait(arrival.Sub(start), *stall, *every); wait > 0 {
				time.Sleep(wait)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		if reqLog != nil {
			reqLog.add(arrival, time.Now())
		}
	})))
}

// stallWait returns how long a request arriving at offset d from the start
// waits for the end of the stall window it arrived in: the first stall of
// every period of length every; 0 outside the windows.
func stallWait(d, stall, every time.Duration) time.Duration {
	if stall <= 0 || d < 0 {
		return 0
	}
	if phase := d % every; phase < stall {
		return stall - phase
	}
	return 0
}

// requestLog appends "ARRIVAL ANSWER" lines through a buffer flushed
// periodically.
type requestLog struct {
	mu  sync.Mutex
	w   *bufio.Writer
	buf []byte
}

func newRequestLog(f *os.File) *requestLog {
	l := &requestLog{w: bufio.NewWriterSize(f, 1<<16)}
	go func() {
		for range time.Tick(100 * time.Millisecond) {
			l.mu.Lock()
			_ = l.w.Flush()
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *requestLog) add(arrival, answer time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = strconv.AppendInt(l.buf[:0], arrival.UnixNano(), 10)
	l.buf = append(l.buf, ' ')
	l.buf = strconv.AppendInt(l.buf, answer.UnixNano(), 10)
	l.buf = append(l.buf, '\n')
	_, _ = l.w.Write(l.buf)
}
