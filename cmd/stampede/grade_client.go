package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stampede-dev/stampede/gradeclient"
	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/reports"
)

// gradeClientFlags are the flags of `stampede grade-client`.
type gradeClientFlags struct {
	scenario string
	runs     int
	timeout  time.Duration
	format   string
	output   string
	proxy    string
	list     bool
	quiet    bool
}

// gradeClientLong is the help text of stampede grade-client.
const gradeClientLong = `Grade an HTTP client's retry behaviour. For each scenario (and each of
--runs runs) stampede starts a scripted fault server on 127.0.0.1, puts its
URL where {url} stands in the command, runs the client (killed with its
process group after --timeout, or beyond 20 attempts), records when every
attempt arrives, and grades each rule:

  mandatory (a failure exits 1)
    waits-retry-after-seconds     waits at least Retry-After: N (50 ms tolerance)
    waits-retry-after-date        waits until the second an HTTP-date names begins
    no-retry-non-retryable        does not retry 400, 401, 403, 404
    bounded-attempts              gives up on its own when the server never recovers
    succeeds-once-recovered       gets the 200 once the server recovers, and exits 0
  advisory (a warning)
    backoff-grows                 each wait longer than the one before, without Retry-After
    jitter-across-runs            waits differ across runs (needs --runs 3 or more)
    invalid-retry-after-fallback  backs off on Retry-After: soon (no crash, no retry at once)

Waits are measured from the end of an answer to the next attempt's arrival.
--scenario is a built-in scenario (see --list), all (the default), or a
YAML file of steps (status, retry-after, headers, body, delay; see
docs/grade-client.md). With --proxy UPSTREAM, the server is a reverse proxy
in front of UPSTREAM: the script's faults are answered by it, and requests
after a recovery go to the upstream.

Exit codes: 0 every mandatory rule held (advisory warnings allowed), 1 a
mandatory rule failed, 2 usage error (no {url}, no command, a command that
is not found, a bad scenario file), 3 the grader itself failed.`

const gradeClientExample = `  # curl honours Retry-After (both forms) with --retry
  stampede grade-client -- curl --retry 3 {url}

  # one scenario, three runs to see jitter, as JSON
  stampede grade-client --scenario backoff-no-retry-after --runs 3 --format json -- python3 client.py {url}

  # a scenario of your own; a JUnit report for CI
  stampede grade-client --scenario flaky.yaml --format junit -o grade.xml -- node client.mjs --base {url}

  # a client bound to a real API: faults injected in front of it
  stampede grade-client --proxy https://api.example.com -- ./client --endpoint {url}/v1/items`

func newGradeClientCmd(e *env) *cobra.Command {
	f := &gradeClientFlags{}
	cmd := &cobra.Command{
		Use:     "grade-client [flags] -- COMMAND ARGS... {url}",
		Short:   "Grade an HTTP client's retries against scripted faults",
		Long:    gradeClientLong,
		Example: gradeClientExample,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGradeClient(cmd.Context(), e, f, args, cmd.ArgsLenAtDash())
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.scenario, "scenario", gradeclient.All, "built-in scenario `name` (see --list), all, or a YAML file")
	fl.IntVar(&f.runs, "runs", 1, "runs of each scenario (jitter needs 3 or more)")
	fl.DurationVar(&f.timeout, "timeout", gradeclient.DefaultTimeout, "bound on each run of the client; it is killed with its process group after")
	fl.StringVarP(&f.format, "format", "f", "text", formatUsage+": "+strings.Join(gradeclient.Formats, ", "))
	fl.StringVarP(&f.output, "output", "o", "-", reportOutputUsage)
	fl.StringVar(&f.proxy, "proxy", "", "reverse proxy in front of `UPSTREAM` (a URL), injecting the faults")
	fl.BoolVar(&f.list, "list", false, "list the built-in scenarios and exit")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress lines on stderr")
	return cmd
}

