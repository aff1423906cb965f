package sim

import (
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseLatency(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Latency
		err  string
	}{
		{in: "", want: Latency{}},
		{in: "0", want: Latency{}},
		{in: "20ms", want: Latency{Dist: "fixed", A: 20 * time.Millisecond}},
		{in: "fixed:1s", want: Latency{Dist: "fixed", A: time.Second}},
		{in: " uniform:10ms,50ms ", want: Latency{Dist: "uniform", A: 10 * time.Millisecond, B: 50 * time.Millisecond}},
		{in: "lognormal:20ms,200ms", want: Latency{Dist: "lognormal", A: 20 * time.Millisecond, B: 200 * time.Millisecond}},
		{in: "gauss:1ms,2ms", err: `unknown distribution "gauss"`},
		{in: "uniform:10ms", err: "uniform takes 2 duration(s)"},
		{in: "fixed:1ms,2ms", err: "fixed takes 1 duration(s)"},
		{in: "uniform:50ms,10ms", err: "the maximum 10ms is below the minimum 50ms"},
		{in: "lognormal:200ms,20ms", err: "want 0 < p50 < p99"},
		{in: "lognormal:0s,20ms", err: "want 0 < p50 < p99"},
		{in: "fixed:-1s", err: "want 0 to 24h0m0s"},
		{in: "fixed:48h", err: "want 0 to 24h0m0s"},
		{in: "fast", err: `"fast" is not a duration`},
	} {
		got, err := ParseLatency(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseLatency(%q) error = %v; want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLatency(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if back, err := ParseLatency(got.String()); err != nil || back != got {
			t.Errorf("ParseLatency(%q.String() = %q) = %+v, %v; want it back", tc.in, got.String(), back, err)
		}
	}
}

func TestParseErrorRates(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ErrorRates
		err  string
	}{
		{in: "", want: nil},
		{in: "500=0.01", want: ErrorRates{500: 0.01}},
		{in: "500=0.01, 503=2%,504=0", want: ErrorRates{500: 0.01, 503: 0.02, 504: 0}},
		{in: "500", err: `item "500" has no '='`},
		{in: "five=0.1", err: `status "five" is not a number`},
		{in: "500=lots", err: `probability "lots" of 500 is not a number`},
		{in: "500=NaN", err: "is not a number"},
		{in: "418=0.1", err: "status 418 cannot be injected"},
		{in: "500=1.5", err: "probability 1.5 of 500: want 0 to 1"},
		{in: "500=-1%", err: "want 0 to 1"},
		{in: "500=0.6,503=0.6", err: "add up to 1.2"},
		{in: "500=0.1,500=0.2", err: "status 500 given twice"},
	} {
		got, err := ParseErrorRates(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseErrorRates(%q) error = %v; want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseErrorRates(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseWindowAndStall(t *testing.T) {
	if w, err := ParseWindow("10s+5s"); err != nil || w != (Window{10 * time.Second, 5 * time.Second}) || w.String() != "10s+5s" {
		t.Errorf("ParseWindow(10s+5s) = %+v %q, %v", w, w.String(), err)
	}
	for in, want := range map[string]string{
		"10s":      "want START+DURATION",
		"x+5s":     "start:",
		"1s+0s":    "the duration must be above 0",
		"1s+forty": "duration:",
	} {
		if _, err := ParseWindow(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseWindow(%q) error = %v; want %q", in, err, want)
		}
	}
	if st, err := ParseStall("2s/30s"); err != nil || st != (Stall{2 * time.Second, 30 * time.Second}) || st.String() != "2s/30s" {
		t.Errorf("ParseStall(2s/30s) = %+v, %v", st, err)
	}
	if st, err := ParseStall(""); err != nil || st != (Stall{}) {
		t.Errorf("ParseStall(\"\") = %+v, %v; want none", st, err)
	}
	for in, want := range map[string]string{
		"2s":     "want FOR/EVERY",
		"30s/2s": "want 0 < FOR < EVERY",
		"0s/2s":  "want 0 < FOR < EVERY",
		"2s/x":   `"x" is not a duration`,
	} {
		if _, err := ParseStall(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseStall(%q) error = %v; want %q", in, err, want)
		}
	}
}

func TestStallHoldUntil(t *testing.T) {
	st := Stall{For: 2 * time.Second, Every: 10 * time.Second}
	for _, tc := range []struct{ at, want time.Duration }{
		{0, 0}, // no stall at the start
		{time.Second, time.Second},
		{10 * time.Second, 12 * time.Second},
		{11 * time.Second, 12 * time.Second},
		{12 * time.Second, 12 * time.Second},
		{25 * time.Second, 25 * time.Second},
		{30*time.Second + time.Millisecond, 32 * time.Second},
	} {
		if got := st.holdUntil(tc.at); got != tc.want {
			t.Errorf("holdUntil(%s) = %s; want %s", tc.at, got, tc.want)
		}
	}
	if got := (Stall{}).holdUntil(time.Hour); got != time.Hour {
		t.Errorf("no stall: holdUntil(1h) = %s; want 1h", got)
	}
}

// TestLatencyDistributions draws many delays and checks their quantiles
// against the parameters. The draws are seeded, so this is deterministic.
func TestLatencyDistributions(t *testing.T) {
	f := newFaults(Controls{}, 42, "mira")
	const n = 20000
	quantiles := func(l Latency) (p50, p99, lo, hi time.Duration) {
		d := make([]time.Duration, n)
		for i := range d {
			_, u, z := f.draw()
			d[i] = l.sample(u, z)
		}
		slices.Sort(d)
		return d[n/2], d[n*99/100], d[0], d[n-1]
	}
	near := func(got, want time.Duration, tol float64) bool {
		return math.Abs(float64(got-want)) <= tol*float64(want)
	}

	l := Latency{Dist: "lognormal", A: 20 * time.Millisecond, B: 200 * time.Millisecond}
	p50, p99, _, _ := quantiles(l)
	if !near(p50, l.A, 0.05) || !near(p99, l.B, 0.15) {
		t.Errorf("lognormal:20ms,200ms: p50 %s, p99 %s; want about 20ms and 200ms", p50, p99)
	}
	u := Latency{Dist: "uniform", A: 10 * time.Millisecond, B: 50 * time.Millisecond}
	p50, _, lo, hi := quantiles(u)
	if !near(p50, 30*time.Millisecond, 0.05) || lo < u.A || hi > u.B {
		t.Errorf("uniform:10ms,50ms: p50 %s, range %s..%s; want about 30ms within 10ms..50ms", p50, lo, hi)
	}
	if d := (Latency{Dist: "fixed", A: time.Millisecond}).sample(0.9, 3); d != time.Millisecond {
		t.Errorf("fixed:1ms sample = %s", d)
	}
	if d := (Latency{}).sample(0.9, 3); d != 0 {
		t.Errorf("no latency sample = %s", d)
	}
}

// TestRetryAfterModes sends a request over the limit in each Retry-After
// behaviour, then times retries on the fake clock: the advertised wait and
// the real one agree only where the behaviour is honest.
func TestRetryAfterModes(t *testing.T) {
	// One request per minute: the seed's own "retry after 60 seconds".
	const minute = 60 * time.Second
	httpDate := func(d time.Duration) string { return epoch.Add(d).Format(http.TimeFormat) }
	for _, tc := range []struct {
		mode       string
		retryAfter string // the header on the first 429; "" for none
		detail     string
		// retries: the clock offsets (from the first 429) of retries, and
		// the status each gets.
		retries []retryStep
	}{
		{mode: "honest", retryAfter: "60", detail: "Rate limit exceeded. Please retry after 60 seconds.",
			retries: steps(59*time.Second, 429, minute, 200)},
		{mode: "http-date", retryAfter: httpDate(minute), detail: "Rate limit exceeded. Please retry after 60 seconds.",
			retries: steps(59*time.Second, 429, minute, 200)},
		{mode: "missing", detail: "Rate limit exceeded. Please retry after 60 seconds.",
			retries: steps(minute, 200)},
		{mode: "malformed", retryAfter: "60s", detail: "Rate limit exceeded. Please retry after 60 seconds.",
			retries: steps(minute, 200)},
		{mode: "zero", retryAfter: "0", detail: "Rate limit exceeded. Please retry after 0 seconds.",
			retries: steps(time.Duration(0), 429, time.Second, 429, minute, 200)},
		{mode: "lying", retryAfter: "60", detail: "Rate limit exceeded. Please retry after 60 seconds.",
			// Blocked for 3 × 60 s, whatever it says on the way.
			retries: steps(minute, 429, 2*minute, 429, 3*minute-time.Second, 429, 3*minute, 200)},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			clock := newFakeClock(epoch)
			s := mustNew(t, Config{Controls: Controls{RateLimit: 1.0 / 60, RetryAfter: tc.mode}}, clock)
			ts := mustServe(t, s)
			c := call{auth: bearer("demo-full"), body: chat("mira")}
			if a := do(t, ts.Client(), ts.URL, c); a.status != 200 {
				t.Fatalf("first request = %d %s; want 200", a.status, a.body)
			}
			a := do(t, ts.Client(), ts.URL, c)
			_, has := a.header["Retry-After"]
			if a.status != 429 || a.header.Get("Retry-After") != tc.retryAfter || has != (tc.retryAfter != "") ||
				a.body != `{"detail":"`+tc.detail+`"}` {
				t.Fatalf("second request = %d Retry-After %q %s; want 429 %q %s", a.status, a.header.Get("Retry-After"), a.body, tc.retryAfter, tc.detail)
			}
			if tc.mode == "http-date" {
				if got := a.header.Get("Date"); got != httpDate(0) {
					t.Errorf("Date = %q; want the simulation's clock %q", got, httpDate(0))
				}
			}
			at := time.Duration(0)
			for _, r := range tc.retries {
				clock.Advance(r.at - at)
				at = r.at
				got := do(t, ts.Client(), ts.URL, c)
				if got.status != r.status {
					t.Errorf("retry %s after the 429 = %d (Retry-After %q); want %d", r.at, got.status, got.header.Get("Retry-After"), r.status)
				}
				if tc.mode == "lying" && got.status == 429 {
					// Each answer of the lie understates the rest of the block
					// (down to whole seconds: 1 s is the least it can say).
					secs, err := strconv.Atoi(got.header.Get("Retry-After"))
					if left := 3*minute - r.at; err != nil || left > time.Second && time.Duration(secs)*time.Second >= left {
						t.Errorf("lying retry %s: Retry-After %q; want below the real %s", r.at, got.header.Get("Retry-After"), left)
					}
				}
			}
			st := s.Stats().APIs["mira"]
			if st.Status["429"] == 0 || st.Codes["rate_limited"] != st.Status["429"] {
				t.Errorf("stats = %s; want the 429s counted as rate_limited", mustJSON(t, st))
			}
			var sent int64
			for _, n := range st.RetryAfter {
				sent += n
			}
			if want := int64(0); tc.mode != "missing" && sent == want || tc.mode == "missing" && sent != want {
				t.Errorf("stats retry_after = %v in mode %s", st.RetryAfter, tc.mode)
			}
		})
	}
}

// retryStep is a retry at an offset from a 429, and the status it gets.
type retryStep struct {
	at     time.Duration
	status int
}

// steps pairs offsets with statuses: steps(1s, 429, 2s, 200).
func steps(pairs ...any) []retryStep {
	var out []retryStep
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, retryStep{pairs[i].(time.Duration), pairs[i+1].(int)})
	}
	return out
}

func TestOutageWindow(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{Controls: Controls{Outages: []Window{{Start: 10 * time.Second, Duration: 5 * time.Second}}}}, clock)
	ts := mustServe(t, s)
	c := call{auth: bearer("demo-full"), body: chat("mira")}
	for _, tc := range []struct {
		at         time.Duration
		status     int
		retryAfter string
	}{
		{9 * time.Second, 200, ""},
		{10 * time.Second, 503, "5"},
		{12*time.Second + 500*time.Millisecond, 503, "3"},
		{14*time.Second + 999*time.Millisecond, 503, "1"},
		{15 * time.Second, 200, ""},
	} {
		clock.mu.Lock()
		clock.t = epoch.Add(tc.at)
		clock.mu.Unlock()
		a := do(t, ts.Client(), ts.URL, c)
		if a.status != tc.status || a.header.Get("Retry-After") != tc.retryAfter {
			t.Errorf("at %s: %d Retry-After %q %s; want %d %q", tc.at, a.status, a.header.Get("Retry-After"), a.body, tc.status, tc.retryAfter)
		}
		if a.status == 503 && a.body != `{"detail":"Service temporarily unavailable."}` {
			t.Errorf("at %s: body %s; want Mira's 503", tc.at, a.body)
		}
	}
	st := s.Stats().APIs["mira"]
	if st.Faults[faultOutage] != 3 || st.Codes["unavailable"] != 3 {
		t.Errorf("stats = %s; want 3 outage faults answered as unavailable", mustJSON(t, st))
	}
	// A reset restarts the timeline: 10 s later, the outage again.
	s.Reset()
	clock.Advance(10 * time.Second)
	if a := do(t, ts.Client(), ts.URL, c); a.status != 503 {
		t.Errorf("10s after a reset = %d; want 503", a.status)
	}
}

