// Command benchcompare measures stampede against the vegeta CLI of the
// version go.mod pins, on this machine, against a local target
// (scripts/benchtarget on 127.0.0.1), and prints the medians and the
// ratio stampede/vegeta of each comparison beside its goal (issue 16;
// docs/performance.md). It is what `make bench-compare` runs.
//
// Both tools run as subprocesses, alternately (stampede then vegeta in
// odd pairs, vegeta then stampede in even ones); the CPU and peak RSS of
// each come from /usr/bin/time, the rates and latencies from its JSON report.
// Every subprocess has a timeout. Knobs, from the environment or flags:
//
//	PAIRS=2     alternating pairs per comparison (-pairs)
//	QUICK=1     a short smoke run: shorter runs, a 100,000-record file (-quick)
//	ONLY=a,d    only these comparisons, of a b c d e f (-only)
//	OUT=dir     where the table, the raw runs (bench-compare.tsv) and the
//	            logs go (-out; default bench-out)
//	KEEP=1      keep the result files of the runs (-keep)
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/stampede-dev/stampede/reports"
)

// config is what one run of the comparison does.
type config struct {
	pairs   int
	quick   bool
	only    map[string]bool // comparisons to run (a..f); all when empty
	out     string
	keep    bool
	workers int // (a): workers of the closed model

	aDur         time.Duration // (a) run length
	bRate        int           // (b) rate; its runs are (d)'s at that rate
	cRate        int           // (c) rate
	cShort       time.Duration // (c) the short run
	cLong        time.Duration // (c) the long run
	dRates       []int         // (d) offered rates
	dDur         time.Duration // (d) run length
	eRecords     int           // (e) records of the report files
	eBase        int           // (e) records of the attack they repeat
	eRate        int           // (e) rate of that attack
	fRate        int           // (f) rate
	fDur         time.Duration // (f) run length, a whole number of periods
	fStall       time.Duration // (f) stall window
	fEvery       time.Duration // (f) stall period
	rssGrowthMax float64       // (c) flat: RSS long/short at most this
}

func defaultConfig(quick bool) config {
	c := config{
		pairs: 2, quick: quick, out: "bench-out", workers: 64,
		aDur:  10 * time.Second,
		bRate: 5000,
		cRate: 2000, cShort: 10 * time.Second, cLong: 40 * time.Second,
		dRates: []int{5000, 10000, 20000}, dDur: 10 * time.Second,
		eRecords: 1_000_000, eBase: 50_000, eRate: 5000,
		fRate: 1000, fDur: 30 * time.Second, fStall: time.Second, fEvery: 10 * time.Second,
		rssGrowthMax: 1.10,
	}
	if quick {
		c.aDur, c.dDur = 3*time.Second, 3*time.Second
		c.cShort, c.cLong = 3*time.Second, 6*time.Second
		c.eRecords, c.eBase = 100_000, 25_000
		c.fDur, c.fStall, c.fEvery = 6*time.Second, 300*time.Millisecond, 3*time.Second
	}
	return c
}

func (c config) want(cmp string) bool { return len(c.only) == 0 || c.only[cmp] }

// sample is one run of one tool.
type sample struct {
	Cmp       string  // comparison key, e.g. "d10000"
	Tool      string  // stampede or vegeta
	Pair      int     // 1..pairs
	Pos       int     // 1 or 2: its place in the pair
	Wall      float64 // seconds
	CPU       float64 // user + system seconds
	RSSKiB    int64   // peak resident set
	Requests  int64
	Successes int64
	Achieved  float64 // successes per second
	P99ms     float64
	ServerP99 float64 // (f): the p99 of the answer times the server logged, ms
	FileBytes int64
	Records   int64
	Exit      int
	Err       string
}

func (s sample) tsv() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return strings.Join([]string{s.Cmp, s.Tool, strconv.Itoa(s.Pair), strconv.Itoa(s.Pos),
		f(round(s.Wall, 4)), f(round(s.CPU, 4)), strconv.FormatInt(s.RSSKiB, 10),
		strconv.FormatInt(s.Requests, 10), strconv.FormatInt(s.Successes, 10), f(round(s.Achieved, 2)),
		f(round(s.P99ms, 3)), f(round(s.ServerP99, 3)), strconv.FormatInt(s.FileBytes, 10),
		strconv.FormatInt(s.Records, 10), strconv.Itoa(s.Exit), s.Err}, "\t")
}

const tsvHeader = "cmp\ttool\tpair\tpos\twall_s\tcpu_s\tmaxrss_kib\trequests\tsuccesses\tachieved_per_s\tp99_ms\tserver_p99_ms\tfile_bytes\trecords\texit\terror"

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// median returns the median of the finite values, NaN when there is none.
func median(vs []float64) float64 {
	var xs []float64
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return math.NaN()
	}
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// ratio returns a/b, NaN when either is unknown or b is 0.
func ratio(a, b float64) float64 {
	if math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return math.NaN()
	}
	return a / b
}

