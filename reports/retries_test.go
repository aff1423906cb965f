package reports

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"
)

// retryPolicy is how the fixture's clients retry: at most attempts
// attempts per logical request, the wait before attempt k+1 given by
// wait(k), and Retry-After honoured or not.
type retryPolicy struct {
	name, detail string
	attempts     int
	wait         func(k int) time.Duration
	honour       bool
}

// The fixture's policies.
var (
	policyNone      = retryPolicy{name: "none", detail: "none (no retry)", attempts: 1, wait: func(int) time.Duration { return 0 }}
	policyImmediate = retryPolicy{name: "immediate", detail: "immediate (3 retries, no wait)", attempts: 4, wait: func(int) time.Duration { return 0 }}
	policyBackoff   = retryPolicy{name: "exponential", detail: "exponential (3 retries, 200ms doubling, honours Retry-After but for odd requests)", attempts: 4,
		wait: func(k int) time.Duration { return 200 * time.Millisecond << (k - 1) }, honour: true}
)

// retryT0 is the start of the retry fixtures.
var retryT0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// retryStatus is what the fixture's target answers an attempt of logical
// request i scheduled at an offset from the start: 200 but for a 404 on
// every 50th request, an outage of 503s from 6 s to 9 s, a storm of 429s
// (three in four) from 9 s to 11 s, and a blip of 503s on odd requests
// after 19.6 s.
func retryStatus(i int, at time.Duration) uint16 {
	switch {
	case i%50 == 7:
		return 404
	case at >= 6*time.Second && at < 9*time.Second:
		return 503
	case at >= 9*time.Second && at < 11*time.Second && i%4 != 0:
		return 429
	case at >= 19600*time.Millisecond && i%2 == 1:
		return 503
	}
	return 200
}

// retryRecords are 20 s of 20 logical requests a second (400) sent by
// clients retrying as p says, against retryStatus: the records in the
// order they completed, unclassified. Retries of a 429 wait for its
// Retry-After (1 s; 120 s for every 25th request, which a client gives
// up on as too long) when p honours it, except for odd requests, which
// retry early. A client gives up when its attempts are used up, on its
// retry budget (every 40th request in the outage), or when the run
// stops (a retry due after 20 s). The retry of request 398 never comes
// back: it stays unsettled.
func retryRecords(p retryPolicy) []records.Record {
	const logical, every, end = 400, 50 * time.Millisecond, 20 * time.Second
	var out []records.Record
	for i := range logical {
		first := time.Duration(i) * every
		at := first
		for k := 1; ; k++ {
			status := retryStatus(i, at)
			if i == 398 {
				status = 503
			}
			r := records.Record{
				Scheduled: retryT0.Add(at), Sent: 50 * time.Microsecond, Status: status,
				Attempt: uint32(k), RequestID: uint64(i + 1), SinceFirst: at - first, BytesOut: 64,
			}
			switch status {
			case 200:
				r.Latency = 3*time.Millisecond + time.Duration(i%10)*200*time.Microsecond
			case 404:
				r.Latency = 2 * time.Millisecond
			case 503:
				r.Latency = time.Millisecond
			case 429:
				r.Latency, r.RetryAfter = 500*time.Microsecond, "1"
				if i%25 == 3 {
					r.RetryAfter = "120"
				}
			}
			out = append(out, r)
			rec := &out[len(out)-1]
			if status == 200 || p.attempts == 1 {
				break
			}
			wait := p.wait(k)
			switch {
			case status == 404 && k > 1: // retried once anyway, then left
			case i == 398:
				rec.Retry |= records.RetryFollows
			case status == 429 && rec.RetryAfter == "120" && p.honour:
				rec.Retry |= records.RetryTooLong
			case status == 503 && i%40 == 13 && at < 9*time.Second:
				rec.Retry |= records.RetryBudget
			case k == p.attempts:
				rec.Retry |= records.RetryExhausted
			default:
				if status == 429 && p.honour && i%2 == 0 {
					wait = max(wait, time.Second)
				}
				if at+wait >= end {
					rec.Retry |= records.RetryStopped
					break
				}
				rec.Retry |= records.RetryFollows
				at += wait
				continue
			}
			break
		}
	}
	// The early flag sits on the retry that left early: the attempt after
	// a 429 whose Retry-After its wait did not reach.
	for j := range out {
		prev := j - 1
		if out[j].Attempt > 1 && prev >= 0 && out[prev].RequestID == out[j].RequestID && out[prev].Status == 429 &&
			out[j].Scheduled.Sub(out[prev].Scheduled) < time.Second && out[prev].RetryAfter == "1" {
			out[j].Retry |= records.RetryEarly
		}
	}
	slices.SortStableFunc(out, func(a, b records.Record) int {
		return a.Scheduled.Add(a.Sent + a.Latency).Compare(b.Scheduled.Add(b.Sent + b.Latency))
	})
	for j := range out {
		out[j].Seq = uint64(j)
	}
	return out
}

// retryRunOf classifies the records of retryRecords(p) as the pipeline
// does and sums them up into a run.
func retryRunOf(t testing.TB, p retryPolicy) analyze.Run {
	t.Helper()
	c := fixtureClassifier(t, classify.Options{})
	s := analyze.NewSummaryFor(c.Classes())
	recs := retryRecords(p)
	for i := range recs {
		r := &recs[i]
		body := ""
		switch r.Status {
		case 429:
			body = rateLimit60
		case 503:
			body = envoy503
		case 404:
			body = `{"error": {"code": "not_found", "message": "No such item."}}`
		}
		cl := c.Classify(&classify.Response{
			Status: r.Status, ContentType: "application/json", Body: []byte(body), BodyLen: uint64(len(body)),
			Method: "GET", URL: "http://127.0.0.1:8080/v1/items",
		})
		r.BytesIn = uint64(len(body))
		r.Class, r.ErrorCode, r.Category = cl.Class.ID, cl.Class.Code, cl.Class.Category
		s.Add(r)
	}
	return analyze.Run{
		Summary: s, Target: "GET http://127.0.0.1:8080/v1/items", Pacer: "constant 20/s",
		Planned: 20 * time.Second, ResultFile: "retry.bin", Records: uint64(len(recs)),
		BodyLimit: c.BodyLimit(), MaxLateness: time.Second, Start: retryT0, Tool: "stampede test", RunID: "run-retry",
		Command: []string{"stampede", "attack", "--rate", "20/s", "--duration", "20s", "--retry", p.name, "http://127.0.0.1:8080/v1/items"},
	}
}

// retryRun is the run of the exponential policy: every retry figure a
// report shows has a value.
func retryRun(t testing.TB) analyze.Run {
	t.Helper()
	return retryRunOf(t, policyBackoff)
}

func TestRetryFixtureShow(t *testing.T) {
	run := retryRun(t)
	var b bytes.Buffer
	Text(&b, run, Options{})
	t.Log(b.String())
}

// retryComparison is the comparison of the fixture's three policies.
func retryComparison(t testing.TB) analyze.Comparison {
	t.Helper()
	var cmp analyze.Comparison
	for _, p := range []retryPolicy{policyNone, policyImmediate, policyBackoff} {
		cmp.Runs = append(cmp.Runs, analyze.PolicyRun{Policy: p.name, Detail: p.detail, Run: retryRunOf(t, p)})
	}
	return cmp
}
