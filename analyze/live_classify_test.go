package analyze

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"
)

// TestRunClassifiesAndStoresClasses runs an attack against a target that
// answers in several error dialects, and checks that every record is
// classified, that the result file holds the class and sample frames
// before the records that use them, and that a summary rebuilt from the
// file alone has the same classes and counts as the live one.
func TestRunClassifiesAndStoresClasses(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch n.Add(1) % 4 {
		case 0:
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintf(w, `{"detail": "Rate limit exceeded. Please retry after %d seconds.", "api_key": "sk-secret-123"}`, 1+n.Load()%50)
		case 1:
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error": "Rate Limit Exceeded", "message": "Daily request limit exceeded"}`)
		case 2:
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `{"error": {"code": "internal_error", "message": "Server internal error", "type": "error"}}`)
		default:
			fmt.Fprint(w, `{"ok": true}`)
		}
	}))
	defer srv.Close()
	var buf bytes.Buffer
	cfg := config(srv.URL+"/v1/x", 200, time.Second, &buf)
	classifier, err := classify.New(classify.Options{Secrets: []string{"sk-secret-123"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Classifier = classifier
	out, err := liveRun(context.Background(), context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}

	live := map[string]uint64{}
	for _, st := range out.Summary.ClassStats() {
		live[fmt.Sprintf("%d %s %q %s %t", st.Class.Status, st.Class.Code, st.Class.Pattern, st.Class.Category, st.Class.Retryable)] = st.Count
	}
	want := map[string]bool{
		`429  "Rate limit exceeded. Please retry after # seconds." rate_limit true`: false,
		`429  "Rate Limit Exceeded: Daily request limit exceeded" rate_limit false`: false,
		`500 internal_error "Server internal error" server_error true`:              false,
		`200  "" success false`: false,
	}
	for k := range want {
		if live[k] == 0 {
			t.Errorf("no class %s; classes: %v", k, live)
		}
	}
	if len(live) != len(want) {
		t.Errorf("%d classes %v; want %d", len(live), live, len(want))
	}

	// Read the file: classes come before their records, and rebuild.
	r, err := records.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rebuilt := NewSummary()
	ids := map[uint32]uint32{} // file id → rebuilt table id
	for {
		var rec records.Record
		if err := r.Next(&rec); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if rec.Class == 0 {
			t.Fatalf("record %d is unclassified", rec.Seq)
		}
		if _, ok := ids[rec.Class]; !ok {
			c, ok := r.Class(rec.Class)
			if !ok {
				t.Fatalf("record %d names class %d before its class frame", rec.Seq, rec.Class)
			}
			ids[rec.Class] = rebuilt.ImportClass(c, nil)
		}
		rec.Class = ids[rec.Class]
		rebuilt.Add(&rec)
	}
	for _, st := range rebuilt.ClassStats() {
		k := fmt.Sprintf("%d %s %q %s %t", st.Class.Status, st.Class.Code, st.Class.Pattern, st.Class.Category, st.Class.Retryable)
		if live[k] != st.Count {
			t.Errorf("class %s: %d records in the file; %d live", k, st.Count, live[k])
		}
	}
	samples := 0
	for _, c := range r.Classes() {
		samples += len(c.Samples)
		for _, s := range c.Samples {
			if strings.Contains(s, "sk-secret-123") {
				t.Errorf("class %d sample keeps the secret: %s", c.ID, s)
			}
		}
	}
	if samples < 4 { // three variants of the 429 with a number, one of each other error
		t.Errorf("%d samples in the file; want at least 4", samples)
	}
}
