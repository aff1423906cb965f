package profiles

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/attack/retry"
)

// Profile is a load test read from a profile file (docs/profiles.md),
// validated and resolved: environment variables expanded, the secret of
// its auth read from the environment, templates compiled, load sections
// planned. Nothing in it needs the file again, except the files that
// target.tls names.
type Profile struct {
	Name        string // the profile's name: name:, or the file's name without .yaml
	Description string
	File        string // the file it was read from, as given to Load or Parse
	Target      Target
	Requests    []Request // in file order
	Phases      []Phase   // in file order
	Thresholds  []Threshold
	Reports     []Report // in file order
}

// Target is where the requests go and what every request carries.
type Target struct {
	// BaseURL is target.base-url after env expansion (or LoadOptions.BaseURL),
	// without a trailing slash; "" when every request's path is a URL.
	BaseURL string
	Auth    *Auth       // nil without auth
	Headers http.Header // headers of every request (a request's own win); never a literal secret unless allowed
	TLS     TLS
	// Classify are the classification rules, in the --classify grammar,
	// each checked with classify.ParseRule.
	Classify []string
	Contract Contract
}

// Auth is how requests authenticate. The secret comes from an environment
// variable (or, with LoadOptions.AllowLiteralSecrets, from the file); it is
// never shown by String, GoString or any error.
type Auth struct {
	Type   string // "bearer" (Authorization: Bearer SECRET) or "header" (Header: SECRET)
	Header string // the header that carries the secret: "Authorization" for bearer
	Env    string // the environment variable it was read from; "" for a literal
	Secret string // the secret itself: never print it
}

// String describes the auth without its secret.
func (a *Auth) String() string {
	if a == nil {
		return "none"
	}
	from := "$" + a.Env
	if a.Env == "" {
		from = "a literal secret"
	}
	return fmt.Sprintf("%s (%s from %s)", a.Type, a.Header, from)
}

// GoString is String, so that %#v shows no secret either.
func (a *Auth) GoString() string { return a.String() }

// Value returns the header value that authenticates a request: "Bearer
// SECRET" or SECRET.
func (a *Auth) Value() string {
	if a.Type == AuthBearer {
		return "Bearer " + a.Secret
	}
	return a.Secret
}

// Auth types.
const (
	AuthBearer = "bearer"
	AuthHeader = "header"
)

// TLS are the transport's TLS settings. Paths are resolved against the
// profile file's directory.
type TLS struct {
	Insecure bool // skip verifying the server's certificate
	CAFile   string
	CertFile string // with KeyFile: a client certificate
	KeyFile  string
}

// Contract are the options of the rate-limit contract checks
// (analyze/contract.Options) and severities overridden per rule.
type Contract struct {
	MaxRetryAfter time.Duration     // 0: the checker's default
	AdmitMargin   time.Duration     // 0: the checker's default
	Severity      map[string]string // rule id (contract.Rules' names) → "error" or "warning"
}

// Request is one request of the mix. The load phases draw requests in
// proportion to their weights.
type Request struct {
	Name   string
	Weight int    // ≥ 1
	Method string // upper case
	// URL is the base URL joined with the path, or the path when it is a
	// URL itself.
	URL *Template
	// Header are the request's own headers, templated; the caller adds
	// Target.Headers and Target.Auth under them.
	Header map[string]*Template
	Body   *Template // nil without a body
	// BodyFile is the file the body was read from (resolved against the
	// profile's directory), "" for an inline body. A file's body is taken
	// as it is: neither env references nor actions are expanded in it.
	BodyFile string
	// Retry is how clients retry this request, over its phase's; nil to
	// follow the phase.
	Retry *RetrySpec
}

// RetrySpec is a retry: section read and checked.
type RetrySpec struct {
	Options retry.Options // the policy and its parameters
	On      retry.On      // what its clients retry
	Section Retry         // as written
}

// PhaseKind is what a phase does.
type PhaseKind int

// Phase kinds.
const (
	PhaseLoad  PhaseKind = iota // send load (load:)
	PhasePause                  // send nothing for a while (pause:)
	PhaseProbe                  // the Retry-After honesty probe (probe:)
)

