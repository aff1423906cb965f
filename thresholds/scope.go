package thresholds

import (
	"fmt"
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/expr-lang/expr/vm"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
)

// Scope is what an expression sees: the metrics of a run, of one request
// name of it (request("name")), or of some of its classes (class(…)). The
// expr tags are the names expressions use; docs/thresholds.md lists them.
type Scope struct {
	Requests     float64           `expr:"requests"`      // attempts recorded
	Successes    float64           `expr:"successes"`     // attempts answered 2xx or 3xx
	SuccessRatio float64           `expr:"success_ratio"` // successes / requests, 0 without requests
	Throughput   float64           `expr:"throughput"`    // successes per second
	OfferedRate  float64           `expr:"offered_rate"`  // attempts scheduled per second
	Duration     time.Duration     `expr:"duration"`      // from the first scheduled send to the last answer
	Latency      analyze.Quantiles `expr:"latency"`       // corrected latency, from the scheduled send
	Uncorrected  analyze.Quantiles `expr:"uncorrected"`   // latency from the actual send
	SendDelay    analyze.Quantiles `expr:"send_delay"`    // stampede's own lag: scheduled to actual send
	RateLimit    RateLimit         `expr:"rate_limit"`    // the rate-limit contract
	Probe        Probe             `expr:"probe"`         // the Retry-After probes read with the run
	Finished     bool              `expr:"finished"`      // not interrupted, nothing unsent or unanswered, every file ended
	Interrupted  bool              `expr:"interrupted"`   // a signal or an abort cut the run short
	Unsent       float64           `expr:"unsent"`        // scheduled attempts never sent
	Unanswered   float64           `expr:"unanswered"`    // attempts in flight when the run gave up
	Retries      Retries           `expr:"retries"`       // the logical requests and their retries
	Baseline     *Scope            `expr:"baseline"`      // the same metrics of the baseline run; nil without --baseline

	groups  []Group                   // request × class counts, for count() and rate()
	classes []*hdrhistogram.Histogram // latency per class, for class()
	byName  map[string]*Scope         // by request name, for request()
	preds   []*vm.Program             // the predicates of the expression being run
	what    string                    // "the run", "request \"x\"", for errors
}

// Retries are the retry metrics of a run (analyze.Retries): how the
// simulated clients' retries went.
type Retries struct {
	Logical       float64           `expr:"logical"`         // logical requests: first attempts
	Attempts      float64           `expr:"attempts"`        // every attempt, retries included
	Retries       float64           `expr:"retries"`         // attempts after the first
	Amplification float64           `expr:"amplification"`   // attempts per logical request; 1 without retries
	SuccessRatio  float64           `expr:"success_ratio"`   // logical requests that eventually succeeded, 0 to 1
	GiveUpRatio   float64           `expr:"give_up_ratio"`   // logical requests given up on a retryable failure, 0 to 1
	GaveUp        float64           `expr:"gave_up"`         // those logical requests
	Early         float64           `expr:"early"`           // retries sent before the Retry-After had passed
	NonRetryable  float64           `expr:"non_retryable"`   // non-retryable responses retried
	Unsettled     float64           `expr:"unsettled"`       // logical requests whose last attempt the run never saw
	TimeToSuccess analyze.Quantiles `expr:"time_to_success"` // first send to final success
	Recovered     bool              `expr:"recovered"`       // after a fault window, back within 10 % (true when there was no fault)
	RecoveryTime  time.Duration     `expr:"recovery_time"`   // from the fault window's end to the recovery; 0 without a fault
	FaultDuration time.Duration     `expr:"fault_duration"`  // the fault window's length; 0 without a fault, the largest duration when it lasted to the end
	PeakLoad      float64           `expr:"peak_load"`       // most attempts per second the target saw in one interval
}

