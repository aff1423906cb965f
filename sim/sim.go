// Package sim simulates the seed APIs (../shared/seeds/) as one
// http.Handler, so that tests and `stampede serve` have a realistic target
// whose behaviour is controlled and whose ground truth is known.
//
// Each API is served under its own path prefix and answers in its own
// error dialect: /mira is the Mira chat API (mira.go), /mira-verify Mira
// Verify (verify.go), /mimo MiMo (mimo.go) and /mirra the Mirra REST API
// (mirra.go). Each API's file lists its checks in order and its error
// codes. The simulator's own endpoints live under /__sim/: GET
// /__sim/stats returns the ground truth (see Stats) and POST /__sim/reset
// zeroes it, refills every rate limit, restores every balance and clears
// every API's state.
//
// Before an API serves a request, the faults of its Controls apply
// (faults.go): stalls, latency, outages, capacity and injected errors.
// Rate limits are per (API, key) token buckets (limiter.go), and 429s
// advertise their wait in the configured Retry-After behaviour
// (ratelimit.go).
//
// Keys are sent as documented by each API (Authorization: Bearer, or
// X-API-Key for Mirra). The built-in demo keys (DemoKeys) are always
// present; Config.Keys adds more. Keys are known by their names everywhere
// the simulation reports anything; secrets never appear in stats or
// errors.
package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stampede-dev/stampede/internal/field"
)

// Config configures a simulation. It is a plain struct that a --config
// YAML file decodes into (LoadConfig); the zero value is valid: the demo
// keys with their plans' limits, seed 0, honest Retry-After, no latency
// and no injected faults.
type Config struct {
	// Seed drives every random choice (response contents, identifiers,
	// latencies, injected errors), so that two runs with one seed answer
	// alike.
	Seed int64 `yaml:"seed" json:"seed"`
	// Controls apply to every API, unless APIs says otherwise.
	Controls `yaml:",inline" json:",inline"`
	// APIs are controls for one API each, by name ("mira", "mimo", …):
	// their non-zero fields replace those of Controls.
	APIs map[string]Controls `yaml:"apis,omitempty" json:"apis,omitempty"`
	// AllowFaultHeader makes the simulation honour the FaultHeader request
	// header, which forces an error answer. Off by default: a load test
	// against the simulation sees only the faults the simulation chose.
	AllowFaultHeader bool `yaml:"allow_fault_header" json:"allow_fault_header"`
	// Keys are keys added to DemoKeys.
	Keys []KeyConfig `yaml:"keys" json:"keys"`
}

// KeyConfig is a key of the simulation.
type KeyConfig struct {
	// Name is what stats and messages show for the key: letters, digits,
	// '.', '_' and '-', at most 64 characters, unique, and neither
	// KeyMissing nor KeyUnknown.
	Name string `yaml:"name" json:"name"`
	// Key is the secret clients send. It never appears in stats or errors.
	Key string `yaml:"key" json:"key"`
	// Plan is the name of a plan in Plans.
	Plan string `yaml:"plan" json:"plan"`
	// Balance, if set, is the number of credits the key starts with; each
	// answered request of an API with payments costs one, and a key with
	// none left gets 402. Unset is unlimited.
	Balance *int64 `yaml:"balance,omitempty" json:"balance,omitempty"`
	// Revoked keys are known but refused (401).
	Revoked bool `yaml:"revoked,omitempty" json:"revoked,omitempty"`
	// Services, if not empty, are the only APIs (by name, e.g. "mira") the
	// key is valid for; other APIs refuse it (401). Names of services the
	// simulation does not serve are allowed.
	Services []string `yaml:"services,omitempty" json:"services,omitempty"`
}

// FaultHeader, when Config.AllowFaultHeader is set, forces an error answer
// in the dialect of the API called: one of InjectableStatuses ("500",
// "503", …). The fault is decided before anything else: a failing server
// fails whatever the request.
const FaultHeader = "X-Sim-Fault"

// MaxRateLimit is the highest Config.RateLimit: one request per nanosecond.
const MaxRateLimit = 1e9

// keyNameRE is the form of a key name: safe to show anywhere.
var keyNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// maxKeyLen bounds the length of a key's secret.
const maxKeyLen = 256