// TestInjectedErrors checks the rates of injected errors over many requests,
// that the stats count them, and that one seed gives one sequence.
func TestInjectedErrors(t *testing.T) {
	const n = 4000
	rates := ErrorRates{500: 0.1, 502: 0.05, 503: 0.1, 504: 0.05}
	run := func(seed int64) ([]int, *Server) {
		s := mustNew(t, Config{Seed: seed, Controls: Controls{Errors: rates}}, newFakeClock(epoch))
		statuses := make([]int, n)
		for i := range statuses {
			req := httptest.NewRequest(http.MethodPost, "/mira/v1/chat/completions", strings.NewReader(chat("mira")))
			req.Header.Set("Authorization", "Bearer demo-full")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			statuses[i] = rec.Code
			if rec.Code == 503 && rec.Header().Get("Retry-After") != "1" {
				t.Fatalf("injected 503 with Retry-After %q; want 1", rec.Header().Get("Retry-After"))
			}
			if rec.Code >= 500 && rec.Header().Get("Retry-After") != "" && rec.Code != 503 {
				t.Fatalf("injected %d with Retry-After %q; want none", rec.Code, rec.Header().Get("Retry-After"))
			}
		}
		return statuses, s
	}
	a, s := run(5)
	count := map[int]int{}
	for _, st := range a {
		count[st]++
	}
	for status, p := range rates {
		// Within 5 standard deviations of the binomial: never flaky for a
		// fixed seed, and still catches a wrong rate.
		sd := math.Sqrt(n * p * (1 - p))
		if math.Abs(float64(count[status])-n*p) > 5*sd {
			t.Errorf("status %d: %d of %d; want about %.0f", status, count[status], n, n*p)
		}
	}
	injected := count[500] + count[502] + count[503] + count[504]
	st := s.Stats().APIs["mira"]
	if st.Faults[faultInjected] != int64(injected) || st.Status["200"] != int64(count[200]) || count[200]+injected != n {
		t.Errorf("stats = %s; client saw %v", mustJSON(t, st), count)
	}
	if b, _ := run(5); !slices.Equal(a, b) {
		t.Errorf("seed 5 twice: different sequences of statuses")
	}
	if c, _ := run(6); slices.Equal(a, c) {
		t.Errorf("seeds 5 and 6: the same sequence of statuses")
	}
}