func retriesOf(s *analyze.Summary) Retries {
	r := &s.Retries
	rec := s.Timeline.Recovery()
	out := Retries{
		Logical: float64(r.Logical), Attempts: float64(r.Attempts()), Retries: float64(r.Retries),
		Amplification: r.Amplification(), SuccessRatio: r.SuccessRatio(), GiveUpRatio: r.GiveUpRatio(),
		GaveUp: float64(r.GaveUp), Early: float64(r.Early), NonRetryable: float64(r.NonRetryable),
		Unsettled: float64(r.Unsettled()), TimeToSuccess: analyze.LatencyQuantiles(r.TimeToSuccess),
		Recovered: !rec.Fault || rec.Recovered, PeakLoad: s.Timeline.PeakSent(),
	}
	switch {
	case rec.Recovered:
		out.RecoveryTime = rec.Time
	case rec.Fault: // never: no bound on the recovery time holds
		out.RecoveryTime = math.MaxInt64
	}
	switch {
	case rec.Fault && rec.FaultEnd.IsZero():
		out.FaultDuration = math.MaxInt64
	case rec.Fault:
		out.FaultDuration = rec.FaultEnd.Sub(rec.FaultStart)
	}
	return out
}

// RateLimit is the outcome of the rate-limit contract checks.
type RateLimit struct {
	Errors     float64 `expr:"errors"`     // violations of rules of severity error
	Warnings   float64 `expr:"warnings"`   // violations of rules of severity warning
	Violations float64 `expr:"violations"` // both
	Checked    bool    `expr:"checked"`    // whether the run says how its contract checks went
	rules      map[string]float64
}

// Rule returns the violations of one rule, by its id
// ("admitted-after-wait"); expressions call it rate_limit.rule(id).
func (r RateLimit) Rule(id string) (float64, error) {
	n, ok := r.rules[id]
	if !ok {
		return 0, fmt.Errorf("no rate-limit rule %q (rules: %s)", id, ruleNames())
	}
	return n, nil
}

// Probe is what the Retry-After probes read with the run found.
type Probe struct {
	Verdict string  `expr:"verdict"` // "honest", another verdict of the first that did not pass, or "none"
	Passed  bool    `expr:"passed"`  // every probe found the limiter honest (false without a probe)
	Count   float64 `expr:"count"`   // probe reports read
}

// Group is a set of responses that predicates of count(), rate() and
// class() look at: those of one class and one request name. Its fields are
// the names a predicate uses.
type Group struct {
	Status    int    `expr:"status"`    // HTTP status, 0 for a transport failure
	Family    string `expr:"family"`    // "2xx" … "5xx", "" for a transport failure
	Category  string `expr:"category"`  // e.g. "server_error", "rate_limit", "transport"
	Code      string `expr:"code"`      // the API's error code, "" if none
	Kind      string `expr:"kind"`      // transport failure kind, "" when a response arrived
	Request   string `expr:"request"`   // the request's name, "" when unnamed
	Pattern   string `expr:"pattern"`   // the message's fingerprint
	Retryable bool   `expr:"retryable"` // whether clients should retry it
	count     uint64
	class     int // index into Scope.classes
}

// newScope gathers the metrics of a run.
func newScope(run analyze.Run) *Scope {
	s := run.Summary
	if s == nil {
		s = analyze.NewSummary()
	}
	sc := &Scope{
		Requests:     float64(s.Requests),
		Successes:    float64(s.Successes),
		SuccessRatio: s.SuccessRatio(),
		Throughput:   s.Throughput(),
		OfferedRate:  s.Rate(),
		Duration:     s.Duration(),
		Latency:      analyze.LatencyQuantiles(s.Latency),
		Uncorrected:  analyze.LatencyQuantiles(s.Uncorrected),
		SendDelay:    analyze.LatencyQuantiles(s.SendDelay),
		RateLimit:    rateLimitOf(run.Contract),
		Retries:      retriesOf(s),
		Finished:     run.Finished(),
		Interrupted:  run.Interrupted != "",
		Unsent:       float64(run.Unsent),
		Unanswered:   float64(run.Unanswered),
		Probe:        Probe{Verdict: run.ProbeVerdict(), Count: float64(len(run.Probes))},
		what:         "the run",
	}
	sc.Probe.Passed = sc.Probe.Count > 0
	for _, p := range run.Probes {
		sc.Probe.Passed = sc.Probe.Passed && p.Passed()
	}
	for _, st := range s.ClassStats() {
		g := groupOf(st)
		sc.classes = append(sc.classes, st.Latency)
		g.count, g.class = st.Count, len(sc.classes)-1
		sc.groups = append(sc.groups, g)
	}
	sc.groups = splitByRequest(s, sc.groups)
	sc.byName = requestScopes(s, sc)
	return sc
}

