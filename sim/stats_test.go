package sim

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestStatsCountEveryAnswer sends a known mix of requests and compares
// /__sim/stats with what the client saw, then resets.
func TestStatsCountEveryAnswer(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{AllowFaultHeader: true, Keys: []KeyConfig{testKeyConfig}}, clock)
	ts := mustServe(t, s)
	client := ts.Client()

	mix := []struct {
		c    call
		n    int
		want int // status
	}{
		{call{auth: bearer("demo-full"), body: chat("mira-max")}, 7, 200},
		{call{auth: bearer("demo-free"), body: chat("mira")}, 5, 0}, // 2 × 200, then 3 × 429
		{call{auth: bearer("demo-free"), body: chat("mira-max")}, 2, 403},
		{call{auth: bearer(testKeyConfig.Key), body: `{"model":"mira"}`}, 3, 400},
		{call{auth: bearer("sk-not-a-key"), body: chat("mira")}, 4, 401},
		{call{body: chat("mira")}, 1, 401},
		{call{auth: bearer("demo-empty"), body: chat("mira")}, 2, 402},
		{call{method: http.MethodGet, auth: bearer("demo-full")}, 1, 404},
		{call{auth: bearer("demo-full"), header: map[string]string{FaultHeader: "503"}, body: chat("mira")}, 2, 503},
		{call{path: "/nope/v1/chat/completions", auth: bearer("demo-full"), body: chat("mira")}, 3, 404},
		{call{path: "/", body: ""}, 1, 404},
	}
	statuses := map[int]int{}
	for _, m := range mix {
		for range m.n {
			a := do(t, client, ts.URL, m.c)
			if m.want != 0 && a.status != m.want {
				t.Fatalf("%+v = %d %s; want %d", m.c, a.status, a.body, m.want)
			}
			if !strings.HasPrefix(m.c.path, "/mira") && m.c.path != "" {
				continue
			}
			statuses[a.status]++
		}
	}

	want := emptyStats()
	want.Requests, want.Unrouted = 31, 4
	want.APIs["mira"] = &APIStats{
		Requests: 27,
		Status:   map[string]int64{"200": 9, "400": 3, "401": 5, "402": 2, "403": 2, "404": 1, "429": 3, "503": 2},
		Codes: map[string]int64{
			"missing_messages": 3, "invalid_key": 4, "missing_key": 1, "insufficient_balance": 2,
			"model_not_in_plan": 2, "not_found": 1, "rate_limited": 3, "unavailable": 2,
		},
		Keys: map[string]int64{
			"demo-full": 10, "demo-free": 7, "ci": 3, "unknown": 4, "missing": 1, "demo-empty": 2,
		},
		RetryAfter: map[string]int64{"1": 3},
		Faults:     map[string]int64{"fault_header": 2},
	}
	got := getStats(t, client, ts.URL)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stats = %s; want %s", mustJSON(t, got), mustJSON(t, want))
	}
	seen := map[string]int64{}
	for status, n := range statuses {
		seen[strconv.Itoa(status)] = int64(n)
	}
	if !reflect.DeepEqual(seen, got.APIs["mira"].Status) {
		t.Errorf("client saw statuses %v from /mira; stats count %v", seen, got.APIs["mira"].Status)
	}

	a := do(t, client, ts.URL, call{method: http.MethodPost, path: "/__sim/reset"})
	if a.status != http.StatusNoContent {
		t.Fatalf("POST /__sim/reset = %d %s; want 204", a.status, a.body)
	}
	zero := emptyStats()
	if got := getStats(t, client, ts.URL); !reflect.DeepEqual(got, zero) {
		t.Errorf("stats after reset = %s; want %s", mustJSON(t, got), mustJSON(t, zero))
	}
	// The reset refilled the limiter and restored balances: demo-free is
	// admitted again at the same instant.
	if a := do(t, client, ts.URL, call{auth: bearer("demo-free"), body: chat("mira")}); a.status != http.StatusOK {
		t.Errorf("demo-free after reset = %d %s; want 200", a.status, a.body)
	}
}

// emptyStats are the stats of a simulation that received nothing.
func emptyStats() Stats {
	s := Stats{Schema: StatsSchema, APIs: map[string]*APIStats{}}
	for _, name := range APINames() {
		s.APIs[name] = newAPIStats()
	}
	return s
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// TestStatsJSONShape pins the documented shape of an empty /__sim/stats.
func TestStatsJSONShape(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	ts := mustServe(t, s)
	a := do(t, ts.Client(), ts.URL, call{method: http.MethodGet, path: "/__sim/stats"})
	var api strings.Builder
	for i, name := range APINames() {
		if i > 0 {
			api.WriteString(",\n")
		}
		api.WriteString(`    "` + name + `": {
      "requests": 0,
      "status": {},
      "codes": {},
      "keys": {},
      "retry_after": {},
      "faults": {}
    }`)
	}
	want := `{
  "schema": "stampede/sim-stats/v1",
  "requests": 0,
  "unrouted": 0,
  "apis": {
` + api.String() + `
  }
}
`
	if a.status != http.StatusOK || a.body != want || a.header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /__sim/stats = %d %q %s; want 200 application/json %s", a.status, a.header.Get("Content-Type"), a.body, want)
	}
}

