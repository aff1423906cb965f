package probe_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/probe"
	"github.com/stampede-dev/stampede/ratelimit"
	"github.com/stampede-dev/stampede/records/probefile"
	"github.com/stampede-dev/stampede/sim"
)

// inProcess is a RoundTripper that serves every request with a handler in
// the calling goroutine: no network, so that under synctest the probe and
// the simulation share one fake clock and the probe's waits take no time.
type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, req)
	if req.Body != nil {
		req.Body.Close()
	}
	return rec.Result(), nil
}

// chatTarget is a valid Mira chat request with the demo-full key, whose
// plan's limit the simulation's RateLimit replaces.
var chatTarget = vegeta.Target{
	Method: http.MethodPost,
	URL:    "http://sim.test/mira/v1/chat/completions",
	Header: http.Header{"Authorization": {"Bearer demo-full"}, "Content-Type": {"application/json"}},
	Body:   []byte(`{"model":"mira","messages":[{"role":"user","content":"Hi"}]}`),
}

// testLimit is the simulation's limit in these tests: a request every
// 2.5 s from a bucket of one. At the ramp's first rate, 2/s, the second
// request gets a 429 whose real wait (2 s) is well above the margin.
const testLimit = 0.4

// mustSim returns a simulation whose 429s advertise their wait in the
// Retry-After behaviour mode.
func mustSim(t *testing.T, mode string) *sim.Server {
	t.Helper()
	s, err := sim.New(sim.Config{Controls: sim.Controls{RateLimit: testLimit, Burst: 1, RetryAfter: mode}})
	if err != nil {
		t.Fatalf("sim.New: %v", err)
	}
	return s
}

// options returns the default options against h, logging the probe's
// progress.
func options(t *testing.T, h http.Handler) probe.Options {
	return probe.Options{
		Target: chatTarget, Client: &http.Client{Transport: inProcess{h}, Timeout: 10 * time.Second},
		Bounds: probe.DefaultBounds(), Progress: func(line string) { t.Log(line) },
	}
}