// order returns the tools of pair i (from 0) in the order they run: A B,
// then B A, and so on.
func order(i int) [2]string {
	if i%2 == 0 {
		return [2]string{"stampede", "vegeta"}
	}
	return [2]string{"vegeta", "stampede"}
}

// stampedeSummary is stampede's JSON summary (stampede/summary/v1).
type stampedeSummary struct{ reports.JSONSummary }

func parseStampede(b []byte) (stampedeSummary, error) {
	var s stampedeSummary
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("stampede JSON summary: %w", err)
	}
	if !strings.HasPrefix(s.Schema, "stampede/summary/") {
		return s, fmt.Errorf("stampede JSON summary: schema %q", s.Schema)
	}
	return s, nil
}

// achieved returns successes per second of the run, first send to last
// completion.
func (s stampedeSummary) achieved() float64 {
	if s.DurationS <= 0 {
		return math.NaN()
	}
	return float64(s.Successes) / s.DurationS
}

// vegetaReport holds the keys of `vegeta report -type json` read here
// (durations in nanoseconds).
type vegetaReport struct {
	Requests  int64   `json:"requests"`
	Success   float64 `json:"success"` // ratio
	Duration  int64   `json:"duration"`
	Wait      int64   `json:"wait"`
	Latencies struct {
		P99 int64 `json:"99th"`
	} `json:"latencies"`
}

func parseVegeta(b []byte) (vegetaReport, error) {
	var v vegetaReport
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("vegeta JSON report: %w", err)
	}
	return v, nil
}

func (v vegetaReport) successes() int64 { return int64(math.Round(v.Success * float64(v.Requests))) }

// achieved returns successes per second from the first send to the last
// completion (vegeta's duration is the span of the sends, wait the time
// after the last one).
func (v vegetaReport) achieved() float64 {
	d := float64(v.Duration+v.Wait) / 1e9
	if d <= 0 {
		return math.NaN()
	}
	return float64(v.successes()) / d
}

// trueP99 is the stall-inclusive p99 of an open-model load at a constant
// rate over a whole number of periods against benchtarget -stall -every:
// a share stall/every of the requests wait until their window ends, for
// waits spread evenly over (0, stall], so the slowest 1 % waited at least
// stall − 0.01·every (and the p99 is the service time when under 1 % stall).
func trueP99(stall, every time.Duration) time.Duration {
	tail := every / 100
	if stall <= tail {
		return 0
	}
	return stall - tail
}

// usage is what a finished subprocess cost.
type usage struct {
	wall, cpu float64
	rssKiB    int64
	exit      int
}

// timeBin measures the subprocesses when it exists. It forks the tool
// from a small process: the rusage of a process this program starts
// itself would count this program's own RSS in its peak, since Go starts
// children with vfork and Linux carries the peak RSS of the address space
// an exec replaces into the new program's.
const timeBin = "/usr/bin/time"

// run runs name with args, stdout to stdout (a path; "" discards) and
// stderr to errPath, under /usr/bin/time, killed with its process group
// after timeout.
func run(timeout time.Duration, stdout, errPath, name string, args ...string) (usage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	timeFile := ""
	if _, err := os.Stat(timeBin); err == nil {
		f, err := os.CreateTemp("", "benchcompare-time-")
		if err != nil {
			return usage{}, err
		}
		f.Close()
		timeFile = f.Name()
		defer os.Remove(timeFile)
		args = append([]string{"-f", "%e %U %S %M", "-o", timeFile, name}, args...)
		name = timeBin
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	for _, out := range []struct {
		path string
		to   *io.Writer
	}{{stdout, &cmd.Stdout}, {errPath, &cmd.Stderr}} {
		if out.path == "" {
			continue // discarded
		}
		f, err := os.Create(out.path)
		if err != nil {
			return usage{}, err
		}
		defer f.Close()
		*out.to = f
	}
	t0 := time.Now()
	err := cmd.Run()
	u := usage{wall: time.Since(t0).Seconds()}
	if ctx.Err() != nil {
		return u, fmt.Errorf("%s timed out after %v", filepath.Base(name), timeout)
	}
	if cmd.ProcessState == nil {
		return u, err
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return u, err
	}
	u.exit = cmd.ProcessState.ExitCode()
	if timeFile == "" {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
			u.rssKiB = ru.Maxrss // counts this program's RSS too: see timeBin
		}
		return u, nil
	}
	data, err := os.ReadFile(timeFile)
	if err != nil {
		return u, err
	}
	if err := parseTime(data, &u); err != nil {
		return u, err
	}
	return u, nil
}

