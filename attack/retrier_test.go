package attack

import (
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/records"
)

// scripted is an in-memory target: it answers each request with the
// response its function gives, at once (in a synctest bubble, in no time),
// and records when every request arrived.
type scripted struct {
	mu       sync.Mutex
	arrivals []time.Time
	bodies   []string
	answer   func(n int, req *http.Request) *http.Response // n counts from 1
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.arrivals = append(s.arrivals, time.Now())
	n := len(s.arrivals)
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		s.bodies = append(s.bodies, string(b))
	}
	s.mu.Unlock()
	resp := s.answer(n, req)
	resp.Request = req
	if resp.Body == nil {
		resp.Body = io.NopCloser(strings.NewReader(""))
	}
	return resp, nil
}

func status(code int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(`{"error":"x"}`))}
}

// retryRun sends one logical request (1/s for 1s) to target with policy
// o, in a synctest bubble, and returns its attempts in order.
func retryRun(t *testing.T, o retry.Options, seed uint64, target *scripted) []records.Record {
	t.Helper()
	var recs []records.Record
	synctest.Test(t, func(t *testing.T) {
		opts := Options{
			Targets:      []vegeta.Target{{Method: "POST", URL: "http://target.test/v1/items", Body: []byte("payload")}},
			Shape:        pace.Constant{PerSecond: 1},
			Duration:     time.Second,
			Transport:    TransportOptions{Timeout: 5 * time.Second},
			Retry:        o,
			Rand:         rand.New(rand.NewPCG(seed, seed)),
			roundTripper: target,
		}
		a, err := Start(opts)
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		for at := range a.Attempts() {
			recs = append(recs, at.Record)
			at.Release()
		}
		if got, want := a.Started(), uint64(len(recs)); got != want {
			t.Errorf("Started() = %d; want the %d attempts delivered", got, want)
		}
		if planned, _ := a.Planned(); planned != uint64(len(recs)) {
			t.Errorf("Planned() = %d; want %d (1 first attempt and its retries)", planned, len(recs))
		}
	})
	return recs
}

// gaps returns the waits between the end of each attempt and the
// schedule of the next.
func gaps(recs []records.Record) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(recs); i++ {
		out = append(out, recs[i].Scheduled.Sub(recs[i-1].Scheduled.Add(recs[i-1].Latency)))
	}
	return out
}

