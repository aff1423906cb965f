package sim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/internal/field"
)

// Controls are the behaviours of the simulation that can be set for every
// API at once (Config) or for one API (Config.APIs). A field left at its
// zero value in Config.APIs takes Config's value.
//
// Every field with a text form parses it from flags and YAML alike: see
// ParseLatency, ParseErrorRates, ParseWindow and ParseStall.
type Controls struct {
	// RateLimit, if > 0, is one limit in requests per second for every
	// key, replacing the plans' per-second limits (daily limits stay). 0
	// keeps each plan's limit. YAML takes a number or a rate like "20/s".
	RateLimit Rate `yaml:"rate_limit,omitempty" json:"rate_limit,omitempty"`
	// Burst is the bucket size with RateLimit: requests admitted at once
	// after a pause. 0 means ceil(RateLimit), one second's worth.
	Burst int `yaml:"burst,omitempty" json:"burst,omitempty"`
	// DailyLimit, if > 0, is the number of requests every key is admitted
	// per UTC day, replacing the plans' daily limits. 0 keeps each plan's.
	DailyLimit int `yaml:"daily_limit,omitempty" json:"daily_limit,omitempty"`
	// RetryAfter is how 429 answers advertise the wait: one of
	// RetryAfterModes; "" is honest.
	RetryAfter string `yaml:"retry_after,omitempty" json:"retry_after,omitempty"`
	// LieFactor is how much longer than it advertises a lying limiter
	// keeps rejecting (RetryAfter "lying"); 0 means DefaultLieFactor.
	LieFactor int `yaml:"lie_factor,omitempty" json:"lie_factor,omitempty"`
	// Latency is added before every answer.
	Latency Latency `yaml:"latency,omitempty" json:"latency,omitempty"`
	// Errors are the probabilities of answering with a server error
	// instead of serving the request.
	Errors ErrorRates `yaml:"errors,omitempty" json:"errors,omitempty"`
	// Outages are windows, from the start (or last reset), during which
	// every request gets 503 with a Retry-After to the window's end.
	Outages []Window `yaml:"outages,omitempty" json:"outages,omitempty"`
	// Stall periodically holds every request for a while.
	Stall Stall `yaml:"stall,omitempty" json:"stall,omitempty"`
	// Capacity, if > 0, is the most requests an API serves at once; more
	// get 503 with Retry-After: 1. 0 means the API's default (mimo: 64,
	// others: unlimited).
	Capacity int `yaml:"capacity,omitempty" json:"capacity,omitempty"`
}

// MinRateLimit is the lowest Controls.RateLimit: one request a day. Slower
// limits would overflow the limiter's nanosecond arithmetic.
const MinRateLimit = 1.0 / 86400

// DefaultLieFactor is how much longer than advertised a lying limiter
// rejects.
const DefaultLieFactor = 3

// Retry-After behaviours of 429 answers (Controls.RetryAfter).
const (
	// RetryAfterHonest advertises the real wait, rounded up to whole
	// seconds (at least 1): a client that waits that long is admitted,
	// unless other requests of the same key took the token first.
	RetryAfterHonest = "honest"
	// RetryAfterMissing sends no Retry-After header (bodies that state a
	// wait still do).
	RetryAfterMissing = "missing"
	// RetryAfterLying advertises the honest wait N, then keeps rejecting
	// for LieFactor×N, each rejection advertising a wait LieFactor times
	// too short.
	RetryAfterLying = "lying"
	// RetryAfterMalformed sends the wait as a Go duration ("5s"): neither
	// delay-seconds nor an HTTP-date.
	RetryAfterMalformed = "malformed"
	// RetryAfterHTTPDate sends the honest wait as an IMF-fixdate, with a
	// Date header from the same clock.
	RetryAfterHTTPDate = "http-date"
	// RetryAfterZero sends "Retry-After: 0" (and a body saying 0
	// seconds) while still rejecting until the real wait has passed.
	RetryAfterZero = "zero"
)

// RetryAfterModes are the values of Controls.RetryAfter.
var RetryAfterModes = []string{RetryAfterHonest, RetryAfterMissing, RetryAfterLying,
	RetryAfterMalformed, RetryAfterHTTPDate, RetryAfterZero}

// InjectableStatuses are the statuses Controls.Errors may inject, in
// ascending order.
var InjectableStatuses = []int{500, 502, 503, 504}

// maxControlDuration bounds every duration of the controls: a simulation
// is for tests, and a day-long latency is a typo.
const maxControlDuration = 24 * time.Hour

