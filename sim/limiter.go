package sim

import (
	"math"
	"sync"
	"time"
)

// limit is the rate limit of one (API, key) bucket.
type limit struct {
	rate   float64 // requests per second; 0 for no per-second limit
	burst  int     // requests admitted at once from a full bucket; at least 1 when rate > 0
	perDay int     // requests admitted per UTC day; 0 for no daily limit
}

// interval is the emission interval T = 1/rate, rounded to the nanosecond
// and at least 1ns, or 0 for no per-second limit.
func (l limit) interval() time.Duration {
	if l.rate <= 0 {
		return 0
	}
	return max(1, time.Duration(math.Round(float64(time.Second)/l.rate)))
}

// decision is the limiter's answer to one request.
type decision struct {
	ok    bool
	wait  time.Duration // if !ok: the exact time until this request would be admitted
	daily bool          // if !ok: the daily limit is (one of) the reason(s)
}

// retryAfterSeconds is the honest Retry-After for a wait: the wait rounded
// up to whole seconds, at least 1, so that a client that waits exactly the
// advertised number of seconds is admitted (if nobody else took the token).
func retryAfterSeconds(wait time.Duration) int64 {
	// ceil(wait / 1s) in integers: no float rounding can make it short.
	s := int64((wait + time.Second - 1) / time.Second)
	return max(1, s)
}

// bucketID names a bucket. Both parts come from fixed sets (the registered
// APIs, the configured keys), so the bucket map is bounded.
type bucketID struct{ api, key string }

// bucket is the state of one token bucket, kept as in the generic cell rate
// algorithm (GCRA, "virtual scheduling"), which is a token bucket expressed
// in time rather than tokens: exact in integer nanoseconds, so the honest
// wait is exact too.
//
// With T the emission interval (1/rate) and τ = (burst−1)·T, a request at
// time t is admitted iff t ≥ tat − τ, where tat (theoretical arrival time)
// starts at −∞ (a full bucket); admitting sets tat = max(tat, t) + T. A
// rejected request must wait tat − τ − t. Over a window D from a full
// bucket this admits burst + floor(D/T) requests: rate·D + burst, ±1.
type bucket struct {
	tat  time.Time // zero: never used, a full bucket
	day  time.Time // UTC midnight starting the day counted in used
	used int       // requests admitted during day
}

// limiter holds a token bucket and a daily count per (API, key).
//
// One mutex guards every bucket: each decision is a few integer operations,
// so contention is short, and a single lock makes reset atomic with respect
// to every decision.
type limiter struct {
	mu      sync.Mutex
	buckets map[bucketID]*bucket
}

func newLimiter() *limiter { return &limiter{buckets: map[bucketID]*bucket{}} }

// allow decides one request of key to api at time now under lim, and
// consumes a token and a daily request if it is admitted.
func (lm *limiter) allow(id bucketID, lim limit, now time.Time) decision {
	T := lim.interval()
	if T == 0 && lim.perDay <= 0 {
		return decision{ok: true}
	}
	lm.mu.Lock()
	defer lm.mu.Unlock()
	b := lm.buckets[id]
	if b == nil {
		b = &bucket{}
		lm.buckets[id] = b
	}

	var wait time.Duration
	tat := b.tat
	if T > 0 {
		if tat.IsZero() || tat.Before(now) {
			tat = now
		}
		tau := time.Duration(max(lim.burst, 1)-1) * T
		wait = tat.Add(-tau).Sub(now) // > 0: the bucket is empty for that long
	}

	// A UTC day is an absolute 24h span since the zero time, so Truncate
	// finds its midnight.
	day := now.UTC().Truncate(24 * time.Hour)
	used := b.used
	if !day.Equal(b.day) {
		used = 0
	}
	daily := false
	if lim.perDay > 0 && used >= lim.perDay {
		daily = true
		wait = max(wait, day.Add(24*time.Hour).Sub(now))
	}

	if wait > 0 {
		return decision{wait: wait, daily: daily}
	}
	if T > 0 {
		b.tat = tat.Add(T)
	}
	b.day, b.used = day, used+1
	return decision{ok: true}
}

// reset empties the limiter: every bucket full, every daily count zero.
func (lm *limiter) reset() {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	clear(lm.buckets)
}
