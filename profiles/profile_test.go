package profiles

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/internal/golden"
	"github.com/stampede-dev/stampede/probe"
	"github.com/stampede-dev/stampede/reports"
)

// noEnv is an environment with no variable set, so that tests do not
// depend on the machine's.
func noEnv(string) (string, bool) { return "", false }

// envOf is an environment holding vars.
func envOf(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

// compileSchema compiles Schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaValidate validates YAML data against the schema.
func schemaValidate(t *testing.T, s *jsonschema.Schema, data []byte) error {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return err
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("the YAML does not convert to JSON: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return s.Validate(doc)
}

// TestBundled: every bundled profile loads without error in an empty
// environment (the sim's defaults) and validates against the schema;
// each seed profile lasts 20–40 s and has load, pause and probe phases.
func TestBundled(t *testing.T) {
	s := compileSchema(t)
	names := Bundled()
	if want := []string{"demo", "mimo", "mira-chat", "mira-verify", "mirra"}; !slices.Equal(names, want) {
		t.Fatalf("Bundled() = %v; want %v", names, want)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p, errs := LoadBundled(name, LoadOptions{Env: noEnv})
			if len(errs) > 0 {
				t.Fatalf("LoadBundled(%q) errors:\n%v", name, errors.Join(errs...))
			}
			src, _ := BundledSource(name)
			if err := schemaValidate(t, s, src); err != nil {
				t.Errorf("the schema rejects %s: %v", name, err)
			}
			if p.Name != name || p.Target.BaseURL != "http://127.0.0.1:8080" || p.Target.Auth == nil || !strings.HasPrefix(p.Target.Auth.Secret, "demo-") {
				t.Errorf("%s: name %q, base %q, auth %v", name, p.Name, p.Target.BaseURL, p.Target.Auth)
			}
			kinds := map[PhaseKind]int{}
			for _, ph := range p.Phases {
				kinds[ph.Kind]++
			}
			if kinds[PhaseLoad] == 0 || kinds[PhasePause] == 0 || kinds[PhaseProbe] != 1 {
				t.Errorf("%s: phases %v; want load, pause and one probe", name, kinds)
			}
			n, d := plannedOf(p)
			t.Logf("%s: %.0f requests planned, %s", name, n, d)
			if d < 20*time.Second || d > 40*time.Second || len(p.Thresholds) < 5 {
				t.Errorf("%s: planned %s with %d thresholds; want 20–40 s and thresholds", name, d, len(p.Thresholds))
			}
		})
	}
}

// plannedOf is what a profile's phases plan, from their own fields: the
// hits of each load phase's shape over its duration, and the length of
// every phase (a probe's at its bound). scenario.Plan.Planned is what
// runs; scenario's tests hold the two equal on the bundled profiles.
func plannedOf(p *Profile) (requests float64, d time.Duration) {
	for _, ph := range p.Phases {
		switch ph.Kind {
		case PhaseLoad:
			requests += math.Floor(ph.Plan.Shape.Hits(ph.Plan.Duration))
			d += ph.Plan.Duration
		case PhasePause:
			d += ph.Pause
		case PhaseProbe:
			d += ph.Probe.MaxTime
		}
	}
	return requests, d
}

// TestDemoProfileKeepsTheDemosLoad: the demo profile's load phase is the
// demo's own (cmd/stampede demoLoad over 10 s: 60/s, 240/s from 3 s to 6 s).
func TestDemoProfileKeepsTheDemosLoad(t *testing.T) {
	p, errs := LoadBundled("demo", LoadOptions{Env: noEnv})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	n, _ := plannedOf(p)
	if n != 1140 {
		t.Errorf("the demo profile plans %.0f requests; want the demo's 1140", n)
	}
	if len(p.Requests) != 29 {
		t.Errorf("the demo profile has %d requests; want the demo's mix of 29", len(p.Requests))
	}
}