// mustRun runs the probe, failing the test on an error.
func mustRun(t *testing.T, ctx context.Context, o probe.Options) probe.Result {
	t.Helper()
	res, err := probe.Run(ctx, o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("verdict %s: %s", res.Verdict, res.Explain())
	return res
}

// checkCount checks the request bound and that the probe counted every
// request the simulation answered.
func checkCount(t *testing.T, s *sim.Server, res probe.Result) {
	t.Helper()
	if got := s.Stats().Requests; got != int64(res.Requests) {
		t.Errorf("the simulation answered %d requests; the probe counted %d", got, res.Requests)
	}
	if res.Requests > res.Bounds.MaxRequests {
		t.Errorf("Requests = %d; want at most MaxRequests %d", res.Requests, res.Bounds.MaxRequests)
	}
}

// kinds lists the kinds of a round's exchanges.
func kinds(r probe.Round) string {
	k := make([]string, len(r.Exchanges))
	for i, e := range r.Exchanges {
		k[i] = e.Kind
	}
	return strings.Join(k, ",")
}

// TestRunModes probes the simulation in each Retry-After behaviour: each
// gets its own verdict, with the evidence.
func TestRunModes(t *testing.T) {
	for _, tc := range []struct {
		mode    string
		verdict probe.Verdict
		form    ratelimit.RetryAfterForm
		check   func(t *testing.T, r probe.Round)
	}{
		{sim.RetryAfterHonest, probe.Honest, ratelimit.RetryAfterSeconds, func(t *testing.T, r probe.Round) {
			// Admitted at T+margin, or at T/2 only where T is the wait
			// rounded up to a whole second.
			if !r.Recovered || r.RealWait > r.Advertised+probe.DefaultMargin {
				t.Errorf("first admitted at %s (recovered %v); want by %s + margin", r.RealWait, r.Recovered, r.Advertised)
			}
		}},
		{sim.RetryAfterMissing, probe.NoRetryAfter, ratelimit.RetryAfterAbsent, func(t *testing.T, r probe.Round) {
			// Backoff at 1 s, then 3 s: the real wait of 2 s lies between.
			if got := kinds(r); got != "trigger,backoff,backoff" || !r.Recovered || r.RealWait != 3*time.Second || r.RejectedUntil != time.Second {
				t.Errorf("exchanges %s, recovered %v at %s after a rejection at %s; want trigger,backoff,backoff recovered at 3s after 1s", got, r.Recovered, r.RealWait, r.RejectedUntil)
			}
		}},
		{sim.RetryAfterLying, probe.Understated, ratelimit.RetryAfterSeconds, func(t *testing.T, r probe.Round) {
			// The limiter blocks LieFactor (3) times the advertised 2 s.
			if r.Advertised != 2*time.Second || !r.Recovered || r.RejectedUntil < 2*r.Advertised || r.RealWait < sim.DefaultLieFactor*r.Advertised {
				t.Errorf("advertised %s, rejected until %s, first admitted at %s; want 2s, then rejections past 4s and an admission at 6s or later",
					r.Advertised, r.RejectedUntil, r.RealWait)
			}
			if r.Halfway == nil || *r.Halfway || r.Deadline == nil || *r.Deadline || r.Polls == 0 {
				t.Errorf("halfway %v, deadline %v, polls %d; want rejected, rejected, some polls", r.Halfway, r.Deadline, r.Polls)
			}
		}},
		{sim.RetryAfterMalformed, probe.MalformedRetryAfter, ratelimit.RetryAfterInvalid, func(t *testing.T, r probe.Round) {
			if r.RetryAfter != "2s" || !r.Recovered || r.RealWait != 3*time.Second {
				t.Errorf("Retry-After %q, recovered %v at %s; want \"2s\", recovered at 3s by backing off", r.RetryAfter, r.Recovered, r.RealWait)
			}
		}},
		{sim.RetryAfterHTTPDate, probe.Honest, ratelimit.RetryAfterIMFDate, func(t *testing.T, r probe.Round) {
			// The date is rounded up to the second: 3 s from Date.
			if r.Advertised != 3*time.Second || r.Deadline == nil || !*r.Deadline || !strings.HasSuffix(r.RetryAfter, " GMT") {
				t.Errorf("Retry-After %q = %s, deadline %v; want a date 3s after Date, admitted at T+margin", r.RetryAfter, r.Advertised, r.Deadline)
			}
		}},
		{sim.RetryAfterZero, probe.Understated, ratelimit.RetryAfterSeconds, func(t *testing.T, r probe.Round) {
			if r.RetryAfter != "0" || r.Advertised != 0 || r.Halfway != nil || r.Deadline == nil || *r.Deadline || !r.Recovered || r.RealWait <= probe.DefaultMargin {
				t.Errorf("Retry-After %q (%s), halfway %v, deadline %v, first admitted at %s; want 0, no halfway, rejected at the margin, admitted later",
					r.RetryAfter, r.Advertised, r.Halfway, r.Deadline, r.RealWait)
			}
		}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := mustSim(t, tc.mode)
				res := mustRun(t, t.Context(), options(t, s))
				checkCount(t, s, res)
				if res.Verdict != tc.verdict || res.Stopped != probe.StopNone || res.GaveUp != "" {
					t.Errorf("verdict %s, stopped %q, gave up %q; want %s, neither", res.Verdict, res.Stopped, res.GaveUp, tc.verdict)
				}
				if len(res.Rounds) != probe.DefaultRounds {
					t.Fatalf("%d rounds; want %d", len(res.Rounds), probe.DefaultRounds)
				}
				for i, r := range res.Rounds {
					if r.Verdict != tc.verdict || r.Form != tc.form || r.Exchanges[0].Kind != probe.KindTrigger || r.Exchanges[0].Status != 429 {
						t.Errorf("round %d: verdict %s, form %s, first exchange %+v; want %s, %s, the 429", i+1, r.Verdict, r.Form, r.Exchanges[0], tc.verdict, tc.form)
					}
					if r.TriggerRate != probe.DefaultStartRate {
						t.Errorf("round %d: 429 at %g/s; want at the first rate", i+1, r.TriggerRate)
					}
				}
				tc.check(t, res.Rounds[0])
			})
		})
	}
}

