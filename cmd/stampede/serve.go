package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/sim"
)

// serveFlags are the flags of `stampede serve`, before interpretation.
type serveFlags struct {
	addr        string
	allowRemote bool
	seed        int64
	rateLimit   string
	burst       int
	retryAfter  string
	faultHeader bool
}

// serveShutdownTimeout is how long requests in flight may take to finish
// once serve is interrupted.
const serveShutdownTimeout = 5 * time.Second

func newServeCmd(e *env) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a simulation of the seed APIs, a target with known behaviour",
		Long: `Serve a simulation of the seed APIs on a local address until interrupted:
a realistic target whose rate limits, errors and faults are under control,
and whose ground truth (what it received and answered) is at /__sim/stats.

APIs (each under its own prefix, in its own error dialect):
  /mira   Mira chat API: POST /mira/v1/chat/completions, Authorization: Bearer KEY

Simulator endpoints:
  GET  /__sim/stats   counts per API, key, status, error code and Retry-After sent
  POST /__sim/reset   zero the counts, refill rate limits, restore balances

Demo keys (send the name as the key):
` + demoKeysTable() + `
--rate-limit replaces every plan's per-second limit (daily limits stay).
With --fault-header, a request header ` + sim.FaultHeader + `: 500 or 503 forces that
error, in the dialect of the API called.`,
		Example: `  # serve on 127.0.0.1:8080
  stampede serve

  # then, in another terminal
  curl -s http://127.0.0.1:8080/mira/v1/chat/completions \
    -H 'Authorization: Bearer demo-full' -H 'Content-Type: application/json' \
    -d '{"model":"mira","messages":[{"role":"user","content":"Hello"}]}'
  curl -s http://127.0.0.1:8080/__sim/stats

  # one limit of 20 requests per second for every key, faults on demand
  stampede serve --addr 127.0.0.1:0 --rate-limit 20/s --fault-header`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("serve takes no arguments, got %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), e, f)
		},
	}
	fl := cmd.Flags()
	fl.SortFlags = false
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "`address` to listen on, host:port (port 0: any free port)")
	fl.BoolVar(&f.allowRemote, "allow-remote", false, "allow an --addr that is not a loopback address")
	fl.Int64Var(&f.seed, "seed", 1, "`seed` of the simulation's randomness: one seed, one behaviour")
	fl.StringVar(&f.rateLimit, "rate-limit", "", "one `rate` limit for every key and API, e.g. 20/s (default: each plan's)")
	fl.IntVar(&f.burst, "burst", 0, "requests admitted at once under --rate-limit (default: one second's worth)")
	fl.StringVar(&f.retryAfter, "retry-after", sim.RetryAfterHonest, "Retry-After `behaviour` of 429 answers: "+strings.Join(sim.RetryAfterModes, ", "))
	fl.BoolVar(&f.faultHeader, "fault-header", false, "honour the "+sim.FaultHeader+" request header (500 or 503)")
	return cmd
}

// demoKeysTable lists sim.DemoKeys, indented, for the help text.
func demoKeysTable() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, k := range sim.DemoKeys {
		fmt.Fprintf(tw, "  %s\t%s\n", k.Name, k.Description)
	}
	tw.Flush()
	return b.String()
}

func runServe(ctx context.Context, e *env, f *serveFlags) error {
	cfg := sim.Config{Seed: f.seed, Controls: sim.Controls{Burst: f.burst, RetryAfter: f.retryAfter}, AllowFaultHeader: f.faultHeader}
	if f.rateLimit != "" {
		r, err := pace.ParseRate(f.rateLimit)
		if err != nil {
			return usageErrorf("--rate-limit: %v", err)
		}
		cfg.RateLimit = sim.Rate(r)
	}
	if errs := cfg.Validate(); len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, err := range errs {
			msgs[i] = "--" + flagName(err.Error())
		}
		return usageErrorf("%s", strings.Join(msgs, "; "))
	}
	if err := checkLoopback(f.addr, f.allowRemote); err != nil {
		return err
	}
	s, err := sim.New(cfg)
	if err != nil {
		return usageErrorf("%v", err) // Validate passed: cannot happen
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return runtimeError(fmt.Errorf("--addr %s: %w", f.addr, err))
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(e.stderr, "stampede serve: listening on http://%s (APIs: %s; stats: /__sim/stats)\n",
		ln.Addr(), strings.Join(s.Prefixes(), ", "))

	select {
	case err := <-served: // Serve returns only on failure before Shutdown
		return runtimeError(fmt.Errorf("serve: %w", err))
	case <-ctx.Done():
	}

	// Let requests in flight finish, unless a second interrupt (e.abort)
	// or the timeout says to stop waiting.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), serveShutdownTimeout)
	defer cancel()
	if e.abort != nil {
		stop := context.AfterFunc(e.abort, cancel)
		defer stop()
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	st := s.Stats()
	fmt.Fprintf(e.stderr, "stampede serve: stopped after %d requests\n", st.Requests)

	var cause signalCause
	if errors.As(context.Cause(ctx), &cause) {
		return &exitError{code: cause.exitCode(), err: cause}
	}
	return nil
}

// flagName turns a sim.Config problem ("rate_limit 5: …") into one about
// the flag that set the field ("rate-limit 5: …").
func flagName(msg string) string {
	field, rest, _ := strings.Cut(msg, " ")
	return strings.ReplaceAll(field, "_", "-") + " " + rest
}

// checkLoopback refuses to listen beyond this machine unless allowed: the
// simulation answers anyone, and its demo keys are public.
func checkLoopback(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("--addr %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	what := "not a loopback address"
	if host == "" {
		what = "listens on every interface"
	}
	return usageErrorf("--addr %s: %s; the simulation answers anyone and its demo keys are public, so it listens on 127.0.0.1 unless --allow-remote is given", addr, what)
}
