package sim

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
)

// verifyURLPath is where the simulation serves the Verify endpoint.
const verifyURLPath = "/" + verifyName + verifyPath

// verifyFact is a valid request body.
const verifyFact = `{"fact":"The Earth orbits the Sun"}`

// verifyCall is a request to the Verify endpoint with key (no
// Authorization header if "") and body.
func verifyCall(key, body string) call {
	c := call{path: verifyURLPath, body: body}
	if key != "" {
		c.auth = bearer(key)
	}
	return c
}

// verifyFault is verifyCall with the fault header set to status.
func verifyFault(key, status string) call {
	c := verifyCall(key, verifyFact)
	c.header = map[string]string{FaultHeader: status}
	return c
}

// verifyErrorBody is the exact error body of type typ and message msg.
func verifyErrorBody(typ, msg string) string {
	b, _ := json.Marshal(map[string]string{"error": typ, "message": msg})
	return string(b)
}

// verifyKeys are configured keys of the error table's default config.
var verifyKeys = []KeyConfig{
	{Name: "ci", Key: "sk-ci-verify-0123456789", Plan: "free"},
	{Name: "ci-revoked", Key: "sk-ci-revoked-0123456789", Plan: "full", Revoked: true},
	{Name: "ci-chat-only", Key: "sk-ci-chat-0123456789", Plan: "full", Services: []string{"mira"}},
	{Name: "ci-verify-only", Key: "sk-ci-verifyonly-0123456789", Plan: "full", Services: []string{verifyName}},
}

// verifyQuota is the X-RateLimit-* headers of an answer: limit, remaining
// and reset; all "" for none.
type verifyQuota struct{ limit, remaining, reset string }

// verifyUnix is epoch plus d, in Unix seconds, as X-RateLimit-Reset shows
// it.
func verifyUnix(d time.Duration) string { return strconv.FormatInt(epoch.Add(d).Unix(), 10) }

