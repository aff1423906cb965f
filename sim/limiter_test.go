package sim

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var testBucket = bucketID{"mira", "k"}

// TestLimiterAdmitsRateTimesDurationPlusBurst hammers one bucket every step
// over a window on a fake clock: it must admit rate·window + burst, ±1.
func TestLimiterAdmitsRateTimesDurationPlusBurst(t *testing.T) {
	for _, tc := range []struct {
		lim          limit
		window, step time.Duration
	}{
		{limit{rate: 2, burst: 2}, 10 * time.Second, 10 * time.Millisecond},
		{limit{rate: 10, burst: 5}, 10 * time.Second, time.Millisecond},
		{limit{rate: 3, burst: 1}, 7 * time.Second, time.Millisecond},
		{limit{rate: 0.5, burst: 3}, 20 * time.Second, 100 * time.Millisecond},
		{limit{rate: 100, burst: 100}, 5 * time.Second, time.Millisecond},
		{limit{rate: 1000, burst: 1}, 2 * time.Second, 100 * time.Microsecond},
		{limit{rate: 1.0 / 60, burst: 1}, 10 * time.Minute, time.Second},
	} {
		name := fmt.Sprintf("rate=%g,burst=%d,window=%s", tc.lim.rate, tc.lim.burst, tc.window)
		t.Run(name, func(t *testing.T) {
			lm := newLimiter()
			admitted := 0
			for now := epoch; now.Before(epoch.Add(tc.window)); now = now.Add(tc.step) {
				// Several attempts at one instant: only the bucket decides.
				for range 3 {
					if lm.allow(testBucket, tc.lim, now).ok {
						admitted++
					}
				}
			}
			want := tc.lim.rate*tc.window.Seconds() + float64(tc.lim.burst)
			if math.Abs(float64(admitted)-want) > 1 {
				t.Errorf("admitted %d over %s; want %g ± 1", admitted, tc.window, want)
			}
		})
	}
}

func TestLimiterBurstThenInterval(t *testing.T) {
	lm := newLimiter()
	lim := limit{rate: 4, burst: 3}
	for i := range 3 {
		if d := lm.allow(testBucket, lim, epoch); !d.ok {
			t.Fatalf("request %d of the burst: rejected, wait %s; want admitted", i+1, d.wait)
		}
	}
	d := lm.allow(testBucket, lim, epoch)
	if d.ok || d.wait != 250*time.Millisecond || d.daily {
		t.Errorf("request after the burst = %+v; want rejected, wait 250ms, not daily", d)
	}
	if d := lm.allow(testBucket, lim, epoch.Add(249*time.Millisecond)); d.ok || d.wait != time.Millisecond {
		t.Errorf("1ms early = %+v; want rejected, wait 1ms", d)
	}
	if d := lm.allow(testBucket, lim, epoch.Add(250*time.Millisecond)); !d.ok {
		t.Errorf("on time = %+v; want admitted", d)
	}
	// Other buckets are independent.
	if d := lm.allow(bucketID{"mira", "other"}, lim, epoch); !d.ok {
		t.Errorf("another key = %+v; want admitted", d)
	}
	if d := lm.allow(bucketID{"mimo", "k"}, lim, epoch); !d.ok {
		t.Errorf("another API = %+v; want admitted", d)
	}
}