// parseTime reads the last line of /usr/bin/time -f "%e %U %S %M" (a
// killed child adds a line before it) into u's CPU and peak RSS.
func parseTime(data []byte, u *usage) error {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	f := strings.Fields(lines[len(lines)-1])
	if len(f) != 4 {
		return fmt.Errorf("/usr/bin/time wrote %q", data)
	}
	var v [3]float64
	for i := range v {
		x, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return fmt.Errorf("/usr/bin/time wrote %q", data)
		}
		v[i] = x
	}
	rss, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return fmt.Errorf("/usr/bin/time wrote %q", data)
	}
	u.cpu, u.rssKiB = v[1]+v[2], rss
	return nil
}

// bench holds the state of one comparison run.
type bench struct {
	cfg        config
	stampede   string // binaries
	vegeta     string
	target     string // base URL of the plain target
	targets    string // vegeta targets file of it
	tmp        string // result files
	logs       string // stdout/stderr of every run
	tsv        *os.File
	samples    []sample
	concurrent bool // stampede attack has --concurrency
	seq        int
}

func (b *bench) record(s sample) {
	b.samples = append(b.samples, s)
	fmt.Fprintln(b.tsv, s.tsv())
	msg := fmt.Sprintf("  %-7s pair %d %-8s wall %6.2fs cpu %6.2fs rss %6.1f MiB", s.Cmp, s.Pair, s.Tool, s.Wall, s.CPU, float64(s.RSSKiB)/1024)
	if s.Requests > 0 {
		msg += fmt.Sprintf("  %d req, %.0f/s ok, p99 %.2f ms", s.Requests, s.Achieved, s.P99ms)
	}
	if s.ServerP99 > 0 {
		msg += fmt.Sprintf(", server p99 %.1f ms", s.ServerP99)
	}
	if s.Err != "" {
		msg += "  ERROR " + s.Err
	}
	fmt.Fprintln(os.Stderr, msg)
}

// paths returns fresh log paths for a run.
func (b *bench) paths(cmp, tool string) (out, errp, result string) {
	b.seq++
	base := fmt.Sprintf("%03d-%s-%s", b.seq, cmp, tool)
	ext := ".bin"
	if tool == "vegeta" {
		ext = ".gob"
	}
	return filepath.Join(b.logs, base+".out"), filepath.Join(b.logs, base+".err"), filepath.Join(b.tmp, base+ext)
}

// timeoutFor bounds a run of length d.
func timeoutFor(d time.Duration) time.Duration { return 2*d + 60*time.Second }

// attack describes one load: a rate (0 with workers for the closed model)
// against url for dur.
type attack struct {
	cmp     string
	url     string
	rate    int
	workers int
	dur     time.Duration
}

// stampedeAttack runs stampede attack with its plain defaults besides the
// load and the output.
func (b *bench) stampedeAttack(a attack, pair, pos int) sample {
	out, errp, result := b.paths(a.cmp, "stampede")
	s := sample{Cmp: a.cmp, Tool: "stampede", Pair: pair, Pos: pos}
	args := []string{"attack", "--url", a.url, "--duration", a.dur.String(), "-o", result, "--quiet", "--format", "json"}
	if a.rate > 0 {
		args = append(args, "--rate", fmt.Sprintf("%d/s", a.rate))
	} else {
		args = append(args, "--concurrency", strconv.Itoa(a.workers))
	}
	u, err := run(timeoutFor(a.dur), out, errp, b.stampede, args...)
	s.Wall, s.CPU, s.RSSKiB, s.Exit = u.wall, u.cpu, u.rssKiB, u.exit
	if err != nil {
		s.Err = err.Error()
		return s
	}
	data, _ := os.ReadFile(out)
	sum, err := parseStampede(data)
	if err != nil {
		s.Err = fmt.Sprintf("%v (exit %d, see %s)", err, u.exit, errp)
		return s
	}
	s.Requests, s.Successes, s.Achieved, s.P99ms = int64(sum.Requests), int64(sum.Successes), sum.achieved(), sum.LatencyMs.P99
	s.Records = int64(sum.RecordsWritten)
	if st, err := os.Stat(result); err == nil {
		s.FileBytes = st.Size()
	}
	b.drop(result)
	return s
}