// TestRunRequestBound stops a probe at every bound from 1 to 20 requests:
// it never sends more, and says when the bound stopped it.
func TestRunRequestBound(t *testing.T) {
	for maxRequests := 1; maxRequests <= 20; maxRequests++ {
		t.Run(strconv.Itoa(maxRequests), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := mustSim(t, sim.RetryAfterLying)
				o := options(t, s)
				o.MaxRequests = maxRequests
				res := mustRun(t, t.Context(), o)
				checkCount(t, s, res)
				// A whole lying round takes 2 ramp requests, halfway,
				// deadline and 4 polls: 8. Three rounds take 22.
				if res.Stopped != probe.StopMaxRequests || res.Requests != maxRequests {
					t.Errorf("stopped %q after %d requests; want %q after %d", res.Stopped, res.Requests, probe.StopMaxRequests, maxRequests)
				}
				var want probe.Verdict
				switch {
				case maxRequests < 2:
					want = probe.NoLimit // the ramp got no 429 within the bound
				case maxRequests < 4:
					want = probe.Inconclusive // no answer at the deadline yet
				default:
					want = probe.Understated
				}
				if res.Verdict != want {
					t.Errorf("verdict %s; want %s", res.Verdict, want)
				}
			})
		})
	}
}

func TestRunRequestBoundFive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mustSim(t, sim.RetryAfterHonest)
		o := options(t, s)
		o.MaxRequests = 5
		res := mustRun(t, t.Context(), o)
		checkCount(t, s, res)
		if res.Requests != 5 || res.Stopped != probe.StopMaxRequests || res.Verdict != probe.Honest || len(res.Rounds) != 2 {
			t.Errorf("requests %d, stopped %q, verdict %s, %d rounds; want 5, %q, honest from round 1, 2 rounds", res.Requests, res.Stopped, res.Verdict, len(res.Rounds), probe.StopMaxRequests)
		}
		if r := res.Rounds[1]; r.Verdict != "" {
			t.Errorf("round 2 (cut short): verdict %s; want none", r.Verdict)
		}
	})
}

// TestRunTimeBound: no request leaves after MaxTime; what was measured by
// then is kept.
func TestRunTimeBound(t *testing.T) {
	for _, tc := range []struct {
		maxTime   time.Duration
		verdict   probe.Verdict
		recovered bool
	}{
		// Lying: 429 at 0.5 s, halfway 1.5 s, deadline 2.75 s, polls 3 s,
		// 3.5 s, 4.5 s, 6.5 s (admitted).
		{time.Second, probe.Inconclusive, false},
		{2 * time.Second, probe.Inconclusive, false},
		{4 * time.Second, probe.Understated, false},
		{7 * time.Second, probe.Understated, true},
	} {
		t.Run(tc.maxTime.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := mustSim(t, sim.RetryAfterLying)
				o := options(t, s)
				o.MaxTime = tc.maxTime
				start := time.Now()
				res := mustRun(t, t.Context(), o)
				checkCount(t, s, res)
				if res.Stopped != probe.StopMaxTime || res.Verdict != tc.verdict || res.Elapsed > tc.maxTime {
					t.Errorf("stopped %q, verdict %s after %s; want %q, %s within %s", res.Stopped, res.Verdict, res.Elapsed, probe.StopMaxTime, tc.verdict, tc.maxTime)
				}
				if len(res.Rounds) == 0 || res.Rounds[0].Recovered != tc.recovered {
					t.Fatalf("rounds %+v; want round 1 recovered %v", res.Rounds, tc.recovered)
				}
				r := res.Rounds[0]
				if last := r.Exchanges[len(r.Exchanges)-1]; time.Since(start) > tc.maxTime || last.At > tc.maxTime {
					t.Errorf("last request at %s after the 429, probe ended %s after its start; want both within %s", last.At, time.Since(start), tc.maxTime)
				}
			})
		})
	}
}