// TestLimiterHonestRetryAfter checks that a client waiting exactly the
// advertised Retry-After is admitted, and that the advertised wait is the
// shortest whole number of seconds that works.
func TestLimiterHonestRetryAfter(t *testing.T) {
	for _, lim := range []limit{
		{rate: 2, burst: 2}, {rate: 3, burst: 1}, {rate: 0.3, burst: 2}, {rate: 1.0 / 60, burst: 1},
		{rate: 7, burst: 4, perDay: 10}, {perDay: 5},
	} {
		for _, offset := range []time.Duration{0, time.Nanosecond, 123 * time.Millisecond, 999 * time.Millisecond, 23*time.Hour + 59*time.Minute + 59*time.Second + 700*time.Millisecond} {
			t.Run(fmt.Sprintf("%+v/+%s", lim, offset), func(t *testing.T) {
				lm := newLimiter()
				now := epoch.Truncate(24 * time.Hour).Add(offset)
				for round := range 20 {
					d := lm.allow(testBucket, lim, now)
					for i := 0; d.ok && i < 1000; i++ { // use up what is there
						d = lm.allow(testBucket, lim, now)
					}
					if d.ok {
						t.Fatalf("round %d: still admitting after 1000 requests", round)
					}
					ra := time.Duration(retryAfterSeconds(d.wait)) * time.Second
					if ra > time.Second {
						if early := lm.allow(testBucket, lim, now.Add(ra-time.Second)); early.ok {
							t.Fatalf("round %d: admitted at Retry-After−1s = %s; want the advertised %s to be the least that works", round, ra-time.Second, ra)
						}
					}
					now = now.Add(ra)
					if d := lm.allow(testBucket, lim, now); !d.ok {
						t.Fatalf("round %d: after waiting Retry-After %s: rejected, wait %s; want admitted", round, ra, d.wait)
					}
				}
			})
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tc := range []struct {
		wait time.Duration
		want int64
	}{
		{time.Nanosecond, 1}, {500 * time.Millisecond, 1}, {time.Second, 1},
		{time.Second + time.Nanosecond, 2}, {60 * time.Second, 60}, {59*time.Second + 1, 60},
		{0, 1}, {-time.Second, 1},
	} {
		if got := retryAfterSeconds(tc.wait); got != tc.want {
			t.Errorf("retryAfterSeconds(%s) = %d; want %d", tc.wait, got, tc.want)
		}
	}
}

func TestLimiterDaily(t *testing.T) {
	lm := newLimiter()
	lim := limit{perDay: 3}
	now := time.Date(2025, 1, 2, 23, 59, 0, 0, time.UTC)
	for i := range 3 {
		if d := lm.allow(testBucket, lim, now); !d.ok {
			t.Fatalf("request %d: rejected; want admitted", i+1)
		}
	}
	d := lm.allow(testBucket, lim, now)
	if d.ok || !d.daily || d.wait != time.Minute {
		t.Errorf("4th request = %+v; want rejected by the daily limit, wait 1m (to midnight UTC)", d)
	}
	if d := lm.allow(testBucket, lim, now.Add(time.Minute)); !d.ok {
		t.Errorf("after midnight = %+v; want admitted", d)
	}
	lm.reset()
	if d := lm.allow(testBucket, lim, now.Add(time.Minute)); !d.ok {
		t.Errorf("after reset = %+v; want admitted", d)
	}
}

func TestLimiterReset(t *testing.T) {
	lm := newLimiter()
	lim := limit{rate: 1, burst: 1}
	lm.allow(testBucket, lim, epoch)
	if d := lm.allow(testBucket, lim, epoch); d.ok {
		t.Fatalf("second request = %+v; want rejected", d)
	}
	lm.reset()
	if d := lm.allow(testBucket, lim, epoch); !d.ok {
		t.Errorf("after reset = %+v; want admitted", d)
	}
}

// TestLimiterConcurrent races many goroutines for one bucket at one
// instant: exactly burst get through. Run with -race.
func TestLimiterConcurrent(t *testing.T) {
	lm := newLimiter()
	lim := limit{rate: 1, burst: 50, perDay: 1000}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 100 {
				if lm.allow(testBucket, lim, epoch).ok {
					admitted.Add(1)
				}
				// Other buckets and resets of nothing in between.
				lm.allow(bucketID{"mira", strconv.Itoa(g)}, lim, epoch.Add(time.Duration(i)*time.Millisecond))
			}
		})
	}
	wg.Wait()
	if got := admitted.Load(); got != 50 {
		t.Errorf("admitted %d of 3200 simultaneous requests; want the burst, 50", got)
	}
}