// verifyErrorCases has one row per error case of the Verify seed document
// and per cause, with the exact answer.
var verifyErrorCases = []struct {
	name       string
	cfg        *Config       // nil: Seed 1, verifyKeys
	before     int           // identical requests sent first, each answered 200
	advance    time.Duration // clock advance after those, before the request
	c          call
	status     int
	typ, msg   string
	retryAfter string // "" for no header
	quota      verifyQuota
	code       string // in the stats
	key        string // key name in the stats
}{
	// 400 Bad Request: body.
	{name: "malformed JSON", c: verifyCall("demo-full", `{"fact":"x",`),
		status: 400, typ: "Bad Request", msg: "Invalid JSON in request body", code: "invalid_json", key: "demo-full"},
	{name: "empty body", c: verifyCall("demo-full", ``),
		status: 400, typ: "Bad Request", msg: "Invalid JSON in request body", code: "invalid_json", key: "demo-full"},
	{name: "two JSON values", c: verifyCall("demo-full", `{"fact":"x"} {}`),
		status: 400, typ: "Bad Request", msg: "Invalid JSON in request body", code: "invalid_json", key: "demo-full"},
	{name: "JSON array", c: verifyCall("demo-full", `["The Earth orbits the Sun"]`),
		status: 400, typ: "Bad Request", msg: "Invalid JSON in request body", code: "invalid_body", key: "demo-full"},
	{name: "JSON null", c: verifyCall("demo-full", `null`),
		status: 400, typ: "Bad Request", msg: "Invalid JSON in request body", code: "invalid_body", key: "demo-full"},
	{name: "JSON string", c: verifyCall("demo-full", `"The Earth orbits the Sun"`),
		status: 400, typ: "Bad Request", msg: "Invalid JSON in request body", code: "invalid_body", key: "demo-full"},
	{name: "body too large", c: verifyCall("demo-full", `{"fact":"`+strings.Repeat("x", verifyMaxBody)+`"}`),
		status: 400, typ: "Bad Request", msg: "Request body too large", code: "body_too_large", key: "demo-full"},

	// 400 Bad Request: validation.
	{name: "missing fact", c: verifyCall("demo-full", `{"minRequired":2}`),
		status: 400, typ: "Bad Request", msg: "fact is required", code: "missing_fact", key: "demo-full"},
	{name: "empty object", c: verifyCall("demo-full", `{}`),
		status: 400, typ: "Bad Request", msg: "fact is required", code: "missing_fact", key: "demo-full"},
	{name: "null fact", c: verifyCall("demo-full", `{"fact":null}`),
		status: 400, typ: "Bad Request", msg: "fact is required", code: "missing_fact", key: "demo-full"},
	{name: "empty fact", c: verifyCall("demo-full", `{"fact":""}`),
		status: 400, typ: "Bad Request", msg: "fact is required", code: "missing_fact", key: "demo-full"},
	{name: "blank fact", c: verifyCall("demo-full", `{"fact":" \t\n "}`),
		status: 400, typ: "Bad Request", msg: "fact is required", code: "missing_fact", key: "demo-full"},
	{name: "fact not a string", c: verifyCall("demo-full", `{"fact":42}`),
		status: 400, typ: "Bad Request", msg: "fact is required", code: "missing_fact", key: "demo-full"},
	{name: "fact an array", c: verifyCall("demo-full", `{"fact":["The Earth orbits the Sun"]}`),
		status: 400, typ: "Bad Request", msg: "fact is required", code: "missing_fact", key: "demo-full"},
	{name: "fact checked before minRequired", c: verifyCall("demo-full", `{"minRequired":7}`),
		status: 400, typ: "Bad Request", msg: "fact is required", code: "missing_fact", key: "demo-full"},
	{name: "minRequired 1", c: verifyCall("demo-full", `{"fact":"Water is wet","minRequired":1}`),
		status: 400, typ: "Bad Request", msg: "minRequired must be 2 or 3", code: "invalid_min_required", key: "demo-full"},
	{name: "minRequired 4", c: verifyCall("demo-full", `{"fact":"Water is wet","minRequired":4}`),
		status: 400, typ: "Bad Request", msg: "minRequired must be 2 or 3", code: "invalid_min_required", key: "demo-full"},
	{name: "minRequired 2.5", c: verifyCall("demo-full", `{"fact":"Water is wet","minRequired":2.5}`),
		status: 400, typ: "Bad Request", msg: "minRequired must be 2 or 3", code: "invalid_min_required", key: "demo-full"},
	{name: "minRequired a string", c: verifyCall("demo-full", `{"fact":"Water is wet","minRequired":"2"}`),
		status: 400, typ: "Bad Request", msg: "minRequired must be 2 or 3", code: "invalid_min_required", key: "demo-full"},
	{name: "minRequired beyond float64", c: verifyCall("demo-full", `{"fact":"Water is wet","minRequired":1e400}`),
		status: 400, typ: "Bad Request", msg: "minRequired must be 2 or 3", code: "invalid_min_required", key: "demo-full"},
	{name: "validation before payment", c: verifyCall("demo-empty", `{"fact":""}`),
		status: 400, typ: "Bad Request", msg: "fact is required", code: "missing_fact", key: "demo-empty"},

	// 401 Unauthorized: one message per cause.
	{name: "missing key", c: verifyCall("", verifyFact),
		status: 401, typ: "Unauthorized", msg: "Missing Authorization header", code: "missing_key", key: KeyMissing},
	{name: "authentication before the body", c: verifyCall("", `{`),
		status: 401, typ: "Unauthorized", msg: "Missing Authorization header", code: "missing_key", key: KeyMissing},
	{name: "key does not exist", c: verifyCall("sk-nope", verifyFact),
		status: 401, typ: "Unauthorized", msg: "Invalid API key", code: "invalid_key", key: KeyUnknown},
	{name: "malformed key: not Bearer", c: call{path: verifyURLPath, auth: "Basic ZGVtby1mdWxsOg==", body: verifyFact},
		status: 401, typ: "Unauthorized", msg: "Invalid API key", code: "invalid_key", key: KeyUnknown},
	{name: "malformed key: Bearer alone", c: call{path: verifyURLPath, auth: "Bearer", body: verifyFact},
		status: 401, typ: "Unauthorized", msg: "Invalid API key", code: "invalid_key", key: KeyUnknown},
	{name: "malformed key: no scheme", c: call{path: verifyURLPath, auth: "demo-full", body: verifyFact},
		status: 401, typ: "Unauthorized", msg: "Invalid API key", code: "invalid_key", key: KeyUnknown},
	{name: "revoked demo key", c: verifyCall("demo-revoked", verifyFact),
		status: 401, typ: "Unauthorized", msg: "API key has been revoked", code: "revoked_key", key: "demo-revoked"},
	{name: "revoked configured key", c: verifyCall("sk-ci-revoked-0123456789", verifyFact),
		status: 401, typ: "Unauthorized", msg: "API key has been revoked", code: "revoked_key", key: "ci-revoked"},
	{name: "key for translate", c: verifyCall("demo-other-service", verifyFact),
		status: 401, typ: "Unauthorized", msg: "API key not authorized for this service", code: "wrong_service", key: "demo-other-service"},
	{name: "key for the chat API only", c: verifyCall("sk-ci-chat-0123456789", verifyFact),
		status: 401, typ: "Unauthorized", msg: "API key not authorized for this service", code: "wrong_service", key: "ci-chat-only"},

	// 402 Payment Required
	{name: "zero balance", c: verifyCall("demo-empty", verifyFact),
		status: 402, typ: "Payment Required", msg: "Insufficient balance", code: "insufficient_balance", key: "demo-empty"},
	{name: "balance used up", before: 3,
		cfg:    &Config{Keys: []KeyConfig{{Name: "three-credits", Key: "sk-three", Plan: "full", Balance: ptr(int64(3))}}},
		c:      verifyCall("sk-three", verifyFact),
		status: 402, typ: "Payment Required", msg: "Insufficient balance", code: "insufficient_balance", key: "three-credits"},
	{name: "payment before rate limit", before: 1,
		cfg: &Config{Controls: Controls{RateLimit: 1.0 / 60},
			Keys: []KeyConfig{{Name: "one-credit", Key: "sk-one", Plan: "full", Balance: ptr(int64(1))}}},
		c:      verifyCall("sk-one", verifyFact),
		status: 402, typ: "Payment Required", msg: "Insufficient balance", code: "insufficient_balance", key: "one-credit"},

	// 404 Not Found: unknown endpoint or method, before anything else.
	{name: "unknown endpoint", c: call{path: "/mira-verify/verify/v1/streams", auth: bearer("demo-full"), body: verifyFact},
		status: 404, typ: "Not Found", msg: "Endpoint not found", code: "not_found", key: "demo-full"},
	{name: "trailing slash", c: call{path: verifyURLPath + "/", auth: bearer("demo-full"), body: verifyFact},
		status: 404, typ: "Not Found", msg: "Endpoint not found", code: "not_found", key: "demo-full"},
	{name: "prefix only", c: call{path: "/mira-verify", auth: bearer("demo-full")},
		status: 404, typ: "Not Found", msg: "Endpoint not found", code: "not_found", key: "demo-full"},
	{name: "the chat endpoint", c: call{path: "/mira-verify/v1/chat/completions", auth: bearer("demo-full"), body: chat("mira")},
		status: 404, typ: "Not Found", msg: "Endpoint not found", code: "not_found", key: "demo-full"},
	{name: "GET", c: call{method: http.MethodGet, path: verifyURLPath, auth: bearer("demo-full")},
		status: 404, typ: "Not Found", msg: "Endpoint not found", code: "not_found", key: "demo-full"},
	{name: "route before authentication", c: call{method: http.MethodPut, path: verifyURLPath, body: verifyFact},
		status: 404, typ: "Not Found", msg: "Endpoint not found", code: "not_found", key: KeyMissing},

	// 429 Too Many Requests: per minute.
	{name: "one per minute", before: 1, cfg: &Config{Controls: Controls{RateLimit: 1.0 / 60}},
		c:      verifyCall("demo-full", verifyFact),
		status: 429, typ: "Rate Limit Exceeded", msg: "Too many requests per minute", retryAfter: "60",
		quota: verifyQuota{"1", "0", verifyUnix(60 * time.Second)}, code: "rate_limited", key: "demo-full"},
	{name: "the seed's headers", before: 60, advance: 15 * time.Second, cfg: &Config{Controls: Controls{RateLimit: 1.0 / 60, Burst: 60}},
		c:      verifyCall("demo-full", verifyFact),
		status: 429, typ: "Rate Limit Exceeded", msg: "Too many requests per minute", retryAfter: "45",
		quota: verifyQuota{"60", "0", verifyUnix(60 * time.Second)}, code: "rate_limited", key: "demo-full"},
	{name: "free plan burst", before: 2, c: verifyCall("demo-free", verifyFact),
		status: 429, typ: "Rate Limit Exceeded", msg: "Too many requests per minute", retryAfter: "1",
		quota: verifyQuota{"2", "0", verifyUnix(time.Second)}, code: "rate_limited", key: "demo-free"},
	{name: "configured free key", before: 2, c: verifyCall("sk-ci-verify-0123456789", verifyFact),
		status: 429, typ: "Rate Limit Exceeded", msg: "Too many requests per minute", retryAfter: "1",
		quota: verifyQuota{"2", "0", verifyUnix(time.Second)}, code: "rate_limited", key: "ci"},

	// 429 Too Many Requests: per day. The free plan allows 100 a UTC day;
	// the fake clock is at 10:00, 14 h before midnight.
	{name: "daily limit", before: 100, cfg: &Config{Controls: Controls{RateLimit: 1000}},
		c:      verifyCall("demo-free", verifyFact),
		status: 429, typ: "Rate Limit Exceeded", msg: "Daily request limit exceeded", retryAfter: "50400",
		quota: verifyQuota{"100", "0", verifyUnix(14 * time.Hour)}, code: "daily_limited", key: "demo-free"},
	{name: "daily limit of a configured key", before: 100,
		cfg: &Config{Controls: Controls{RateLimit: 1000}, Keys: []KeyConfig{{Name: "free-ci", Key: "sk-free-ci", Plan: "free", Services: []string{verifyName}}}},
		c:   verifyCall("sk-free-ci", verifyFact), advance: 4 * time.Hour,
		status: 429, typ: "Rate Limit Exceeded", msg: "Daily request limit exceeded", retryAfter: "36000",
		quota: verifyQuota{"100", "0", verifyUnix(14 * time.Hour)}, code: "daily_limited", key: "free-ci"},

	// 5xx, forced with the fault header, before anything else.
	{name: "internal server error", c: verifyFault("demo-full", "500"),
		status: 500, typ: "Internal Server Error", msg: "An unexpected error occurred", code: "internal_error", key: "demo-full"},
	{name: "bad gateway", c: verifyFault("demo-full", "502"),
		status: 502, typ: "Bad Gateway", msg: "Invalid response from upstream server", code: "bad_gateway", key: "demo-full"},
	{name: "service unavailable", c: verifyFault("demo-full", "503"),
		status: 503, typ: "Service Unavailable", msg: "Service temporarily unavailable", code: "unavailable", key: "demo-full"},
	{name: "gateway timeout", c: verifyFault("demo-full", "504"),
		status: 504, typ: "Gateway Timeout", msg: "Upstream server timed out", code: "gateway_timeout", key: "demo-full"},
	{name: "fault before authentication", c: verifyFault("", "500"),
		status: 500, typ: "Internal Server Error", msg: "An unexpected error occurred", code: "internal_error", key: KeyMissing},
	{name: "fault with a configured key", c: verifyFault("sk-ci-verify-0123456789", "503"),
		status: 503, typ: "Service Unavailable", msg: "Service temporarily unavailable", code: "unavailable", key: "ci"},
}