// TestRunNoLimit: a target that never answers 429 gets the whole ramp and
// no more.
func TestRunNoLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits int
		var mu sync.Mutex
		o := options(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			mu.Lock()
			hits++
			mu.Unlock()
		}))
		o.MaxRate = 8
		res := mustRun(t, t.Context(), o)
		// 2/s, 4/s and 8/s for a second each.
		if res.Verdict != probe.NoLimit || res.Requests != 14 || hits != 14 || len(res.Rounds) != 0 {
			t.Errorf("verdict %s, %d requests (%d hits), %d rounds; want no_limit, 14, 14, 0", res.Verdict, res.Requests, hits, len(res.Rounds))
		}
		if want := "no 429 up to 8/s"; !strings.HasPrefix(res.GaveUp, want) || !strings.Contains(res.Explain(), "nothing to verify") {
			t.Errorf("gave up %q, explained %q; want %q…, nothing to verify", res.GaveUp, res.Explain(), want)
		}
	})
}

// limiter is a scripted limiter: one request every interval, and 429s
// whose Retry-After says(wait) for the real wait.
type limiter struct {
	mu       sync.Mutex
	next     time.Time
	interval time.Duration
	says     func(wait time.Duration) string
}

func (l *limiter) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Before(l.next) {
		w.Header().Set("Retry-After", l.says(l.next.Sub(now)))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	l.next = now.Add(l.interval)
}

func TestRunOverstated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &limiter{interval: time.Second, says: func(time.Duration) string { return "10" }}
		res := mustRun(t, t.Context(), options(t, l))
		r := res.Rounds[0]
		if res.Verdict != probe.Overstated || r.Halfway == nil || !*r.Halfway || r.Deadline != nil || r.RealWait != 5*time.Second {
			t.Errorf("verdict %s, halfway %v, deadline %v, real wait %s; want overstated: admitted at 5s, no deadline request", res.Verdict, r.Halfway, r.Deadline, r.RealWait)
		}
	})
}

// TestRunInconsistent: a limiter honest in round 1 and lying from round 2
// on.
func TestRunInconsistent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		honest, lying := mustSim(t, sim.RetryAfterHonest), mustSim(t, sim.RetryAfterLying)
		start := time.Now()
		// Round 1 ends at 2.75 s; round 2 starts at 5 s.
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if time.Since(start) < 4*time.Second {
				honest.ServeHTTP(w, r)
			} else {
				lying.ServeHTTP(w, r)
			}
		})
		o := options(t, h)
		o.Rounds = 2
		res := mustRun(t, t.Context(), o)
		if res.Verdict != probe.Inconsistent || res.Rounds[0].Verdict != probe.Honest || res.Rounds[1].Verdict != probe.Understated {
			t.Errorf("verdict %s, rounds %s, %s; want inconsistent: honest, understated", res.Verdict, res.Rounds[0].Verdict, res.Rounds[1].Verdict)
		}
		if want := "the rounds disagree: round 1 honest, round 2 understated"; res.Explain() != want {
			t.Errorf("Explain() = %q; want %q", res.Explain(), want)
		}
	})
}

// TestRunInFlightBound: a slow target never has more than MaxInFlight
// ramp requests at once.
func TestRunInFlightBound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var now, peak int
		h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			mu.Lock()
			now++
			peak = max(peak, now)
			mu.Unlock()
			time.Sleep(3 * time.Second)
			mu.Lock()
			now--
			mu.Unlock()
		})
		o := options(t, h)
		o.MaxInFlight, o.MaxRate, o.StartRate = 4, 64, 64
		res := mustRun(t, t.Context(), o)
		if peak != 4 || res.Verdict != probe.NoLimit {
			t.Errorf("peak %d in flight, verdict %s; want 4, no_limit", peak, res.Verdict)
		}
	})
}