// vegetaAttack runs vegeta attack with its defaults besides the load and
// the output (-rate 0 -workers N -max-workers N for the closed model),
// then vegeta report -type json, which is not measured.
func (b *bench) vegetaAttack(a attack, pair, pos int) sample {
	out, errp, result := b.paths(a.cmp, "vegeta")
	s := sample{Cmp: a.cmp, Tool: "vegeta", Pair: pair, Pos: pos}
	args := []string{"attack", "-targets", b.targetsFor(a.url), "-duration", a.dur.String(), "-output", result}
	if a.rate > 0 {
		args = append(args, "-rate", fmt.Sprintf("%d/s", a.rate))
	} else {
		w := strconv.Itoa(a.workers)
		args = append(args, "-rate", "0", "-workers", w, "-max-workers", w)
	}
	u, err := run(timeoutFor(a.dur), "", errp, b.vegeta, args...)
	s.Wall, s.CPU, s.RSSKiB, s.Exit = u.wall, u.cpu, u.rssKiB, u.exit
	if err == nil && u.exit != 0 {
		err = fmt.Errorf("vegeta attack exit %d, see %s", u.exit, errp)
	}
	if err != nil {
		s.Err = err.Error()
		return s
	}
	if _, err := run(5*time.Minute, out, errp+".report", b.vegeta, "report", "-type", "json", result); err != nil {
		s.Err = err.Error()
		return s
	}
	data, _ := os.ReadFile(out)
	rep, err := parseVegeta(data)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	s.Requests, s.Successes, s.Achieved, s.P99ms = rep.Requests, rep.successes(), rep.achieved(), float64(rep.Latencies.P99)/1e6
	s.Records = rep.Requests
	if st, err := os.Stat(result); err == nil {
		s.FileBytes = st.Size()
	}
	b.drop(result)
	return s
}

func (b *bench) drop(path string) {
	if !b.cfg.keep {
		_ = os.Remove(path)
	}
}

// targetsFor returns a vegeta targets file for url.
func (b *bench) targetsFor(url string) string {
	path := filepath.Join(b.tmp, "targets-"+strconv.Itoa(len(url))+"-"+strings.NewReplacer(":", "_", "/", "_").Replace(url))
	if _, err := os.Stat(path); err != nil {
		_ = os.WriteFile(path, []byte("GET "+url+"\n"), 0o644)
	}
	return path
}

// alternate runs the attack a for both tools, pairs times, alternating
// the order; skipStampede leaves stampede out (a feature it lacks).
func (b *bench) alternate(a attack, skipStampede bool, after func(*sample, time.Time, time.Time)) {
	for i := range b.cfg.pairs {
		for pos, tool := range order(i) {
			if tool == "stampede" && skipStampede {
				continue
			}
			t0 := time.Now()
			var s sample
			if tool == "stampede" {
				s = b.stampedeAttack(a, i+1, pos+1)
			} else {
				s = b.vegetaAttack(a, i+1, pos+1)
			}
			if after != nil {
				after(&s, t0, time.Now())
			}
			b.record(s)
		}
	}
}

// values returns f of the error-free samples of cmp and tool.
func (b *bench) values(cmp, tool string, f func(sample) float64) []float64 {
	var vs []float64
	for _, s := range b.samples {
		if s.Cmp == cmp && s.Tool == tool && s.Err == "" {
			vs = append(vs, f(s))
		}
	}
	return vs
}

func (b *bench) med(cmp, tool string, f func(sample) float64) float64 {
	return median(b.values(cmp, tool, f))
}

// startTarget starts benchtarget with args and returns its URL and a stop
// function.
func startTarget(bin, logs, name string, args ...string) (string, func(), error) {
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	errf, err := os.Create(filepath.Join(logs, name+".err"))
	if err != nil {
		return "", nil, err
	}
	cmd.Stderr = errf
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		errf.Close()
	}
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(l)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case url := <-line:
		if !strings.HasPrefix(url, "http://127.0.0.1:") {
			stop()
			return "", nil, fmt.Errorf("benchtarget printed %q", url)
		}
		return url, stop, nil
	case <-time.After(10 * time.Second):
		stop()
		return "", nil, errors.New("benchtarget did not start within 10s")
	}
}

// serverP99 returns the p99 in ms of ANSWER−ARRIVAL over the lines of the
// benchtarget log whose arrival is within [from, to]; NaN without any.
func serverP99(log []byte, from, to time.Time) float64 {
	var lat []float64
	lo, hi := from.UnixNano(), to.UnixNano()
	for line := range strings.Lines(string(log)) {
		a, c, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		arr, err1 := strconv.ParseInt(a, 10, 64)
		ans, err2 := strconv.ParseInt(c, 10, 64)
		if err1 != nil || err2 != nil || arr < lo || arr > hi {
			continue
		}
		lat = append(lat, float64(ans-arr)/1e6)
	}
	return quantile(lat, 0.99)
}

