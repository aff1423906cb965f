package sim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKeyConfig is a configured key on the free plan.
var testKeyConfig = KeyConfig{Name: "ci", Key: "sk-ci-0123456789", Plan: "free"}

// miraErrorCases has one row per error case of the Mira seed document (and
// per cause where one status has several), with the real body text.
var miraErrorCases = []struct {
	name       string
	cfg        *Config // nil: Seed 1, fault header allowed, testKeyConfig
	before     int     // identical requests sent first
	c          call
	status     int
	detail     string
	retryAfter string // "" for no header
	code       string // in the stats
}{
	// 400 Bad Request
	{name: "missing model", c: call{auth: bearer("demo-full"), body: `{"messages":[{"role":"user","content":"Hi"}]}`},
		status: 400, detail: "The 'model' field is required.", code: "missing_model"},
	{name: "null model", c: call{auth: bearer("demo-full"), body: `{"model":null,"messages":[{"role":"user","content":"Hi"}]}`},
		status: 400, detail: "The 'model' field is required.", code: "missing_model"},
	{name: "missing messages", c: call{auth: bearer("demo-full"), body: `{"model":"mira"}`},
		status: 400, detail: "The 'messages' field is required.", code: "missing_messages"},
	{name: "empty messages", c: call{auth: bearer("demo-full"), body: `{"model":"mira","messages":[]}`},
		status: 400, detail: "The 'messages' field must be a non-empty array of objects.", code: "invalid_messages"},
	{name: "temperature above 2", c: call{auth: bearer("demo-full"), body: `{"model":"mira","messages":[{"role":"user","content":"Hi"}],"temperature":2.5}`},
		status: 400, detail: "The 'temperature' parameter must be between 0 and 2.", code: "invalid_temperature"},
	{name: "temperature below 0", c: call{auth: bearer("demo-full"), body: `{"model":"mira","messages":[{"role":"user","content":"Hi"}],"temperature":-0.1}`},
		status: 400, detail: "The 'temperature' parameter must be between 0 and 2.", code: "invalid_temperature"},
	{name: "temperature not a number", c: call{auth: bearer("demo-full"), body: `{"model":"mira","messages":[{"role":"user","content":"Hi"}],"temperature":"hot"}`},
		status: 400, detail: "The 'temperature' parameter must be between 0 and 2.", code: "invalid_temperature"},
	{name: "non-existent model", c: call{auth: bearer("demo-full"), body: chat("gpt-4")},
		status: 400, detail: "The 'model' parameter must be one of mira, mira-mini, mira-max.", code: "unknown_model"},
	{name: "malformed JSON", c: call{auth: bearer("demo-full"), body: `{"model":"mira",`},
		status: 400, detail: "The request body is not valid JSON.", code: "invalid_json"},
	{name: "JSON not an object", c: call{auth: bearer("demo-full"), body: `["mira"]`},
		status: 400, detail: "The request body must be a JSON object.", code: "invalid_body"},

	// 401 Unauthorized: one message for every cause, as in the seed.
	{name: "missing key", c: call{body: chat("mira")},
		status: 401, detail: "Invalid API key.", code: "missing_key"},
	{name: "invalid key", c: call{auth: bearer("sk-nope"), body: chat("mira")},
		status: 401, detail: "Invalid API key.", code: "invalid_key"},
	{name: "not a bearer key", c: call{auth: "Basic ZGVtby1mdWxsOg==", body: chat("mira")},
		status: 401, detail: "Invalid API key.", code: "invalid_key"},
	{name: "revoked key", c: call{auth: bearer("demo-revoked"), body: chat("mira")},
		status: 401, detail: "Invalid API key.", code: "revoked_key"},
	{name: "key for another service", c: call{auth: bearer("demo-other-service"), body: chat("mira")},
		status: 401, detail: "Invalid API key.", code: "wrong_service"},

	// 402 Payment Required
	{name: "insufficient balance", c: call{auth: bearer("demo-empty"), body: chat("mira")},
		status: 402, detail: "Insufficient balance. Please top up your balance.", code: "insufficient_balance"},
	{name: "balance used up", before: 2,
		cfg:    &Config{Keys: []KeyConfig{{Name: "two-credits", Key: "sk-two", Plan: "full", Balance: ptr(int64(2))}}},
		c:      call{auth: bearer("sk-two"), body: chat("mira")},
		status: 402, detail: "Insufficient balance. Please top up your balance.", code: "insufficient_balance"},

	// 403 Forbidden
	{name: "plan without mira-max", c: call{auth: bearer("demo-free"), body: chat("mira-max")},
		status: 403, detail: "Your plan does not include access to the mira-max model.", code: "model_not_in_plan"},
	{name: "configured key without mira-max", c: call{auth: bearer(testKeyConfig.Key), body: chat("mira-max")},
		status: 403, detail: "Your plan does not include access to the mira-max model.", code: "model_not_in_plan"},

	// 404 Not Found: unknown endpoint or method.
	{name: "unknown endpoint", c: call{path: "/mira/v1/completions", auth: bearer("demo-full"), body: chat("mira")},
		status: 404, detail: "Endpoint not found.", code: "not_found"},
	{name: "prefix only", c: call{path: "/mira", auth: bearer("demo-full")},
		status: 404, detail: "Endpoint not found.", code: "not_found"},
	{name: "wrong method", c: call{method: http.MethodGet, auth: bearer("demo-full")},
		status: 404, detail: "Endpoint not found.", code: "not_found"},

	// 429 Too Many Requests: the seed's own example, 60 s.
	{name: "rate limited", before: 1, cfg: &Config{Controls: Controls{RateLimit: 1.0 / 60}},
		c:      call{auth: bearer("demo-full"), body: chat("mira")},
		status: 429, detail: "Rate limit exceeded. Please retry after 60 seconds.", retryAfter: "60", code: "rate_limited"},
	{name: "free plan burst", before: 2, c: call{auth: bearer("demo-free"), body: chat("mira")},
		status: 429, detail: "Rate limit exceeded. Please retry after 1 seconds.", retryAfter: "1", code: "rate_limited"},

	// 500 and 503, forced with the fault header.
	{name: "internal server error", c: call{auth: bearer("demo-full"), header: map[string]string{FaultHeader: "500"}, body: chat("mira")},
		status: 500, detail: "Internal server error.", code: "internal_error"},
	{name: "service unavailable", c: call{auth: bearer("demo-full"), header: map[string]string{FaultHeader: "503"}, body: chat("mira")},
		status: 503, detail: "Service temporarily unavailable.", code: "unavailable"},
	{name: "fault before authentication", c: call{header: map[string]string{FaultHeader: "500"}, body: chat("mira")},
		status: 500, detail: "Internal server error.", code: "internal_error"},
	{name: "bad gateway", c: call{auth: bearer("demo-full"), header: map[string]string{FaultHeader: "502"}, body: chat("mira")},
		status: 502, detail: "Bad gateway.", code: "bad_gateway"},
	{name: "gateway timeout", c: call{auth: bearer("demo-full"), header: map[string]string{FaultHeader: "504"}, body: chat("mira")},
		status: 504, detail: "Gateway timeout.", code: "gateway_timeout"},
}