// Validate reports every problem of the configuration, each a
// *field.Error named by its YAML key ("apis.mimo.rate_limit",
// "keys[0].plan"). It never quotes a key's secret.
func (c Config) Validate() []error {
	var errs []error
	add := func(name, value, format string, args ...any) {
		errs = append(errs, field.Errorf(name, value, format, args...))
	}

	errs = append(errs, c.Controls.validate("")...)
	for _, name := range slices.Sorted(maps.Keys(c.APIs)) {
		if !slices.Contains(APINames(), name) {
			add("apis."+name, "", "no such API; want one of %s", strings.Join(APINames(), ", "))
			continue
		}
		errs = append(errs, c.APIs[name].validate("apis."+name+".")...)
	}

	names := map[string]string{KeyMissing: "a reserved name", KeyUnknown: "a reserved name"}
	secrets := map[string]string{}
	for _, d := range DemoKeys {
		names[d.Name] = "demo key " + d.Name
		secrets[d.config.Key] = "demo key " + d.Name
	}
	for i, k := range c.Keys {
		at := fmt.Sprintf("keys[%d]", i)
		switch {
		case !keyNameRE.MatchString(k.Name):
			add(at+".name", strconv.Quote(k.Name), "want 1 to 64 letters, digits, '.', '_' or '-'")
		case names[k.Name] != "":
			add(at+".name", strconv.Quote(k.Name), "already taken by %s", names[k.Name])
		default:
			names[k.Name] = at
		}
		switch {
		case k.Key == "":
			add(at+".key", "", "required")
		case len(k.Key) > maxKeyLen:
			add(at+".key", "", "longer than %d bytes", maxKeyLen)
		case strings.IndexFunc(k.Key, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0:
			add(at+".key", "", "must not contain spaces or control characters")
		case k.Key == k.Name:
			add(at+".key", "", "must differ from the name, which stats show")
		case secrets[k.Key] != "":
			add(at+".key", "", "the same as the key of %s", secrets[k.Key])
		default:
			secrets[k.Key] = at
		}
		if _, ok := Plans[k.Plan]; !ok {
			add(at+".plan", strconv.Quote(k.Plan), "want one of %s", strings.Join(planNames(), ", "))
		}
		if k.Balance != nil && *k.Balance < 0 {
			add(at+".balance", strconv.FormatInt(int64(*k.Balance), 10), "must be >= 0 (leave it out for unlimited)")
		}
		for j, s := range k.Services {
			if strings.TrimSpace(s) == "" {
				add(fmt.Sprintf("%s.services[%d]", at, j), "", "empty service name")
			}
		}
	}
	return errs
}

// planNames returns the names of Plans, sorted.
func planNames() []string {
	names := make([]string, 0, len(Plans))
	for name := range Plans {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Option customises a Server.
type Option func(*Server)

// WithClock makes the simulation read the time from now instead of
// time.Now: rate limits, days and timestamps in answers follow it. A nil
// now keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now != nil {
			s.c.now = now
		}
	}
}

// api is one simulated API, served under "/"+Name().
type api interface {
	// Name is the API's name: its path prefix without the slash, and its
	// name in stats.
	Name() string
	// serve answers a request whose path, with the prefix removed, is path
	// (e.g. "/v1/chat/completions"), and tells what it answered.
	serve(w http.ResponseWriter, r *http.Request, path string) outcome
	// forced answers with a server error the simulation decided on (an
	// injected error, an outage, a capacity overflow, FaultHeader): status
	// is one of InjectableStatuses. It writes the API's own error body for
	// status; headers such as Retry-After are already set. The outcome
	// names the request's key as serve would.
	forced(w http.ResponseWriter, r *http.Request, status int) outcome
}

// builders make the simulated APIs; each API's file adds its own from
// init, so that adding an API touches no other file.
var builders = map[string]func(*common) api{}

// addAPI registers the builder of the API named name.
func addAPI(name string, build func(*common) api) {
	if _, dup := builders[name]; dup {
		panic("sim: API " + name + " registered twice")
	}
	builders[name] = build
}

// APINames returns the names of the simulated APIs, sorted.
func APINames() []string { return slices.Sorted(maps.Keys(builders)) }

// resetter is an API with state of its own to clear on /__sim/reset.
type resetter interface{ reset() }

// outcome is what an API reports of a request beyond what it wrote.
type outcome struct {
	key  string // key name, KeyMissing or KeyUnknown; never a secret
	code string // error code for stats, "" for a success
}

// common is what every API shares: configuration, clock, keys, limits and
// each API's controls.
type common struct {
	cfg      Config
	now      func() time.Time
	keys     *keyring
	limits   *limiter
	controls map[string]Controls // resolved, by API name
}

// control returns the resolved controls of the API named api.
func (c *common) control(api string) Controls { return c.controls[api] }

// allow applies the rate limit of key k to a request to the API named api.
func (c *common) allow(api string, k *key) decision {
	ctl := c.control(api)
	lim := k.plan.limit(float64(ctl.RateLimit), ctl.Burst)
	if ctl.DailyLimit > 0 {
		lim.perDay = ctl.DailyLimit
	}
	if ctl.RetryAfter == RetryAfterLying {
		lim.lie = ctl.LieFactor
	}
	return c.limits.allow(bucketID{api, k.name}, lim, c.now())
}

