package sim

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Faults the simulation decides on before an API serves a request, in the
// order they apply, with their names in the stats (APIStats.Faults):
//
//  1. stall: a request arriving during a stall is held until it ends
//     ("stalled"; the request is then served as usual)
//  2. latency: the request waits a delay drawn from Controls.Latency
//  3. FaultHeader, if allowed: the status it names ("fault_header")
//  4. outage: 503 with Retry-After to the end of the window ("outage")
//  5. capacity: more requests in flight than Controls.Capacity get 503
//     with Retry-After: 1 ("capacity")
//  6. injected errors: a status drawn from Controls.Errors ("injected";
//     a 503 carries Retry-After: 1)
//
// Faults 3 to 6 answer with the API's own error body (api.forced).
const (
	faultStalled   = "stalled"
	faultHeader    = "fault_header"
	faultOutage    = "outage"
	faultCapacity  = "capacity"
	faultInjected  = "injected"
	faultBadHeader = "bad_fault_header"
)

// faults is the run-time state of one API's controls.
type faults struct {
	ctl      Controls
	inflight atomic.Int64

	mu  sync.Mutex // guards rng
	rng *rand.Rand
}

// newFaults seeds the API's random draws from the simulation's seed and the
// API's name, so that APIs draw independently and reproducibly.
func newFaults(ctl Controls, seed int64, name string) *faults {
	h := fnv.New64a()
	h.Write([]byte(name))
	return &faults{ctl: ctl, rng: rand.New(rand.NewPCG(uint64(seed), h.Sum64()))}
}

// draw returns two uniform numbers in [0, 1) and a standard normal one:
// every request draws all three, so that one seed gives one sequence.
func (f *faults) draw() (u1, u2, n float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Float64(), f.rng.Float64(), f.rng.NormFloat64()
}

// fault applies the faults of the API a to a request. It returns whether
// a fault answered the request (and what it answered), and the name of the
// fault for the stats: a stall delays a request that the API then serves,
// so it comes with answered false.
func (s *Server) fault(w *statusWriter, r *http.Request, a api, f *faults) (out outcome, answered bool, name string) {
	ctl := f.ctl
	stalled := false
	if ctl.Stall.Every > 0 {
		elapsed := s.elapsed()
		if until := ctl.Stall.holdUntil(elapsed); until > elapsed {
			stalled = true
			sleep(r.Context(), until-elapsed)
		}
	}
	var uErr, uLat, n float64
	if ctl.Latency.Dist != "" || ctl.Errors != nil {
		uErr, uLat, n = f.draw()
	}
	if ctl.Latency.Dist != "" {
		sleep(r.Context(), ctl.Latency.sample(uLat, n))
	}

	force := func(status int, retryAfter int64, name string) (outcome, bool, string) {
		if retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(retryAfter, 10))
		}
		return a.forced(w, r, status), true, name
	}
	if s.c.cfg.AllowFaultHeader {
		if v := strings.TrimSpace(r.Header.Get(FaultHeader)); v != "" {
			st, err := strconv.Atoi(v)
			if err != nil || !slices.Contains(InjectableStatuses, st) {
				// Not in any API's dialect: a mistake of the test, not of
				// the client under test.
				// The key is named as the API names it: forced writes into
				// a throwaway writer to learn it.
				key := a.forced(discard{http.Header{}}, r, http.StatusInternalServerError).key
				writeJSON(w, http.StatusBadRequest, map[string]string{
					"error": "the " + FaultHeader + " header must be one of 500, 502, 503, 504",
				})
				return outcome{key: key, code: faultBadHeader}, true, faultBadHeader
			}
			return force(st, 0, faultHeader)
		}
	}
	elapsed := s.elapsed()
	for _, o := range ctl.Outages {
		if elapsed >= o.Start && elapsed < o.Start+o.Duration {
			return force(http.StatusServiceUnavailable, retryAfterSeconds(o.Start+o.Duration-elapsed), faultOutage)
		}
	}
	if ctl.Capacity > 0 && f.inflight.Load() > int64(ctl.Capacity) {
		return force(http.StatusServiceUnavailable, 1, faultCapacity)
	}
	if ctl.Errors != nil {
		if st := ctl.Errors.pick(uErr); st != 0 {
			ra := int64(0)
			if st == http.StatusServiceUnavailable {
				ra = 1
			}
			return force(st, ra, faultInjected)
		}
	}
	if stalled {
		return outcome{}, false, faultStalled
	}
	return outcome{}, false, ""
}

// elapsed is the time since the start of the timeline (New or Reset).
func (s *Server) elapsed() time.Duration {
	return time.Duration(s.c.now().UnixNano() - s.start.Load())
}

// sleep waits for d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