// groupOf describes the responses of a class.
func groupOf(st *analyze.ClassStats) Group {
	c := st.Class
	g := Group{Status: int(c.Status), Category: c.Category.String(), Code: c.Code, Kind: c.ErrorKind.String(), Pattern: c.Pattern, Retryable: c.Retryable}
	if c.Status >= 100 && c.Status < 600 {
		g.Family = fmt.Sprintf("%dxx", c.Status/100)
	}
	return g
}

// rateLimitOf counts the contract's violations by severity and rule.
func rateLimitOf(r *contract.Report) RateLimit {
	rl := RateLimit{rules: make(map[string]float64, len(contract.Rules)), Checked: r != nil}
	for _, rule := range contract.Rules {
		rl.rules[rule.Name] = 0
	}
	if r == nil {
		return rl
	}
	for _, rule := range r.Rules {
		rl.rules[rule.Name] = float64(rule.Violations)
		if rule.Severity == contract.SeverityWarning {
			rl.Warnings += float64(rule.Violations)
		} else {
			rl.Errors += float64(rule.Violations)
		}
	}
	rl.Violations = rl.Errors + rl.Warnings
	return rl
}

// ruleNames lists the contract's rule ids, for errors.
func ruleNames() string {
	var out string
	for i, r := range contract.Rules {
		if i > 0 {
			out += ", "
		}
		out += r.Name
	}
	return out
}

// CountOf counts the responses of the scope that predicate i selects;
// expressions call it count(predicate).
func (s *Scope) CountOf(i int) (float64, error) {
	pred, err := s.pred(i)
	if err != nil {
		return 0, err
	}
	var n uint64
	for _, g := range s.groups {
		ok, err := matches(pred, g)
		if err != nil {
			return 0, err
		}
		if ok {
			n += g.count
		}
	}
	return float64(n), nil
}

// RateOf is CountOf as a fraction of the scope's requests (0 without
// any); expressions call it rate(predicate).
func (s *Scope) RateOf(i int) (float64, error) {
	n, err := s.CountOf(i)
	if err != nil || s.Requests == 0 {
		return 0, err
	}
	return n / s.Requests, nil
}

// ClassOf is the scope of the classes predicate i selects: their counts
// and merged latency; expressions call it class(predicate).
func (s *Scope) ClassOf(i int) (*Scope, error) {
	pred, err := s.pred(i)
	if err != nil {
		return nil, err
	}
	if s.classes == nil {
		return nil, fmt.Errorf("class() selects classes of the whole run, not of %s", s.what)
	}
	h := analyze.NewLatencyHistogram()
	out := &Scope{preds: s.preds, what: "the classes selected", Baseline: nil}
	seen := map[int]bool{}
	for _, g := range s.groups {
		ok, err := matches(pred, g)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		out.groups = append(out.groups, g)
		out.Requests += float64(g.count)
		if g.Family == "2xx" || g.Family == "3xx" {
			out.Successes += float64(g.count)
		}
		if !seen[g.class] && g.class < len(s.classes) {
			seen[g.class] = true
			h.Merge(s.classes[g.class])
		}
	}
	if out.Requests > 0 {
		out.SuccessRatio = out.Successes / out.Requests
	}
	out.Latency = analyze.LatencyQuantiles(h)
	return out, nil
}

// Request is the scope of one request name; expressions call it
// request(name). A name the run never sent is an error, not an empty
// scope that would pass any bound.
func (s *Scope) Request(name string) (*Scope, error) {
	r, ok := s.byName[name]
	if !ok {
		return nil, fmt.Errorf("%s has no request named %q", s.what, name)
	}
	r.preds = s.preds
	return r, nil
}

// pred returns predicate i of the expression being run.
func (s *Scope) pred(i int) (*vm.Program, error) {
	if i < 0 || i >= len(s.preds) {
		return nil, fmt.Errorf("internal: no predicate %d", i)
	}
	return s.preds[i], nil
}

// withPredicates returns the scope, and its baseline, set to run an
// expression's predicates.
func (s *Scope) withPredicates(preds []*vm.Program) *Scope {
	c := *s
	c.preds = preds
	if s.Baseline != nil {
		c.Baseline = s.Baseline.withPredicates(preds)
	}
	return &c
}
