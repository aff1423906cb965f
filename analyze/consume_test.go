package analyze

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// mixedTarget answers like a rate-limited API: successes with rate-limit
// headers, 429s with and without Retry-After (a contract violation, with
// evidence), errors in two dialects whose messages vary (samples), and
// now and then a body cut short.
func mixedTarget(t *testing.T) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-RateLimit-Limit", "100")
		switch i % 7 {
		case 1:
			h.Set("X-RateLimit-Remaining", "0")
			if i%2 == 1 {
				h.Set("Retry-After", "1")
			}
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintf(w, `{"error": {"code": "rate_limit_exceeded", "message": "Retry after %d seconds"}}`, 1+i%3)
		case 2:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"detail": "The 'field_%d' field is required."}`, i%4)
		case 3:
			if i%3 == 0 { // a body cut short: a transport failure after the status
				h.Set("Content-Length", "100")
				w.WriteHeader(http.StatusOK)
				fmt.Fprint(w, `{"ok"`)
				w.(http.Flusher).Flush()
				if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
					c.(*net.TCPConn).SetLinger(0)
					c.Close()
				}
				return
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"detail": "Service temporarily unavailable."}`)
		default:
			h.Set("X-RateLimit-Remaining", strconv.FormatInt(99-i%100, 10))
			fmt.Fprint(w, `{"ok": true}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestLiveAndReplayGiveEqualRuns is the promise of the one consume loop: a
// live run and the replay of the result file it wrote give equal Runs,
// summary, classes, samples, timeline, contract checks and how the run
// ended alike. Only where the records came from differs: a live run read
// no file.
func TestLiveAndReplayGiveEqualRuns(t *testing.T) {
	for _, tc := range []struct {
		name      string
		duration  time.Duration
		interrupt bool
	}{
		{"to the end", 800 * time.Millisecond, false},
		{"interrupted", 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := mixedTarget(t)
			path := filepath.Join(t.TempDir(), "r.bin")
			file, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg := config(srv.URL+"/v1/items", 200, tc.duration, file)
			cfg.Header.Pacer, cfg.Header.RunID, cfg.Header.Shard, cfg.Header.Duration = "constant 200/s", "run-1", "a", tc.duration
			cfg.Name = func(at *records.Attempt) string { // three requests, and some without a name
				return []string{"list items", "GET /v1/items", "", "create item"}[at.Record.Seq%4]
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.interrupt {
				time.AfterFunc(700*time.Millisecond, cancel)
			}
			live, err := liveRun(ctx, context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := file.Close(); err != nil {
				t.Fatal(err)
			}
			replayed, err := load(context.Background(), []string{path}, FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if live.Summary.Requests < 100 || len(live.Summary.ClassStats()) < 5 || live.Contract == nil {
				t.Fatalf("live run of %d requests in classes %s, contract %t: too small a fixture", live.Summary.Requests, classesOf(live.Summary), live.Contract != nil)
			}
			if errs, _ := live.Contract.Violations(); errs == 0 {
				t.Fatal("no contract violation in the live run: the fixture's 429s without Retry-After were missed")
			}
			if (live.Interrupted != "") != tc.interrupt {
				t.Fatalf("live run interrupted %q; want interrupted %v", live.Interrupted, tc.interrupt)
			}
			if !slices0(replayed.Sources, path) || replayed.ResultFiles != 1 {
				t.Errorf("replay read %v (%d result files); want [%s]", replayed.Sources, replayed.ResultFiles, path)
			}
			if !live.Live || replayed.Live {
				t.Errorf("live run says Live %v, its replay %v", live.Live, replayed.Live)
			}
			replayed.Sources, replayed.ResultFiles, replayed.Live = nil, 0, true // where the records came from
			if diff := runDiff(live, replayed); diff != "" {
				t.Errorf("live and replayed runs differ: %s", diff)
			}
			requests := live.Summary.RequestStats()
			if len(requests) != 3 || requests[0].Count+requests[1].Count+requests[2].Count >= live.Summary.Requests {
				t.Fatalf("live run's requests %s; want 3 names, and records without one in none", requestsOf(live.Summary))
			}
			if !reflect.DeepEqual(requests, replayed.Summary.RequestStats()) {
				t.Errorf("per-request stats differ: live %s, replayed %s", requestsOf(live.Summary), requestsOf(replayed.Summary))
			}
		})
	}
}

// requestsOf lists the requests of a summary with their counts.
func requestsOf(s *Summary) string {
	var b bytes.Buffer
	for _, r := range s.RequestStats() {
		fmt.Fprintf(&b, "[%s: %d, %d ok, %v, classes %v] ", r.Name, r.Count, r.Successes, r.Status, r.Classes)
	}
	return b.String()
}

// slices0 reports whether list is exactly [s].
func slices0(list []string, s string) bool { return len(list) == 1 && list[0] == s }

// runDiff names the fields of two runs that differ, "" if none does; the
// summary's fields one by one.
func runDiff(a, b Run) string {
	var diffs []string
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		name := va.Type().Field(i).Name
		if name == "Summary" {
			sa, sb := reflect.ValueOf(a.Summary).Elem(), reflect.ValueOf(b.Summary).Elem()
			for j := range sa.NumField() {
				if !sa.Type().Field(j).IsExported() {
					continue // left to the whole comparison below
				}
				if !reflect.DeepEqual(sa.Field(j).Interface(), sb.Field(j).Interface()) {
					diffs = append(diffs, "Summary."+sa.Type().Field(j).Name)
				}
			}
			continue
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			diffs = append(diffs, fmt.Sprintf("%s (%v vs %v)", name, va.Field(i).Interface(), vb.Field(i).Interface()))
		}
	}
	if len(diffs) == 0 && !reflect.DeepEqual(a, b) {
		diffs = append(diffs, "unexported state")
	}
	var buf bytes.Buffer
	for i, d := range diffs {
		if i > 0 {
			buf.WriteString("; ")
		}
		buf.WriteString(d)
	}
	return buf.String()
}