// quantile returns the q quantile of vs (the smallest value with at least
// q of them at or below it); NaN for none.
func quantile(vs []float64, q float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	slices.Sort(vs)
	i := int(math.Ceil(q*float64(len(vs)))) - 1
	return vs[max(i, 0)]
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func envBool(name string) bool {
	v := os.Getenv(name)
	return v != "" && v != "0" && v != "false"
}

func main() {
	start := time.Now()
	quick := flag.Bool("quick", envBool("QUICK"), "short smoke run (env QUICK=1)")
	pairs := flag.Int("pairs", envInt("PAIRS", 2), "alternating pairs per comparison (env PAIRS)")
	only := flag.String("only", os.Getenv("ONLY"), "comma-separated comparisons to run, of a,b,c,d,e,f (env ONLY; default all)")
	out := flag.String("out", cmpOr(os.Getenv("OUT"), "bench-out"), "output directory (env OUT)")
	keep := flag.Bool("keep", envBool("KEEP"), "keep the result files (env KEEP=1)")
	flag.Parse()
	cfg := defaultConfig(*quick)
	cfg.pairs, cfg.out, cfg.keep = *pairs, *out, *keep
	if cfg.pairs < 1 {
		fail(errors.New("PAIRS must be at least 1"))
	}
	cfg.only = map[string]bool{}
	for _, c := range strings.Split(*only, ",") {
		if c = strings.TrimSpace(c); c != "" {
			if !strings.Contains("abcdef", c) || len(c) != 1 {
				fail(fmt.Errorf("ONLY: unknown comparison %q (a, b, c, d, e, f)", c))
			}
			cfg.only[c] = true
		}
	}
	if err := compare(cfg); err != nil {
		fail(err)
	}
	fmt.Printf("\ntotal wall time %s\n", time.Since(start).Round(time.Second))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "bench-compare:", err)
	os.Exit(1)
}