// TestRunInterrupted: cancelling the context stops the probe at once,
// with what it measured.
func TestRunInterrupted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mustSim(t, sim.RetryAfterLying)
		ctx, cancel := context.WithCancel(t.Context())
		o := options(t, s)
		o.Progress = func(line string) {
			if strings.Contains(line, "deadline") {
				cancel()
			}
		}
		start := time.Now()
		res := mustRun(t, ctx, o)
		checkCount(t, s, res)
		if res.Stopped != probe.StopInterrupted || res.Verdict != probe.Understated || time.Since(start) > 3*time.Second {
			t.Errorf("stopped %q, verdict %s after %s; want interrupted, understated (known at the deadline), at once", res.Stopped, res.Verdict, time.Since(start))
		}
	})
}

// TestRunRefused: a target that refuses the request itself cannot be
// probed.
func TestRunRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mustSim(t, sim.RetryAfterHonest)
		o := options(t, s)
		o.Target.Header = http.Header{"Authorization": {"Bearer demo-revoked"}}
		res, err := probe.Run(t.Context(), o)
		if err == nil || !strings.Contains(err.Error(), "401 Unauthorized before any 429") || res.Requests == 0 || res.Requests > 2 {
			t.Errorf("Run = %d requests, %v; want an error naming the 401 after a request or two", res.Requests, err)
		}
	})
}

func TestRunTransportError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := options(t, nil)
		o.Client = &http.Client{Transport: failing{}}
		o.Target.URL = "http://sim.test/?api_key=s3cret"
		res, err := probe.Run(t.Context(), o)
		if err == nil || !errors.Is(err, errRefused) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Run: %v; want the transport error, without the URL", err)
		}
		// The ramp tolerates failures, up to 5 in a row.
		if res.Requests != 5 || res.Failures != 5 || res.Verdict != probe.Inconclusive || !strings.Contains(res.GaveUp, "5 requests in a row failed") {
			t.Errorf("%d requests, %d failures, verdict %s, gave up %q; want 5, 5, inconclusive, 5 in a row", res.Requests, res.Failures, res.Verdict, res.GaveUp)
		}
	})
}

var errRefused = errors.New("connection refused")

type failing struct{}

func (failing) RoundTrip(*http.Request) (*http.Response, error) { return nil, errRefused }

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*probe.Options)
		want string
	}{
		{"no target", func(o *probe.Options) { o.Target = vegeta.Target{} }, "target: a method and a URL are required"},
		{"start rate", func(o *probe.Options) { o.StartRate = 0 }, "start-rate 0: want a rate above 0"},
		{"max rate", func(o *probe.Options) { o.MaxRate = -1 }, "max-rate -1: want a rate above 0"},
		{"start above max", func(o *probe.Options) { o.StartRate, o.MaxRate = 10, 5 }, "start-rate 10/s: above max-rate 5/s"},
		{"step", func(o *probe.Options) { o.Step = 0 }, "step 0s: must be above 0"},
		{"max time", func(o *probe.Options) { o.MaxTime = -time.Second }, "max-time -1s: must be above 0"},
		{"max requests", func(o *probe.Options) { o.MaxRequests = 0 }, "max-requests 0: must be at least 1"},
		{"rounds", func(o *probe.Options) { o.Rounds = 0 }, "rounds 0: must be at least 1"},
		{"margin", func(o *probe.Options) { o.Margin = -time.Millisecond }, "margin -1ms: must not be negative"},
		{"in flight", func(o *probe.Options) { o.MaxInFlight = 0 }, "max-in-flight 0: must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := probe.Options{Target: chatTarget, Bounds: probe.DefaultBounds()}
			tc.edit(&o)
			errs := o.Validate()
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Errorf("Validate() = %v; want one error %q…", errs, tc.want)
			}
		})
	}
	if errs := (probe.Options{Target: chatTarget, Bounds: probe.DefaultBounds()}).Validate(); len(errs) != 0 {
		t.Errorf("Validate(defaults) = %v; want none", errs)
	}
}

