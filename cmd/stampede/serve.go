package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/sim"
)

// serveFlags are the flags of `stampede serve`, before interpretation.
type serveFlags struct {
	addr        string
	allowRemote bool
	config      string
	seed        int64
	rateLimit   string
	burst       int
	dailyLimit  int
	retryAfter  string
	lieFactor   int
	latency     string
	errorRates  string
	outages     []string
	stall       string
	capacity    int
	faultHeader bool
}

// serveReadHeaderTimeout bounds the reading of a request's header, and
// serveIdleTimeout how long a keep-alive connection may wait for its next
// request before the server closes it (docs/sim.md); tests shorten it.
const serveReadHeaderTimeout = 10 * time.Second

var serveIdleTimeout = 30 * time.Second

// serveShutdownTimeout is how long requests in flight may take to finish
// once serve is interrupted.
const serveShutdownTimeout = 5 * time.Second

func newServeCmd(e *env) *cobra.Command { return newServeCmdFor(e, &serveFlags{}) }

// newServeCmdFor is newServeCmd with the flags parsed into f.
// serveLong is the help text of stampede serve.
var serveLong = `Serve a simulation of the seed APIs on a local address until interrupted:
a realistic target whose rate limits, errors and faults are under control,
and whose ground truth (what it received and answered) is at /__sim/stats.

APIs (each under its own prefix, in its own error dialect):
  /mira         Mira chat: POST /mira/v1/chat/completions
                Authorization: Bearer KEY; errors {"detail": "..."}
  /mira-verify  Mira Verify: POST /mira-verify/verify/v1/stream
                Authorization: Bearer KEY; errors {"error": "Type", "message": "..."}
  /mimo         MiMo chat: POST /mimo/v1/chat/completions
                Authorization: Bearer KEY; errors {"error": {"code", "message", "type"}}
  /mirra        Mirra REST: /mirra/api/v1/agents, /mirra/api/v1/scripts, ...
                X-API-Key: KEY; errors {"success": false, "error": {"code", "message", "details"}}
                (header X-Mirra-Error-Format: flat for the SDK's flat errors)

Simulator endpoints:
  GET  /__sim/stats   counts per API, key, status, error code, fault and Retry-After sent
  POST /__sim/reset   zero the counts, refill rate limits, restore balances,
                      clear resources and restart the timeline of outages and stalls

Demo keys (send the name as the key):
` + demoKeysTable() + `
Controls (flags, or in a --config YAML file as rate_limit, daily_limit,
retry_after, latency, errors, outages, stall, capacity, globally or per API
under "apis:"; a flag given on the command line overrides the file, for
every API):
  --rate-limit 20/s       one limit for every key (daily limits stay)
  --daily-limit N         requests every key is admitted per UTC day
  --retry-after MODE      Retry-After of 429s: ` + strings.Join(sim.RetryAfterModes, ", ") + `
  --latency DIST          20ms, uniform:10ms,50ms or lognormal:P50,P99
  --error-rate LIST       injected server errors, e.g. 500=1%,503=0.5%
  --outage START+FOR      503 with Retry-After for a while, e.g. 10s+5s (repeatable)
  --stall FOR/EVERY       hold every request, e.g. 2s/30s
  --capacity N            concurrent requests per API before 503 (mimo: 64)
With --fault-header, a request header ` + sim.FaultHeader + `: 500, 502, 503 or 504 forces
that error, in the dialect of the API called. See docs/sim.md.`

// serveExample are the examples of stampede serve's help.
const serveExample = `  # serve on 127.0.0.1:8080
  stampede serve

  # then, in another terminal
  curl -s http://127.0.0.1:8080/mira/v1/chat/completions \
    -H 'Authorization: Bearer demo-full' -H 'Content-Type: application/json' \
    -d '{"model":"mira","messages":[{"role":"user","content":"Hello"}]}'
  curl -s http://127.0.0.1:8080/__sim/stats

  # one limit of 20 requests per second for every key, a limiter that lies
  stampede serve --rate-limit 20/s --retry-after lying

  # slow and flaky: lognormal latency, 2% errors, an outage after 30 s
  stampede serve --latency lognormal:20ms,300ms --error-rate 500=1%,503=1% --outage 30s+10s

  # everything from a file (see examples/sim.yaml)
  stampede serve --config examples/sim.yaml`

func newServeCmdFor(e *env, f *serveFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "serve",
		Short:   "Serve a simulation of the seed APIs, a target with known behaviour",
		Long:    serveLong,
		Example: serveExample,
		Args:    noArgs("give options as flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), e, cmd.Flags(), f)
		},
	}
	f.register(cmd.Flags())
	return cmd
}