func TestVerifyErrors(t *testing.T) {
	for _, tc := range verifyErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			a, s := answerAfter(t, Config{Seed: 1, Keys: verifyKeys}, tc.cfg, tc.before, tc.advance, tc.c)

			if want := verifyErrorBody(tc.typ, tc.msg); a.status != tc.status || a.body != want {
				t.Errorf("answer = %d %s; want %d %s", a.status, a.body, tc.status, want)
			}
			if got := a.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q; want application/json", got)
			}
			if got := a.header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q; want %q", got, tc.retryAfter)
			}
			got := verifyQuota{a.header.Get("X-RateLimit-Limit"), a.header.Get("X-RateLimit-Remaining"), a.header.Get("X-RateLimit-Reset")}
			if got != tc.quota {
				t.Errorf("X-RateLimit-Limit, -Remaining, -Reset = %q; want %q", got, tc.quota)
			}
			if tc.retryAfter != "" {
				// The reset is when the advertised wait ends, on the
				// simulation's clock: within a second of Retry-After.
				ra, _ := strconv.ParseInt(tc.retryAfter, 10, 64)
				reset, err := strconv.ParseInt(got.reset, 10, 64)
				if d := reset - epoch.Add(tc.advance).Unix() - ra; err != nil || d < -1 || d > 1 {
					t.Errorf("X-RateLimit-Reset %q is %d s from now + Retry-After %d; want within 1 s", got.reset, d, ra)
				}
			}

			st := s.Stats().APIs[verifyName]
			if st == nil {
				t.Fatalf("stats have no %s", verifyName)
			}
			if want := map[string]int64{tc.code: 1}; !maps.Equal(st.Codes, want) {
				t.Errorf("stats codes = %v; want %v", st.Codes, want)
			}
			if want := map[string]int64{tc.key: int64(tc.before + 1)}; !maps.Equal(st.Keys, want) {
				t.Errorf("stats keys = %v; want %v", st.Keys, want)
			}
			if got := st.Status[strconv.Itoa(tc.status)]; got != 1 {
				t.Errorf("stats status = %v; want %d: 1", st.Status, tc.status)
			}
		})
	}
}