func TestRetryScheduleFollowsTheFormula(t *testing.T) {
	const base, cap = 100 * time.Millisecond, 1 * time.Second
	// The formulas, written out independently of package retry, drawing
	// from a source seeded as the attack's is.
	expo := func(n int) time.Duration { return min(cap, base<<(n-1)) }
	cases := []struct {
		name string
		o    retry.Options
		want func(r *rand.Rand, n int, prev time.Duration) time.Duration
	}{
		{"immediate", retry.Options{Policy: retry.Immediate, Max: 5},
			func(*rand.Rand, int, time.Duration) time.Duration { return 0 }},
		{"exponential, no jitter", retry.Options{Policy: retry.Exponential, Max: 5, Base: base, Cap: cap},
			func(_ *rand.Rand, n int, _ time.Duration) time.Duration { return expo(n) }},
		{"exponential, full jitter", retry.Options{Policy: retry.Exponential, Max: 5, Base: base, Cap: cap, Jitter: retry.FullJitter},
			func(r *rand.Rand, n int, _ time.Duration) time.Duration {
				return time.Duration(r.Int64N(int64(expo(n))))
			}},
		{"exponential, equal jitter", retry.Options{Policy: retry.Exponential, Max: 5, Base: base, Cap: cap, Jitter: retry.EqualJitter},
			func(r *rand.Rand, n int, _ time.Duration) time.Duration {
				w := expo(n)
				return w/2 + time.Duration(r.Int64N(int64(w-w/2)))
			}},
		{"decorrelated", retry.Options{Policy: retry.Decorrelated, Max: 5, Base: base, Cap: cap},
			func(r *rand.Rand, _ int, prev time.Duration) time.Duration {
				return min(cap, base+time.Duration(r.Int64N(int64(3*prev-base))))
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := &scripted{answer: func(int, *http.Request) *http.Response { return status(503) }}
			recs := retryRun(t, c.o, 7, target)
			if len(recs) != 6 {
				t.Fatalf("attempts = %d; want 6 (the first and 5 retries)", len(recs))
			}
			r := rand.New(rand.NewPCG(7, 7))
			prev := base
			for i, g := range gaps(recs) {
				want := c.want(r, i+1, prev)
				prev = want
				if g != want {
					t.Errorf("wait before retry %d = %v; want %v by the formula", i+1, g, want)
				}
			}
			for i, rec := range recs {
				if rec.Attempt != uint32(i+1) || rec.RequestID != recs[0].RequestID || rec.SinceFirst != rec.Scheduled.Sub(recs[0].Scheduled) {
					t.Errorf("attempt %d: Attempt %d, RequestID %d, SinceFirst %v; want %d, %d, %v",
						i+1, rec.Attempt, rec.RequestID, rec.SinceFirst, i+1, recs[0].RequestID, rec.Scheduled.Sub(recs[0].Scheduled))
				}
				wantFlags := records.RetryFollows
				if i == 5 {
					wantFlags = records.RetryExhausted
				}
				if rec.Retry != wantFlags {
					t.Errorf("attempt %d: Retry flags %08b; want %08b", i+1, rec.Retry, wantFlags)
				}
			}
			for i, b := range target.bodies {
				if b != "payload" {
					t.Errorf("attempt %d sent body %q; want the request's own %q", i+1, b, "payload")
				}
			}
		})
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	date := func(n int, _ *http.Request) *http.Response {
		if n > 2 {
			return status(200)
		}
		now := time.Now().UTC()
		return status(429, "Date", now.Format(http.TimeFormat), "Retry-After", now.Add(3*time.Second).Format(http.TimeFormat))
	}
	seconds := func(n int, _ *http.Request) *http.Response {
		if n > 2 {
			return status(200)
		}
		return status(429, "Retry-After", "2")
	}
	cases := []struct {
		name   string
		o      retry.Options
		answer func(int, *http.Request) *http.Response
		want   time.Duration
		early  bool
	}{
		{"seconds, honoured", retry.Options{Policy: retry.Exponential, Max: 3, Base: 10 * time.Millisecond, Cap: 10 * time.Second, HonorRetryAfter: true}, seconds, 2 * time.Second, false},
		{"date, honoured", retry.Options{Policy: retry.Exponential, Max: 3, Base: 10 * time.Millisecond, Cap: 10 * time.Second, HonorRetryAfter: true}, date, 3 * time.Second, false},
		{"seconds, ignored", retry.Options{Policy: retry.Immediate, Max: 3}, seconds, 0, true},
		{"date, ignored", retry.Options{Policy: retry.Exponential, Max: 3, Base: 10 * time.Millisecond, Cap: 10 * time.Second}, date, 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs := retryRun(t, c.o, 1, &scripted{answer: c.answer})
			if len(recs) != 3 || !recs[2].Success() {
				t.Fatalf("attempts = %d, last %+v; want 3, the last a success", len(recs), recs[len(recs)-1])
			}
			for i, g := range gaps(recs) {
				if c.want > 0 && g != c.want {
					t.Errorf("wait before retry %d = %v; want the Retry-After, %v", i+1, g, c.want)
				}
				if c.want == 0 && g >= time.Second {
					t.Errorf("wait before retry %d = %v; want the policy's own, below 1s", i+1, g)
				}
				if early := recs[i+1].Retry&records.RetryEarly != 0; early != c.early {
					t.Errorf("retry %d: early = %v; want %v", i+1, early, c.early)
				}
			}
			if recs[2].Retry&^records.RetryEarly != 0 {
				t.Errorf("the success has flags %08b; want none but RetryEarly", recs[2].Retry)
			}
		})
	}
}

func TestRetryGivesUp(t *testing.T) {
	t.Run("retry-after beyond the cap", func(t *testing.T) {
		o := retry.Options{Policy: retry.Exponential, Max: 3, Base: 10 * time.Millisecond, Cap: time.Second, HonorRetryAfter: true}
		recs := retryRun(t, o, 1, &scripted{answer: func(int, *http.Request) *http.Response { return status(429, "Retry-After", "60") }})
		if len(recs) != 1 || recs[0].Retry != records.RetryTooLong {
			t.Fatalf("attempts %d, flags %08b; want 1 attempt flagged RetryTooLong", len(recs), recs[0].Retry)
		}
	})
	t.Run("not retryable", func(t *testing.T) {
		o := retry.Options{Policy: retry.Immediate, Max: 3}
		recs := retryRun(t, o, 1, &scripted{answer: func(int, *http.Request) *http.Response { return status(404) }})
		if len(recs) != 1 || recs[0].Retry != 0 {
			t.Fatalf("attempts %d, flags %08b; want a 404 sent once, no flag", len(recs), recs[0].Retry)
		}
	})
	t.Run("budget", func(t *testing.T) {
		o := retry.Options{Policy: retry.Immediate, Max: 3, Budget: 0.5}
		recs := retryRun(t, o, 1, &scripted{answer: func(int, *http.Request) *http.Response { return status(503) }})
		// 1 first attempt: a 50 % budget allows no retry at all.
		if len(recs) != 1 || recs[0].Retry != records.RetryBudget {
			t.Fatalf("attempts %d, flags %08b; want 1 attempt flagged RetryBudget", len(recs), recs[0].Retry)
		}
	})
}

