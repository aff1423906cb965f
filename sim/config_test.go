package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(`
# every control, globally and for one API
seed: 7
rate_limit: 20/s
burst: 5
retry_after: lying
lie_factor: 4
latency: lognormal:20ms,200ms
errors: {500: 0.01, 503: 0.02}
outages: [10s+5s, 1m+30s]
stall: 2s/30s
capacity: 100
allow_fault_header: true
apis:
  mira: {rate_limit: 3, retry_after: http-date, latency: 5ms}
keys:
  - {name: ci, key: sk-ci-123, plan: free, balance: 10}
  - name: other
    key: sk-other-456
    plan: full
    services: [translate]
`))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	want := Config{
		Seed: 7,
		Controls: Controls{RateLimit: 20, Burst: 5, RetryAfter: "lying", LieFactor: 4,
			Latency: Latency{Dist: "lognormal", A: 20 * time.Millisecond, B: 200 * time.Millisecond},
			Errors:  ErrorRates{500: 0.01, 503: 0.02},
			Outages: []Window{{10 * time.Second, 5 * time.Second}, {time.Minute, 30 * time.Second}},
			Stall:   Stall{2 * time.Second, 30 * time.Second}, Capacity: 100},
		APIs:             map[string]Controls{"mira": {RateLimit: 3, RetryAfter: "http-date", Latency: Latency{Dist: "fixed", A: 5 * time.Millisecond}}},
		AllowFaultHeader: true,
		Keys: []KeyConfig{
			{Name: "ci", Key: "sk-ci-123", Plan: "free", Balance: ptr(int64(10))},
			{Name: "other", Key: "sk-other-456", Plan: "full", Services: []string{"translate"}},
		},
	}
	if mustJSON(t, cfg) != mustJSON(t, want) {
		t.Errorf("ParseConfig =\n%s\nwant\n%s", mustJSON(t, cfg), mustJSON(t, want))
	}
	if _, err := New(cfg); err != nil {
		t.Errorf("New(parsed config): %v", err)
	}

	if cfg, err := ParseConfig(nil); err != nil || mustJSON(t, cfg) != mustJSON(t, Config{}) {
		t.Errorf("ParseConfig(empty) = %+v, %v; want the zero Config", cfg, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"rate_limt: 3\n", "line 1: field rate_limt not found"},
		{"seed: 1\nlatency: fast\n", `line 2: latency "fast": "fast" is not a duration`},
		{"rate_limit: lots\n", `line 1: rate_limit: rate "lots"`},
		{"stall: [1s, 2s]\n", "line 1: stall: want a single value"},
		{"outages: [10s]\n", `line 1: outage "10s": want START+DURATION`},
		{"burst: x\n", "line 1: cannot unmarshal"},
		{"errors: {418: 0.5}\n", "errors: status 418 cannot be injected"},
		{"retry_after: sometimes\n", `retry_after "sometimes": want one of honest`},
		{"apis: {nope: {}}\n", "apis.nope: no such API"},
		{"keys: [{name: a, key: sk-secret-1, plan: gold}]\n", `keys[0].plan "gold"`},
		{"seed: 1\n---\nseed: 2\n", "more than one YAML document"},
		{"seed: [\n", "line"},
	} {
		_, err := ParseConfig([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseConfig(%q) error = %v; want %q", tc.yaml, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "sk-secret") || strings.Contains(err.Error(), "\n") && !strings.Contains(tc.want, "plan") {
			t.Errorf("ParseConfig(%q) error %q: quotes a secret or spans lines", tc.yaml, err)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sim.yaml")
	if err := os.WriteFile(path, []byte("seed: 9\nretry_after: zero\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil || cfg.Seed != 9 || cfg.RetryAfter != "zero" {
		t.Errorf("LoadConfig = %+v, %v", cfg, err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "none.yaml")); err == nil {
		t.Error("LoadConfig(missing file): no error")
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("# "+strings.Repeat("x", MaxConfigSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("LoadConfig(too big) error = %v; want larger than", err)
	}
}

// FuzzParseConfig feeds arbitrary documents to the config parser: it must
// never panic, and whatever it accepts must make a simulation.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		"", "seed: 1\n", "rate_limit: 20/s\nburst: 3\n", "latency: lognormal:1ms,9ms\n",
		"errors: {500: 0.5}\n", "outages: [1s+1s]\nstall: 1s/2s\n", "apis: {mira: {capacity: 3}}\n",
		"keys: [{name: a, key: sk-1, plan: full, balance: 3}]\n", "retry_after: lying\nlie_factor: 2\n",
		"latency: [\n", "stall: {for: 1s}\n", "&a [*a]\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			return
		}
		if _, err := New(cfg); err != nil {
			t.Errorf("ParseConfig accepted %q, but New: %v", data, err)
		}
	})
}

// TestExampleConfig keeps examples/sim.yaml valid.
func TestExampleConfig(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("..", "examples", "sim.yaml"))
	if err != nil {
		t.Fatalf("examples/sim.yaml: %v", err)
	}
	if cfg.Seed != 42 || len(cfg.APIs) != 4 || len(cfg.Keys) != 2 {
		t.Errorf("examples/sim.yaml = %+v; want seed 42, 4 APIs, 2 keys", cfg)
	}
	if _, err := New(cfg); err != nil {
		t.Errorf("New(examples/sim.yaml): %v", err)
	}
}