// TestVerifyMessagesFromSeed checks that the types and messages the table
// takes from the seed document really are in it, word for word, and that
// the table covers every status of the seed's summary table.
func TestVerifyMessagesFromSeed(t *testing.T) {
	seed := readSeed(t, "mira-verify-api-errors.txt")
	for _, body := range []string{
		verifyErrorBody("Unauthorized", "Invalid API key"),
		verifyErrorBody("Unauthorized", "Missing Authorization header"),
		verifyErrorBody("Unauthorized", "API key has been revoked"),
		verifyErrorBody("Unauthorized", "API key not authorized for this service"),
		verifyErrorBody("Payment Required", "Insufficient balance"),
		verifyErrorBody("Rate Limit Exceeded", "Too many requests per minute"),
		verifyErrorBody("Rate Limit Exceeded", "Daily request limit exceeded"),
		verifyErrorBody("Bad Request", "fact is required"),
		verifyErrorBody("Bad Request", "minRequired must be 2 or 3"),
		verifyErrorBody("Bad Request", "Invalid JSON in request body"),
		verifyErrorBody("Internal Server Error", "An unexpected error occurred"),
	} {
		// The seed pretty-prints its bodies: compare without white space.
		if !strings.Contains(verifyCompact(seed), verifyCompact(body)) {
			t.Errorf("seed document does not contain %s", body)
		}
	}
	for _, h := range []string{"X-RateLimit-Limit: 60", "X-RateLimit-Remaining: 0", "Retry-After: 45"} {
		if !strings.Contains(seed, h) {
			t.Errorf("seed document does not contain %q", h)
		}
	}
	covered := map[int]bool{}
	for _, tc := range verifyErrorCases {
		covered[tc.status] = true
	}
	for _, m := range regexp.MustCompile(`(?m)^([45]\d\d)[A-Z]`).FindAllStringSubmatch(seed, -1) {
		status, _ := strconv.Atoi(m[1])
		if !covered[status] {
			t.Errorf("status %d of the seed's summary table has no test case", status)
		}
	}
}

// verifyCompact removes every space, tab and newline of s.
func verifyCompact(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
}

// verifyAnswer is the success body, decoded strictly.
type verifyAnswer struct {
	ID           string `json:"id"`
	Fact         string `json:"fact"`
	Verified     bool   `json:"verified"`
	Consensus    string `json:"consensus"`
	ModelsAgreed int    `json:"modelsAgreed"`
	ModelsAsked  int    `json:"modelsAsked"`
	MinRequired  int    `json:"minRequired"`
	TokenUsage   struct {
		Input  int `json:"input"`
		Output int `json:"output"`
		Total  int `json:"total"`
	} `json:"tokenUsage"`
	Balance *int64 `json:"balance"`
}

// verifyIDRE is the form of a verification's id.
var verifyIDRE = regexp.MustCompile(`^ver_[0-9a-f]{24}$`)

// verifyDecode decodes a success body, rejecting unknown fields, and checks
// the invariants of every verification.
func verifyDecode(tb testing.TB, body string) verifyAnswer {
	tb.Helper()
	var v verifyAnswer
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	if !verifyIDRE.MatchString(v.ID) {
		tb.Errorf("id %q: want ver_ and 24 hex digits", v.ID)
	}
	if v.ModelsAsked != 3 || v.ModelsAgreed < 2 || v.ModelsAgreed > 3 || (v.MinRequired != 2 && v.MinRequired != 3) {
		tb.Errorf("modelsAsked, modelsAgreed, minRequired = %d, %d, %d; want 3, 2 or 3, 2 or 3", v.ModelsAsked, v.ModelsAgreed, v.MinRequired)
	}
	wantConsensus := v.Consensus == "verified" || v.Consensus == "refuted"
	if wantConsensus != (v.ModelsAgreed >= v.MinRequired) || (v.Consensus != "inconclusive" && !wantConsensus) {
		tb.Errorf("consensus %q with %d of 3 agreeing, %d required: want verified or refuted iff enough agree, else inconclusive",
			v.Consensus, v.ModelsAgreed, v.MinRequired)
	}
	if v.Verified != (v.Consensus == "verified") {
		tb.Errorf("verified %t with consensus %q", v.Verified, v.Consensus)
	}
	u := v.TokenUsage
	if u.Output != 9 || u.Input < 24 || (u.Input-24)%3 != 0 || u.Total != u.Input+u.Output {
		tb.Errorf("tokenUsage = %+v; want input 3 × (words + 8), output 9, total their sum", u)
	}
	if len(v.Fact) > 500 || !utf8.ValidString(v.Fact) || v.Fact == "" {
		tb.Errorf("fact %q: want the fact, cut to 500 bytes of UTF-8", v.Fact)
	}
	return v
}

