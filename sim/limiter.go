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
	// lie, if > 1, makes the limiter lie about its wait: once it rejects a
	// request, it keeps rejecting the key for lie times the whole seconds
	// it advertised, while advertising a wait lie times too short.
	lie int
}

// interval is the emission interval T = 1/rate, rounded to the nanosecond
// and at least 1ns, or 0 for no per-second limit.
func (l limit) interval() time.Duration {
	if l.rate <= 0 {
		return 0
	}
	return max(1, time.Duration(math.Round(float64(time.Second)/l.rate)))
}

// decision is the limiter's answer to one request, with the state of the
// key's quota after it, as X-RateLimit-* headers show it.
type decision struct {
	ok    bool
	wait  time.Duration // if !ok: the exact time until this request would be admitted
	daily bool          // if !ok: the daily limit is (one of) the reason(s)
	// advertised is the wait to tell the client (if !ok): wait, except
	// when the limit lies.
	advertised time.Duration

	// quota is the limit the headers describe: the bucket size (requests
	// at once) under a per-second limit, else the daily limit; 0 when the
	// key has no limit at all.
	quota int
	// remaining is how many more requests would be admitted right now.
	remaining int
	// reset is when the quota recovers: after a rejection, the moment the
	// next request will be admitted; after an admission, the moment the
	// bucket is full again (or, with only a daily limit, the next UTC
	// midnight).
	reset time.Time
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
	tat time.Time // zero: never used, a full bucket
	// blocked, with a lying limit, is when the rejection that started the
	// lie ends: requests before it are rejected whatever tat says.
	blocked time.Time
	day     time.Time // UTC midnight starting the day counted in used
	used    int       // requests admitted during day
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

	var wait, tau time.Duration
	tat := b.tat
	if T > 0 {
		if tat.IsZero() || tat.Before(now) {
			tat = now
		}
		tau = time.Duration(max(lim.burst, 1)-1) * T
		wait = tat.Add(-tau).Sub(now) // > 0: the bucket is empty for that long
	}

	// A UTC day is an absolute 24h span since the zero time, so Truncate
	// finds its midnight.
	day := now.UTC().Truncate(24 * time.Hour)
	midnight := day.Add(24 * time.Hour)
	used := b.used
	if !day.Equal(b.day) {
		used = 0
	}
	daily := false
	if lim.perDay > 0 && used >= lim.perDay {
		daily = true
		wait = max(wait, midnight.Sub(now))
	}

	if lim.lie > 1 && now.Before(b.blocked) {
		// Still inside a lie: reject, and understate the wait again.
		real := b.blocked.Sub(now)
		d := decision{wait: max(wait, real), daily: daily, advertised: real / time.Duration(lim.lie)}
		d.quota, d.reset = lm.quota(lim, T), now.Add(d.advertised)
		return d
	}
	if wait > 0 {
		d := decision{wait: wait, daily: daily, advertised: wait}
		if lim.lie > 1 {
			// Advertise the honest wait, but block lie times as long.
			secs := time.Duration(retryAfterSeconds(wait)) * time.Second
			b.blocked = now.Add(time.Duration(lim.lie) * secs)
			d.wait = b.blocked.Sub(now)
		}
		d.quota, d.reset = lm.quota(lim, T), now.Add(d.advertised)
		if daily {
			d.quota = lim.perDay
		}
		return d
	}
	d := decision{ok: true, quota: lm.quota(lim, T)}
	if T > 0 {
		b.tat = tat.Add(T)
		// Requests still admitted now: the n ≥ 1 with tat+(n−1)·T−τ ≤ now.
		if v := now.Sub(b.tat) + tau; v >= 0 {
			d.remaining = int(v/T) + 1
		}
		d.reset = b.tat
	} else {
		d.remaining = lim.perDay - used - 1
		d.reset = midnight
	}
	b.day, b.used = day, used+1
	if lim.perDay > 0 && used+1 >= lim.perDay {
		// The day's last request: the daily limit is what binds now.
		d.quota, d.remaining, d.reset = lim.perDay, 0, midnight
	}
	d.remaining = max(0, d.remaining)
	return d
}

// quota is the limit that X-RateLimit-Limit shows for lim: the bucket size
// under a per-second limit, else the daily limit.
func (lm *limiter) quota(lim limit, T time.Duration) int {
	if T > 0 {
		return max(lim.burst, 1)
	}
	return lim.perDay
}

// reset empties the limiter: every bucket full, every daily count zero.
func (lm *limiter) reset() {
	lm.mu.Lock()
	defer lm.mu.Unlock()
	clear(lm.buckets)
}