// Server is the simulation: an http.Handler serving every API, the stats
// and the reset endpoint. It is safe for concurrent use.
type Server struct {
	c     *common
	apis  map[string]api
	names []string // API names, sorted
	run   map[string]*faults
	stats *recorder
	// start is when the timeline of outages and stalls began: New, or
	// the last Reset. Unix nanoseconds of c.now.
	start atomic.Int64
}

// New returns a simulation configured by cfg, or every problem of cfg.
func New(cfg Config, opts ...Option) (*Server, error) {
	if errs := cfg.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	keys := make([]KeyConfig, 0, len(DemoKeys)+len(cfg.Keys))
	for _, d := range DemoKeys {
		keys = append(keys, d.config)
	}
	keys = append(keys, cfg.Keys...)
	c := &common{cfg: cfg, now: time.Now, keys: newKeyring(keys), limits: newLimiter(), controls: map[string]Controls{}}
	s := &Server{c: c, apis: map[string]api{}, run: map[string]*faults{}}
	for _, o := range opts {
		o(s)
	}
	for _, name := range APINames() {
		ctl := cfg.APIs[name].over(cfg.Controls).over(apiDefaults[name])
		if ctl.LieFactor == 0 {
			ctl.LieFactor = DefaultLieFactor
		}
		c.controls[name] = ctl
		s.apis[name] = builders[name](c)
		s.names = append(s.names, name)
		s.run[name] = newFaults(ctl, cfg.Seed, name)
	}
	s.stats = newRecorder(s.names)
	s.start.Store(c.now().UnixNano())
	return s, nil
}

// Prefixes returns the path prefixes of the simulated APIs, e.g. "/mira".
func (s *Server) Prefixes() []string {
	p := make([]string, len(s.names))
	for i, n := range s.names {
		p[i] = "/" + n
	}
	return p
}

// Stats returns the counts so far, as GET /__sim/stats does.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Reset zeroes the stats, refills every rate limit, restores every balance,
// clears the state of every API and restarts the timeline of outages and
// stalls, as POST /__sim/reset does.
func (s *Server) Reset() {
	s.stats.reset()
	s.c.limits.reset()
	s.c.keys.reset()
	s.start.Store(s.c.now().UnixNano())
	for _, name := range s.names {
		if r, ok := s.apis[name].(resetter); ok {
			r.reset()
		}
	}
}

// ServeHTTP routes by the first path segment: an API's name, "__sim" for
// the simulator's own endpoints, or else a 404. A request to an API goes
// through the API's faults (faults.go) before the API serves it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	first, rest := splitFirst(r.URL.Path)
	if first == "__sim" {
		s.control(w, r, rest)
		return
	}
	a := s.apis[first]
	if a == nil {
		s.stats.unrouted()
		writeJSON(w, http.StatusNotFound, map[string]string{
			"error": "unknown API; known prefixes: " + strings.Join(s.Prefixes(), ", "),
		})
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	f := s.run[first]
	f.inflight.Add(1)
	defer f.inflight.Add(-1)
	out, answered, fault := s.fault(sw, r, a, f)
	if !answered {
		out = a.serve(sw, r, rest)
	}
	s.stats.record(exchange{api: a.Name(), key: out.key, status: sw.code(), code: out.code, retryAfter: sw.retryAfter, fault: fault})
}

// splitFirst splits "/mira/v1/x" into "mira" and "/v1/x".
func splitFirst(path string) (first, rest string) {
	path = strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i], path[i:]
	}
	return path, ""
}

// control serves /__sim/stats and /__sim/reset. They are not counted.
func (s *Server) control(w http.ResponseWriter, r *http.Request, path string) {
	switch path {
	case "/stats":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed; use GET /__sim/stats"})
			return
		}
		b, err := json.MarshalIndent(s.Stats(), "", "  ")
		if err != nil { // cannot happen: maps of strings and integers
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		w.Write(append(b, '\n'))
	case "/reset":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "method not allowed; use POST /__sim/reset"})
			return
		}
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown simulator endpoint; known: GET /__sim/stats, POST /__sim/reset"})
	}
}

// readBody reads at most limit bytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	return buf.Bytes(), err
}

// writeJSON answers with status and v encoded as JSON, without a trailing
// newline, as the seed APIs' examples show their bodies.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // a bug: every body is made of plain structs and strings
		panic(fmt.Sprintf("sim: encode %T: %v", v, err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// statusWriter remembers the status and the Retry-After header an API
// answered with, for the stats.
type statusWriter struct {
	http.ResponseWriter
	status     int
	retryAfter string
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
		w.retryAfter = w.Header().Get("Retry-After")
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// code is the status answered: 200 if the API wrote nothing.
func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