func TestRamp(t *testing.T) {
	for _, tc := range []struct {
		start, max float64
		want       string
	}{
		{probe.DefaultStartRate, probe.DefaultMaxRate, "steps 2/s@1s,4/s@1s,8/s@1s,16/s@1s,32/s@1s,64/s@1s,128/s@1s,256/s@1s,512/s@1s,1000/s@1s"},
		{2, 8, "steps 2/s@1s,4/s@1s,8/s@1s"},
		{5, 5, "steps 5/s@1s"},
		{0.5, 1.5, "steps 0.5/s@1s,1/s@1s,1.5/s@1s"},
	} {
		b := probe.DefaultBounds()
		b.StartRate, b.MaxRate = tc.start, tc.max
		if got := b.Ramp().String(); got != tc.want {
			t.Errorf("Bounds{StartRate: %g, MaxRate: %g}.Ramp() = %s; want %s", tc.start, tc.max, got, tc.want)
		}
	}
}

// scripted is a RoundTripper that answers the nth request (from 0) with
// answer(n, req): a status and a Retry-After, or a transport failure. It
// records when each request arrived.
type scripted struct {
	mu     sync.Mutex
	n      int
	at     []time.Time
	answer func(n int, req *http.Request) (status int, retryAfter string, err error)
}

func (s *scripted) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	n := s.n
	s.n++
	s.at = append(s.at, time.Now())
	s.mu.Unlock()
	status, ra, err := s.answer(n, req)
	if err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	if ra != "" {
		rec.Header().Set("Retry-After", ra)
	}
	rec.WriteHeader(status)
	return rec.Result(), nil
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// statuses answers the nth request with list[n], the last one after.
func statuses(list ...int) func(int, *http.Request) (int, string, error) {
	return func(n int, _ *http.Request) (int, string, error) {
		st := list[min(n, len(list)-1)]
		if st == 429 {
			return st, "1", nil
		}
		if st == 0 {
			return 0, "", errRefused
		}
		return st, "", nil
	}
}

func scriptedOptions(t *testing.T, s *scripted) probe.Options {
	o := options(t, nil)
	o.Client = &http.Client{Transport: s}
	o.Rounds = 1
	return o
}

// TestRunTransientError: a 503 to the deadline request is no limiter
// answer: it is sent again 250 ms later, admitted, and the verdict is
// honest (it was understated when any status from 400 up was a rejection).
func TestRunTransientError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Ramp 200, 429 at 0.5 s; halfway 429; deadline 503; again: 200.
		s := &scripted{answer: statuses(200, 429, 429, 503, 200)}
		res := mustRun(t, t.Context(), scriptedOptions(t, s))
		r := res.Rounds[0]
		if res.Verdict != probe.Honest || r.Deadline == nil || !*r.Deadline || r.RealWait != 1500*time.Millisecond || r.NoAnswer != "" {
			t.Errorf("verdict %s, deadline %v, real wait %s, no answer %q; want honest, admitted at 1.5s", res.Verdict, r.Deadline, r.RealWait, r.NoAnswer)
		}
		if got := kinds(r); got != "trigger,halfway,deadline,deadline" || res.Requests != 5 || s.count() != 5 {
			t.Errorf("exchanges %s, %d requests (%d sent); want trigger,halfway,deadline,deadline, 5", got, res.Requests, s.count())
		}
	})
}