func compare(cfg config) error {
	b := &bench{cfg: cfg}
	bin := filepath.Join(cfg.out, "bin")
	b.logs = filepath.Join(cfg.out, "runs")
	b.tmp = filepath.Join(cfg.out, "tmp")
	_ = os.RemoveAll(b.logs)
	for _, d := range []string{bin, b.logs, b.tmp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if !cfg.keep {
		defer os.RemoveAll(b.tmp)
	}
	fmt.Fprintln(os.Stderr, "building stampede, vegeta (go.mod's version) and benchtarget…")
	b.stampede, b.vegeta = filepath.Join(bin, "stampede"), filepath.Join(bin, "vegeta")
	target := filepath.Join(bin, "benchtarget")
	for _, bld := range [][2]string{{b.stampede, "./cmd/stampede"}, {b.vegeta, "github.com/tsenart/vegeta/v12"}, {target, "./scripts/benchtarget"}} {
		if u, err := run(10*time.Minute, "", filepath.Join(b.logs, "build-"+filepath.Base(bld[0])+".err"), "go", "build", "-trimpath", "-o", bld[0], bld[1]); err != nil || u.exit != 0 {
			return fmt.Errorf("go build %s failed (%v); see %s", bld[1], err, b.logs)
		}
	}
	help, _ := exec.Command(b.stampede, "attack", "--help").CombinedOutput()
	b.concurrent = strings.Contains(string(help), "--concurrency")
	version, _ := exec.Command(b.stampede, "version").CombinedOutput()
	vversion, _ := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/tsenart/vegeta/v12").Output()
	commit, _ := exec.Command("git", "describe", "--always", "--dirty").Output()

	tsv, err := os.Create(filepath.Join(cfg.out, "bench-compare.tsv"))
	if err != nil {
		return err
	}
	defer tsv.Close()
	b.tsv = tsv
	fmt.Fprintf(tsv, "# %s pairs=%d quick=%v; commit %s; %s; vegeta CLI %s\n", time.Now().UTC().Format(time.RFC3339), cfg.pairs, cfg.quick,
		oneLine(commit), oneLine(version), oneLine(vversion))
	fmt.Fprintln(tsv, tsvHeader)

	url, stop, err := startTarget(target, b.logs, "target")
	if err != nil {
		return err
	}
	defer stop()
	b.target = url

	if cfg.want("a") {
		fmt.Fprintf(os.Stderr, "(a) maximum throughput, closed model, %d workers, %v each\n", cfg.workers, cfg.aDur)
		if !b.concurrent {
			fmt.Fprintln(os.Stderr, "  stampede attack has no --concurrency: its side is n/a (not built)")
		}
		b.alternate(attack{cmp: "a", url: url, workers: cfg.workers, dur: cfg.aDur}, !b.concurrent, nil)
	}
	if cfg.want("c") {
		for _, d := range []time.Duration{cfg.cShort, cfg.cLong} {
			fmt.Fprintf(os.Stderr, "(c) peak RSS at %d/s for %v\n", cfg.cRate, d)
			b.alternate(attack{cmp: "c" + d.String(), url: url, rate: cfg.cRate, dur: d}, false, nil)
		}
	}
	if cfg.want("b") || cfg.want("d") {
		rates := cfg.dRates
		if !cfg.want("d") {
			rates = []int{cfg.bRate}
		}
		for _, r := range rates {
			fmt.Fprintf(os.Stderr, "(d) achieved vs offered at %d/s, default settings, %v each\n", r, cfg.dDur)
			b.alternate(attack{cmp: "d" + strconv.Itoa(r), url: url, rate: r, dur: cfg.dDur}, false, nil)
		}
	}
	if cfg.want("e") {
		if err := b.reportTimes(); err != nil {
			return err
		}
	}
	if cfg.want("f") {
		if err := b.stall(target); err != nil {
			return err
		}
	}

	rows := b.rows()
	var sb strings.Builder
	fmt.Fprintf(&sb, "stampede vs vegeta, medians of %d alternating pairs (%s); %s\n", cfg.pairs,
		map[bool]string{true: "QUICK", false: "full"}[cfg.quick], time.Now().UTC().Format(time.RFC3339))
	writeTable(&sb, rows)
	for _, n := range b.notes() {
		fmt.Fprintln(&sb, "  "+n)
	}
	fmt.Fprintf(&sb, "raw runs: %s\n", tsv.Name())
	fmt.Print("\n" + sb.String())
	return os.WriteFile(filepath.Join(cfg.out, "bench-compare.txt"), []byte(sb.String()), 0o644)
}

func oneLine(b []byte) string { return strings.Join(strings.Fields(string(b)), " ") }

// reportTimes is (e): a stampede result file of eRecords records (the
// records of an attack of eBase records on the local target, repeated by
// tile), a vegeta gob file of as many (vegeta's own attack of the same
// load, repeated by tileVegeta), then each tool's text report of its own
// file, alternately.
func (b *bench) reportTimes() error {
	cfg := b.cfg
	dur := time.Duration(float64(cfg.eBase) / float64(cfg.eRate) * float64(time.Second))
	fmt.Fprintf(os.Stderr, "(e) writing %d records a tool: each attacks at %d/s for %v, its records repeated\n", cfg.eRecords, cfg.eRate, dur)
	base, sfile, vfile := filepath.Join(b.tmp, "e-base.bin"), filepath.Join(b.tmp, "e-records.bin"), filepath.Join(b.tmp, "e-records.gob")
	out := filepath.Join(b.logs, "e-attack.out")
	if _, err := run(timeoutFor(dur), out, filepath.Join(b.logs, "e-attack.err"), b.stampede,
		"attack", "--url", b.target, "--rate", fmt.Sprintf("%d/s", cfg.eRate), "--duration", dur.String(),
		"-o", base, "--quiet", "--format", "json"); err != nil {
		return fmt.Errorf("(e) stampede attack: %w", err)
	}
	if err := tile(base, sfile, cfg.eRecords); err != nil {
		return fmt.Errorf("(e) %w", err)
	}
	b.drop(base)
	vbase := filepath.Join(b.tmp, "e-base.gob")
	if u, err := run(timeoutFor(dur), "", filepath.Join(b.logs, "e-attack-vegeta.err"), b.vegeta,
		"attack", "-targets", b.targetsFor(b.target), "-rate", fmt.Sprintf("%d/s", cfg.eRate), "-duration", dur.String(), "-output", vbase); err != nil || u.exit != 0 {
		return fmt.Errorf("(e) vegeta attack failed (%v, exit %d)", err, u.exit)
	}
	if err := tileVegeta(vbase, vfile, cfg.eRecords); err != nil {
		return fmt.Errorf("(e) %w", err)
	}
	b.drop(vbase)
	sst, _ := os.Stat(sfile)
	vst, _ := os.Stat(vfile)
	fmt.Fprintf(os.Stderr, "  %d records: stampede file %d bytes, vegeta file %d bytes\n", cfg.eRecords, sst.Size(), vst.Size())
	nrec := int64(cfg.eRecords)
	for i := range cfg.pairs {
		for pos, tool := range order(i) {
			s := sample{Cmp: "e", Tool: tool, Pair: i + 1, Pos: pos + 1, Records: nrec}
			var u usage
			var err error
			if tool == "stampede" {
				s.FileBytes = sst.Size()
				u, err = run(5*time.Minute, os.DevNull, filepath.Join(b.logs, fmt.Sprintf("e-report-%d-stampede.err", i+1)), b.stampede, "report", sfile)
			} else {
				s.FileBytes = vst.Size()
				u, err = run(5*time.Minute, os.DevNull, filepath.Join(b.logs, fmt.Sprintf("e-report-%d-vegeta.err", i+1)), b.vegeta, "report", vfile)
			}
			s.Wall, s.CPU, s.RSSKiB, s.Exit = u.wall, u.cpu, u.rssKiB, u.exit
			if err != nil {
				s.Err = err.Error()
			} else if u.exit != 0 && !(tool == "stampede" && u.exit == 1) { // 1: a threshold failed
				s.Err = fmt.Sprintf("exit %d", u.exit)
			}
			b.record(s)
		}
	}
	return nil
}

// stall is (f): both tools at fRate for fDur, with their defaults, against
// a target that stalls fStall every fEvery, logging what it saw.
func (b *bench) stall(target string) error {
	cfg := b.cfg
	logPath := filepath.Join(b.tmp, "stall-target.log")
	url, stop, err := startTarget(target, b.logs, "stall-target", "-stall", cfg.fStall.String(), "-every", cfg.fEvery.String(), "-log", logPath)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(os.Stderr, "(f) p99 at %d/s for %v, the target stalling %v every %v (true p99 %v)\n",
		cfg.fRate, cfg.fDur, cfg.fStall, cfg.fEvery, trueP99(cfg.fStall, cfg.fEvery))
	b.alternate(attack{cmp: "f", url: url, rate: cfg.fRate, dur: cfg.fDur}, false, func(s *sample, from, to time.Time) {
		time.Sleep(300 * time.Millisecond) // the log's flush
		data, err := os.ReadFile(logPath)
		if err == nil {
			s.ServerP99 = serverP99(data, from, to)
		}
	})
	return nil
}

// row is one line of the table.
type row struct {
	what       string
	s, v       float64 // medians; NaN for n/a
	unit       string  // format of s and v
	ratio      float64 // s/v unless NaN
	goal       string
	met        string // yes, no, or "" when unknown
	sNA, vNA   string // what to print for a NaN median
	ratioPrint string // overrides the ratio column
}

// rows builds the table from the samples.
func (b *bench) rows() []row {
	cfg := b.cfg
	var rows []row
	ach := func(s sample) float64 { return s.Achieved }
	rss := func(s sample) float64 { return float64(s.RSSKiB) / 1024 }
	yes := func(ok bool, known bool) string {
		if !known {
			return ""
		}
		if ok {
			return "yes"
		}
		return "no"
	}
	if cfg.want("a") {
		r := row{what: fmt.Sprintf("(a) max throughput, closed model, %d workers", cfg.workers), unit: "%.0f/s",
			s: b.med("a", "stampede", ach), v: b.med("a", "vegeta", ach), goal: "≥ 1.0×"}
		if !b.concurrent {
			r.sNA = "n/a (not built)"
		}
		r.ratio = ratio(r.s, r.v)
		r.met = yes(r.ratio >= 1.0, !math.IsNaN(r.ratio))
		rows = append(rows, r)
	}
	if cfg.want("b") {
		cmp := "d" + strconv.Itoa(cfg.bRate)
		perReq := func(s sample) float64 {
			if s.Requests == 0 {
				return math.NaN()
			}
			return s.CPU / float64(s.Requests) * 1e6
		}
		r := row{what: fmt.Sprintf("(b) CPU per request at %d/s", cfg.bRate), unit: "%.1f µs",
			s: b.med(cmp, "stampede", perReq), v: b.med(cmp, "vegeta", perReq), goal: "≤ 1.0×"}
		r.ratio = ratio(r.s, r.v)
		r.met = yes(r.ratio <= 1.0, !math.IsNaN(r.ratio))
		rows = append(rows, r)
	}
	if cfg.want("c") {
		short, long := "c"+cfg.cShort.String(), "c"+cfg.cLong.String()
		for _, d := range []time.Duration{cfg.cShort, cfg.cLong} {
			r := row{what: fmt.Sprintf("(c) peak RSS at %d/s for %v", cfg.cRate, d), unit: "%.1f MiB",
				s: b.med("c"+d.String(), "stampede", rss), v: b.med("c"+d.String(), "vegeta", rss), goal: "≤ 1.0×"}
			r.ratio = ratio(r.s, r.v)
			r.met = yes(r.ratio <= 1.0, !math.IsNaN(r.ratio))
			rows = append(rows, r)
		}
		r := row{what: fmt.Sprintf("(c) RSS growth, %v / %v", cfg.cLong, cfg.cShort), unit: "%.2f×",
			s:    ratio(b.med(long, "stampede", rss), b.med(short, "stampede", rss)),
			v:    ratio(b.med(long, "vegeta", rss), b.med(short, "vegeta", rss)),
			goal: fmt.Sprintf("flat: stampede ≤ %.2f×", cfg.rssGrowthMax), ratioPrint: "-"}
		r.met = yes(r.s <= cfg.rssGrowthMax, !math.IsNaN(r.s))
		rows = append(rows, r)
	}
	if cfg.want("d") {
		maxRSS := math.NaN()
		vmaxRSS := math.NaN()
		for _, rate := range cfg.dRates {
			cmp := "d" + strconv.Itoa(rate)
			share := func(s sample) float64 { return s.Achieved / float64(rate) * 100 }
			r := row{what: fmt.Sprintf("(d) achieved/offered at %d/s", rate), unit: "%.2f %%",
				s: b.med(cmp, "stampede", share), v: b.med(cmp, "vegeta", share), goal: "stampede ≥ 99 %"}
			r.ratio = ratio(r.s, r.v)
			r.met = yes(r.s >= 99, !math.IsNaN(r.s))
			rows = append(rows, r)
			for _, v := range b.values(cmp, "stampede", rss) {
				maxRSS = nanMax(maxRSS, v)
			}
			for _, v := range b.values(cmp, "vegeta", rss) {
				vmaxRSS = nanMax(vmaxRSS, v)
			}
		}
		r := row{what: "(d) highest peak RSS of those runs", unit: "%.1f MiB", s: maxRSS, v: vmaxRSS,
			goal: "stampede < 100 MB"}
		r.ratio = ratio(r.s, r.v)
		r.met = yes(r.s*1024*1024 < 100e6, !math.IsNaN(r.s))
		rows = append(rows, r)
	}
	if cfg.want("d") {
		cmp := "d" + strconv.Itoa(cfg.bRate)
		bpr := func(s sample) float64 {
			if s.Records == 0 {
				return math.NaN()
			}
			return float64(s.FileBytes) / float64(s.Records)
		}
		r := row{what: fmt.Sprintf("(e) bytes per record (the %d/s runs' files)", cfg.bRate), unit: "%.1f B",
			s: b.med(cmp, "stampede", bpr), v: b.med(cmp, "vegeta", bpr), goal: "stampede ≤ 43 B"}
		r.ratio = ratio(r.s, r.v)
		r.met = yes(r.s <= 43, !math.IsNaN(r.s))
		rows = append(rows, r)
	}
	if cfg.want("e") {
		wall := func(s sample) float64 { return s.Wall }
		var n int64
		for _, s := range b.samples {
			if s.Cmp == "e" {
				n = s.Records
			}
		}
		r := row{what: fmt.Sprintf("(e) text report of %d records", n), unit: "%.2f s",
			s: b.med("e", "stampede", wall), v: b.med("e", "vegeta", wall), goal: "≤ 0.20× (5× faster)"}
		r.ratio = ratio(r.s, r.v)
		r.met = yes(r.ratio <= 0.2, !math.IsNaN(r.ratio))
		rows = append(rows, r)
	}
	if cfg.want("f") {
		truth := float64(trueP99(cfg.fStall, cfg.fEvery)) / 1e6
		p99 := func(s sample) float64 { return s.P99ms }
		r := row{what: fmt.Sprintf("(f) p99, stall %v every %v (true %.0f ms)", cfg.fStall, cfg.fEvery, truth), unit: "%.1f ms",
			s: b.med("f", "stampede", p99), v: b.med("f", "vegeta", p99), goal: "stampede within 10 % of true"}
		r.ratio = ratio(r.s, r.v)
		r.met = yes(math.Abs(r.s/truth-1) <= 0.10, !math.IsNaN(r.s))
		rows = append(rows, r)
		r2 := row{what: "(f) p99 / true p99", unit: "%.3f", s: r.s / truth, v: r.v / truth, ratioPrint: "-",
			goal: "stampede 0.90–1.10"}
		r2.met = r.met
		rows = append(rows, r2)
	}
	return rows
}

func nanMax(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	return max(a, b)
}

// notes are the remarks printed under the table.
func (b *bench) notes() []string {
	var n []string
	if b.cfg.want("a") {
		n = append(n, "(a) stampede has no unlimited --rate: its side is its closed model (--concurrency N); vegeta's is -rate=0 -workers N -max-workers N.")
	}
	if b.cfg.want("b") {
		n = append(n, "(b) CPU of the attack process only: vegeta's report pass is not counted; stampede summarises while it runs.")
	}
	if b.cfg.want("f") {
		sp := func(s sample) float64 { return s.ServerP99 }
		n = append(n, fmt.Sprintf("(f) p99 of the answer times the stalling target logged (arrival to answer): stampede's runs %.1f ms, vegeta's %.1f ms "+
			"(one far under the true p99 would mean the tool's requests left late: coordinated omission).", b.med("f", "stampede", sp), b.med("f", "vegeta", sp)))
	}
	var errs int
	for _, s := range b.samples {
		if s.Err != "" {
			errs++
		}
	}
	if errs > 0 {
		n = append(n, fmt.Sprintf("%d run(s) failed and were left out of the medians: see the error column of the TSV and %s", errs, b.logs))
	}
	return n
}

// writeTable prints rows as an aligned table.
func writeTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "comparison\tstampede\tvegeta\tstampede/vegeta\tgoal\tmet?")
	for _, r := range rows {
		s, v := cell(r.unit, r.s, r.sNA), cell(r.unit, r.v, r.vNA)
		rt := "n/a"
		if r.ratioPrint != "" {
			rt = r.ratioPrint
		} else if !math.IsNaN(r.ratio) {
			rt = fmt.Sprintf("%.2f×", r.ratio)
		}
		met := r.met
		if met == "" {
			met = "n/a"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.what, s, v, rt, r.goal, met)
	}
	_ = tw.Flush()
}

func cell(format string, v float64, na string) string {
	if math.IsNaN(v) {
		if na != "" {
			return na
		}
		return "n/a"
	}
	return fmt.Sprintf(format, v)
}