// TestDelays checks that fixed latency and stalls hold requests at least as
// long as they say (lower bounds only: a loaded machine adds, never
// subtracts).
func TestDelays(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{APIs: map[string]Controls{"mira": {
		Latency: Latency{Dist: "fixed", A: 40 * time.Millisecond},
		Stall:   Stall{For: 300 * time.Millisecond, Every: time.Second},
	}}}, clock)
	ts := mustServe(t, s)
	c := call{auth: bearer("demo-full"), body: chat("mira")}
	timed := func() time.Duration {
		start := time.Now()
		if a := do(t, ts.Client(), ts.URL, c); a.status != 200 {
			t.Fatalf("answer %d %s; want 200", a.status, a.body)
		}
		return time.Since(start)
	}
	if d := timed(); d < 40*time.Millisecond {
		t.Errorf("with latency fixed:40ms, a request took %s", d)
	}
	clock.Advance(time.Second + 100*time.Millisecond) // 200ms left of the stall
	if d := timed(); d < 240*time.Millisecond {
		t.Errorf("in a stall with 200ms left, plus 40ms latency, a request took %s", d)
	}
	st := s.Stats().APIs["mira"]
	if st.Faults[faultStalled] != 1 || st.Status["200"] != 2 {
		t.Errorf("stats = %s; want one stalled request, both answered 200", mustJSON(t, st))
	}
}