// TestRunNoLimiterAnswer: a step that gets no 429 and no 2xx in its
// retries ends the round without a verdict, and says why; so does a
// transport failure after the 429. Only a 429 rejects.
func TestRunNoLimiterAnswer(t *testing.T) {
	for _, st := range []int{503, 500, 401, 403, 302, 0} {
		t.Run(strconv.Itoa(st), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := &scripted{answer: statuses(200, 429, 429, st)}
				o := scriptedOptions(t, s)
				res, err := probe.Run(t.Context(), o)
				t.Logf("verdict %s: %s (%v)", res.Verdict, res.Explain(), err)
				r := res.Rounds[0]
				want := "the deadline request got no limiter answer in 4 tries"
				if r.Verdict != "" || !strings.HasPrefix(r.NoAnswer, want) || r.Deadline != nil {
					t.Errorf("round 1: verdict %q, deadline %v, no answer %q; want none, not measured, %q…", r.Verdict, r.Deadline, r.NoAnswer, want)
				}
				if got := kinds(r); got != "trigger,halfway,deadline,deadline,deadline,deadline" {
					t.Errorf("exchanges %s; want the deadline request and 3 retries", got)
				}
				if d := r.Exchanges[len(r.Exchanges)-1].At; d != 2*time.Second {
					t.Errorf("last retry at %s; want 1.25s + 3×250ms", d)
				}
				if res.Verdict != probe.Inconclusive || !strings.Contains(res.Explain(), "round 1: "+want) {
					t.Errorf("verdict %s, explained %q; want inconclusive, naming round 1's %q", res.Verdict, res.Explain(), want)
				}
				wantFailures := 0
				if st == 0 {
					wantFailures = 4
				}
				if err != nil || res.Requests != 7 || s.count() != 7 || res.Failures != wantFailures {
					t.Errorf("err %v, %d requests (%d sent), %d failures; want none, 7, 7, %d", err, res.Requests, s.count(), res.Failures, wantFailures)
				}
			})
		})
	}
}

// TestRunNoAnswerOtherRound: the verdict comes from the rounds that have
// one, and Explain names the round that had none.
func TestRunNoAnswerOtherRound(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Round 1: 200, 429; halfway 429; deadline 503 ×4. Round 2: 429 at
		// once; halfway 429; deadline 200.
		s := &scripted{answer: statuses(200, 429, 429, 503, 503, 503, 503, 429, 429, 200)}
		o := scriptedOptions(t, s)
		o.Rounds = 2
		res := mustRun(t, t.Context(), o)
		if len(res.Rounds) != 2 || res.Verdict != probe.Honest || res.Rounds[0].Verdict != "" || res.Rounds[1].Verdict != probe.Honest {
			t.Fatalf("verdict %s, rounds %+v; want honest from round 2", res.Verdict, res.Rounds)
		}
		if want := "no verdict in round 1: the deadline request got no limiter answer in 4 tries (503, 503, 503, 503)"; !strings.Contains(res.Explain(), want) {
			t.Errorf("Explain() = %q; want it to contain %q", res.Explain(), want)
		}
	})
}

// TestRunRampFailures: transport failures of the ramp are counted and
// tolerated, up to 5 in a row.
func TestRunRampFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &scripted{answer: statuses(0, 0, 0, 0, 200, 0, 429, 429, 200)}
		res := mustRun(t, t.Context(), scriptedOptions(t, s))
		if res.Verdict != probe.Honest || res.Failures != 5 || res.GaveUp != "" {
			t.Errorf("verdict %s, %d failures, gave up %q; want honest, 5, no", res.Verdict, res.Failures, res.GaveUp)
		}
	})
}

// TestRunTimeBoundSlots: with every slot taken by a slow request, no
// request leaves after MaxTime, however late the slot frees.
func TestRunTimeBoundSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &scripted{answer: func(int, *http.Request) (int, string, error) {
			time.Sleep(2 * time.Second)
			return 200, "", nil
		}}
		o := scriptedOptions(t, s)
		o.MaxInFlight, o.MaxTime = 1, time.Second
		start := time.Now()
		res := mustRun(t, t.Context(), o)
		for i, at := range s.at {
			if at.Sub(start) > o.MaxTime {
				t.Errorf("request %d left at %s; want none after %s", i+1, at.Sub(start), o.MaxTime)
			}
		}
		if res.Stopped != probe.StopMaxTime || res.Requests != 1 || s.count() != 1 {
			t.Errorf("stopped %q after %d requests (%d sent); want max_time after 1", res.Stopped, res.Requests, s.count())
		}
	})
}

