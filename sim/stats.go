package sim

import (
	"maps"
	"strconv"
	"sync"
)

// StatsSchema identifies the shape of Stats. It changes only when the shape
// does in a way that breaks readers.
const StatsSchema = "stampede/sim-stats/v1"

// Stats is the ground truth of a simulation: what it received and what it
// answered since it started or was last reset. GET /__sim/stats serves it
// as JSON, e.g.
//
//	{
//	  "schema": "stampede/sim-stats/v1",
//	  "requests": 7,
//	  "unrouted": 1,
//	  "apis": {
//	    "mira": {
//	      "requests": 6,
//	      "status": {"200": 3, "401": 1, "429": 2},
//	      "codes": {"invalid_key": 1, "rate_limited": 2},
//	      "keys": {"demo-free": 5, "unknown": 1},
//	      "retry_after": {"1": 2}
//	    }
//	  }
//	}
//
// requests counts every request the simulation received except those to
// /__sim/ itself; unrouted counts those whose path matched no API (answered
// 404). Every registered API appears under apis, even without requests,
// and every map is present (possibly empty). Per API:
//
//   - requests: requests routed to the API; the sum of status, and of keys.
//   - status: answers per HTTP status code.
//   - codes: error answers per error code: the API's own code where its
//     dialect has codes, else the simulation's name for the error (Mira's
//     are listed in mira.go). Successes have no code.
//   - keys: requests per key name ("missing" without a credential, "unknown"
//     for a credential that is no key); never a secret.
//   - retry_after: answers per Retry-After header value sent, verbatim. At
//     most MaxRetryAfterValues distinct values are kept; the others count
//     under "other".
//   - faults: requests per fault the simulation decided on (faults.go):
//     "outage", "capacity", "injected", "fault_header" and
//     "bad_fault_header" answered the request instead of the API;
//     "stalled" ones were held, then served.
//
// JSON object keys are sorted, so equal stats encode to equal bytes. A
// request in flight during a reset is counted after it, if it finishes
// after it.
type Stats struct {
	Schema   string               `json:"schema"`
	Requests int64                `json:"requests"`
	Unrouted int64                `json:"unrouted"`
	APIs     map[string]*APIStats `json:"apis"`
}

// APIStats are the counts of one API; see Stats.
type APIStats struct {
	Requests   int64            `json:"requests"`
	Status     map[string]int64 `json:"status"`
	Codes      map[string]int64 `json:"codes"`
	Keys       map[string]int64 `json:"keys"`
	RetryAfter map[string]int64 `json:"retry_after"`
	Faults     map[string]int64 `json:"faults"`
}

// MaxRetryAfterValues bounds the distinct Retry-After values counted per
// API; further values count under "other".
const MaxRetryAfterValues = 256

// maxRetryAfterLen bounds the length of a Retry-After value counted.
const maxRetryAfterLen = 64

func newAPIStats() *APIStats {
	return &APIStats{
		Status: map[string]int64{}, Codes: map[string]int64{},
		Keys: map[string]int64{}, RetryAfter: map[string]int64{}, Faults: map[string]int64{},
	}
}

func (a *APIStats) clone() *APIStats {
	c := &APIStats{Requests: a.Requests}
	c.Status, c.Codes, c.Keys, c.RetryAfter = maps.Clone(a.Status), maps.Clone(a.Codes), maps.Clone(a.Keys), maps.Clone(a.RetryAfter)
	c.Faults = maps.Clone(a.Faults)
	return c
}

// exchange is what the simulation knows of one answered request.
type exchange struct {
	api        string
	key        string // key name, KeyMissing or KeyUnknown; never a secret
	status     int
	code       string // error code, "" for a success
	retryAfter string // Retry-After header sent, "" if none
	fault      string // the fault the simulation decided on, "" if none
}

// recorder accumulates Stats. All maps are bounded: API names and key names
// come from fixed sets, status codes are three digits, error codes are
// constants of the APIs, and Retry-After values are capped.
//
// One mutex guards everything: a record is a handful of map increments,
// and a single lock makes a snapshot and a reset consistent across APIs.
type recorder struct {
	mu   sync.Mutex
	apis []string // registered API names, to recreate their entries on reset
	s    Stats
}

func newRecorder(apis []string) *recorder {
	r := &recorder{apis: apis}
	r.reset()
	return r
}

// reset zeroes every count.
func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s = Stats{Schema: StatsSchema, APIs: make(map[string]*APIStats, len(r.apis))}
	for _, name := range r.apis {
		r.s.APIs[name] = newAPIStats()
	}
}

// unrouted counts a request that matched no API.
func (r *recorder) unrouted() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Requests++
	r.s.Unrouted++
}

// record counts one answered request of a registered API.
func (r *recorder) record(x exchange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := r.s.APIs[x.api]
	if a == nil { // only registered APIs record; keep the counts whole anyway
		a = newAPIStats()
		r.s.APIs[x.api] = a
	}
	r.s.Requests++
	a.Requests++
	a.Status[strconv.Itoa(x.status)]++
	if x.code != "" {
		a.Codes[x.code]++
	}
	a.Keys[x.key]++
	if x.fault != "" {
		a.Faults[x.fault]++
	}
	if ra := x.retryAfter; ra != "" {
		if len(ra) > maxRetryAfterLen {
			ra = "other"
		}
		if _, seen := a.RetryAfter[ra]; !seen && len(a.RetryAfter) >= MaxRetryAfterValues {
			ra = "other"
		}
		a.RetryAfter[ra]++
	}
}

// snapshot returns a deep copy of the counts.
func (r *recorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.s
	s.APIs = make(map[string]*APIStats, len(r.s.APIs))
	for name, a := range r.s.APIs {
		s.APIs[name] = a.clone()
	}
	return s
}