func TestVerifySuccess(t *testing.T) {
	s := mustNew(t, Config{Seed: 7}, newFakeClock(epoch))
	ts := mustServe(t, s)
	body := `{"fact":"The Earth orbits the Sun","unknown":{"ignored":true}}`
	a := do(t, ts.Client(), ts.URL, verifyCall("demo-full", body))
	if a.status != http.StatusOK {
		t.Fatalf("answer = %d %s; want 200", a.status, a.body)
	}
	if got := a.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", got)
	}
	v := verifyDecode(t, a.body)
	// 5 words: 3 × (5 + 8) in, 3 × 3 out.
	if v.Fact != "The Earth orbits the Sun" || v.MinRequired != 2 || v.TokenUsage.Input != 39 || v.TokenUsage.Total != 48 {
		t.Errorf("fact, minRequired, tokenUsage = %q, %d, %+v; want the fact, 2, 39 + 9 = 48", v.Fact, v.MinRequired, v.TokenUsage)
	}
	if v.Balance != nil || strings.Contains(a.body, "balance") {
		t.Errorf("body %s: want no balance for an unlimited key", a.body)
	}
	// demo-full's limit: a bucket of 10000 at 10000/s.
	if l, r := a.header.Get("X-RateLimit-Limit"), a.header.Get("X-RateLimit-Remaining"); l != "10000" || r != "9999" {
		t.Errorf("X-RateLimit-Limit, -Remaining = %q, %q; want 10000, 9999", l, r)
	}
	if a.header.Get("Retry-After") != "" {
		t.Errorf("Retry-After = %q on a 200; want none", a.header.Get("Retry-After"))
	}
	if st := getStats(t, ts.Client(), ts.URL).APIs[verifyName]; st.Status["200"] != 1 || len(st.Codes) != 0 || st.Keys["demo-full"] != 1 {
		t.Errorf("stats = %s; want one 200 of demo-full, no codes", mustJSON(t, st))
	}

	// minRequired given: echoed; null is the default; 3.0 is 3.
	for _, tc := range []struct {
		body string
		min  int
	}{
		{`{"fact":"Water is wet","minRequired":3}`, 3},
		{`{"fact":"Water is wet","minRequired":2}`, 2},
		{`{"fact":"Water is wet","minRequired":null}`, 2},
		{`{"fact":"Water is wet","minRequired":3.0}`, 3},
		{`{"minRequired":3,"fact":"Water is wet"}`, 3},
	} {
		a := do(t, ts.Client(), ts.URL, verifyCall("demo-full", tc.body))
		if a.status != http.StatusOK {
			t.Errorf("%s: answer = %d %s; want 200", tc.body, a.status, a.body)
			continue
		}
		if v := verifyDecode(t, a.body); v.MinRequired != tc.min || v.TokenUsage.Input != 3*(3+8) {
			t.Errorf("%s: minRequired, tokenUsage = %d, %+v; want %d, input 33", tc.body, v.MinRequired, v.TokenUsage, tc.min)
		}
	}
}

// TestVerifyDeterministic checks that one seed gives one sequence of
// answers, byte for byte, also after a reset, and another seed another.
func TestVerifyDeterministic(t *testing.T) {
	bodies := []string{verifyFact, `{"fact":"Paris is the capital of France","minRequired":3}`, `{"fact":"The Moon is made of cheese"}`}
	run := func(s *Server) []string {
		ts := mustServe(t, s)
		var got []string
		for _, b := range bodies {
			a := do(t, ts.Client(), ts.URL, verifyCall("demo-full", b))
			if a.status != http.StatusOK {
				t.Fatalf("%s: answer = %d %s; want 200", b, a.status, a.body)
			}
			got = append(got, a.body)
		}
		return got
	}
	s := mustNew(t, Config{Seed: 7}, newFakeClock(epoch))
	first := run(s)
	if again := run(mustNew(t, Config{Seed: 7}, newFakeClock(epoch))); !slices.Equal(again, first) {
		t.Errorf("same seed: answers =\n\t%s\nwant\n\t%s", strings.Join(again, "\n\t"), strings.Join(first, "\n\t"))
	}
	s.Reset()
	if again := run(s); !slices.Equal(again, first) {
		t.Errorf("after reset: answers =\n\t%s\nwant\n\t%s", strings.Join(again, "\n\t"), strings.Join(first, "\n\t"))
	}
	other := run(mustNew(t, Config{Seed: 8}, newFakeClock(epoch)))
	for i := range other {
		if verifyDecode(t, other[i]).ID == verifyDecode(t, first[i]).ID {
			t.Errorf("seed 8: id of answer %d = seed 7's %s; want another", i, other[i])
		}
	}
	// Ids differ within a run; the same fact gets the same votes.
	a, b := verifyDecode(t, first[0]), verifyDecode(t, run(s)[0])
	if a.ID == b.ID || a.ModelsAgreed != b.ModelsAgreed || a.Consensus != b.Consensus {
		t.Errorf("one fact twice: %+v then %+v; want new id, same verdict", a, b)
	}
}

// TestVerifyVerdicts checks, over many facts, that minRequired decides the
// consensus from the same votes, and that every outcome occurs.
func TestVerifyVerdicts(t *testing.T) {
	s := mustNew(t, Config{Seed: 11}, newFakeClock(epoch))
	seen := map[string]bool{}
	for i := range 60 {
		fact := "Fact number " + strconv.Itoa(i) + " is true"
		var v [2]verifyAnswer
		for j, min := range []int{2, 3} {
			body := `{"fact":"` + fact + `","minRequired":` + strconv.Itoa(min) + `}`
			rec := verifyServe(s, "demo-full", body)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: answer = %d %s; want 200", body, rec.Code, rec.Body)
			}
			v[j] = verifyDecode(t, rec.Body.String())
			seen[strconv.Itoa(min)+":"+v[j].Consensus] = true
		}
		if v[0].ModelsAgreed != v[1].ModelsAgreed {
			t.Errorf("%q: modelsAgreed %d with minRequired 2, %d with 3; want the same votes", fact, v[0].ModelsAgreed, v[1].ModelsAgreed)
		}
		want := v[0].Consensus
		if v[0].ModelsAgreed < 3 {
			want = "inconclusive"
		}
		if v[1].Consensus != want {
			t.Errorf("%q: consensus %q with 3 required and %d agreeing; want %q", fact, v[1].Consensus, v[1].ModelsAgreed, want)
		}
	}
	for _, want := range []string{"2:verified", "2:refuted", "3:verified", "3:refuted", "3:inconclusive"} {
		if !seen[want] {
			t.Errorf("minRequired:consensus seen = %v; want %s among them", seen, want)
		}
	}
}

