package metrics

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/records"
)

func TestParseAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:9464", true},
		{":9464", true},
		{"localhost:0", true},
		{"[::1]:9464", true},
		{"0.0.0.0:65535", true},
		{"9464", false},
		{"127.0.0.1", false},
		{"127.0.0.1:http", false},
		{"127.0.0.1:65536", false},
		{"127.0.0.1:-1", false},
		{"127.0.0.1:09464", false},
		{"exa mple:9464", false},
		{"", false},
	} {
		if err := ParseAddr(tc.addr); (err == nil) != tc.ok {
			t.Errorf("ParseAddr(%q) = %v; want ok %v", tc.addr, err, tc.ok)
		}
	}
}

// TestServe scrapes a server on a free port: the text exposition parses,
// and only Path is served.
func TestServe(t *testing.T) {
	m := New(Options{})
	srv, err := Listen("127.0.0.1:0", m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	s := m.Sink(nil)
	for _, ev := range []analyze.Event{
		{Kind: analyze.EventBegin, Header: records.Header{RunID: "r9", Shard: "a"}},
		{Kind: analyze.EventRecord, Record: rec(1, 200, "", records.CatSuccess, 0)},
	} {
		if err := s.Observe(&ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(fams[RequestsTotal], map[string]string{"run_id": "r9", "shard": "a", "status": "200"}, "")[""]; got != 1 {
		t.Errorf("scraped %s{status=200} = %v; want 1", RequestsTotal, got)
	}
	other, err := http.Get(strings.TrimSuffix(srv.URL(), Path) + "/")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, other.Body)
	other.Body.Close()
	if other.StatusCode != http.StatusNotFound {
		t.Errorf("GET / = %d; want 404", other.StatusCode)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := http.Get(srv.URL()); err == nil {
		t.Errorf("the server still answers after Close")
	}
}

// TestListenBusy checks that a port in use is an error, not a panic.
func TestListenBusy(t *testing.T) {
	first, err := Listen("127.0.0.1:0", New(Options{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Close() })
	addr := strings.TrimSuffix(strings.TrimPrefix(first.URL(), "http://"), Path)
	if _, err := Listen(addr, New(Options{})); err == nil {
		t.Errorf("Listen(%s) twice succeeded", addr)
	}
}