// TestStatsConcurrent hammers the simulation from many goroutines while
// reading stats: with -race, and the totals must add up.
func TestStatsConcurrent(t *testing.T) {
	s := mustNew(t, Config{Controls: Controls{RateLimit: 50, Burst: 20}}, newFakeClock(epoch))
	ts := mustServe(t, s)
	client := ts.Client()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c := call{auth: bearer("demo-full"), body: chat("mira")}
				if (w+i)%3 == 0 {
					c.auth = bearer("demo-free")
				}
				do(t, client, ts.URL, c)
				if i%10 == 0 {
					getStats(t, client, ts.URL)
				}
			}
		})
	}
	wg.Wait()
	st := getStats(t, client, ts.URL)
	m := st.APIs["mira"]
	sum := func(c map[string]int64) (n int64) {
		for _, v := range c {
			n += v
		}
		return n
	}
	if st.Requests != workers*each || m.Requests != workers*each || sum(m.Status) != m.Requests || sum(m.Keys) != m.Requests {
		t.Errorf("requests %d, mira %d, by status %d, by key %d; want %d each", st.Requests, m.Requests, sum(m.Status), sum(m.Keys), workers*each)
	}
	// Burst 20 per key, clock stopped: 20 admitted per key, the rest 429.
	if m.Status["200"] != 40 || m.Status["429"] != workers*each-40 || m.Codes["rate_limited"] != m.Status["429"] || m.RetryAfter["1"] != m.Status["429"] {
		t.Errorf("stats = %s; want 40 × 200, the rest 429 with Retry-After 1", mustJSON(t, m))
	}
}

func TestRecorderBoundsRetryAfter(t *testing.T) {
	r := newRecorder([]string{"mira"})
	for i := range MaxRetryAfterValues + 10 {
		r.record(exchange{api: "mira", key: "k", status: 429, code: "rate_limited", retryAfter: strconv.Itoa(i + 1)})
	}
	r.record(exchange{api: "mira", key: "k", status: 429, retryAfter: strings.Repeat("x", maxRetryAfterLen+1)})
	ra := r.snapshot().APIs["mira"].RetryAfter
	if len(ra) != MaxRetryAfterValues+1 || ra["other"] != 11 {
		t.Errorf("%d distinct Retry-After values, %d other; want %d and 11", len(ra), ra["other"], MaxRetryAfterValues+1)
	}
}

func TestKeysNeverInStats(t *testing.T) {
	secret := "sk-live-very-secret-value"
	s := mustNew(t, Config{Keys: []KeyConfig{{Name: "prod", Key: secret, Plan: "full"}}}, newFakeClock(epoch))
	ts := mustServe(t, s)
	for _, c := range []call{
		{auth: bearer(secret), body: chat("mira")},
		{auth: bearer(secret + "x"), body: chat("mira")},
		{auth: bearer(secret), body: `{`},
	} {
		a := do(t, ts.Client(), ts.URL, c)
		if strings.Contains(a.body, secret) {
			t.Errorf("answer %s contains the key", a.body)
		}
	}
	a := do(t, ts.Client(), ts.URL, call{method: http.MethodGet, path: "/__sim/stats"})
	if strings.Contains(a.body, "secret") || !strings.Contains(a.body, `"prod": 2`) {
		t.Errorf("stats = %s; want the key named prod, never its value", a.body)
	}
}

// TestResetUnderLoad resets while requests are answered: no race (-race),
// and every snapshot is whole: its parts add up to its totals.
func TestResetUnderLoad(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	ts := mustServe(t, s)
	client := ts.Client()
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := range 30 {
				switch {
				case w == 0 && i%5 == 0:
					do(t, client, ts.URL, call{method: http.MethodPost, path: "/__sim/reset"})
				case w == 1:
					st := getStats(t, client, ts.URL)
					m := st.APIs["mira"]
					var byStatus, byKey int64
					for _, n := range m.Status {
						byStatus += n
					}
					for _, n := range m.Keys {
						byKey += n
					}
					if byStatus != m.Requests || byKey != m.Requests || st.Requests != m.Requests+st.Unrouted {
						t.Errorf("snapshot not whole: %s", mustJSON(t, st))
					}
				default:
					do(t, client, ts.URL, call{auth: bearer("demo-free"), body: chat("mira")})
				}
			}
		})
	}
	wg.Wait()
}