// brokenNotInSchema are the broken profiles whose mistake the schema
// cannot express: it is the loader's alone.
var brokenNotInSchema = map[string]string{
	"missing-env":           "environment variables are not the schema's to know",
	"literal-token":         "auth.token is a valid key (allowed with literal secrets)",
	"literal-header-secret": "the schema cannot tell a literal from ${VAR} in a secret header",
	"unknown-phase-request": "references between requests and phases",
	"duplicate-request":     "unique names across list items",
	"bad-classify":          "the --classify rule grammar",
	"bad-template":          "template actions",
	"bad-pause":             "a zero duration (0s) matches the duration pattern",
	"zero-duration":         "a zero duration matches the duration pattern",
	"path-without-base":     "a path needs a base URL only when it is not a URL",
}

// TestBroken: every profile of testdata/broken (one mistake each) is
// rejected by the loader with the errors of the golden file, and by the
// schema unless brokenNotInSchema says it cannot.
func TestBroken(t *testing.T) {
	s := compileSchema(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "broken", "*.yaml"))
	if len(files) < 25 {
		t.Fatalf("found %d broken profiles", len(files))
	}
	var out strings.Builder
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".yaml")
		p, errs := LoadFile(f, LoadOptions{Env: noEnv})
		if p != nil || len(errs) == 0 {
			t.Errorf("%s: loaded without error", name)
		}
		for _, err := range errs {
			fe := field.As(err)
			if fe == nil || fe.File != f || fe.Line == 0 || fe.Col == 0 {
				t.Errorf("%s: %v is no field.Error with a position", name, err)
			}
			fmt.Fprintln(&out, err)
			if strings.Contains(err.Error(), "sk-live") {
				t.Errorf("%s: an error shows the secret: %v", name, err)
			}
		}
		data, _ := os.ReadFile(f)
		err := schemaValidate(t, s, data)
		why, cannot := brokenNotInSchema[name]
		switch {
		case cannot && err != nil:
			t.Errorf("%s: the schema rejects it, though listed as beyond it (%s): %v", name, why, err)
		case !cannot && err == nil:
			t.Errorf("%s: the schema accepts it", name)
		}
	}
	golden.Check(t, "txt", []byte(out.String()))
}

// tenMistakes is a profile with ten mistakes (eleven errors: line 16
// has two).
const tenMistakes = `name: ten
target:
  base-url: http://127.0.0.1:8080
  auth: {type: bearer, token: sk-secret}
  headers: {Cookie: session=abc}
requests:
  - {name: a, path: /a, weight: -2}
  - {name: a, path: "/b/{{uuid 3}}"}
  - {name: c, path: /c, body: "${NOPE}"}
phases:
  - load: {pace: ramp, ramp-from: 1/s, ramp-to: lots, duration: 5s}
  - {name: p, pause: forever}
  - load: {rate: 5/s}
    requests: [a, d]
thresholds:
  - {expr: "latency.p99 < 3 parsecs", abort: maybe}
`