// verifyServe answers one request of key with body through ServeHTTP.
func verifyServe(s *Server, key, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, verifyURLPath, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// TestVerifyLongFact checks the echo's cut at 500 bytes, on a character
// boundary, and that tokens count the whole fact.
func TestVerifyLongFact(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	for _, tc := range []struct {
		fact string
		echo string
	}{
		{strings.Repeat("a", 500), strings.Repeat("a", 500)},
		{strings.Repeat("a", 501), strings.Repeat("a", 500)},
		{"a" + strings.Repeat("é", 300), "a" + strings.Repeat("é", 249)}, // 1 + 2×249 = 499 bytes
		{strings.Repeat("word ", 200), strings.Repeat("word ", 100)},
		{"<b>&amp;</b>", "<b>&amp;</b>"},
	} {
		body, _ := json.Marshal(map[string]string{"fact": tc.fact})
		rec := verifyServe(s, "demo-full", string(body))
		if rec.Code != http.StatusOK {
			t.Fatalf("answer = %d %s; want 200", rec.Code, rec.Body)
		}
		v := verifyDecode(t, rec.Body.String())
		if v.Fact != tc.echo {
			t.Errorf("fact of %d bytes echoed as %q (%d bytes); want %d bytes", len(tc.fact), v.Fact, len(v.Fact), len(tc.echo))
		}
		if want := 3 * (len(strings.Fields(tc.fact)) + 8); v.TokenUsage.Input != want {
			t.Errorf("fact of %d words: input tokens %d; want %d", len(strings.Fields(tc.fact)), v.TokenUsage.Input, want)
		}
	}
}

// TestVerifyBalance checks that each answered request costs one credit and
// shows the balance left, that rate-limited requests cost none, and that a
// reset restores the balance.
func TestVerifyBalance(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{Controls: Controls{RateLimit: 1}, Keys: []KeyConfig{{Name: "three", Key: "sk-three", Plan: "full", Balance: ptr(int64(3))}}}, clock)
	ts := mustServe(t, s)
	c := verifyCall("sk-three", verifyFact)
	var statuses []int
	var balances []int64
	for _, advance := range []time.Duration{0, 0, 0, time.Second, 0, time.Second, time.Second} {
		clock.Advance(advance)
		a := do(t, ts.Client(), ts.URL, c)
		statuses = append(statuses, a.status)
		if a.status == http.StatusOK {
			v := verifyDecode(t, a.body)
			if v.Balance == nil {
				t.Fatalf("body %s: want a balance", a.body)
			}
			balances = append(balances, *v.Balance)
		}
	}
	if want := []int{200, 429, 429, 200, 429, 200, 402}; !slices.Equal(statuses, want) {
		t.Errorf("statuses = %v; want %v", statuses, want)
	}
	if want := []int64{2, 1, 0}; !slices.Equal(balances, want) {
		t.Errorf("balances = %v; want %v", balances, want)
	}
	s.Reset()
	a := do(t, ts.Client(), ts.URL, c)
	if a.status != http.StatusOK {
		t.Fatalf("after reset = %d %s; want 200", a.status, a.body)
	}
	if b := verifyDecode(t, a.body).Balance; b == nil || *b != 2 {
		t.Errorf("after reset: body %s; want balance 2", a.body)
	}
}

// TestVerifyQuotaHeaders checks the X-RateLimit-* headers of admitted
// requests: the bucket size, the requests left, and when the bucket is
// full again, in Unix seconds of the simulation's clock.
func TestVerifyQuotaHeaders(t *testing.T) {
	clock := newFakeClock(epoch)
	s := mustNew(t, Config{Controls: Controls{RateLimit: 1, Burst: 5}}, clock)
	ts := mustServe(t, s)
	for i := range 5 {
		a := do(t, ts.Client(), ts.URL, verifyCall("demo-full", verifyFact))
		want := verifyQuota{"5", strconv.Itoa(4 - i), verifyUnix(time.Duration(i+1) * time.Second)}
		got := verifyQuota{a.header.Get("X-RateLimit-Limit"), a.header.Get("X-RateLimit-Remaining"), a.header.Get("X-RateLimit-Reset")}
		if a.status != http.StatusOK || got != want {
			t.Errorf("request %d = %d, X-RateLimit-* %q; want 200, %q", i+1, a.status, got, want)
		}
	}
	a := do(t, ts.Client(), ts.URL, verifyCall("demo-full", verifyFact))
	got := verifyQuota{a.header.Get("X-RateLimit-Limit"), a.header.Get("X-RateLimit-Remaining"), a.header.Get("X-RateLimit-Reset")}
	if want := (verifyQuota{"5", "0", verifyUnix(time.Second)}); a.status != 429 || got != want || a.header.Get("Retry-After") != "1" {
		t.Errorf("request 6 = %d, X-RateLimit-* %q, Retry-After %q; want 429, %q, 1", a.status, got, a.header.Get("Retry-After"), want)
	}
	// The free plan's last request of the day shows the daily limit.
	s2 := mustNew(t, Config{Controls: Controls{RateLimit: 1000}}, newFakeClock(epoch))
	var rec *httptest.ResponseRecorder
	for range 100 {
		rec = verifyServe(s2, "demo-free", verifyFact)
	}
	got = verifyQuota{rec.Header().Get("X-RateLimit-Limit"), rec.Header().Get("X-RateLimit-Remaining"), rec.Header().Get("X-RateLimit-Reset")}
	if want := (verifyQuota{"100", "0", verifyUnix(14 * time.Hour)}); rec.Code != http.StatusOK || got != want {
		t.Errorf("request 100 of the day = %d, X-RateLimit-* %q; want 200, %q", rec.Code, got, want)
	}
}

