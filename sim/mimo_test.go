package sim

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// mimoURL is MiMo's endpoint as clients reach it.
const mimoURL = "/mimo/v1/chat/completions"

// mimoTestKey is a configured key on the free plan.
var mimoTestKey = KeyConfig{Name: "mimo-ci", Key: "sk-mimo-ci-0123456789", Plan: "free"}

// mimoChat is a valid request body for model, with extra fields (each
// starting with a comma) appended.
func mimoChat(model, extra string) string {
	return `{"model":"` + model + `","messages":[{"role":"user","content":"Hello there"}]` + extra + `}`
}

// mimoCall is a POST to MiMo's endpoint with Authorization: Bearer key (none
// if key is "") and body.
func mimoCall(key, body string) call {
	c := call{path: mimoURL, body: body}
	if key != "" {
		c.auth = bearer(key)
	}
	return c
}

// mimoWith returns c with the header name: value added.
func mimoWith(c call, name, value string) call {
	h := map[string]string{name: value}
	for k, v := range c.header {
		h[k] = v
	}
	c.header = h
	return c
}

// mimoWantBody is the exact error body for code and message.
func mimoWantBody(tb testing.TB, code, message string) string {
	tb.Helper()
	b, err := json.Marshal(map[string]map[string]string{"error": {"code": code, "message": message, "type": "error"}})
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// mimoErrorCases has one row per error code of the MiMo seed document and
// per cause where one code has several.
var mimoErrorCases = []struct {
	name       string
	cfg        *Config // nil: Seed 1, fault header allowed, mimoTestKey
	before     int     // identical requests sent first, each answered 200
	c          call
	status     int
	code       string // in the body and the stats
	message    string
	retryAfter string // "" for no header
	key        string // in the stats
}{
	// 400 invalid_request: the body.
	{name: "malformed JSON", c: mimoCall("demo-full", `{"model":"mimo-v2-flash",`),
		status: 400, code: "invalid_request", message: "We could not parse the JSON body of your request. The API expects a JSON payload.", key: "demo-full"},
	{name: "empty body", c: mimoCall("demo-full", ``),
		status: 400, code: "invalid_request", message: "We could not parse the JSON body of your request. The API expects a JSON payload.", key: "demo-full"},
	{name: "JSON array", c: mimoCall("demo-full", `[{"model":"mimo-v2-flash"}]`),
		status: 400, code: "invalid_request", message: "Invalid type for the request body: expected a JSON object.", key: "demo-full"},
	{name: "JSON null", c: mimoCall("demo-full", `null`),
		status: 400, code: "invalid_request", message: "Invalid type for the request body: expected a JSON object.", key: "demo-full"},
	{name: "body too large", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"user":"`+strings.Repeat("x", mimoMaxBody)+`"`)),
		status: 400, code: "invalid_request", message: "The request body is too large: the limit is 1 MiB.", key: "demo-full"},

	// 400 invalid_request: model.
	{name: "missing model", c: mimoCall("demo-full", `{"messages":[{"role":"user","content":"Hi"}]}`),
		status: 400, code: "invalid_request", message: "Missing required parameter: 'model'.", key: "demo-full"},
	{name: "null model", c: mimoCall("demo-full", `{"model":null,"messages":[{"role":"user","content":"Hi"}]}`),
		status: 400, code: "invalid_request", message: "Missing required parameter: 'model'.", key: "demo-full"},
	{name: "blank model", c: mimoCall("demo-full", mimoChat(` \t`, "")),
		status: 400, code: "invalid_request", message: "Missing required parameter: 'model'.", key: "demo-full"},
	{name: "model not a string", c: mimoCall("demo-full", `{"model":42,"messages":[{"role":"user","content":"Hi"}]}`),
		status: 400, code: "invalid_request", message: "Invalid type for 'model': expected a string.", key: "demo-full"},

	// 400 invalid_request: messages.
	{name: "missing messages", c: mimoCall("demo-full", `{"model":"mimo-v2-flash"}`),
		status: 400, code: "invalid_request", message: "Missing required parameter: 'messages'.", key: "demo-full"},
	{name: "null messages", c: mimoCall("demo-full", `{"model":"mimo-v2-flash","messages":null}`),
		status: 400, code: "invalid_request", message: "Missing required parameter: 'messages'.", key: "demo-full"},
	{name: "messages not an array", c: mimoCall("demo-full", `{"model":"mimo-v2-flash","messages":"Hi"}`),
		status: 400, code: "invalid_request", message: "Invalid type for 'messages': expected an array of objects.", key: "demo-full"},
	{name: "empty messages", c: mimoCall("demo-full", `{"model":"mimo-v2-flash","messages":[]}`),
		status: 400, code: "invalid_request", message: "Invalid 'messages': empty array. Expected an array with minimum length 1.", key: "demo-full"},
	{name: "message not an object", c: mimoCall("demo-full", `{"model":"mimo-v2-flash","messages":[{"role":"user","content":"Hi"},"Hi"]}`),
		status: 400, code: "invalid_request", message: "Invalid type for 'messages[1]': expected an object.", key: "demo-full"},
	{name: "null message", c: mimoCall("demo-full", `{"model":"mimo-v2-flash","messages":[null]}`),
		status: 400, code: "invalid_request", message: "Invalid type for 'messages[0]': expected an object.", key: "demo-full"},
	{name: "message without role", c: mimoCall("demo-full", `{"model":"mimo-v2-flash","messages":[{"content":"Hi"}]}`),
		status: 400, code: "invalid_request", message: "Missing required parameter: 'messages[0].role'.", key: "demo-full"},
	{name: "role not a string", c: mimoCall("demo-full", `{"model":"mimo-v2-flash","messages":[{"role":1,"content":"Hi"}]}`),
		status: 400, code: "invalid_request", message: "Invalid value for 'messages[0].role': expected one of 'system', 'user', 'assistant', 'tool'.", key: "demo-full"},
	{name: "unknown role", c: mimoCall("demo-full", `{"model":"mimo-v2-flash","messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":"Hi"}]}`),
		status: 400, code: "invalid_request", message: "Invalid value for 'messages[1].role': expected one of 'system', 'user', 'assistant', 'tool'.", key: "demo-full"},

	// 400 invalid_request: optional parameters.
	{name: "temperature not a number", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"temperature":"hot"`)),
		status: 400, code: "invalid_request", message: "Invalid type for 'temperature': expected a number.", key: "demo-full"},
	{name: "temperature above 2", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"temperature":2.5`)),
		status: 400, code: "invalid_request", message: "Invalid 'temperature': expected a number between 0 and 2.", key: "demo-full"},
	{name: "temperature below 0", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"temperature":-0.1`)),
		status: 400, code: "invalid_request", message: "Invalid 'temperature': expected a number between 0 and 2.", key: "demo-full"},
	{name: "temperature beyond float64", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"temperature":1e400`)),
		status: 400, code: "invalid_request", message: "Invalid 'temperature': expected a number between 0 and 2.", key: "demo-full"},
	{name: "max_tokens 0", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"max_tokens":0`)),
		status: 400, code: "invalid_request", message: "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1.", key: "demo-full"},
	{name: "max_tokens negative", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"max_tokens":-5`)),
		status: 400, code: "invalid_request", message: "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1.", key: "demo-full"},
	{name: "max_tokens fractional", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"max_tokens":1.5`)),
		status: 400, code: "invalid_request", message: "Invalid type for 'max_tokens': expected an integer.", key: "demo-full"},
	{name: "max_tokens a string", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"max_tokens":"10"`)),
		status: 400, code: "invalid_request", message: "Invalid type for 'max_tokens': expected an integer.", key: "demo-full"},
	{name: "max_completion_tokens 0", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"max_completion_tokens":0`)),
		status: 400, code: "invalid_request", message: "Invalid 'max_completion_tokens': integer below minimum value. Expected a value >= 1.", key: "demo-full"},
	{name: "max_completion_tokens in exponent form", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"max_completion_tokens":1e3`)),
		status: 400, code: "invalid_request", message: "Invalid type for 'max_completion_tokens': expected an integer.", key: "demo-full"},
	{name: "stream not a boolean", c: mimoCall("demo-full", mimoChat("mimo-v2-flash", `,"stream":"yes"`)),
		status: 400, code: "invalid_request", message: "Invalid type for 'stream': expected a boolean.", key: "demo-full"},
	{name: "invalid before unknown model", c: mimoCall("demo-full", mimoChat("gpt-4", `,"stream":1`)),
		status: 400, code: "invalid_request", message: "Invalid type for 'stream': expected a boolean.", key: "demo-full"},

	// 401 authentication_failed: one message for every cause, as in the
	// seed; the stats' keys tell the causes apart.
	{name: "missing key", c: mimoCall("", mimoChat("mimo-v2-flash", "")),
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: KeyMissing},
	{name: "unknown key", c: mimoCall("sk-nope", mimoChat("mimo-v2-flash", "")),
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: KeyUnknown},
	{name: "empty bearer", c: call{path: mimoURL, auth: "Bearer ", body: mimoChat("mimo-v2-flash", "")},
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: KeyUnknown},
	{name: "not a bearer key", c: call{path: mimoURL, auth: "Basic ZGVtby1mdWxsOg==", body: mimoChat("mimo-v2-flash", "")},
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: KeyUnknown},
	{name: "unknown api-key", c: mimoWith(mimoCall("", mimoChat("mimo-v2-flash", "")), "api-key", "sk-nope"),
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: KeyUnknown},
	{name: "bad bearer beside a good api-key", c: mimoWith(mimoCall("sk-nope", mimoChat("mimo-v2-flash", "")), "api-key", "demo-full"),
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: KeyUnknown},
	{name: "revoked key", c: mimoCall("demo-revoked", mimoChat("mimo-v2-flash", "")),
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: "demo-revoked"},
	{name: "revoked api-key", c: mimoWith(mimoCall("", mimoChat("mimo-v2-flash", "")), "api-key", "demo-revoked"),
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: "demo-revoked"},
	{name: "key for another service", c: mimoCall("demo-other-service", mimoChat("mimo-v2-flash", "")),
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: "demo-other-service"},
	{name: "authentication before the body", c: mimoCall("sk-nope", `{`),
		status: 401, code: "authentication_failed", message: "Invalid API Key provided.", key: KeyUnknown},

	// 403 permission_denied
	{name: "free plan without mimo-v2-pro", c: mimoCall("demo-free", mimoChat("mimo-v2-pro", "")),
		status: 403, code: "permission_denied", message: "Your account does not have access to the model 'mimo-v2-pro'.", key: "demo-free"},
	{name: "configured free key by api-key", c: mimoWith(mimoCall("", mimoChat("mimo-v2-pro", "")), "api-key", mimoTestKey.Key),
		status: 403, code: "permission_denied", message: "Your account does not have access to the model 'mimo-v2-pro'.", key: mimoTestKey.Name},

	// 404 not_found: the model, the endpoint, the method.
	{name: "unknown model", c: mimoCall("demo-full", mimoChat("gpt-4", "")),
		status: 404, code: "not_found", message: "The model 'gpt-4' does not exist.", key: "demo-full"},
	{name: "unknown model on the free plan", c: mimoCall("demo-free", mimoChat("mimo-v2-ultra", "")),
		status: 404, code: "not_found", message: "The model 'mimo-v2-ultra' does not exist.", key: "demo-free"},
	{name: "model in another case", c: mimoCall("demo-full", mimoChat("MiMo-V2-Flash", "")),
		status: 404, code: "not_found", message: "The model 'MiMo-V2-Flash' does not exist.", key: "demo-full"},
	{name: "unknown endpoint", c: call{path: "/mimo/v1/foo", auth: bearer("demo-full"), body: mimoChat("mimo-v2-flash", "")},
		status: 404, code: "not_found", message: "Unknown request URL: POST /v1/foo.", key: "demo-full"},
	{name: "trailing slash", c: call{path: mimoURL + "/", auth: bearer("demo-full"), body: mimoChat("mimo-v2-flash", "")},
		status: 404, code: "not_found", message: "Unknown request URL: POST /v1/chat/completions/.", key: "demo-full"},
	{name: "prefix only", c: call{path: "/mimo", auth: bearer("demo-full")},
		status: 404, code: "not_found", message: "Unknown request URL: POST /.", key: "demo-full"},
	{name: "wrong method", c: call{method: http.MethodGet, path: mimoURL, auth: bearer("demo-full")},
		status: 404, code: "not_found", message: "Unknown request URL: GET /v1/chat/completions.", key: "demo-full"},
	{name: "route before authentication", c: call{method: http.MethodGet, path: "/mimo/v1/models"},
		status: 404, code: "not_found", message: "Unknown request URL: GET /v1/models.", key: KeyMissing},

	// 429 rate_limit_exceeded
	{name: "rate limited", before: 1, cfg: &Config{Controls: Controls{RateLimit: 0.5}},
		c:      mimoCall("demo-full", mimoChat("mimo-v2-flash", "")),
		status: 429, code: "rate_limit_exceeded", message: "Rate limit reached for requests. Please try again in 2s.", retryAfter: "2", key: "demo-full"},
	{name: "free plan burst", before: 2, c: mimoCall("demo-free", mimoChat("mimo-v2-omni", "")),
		status: 429, code: "rate_limit_exceeded", message: "Rate limit reached for requests. Please try again in 1s.", retryAfter: "1", key: "demo-free"},
	{name: "rate limited without Retry-After", before: 1, cfg: &Config{Controls: Controls{RateLimit: 0.1, RetryAfter: RetryAfterMissing}},
		c:      mimoCall("demo-full", mimoChat("mimo-v2-flash", "")),
		status: 429, code: "rate_limit_exceeded", message: "Rate limit reached for requests. Please try again in 10s.", key: "demo-full"},
	{name: "rate limit for mimo only", before: 1, cfg: &Config{APIs: map[string]Controls{"mimo": {RateLimit: 0.25}}},
		c:      mimoWith(mimoCall("", mimoChat("mimo-v2-tts", "")), "api-key", "demo-full"),
		status: 429, code: "rate_limit_exceeded", message: "Rate limit reached for requests. Please try again in 4s.", retryAfter: "4", key: "demo-full"},

	// 500, 502, 503, 504, forced with the fault header.
	{name: "internal error", c: mimoWith(mimoCall("demo-full", mimoChat("mimo-v2-flash", "")), FaultHeader, "500"),
		status: 500, code: "internal_error", message: "The server had an error while processing your request. Sorry about that!", key: "demo-full"},
	{name: "bad gateway", c: mimoWith(mimoCall("demo-full", mimoChat("mimo-v2-flash", "")), FaultHeader, "502"),
		status: 502, code: "bad_gateway", message: "Bad gateway.", key: "demo-full"},
	{name: "service unavailable", c: mimoWith(mimoCall("demo-full", mimoChat("mimo-v2-flash", "")), FaultHeader, "503"),
		status: 503, code: "service_unavailable", message: "Service temporarily unavailable due to high load.", key: "demo-full"},
	{name: "gateway timeout", c: mimoWith(mimoCall("demo-full", mimoChat("mimo-v2-flash", "")), FaultHeader, "504"),
		status: 504, code: "gateway_timeout", message: "Gateway timeout.", key: "demo-full"},
	{name: "fault before authentication", c: mimoWith(mimoCall("", mimoChat("mimo-v2-flash", "")), FaultHeader, "500"),
		status: 500, code: "internal_error", message: "The server had an error while processing your request. Sorry about that!", key: KeyMissing},
	{name: "fault names the api-key's key", c: mimoWith(mimoWith(call{path: "/mimo/v1/nope"}, "api-key", mimoTestKey.Key), FaultHeader, "503"),
		status: 503, code: "service_unavailable", message: "Service temporarily unavailable due to high load.", key: mimoTestKey.Name},
}

func TestMimoErrors(t *testing.T) {
	for _, tc := range mimoErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			a, s := answerAfter(t, Config{Seed: 1, Keys: []KeyConfig{mimoTestKey}}, tc.cfg, tc.before, 0, tc.c)

			if want := mimoWantBody(t, tc.code, tc.message); a.status != tc.status || a.body != want {
				t.Errorf("answer = %d %s; want %d %s", a.status, a.body, tc.status, want)
			}
			if got := a.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q; want application/json", got)
			}
			if got := a.header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q; want %q", got, tc.retryAfter)
			}
			st := s.Stats().APIs["mimo"]
			if len(st.Codes) != 1 || st.Codes[tc.code] != 1 {
				t.Errorf("stats codes = %v; want only %s: 1", st.Codes, tc.code)
			}
			if got, want := st.Keys[tc.key], int64(tc.before+1); got != want || int64(len(st.Keys)) != 1 {
				t.Errorf("stats keys = %v; want only %s: %d", st.Keys, tc.key, want)
			}
			if got := st.Status[strconv.Itoa(tc.status)]; got != 1 {
				t.Errorf("stats status = %v; want %d: 1", st.Status, tc.status)
			}
		})
	}
}

// TestMimoMessagesFromSeed checks that what the table takes from the seed
// document really is in it, and that the table covers every row of the
// seed's error code table with the same code.
func TestMimoMessagesFromSeed(t *testing.T) {
	seed := readSeed(t, "mimo-api-errors.txt")
	for _, s := range append([]string{
		`"message": "Invalid API Key provided."`,
		`"type": "error"`,
		"Service temporarily unavailable due to high load",
		"Verify the endpoint URL and model name",
	}, MimoModels...) {
		if !strings.Contains(seed, s) {
			t.Errorf("seed document does not contain %q", s)
		}
	}
	covered := map[string]bool{}
	for _, tc := range mimoErrorCases {
		covered[strconv.Itoa(tc.status)+" "+tc.code] = true
	}
	rows := regexp.MustCompile(`(?m)^\| ([45]\d\d) \| ([a-z_]+) \|`).FindAllStringSubmatch(seed, -1)
	if len(rows) != 7 {
		t.Errorf("seed table has %d rows; want 7", len(rows))
	}
	for _, m := range rows {
		if !covered[m[1]+" "+m[2]] {
			t.Errorf("seed row %s %s has no test case", m[1], m[2])
		}
	}
}

// TestMimoDailyLimit exhausts the free plan's 100 requests a day: the next
// one waits until UTC midnight, 14 hours after epoch.
func TestMimoDailyLimit(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{Controls: Controls{RateLimit: 1000}}, clock)
	ts := mustServe(t, s)
	c := mimoCall("demo-free", mimoChat("mimo-v2-flash", ""))
	for i := range 100 {
		if a := do(t, ts.Client(), ts.URL, c); a.status != http.StatusOK {
			t.Fatalf("request %d = %d %s; want 200", i+1, a.status, a.body)
		}
	}
	a := do(t, ts.Client(), ts.URL, c)
	want := mimoWantBody(t, "rate_limit_exceeded", "You have exceeded your daily request quota. Please try again in 50400s.")
	if a.status != 429 || a.body != want || a.header.Get("Retry-After") != "50400" {
		t.Errorf("request 101 = %d Retry-After %q %s; want 429 Retry-After 50400 %s", a.status, a.header.Get("Retry-After"), a.body, want)
	}
	clock.Advance(14 * time.Hour)
	if a := do(t, ts.Client(), ts.URL, c); a.status != http.StatusOK {
		t.Errorf("next day = %d %s; want 200", a.status, a.body)
	}
	if st := getStats(t, ts.Client(), ts.URL).APIs["mimo"]; st.Status["200"] != 101 || st.Codes["rate_limit_exceeded"] != 1 {
		t.Errorf("stats status %v codes %v; want 101 × 200, rate_limit_exceeded: 1", st.Status, st.Codes)
	}
}

// TestMimoCapacity sends 6 requests at once to a MiMo that serves 2 at a
// time, each held 1 s by the latency: those beyond capacity get 503
// with Retry-After: 1, and the stats count them as capacity faults.
func TestMimoCapacity(t *testing.T) {
	s := mustNew(t, Config{APIs: map[string]Controls{"mimo": {Capacity: 2, Latency: Latency{Dist: "fixed", A: time.Second}}}}, newFakeClock(epoch))
	ts := mustServe(t, s)
	client := ts.Client()
	client.Timeout = 10 * time.Second

	const n = 6
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			answers[i] = do(t, client, ts.URL, mimoCall("demo-full", mimoChat("mimo-v2-flash", "")))
		})
	}
	close(start)
	wg.Wait()

	want503 := mimoWantBody(t, "service_unavailable", "Service temporarily unavailable due to high load.")
	ok, unavailable := 0, 0
	for i, a := range answers {
		switch a.status {
		case http.StatusOK:
			ok++
		case http.StatusServiceUnavailable:
			unavailable++
			if a.body != want503 || a.header.Get("Retry-After") != "1" {
				t.Errorf("answer %d = 503 Retry-After %q %s; want Retry-After 1 %s", i, a.header.Get("Retry-After"), a.body, want503)
			}
		default:
			t.Errorf("answer %d = %d %s; want 200 or 503", i, a.status, a.body)
		}
	}
	t.Logf("%d × 200, %d × 503", ok, unavailable)
	if unavailable == 0 || ok > 2 {
		t.Errorf("%d × 200, %d × 503; want at most 2 × 200 and some 503", ok, unavailable)
	}
	st := getStats(t, client, ts.URL).APIs["mimo"]
	if got := st.Faults["capacity"]; got != int64(unavailable) || st.Codes["service_unavailable"] != int64(unavailable) {
		t.Errorf("stats faults %v codes %v; want capacity and service_unavailable: %d", st.Faults, st.Codes, unavailable)
	}
	if got := st.RetryAfter["1"]; got != int64(unavailable) {
		t.Errorf("stats retry_after = %v; want 1: %d", st.RetryAfter, unavailable)
	}
}

func TestMimoSuccess(t *testing.T) {
	s := mustNew(t, Config{Seed: 7}, newFakeClock(epoch))
	ts := mustServe(t, s)
	body := `{"model":"mimo-v2-pro","messages":[{"role":"system","content":"Be brief."},` +
		`{"role":"user","content":[{"type":"text","text":"Hello there"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}],` +
		`"temperature":0.7,"max_tokens":64,"max_completion_tokens":null,"stream":false,"top_p":1}`
	a := do(t, ts.Client(), ts.URL, mimoCall("demo-full", body))
	if a.status != http.StatusOK {
		t.Fatalf("answer = %d %s; want 200", a.status, a.body)
	}
	if got := a.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", got)
	}
	c := decodeCompletion(t, a.body)
	if !regexp.MustCompile(`^chatcmpl-[0-9a-f]{24}$`).MatchString(c.ID) || c.Object != "chat.completion" || c.Created != epoch.Unix() || c.Model != "mimo-v2-pro" {
		t.Errorf("id, object, created, model = %q, %q, %d, %q; want chatcmpl-…, chat.completion, %d, mimo-v2-pro", c.ID, c.Object, c.Created, c.Model, epoch.Unix())
	}
	if len(c.Choices) != 1 || c.Choices[0].Index != 0 || c.Choices[0].Message.Role != "assistant" || c.Choices[0].Message.Content == "" || c.Choices[0].FinishReason != "stop" {
		t.Errorf("choices = %+v; want one assistant message, finish_reason stop", c.Choices)
	}
	// Prompt: 2 + 2 words, 3 per message.
	u := c.Usage
	if u.PromptTokens != 10 || u.CompletionTokens != len(strings.Fields(c.Choices[0].Message.Content)) || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = %+v; want prompt 10, completion = words of the answer, total = sum", u)
	}

	// Same seed, same request sequence: same answers, byte for byte, also
	// after a reset, and by api-key.
	s2 := mustNew(t, Config{Seed: 7}, newFakeClock(epoch))
	ts2 := mustServe(t, s2)
	if b := do(t, ts2.Client(), ts2.URL, mimoWith(mimoCall("", body), "api-key", "demo-full")); b.body != a.body {
		t.Errorf("same seed: answer = %s; want %s", b.body, a.body)
	}
	s.Reset()
	if b := do(t, ts.Client(), ts.URL, mimoCall("demo-full", body)); b.body != a.body {
		t.Errorf("after reset: answer = %s; want %s", b.body, a.body)
	}
	// The next completion: another id, the same content.
	b := do(t, ts.Client(), ts.URL, mimoCall("demo-full", body))
	if c2 := decodeCompletion(t, b.body); c2.ID == c.ID || c2.Choices[0].Message.Content != c.Choices[0].Message.Content {
		t.Errorf("second completion = %s; want another id, the same content as %s", b.body, a.body)
	}
	// Another seed: another answer.
	s3 := mustNew(t, Config{Seed: 8}, newFakeClock(epoch))
	ts3 := mustServe(t, s3)
	if b := do(t, ts3.Client(), ts3.URL, mimoCall("demo-full", body)); b.body == a.body {
		t.Errorf("seed 8: answer = seed 7's %s; want another", b.body)
	}
	if st := s.Stats().APIs["mimo"]; st.Status["200"] != 2 || len(st.Codes) != 0 || st.Keys["demo-full"] != 2 {
		t.Errorf("stats = %+v; want 2 × 200 by demo-full, no codes", st)
	}
}

// TestMimoModels checks that demo-full may use every model, and demo-free
// every model but mimo-v2-pro.
func TestMimoModels(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{Seed: 2}, clock)
	ts := mustServe(t, s)
	for _, model := range MimoModels {
		for _, key := range []string{"demo-full", "demo-free"} {
			clock.Advance(time.Second) // refill demo-free's bucket
			a := do(t, ts.Client(), ts.URL, mimoCall(key, mimoChat(model, "")))
			want := http.StatusOK
			if key == "demo-free" && model == "mimo-v2-pro" {
				want = http.StatusForbidden
			}
			if a.status != want {
				t.Errorf("%s with %s = %d %s; want %d", model, key, a.status, a.body, want)
				continue
			}
			if want == http.StatusOK {
				if c := decodeCompletion(t, a.body); c.Model != model {
					t.Errorf("%s with %s: model %q in %s", model, key, c.Model, a.body)
				}
			}
		}
	}
}

// mimoEvents splits a server-sent event stream into its data payloads.
func mimoEvents(tb testing.TB, body string) []string {
	tb.Helper()
	if !strings.HasSuffix(body, "\n\n") {
		tb.Fatalf("stream %q does not end with a blank line", body)
	}
	var data []string
	for _, ev := range strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n") {
		d, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(d, "\n") {
			tb.Fatalf("event %q: want one data line", ev)
		}
		data = append(data, d)
	}
	return data
}

func TestMimoStream(t *testing.T) {
	s := mustNew(t, Config{Seed: 5}, newFakeClock(epoch))
	ts := mustServe(t, s)
	plain := do(t, ts.Client(), ts.URL, mimoCall("demo-full", mimoChat("mimo-v2-omni", "")))
	if plain.status != http.StatusOK {
		t.Fatalf("non-stream answer = %d %s", plain.status, plain.body)
	}
	want := decodeCompletion(t, plain.body)

	a := do(t, ts.Client(), ts.URL, mimoCall("demo-full", mimoChat("mimo-v2-omni", `,"stream":true`)))
	if a.status != http.StatusOK {
		t.Fatalf("stream answer = %d %s; want 200", a.status, a.body)
	}
	if got := a.header.Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("Content-Type = %q; want text/event-stream", got)
	}
	data := mimoEvents(t, a.body)
	if len(data) < 4 || data[len(data)-1] != "[DONE]" {
		t.Fatalf("events = %q; want role, content…, stop, [DONE]", data)
	}
	var content strings.Builder
	var id string
	for i, d := range data[:len(data)-1] {
		var ch struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			Model   string `json:"model"`
			Choices []struct {
				Index int `json:"index"`
				Delta struct {
					Role    string `json:"role"`
					Content string `json:"content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		dec := json.NewDecoder(strings.NewReader(d))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ch); err != nil {
			t.Fatalf("chunk %d %s: %v", i, d, err)
		}
		if i == 0 {
			id = ch.ID
		}
		if ch.ID != id || !strings.HasPrefix(ch.ID, "chatcmpl-") || ch.ID == want.ID || ch.Object != "chat.completion.chunk" ||
			ch.Created != epoch.Unix() || ch.Model != "mimo-v2-omni" || len(ch.Choices) != 1 {
			t.Fatalf("chunk %d = %s; want a chat.completion.chunk of mimo-v2-omni with the stream's id", i, d)
		}
		delta, finish := ch.Choices[0].Delta, ch.Choices[0].FinishReason
		last := i == len(data)-2
		switch {
		case i == 0 && (delta.Role != "assistant" || delta.Content != "" || finish != nil):
			t.Errorf("first chunk %s; want the assistant role alone", d)
		case last && (delta.Role != "" || delta.Content != "" || finish == nil || *finish != "stop"):
			t.Errorf("last chunk %s; want an empty delta, finish_reason stop", d)
		case i > 0 && !last && (delta.Role != "" || delta.Content == "" || finish != nil):
			t.Errorf("chunk %d %s; want content, finish_reason null", i, d)
		}
		content.WriteString(delta.Content)
	}
	if got := content.String(); got != want.Choices[0].Message.Content {
		t.Errorf("streamed content = %q; want the non-stream content %q", got, want.Choices[0].Message.Content)
	}

	// Errors are JSON, stream or not.
	e := do(t, ts.Client(), ts.URL, mimoCall("demo-free", mimoChat("mimo-v2-pro", `,"stream":true`)))
	if e.status != http.StatusForbidden || e.header.Get("Content-Type") != "application/json" {
		t.Errorf("stream request without access = %d %q %s; want 403 JSON", e.status, e.header.Get("Content-Type"), e.body)
	}
	if st := s.Stats().APIs["mimo"]; st.Status["200"] != 2 || st.Status["403"] != 1 {
		t.Errorf("stats status = %v; want 2 × 200, 1 × 403", st.Status)
	}
}

// TestMimoSecrets sends every kind of request with configured keys and
// checks that no secret appears in any answer or in the stats.
func TestMimoSecrets(t *testing.T) {
	keys := []KeyConfig{
		mimoTestKey,
		{Name: "mimo-gone", Key: "sk-mimo-revoked-secret", Plan: "full", Revoked: true},
		{Name: "mimo-elsewhere", Key: "sk-mimo-elsewhere-secret", Plan: "full", Services: []string{"mira"}},
	}
	unknown := "sk-mimo-unknown-secret"
	s := mustNew(t, Config{AllowFaultHeader: true, Keys: keys}, newFakeClock(epoch))
	ts := mustServe(t, s)
	var calls []call
	for _, secret := range []string{keys[0].Key, keys[1].Key, keys[2].Key, unknown} {
		for _, c := range []call{
			mimoCall(secret, mimoChat("mimo-v2-flash", "")),
			mimoCall(secret, mimoChat("mimo-v2-flash", `,"stream":true`)),
			mimoCall(secret, mimoChat("mimo-v2-pro", "")),
			mimoCall(secret, `{`),
			mimoWith(mimoCall(secret, mimoChat("mimo-v2-flash", "")), FaultHeader, "500"),
			{method: http.MethodGet, path: "/mimo/v1/models", auth: bearer(secret)},
		} {
			calls = append(calls, c, mimoWith(call{method: c.method, path: c.path, body: c.body, header: c.header}, "api-key", secret))
		}
	}
	statuses := map[int]bool{}
	for _, c := range calls {
		a := do(t, ts.Client(), ts.URL, c)
		statuses[a.status] = true
		for _, secret := range []string{keys[0].Key, keys[1].Key, keys[2].Key, unknown} {
			if strings.Contains(a.body, secret) {
				t.Errorf("answer %d %s shows secret %q", a.status, a.body, secret)
			}
			for name, v := range a.header {
				if strings.Contains(strings.Join(v, " "), secret) {
					t.Errorf("header %s: %q shows secret %q", name, v, secret)
				}
			}
		}
	}
	for _, st := range []int{200, 400, 401, 403, 404, 429, 500} {
		if !statuses[st] {
			t.Errorf("no %d among the answers %v; want every kind", st, statuses)
		}
	}
	raw := do(t, ts.Client(), ts.URL, call{method: http.MethodGet, path: "/__sim/stats"}).body
	for _, secret := range []string{keys[0].Key, keys[1].Key, keys[2].Key, unknown} {
		if strings.Contains(raw, secret) {
			t.Errorf("stats %s show secret %q", raw, secret)
		}
	}
	st := getStats(t, ts.Client(), ts.URL).APIs["mimo"]
	if want := []string{"mimo-ci", "mimo-elsewhere", "mimo-gone", "unknown"}; !slices.Equal(slices.Sorted(maps.Keys(st.Keys)), want) {
		t.Errorf("stats keys = %v; want %v", st.Keys, want)
	}
}

// FuzzMimoRequest sends arbitrary bytes as the body of a chat completion
// request. Invariants: no panic; a status of 200, 400, 403, 404 or 429 (no
// fault header is sent); errors in MiMo's exact shape with the seed's code
// for their status; a 200 only for a valid request, with a chat completion
// or an event stream.
func FuzzMimoRequest(f *testing.F) {
	for _, seed := range []string{
		mimoChat("mimo-v2-flash", ""),
		mimoChat("mimo-v2-pro", ""),
		mimoChat("mimo-v2-omni", `,"stream":true`),
		mimoChat("mimo-v2-tts", `,"temperature":0,"max_tokens":1,"max_completion_tokens":99999999999999999999,"stream":false`),
		mimoChat("gpt-4", ""),
		mimoChat(" ", ""),
		mimoChat("mimo-v2-flash", `,"temperature":2.5`),
		mimoChat("mimo-v2-flash", `,"temperature":"hot"`),
		mimoChat("mimo-v2-flash", `,"temperature":1e400`),
		mimoChat("mimo-v2-flash", `,"max_tokens":0`),
		mimoChat("mimo-v2-flash", `,"max_tokens":-0`),
		mimoChat("mimo-v2-flash", `,"max_tokens":1.5`),
		mimoChat("mimo-v2-flash", `,"max_completion_tokens":"1"`),
		mimoChat("mimo-v2-flash", `,"stream":"yes"`),
		mimoChat("mimo-v2-flash", `,"stream":null,"temperature":null`),
		`{"model":"mimo-v2-flash","messages":[{"role":"user","content":[{"type":"text","text":"Hi"},{"type":"image_url"}]}]}`,
		`{"model":"mimo-v2-flash","messages":[{"role":"developer","content":"Hi"}]}`,
		`{"model":"mimo-v2-flash","messages":[{"content":"Hi"}]}`,
		`{"model":"mimo-v2-flash","messages":[{"role":1}]}`,
		`{"model":"mimo-v2-flash","messages":[null]}`,
		`{"model":"mimo-v2-flash","messages":[1]}`,
		`{"model":"mimo-v2-flash","messages":[]}`,
		`{"model":"mimo-v2-flash","messages":{}}`,
		`{"model":"mimo-v2-flash"}`,
		`{"model":42,"messages":[{"role":"user"}]}`,
		`{"model":null}`,
		`{"messages":[{"role":"user","content":"Hi"}]}`,
		`{"model":"mimo-v2-flash","messages":[{"role":"user"}],"model":"mimo-v2-pro"}`,
		`[]`, `null`, `"mimo"`, `7`, ``, ` `, `{`, `{"model":"mimo-v2-flash"`, "\xff\xfe", `{"a":"\ud800"}`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	clock := newFakeClock(epoch)
	s := mustNew(f, Config{Seed: 3}, clock)
	codes := map[int]string{400: "invalid_request", 403: "permission_denied", 404: "not_found", 429: "rate_limit_exceeded"}
	f.Fuzz(func(t *testing.T, body []byte, free bool) {
		clock.Advance(time.Second) // keep the buckets from running dry
		key := "demo-full"
		if free {
			key = "demo-free"
		}
		req := httptest.NewRequest(http.MethodPost, mimoURL, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)

		ct := rec.Header().Get("Content-Type")
		if rec.Code != http.StatusOK {
			code, ok := codes[rec.Code]
			if !ok {
				t.Fatalf("body %q: status %d %s; want 200, 400, 403, 404 or 429", body, rec.Code, rec.Body)
			}
			var e map[string]map[string]string
			if ct != "application/json" || json.Unmarshal(rec.Body.Bytes(), &e) != nil || len(e) != 1 || len(e["error"]) != 3 ||
				e["error"]["code"] != code || e["error"]["message"] == "" || e["error"]["type"] != "error" {
				t.Fatalf("body %q: error answer %d %q %s; want {\"error\": {\"code\": %q, \"message\": …, \"type\": \"error\"}}", body, rec.Code, ct, rec.Body, code)
			}
			return
		}
		parsed, bad := mimoParse(body)
		if bad.message != "" {
			t.Fatalf("body %q: 200 for an invalid request (%s)", body, bad.message)
		}
		if parsed.stream {
			if ct != "text/event-stream" || !strings.HasSuffix(rec.Body.String(), "\ndata: [DONE]\n\n") {
				t.Fatalf("body %q: stream %q %s; want an event stream ending in [DONE]", body, ct, rec.Body)
			}
			return
		}
		var c chatCompletion
		if ct != "application/json" || json.Unmarshal(rec.Body.Bytes(), &c) != nil || c.Object != "chat.completion" || len(c.Choices) != 1 ||
			c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens || !slices.Contains(MimoModels, c.Model) {
			t.Fatalf("body %q: 200 with %q %s; want a chat completion", body, ct, rec.Body)
		}
	})
}