func runGradeClient(ctx context.Context, e *env, f *gradeClientFlags, args []string, dash int) error {
	if f.list {
		return listScenarios(e)
	}
	opts, err := gradeClientOptions(f, args, dash)
	if err != nil {
		return err
	}
	if !f.quiet {
		opts.Progress = func(line string) { fmt.Fprintf(e.stderr, "grade-client: %s\n", oneLine(line)) }
	}
	res, err := gradeclient.Run(ctx, opts)
	if err != nil {
		return runtimeError(fmt.Errorf("grade-client: %w", err))
	}
	err = writeOutput(e, "--output", f.output, func(w io.Writer) error {
		if err := gradeclient.Write(w, f.format, res); err != nil {
			return runtimeError(fmt.Errorf("write report: %w", err))
		}
		return nil
	})
	if err != nil {
		return err
	}
	var cause signalCause
	if res.Interrupted && errors.As(context.Cause(ctx), &cause) {
		return &exitError{code: cause.exitCode(), err: cause}
	}
	if failed := res.Failed(); len(failed) > 0 {
		names := make([]string, len(failed))
		for i, id := range failed {
			names[i] = string(id)
		}
		return &exitError{code: exitThreshold, err: fmt.Errorf("grade-client: the client broke mandatory rules: %s", strings.Join(names, ", "))}
	}
	return nil
}

// gradeClientOptions turns the flags and the command after -- into the
// grader's options; every problem is a usage error naming its flag.
func gradeClientOptions(f *gradeClientFlags, args []string, dash int) (gradeclient.Options, error) {
	var o gradeclient.Options
	if !slices.Contains(gradeclient.Formats, f.format) {
		return o, usageErrorf("--format %q: want one of %s", f.format, strings.Join(gradeclient.Formats, ", "))
	}
	if f.runs < 1 {
		return o, usageErrorf("--runs %d: want 1 or more (3 or more to judge jitter)", f.runs)
	}
	if f.timeout <= 0 {
		return o, usageErrorf("--timeout %s: want a duration above 0, e.g. 30s", f.timeout)
	}
	if dash > 0 {
		return o, usageErrorf("unexpected %q before --: put the client's command after --, e.g. stampede grade-client -- curl --retry 3 {url}", args[0])
	}
	if err := gradeclient.CheckCommand(args); err != nil {
		return o, clientCommandError(err)
	}
	scenarios, err := loadScenarios(f.scenario)
	if err != nil {
		return o, err
	}
	o = gradeclient.Options{Command: args, Scenarios: scenarios, Runs: f.runs, Timeout: f.timeout}
	if f.proxy != "" {
		u, err := url.Parse(f.proxy)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
			return o, usageErrorf("--proxy %q: want the upstream's URL, e.g. --proxy https://api.example.com", f.proxy)
		}
		o.Upstream = u
	}
	return o, nil
}

// clientCommandError is the usage error of a bad client command.
func clientCommandError(err error) error {
	var nf *gradeclient.CommandNotFoundError
	switch {
	case errors.Is(err, gradeclient.ErrNoPlaceholder):
		return usageErrorf("the client's command has no {url}: put {url} where it takes the URL, e.g. stampede grade-client -- curl --retry 3 {url}")
	case errors.As(err, &nf):
		return usageErrorf("the client's command %q was not found (%v): give a program on PATH or a path to it after --", nf.Name, nf.Err)
	}
	return usageErrorf("no client command: give it after --, e.g. stampede grade-client -- curl --retry 3 {url}")
}

// loadScenarios reads --scenario: a built-in name, all, or a file.
func loadScenarios(name string) ([]gradeclient.Scenario, error) {
	if s, ok := gradeclient.Lookup(name); ok {
		return s, nil
	}
	if _, err := os.Stat(name); err != nil && !strings.ContainsAny(name, "/.") {
		return nil, usageErrorf("--scenario %q: no such built-in scenario or file; want one of %s, or a YAML file", name, strings.Join(gradeclient.BuiltinNames(), ", "))
	}
	s, err := gradeclient.LoadFile(name)
	if err != nil {
		var msgs []string
		for _, e := range unjoin(err) {
			if fe := field.As(e); fe != nil && fe.Line == 0 {
				msgs = append(msgs, "--scenario "+fe.Error())
				continue
			}
			msgs = append(msgs, e.Error())
		}
		return nil, usageErrorf("%s", strings.Join(msgs, "; "))
	}
	return []gradeclient.Scenario{s}, nil
}

// listScenarios prints the built-in scenarios.
func listScenarios(e *env) error {
	var rows [][]string
	for _, s := range gradeclient.Builtin() {
		rules := make([]string, len(s.Rules))
		for i, r := range s.Rules {
			rules[i] = string(r)
		}
		rows = append(rows, []string{s.Name, s.Describe(), strings.Join(rules, ", ")})
	}
	rows = append(rows, []string{gradeclient.All, "every scenario above, in order (the default)", "every rule"})
	if err := reports.Table(e.stdout, []string{"Scenario", "Script", "Rules"}, rows); err != nil {
		return runtimeError(fmt.Errorf("write: %w", err))
	}
	return nil
}
