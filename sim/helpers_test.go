package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// epoch is the fake clock's start: a Thursday, mid-morning UTC.
var epoch = time.Date(2025, 1, 2, 10, 0, 0, 0, time.UTC)

// fakeClock is a clock that moves only when told; safe for concurrent use.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mustNew returns a simulation on a fake clock, or fails the test.
func mustNew(tb testing.TB, cfg Config, clock *fakeClock) *Server {
	tb.Helper()
	s, err := New(cfg, WithClock(clock.Now))
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return s
}

// mustServe starts s on a local port for the test's lifetime.
func mustServe(tb testing.TB, s *Server) *httptest.Server {
	tb.Helper()
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return ts
}

// call is one request to the simulation.
type call struct {
	method string // default POST
	path   string // default /mira/v1/chat/completions
	auth   string // Authorization header, none if ""
	header map[string]string
	body   string
}

// answer is what the simulation answered.
type answer struct {
	status int
	header http.Header
	body   string
}

// do sends c to the server at base and reads the whole answer.
func do(tb testing.TB, client *http.Client, base string, c call) answer {
	tb.Helper()
	method, path := c.method, c.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/mira/v1/chat/completions"
	}
	req, err := http.NewRequest(method, base+path, strings.NewReader(c.body))
	if err != nil {
		tb.Fatal(err)
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// getStats reads GET /__sim/stats.
func getStats(tb testing.TB, client *http.Client, base string) Stats {
	tb.Helper()
	a := do(tb, client, base, call{method: http.MethodGet, path: "/__sim/stats"})
	if a.status != http.StatusOK {
		tb.Fatalf("GET /__sim/stats = %d %s; want 200", a.status, a.body)
	}
	var s Stats
	dec := json.NewDecoder(strings.NewReader(a.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		tb.Fatalf("GET /__sim/stats: %v in %s", err, a.body)
	}
	return s
}

// chat is a valid request body for model.
func chat(model string) string {
	return `{"model":"` + model + `","messages":[{"role":"user","content":"Hello there"}]}`
}

func bearer(key string) string { return "Bearer " + key }

// completionJSON mirrors an OpenAI chat completion, to decode the chat
// APIs' answers strictly, independently of the types that encode them.
type completionJSON struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

// decodeCompletion decodes a 200 body, failing on unknown fields.
func decodeCompletion(tb testing.TB, body string) completionJSON {
	tb.Helper()
	var c completionJSON
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		tb.Fatalf("decode %s: %v", body, err)
	}
	return c
}

// readSeed returns a seed document (../shared/seeds/), of which
// testdata/seeds/ keeps a copy so that the tests checking the simulation
// against the seeds' text run on every clone. The copy must stay equal to
// the original where the original is beside the repository.
func readSeed(tb testing.TB, name string) string {
	tb.Helper()
	doc, err := os.ReadFile(filepath.Join("testdata", "seeds", name))
	if err != nil {
		tb.Fatalf("seed document: %v", err)
	}
	if orig, err := os.ReadFile(filepath.Join("..", "..", "shared", "seeds", name)); err == nil && string(orig) != string(doc) {
		tb.Fatalf("testdata/seeds/%s differs from ../shared/seeds/%s: copy the seed again", name, name)
	}
	return string(doc)
}

// answerAfter is the answer to c from a fresh simulation of cfg (override
// replaces cfg when set; the fault header is always allowed) on a fake
// clock, after c was sent before times, each admitted, and the clock
// moved on by advance; and the simulation, for its stats.
func answerAfter(tb testing.TB, cfg Config, override *Config, before int, advance time.Duration, c call) (answer, *Server) {
	tb.Helper()
	if override != nil {
		cfg = *override
	}
	cfg.AllowFaultHeader = true
	clock := newFakeClock(epoch)
	s := mustNew(tb, cfg, clock)
	ts := mustServe(tb, s)
	for i := range before {
		if a := do(tb, ts.Client(), ts.URL, c); a.status != http.StatusOK {
			tb.Fatalf("request %d before = %d %s; want 200", i+1, a.status, a.body)
		}
	}
	clock.Advance(advance)
	return do(tb, ts.Client(), ts.URL, c), s
}