// TestVerifyRetryAfterHonest checks, on the fake clock, that a client that
// waits the advertised Retry-After after a 429 is admitted, and not a
// second earlier.
func TestVerifyRetryAfterHonest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		key    string
		before int
		wantRA string
	}{
		{"one per minute", Config{Controls: Controls{RateLimit: 1.0 / 60}}, "demo-full", 1, "60"},
		{"0.3 per second", Config{Controls: Controls{RateLimit: 0.3}}, "demo-full", 1, "4"},
		{"free plan", Config{}, "demo-free", 2, "1"},
		{"daily", Config{Controls: Controls{RateLimit: 1000}}, "demo-free", 100, "50400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock(epoch)
			s := mustNew(t, tc.cfg, clock)
			for i := range tc.before {
				if rec := verifyServe(s, tc.key, verifyFact); rec.Code != http.StatusOK {
					t.Fatalf("request %d = %d %s; want 200", i+1, rec.Code, rec.Body)
				}
			}
			rec := verifyServe(s, tc.key, verifyFact)
			ra := rec.Header().Get("Retry-After")
			if rec.Code != http.StatusTooManyRequests || ra != tc.wantRA {
				t.Fatalf("answer = %d, Retry-After %q; want 429, %s", rec.Code, ra, tc.wantRA)
			}
			n, _ := strconv.Atoi(ra)
			clock.Advance(time.Duration(n)*time.Second - time.Second)
			if n > 1 {
				if rec := verifyServe(s, tc.key, verifyFact); rec.Code != http.StatusTooManyRequests {
					t.Errorf("after %d s = %d %s; want 429", n-1, rec.Code, rec.Body)
				}
			}
			clock.Advance(time.Second)
			if rec := verifyServe(s, tc.key, verifyFact); rec.Code != http.StatusOK {
				t.Errorf("after Retry-After %d s = %d %s; want 200", n, rec.Code, rec.Body)
			}
		})
	}
}

// TestVerifyRetryAfterModes checks that the 429s follow the configured
// Retry-After behaviour, and keep their body and X-RateLimit-* headers.
func TestVerifyRetryAfterModes(t *testing.T) {
	for _, tc := range []struct{ mode, want string }{
		{RetryAfterMissing, ""},
		{RetryAfterMalformed, "60s"},
		{RetryAfterZero, "0"},
		{RetryAfterHTTPDate, epoch.Add(time.Minute).Format(http.TimeFormat)},
		{RetryAfterLying, "60"},
	} {
		s := mustNew(t, Config{APIs: map[string]Controls{verifyName: {RateLimit: 1.0 / 60, RetryAfter: tc.mode}}}, newFakeClock(epoch))
		verifyServe(s, "demo-full", verifyFact)
		rec := verifyServe(s, "demo-full", verifyFact)
		want := verifyErrorBody("Rate Limit Exceeded", "Too many requests per minute")
		if got := rec.Header().Get("Retry-After"); rec.Code != 429 || rec.Body.String() != want || got != tc.want {
			t.Errorf("%s: answer = %d %s, Retry-After %q; want 429 %s, %q", tc.mode, rec.Code, rec.Body, got, want, tc.want)
		}
		if rec.Header().Get("X-RateLimit-Limit") != "1" || rec.Header().Get("X-RateLimit-Remaining") != "0" {
			t.Errorf("%s: X-RateLimit-* = %v; want limit 1, remaining 0", tc.mode, rec.Header())
		}
	}
}

// TestVerifyBodyUnreadable checks the answer to a body that fails midway.
func TestVerifyBodyUnreadable(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	req := httptest.NewRequest(http.MethodPost, verifyURLPath, io.MultiReader(strings.NewReader(`{"fact":`), iotest.ErrReader(io.ErrUnexpectedEOF)))
	req.Header.Set("Authorization", "Bearer demo-full")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if want := verifyErrorBody("Bad Request", "Could not read request body"); rec.Code != 400 || rec.Body.String() != want {
		t.Errorf("answer = %d %s; want 400 %s", rec.Code, rec.Body, want)
	}
	if st := s.Stats().APIs[verifyName]; st.Codes["body_unreadable"] != 1 {
		t.Errorf("stats codes = %v; want body_unreadable: 1", st.Codes)
	}
}

func TestVerifyFaultHeaderIgnoredUnlessAllowed(t *testing.T) {
	s := mustNew(t, Config{}, newFakeClock(epoch))
	ts := mustServe(t, s)
	if a := do(t, ts.Client(), ts.URL, verifyFault("demo-full", "500")); a.status != http.StatusOK {
		t.Errorf("answer with %s: 500 and AllowFaultHeader off = %d %s; want 200", FaultHeader, a.status, a.body)
	}
}

// TestVerifyInjectedErrors checks that faults the simulation draws answer
// in the Verify dialect, a 503 with Retry-After: 1.
func TestVerifyInjectedErrors(t *testing.T) {
	s := mustNew(t, Config{APIs: map[string]Controls{verifyName: {Errors: ErrorRates{503: 1}}}}, newFakeClock(epoch))
	rec := verifyServe(s, "demo-full", verifyFact)
	if want := verifyErrorBody("Service Unavailable", "Service temporarily unavailable"); rec.Code != 503 || rec.Body.String() != want || rec.Header().Get("Retry-After") != "1" {
		t.Errorf("answer = %d %s, Retry-After %q; want 503 %s, 1", rec.Code, rec.Body, rec.Header().Get("Retry-After"), want)
	}
	if st := s.Stats().APIs[verifyName]; st.Codes["unavailable"] != 1 || st.Faults["injected"] != 1 || st.Keys["demo-full"] != 1 {
		t.Errorf("stats = %s; want code unavailable, fault injected, key demo-full", mustJSON(t, st))
	}
}

