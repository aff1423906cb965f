package sim

import (
	"cmp"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // substrings, one per error, in order
	}{
		{name: "zero value", cfg: Config{}},
		{name: "everything set", cfg: Config{Seed: -3, AllowFaultHeader: true,
			Controls: Controls{RateLimit: 20, Burst: 5, RetryAfter: "lying", LieFactor: 4,
				Latency: Latency{Dist: "uniform", A: 1, B: 2}, Errors: ErrorRates{500: 0.5, 503: 0.5},
				Outages: []Window{{Start: 0, Duration: 1}}, Stall: Stall{For: 1, Every: 2}, Capacity: 3},
			APIs: map[string]Controls{"mira": {RetryAfter: "http-date"}},
			Keys: []KeyConfig{{Name: "ci.bot_1", Key: "sk-1", Plan: "free", Balance: ptr(int64(0)), Revoked: true, Services: []string{"mira", "elsewhere"}}}}},
		{name: "unknown retry-after", cfg: Config{Controls: Controls{RetryAfter: "sometimes"}},
			want: []string{`retry_after "sometimes": want one of honest, missing, lying, malformed, http-date, zero`}},
		{name: "bad controls", cfg: Config{Controls: Controls{LieFactor: 1, Errors: ErrorRates{418: 0.1},
			Outages: []Window{{Start: 1}}, Stall: Stall{For: 2, Every: 1}, Capacity: -1}}, want: []string{
			"lie_factor 1: want 2 to 100", "errors: status 418 cannot be injected", "outages[0] 1ns+0s: want a start >= 0 and a duration > 0",
			"stall 2ns/1ns: want 0 < for < every", "capacity -1: must be >= 0"}},
		{name: "per-API controls", cfg: Config{APIs: map[string]Controls{"nope": {}, "mira": {Errors: ErrorRates{500: 2}}}}, want: []string{
			"apis.mira.errors: probability 2 of 500: want 0 to 1", "apis.nope: no such API"}},
		{name: "bad limits", cfg: Config{Controls: Controls{RateLimit: -1, Burst: -2}},
			want: []string{"rate_limit -1: want 0 (each plan's limit) or requests per second from 1/86400", "burst -2: must be >= 0"}},
		{name: "NaN rate", cfg: Config{Controls: Controls{RateLimit: Rate(math.NaN())}}, want: []string{"rate_limit NaN"}},
		{name: "burst without rate", cfg: Config{Controls: Controls{Burst: 3}}, want: []string{"burst 3: applies only with a rate limit for every key"}},
		{name: "every key problem at once", cfg: Config{Keys: []KeyConfig{
			{Name: "", Key: "", Plan: "gold", Balance: ptr(int64(-1)), Services: []string{" "}},
			{Name: "demo-full", Key: "demo-free", Plan: "full"},
			{Name: "unknown", Key: "has space", Plan: "full"},
			{Name: "same", Key: "same", Plan: "full"},
			{Name: "a", Key: "sk-dup", Plan: "full"},
			{Name: "a", Key: "sk-dup", Plan: "full"},
		}}, want: []string{
			`keys[0].name "": want 1 to 64 letters`,
			`keys[0].key: required`,
			`keys[0].plan "gold": want one of free, full`,
			`keys[0].balance -1: must be >= 0`,
			`keys[0].services[0]: empty service name`,
			`keys[1].name "demo-full": already taken by demo key demo-full`,
			`keys[1].key: the same as the key of demo key demo-free`,
			`keys[2].name "unknown": already taken by a reserved name`,
			`keys[2].key: must not contain spaces or control characters`,
			`keys[3].key: must differ from the name`,
			`keys[5].name "a": already taken by keys[4]`,
			`keys[5].key: the same as the key of keys[4]`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := tc.cfg.Validate()
			var got []string
			for _, err := range errs {
				got = append(got, err.Error())
			}
			ok := len(got) == len(tc.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.Contains(got[i], tc.want[i])
			}
			if !ok {
				t.Errorf("Validate() =\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(tc.want, "\n\t"))
			}
			for _, msg := range got {
				if strings.Contains(msg, "sk-") || strings.Contains(msg, "has space") {
					t.Errorf("Validate() error %q quotes a key", msg)
				}
			}
			if _, err := New(tc.cfg); (err != nil) != (len(tc.want) > 0) {
				t.Errorf("New() error = %v; want an error: %t", err, len(tc.want) > 0)
			}
		})
	}
}