// TestCapacity fills the simulation past its capacity with slow requests.
func TestCapacity(t *testing.T) {
	s := mustNew(t, Config{APIs: map[string]Controls{"mira": {
		Capacity: 2, Latency: Latency{Dist: "fixed", A: time.Second},
	}}}, newFakeClock(epoch))
	ts := mustServe(t, s)
	statuses := make(chan int, 6)
	for range 6 {
		go func() {
			a := do(t, ts.Client(), ts.URL, call{auth: bearer("demo-full"), body: chat("mira")})
			if a.status == 503 && a.header.Get("Retry-After") != "1" {
				t.Errorf("over capacity: Retry-After %q; want 1", a.header.Get("Retry-After"))
			}
			statuses <- a.status
		}()
	}
	count := map[int]int{}
	for range 6 {
		count[<-statuses]++
	}
	st := s.Stats().APIs["mira"]
	if count[200] < 1 || count[200] > 2 || count[503] != 6-count[200] || st.Faults[faultCapacity] != int64(count[503]) {
		t.Errorf("6 concurrent requests at capacity 2: %v, stats %s; want at most 2 served, the rest 503 counted as capacity", count, mustJSON(t, st))
	}
}

func TestControlsOver(t *testing.T) {
	base := Controls{RateLimit: 5, Burst: 2, RetryAfter: "lying", LieFactor: 4, Capacity: 9,
		Latency: Latency{Dist: "fixed", A: 1}, Errors: ErrorRates{500: 0.1},
		Outages: []Window{{0, 1}}, Stall: Stall{1, 2}}
	if got := (Controls{}).over(base); !reflect.DeepEqual(got, base) {
		t.Errorf("zero.over(base) = %+v; want base", got)
	}
	own := Controls{RateLimit: 7, RetryAfter: "zero", Errors: ErrorRates{}}
	got := own.over(base)
	if got.RateLimit != 7 || got.Burst != 0 || got.RetryAfter != "zero" || got.Errors == nil || len(got.Errors) != 0 || got.Capacity != 9 {
		t.Errorf("own.over(base) = %+v; want own rate (with its own burst), mode and empty errors, base capacity", got)
	}
}