// TestMiraHonestRetryAfter does what a well-behaved client does over HTTP:
// on a 429, wait the advertised Retry-After (on the fake clock) and retry.
func TestMiraHonestRetryAfter(t *testing.T) {
	clock := newFakeClock(epoch.Add(321 * time.Millisecond))
	s := mustNew(t, Config{Controls: Controls{RateLimit: 0.7, Burst: 2}}, clock)
	ts := mustServe(t, s)
	c := call{auth: bearer("demo-full"), body: chat("mira")}
	ok, limited := 0, 0
	for i := 0; i < 200 && limited < 20; i++ {
		a := do(t, ts.Client(), ts.URL, c)
		switch a.status {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			limited++
			secs, err := strconv.Atoi(a.header.Get("Retry-After"))
			if err != nil || secs < 1 {
				t.Fatalf("Retry-After = %q; want whole seconds >= 1", a.header.Get("Retry-After"))
			}
			clock.Advance(time.Duration(secs) * time.Second)
			if b := do(t, ts.Client(), ts.URL, c); b.status != http.StatusOK {
				t.Fatalf("after waiting Retry-After %ds: %d %s; want 200", secs, b.status, b.body)
			}
			ok++
		default:
			t.Fatalf("answer = %d %s; want 200 or 429", a.status, a.body)
		}
	}
	if limited < 20 {
		t.Errorf("%d 429s in 200 requests; want 20", limited)
	}
}

// TestMiraDailyLimit uses up demo-free's 100 requests a day: the 101st
// waits for midnight UTC.
func TestMiraDailyLimit(t *testing.T) {
	clock := newFakeClock(time.Date(2025, 1, 2, 23, 0, 0, 0, time.UTC))
	s := mustNew(t, Config{}, clock)
	ts := mustServe(t, s)
	c := call{auth: bearer("demo-free"), body: chat("mira")}
	for i := range Plans["free"].PerDay {
		if a := do(t, ts.Client(), ts.URL, c); a.status != http.StatusOK {
			t.Fatalf("request %d = %d %s; want 200", i+1, a.status, a.body)
		}
		clock.Advance(time.Second)
	}
	a := do(t, ts.Client(), ts.URL, c)
	want := `{"detail":"Rate limit exceeded. Please retry after 3500 seconds."}`
	if a.status != http.StatusTooManyRequests || a.body != want || a.header.Get("Retry-After") != "3500" {
		t.Errorf("request 101 = %d Retry-After %q %s; want 429 Retry-After \"3500\" %s", a.status, a.header.Get("Retry-After"), a.body, want)
	}
	if got := s.Stats().APIs["mira"].Codes["daily_limited"]; got != 1 {
		t.Errorf("stats daily_limited = %d; want 1", got)
	}
	clock.Advance(3500 * time.Second)
	if a := do(t, ts.Client(), ts.URL, c); a.status != http.StatusOK {
		t.Errorf("after midnight = %d %s; want 200", a.status, a.body)
	}
}

func TestPlanLimit(t *testing.T) {
	free := Plans["free"]
	for _, tc := range []struct {
		rate  float64
		burst int
		want  limit
	}{
		{0, 0, limit{rate: 2, burst: 2, perDay: 100}},
		{20, 0, limit{rate: 20, burst: 20, perDay: 100}},
		{0.5, 0, limit{rate: 0.5, burst: 1, perDay: 100}},
		{2.5, 0, limit{rate: 2.5, burst: 3, perDay: 100}},
		{20, 5, limit{rate: 20, burst: 5, perDay: 100}},
	} {
		if got := free.limit(tc.rate, tc.burst); got != tc.want {
			t.Errorf("free.limit(%g, %d) = %+v; want %+v", tc.rate, tc.burst, got, tc.want)
		}
	}
	if got := (limit{rate: 1.0 / 60}).interval(); got != time.Minute {
		t.Errorf("interval of 1/60 per second = %s; want 1m", got)
	}
	if got := (limit{rate: 3e9}).interval(); got != time.Nanosecond {
		t.Errorf("interval of 3e9 per second = %s; want 1ns", got)
	}
}