// Rate is a rate in requests per second. Its text form is pace.ParseRate's
// ("20/s", "1200/m", "0.5").
type Rate float64

// UnmarshalText parses a rate such as "20/s".
func (r *Rate) UnmarshalText(b []byte) error {
	v, err := pace.ParseRate(string(b))
	if err != nil {
		return err
	}
	*r = Rate(v)
	return nil
}

// Latency is a distribution of delays added before answering. The zero
// value adds none.
type Latency struct {
	// Dist is "fixed", "uniform" or "lognormal"; "" for none.
	Dist string
	// A and B are the parameters: fixed: A; uniform: from A to B;
	// lognormal: median A and 99th percentile B.
	A, B time.Duration
}

// ParseLatency parses a latency distribution: "20ms" or "fixed:20ms",
// "uniform:MIN,MAX" (e.g. "uniform:10ms,50ms"), or "lognormal:P50,P99"
// (e.g. "lognormal:20ms,200ms": half the answers within 20ms, 99% within
// 200ms). "" and "0" are no latency.
func ParseLatency(s string) (Latency, error) {
	const form = `want "20ms", "fixed:20ms", "uniform:10ms,50ms" or "lognormal:P50,P99" such as "lognormal:20ms,200ms"`
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Latency{}, nil
	}
	dist, args, has := strings.Cut(s, ":")
	if !has {
		dist, args = "fixed", s
	}
	parts := strings.Split(args, ",")
	want := 2
	if dist == "fixed" {
		want = 1
	}
	if dist != "fixed" && dist != "uniform" && dist != "lognormal" {
		return Latency{}, fmt.Errorf("latency %q: unknown distribution %q; %s", s, dist, form)
	}
	if len(parts) != want {
		return Latency{}, fmt.Errorf("latency %q: %s takes %d duration(s); %s", s, dist, want, form)
	}
	var d [2]time.Duration
	for i, p := range parts {
		v, err := parseControlDuration(p)
		if err != nil {
			return Latency{}, fmt.Errorf("latency %q: %w; %s", s, err, form)
		}
		d[i] = v
	}
	l := Latency{Dist: dist, A: d[0], B: d[1]}
	switch {
	case dist == "uniform" && l.B < l.A:
		return Latency{}, fmt.Errorf("latency %q: the maximum %s is below the minimum %s", s, l.B, l.A)
	case dist == "lognormal" && (l.A <= 0 || l.B <= l.A):
		return Latency{}, fmt.Errorf("latency %q: want 0 < p50 < p99", s)
	}
	return l, nil
}

// String returns the text form of l, which ParseLatency reads back.
func (l Latency) String() string {
	switch l.Dist {
	case "":
		return "0"
	case "fixed":
		return "fixed:" + l.A.String()
	default:
		return l.Dist + ":" + l.A.String() + "," + l.B.String()
	}
}

// UnmarshalText parses the form of ParseLatency.
func (l *Latency) UnmarshalText(b []byte) error {
	v, err := ParseLatency(string(b))
	*l = v
	return err
}

// MarshalText returns the form of ParseLatency.
func (l Latency) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// z99 is the standard normal quantile of 0.99.
const z99 = 2.3263478740408408

// sample draws a delay from the distribution, given u uniform in [0, 1)
// and n standard normal.
func (l Latency) sample(u, n float64) time.Duration {
	switch l.Dist {
	case "fixed":
		return l.A
	case "uniform":
		return l.A + time.Duration(u*float64(l.B-l.A))
	case "lognormal":
		mu := math.Log(float64(l.A))
		sigma := (math.Log(float64(l.B)) - mu) / z99
		v := math.Exp(mu + sigma*n)
		return time.Duration(min(v, float64(maxControlDuration)))
	}
	return 0
}

// ErrorRates maps an injectable status (InjectableStatuses) to the
// probability, from 0 to 1, of answering a request with it.
type ErrorRates map[int]float64

