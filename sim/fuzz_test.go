package sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzMiraBody sends arbitrary bytes as the body of a chat completion
// request. Invariants: no panic; never a 5xx (no fault header is sent);
// always a JSON answer, {"detail": …} for errors and a chat completion for
// a 200, which only a valid request gets.
func FuzzMiraBody(f *testing.F) {
	for _, seed := range []string{
		chat("mira"),
		chat("mira-max"),
		chat("nope"),
		`{"model":"mira","messages":[{"role":"user","content":"Hi"}],"temperature":2}`,
		`{"model":"mira","messages":[{"role":"user","content":"Hi"}],"temperature":1e400}`,
		`{"model":"mira","messages":[{"role":"user","content":["a","b"]},null]}`,
		`{"model":1,"messages":{}}`,
		`{"model":"mira","messages":[1]}`,
		`{"model":"","messages":null}`,
		`{"model":"mira","messages":[{}],"model":"mira-max"}`,
		`[]`, `null`, `"mira"`, `7`, ``, ` `, `{`, `{"model":"mira"`, "\xff\xfe", `{"a":"\ud800"}`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	clock := newFakeClock(epoch)
	s := mustNew(f, Config{Seed: 3}, clock)
	f.Fuzz(func(t *testing.T, body []byte, free bool) {
		clock.Advance(time.Second) // keep demo-full's bucket from running dry
		key := "demo-full"
		if free {
			key = "demo-free"
		}
		req := httptest.NewRequest(http.MethodPost, "/mira/v1/chat/completions", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)

		if rec.Code >= 500 {
			t.Fatalf("body %q: status %d %s; want no 5xx without the fault header", body, rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
			t.Fatalf("body %q: Content-Type %q; want application/json", body, ct)
		}
		if rec.Code != http.StatusOK {
			var e map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || len(e) != 1 || e["detail"] == "" {
				t.Fatalf("body %q: error answer %d %s; want {\"detail\": message}", body, rec.Code, rec.Body)
			}
			return
		}
		if _, bad := parseMiraRequest(body); bad.code != "" {
			t.Fatalf("body %q: 200 for an invalid request (%s)", body, bad.code)
		}
		var c chatCompletion
		if err := json.Unmarshal(rec.Body.Bytes(), &c); err != nil || c.Object != "chat.completion" || len(c.Choices) != 1 ||
			c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens || !isMiraModel(c.Model) {
			t.Fatalf("body %q: 200 with %s; want a chat completion", body, rec.Body)
		}
	})
}