func TestMiraErrors(t *testing.T) {
	for _, tc := range miraErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			a, s := answerAfter(t, Config{Seed: 1, Keys: []KeyConfig{testKeyConfig}}, tc.cfg, tc.before, 0, tc.c)

			wantBody, _ := json.Marshal(map[string]string{"detail": tc.detail})
			if a.status != tc.status || a.body != string(wantBody) {
				t.Errorf("answer = %d %s; want %d %s", a.status, a.body, tc.status, wantBody)
			}
			if got := a.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q; want application/json", got)
			}
			if got := a.header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q; want %q", got, tc.retryAfter)
			}
			st := s.Stats().APIs["mira"]
			if got := st.Codes[tc.code]; got != 1 {
				t.Errorf("stats codes = %v; want %s: 1", st.Codes, tc.code)
			}
		})
	}
}

// TestMiraMessagesFromSeed checks that the messages the table takes from
// the seed document really are in it, word for word.
func TestMiraMessagesFromSeed(t *testing.T) {
	seed := readSeed(t, "mira-chat-api-errors.txt")
	for _, msg := range []string{
		"The 'model' field is required.",
		"The 'temperature' parameter must be between 0 and 2.",
		"Invalid API key.",
		"Your plan does not include access to the mira-max model.",
		"Endpoint not found.",
		"Rate limit exceeded. Please retry after 60 seconds.",
		"Internal server error.",
		"Retry-After: 60",
	} {
		if !strings.Contains(seed, msg) {
			t.Errorf("seed document does not contain %q", msg)
		}
	}
	// The table covers every status of the seed's summary table.
	covered := map[int]bool{}
	for _, tc := range miraErrorCases {
		covered[tc.status] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^([45]\d\d)[A-Z]`).FindAllStringSubmatch(seed, -1) {
		status, _ := strconv.Atoi(m[1])
		if !covered[status] {
			t.Errorf("status %d of the seed's summary table has no test case", status)
		}
	}
}

func TestMiraSuccess(t *testing.T) {
	s := mustNew(t, Config{Seed: 7}, newFakeClock(epoch))
	ts := mustServe(t, s)
	body := `{"model":"mira","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello there"}],"temperature":0.7}`
	a := do(t, ts.Client(), ts.URL, call{auth: bearer("demo-full"), body: body})
	if a.status != http.StatusOK {
		t.Fatalf("answer = %d %s; want 200", a.status, a.body)
	}
	if got := a.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", got)
	}
	c := decodeCompletion(t, a.body)
	if !strings.HasPrefix(c.ID, "chatcmpl-") || c.Object != "chat.completion" || c.Created != epoch.Unix() || c.Model != "mira" {
		t.Errorf("id, object, created, model = %q, %q, %d, %q; want chatcmpl-…, chat.completion, %d, mira", c.ID, c.Object, c.Created, c.Model, epoch.Unix())
	}
	if len(c.Choices) != 1 || c.Choices[0].Message.Role != "assistant" || c.Choices[0].Message.Content == "" || c.Choices[0].FinishReason != "stop" {
		t.Errorf("choices = %+v; want one assistant message, finish_reason stop", c.Choices)
	}
	// Prompt: 2 + 2 words, 3 per message.
	u := c.Usage
	if u.PromptTokens != 10 || u.CompletionTokens != len(strings.Fields(c.Choices[0].Message.Content)) || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = %+v; want prompt 10, completion = words of the answer, total = sum", u)
	}

	// Same seed, same request sequence: same answers, byte for byte, also
	// after a reset.
	s2 := mustNew(t, Config{Seed: 7}, newFakeClock(epoch))
	ts2 := mustServe(t, s2)
	if b := do(t, ts2.Client(), ts2.URL, call{auth: bearer("demo-full"), body: body}); b.body != a.body {
		t.Errorf("same seed: answer = %s; want %s", b.body, a.body)
	}
	s.Reset()
	if b := do(t, ts.Client(), ts.URL, call{auth: bearer("demo-full"), body: body}); b.body != a.body {
		t.Errorf("after reset: answer = %s; want %s", b.body, a.body)
	}
	// Another seed: another answer.
	s3 := mustNew(t, Config{Seed: 8}, newFakeClock(epoch))
	ts3 := mustServe(t, s3)
	if b := do(t, ts3.Client(), ts3.URL, call{auth: bearer("demo-full"), body: body}); b.body == a.body {
		t.Errorf("seed 8: answer = seed 7's %s; want another", b.body)
	}
}

func TestMiraFaultHeaderIgnoredUnlessAllowed(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	ts := mustServe(t, s)
	a := do(t, ts.Client(), ts.URL, call{auth: bearer("demo-full"), header: map[string]string{FaultHeader: "500"}, body: chat("mira")})
	if a.status != http.StatusOK {
		t.Errorf("answer with %s: 500 and AllowFaultHeader off = %d %s; want 200", FaultHeader, a.status, a.body)
	}
}

func TestMiraBodyTooLarge(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	ts := mustServe(t, s)
	big := `{"model":"mira","messages":[{"role":"user","content":"` + strings.Repeat("x", miraMaxBody) + `"}]}`
	a := do(t, ts.Client(), ts.URL, call{auth: bearer("demo-full"), body: big})
	if want := `{"detail":"The request body is too large."}`; a.status != 400 || a.body != want {
		t.Errorf("answer = %d %s; want 400 %s", a.status, a.body, want)
	}
}

// TestMiraBalance checks that each answered request costs one credit, that
// rate-limited requests cost none, and that a reset restores the balance.
func TestMiraBalance(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{Controls: Controls{RateLimit: 1}, Keys: []KeyConfig{{Name: "three", Key: "sk-three", Plan: "full", Balance: ptr(int64(3))}}}, clock)
	ts := mustServe(t, s)
	c := call{auth: bearer("sk-three"), body: chat("mira")}
	var got []int
	for _, advance := range []time.Duration{0, 0, 0, time.Second, 0, time.Second, time.Second} {
		clock.Advance(advance)
		got = append(got, do(t, ts.Client(), ts.URL, c).status)
	}
	if want := []int{200, 429, 429, 200, 429, 200, 402}; !slices.Equal(got, want) {
		t.Errorf("statuses = %v; want %v", got, want)
	}
	s.Reset()
	if a := do(t, ts.Client(), ts.URL, c); a.status != http.StatusOK {
		t.Errorf("after reset = %d %s; want 200", a.status, a.body)
	}
}

// TestMiraBalanceConcurrent races 40 requests for 10 credits: exactly 10
// are answered. Run with -race.
func TestMiraBalanceConcurrent(t *testing.T) {
	s := mustNew(t, Config{Keys: []KeyConfig{{Name: "ten", Key: "sk-ten", Plan: "full", Balance: ptr(int64(10))}}}, newFakeClock(epoch))
	ts := mustServe(t, s)
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() { do(t, ts.Client(), ts.URL, call{auth: bearer("sk-ten"), body: chat("mira")}) })
	}
	wg.Wait()
	if st := s.Stats().APIs["mira"].Status; st["200"] != 10 || st["402"] != 30 {
		t.Errorf("statuses = %v; want 10 × 200, 30 × 402", st)
	}
}