// TestVerifySecrets checks that a configured key's secret appears in no
// answer, whatever the answer, nor in the stats, which show its name.
func TestVerifySecrets(t *testing.T) {
	const secret, broke, revoked, other = "sk-verify-SECRET-a1b2c3", "sk-verify-BROKE-d4e5f6", "sk-verify-REVOKED-g7h8", "sk-verify-OTHER-i9j0"
	cfg := Config{AllowFaultHeader: true, Controls: Controls{RateLimit: 1.0 / 60}, Keys: []KeyConfig{
		{Name: "ci-secret", Key: secret, Plan: "free"},
		{Name: "ci-broke", Key: broke, Plan: "full", Balance: ptr(int64(0))},
		{Name: "ci-revoked", Key: revoked, Plan: "full", Revoked: true},
		{Name: "ci-other", Key: other, Plan: "full", Services: []string{"mira"}},
	}}
	s := mustNew(t, cfg, newFakeClock(epoch))
	ts := mustServe(t, s)
	secrets := []string{secret, broke, revoked, other}
	statuses := map[int]bool{}
	for _, c := range []call{
		verifyCall(secret, `{"fact":"`+secret+`"}`), // 200, echoing what the client sent
		verifyCall(secret, verifyFact),              // 429
		verifyCall(secret, `{"fact":""}`),           // 400
		verifyCall(secret, `{`),                     // 400
		verifyCall(broke, verifyFact),               // 402
		verifyCall(revoked, verifyFact),             // 401
		verifyCall(other, verifyFact),               // 401
		verifyCall(secret+"x", verifyFact),          // 401
		{path: verifyURLPath + "/x", auth: bearer(secret)},
		verifyFault(secret, "500"),
		verifyFault(broke, "503"),
	} {
		a := do(t, ts.Client(), ts.URL, c)
		statuses[a.status] = true
		text := a.body
		if strings.Contains(c.body, secret) {
			text = strings.Replace(text, `"fact":"`+secret+`"`, "", 1) // the client's own fact
		}
		for _, sec := range secrets {
			if strings.Contains(text, sec) {
				t.Errorf("answer %d %s contains the secret %q", a.status, a.body, sec)
			}
			for name, vals := range a.header {
				for _, v := range vals {
					if strings.Contains(v, sec) {
						t.Errorf("header %s: %s contains the secret %q", name, v, sec)
					}
				}
			}
		}
	}
	for _, st := range []int{200, 400, 401, 402, 404, 429, 500, 503} {
		if !statuses[st] {
			t.Errorf("statuses answered = %v; want %d among them", statuses, st)
		}
	}
	raw := do(t, ts.Client(), ts.URL, call{method: http.MethodGet, path: "/__sim/stats"}).body
	for _, sec := range secrets {
		if strings.Contains(raw, sec) {
			t.Errorf("stats %s contain the secret %q", raw, sec)
		}
	}
	keys := getStats(t, ts.Client(), ts.URL).APIs[verifyName].Keys
	for _, name := range []string{"ci-secret", "ci-broke", "ci-revoked", "ci-other", KeyUnknown} {
		if keys[name] == 0 {
			t.Errorf("stats keys = %v; want %s among them", keys, name)
		}
	}
}

// FuzzVerifyRequest sends arbitrary bytes as the body of a verification,
// with a valid key. Invariants: no panic; only 200, 400, 402 or 429;
// always a JSON answer, {"error": …, "message": …} for errors and a
// verification for a 200, which only a valid request gets.
func FuzzVerifyRequest(f *testing.F) {
	for _, seed := range []string{
		verifyFact,
		`{"fact":"The Earth orbits the Sun","minRequired":2}`,
		`{"fact":"The Earth orbits the Sun","minRequired":3}`,
		`{"fact":"Water boils at 100C at sea level","minRequired":null,"extra":[1,2]}`,
		`{"fact":"x","minRequired":3.0}`, `{"fact":"x","minRequired":2.5}`, `{"fact":"x","minRequired":1e400}`,
		`{"fact":"x","minRequired":"3"}`, `{"fact":"x","minRequired":-0}`, `{"fact":"x","minRequired":[3]}`,
		`{"fact":""}`, `{"fact":"   "}`, `{"fact":null}`, `{"fact":7}`, `{"fact":{"a":"b"}}`, `{"fact":["a"]}`,
		`{"fact":"a","fact":""}`, `{"fact":"","fact":"a"}`, `{"minRequired":2}`, `{}`,
		`{"fact":"\u00e9\ud800\udc00"}`, `{"fact":"\ud800"}`, "{\"fact\":\"\xff\xfe\"}", `{"fact":"<script>&</script>"}`,
		`{"fact":"` + strings.Repeat("é", 400) + `"}`,
		`[]`, `null`, `"fact"`, `7`, `true`, ``, ` `, `{`, `{"fact":"x"`, `{"fact":"x"}}`, "\xef\xbb\xbf{}", "\xff\xfe",
	} {
		for key := range uint8(3) {
			f.Add([]byte(seed), key)
		}
	}
	keys := []string{"demo-full", "demo-free", "demo-empty"}
	clock := newFakeClock(epoch)
	s := mustNew(f, Config{Seed: 3}, clock)
	f.Fuzz(func(t *testing.T, body []byte, key uint8) {
		clock.Advance(time.Second) // keep demo-free's bucket from running dry
		req := httptest.NewRequest(http.MethodPost, verifyURLPath, strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+keys[int(key)%len(keys)])
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)

		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusPaymentRequired, http.StatusTooManyRequests:
		default:
			t.Fatalf("body %q: status %d %s; want 200, 400, 402 or 429", body, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("body %q: Content-Type %q; want application/json", body, ct)
		}
		if rec.Code != http.StatusOK {
			var e map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e) != 2 {
				t.Fatalf("body %q: error answer %d %s; want {\"error\": type, \"message\": message}", body, rec.Code, rec.Body)
			}
			for _, field := range []string{"error", "message"} {
				if str, ok := e[field].(string); !ok || str == "" {
					t.Fatalf("body %q: error answer %d %s; want a non-empty string %s", body, rec.Code, rec.Body, field)
				}
			}
			return
		}
		req2, bad := verifyParse(body)
		if bad.code != "" {
			t.Fatalf("body %q: 200 for an invalid request (%s)", body, bad.code)
		}
		v := verifyDecode(t, rec.Body.String())
		if !strings.HasPrefix(req2.fact, v.Fact) || v.MinRequired != req2.minRequired {
			t.Fatalf("body %q: 200 with %s; want the fact %q echoed, minRequired %d", body, rec.Body, req2.fact, req2.minRequired)
		}
		if want := 3 * (len(strings.Fields(req2.fact)) + 8); v.TokenUsage.Input != want {
			t.Fatalf("body %q: input tokens %d; want %d", body, v.TokenUsage.Input, want)
		}
	})
}