// TestTenMistakes: ten mistakes give ten errors, in the order of the file,
// each at its line and column.
func TestTenMistakes(t *testing.T) {
	check := func(expr string, _ []string) error {
		if i := strings.Index(expr, "parsecs"); i >= 0 {
			return columnError{i, "unknown unit parsecs"}
		}
		return nil
	}
	_, errs := Parse("ten.yaml", []byte(tenMistakes), LoadOptions{Env: noEnv, CheckThreshold: check})
	want := []string{
		`ten.yaml:4:31: target.auth.token: a literal secret is refused: put it in an environment variable and name it with env: (or allow literal secrets)`,
		`ten.yaml:5:21: target.headers.Cookie: a literal secret is refused: take it from the environment (Cookie: ${VAR}, or target.auth), or allow literal secrets`,
		`ten.yaml:7:33: requests[0].weight -2: must be from 1 to 1000000`,
		`ten.yaml:8:12: requests[1].name "a": duplicate request name (first at line 7)`,
		`ten.yaml:8:25: requests[1].path: {{uuid}} takes no arguments`,
		`ten.yaml:9:32: requests[2].body: ${NOPE} is not set and has no default (use ${NOPE:-value})`,
		`ten.yaml:11:49: phases[0].load.ramp-to: rate "lots": "lots" is not a number; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`,
		`ten.yaml:12:22: phases[1].pause "forever": want a duration such as 30s, 1m30s or 500ms`,
		`ten.yaml:14:19: phases[2].requests[1] "d": no such request in requests:`,
		`ten.yaml:16:29: thresholds[0].expr: unknown unit parsecs`,
		`ten.yaml:16:46: thresholds[0].abort "maybe": want true or false, got a string`,
	}
	var got []string
	for _, err := range errs {
		got = append(got, err.Error())
	}
	if !slices.Equal(got, want) {
		t.Errorf("Parse(ten mistakes) =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// columnError is a threshold checker's error that knows its column.
type columnError struct {
	col int
	msg string
}

func (e columnError) Error() string   { return e.msg }
func (e columnError) Column() int     { return e.col }
func (e columnError) Message() string { return e.msg }

// TestUnknownKeySuggestion: the example of the brief, exactly.
func TestUnknownKeySuggestion(t *testing.T) {
	src := "target: {base-url: http://x}\nrequests: [{name: a, path: /}]\nphases: [{load: {duration: 1s}}]\n\n\n\n\n\n\n\n\n    \ntreshold: []\n"
	_, errs := Parse("profile.yaml", []byte(src), LoadOptions{Env: noEnv})
	if len(errs) != 1 || errs[0].Error() != `profile.yaml:13:1: unknown field "treshold"; did you mean "thresholds"?` {
		t.Errorf("errors = %v", errs)
	}
}

// TestFullProfile: every key of the format, resolved.
func TestFullProfile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "body.json"), []byte(`{"from":"${NOT_EXPANDED}"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `# a comment
name: full
description: everything
target:
  base-url: ${BASE:-http://127.0.0.1:9}/api/
  auth: {type: header, header: x-api-key, env: KEY}
  headers: {Accept: application/json, X-Trace: "run-${RUN_ID:-local}"}
  tls: {insecure: true, ca-file: ca.pem}
  classify: ["status=429,code=insufficient_quota,category=payment,retryable=false"]
  contract:
    max-retry-after: 1h
    admit-margin: 250ms
    severity: {retry-after-on-503: error, headers-consistent: warning}
requests:
  - name: create
    weight: 3
    method: POST
    path: /v1/agents?n={{counter}}
    headers: {Content-Type: application/json, Authorization: "Bearer ${TOKEN}"}
    body: '{"name":"agent-{{counter}}","phase":"{{phase}}","n":{{randint 5 5}},"id":"{{uuid}}","lit":"{{"{{"}}","d":"$${X}"}'
  - name: file
    method: PUT
    path: https://other.example/x
    body-file: body.json
phases:
  - name: warmup
    load: {pace: constant, rate: 20/s, duration: 10s}
    requests: [create]
  - {name: breathe, pause: 5s}
  - name: honesty
    probe: {request: file, start-rate: 4/s, max-rate: 64/s, step: 2s, max-time: 30s, max-requests: 500, rounds: 1, margin: 100ms, max-in-flight: 8, timeout: 5s}
  - probe: {}
thresholds:
  - "latency.p99 < 300ms"
  - {expr: 'count(code == "INTERNAL_ERROR") == 0', abort: true, name: "no internal errors"}
reports:
  junit: out/junit.xml
  html: out/report.html
`
	file := filepath.Join(dir, "full.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	env := envOf(map[string]string{"KEY": "k-123", "TOKEN": "t-456"})
	p, errs := LoadFile(file, LoadOptions{Env: env})
	if len(errs) > 0 {
		t.Fatal(errors.Join(errs...))
	}
	if err := schemaValidate(t, compileSchema(t), []byte(src)); err != nil {
		t.Errorf("the schema rejects the full profile: %v", err)
	}
	tg := p.Target
	if p.Name != "full" || p.Description != "everything" || tg.BaseURL != "http://127.0.0.1:9/api" {
		t.Errorf("name %q, description %q, base %q", p.Name, p.Description, tg.BaseURL)
	}
	if *tg.Auth != (Auth{Type: "header", Header: "X-Api-Key", Env: "KEY", Secret: "k-123"}) || tg.Auth.Value() != "k-123" {
		t.Errorf("auth = %+v", *tg.Auth)
	}
	if tg.Headers.Get("X-Trace") != "run-local" || tg.Headers.Get("Accept") != "application/json" {
		t.Errorf("headers = %v", tg.Headers)
	}
	if tg.TLS != (TLS{Insecure: true, CAFile: filepath.Join(dir, "ca.pem")}) || len(tg.Classify) != 1 {
		t.Errorf("tls %+v, classify %v", tg.TLS, tg.Classify)
	}
	if c := tg.Contract; c.MaxRetryAfter != time.Hour || c.AdmitMargin != 250*time.Millisecond || c.Severity["headers-consistent"] != "warning" {
		t.Errorf("contract = %+v", c)
	}
	create := p.Request("create")
	ctx := TemplateContext{Counter: 7, Phase: "warmup", Rand: rand.New(rand.NewPCG(1, 2))}
	if got := create.URL.Expand(ctx); got != "http://127.0.0.1:9/api/v1/agents?n=7" || create.Weight != 3 || create.Method != "POST" {
		t.Errorf("create: %s %s weight %d", create.Method, got, create.Weight)
	}
	if got := create.Header["Authorization"].Expand(ctx); got != "Bearer t-456" {
		t.Errorf("Authorization = %q", got)
	}
	body := create.Body.Expand(ctx)
	if !regexp.MustCompile(`^\{"name":"agent-7","phase":"warmup","n":5,"id":"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}","lit":"\{\{","d":"\$\{X\}"\}$`).MatchString(body) {
		t.Errorf("body = %s", body)
	}
	f := p.Request("file")
	if f.URL.Expand(ctx) != "https://other.example/x" || f.Body.Expand(ctx) != `{"from":"${NOT_EXPANDED}"}` || f.BodyFile != filepath.Join(dir, "body.json") || f.Weight != 1 {
		t.Errorf("file request: %s %q %q", f.URL, f.Body, f.BodyFile)
	}
	if len(p.Phases) != 4 {
		t.Fatalf("phases = %d", len(p.Phases))
	}
	w := p.Phases[0]
	if w.Kind != PhaseLoad || w.Plan.Duration != 10*time.Second || w.Load.Rate != "20/s" || !slices.Equal(w.Requests, []string{"create"}) {
		t.Errorf("warmup = %+v", w)
	}
	if b := p.Phases[1]; b.Kind != PhasePause || b.Pause != 5*time.Second {
		t.Errorf("breathe = %+v", b)
	}
	want := ProbeOptions{Request: "file", StartRate: 4, MaxRate: 64, Step: 2 * time.Second, MaxTime: 30 * time.Second, MaxRequests: 500, Rounds: 1, Margin: 100 * time.Millisecond, MaxInFlight: 8, Timeout: 5 * time.Second}
	if h := p.Phases[2]; h.Kind != PhaseProbe || h.Probe != want {
		t.Errorf("honesty = %+v; want %+v", h.Probe, want)
	}
	def := DefaultProbe
	def.Request = "create"
	if last := p.Phases[3]; last.Name != "phase-4" || last.Probe != def {
		t.Errorf("the last probe = %q %+v; want phase-4 with the defaults", last.Name, last.Probe)
	}
	if th := p.Thresholds; len(th) != 2 || th[0] != (Threshold{Expr: "latency.p99 < 300ms", Name: "latency.p99 < 300ms", Line: 34, Col: 6}) ||
		th[1] != (Threshold{Expr: `count(code == "INTERNAL_ERROR") == 0`, Name: "no internal errors", Abort: true, Line: 35, Col: 13}) {
		t.Errorf("thresholds = %+v", th)
	}
	if !slices.Equal(p.Reports, []Report{{"junit", "out/junit.xml"}, {"html", "out/report.html"}}) {
		t.Errorf("reports = %+v", p.Reports)
	}
	n, d := plannedOf(p)
	if n != 200 || d != 10*time.Second+5*time.Second+30*time.Second+2*time.Minute {
		t.Errorf("planned %v requests over %s", n, d)
	}
	// No secret anywhere in what the profile shows.
	for _, s := range []string{p.String(), fmt.Sprintf("%v %+v %#v", tg.Auth, tg.Auth, tg.Auth), create.Header["Authorization"].String()} {
		if strings.Contains(s, "k-123") || strings.Contains(s, "t-456") {
			t.Errorf("a secret is shown: %s", s)
		}
	}
}

// TestBaseURLOption: LoadOptions.BaseURL replaces target.base-url, whose
// variables then need not be set.
func TestBaseURLOption(t *testing.T) {
	src := "target: {base-url: \"${UNSET_URL}\"}\nrequests: [{name: a, path: /x}]\nphases: [{load: {rate: 1/s, duration: 1s}}]\n"
	p, errs := Parse("p.yaml", []byte(src), LoadOptions{Env: noEnv, BaseURL: "https://staging.example/"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := p.Requests[0].URL.Expand(TemplateContext{}); got != "https://staging.example/x" {
		t.Errorf("URL = %q", got)
	}
	_, errs = Parse("p.yaml", []byte(src), LoadOptions{Env: noEnv, BaseURL: "ftp://x"})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "base-url \"ftp://x\": want an http or https URL") {
		t.Errorf("errors = %v", errs)
	}
}

// TestLiteralSecretsAllowed: with AllowLiteralSecrets, a token and a
// literal secret header are accepted.
func TestLiteralSecretsAllowed(t *testing.T) {
	src := "target:\n  base-url: http://x\n  auth: {type: bearer, token: abc}\n  headers: {Cookie: s=1}\nrequests: [{name: a, path: /}]\nphases: [{load: {duration: 1s}}]\n"
	p, errs := Parse("p.yaml", []byte(src), LoadOptions{Env: noEnv, AllowLiteralSecrets: true})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if p.Target.Auth.Value() != "Bearer abc" || p.Target.Auth.String() != "bearer (Authorization from a literal secret)" {
		t.Errorf("auth = %q, %s", p.Target.Auth.Value(), p.Target.Auth)
	}
}

// TestAuthEnv: the forms of auth.env.
func TestAuthEnv(t *testing.T) {
	for _, tc := range []struct {
		env, want, err string
		vars           map[string]string
	}{
		{"TOKEN", "s1", "", map[string]string{"TOKEN": "s1"}},
		{"${TOKEN}", "s1", "", map[string]string{"TOKEN": "s1"}},
		{"${TOKEN:-demo-full}", "demo-full", "", nil},
		{"${TOKEN:-demo-full}", "s2", "", map[string]string{"TOKEN": "s2"}},
		{"TOKEN", "", "${TOKEN} is not set and has no default (use ${TOKEN:-value})", nil},
		{"TOKEN", "", "$TOKEN is empty", map[string]string{"TOKEN": ""}},
		{"9LIVES", "", "want a variable name", nil},
	} {
		src := fmt.Sprintf("target: {base-url: http://x, auth: {type: bearer, env: %q}}\nrequests: [{name: a, path: /}]\nphases: [{load: {duration: 1s}}]\n", tc.env)
		p, errs := Parse("p.yaml", []byte(src), LoadOptions{Env: envOf(tc.vars)})
		switch {
		case tc.err == "" && (len(errs) > 0 || p.Target.Auth.Secret != tc.want):
			t.Errorf("env %q: %v, %v; want secret %q", tc.env, p, errs, tc.want)
		case tc.err != "" && (len(errs) != 1 || !strings.Contains(errs[0].Error(), tc.err)):
			t.Errorf("env %q: errors %v; want %q", tc.env, errs, tc.err)
		}
	}
}

// TestTemplates: compileText's grammar, table-driven.
func TestTemplates(t *testing.T) {
	env := envOf(map[string]string{"A": "x{{counter}}", "E": ""})
	ctx := TemplateContext{Counter: 42, Phase: "burst", Rand: rand.New(rand.NewPCG(3, 4))}
	for _, tc := range []struct{ in, want, err string }{
		{"plain", "plain", ""},
		{"n={{counter}}&p={{ phase }}", "n=42&p=burst", ""},
		{"${A}", "x{{counter}}", ""}, // an env value is not a template
		{"${E:-def}", "def", ""},     // empty uses the default, as the shell does
		{"${E}", "", ""},
		{"$${A} {{\"{{\"}}", "${A} {{", ""},
		{"{{randint 9 9}}", "9", ""},
		{"{{counte}}", "", `unknown template function "counte"; did you mean "counter"?`},
		{"{{now}}", "", `unknown template function "now" (want counter, uuid, randint or phase)`},
		{"{{randint 5 1}}", "", "want A <= B"},
		{"{{randint 1}}", "", "takes two integers"},
		{"{{counter", "", "unterminated {{"},
		{"${A", "", "unterminated ${"},
		{"${B}", "", "${B} is not set"},
		{"${1B}", "", "is not a variable name"},
		{"{{}}", "", "empty {{}}"},
	} {
		tpl, probs := compileText(tc.in, env, true)
		if tc.err != "" {
			if len(probs) != 1 || !strings.Contains(probs[0].msg, tc.err) {
				t.Errorf("compileText(%q) problems = %v; want %q", tc.in, probs, tc.err)
			}
			continue
		}
		if len(probs) > 0 {
			t.Errorf("compileText(%q) problems = %v", tc.in, probs)
			continue
		}
		if got := tpl.Expand(ctx); got != tc.want {
			t.Errorf("compileText(%q).Expand = %q; want %q", tc.in, got, tc.want)
		}
		if tpl.String() != tc.in {
			t.Errorf("String() = %q; want the source %q", tpl.String(), tc.in)
		}
	}
}

// TestRandIntBounds: randint stays within its bounds, both included.
func TestRandIntBounds(t *testing.T) {
	tpl, _ := compileText("{{randint -2 2}}", noEnv, true)
	seen := map[string]bool{}
	for range 500 {
		seen[tpl.Expand(TemplateContext{})] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if !slices.Equal(keys, []string{"-1", "-2", "0", "1", "2"}) {
		t.Errorf("randint -2 2 gave %v", keys)
	}
}

// TestStaticTemplateAllocatesNothing: a template without actions expands
// with no allocation; one with a counter with one.
func TestStaticTemplateAllocatesNothing(t *testing.T) {
	static, _ := compileText("/v1/agents", noEnv, true)
	dynamic, _ := compileText("/v1/agents/{{counter}}", noEnv, true)
	ctx := TemplateContext{Counter: 12345}
	if n := testing.AllocsPerRun(100, func() { static.Expand(ctx) }); n != 0 {
		t.Errorf("static Expand: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() { dynamic.Expand(ctx) }); n > 1 {
		t.Errorf("dynamic Expand: %v allocations; want 1", n)
	}
}

// BenchmarkExpand: a body with a counter, a phase and a randint.
func BenchmarkExpand(b *testing.B) {
	tpl, _ := compileText(`{"name":"agent-{{counter}}","phase":"{{phase}}","n":{{randint 1 100}}}`, noEnv, true)
	ctx := TemplateContext{Phase: "warmup"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ctx.Counter = uint64(i)
		tpl.Expand(ctx)
	}
}

// FuzzCompileText: any text compiles or reports problems at offsets within
// it; a text without "$" or "{{" is its own expansion.
func FuzzCompileText(f *testing.F) {
	for _, s := range []string{"", "/x", "{{counter}}", "${A:-b}", "$${", "{{randint 1 2}}", "{{", "${", "{{\"x\"}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tpl, probs := compileText(s, noEnv, true)
		for _, p := range probs {
			if p.offset < 0 || p.offset >= len(s) {
				t.Fatalf("compileText(%q): problem at %d", s, p.offset)
			}
		}
		if len(probs) == 0 && !strings.Contains(s, "$") && !strings.Contains(s, "{{") {
			if got := tpl.Expand(TemplateContext{}); got != s {
				t.Fatalf("compileText(%q).Expand = %q", s, got)
			}
		}
	})
}

// TestSchemaKeys: the keys the loader accepts (the raw structs' yaml tags,
// and Load's) are the keys the schema lists, section by section.
func TestSchemaKeys(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(Schema, &s); err != nil {
		t.Fatal(err)
	}
	defs := s["$defs"].(map[string]any)
	props := func(obj any) []string {
		var keys []string
		for k := range obj.(map[string]any)["properties"].(map[string]any) {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	targetProps := defs["target"].(map[string]any)["properties"].(map[string]any)
	for _, tc := range []struct {
		name   string
		raw    any
		schema any
	}{
		{"profile", rawProfile{}, s},
		{"target", rawTarget{}, defs["target"]},
		{"auth", rawAuth{}, defs["auth"]},
		{"tls", rawTLS{}, targetProps["tls"]},
		{"contract", rawContract{}, targetProps["contract"]},
		{"request", rawRequest{}, defs["request"]},
		{"phase", rawPhase{}, defs["phase"]},
		{"load", Load{}, defs["load"]},
		{"probe", rawProbe{}, defs["probe"]},
		{"threshold", rawThreshold{}, defs["threshold"].(map[string]any)["oneOf"].([]any)[1]},
	} {
		keys, _ := keysOf(reflect.TypeOf(tc.raw))
		sort.Strings(keys)
		if got := props(tc.schema); !slices.Equal(got, keys) {
			t.Errorf("%s: the schema lists %v; the loader accepts %v", tc.name, got, keys)
		}
	}
	var formats []string
	for _, f := range s["properties"].(map[string]any)["reports"].(map[string]any)["propertyNames"].(map[string]any)["enum"].([]any) {
		formats = append(formats, f.(string))
	}
	if !slices.Equal(formats, reportFormats) {
		t.Errorf("the schema's report formats %v; the loader's %v", formats, reportFormats)
	}
}

// TestCopiesAgree: what profiles copies from packages above it (it may
// not import them) is equal to the original.
func TestCopiesAgree(t *testing.T) {
	if want := append(slices.Clone(reports.Formats), "vegeta-json"); !slices.Equal(reportFormats, want) {
		t.Errorf("reportFormats = %v; want reports.Formats and vegeta-json, %v", reportFormats, want)
	}
	b := probe.DefaultBounds()
	d := DefaultProbe
	if d.StartRate != b.StartRate || d.MaxRate != b.MaxRate || d.Step != b.Step || d.MaxTime != b.MaxTime ||
		d.MaxRequests != b.MaxRequests || d.Rounds != b.Rounds || d.Margin != b.Margin || d.MaxInFlight != b.MaxInFlight {
		t.Errorf("DefaultProbe = %+v; probe.DefaultBounds() = %+v", d, b)
	}
}

// TestLoadBundledUnknown: an unknown bundled name suggests the nearest.
func TestLoadBundledUnknown(t *testing.T) {
	_, errs := LoadBundled("mira-chatt", LoadOptions{})
	if len(errs) != 1 || errs[0].Error() != `profile "mira-chatt": no bundled profile of that name; did you mean "mira-chat"?` {
		t.Errorf("errors = %v", errs)
	}
}

// TestFileErrors: a missing file, YAML that does not parse, an empty file
// and two documents are each one error.
func TestFileErrors(t *testing.T) {
	_, errs := LoadFile(filepath.Join(t.TempDir(), "none.yaml"), LoadOptions{})
	if len(errs) != 1 || !strings.HasSuffix(errs[0].Error(), "none.yaml: profile: no such file or directory") {
		t.Errorf("missing file: %v", errs)
	}
	for _, tc := range []struct{ src, want string }{
		{"phases: [\n", "p.yaml:1:1: invalid YAML: did not find expected node content"},
		{"", "p.yaml:1:1: empty profile: want at least requests: and phases:"},
		{"phases: []\n---\nname: x\n", "p.yaml:2:1: a profile is one YAML document: remove the second (---)"},
		{"- a\n", `p.yaml:1:1: want a mapping, got a list`},
	} {
		_, errs := Parse("p.yaml", []byte(tc.src), LoadOptions{})
		if len(errs) != 1 || errs[0].Error() != tc.want {
			t.Errorf("Parse(%q) = %v; want %s", tc.src, errs, tc.want)
		}
	}
}

// TestProblemsBounded: a file of aliases to one long mistake gets at most
// MaxProblems problems, each short, and a count of the rest.
func TestProblemsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("target: {base-url: http://x}\nrequests:\n  - &r {name: a, path: /, weight: &w \"" + strings.Repeat("x", 100_000) + "\"}\n")
	for range 1000 {
		b.WriteString("  - *r\n")
	}
	b.WriteString("phases: [{load: {duration: 1s}}]\n")
	_, errs := Parse("amp.yaml", []byte(b.String()), LoadOptions{Env: noEnv})
	if len(errs) != MaxProblems+1 || !strings.Contains(errs[len(errs)-1].Error(), "more problems") {
		t.Fatalf("%d problems, the last %v; want %d and a count of the rest", len(errs), errs[len(errs)-1], MaxProblems+1)
	}
	for _, err := range errs {
		if len(err.Error()) > 1000 {
			t.Fatalf("a problem of %d bytes", len(err.Error()))
		}
	}
}
