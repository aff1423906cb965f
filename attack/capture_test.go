package attack

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestCaptureBodies checks that an attack keeps the first Capture.Limit
// bytes of the bodies whose status Capture selects, and nothing of the
// others, while every body is still read to its end and counted.
func TestCaptureBodies(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 10_000) // 100 kB
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch n.Add(1) % 3 {
		case 0:
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write(big)
		case 1:
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"detail":"short"}`))
		default:
			w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	o := options(srv.URL+"/x", 100, 500*time.Millisecond)
	o.Capture = Capture{Limit: 1024, Status: func(s uint16) bool { return s >= 400 }}
	a, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint16]int{}
	for at := range a.Attempts() {
		rec := at.Record
		seen[rec.Status]++
		switch rec.Status {
		case 429:
			if !bytes.Equal(at.Body, big[:1024]) || rec.BytesIn != uint64(len(big)) {
				t.Errorf("429: kept %d bytes, counted %d; want the first 1024 of %d", len(at.Body), rec.BytesIn, len(big))
			}
		case 400:
			if string(at.Body) != `{"detail":"short"}` {
				t.Errorf("400: kept %q; want the whole short body", at.Body)
			}
		case 200:
			if at.Body != nil {
				t.Errorf("200: kept %q; want nothing", at.Body)
			}
		}
		if at.Header.Get("Content-Type") != "application/json" || at.Method != "GET" || !strings.HasSuffix(at.URL, "/x") {
			t.Errorf("attempt carries header %v, method %q, URL %q", at.Header, at.Method, at.URL)
		}
		at.Release()
		at.Release() // a second Release does nothing
		if at.Body != nil {
			t.Error("Body still set after Release")
		}
	}
	if seen[429] == 0 || seen[400] == 0 || seen[200] == 0 {
		t.Errorf("statuses seen %v; want 200, 400 and 429", seen)
	}
}

// TestCaptureNothingByDefault checks that the zero Capture keeps no body.
func TestCaptureNothingByDefault(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("boom"))
	}))
	defer srv.Close()
	a, err := Start(options(srv.URL, 50, 200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	for at := range a.Attempts() {
		if at.Body != nil || at.Record.BytesIn != 4 {
			t.Errorf("kept %q, counted %d; want nothing kept, 4 counted", at.Body, at.Record.BytesIn)
		}
	}
}