// TestRunDrainsRamp: the check's first request leaves only once the
// ramp's requests in flight at the 429 have been answered.
func TestRunDrainsRamp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		slowDone := false
		var early []int
		s := &scripted{}
		s.answer = func(n int, _ *http.Request) (int, string, error) {
			switch n {
			case 0: // the ramp's first request: answered after 3 s
				time.Sleep(3 * time.Second)
				mu.Lock()
				slowDone = true
				mu.Unlock()
				return 200, "", nil
			case 1:
				return 429, "1", nil
			}
			mu.Lock()
			if !slowDone {
				early = append(early, n)
			}
			mu.Unlock()
			return 200, "", nil
		}
		res := mustRun(t, t.Context(), scriptedOptions(t, s))
		if len(early) != 0 || res.Rounds[0].RampRequests != 2 {
			t.Errorf("requests %v left while the ramp's first was in flight, ramp %d; want none, 2", early, res.Rounds[0].RampRequests)
		}
	})
}

// TestRunRedact: header values the target sends back pass through
// Options.Redact before the probe keeps or prints them.
func TestRunRedact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const secret = "TOPSECRET999"
		s := &scripted{answer: func(n int, req *http.Request) (int, string, error) {
			if n == 0 {
				return 200, "", nil
			}
			return 429, req.Header.Get("Authorization"), nil
		}}
		o := scriptedOptions(t, s)
		o.Target.Header = http.Header{"Authorization": {"Bearer " + secret}}
		o.MaxTime = 5 * time.Second
		o.Redact = func(s string) string { return strings.ReplaceAll(s, secret, "[REDACTED]") }
		var lines []string
		o.Progress = func(line string) { lines = append(lines, line) }
		res := mustRun(t, t.Context(), o)
		if res.Verdict != probe.MalformedRetryAfter {
			t.Errorf("verdict %s; want malformed_retry_after", res.Verdict)
		}
		all := fmt.Sprintf("%+v\n%s\n%s", res, res.Explain(), strings.Join(lines, "\n"))
		if strings.Contains(all, secret) || !strings.Contains(all, "Bearer [REDACTED]") {
			t.Errorf("a secret leaked, or nothing was masked:\n%s", all)
		}
	})
}

// TestVerdictsListed: probefile.Verdicts, which thresholds check names
// against, lists every verdict of the probe.
func TestVerdictsListed(t *testing.T) {
	want := []probe.Verdict{probe.Honest, probe.Overstated, probe.Understated, probe.NoRetryAfter, probe.MalformedRetryAfter, probe.Inconsistent, probe.NoLimit, probe.Inconclusive}
	if len(want) != len(probefile.Verdicts) {
		t.Fatalf("probefile.Verdicts %v; want %v", probefile.Verdicts, want)
	}
	for i, v := range want {
		if probefile.Verdicts[i] != string(v) {
			t.Errorf("probefile.Verdicts[%d] = %q, want %q", i, probefile.Verdicts[i], v)
		}
	}
}

// TestRunServerError: a 5xx before any 429 ends the probe at once, as a
// 4xx does: a target that fails cannot probe its limiter.
func TestRunServerError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var hits int
		var mu sync.Mutex
		o := options(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			mu.Lock()
			hits++
			mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		res, err := probe.Run(t.Context(), o)
		if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable before any 429") || res.Requests == 0 || res.Requests > 5 || hits > 5 {
			t.Errorf("Run = %d requests (%d hits), verdict %s, %v; want an error naming the 503 after at most 5", res.Requests, hits, res.Verdict, err)
		}
	})
}

// TestRunNoLimitNamesRateSent: a ramp stopped by a bound before its next
// step names the fastest rate it sent at, not the step it never began.
func TestRunNoLimitNamesRateSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := options(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		o.MaxRate, o.MaxRequests = 8, 6 // 2/s and 4/s for a second each: 6 requests
		res := mustRun(t, t.Context(), o)
		if res.Requests != 6 || res.Verdict != probe.NoLimit {
			t.Fatalf("%d requests, verdict %s; want 6, no_limit", res.Requests, res.Verdict)
		}
		if want := "no 429 up to 4/s before"; !strings.HasPrefix(res.GaveUp, want) {
			t.Errorf("gave up %q; want %q…", res.GaveUp, want)
		}
	})
}
