package vegetafile

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
)

// encoders are vegeta's own encoders, by encoding.
var encoders = []struct {
	name string
	new  func(io.Writer) vegeta.Encoder
}{
	{Gob, vegeta.NewEncoder},
	{JSON, vegeta.NewJSONEncoder},
	{CSV, vegeta.NewCSVEncoder},
}

// sample is a vegeta result and the error kind a Reader must give it.
type sample struct {
	res  vegeta.Result
	kind records.ErrorKind
}

const rateLimitBody = `{"error":{"code":"rate_limited","message":"slow down"}}`

// samples returns results the way vegeta's attacker fills them: every kind of
// outcome, a body longer than MaxBody, and a result without method and URL as
// older vegeta versions wrote. Timestamps are in a zone other than UTC.
func samples() []sample {
	start := time.Date(2024, 3, 1, 12, 0, 0, 123456789, time.FixedZone("CET", 3600))
	big := bytes.Repeat([]byte("0123456789abcdef"), MaxBody/16+1)
	const url = "http://127.0.0.1:8080/items"
	mk := func(seq uint64, code uint16, errText string, body []byte, h http.Header) vegeta.Result {
		r := vegeta.Result{
			Attack:    "smoke",
			Seq:       seq,
			Code:      code,
			Timestamp: start.Add(time.Duration(seq) * 10 * time.Millisecond),
			Latency:   time.Duration(seq+1)*time.Millisecond + 7,
			BytesOut:  seq * 3,
			BytesIn:   uint64(len(body)),
			Error:     errText,
			Body:      body,
			Method:    http.MethodGet,
			URL:       url,
			Headers:   h,
		}
		return r
	}
	plain := http.Header{"Content-Type": {"text/plain; charset=utf-8"}}
	jsonHdr := http.Header{"Content-Type": {"application/json"}, "Retry-After": {"2"}}
	gzipHdr := http.Header{"Content-Type": {"application/json"}, "Content-Encoding": {"gzip"}}
	old := mk(12, 200, "", []byte("ok"), plain)
	old.Method, old.URL = "", ""
	return []sample{
		{mk(0, 200, "", []byte("ok"), plain), records.ErrNone},
		{mk(1, 429, "429 Too Many Requests", []byte(rateLimitBody), jsonHdr), records.ErrNone},
		{mk(2, 200, "", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"), gzipHdr), records.ErrNone},
		{mk(3, 503, "503 Service Unavailable", nil, nil), records.ErrNone},
		{mk(4, 0, `Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused`, nil, nil), records.ErrRefused},
		{mk(5, 0, `Get "http://127.0.0.1:8080/items": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`, nil, nil), records.ErrTimeout},
		{mk(6, 429, "429 Too Many Requests", []byte(rateLimitBody), jsonHdr), records.ErrNone},
		{mk(7, 0, `Get "http://nosuch.invalid/": dial tcp: lookup nosuch.invalid: no such host`, nil, nil), records.ErrDNS},
		{mk(8, 0, `Get "https://127.0.0.1:8443/": tls: failed to verify certificate: x509: certificate signed by unknown authority`, nil, nil), records.ErrTLS},
		{mk(9, 0, `Get "http://127.0.0.1:8080/timeout": EOF`, nil, nil), records.ErrReset},
		{mk(10, 200, "", big, plain), records.ErrNone},
		{mk(11, 0, `Get "ftp://x/": unsupported protocol scheme "ftp"`, nil, nil), records.ErrOther},
		{old, records.ErrNone},
		{mk(13, 503, "503 Service Unavailable", []byte("busy"), plain), records.ErrNone},
	}
}

// encode encodes rs with enc and returns the bytes and the offset at which
// each result ends.
func encode(t testing.TB, newEnc func(io.Writer) vegeta.Encoder, rs []vegeta.Result) (data []byte, ends []int) {
	t.Helper()
	var buf bytes.Buffer
	enc := newEnc(&buf)
	for i := range rs {
		if err := enc.Encode(&rs[i]); err != nil {
			t.Fatalf("encoding result %d: %v", i, err)
		}
		ends = append(ends, buf.Len())
	}
	return buf.Bytes(), ends
}

// sampleResults returns the vegeta results of samples.
func sampleResults() []vegeta.Result {
	var rs []vegeta.Result
	for _, s := range samples() {
		rs = append(rs, s.res)
	}
	return rs
}

// mustReader returns a Reader of data, failing the test if there is none.
func mustReader(tb testing.TB, data []byte) *Reader {
	tb.Helper()
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("NewReader: %v", err)
	}
	return r
}

// readAll reads every result of r until io.EOF or an error, which it returns
// (nil for io.EOF). The bodies are copied.
func readAll(r *Reader) ([]Result, error) {
	var out []Result
	for {
		var res Result
		err := r.Next(&res)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		res.Body = bytes.Clone(res.Body)
		out = append(out, res)
	}
}

// wantBody is the body a Reader returns for a stored body b.
func wantBody(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b[:min(len(b), MaxBody)]
}

// errorContains fails the test unless err is non-nil and its text contains
// every one of subs.
func errorContains(t *testing.T, err error, subs ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil; want one containing %q", subs)
	}
	for _, s := range subs {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}
