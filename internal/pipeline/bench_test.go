package pipeline

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
)

// BenchmarkHotPath is the per-record work of the consume loop: classify
// the response (bodies of the errors, status alone for the successes),
// check it against the rate-limit contract, encode the record into the
// result file and add it to the summary's histograms.
func BenchmarkHotPath(b *testing.B) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	w, err := records.NewWriter(io.Discard, records.Header{Start: start})
	if err != nil {
		b.Fatal(err)
	}
	classifier, err := classify.New(classify.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := analyze.NewSummaryFor(classifier.Classes())
	checker := contract.New(contract.Options{})
	limited := http.Header{"Retry-After": {"7"}, "X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1795435230"}}
	admitted := http.Header{"X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"42"}, "X-Ratelimit-Reset": {"1795435230"}}
	bodies := map[uint16][]byte{
		429: []byte(`{"error": {"code": "rate_limit_exceeded", "message": "Too many requests, rate limit exceeded", "type": "error"}}`),
		503: []byte(`{"detail": "Service temporarily unavailable."}`),
	}
	recs := make([]records.Record, 1024)
	resps := make([]classify.Response, len(recs))
	for i := range recs {
		recs[i] = records.Record{
			Seq: uint64(i), Scheduled: start.Add(time.Duration(i) * time.Millisecond),
			Sent: time.Duration(i%7) * time.Microsecond, Latency: time.Duration(200+i*13) * time.Microsecond,
			Status: []uint16{200, 200, 200, 429, 503}[i%5], BytesIn: 512, Attempt: 1, RequestID: uint64(i),
		}
		if recs[i].Status == 429 {
			recs[i].RetryAfter = "7"
		}
		resps[i] = classify.Response{Status: recs[i].Status, Body: bodies[recs[i].Status], BodyLen: 512, Method: "GET", URL: "http://127.0.0.1:8080/v1/x"}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r := &recs[i%len(recs)]
		cl := classifier.Classify(&resps[i%len(recs)])
		r.Class, r.ErrorCode, r.Category = cl.Class.ID, cl.Class.Code, cl.Class.Category
		h := admitted
		if r.Status == 429 {
			h = limited
		}
		checker.Add(&contract.Response{Status: r.Status, Header: h, Sent: r.Scheduled.Add(r.Sent), Received: r.Scheduled.Add(r.Latency), Scope: 1, Principal: 1, Class: r.Class})
		if err := writeClassified(w, r, cl); err != nil {
			b.Fatal(err)
		}
		s.Add(r)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