// register adds the flags of stampede serve.
func (f *serveFlags) register(fl *pflag.FlagSet) {
	fl.SortFlags = false
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "`address` to listen on, host:port (port 0: any free port)")
	fl.BoolVar(&f.allowRemote, "allow-remote", false, "allow an --addr that is not a loopback address")
	fl.StringVar(&f.config, "config", "", "YAML `file` of the simulation's configuration (see docs/sim.md)")
	fl.Int64Var(&f.seed, "seed", 1, "`seed` of the simulation's randomness: one seed, one behaviour")
	fl.StringVar(&f.rateLimit, "rate-limit", "", "one `rate` limit for every key and API, e.g. 20/s (default each plan's)")
	fl.IntVar(&f.burst, "burst", 0, "requests admitted at once under --rate-limit (default one second's worth)")
	fl.IntVar(&f.dailyLimit, "daily-limit", 0, "requests every key is admitted per UTC day (default each plan's)")
	fl.StringVar(&f.retryAfter, "retry-after", sim.RetryAfterHonest, "Retry-After `behaviour` of 429 answers: "+strings.Join(sim.RetryAfterModes, ", "))
	fl.IntVar(&f.lieFactor, "lie-factor", sim.DefaultLieFactor, "with --retry-after lying: how many times longer than advertised the limiter rejects")
	fl.StringVar(&f.latency, "latency", "", "latency `distribution` added to every answer: 20ms, uniform:MIN,MAX, lognormal:P50,P99")
	fl.StringVar(&f.errorRates, "error-rate", "", "injected server errors, a `list` such as 500=1%,503=0.5% (statuses 500, 502, 503, 504)")
	fl.StringArrayVar(&f.outages, "outage", nil, "`window` START+FOR of 503 answers with Retry-After, e.g. 10s+5s (repeatable)")
	fl.StringVar(&f.stall, "stall", "", "hold every request FOR every EVERY, e.g. 2s/30s (`FOR/EVERY`)")
	fl.IntVar(&f.capacity, "capacity", 0, "concurrent requests per API before 503 (default mimo 64, others unlimited)")
	fl.BoolVar(&f.faultHeader, "fault-header", false, "honour the "+sim.FaultHeader+" request header (500, 502, 503, 504)")
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

func runServe(ctx context.Context, e *env, fl *pflag.FlagSet, f *serveFlags) error {
	cfg, err := serveConfig(fl, f)
	if err != nil {
		return err
	}
	if err := checkLoopback(f.addr, f.allowRemote); err != nil {
		return err
	}
	s, err := sim.New(cfg)
	if err != nil { // serveConfig validated cfg: cannot happen
		return usageErrorf("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}

	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return runtimeError(fmt.Errorf("--addr %s: %w", f.addr, err))
	}
	srv, answered := newServeServer(s)
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
	n, api := answered.Load(), s.Stats().Requests
	fmt.Fprintf(e.stderr, "stampede serve: stopped after %d requests (%d to the APIs, %d to /__sim/ or unrouted)\n", n, api, max(n-api, 0))

	var cause signalCause
	if errors.As(context.Cause(ctx), &cause) {
		return &exitError{code: cause.exitCode(), err: cause}
	}
	return nil
}

// newServeServer returns the HTTP server of stampede serve for h, with its
// timeouts, and the count of the requests it has answered: every one,
// to an API, to /__sim/ or to no route.
func newServeServer(h http.Handler) (*http.Server, *atomic.Int64) {
	var n atomic.Int64
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer n.Add(1)
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: counted, ReadHeaderTimeout: serveReadHeaderTimeout, IdleTimeout: serveIdleTimeout}
	return srv, &n
}

// serveConfig builds the simulation's configuration: the --config file, if
// any, then every flag given on the command line over it (and the flags'
// defaults where there is no file).
func serveConfig(fl *pflag.FlagSet, f *serveFlags) (sim.Config, error) {
	var cfg sim.Config
	if f.config != "" {
		c, err := sim.ReadConfig(f.config) // validated below, with the flags applied
		if err != nil {
			return cfg, usageErrorf("--config %s: %s", f.config, strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		cfg = c
	}
	var errs []string
	for _, c := range serveControls {
		given := fl.Changed(c.flag)
		if !given && !(c.byDefault && f.config == "") {
			continue
		}
		for _, err := range unjoin(c.apply(f, &cfg)) {
			errs = append(errs, "--"+c.flag+": "+err.Error())
		}
		if given && c.clear != nil { // a flag applies to every API, over the file's own
			for name, api := range cfg.APIs {
				c.clear(&api)
				cfg.APIs[name] = api
			}
		}
	}
	if len(errs) > 0 {
		return cfg, usageErrorf("%s", strings.Join(errs, "; "))
	}
	if problems := cfg.Validate(); len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, err := range problems {
			msgs[i] = configProblem(err, f.config)
		}
		return cfg, usageErrorf("%s", strings.Join(msgs, "; "))
	}
	return cfg, nil
}

// unjoin lists the errors errors.Join joined, the one err is, or none.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err != nil {
		return []error{err}
	}
	return nil
}

// serveControl is a flag of serve that sets a field of the simulation's
// configuration.
type serveControl struct {
	flag, key string // the flag, and the YAML key of the field it sets
	// byDefault applies the flag's default when there is no --config file.
	byDefault bool
	apply     func(f *serveFlags, cfg *sim.Config) error
	// clear drops an API's own value of the control, so that the flag, given
	// on the command line, applies to every API; nil for a global setting.
	clear func(*sim.Controls)
}