func TestNewJoinsEveryProblem(t *testing.T) {
	_, err := New(Config{Controls: Controls{RateLimit: -1, RetryAfter: "never"}})
	if err == nil || !strings.Contains(err.Error(), "rate_limit") || !strings.Contains(err.Error(), "retry_after") {
		t.Errorf("New() error = %v; want both problems", err)
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 2 {
		t.Errorf("New() error = %#v; want 2 joined errors", err)
	}
}

func TestRouting(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	ts := mustServe(t, s)
	unknown := `{"error":"unknown API; known prefixes: ` + strings.Join(s.Prefixes(), ", ") + `"}`
	for _, tc := range []struct {
		c      call
		status int
		body   string
	}{
		{call{path: "/"}, 404, unknown},
		{call{path: "/v1/chat/completions", auth: bearer("demo-full"), body: chat("mira")}, 404, unknown},
		{call{path: "/nope/verify/v1/stream"}, 404, unknown},
		{call{path: "/miraa/v1/chat/completions"}, 404, unknown},
		{call{path: "/mira/"}, 404, `{"detail":"Endpoint not found."}`},
		{call{path: "/mira/v1/chat/completions/"}, 404, `{"detail":"Endpoint not found."}`},
		{call{method: http.MethodPut, auth: bearer("demo-full"), body: chat("mira")}, 404, `{"detail":"Endpoint not found."}`},
		{call{path: "/__sim/stats", method: http.MethodPost}, 405, `{"error":"method not allowed; use GET /__sim/stats"}`},
		{call{path: "/__sim/reset", method: http.MethodGet}, 405, `{"error":"method not allowed; use POST /__sim/reset"}`},
		{call{path: "/__sim/nope", method: http.MethodGet}, 404, `{"error":"unknown simulator endpoint; known: GET /__sim/stats, POST /__sim/reset"}`},
	} {
		method := cmp.Or(tc.c.method, "POST")
		a := do(t, ts.Client(), ts.URL, tc.c)
		if a.status != tc.status || a.body != tc.body || a.header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s = %d %q %s; want %d application/json %s", method, tc.c.path, a.status, a.header.Get("Content-Type"), a.body, tc.status, tc.body)
		}
	}
	var want []string
	for _, name := range APINames() {
		want = append(want, "/"+name)
	}
	if got := s.Prefixes(); !slices.Equal(got, want) || !slices.Equal(got, []string{"/mimo", "/mira", "/mira-verify", "/mirra"}) {
		t.Errorf("Prefixes() = %v; want the four seed APIs", got)
	}
	// Controls are not counted; the rest is.
	if st := s.Stats(); st.Requests != 7 || st.Unrouted != 4 || st.APIs["mira"].Requests != 3 {
		t.Errorf("stats = %s; want 7 requests, 4 unrouted, 3 to mira", mustJSON(t, st))
	}
}

func TestDemoKeys(t *testing.T) {
	var names []string
	for _, d := range DemoKeys {
		names = append(names, d.Name)
		if d.Description == "" || d.config.Name != d.Name || d.config.Key != d.Name {
			t.Errorf("demo key %+v: want a description, and its name as name and key", d)
		}
		if _, ok := Plans[d.config.Plan]; !ok {
			t.Errorf("demo key %s: unknown plan %q", d.Name, d.config.Plan)
		}
	}
	want := []string{"demo-full", "demo-free", "demo-empty", "demo-revoked", "demo-other-service"}
	if !slices.Equal(names, want) {
		t.Errorf("DemoKeys = %v; want %v", names, want)
	}
}