// ParseErrorRates parses "500=0.01,503=2%": a status and a probability (a
// fraction or a percentage) per comma-separated item. "" is none.
func ParseErrorRates(s string) (ErrorRates, error) {
	const form = `want STATUS=PROBABILITY items such as "500=0.01,503=2%"`
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	rates := ErrorRates{}
	for _, item := range strings.Split(s, ",") {
		st, p, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("error rates %q: item %q has no '='; %s", s, item, form)
		}
		status, err := strconv.Atoi(strings.TrimSpace(st))
		if err != nil {
			return nil, fmt.Errorf("error rates %q: status %q is not a number; %s", s, st, form)
		}
		p = strings.TrimSpace(p)
		scale := 1.0
		if pct, isPct := strings.CutSuffix(p, "%"); isPct {
			p, scale = pct, 100
		}
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(v) {
			return nil, fmt.Errorf("error rates %q: probability %q of %d is not a number; %s", s, p, status, form)
		}
		if _, dup := rates[status]; dup {
			return nil, fmt.Errorf("error rates %q: status %d given twice", s, status)
		}
		rates[status] = v / scale
	}
	if err := rates.validate(); err != nil {
		return nil, fmt.Errorf("error rates %q: %w", s, err)
	}
	return rates, nil
}

// validate checks the statuses and that the probabilities are in [0, 1]
// and add up to at most 1.
func (e ErrorRates) validate() error {
	sum := 0.0
	for _, st := range e.statuses() {
		p := e[st]
		if !slices.Contains(InjectableStatuses, st) {
			return fmt.Errorf("status %d cannot be injected; want one of %v", st, InjectableStatuses)
		}
		if math.IsNaN(p) || p < 0 || p > 1 {
			return fmt.Errorf("probability %v of %d: want 0 to 1 (or 0%% to 100%%)", p, st)
		}
		sum += p
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("probabilities add up to %v: want at most 1", sum)
	}
	return nil
}

// statuses returns the statuses of e, sorted: the order draws follow.
func (e ErrorRates) statuses() []int {
	st := make([]int, 0, len(e))
	for s := range e {
		st = append(st, s)
	}
	slices.Sort(st)
	return st
}

// pick returns the status to inject for u uniform in [0, 1), or 0. It
// runs on every request: it walks the fixed, sorted InjectableStatuses
// (validate allows no other key) rather than sorting e's keys.
func (e ErrorRates) pick(u float64) int {
	for _, st := range InjectableStatuses {
		if u < e[st] {
			return st
		}
		u -= e[st]
	}
	return 0
}

// Window is a span of time relative to the start of the simulation (or its
// last reset).
type Window struct {
	Start, Duration time.Duration
}

// ParseWindow parses "START+DURATION", e.g. "10s+5s": from 10 s after the
// start, for 5 s.
func ParseWindow(s string) (Window, error) {
	const form = `want START+DURATION such as "10s+5s" (from 10s after the start, for 5s)`
	st, du, ok := strings.Cut(strings.TrimSpace(s), "+")
	if !ok {
		return Window{}, fmt.Errorf("outage %q: %s", s, form)
	}
	start, err := parseControlDuration(st)
	if err != nil {
		return Window{}, fmt.Errorf("outage %q: start: %w; %s", s, err, form)
	}
	dur, err := parseControlDuration(du)
	if err != nil {
		return Window{}, fmt.Errorf("outage %q: duration: %w; %s", s, err, form)
	}
	if dur <= 0 {
		return Window{}, fmt.Errorf("outage %q: the duration must be above 0", s)
	}
	return Window{Start: start, Duration: dur}, nil
}

// String returns the form of ParseWindow.
func (w Window) String() string { return w.Start.String() + "+" + w.Duration.String() }

// UnmarshalText parses the form of ParseWindow.
func (w *Window) UnmarshalText(b []byte) error {
	v, err := ParseWindow(string(b))
	*w = v
	return err
}

// MarshalText returns the form of ParseWindow.
func (w Window) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// Stall holds every request arriving during For, once every Every (the
// first stall starts Every after the start), until the stall ends. The
// zero value never stalls.
type Stall struct {
	For, Every time.Duration
}

// ParseStall parses "FOR/EVERY", e.g. "2s/30s": every 30 s, hold requests
// for 2 s. "" is none.
func ParseStall(s string) (Stall, error) {
	const form = `want FOR/EVERY such as "2s/30s" (every 30s, hold requests for 2s)`
	if strings.TrimSpace(s) == "" {
		return Stall{}, nil
	}
	f, e, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Stall{}, fmt.Errorf("stall %q: %s", s, form)
	}
	d, err := parseControlDuration(f)
	if err != nil {
		return Stall{}, fmt.Errorf("stall %q: %w; %s", s, err, form)
	}
	every, err := parseControlDuration(e)
	if err != nil {
		return Stall{}, fmt.Errorf("stall %q: %w; %s", s, err, form)
	}
	if d <= 0 || every <= d {
		return Stall{}, fmt.Errorf("stall %q: want 0 < FOR < EVERY", s)
	}
	return Stall{For: d, Every: every}, nil
}

