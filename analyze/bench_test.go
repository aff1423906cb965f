package analyze

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
)

// BenchmarkHotPath is the per-record work of the consume loop in a live
// run: classify the response (bodies of the errors, status alone for the
// successes), check it against the rate-limit contract, take the record
// into the run's summary and write it into the result file.
func BenchmarkHotPath(b *testing.B) {
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	classifier, err := classify.New(classify.Options{})
	if err != nil {
		b.Fatal(err)
	}
	l := &live{classifier: classifier, checker: contract.New(contract.Options{})}
	builder := newBuilder()
	file := NewResultFile(io.Discard)
	begin := Event{Kind: EventBegin, Header: records.Header{Start: start}}
	builder.add(&begin)
	if err := file.Observe(&begin, &builder.run); err != nil {
		b.Fatal(err)
	}
	limited := http.Header{"Retry-After": {"7"}, "X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1795435230"}}
	admitted := http.Header{"X-Ratelimit-Limit": {"100"}, "X-Ratelimit-Remaining": {"42"}, "X-Ratelimit-Reset": {"1795435230"}}
	bodies := map[uint16][]byte{
		429: []byte(`{"error": {"code": "rate_limit_exceeded", "message": "Too many requests, rate limit exceeded", "type": "error"}}`),
		503: []byte(`{"detail": "Service temporarily unavailable."}`),
	}
	attempts := make([]records.Attempt, 1024)
	for i := range attempts {
		a := &attempts[i]
		a.Record = records.Record{
			Seq: uint64(i), Scheduled: start.Add(time.Duration(i) * time.Millisecond),
			Sent: time.Duration(i%7) * time.Microsecond, Latency: time.Duration(200+i*13) * time.Microsecond,
			Status: []uint16{200, 200, 200, 429, 503}[i%5], BytesIn: 512, Attempt: 1, RequestID: uint64(i),
		}
		a.Header, a.Method, a.URL, a.Scope, a.Principal = admitted, "GET", "http://127.0.0.1:8080/v1/x", 1, 1
		a.Request = []string{"list items", "GET /v1/x", ""}[i%3]
		if a.Record.Status == 429 {
			a.Record.RetryAfter, a.Header = "7", limited
		}
	}
	var ev Event
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		at := attempts[i%len(attempts)]
		at.Body = bodies[at.Record.Status]
		ev.reset()
		l.record(&at, &ev)
		builder.add(&ev)
		if err := file.Observe(&ev, &builder.run); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
