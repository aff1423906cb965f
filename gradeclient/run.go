package gradeclient

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout bounds one run of the client: long enough for a client
// that honours the built-in scenarios' waits and gives up after a few
// 1 s retries, or backs off 1, 2, 4, 8 s; short enough that a client that
// never gives up costs half a minute.
const DefaultTimeout = 30 * time.Second

// Options are what Run grades and how.
type Options struct {
	// Command is the client's command line; Placeholder in any argument
	// becomes the server's URL.
	Command []string
	// Scenarios run in order, each Runs times, each run with a fresh
	// server.
	Scenarios []Scenario
	Runs      int
	// Timeout bounds each run of the client (DefaultTimeout if 0).
	Timeout time.Duration
	// Upstream, when set, makes each server a reverse proxy in front of
	// it, injecting the script's faults.
	Upstream *url.URL
	// Env is added to the client's environment.
	Env []string
	// Progress, when set, receives a line as each run ends.
	Progress func(line string)
}

// Validate lists every problem with the options.
func (o Options) Validate() []error {
	var errs []error
	if len(o.Command) == 0 {
		errs = append(errs, errors.New("no client command"))
	} else if !HasPlaceholder(o.Command) {
		errs = append(errs, ErrNoPlaceholder)
	}
	if len(o.Scenarios) == 0 {
		errs = append(errs, errors.New("no scenario"))
	}
	if o.Runs < 1 {
		errs = append(errs, fmt.Errorf("runs %d: want 1 or more", o.Runs))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s: want more than 0", o.Timeout))
	}
	if o.Upstream != nil && (o.Upstream.Scheme != "http" && o.Upstream.Scheme != "https" || o.Upstream.Host == "") {
		errs = append(errs, fmt.Errorf("upstream %q: want an http:// or https:// URL with a host", o.Upstream.String()))
	}
	return errs
}

// ScenarioResult is a scenario's runs and verdicts.
type ScenarioResult struct {
	Scenario Scenario
	Runs     []Exchange
	Verdicts []Verdict
}

// Result is the grade of a client.
type Result struct {
	Command   []string
	Runs      int
	Timeout   time.Duration
	Upstream  string
	Scenarios []ScenarioResult
	// Interrupted is set when ctx ended before every run was made.
	Interrupted bool
	Elapsed     time.Duration
}

// Run grades the client: each scenario, Runs times, a fresh server on
// 127.0.0.1 for each run, the client run against it until it exits or is
// stopped, then the rules judged. It returns what was graded so far with
// an error when a server cannot start or the client cannot be started.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	res := Result{Command: o.Command, Runs: o.Runs, Timeout: o.Timeout}
	if o.Upstream != nil {
		res.Upstream = o.Upstream.String()
	}
	begin := time.Now()
	defer func() { res.Elapsed = time.Since(begin) }()
	for _, sc := range o.Scenarios {
		sr := ScenarioResult{Scenario: sc}
		for run := 1; run <= o.Runs && ctx.Err() == nil; run++ {
			ex, err := runOnce(ctx, o, sc)
			if err != nil {
				res.Elapsed = time.Since(begin)
				return res, err
			}
			sr.Runs = append(sr.Runs, ex)
			if o.Progress != nil {
				o.Progress(progressLine(sc, run, o.Runs, ex))
			}
		}
		if ctx.Err() != nil {
			res.Interrupted = true
		}
		if len(sr.Runs) > 0 {
			sr.Verdicts = Grade(sc, sr.Runs)
			res.Scenarios = append(res.Scenarios, sr)
		}
		if res.Interrupted {
			break
		}
	}
	res.Elapsed = time.Since(begin)
	return res, nil
}

// runOnce runs the client once against a fresh server of the scenario.
func runOnce(ctx context.Context, o Options, sc Scenario) (Exchange, error) {
	srv, err := start(ctx, NewServer(sc, o.Upstream))
	if err != nil {
		return Exchange{}, err
	}
	client, err := runClient(ctx, Expand(o.Command, srv.url), o.Env, o.Timeout, srv.Over())
	srv.close()
	if err != nil {
		return Exchange{}, err
	}
	return Exchange{Attempts: srv.Attempts(), Client: client}, nil
}

// progressLine says how a run went: "retry-after-seconds run 1/1: 2 attempts (429 200), exit 0, 3.1 s".
func progressLine(sc Scenario, run, runs int, ex Exchange) string {
	codes := make([]string, 0, len(ex.Attempts))
	for _, a := range ex.Attempts {
		codes = append(codes, fmt.Sprint(a.Status))
	}
	return fmt.Sprintf("%s run %d/%d: %s (%s), %s, %s", sc.Name, run, runs, attemptsText(len(ex.Attempts)),
		strings.Join(codes, " "), endText(ex.Client), Seconds(ex.Client.Elapsed))
}

// RuleSummary is a rule's verdict over every scenario that grades it:
// the worst of theirs.
type RuleSummary struct {
	Rule      RuleID  `json:"rule"`
	Title     string  `json:"title"`
	Mandatory bool    `json:"mandatory"`
	Outcome   Outcome `json:"outcome"`
	// Scenarios names the scenarios that graded it.
	Scenarios []string `json:"scenarios"`
}

// Summary is each rule's verdict over the scenarios, in the order of
// Rules; a rule no scenario graded is left out.
func (r Result) Summary() []RuleSummary {
	var out []RuleSummary
	for _, rule := range Rules {
		s := RuleSummary{Rule: rule.ID, Title: rule.Title, Mandatory: rule.Mandatory}
		for _, sr := range r.Scenarios {
			for _, v := range sr.Verdicts {
				if v.Rule != rule.ID {
					continue
				}
				if len(s.Scenarios) == 0 {
					s.Outcome = v.Outcome
				}
				s.Outcome = Worse(s.Outcome, v.Outcome)
				s.Scenarios = append(s.Scenarios, sr.Scenario.Name)
			}
		}
		if len(s.Scenarios) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Failed lists the mandatory rules that failed.
func (r Result) Failed() []RuleID { return r.rulesWith(Fail) }

// Warned lists the advisory rules that warned.
func (r Result) Warned() []RuleID { return r.rulesWith(Warn) }

// rulesWith lists the rules whose summary has outcome o.
func (r Result) rulesWith(o Outcome) []RuleID {
	var out []RuleID
	for _, s := range r.Summary() {
		if s.Outcome == o {
			out = append(out, s.Rule)
		}
	}
	return out
}