// String returns the form of ParseStall.
func (st Stall) String() string {
	if st.Every == 0 {
		return ""
	}
	return st.For.String() + "/" + st.Every.String()
}

// UnmarshalText parses the form of ParseStall.
func (st *Stall) UnmarshalText(b []byte) error {
	v, err := ParseStall(string(b))
	*st = v
	return err
}

// MarshalText returns the form of ParseStall.
func (st Stall) MarshalText() ([]byte, error) { return []byte(st.String()), nil }

// holdUntil returns when a request at elapsed (since the start) may be
// served: elapsed itself outside a stall.
func (st Stall) holdUntil(elapsed time.Duration) time.Duration {
	if st.Every <= 0 || elapsed < st.Every {
		return elapsed
	}
	if into := elapsed % st.Every; into < st.For {
		return elapsed - into + st.For
	}
	return elapsed
}

// parseControlDuration parses a non-negative duration of at most a day.
func parseControlDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 250ms or 5s", s)
	}
	if d < 0 || d > maxControlDuration {
		return 0, fmt.Errorf("%s: want 0 to %s", d, maxControlDuration)
	}
	return d, nil
}

// validate reports every problem of c, each a *field.Error whose name is
// prefixed by at ("" or "apis.mimo.").
func (c Controls) validate(at string) []error {
	var errs []error
	add := func(name, value, format string, args ...any) {
		errs = append(errs, field.Errorf(at+name, value, format, args...))
	}
	rate := float64(c.RateLimit)
	if math.IsNaN(rate) || rate < 0 || rate > MaxRateLimit || rate > 0 && rate < MinRateLimit {
		add("rate_limit", fmt.Sprint(rate), "want 0 (each plan's limit) or requests per second from 1/86400 (one a day) to %g", MaxRateLimit)
	}
	if c.Burst < 0 {
		add("burst", strconv.Itoa(c.Burst), "must be >= 0 (0: one second's worth of the rate limit)")
	} else if c.Burst > 0 && rate == 0 {
		add("burst", strconv.Itoa(c.Burst), "applies only with a rate limit for every key, which is not set")
	}
	if c.DailyLimit < 0 {
		add("daily_limit", strconv.Itoa(c.DailyLimit), "must be >= 0 (0: each plan's daily limit)")
	}
	if c.RetryAfter != "" && !slices.Contains(RetryAfterModes, c.RetryAfter) {
		add("retry_after", strconv.Quote(c.RetryAfter), "want one of %s", strings.Join(RetryAfterModes, ", "))
	}
	if c.LieFactor < 0 || c.LieFactor == 1 || c.LieFactor > 100 {
		add("lie_factor", strconv.Itoa(c.LieFactor), "want 2 to 100 (0: %d)", DefaultLieFactor)
	}
	if err := c.Errors.validate(); err != nil {
		add("errors", "", "%v", err)
	}
	for i, w := range c.Outages {
		if w.Duration <= 0 || w.Start < 0 || w.Start+w.Duration > 30*maxControlDuration {
			add(fmt.Sprintf("outages[%d]", i), w.String(), "want a start >= 0 and a duration > 0")
		}
	}
	if c.Stall != (Stall{}) && (c.Stall.For <= 0 || c.Stall.Every <= c.Stall.For) {
		add("stall", c.Stall.String(), "want 0 < for < every")
	}
	if c.Capacity < 0 {
		add("capacity", strconv.Itoa(c.Capacity), "must be >= 0 (0: the API's default)")
	}
	return errs
}

// over returns c with every zero field taken from base.
func (c Controls) over(base Controls) Controls {
	if c.RateLimit == 0 {
		c.RateLimit, c.Burst = base.RateLimit, base.Burst
	}
	if c.DailyLimit == 0 {
		c.DailyLimit = base.DailyLimit
	}
	if c.RetryAfter == "" {
		c.RetryAfter = base.RetryAfter
	}
	if c.LieFactor == 0 {
		c.LieFactor = base.LieFactor
	}
	if c.Latency.Dist == "" {
		c.Latency = base.Latency
	}
	if c.Errors == nil {
		c.Errors = base.Errors
	}
	if c.Outages == nil {
		c.Outages = base.Outages
	}
	if c.Stall == (Stall{}) {
		c.Stall = base.Stall
	}
	if c.Capacity == 0 {
		c.Capacity = base.Capacity
	}
	return c
}

// apiDefaults are built-in controls of some APIs, under Config's.
var apiDefaults = map[string]Controls{
	"mimo": {Capacity: 64},
}