// String names the kind as the file's key does.
func (k PhaseKind) String() string {
	switch k {
	case PhaseLoad:
		return "load"
	case PhasePause:
		return "pause"
	case PhaseProbe:
		return "probe"
	}
	return fmt.Sprintf("PhaseKind(%d)", int(k))
}

// Phase is one step of a profile, run in order.
type Phase struct {
	Name string
	Kind PhaseKind
	// Load is the load section as written (PhaseLoad), and Plan its
	// validated shape and duration.
	Load Load
	Plan Plan
	// Pause is how long a PhasePause waits.
	Pause time.Duration
	// Probe are a PhaseProbe's options, defaults filled in.
	Probe ProbeOptions
	// Requests are the names of the requests a load phase draws from; nil
	// for all.
	Requests []string
	// Retry is how the clients of a load phase retry; nil for not at
	// all (a request's own retry: wins). In a compare phase it gives the
	// parameters of the policies compared, and no policy.
	Retry *RetrySpec
	// Compare, on a load phase, runs its load once per retry policy and
	// compares them (the retry-storm comparison); nil for a phase run
	// once. A compare phase is its profile's only phase.
	Compare *CompareOptions
}

// DefaultCoolDown is the pause between the runs of a comparison.
const DefaultCoolDown = 5 * time.Second

// CompareOptions are a compare phase's.
type CompareOptions struct {
	Policies []retry.Policy // at least two, distinct, in the order they run
	CoolDown time.Duration  // the pause between their runs
}

// ProbeOptions are the options of a probe phase, named as the flags of
// `stampede probe` are; every field is filled in (defaults where the file
// gives none).
type ProbeOptions struct {
	Request     string        // the request probed: request:, by default the profile's first
	StartRate   float64       // start-rate, requests per second
	MaxRate     float64       // max-rate, requests per second
	Step        time.Duration // step
	MaxTime     time.Duration // max-time
	MaxRequests int           // max-requests
	Rounds      int           // rounds
	Margin      time.Duration // margin
	MaxInFlight int           // max-in-flight
	Timeout     time.Duration // timeout of each request; 0: the attack's default
}

// DefaultProbe are the probe options a probe phase starts from: those of
// `stampede probe` (probe.DefaultBounds; a test keeps them equal).
var DefaultProbe = ProbeOptions{
	StartRate: 2, MaxRate: 1000, Step: time.Second, MaxTime: 2 * time.Minute,
	MaxRequests: 10000, Rounds: 3, Margin: 250 * time.Millisecond, MaxInFlight: 64,
}

// Threshold is one pass/fail criterion of a run, in the threshold
// language (docs/profiles.md).
type Threshold struct {
	Expr  string
	Name  string // name:, or the expression
	Abort bool   // stop the run as soon as it fails
	// Line and Col are where the expression is written, for messages about
	// it.
	Line, Col int
}

// Report is a report to write when the run ends.
type Report struct {
	Format string // one of reports.Formats
	Path   string // as written (relative paths are the caller's to resolve)
}

// Request returns the request named name, or nil.
func (p *Profile) Request(name string) *Request {
	for i := range p.Requests {
		if p.Requests[i].Name == name {
			return &p.Requests[i]
		}
	}
	return nil
}

// String describes the profile in a few lines, with no header value and
// no secret.
func (p *Profile) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "profile %s (%s)\n", p.Name, p.File)
	fmt.Fprintf(&b, "  target %s, auth %s\n", p.Target.BaseURL, p.Target.Auth)
	for _, r := range p.Requests {
		fmt.Fprintf(&b, "  request %s: %s %s (weight %d)\n", r.Name, r.Method, r.URL, r.Weight)
	}
	for _, ph := range p.Phases {
		switch ph.Kind {
		case PhaseLoad:
			fmt.Fprintf(&b, "  phase %s: %s for %s\n", ph.Name, ph.Plan, ph.Plan.Duration)
		case PhasePause:
			fmt.Fprintf(&b, "  phase %s: pause %s\n", ph.Name, ph.Pause)
		case PhaseProbe:
			fmt.Fprintf(&b, "  phase %s: probe %s, %d rounds, at most %s\n", ph.Name, ph.Probe.Request, ph.Probe.Rounds, ph.Probe.MaxTime)
		}
	}
	for _, t := range p.Thresholds {
		fmt.Fprintf(&b, "  threshold %s\n", t.Expr)
	}
	return b.String()
}