// serveControls are serve's flags over the configuration, in the order
// they apply.
var serveControls = []serveControl{
	{flag: "seed", key: "seed", byDefault: true, apply: func(f *serveFlags, cfg *sim.Config) error { cfg.Seed = f.seed; return nil }},
	{flag: "rate-limit", key: "rate_limit", apply: func(f *serveFlags, cfg *sim.Config) error {
		r, err := pace.ParseRate(f.rateLimit)
		cfg.RateLimit = sim.Rate(r)
		return err
	}, clear: func(c *sim.Controls) { c.RateLimit, c.Burst = 0, 0 }},
	{flag: "burst", key: "burst", apply: func(f *serveFlags, cfg *sim.Config) error { cfg.Burst = f.burst; return nil }},
	{flag: "daily-limit", key: "daily_limit", apply: func(f *serveFlags, cfg *sim.Config) error { cfg.DailyLimit = f.dailyLimit; return nil },
		clear: func(c *sim.Controls) { c.DailyLimit = 0 }},
	{flag: "retry-after", key: "retry_after", byDefault: true, apply: func(f *serveFlags, cfg *sim.Config) error { cfg.RetryAfter = f.retryAfter; return nil },
		clear: func(c *sim.Controls) { c.RetryAfter = "" }},
	{flag: "lie-factor", key: "lie_factor", apply: func(f *serveFlags, cfg *sim.Config) error { cfg.LieFactor = f.lieFactor; return nil },
		clear: func(c *sim.Controls) { c.LieFactor = 0 }},
	{flag: "latency", key: "latency", apply: func(f *serveFlags, cfg *sim.Config) (err error) {
		cfg.Latency, err = sim.ParseLatency(f.latency)
		return err
	}, clear: func(c *sim.Controls) { c.Latency = sim.Latency{} }},
	{flag: "error-rate", key: "errors", apply: func(f *serveFlags, cfg *sim.Config) (err error) {
		cfg.Errors, err = sim.ParseErrorRates(f.errorRates)
		return err
	}, clear: func(c *sim.Controls) { c.Errors = nil }},
	{flag: "outage", key: "outages", apply: func(f *serveFlags, cfg *sim.Config) error {
		cfg.Outages = nil
		var errs []error
		for _, o := range f.outages {
			w, err := sim.ParseWindow(o)
			errs = append(errs, err)
			cfg.Outages = append(cfg.Outages, w)
		}
		return errors.Join(errs...)
	}, clear: func(c *sim.Controls) { c.Outages = nil }},
	{flag: "stall", key: "stall", apply: func(f *serveFlags, cfg *sim.Config) (err error) {
		cfg.Stall, err = sim.ParseStall(f.stall)
		return err
	}, clear: func(c *sim.Controls) { c.Stall = sim.Stall{} }},
	{flag: "capacity", key: "capacity", apply: func(f *serveFlags, cfg *sim.Config) error { cfg.Capacity = f.capacity; return nil },
		clear: func(c *sim.Controls) { c.Capacity = 0 }},
	{flag: "fault-header", key: "allow_fault_header", apply: func(f *serveFlags, cfg *sim.Config) error {
		cfg.AllowFaultHeader = f.faultHeader
		return nil
	}},
}

// configProblem names where a problem of the configuration comes from: the
// flag that sets the field ("--rate-limit 5: …", and the file too when
// there is one) or, for fields only a file sets, the file ("sim.yaml:
// keys[0].plan …").
func configProblem(err error, file string) string {
	fe := field.As(err)
	if fe == nil {
		return err.Error()
	}
	key, _, _ := strings.Cut(fe.Field, "[") // outages[2] is set by --outage
	for _, c := range serveControls {
		if c.key == key {
			flag := "--" + field.Renamed(fe, c.flag).Error()
			if file != "" {
				return file + " or " + flag
			}
			return flag
		}
	}
	return file + ": " + fe.Error() // apis.…, keys[…]: only a file sets them
}

// checkLoopback refuses to listen beyond this machine unless allowed: the
// simulation answers anyone, and its demo keys are public.
func checkLoopback(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usageErrorf("--addr %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if err := checkPort(addr, port); err != nil {
		return err
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
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		what = "listens on every interface"
	}
	return usageErrorf("--addr %s: %s; the simulation answers anyone and its demo keys are public, so it listens on 127.0.0.1 unless --allow-remote is given", addr, what)
}

// checkPort refuses a port that is not a number from 0 to 65535 (empty
// is 0, any free port), as a usage error: the listener would only fail.
func checkPort(addr, port string) error {
	_, err := strconv.ParseUint(port, 10, 16)
	switch {
	case err == nil || port == "":
		return nil
	case errors.Is(err, strconv.ErrRange):
		return usageErrorf("--addr %q: port %s: want 0 to 65535 (0: any free port), e.g. 127.0.0.1:8080", addr, port)
	}
	return usageErrorf("--addr %q: port %q: want 0 to 65535 (0: any free port), e.g. 127.0.0.1:8080", addr, port)
}