// TestRetryBudgetBoundsTheRetries: against a target that always fails,
// retries stay within the budget's share of the first attempts.
func TestRetryBudgetBoundsTheRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		target := &scripted{answer: func(int, *http.Request) *http.Response { return status(503) }}
		a, err := Start(Options{
			Targets:      []vegeta.Target{{Method: "GET", URL: "http://target.test/"}},
			Shape:        pace.Constant{PerSecond: 100},
			Duration:     2 * time.Second,
			Retry:        retry.Options{Policy: retry.Exponential, Max: 3, Base: 10 * time.Millisecond, Cap: time.Second, Budget: 0.1},
			roundTripper: target,
		})
		if err != nil {
			t.Fatal(err)
		}
		var firsts, retries, denied int
		for at := range a.Attempts() {
			if at.Record.Attempt == 1 {
				firsts++
			} else {
				retries++
			}
			if at.Record.Retry&records.RetryBudget != 0 {
				denied++
			}
			at.Release()
		}
		if firsts != 200 || retries > 20 || retries < 15 || denied == 0 {
			t.Errorf("first attempts %d, retries %d, denied by the budget %d; want 200, 15 to 20 (10 %%), some", firsts, retries, denied)
		}
	})
}

// TestRetryStopCancelsPendingRetries: a retry not yet due when the attack
// is stopped is never sent, and the attempts end.
func TestRetryStopCancelsPendingRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		target := &scripted{answer: func(int, *http.Request) *http.Response { return status(429, "Retry-After", "5") }}
		a, err := Start(Options{
			Targets:      []vegeta.Target{{Method: "GET", URL: "http://target.test/"}},
			Shape:        pace.Constant{PerSecond: 10},
			Duration:     10 * time.Second,
			Retry:        retry.Options{Policy: retry.Exponential, Max: 3, Base: 10 * time.Millisecond, Cap: 10 * time.Second, HonorRetryAfter: true},
			roundTripper: target,
		})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		a.Stop()
		n := 0
		for at := range a.Attempts() {
			n++
			at.Release()
		}
		if n == 0 || n > 11 || a.Started() != uint64(n) {
			t.Errorf("attempts %d, Started() %d; want the ≤ 11 first attempts of 1s, no retry (all were 5s away)", n, a.Started())
		}
	})
}

// TestRetryTailIsBounded: the retries of a bounded attack are not
// scheduled beyond its end, its lateness allowance and the policy's
// cap; those that would be are flagged RetryStopped, and the attack ends.
func TestRetryTailIsBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		target := &scripted{answer: func(int, *http.Request) *http.Response { return status(503, "Retry-After", "9") }}
		began := time.Now()
		a, err := Start(Options{
			Targets:      []vegeta.Target{{Method: "GET", URL: "http://target.test/"}},
			Shape:        pace.Constant{PerSecond: 5},
			Duration:     2 * time.Second,
			Retry:        retry.Options{Policy: retry.Exponential, Max: 5, Base: 10 * time.Millisecond, Cap: 10 * time.Second, HonorRetryAfter: true},
			roundTripper: target,
		})
		if err != nil {
			t.Fatal(err)
		}
		limit := began.Add(2*time.Second + MaxLateness + 10*time.Second)
		var stopped, retries int
		for at := range a.Attempts() {
			if at.Record.Attempt > 1 {
				retries++
				if at.Record.Scheduled.After(limit) {
					t.Errorf("a retry scheduled %v after the start; want none after %v", at.Record.Scheduled.Sub(began), limit.Sub(began))
				}
			}
			if at.Record.Retry&records.RetryStopped != 0 {
				stopped++
			}
			at.Release()
		}
		if retries != 10 || stopped != 10 || time.Since(began) > 13*time.Second {
			t.Errorf("retries %d, flagged stopped %d, ended after %v; want 10 (one per request, 9 s after), 10, within 13 s",
				retries, stopped, time.Since(began))
		}
	})
}