// TestQuotaHeaders checks X-RateLimit-* against the limiter on the fake
// clock: the limit is the burst, remaining counts down, and a rejection's
// reset is when its wait ends.
func TestQuotaHeaders(t *testing.T) {
	lm := newLimiter()
	lim := limit{rate: 1, burst: 3}
	var got [][3]string
	for range 4 {
		h := http.Header{}
		quotaHeaders(h, lm.allow(testBucket, lim, epoch.Add(100*time.Millisecond)))
		got = append(got, [3]string{h.Get("X-RateLimit-Limit"), h.Get("X-RateLimit-Remaining"), h.Get("X-RateLimit-Reset")})
	}
	base := epoch.Unix()
	want := [][3]string{
		{"3", "2", strconv.FormatInt(base+2, 10)}, // full again at 1.1 s: rounded up to 2 s
		{"3", "1", strconv.FormatInt(base+3, 10)},
		{"3", "0", strconv.FormatInt(base+4, 10)},
		{"3", "0", strconv.FormatInt(base+2, 10)}, // rejected: the next token at 1.1 s
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("headers = %v; want %v", got, want)
	}
	h := http.Header{}
	quotaHeaders(h, decision{ok: true})
	if len(h) != 0 {
		t.Errorf("no limit: headers %v; want none", h)
	}
	// Daily only: the limit is the day's, and resets at midnight.
	lm = newLimiter()
	h = http.Header{}
	quotaHeaders(h, lm.allow(testBucket, limit{perDay: 10}, epoch))
	midnight := epoch.Truncate(24 * time.Hour).Add(24 * time.Hour).Unix()
	if h.Get("X-RateLimit-Limit") != "10" || h.Get("X-RateLimit-Remaining") != "9" || h.Get("X-RateLimit-Reset") != strconv.FormatInt(midnight, 10) {
		t.Errorf("daily limit headers = %v; want 10, 9, %d", h, midnight)
	}
}

func TestDailyLimitControl(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{Controls: Controls{DailyLimit: 3}}, clock)
	ts := mustServe(t, s)
	c := call{auth: bearer("demo-full"), body: chat("mira")}
	var got []int
	for range 4 {
		got = append(got, do(t, ts.Client(), ts.URL, c).status)
	}
	if !slices.Equal(got, []int{200, 200, 200, 429}) {
		t.Errorf("daily_limit 3: statuses %v; want 3 × 200, then 429", got)
	}
	if st := s.Stats().APIs["mira"]; st.Codes["daily_limited"] != 1 {
		t.Errorf("stats codes %v; want one daily_limited", st.Codes)
	}
	clock.Advance(14 * time.Hour) // past midnight UTC
	if a := do(t, ts.Client(), ts.URL, c); a.status != 200 {
		t.Errorf("the next day: %d; want 200", a.status)
	}
}

