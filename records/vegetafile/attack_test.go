package vegetafile

import (
	"bytes"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
)

// TestRealAttack runs a short vegeta attack on a local server, stores the
// results with vegeta's gob encoder as "vegeta attack" does, reads them back
// and compares with what vegeta's own Metrics computes from the same results.
func TestRealAttack(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seq, _ := strconv.Atoi(r.Header.Get("X-Vegeta-Seq"))
		switch {
		case seq%5 == 1:
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = io.WriteString(w, rateLimitBody)
		case seq%7 == 3:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(srv.Close)

	atk := vegeta.NewAttacker(vegeta.Timeout(5 * time.Second))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: srv.URL + "/items"})
	var (
		buf bytes.Buffer
		m   vegeta.Metrics
	)
	enc := vegeta.NewEncoder(&buf)
	for res := range atk.Attack(tr, vegeta.Rate{Freq: 100, Per: time.Second}, 500*time.Millisecond, "local") {
		if err := enc.Encode(res); err != nil {
			t.Fatal(err)
		}
		m.Add(res)
	}
	m.Close()
	if m.Requests < 40 {
		t.Fatalf("the attack made %d requests; want about 50", m.Requests)
	}

	r := mustReader(t, buf.Bytes())
	if r.Encoding() != Gob {
		t.Errorf("Encoding() = %q; want gob", r.Encoding())
	}
	got, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	var (
		codes    = map[string]int{}
		errs     = map[string]bool{}
		bytesIn  uint64
		total    time.Duration
		maxLat   time.Duration
		earliest = got[0].Record.Scheduled
	)
	for _, g := range got {
		rec := &g.Record
		codes[strconv.Itoa(int(rec.Status))]++
		if g.Error != "" {
			errs[g.Error] = true
		}
		bytesIn += rec.BytesIn
		total += rec.Latency
		maxLat = max(maxLat, rec.Latency)
		if rec.Scheduled.Before(earliest) {
			earliest = rec.Scheduled
		}
		if rec.ErrorKind != records.ErrNone {
			t.Errorf("seq %d: ErrorKind = %v; want none, every request got a response", rec.Seq, rec.ErrorKind)
		}
		if rec.Status == http.StatusTooManyRequests && (g.ContentType != "application/json" || string(g.Body) != rateLimitBody || rec.RetryAfter != "1") {
			t.Errorf("seq %d: 429 with Content-Type %q, Retry-After %q, body %q", rec.Seq, g.ContentType, rec.RetryAfter, g.Body)
		}
		if g.Method != http.MethodGet || g.URL != srv.URL+"/items" {
			t.Errorf("seq %d: %s %s", rec.Seq, g.Method, g.URL)
		}
	}
	if uint64(len(got)) != m.Requests {
		t.Errorf("read %d results; vegeta counted %d requests", len(got), m.Requests)
	}
	if !maps.Equal(codes, m.StatusCodes) {
		t.Errorf("status counts = %v; vegeta's = %v", codes, m.StatusCodes)
	}
	if want := m.Errors; !slices.Equal(slices.Sorted(maps.Keys(errs)), slices.Sorted(slices.Values(want))) {
		t.Errorf("errors = %v; vegeta's = %v", slices.Sorted(maps.Keys(errs)), want)
	}
	if bytesIn != m.BytesIn.Total || total != m.Latencies.Total || maxLat != m.Latencies.Max {
		t.Errorf("bytes in %d, total latency %v, max %v; vegeta's %d, %v, %v", bytesIn, total, maxLat, m.BytesIn.Total, m.Latencies.Total, m.Latencies.Max)
	}
	if !earliest.Equal(m.Earliest) {
		t.Errorf("earliest = %v; vegeta's = %v", earliest, m.Earliest)
	}
}