// TestRetryAfterRealClock times retries on the real clock: an honest
// limiter admits after the advertised wait; a lying one does not.
func TestRetryAfterRealClock(t *testing.T) {
	if testing.Short() {
		t.Skip("waits on the real clock")
	}
	for _, tc := range []struct {
		mode    string
		afterRA int // status after waiting the advertised Retry-After
	}{{"honest", 200}, {"lying", 429}} {
		t.Run(tc.mode, func(t *testing.T) {
			s, err := New(Config{Controls: Controls{RateLimit: 1, Burst: 1, RetryAfter: tc.mode, LieFactor: 2}})
			if err != nil {
				t.Fatal(err)
			}
			ts := mustServe(t, s)
			c := call{auth: bearer("demo-full"), body: chat("mira")}
			if a := do(t, ts.Client(), ts.URL, c); a.status != 200 {
				t.Fatalf("first = %d", a.status)
			}
			a := do(t, ts.Client(), ts.URL, c)
			secs, err := strconv.Atoi(a.header.Get("Retry-After"))
			if a.status != 429 || err != nil || secs != 1 {
				t.Fatalf("second = %d Retry-After %q; want 429 and 1", a.status, a.header.Get("Retry-After"))
			}
			time.Sleep(time.Duration(secs) * time.Second)
			if a := do(t, ts.Client(), ts.URL, c); a.status != tc.afterRA {
				t.Errorf("after the advertised %ds: %d; want %d", secs, a.status, tc.afterRA)
			}
			if tc.mode == "lying" {
				time.Sleep(1100 * time.Millisecond) // the real wait: 2 × 1 s
				if a := do(t, ts.Client(), ts.URL, c); a.status != 200 {
					t.Errorf("after the real wait: %d; want 200", a.status)
				}
			}
		})
	}
}

// TestHTTPDateAtFractionalSecond: a client that comes back at the date a
// 429 names is admitted, whatever the fraction of a second it was sent at.
func TestHTTPDateAtFractionalSecond(t *testing.T) {
	clock := newFakeClock(epoch.Add(900 * time.Millisecond))
	s := mustNew(t, Config{Controls: Controls{RateLimit: 2, Burst: 1, RetryAfter: RetryAfterHTTPDate}}, clock)
	ts := mustServe(t, s)
	c := call{auth: bearer("demo-full"), body: chat("mira")}
	do(t, ts.Client(), ts.URL, c)
	a := do(t, ts.Client(), ts.URL, c)
	at, err := http.ParseTime(a.header.Get("Retry-After"))
	if a.status != 429 || err != nil {
		t.Fatalf("second request = %d Retry-After %q; want 429 and a date", a.status, a.header.Get("Retry-After"))
	}
	clock.mu.Lock()
	clock.t = at
	clock.mu.Unlock()
	if a := do(t, ts.Client(), ts.URL, c); a.status != 200 {
		t.Errorf("at the advertised date %s: %d; want 200", at, a.status)
	}
}

func TestTinyRateLimitRejected(t *testing.T) {
	if errs := (Config{Controls: Controls{RateLimit: 1e-12}}).Validate(); len(errs) != 1 || !strings.Contains(errs[0].Error(), "1/86400") {
		t.Errorf("Validate(rate_limit 1e-12) = %v; want one error naming the minimum", errs)
	}
	if errs := (Config{Controls: Controls{RateLimit: MinRateLimit}}).Validate(); len(errs) != 0 {
		t.Errorf("Validate(rate_limit one a day) = %v; want none", errs)
	}
}

func TestBadFaultHeaderCountsTheKey(t *testing.T) {
	s := mustNew(t, Config{AllowFaultHeader: true}, newFakeClock(epoch))
	ts := mustServe(t, s)
	a := do(t, ts.Client(), ts.URL, call{auth: bearer("demo-full"), header: map[string]string{FaultHeader: "418"}, body: chat("mira")})
	st := s.Stats().APIs["mira"]
	if a.status != 400 || st.Keys["demo-full"] != 1 || st.Faults[faultBadHeader] != 1 {
		t.Errorf("bad fault header: %d %s, stats %s; want 400 counted under demo-full", a.status, a.body, mustJSON(t, st))
	}
}

func TestRefundAfterResetKeepsTheBalance(t *testing.T) {
	kr := newKeyring([]KeyConfig{{Name: "k", Key: "sk-k", Plan: "full", Balance: ptr(int64(2))}})
	k := kr.all[0]
	if !k.charge() {
		t.Fatal("charge of a balance of 2 failed")
	}
	kr.reset() // the balance is 2 again…
	k.refund() // …and the refund of the charge before the reset must not make it 3
	if got := k.balance.Load(); got != 2 {
		t.Errorf("balance = %d; want 2", got)
	}
}
