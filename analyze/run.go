package analyze

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// Run is everything known about one run once its records are consumed:
// the summary, the rate-limit contract checks, how the run ended, and the
// facts about it that are not aggregates. Consume builds it the same way
// from a live attack and from its result files.
type Run struct {
	Summary  *Summary
	Contract *contract.Report // the rate-limit contract checks; nil for none
	Target   string           // e.g. "GET http://127.0.0.1:8080/" (redacted)
	Pacer    string           // the load shape, e.g. "constant 500/s"
	Planned  time.Duration    // the --duration asked for, 0 if unbounded
	// Concurrency is the workers of a closed model, summed over its
	// shards; 0 for the open model. A closed model's latency runs from
	// each actual send: it cannot show coordinated omission.
	Concurrency uint64
	// SendDelayUnknown says the run's records do not know when they were
	// scheduled (vegeta's files): their send delay, and so whether the
	// generator fell behind, is unknown, not 0.
	SendDelayUnknown bool
	ResultFile       string        // path of the result file a live run wrote, "" if none
	Records          uint64        // records written to the result file, or read from the result files
	Interrupted      string        // the signal that stopped the run, "" if it ran to the end
	Unanswered       uint64        // attempts still in flight when the run gave up waiting
	Unsent           uint64        // scheduled attempts never sent: the generator fell too far behind
	MaxLateness      time.Duration // how far behind schedule stampede may fall before it stops sending; 0 if unknown
	Truncated        uint64        // bodies longer than the classification limit
	BodyLimit        int           // body bytes read for classification; 0 means classify.DefaultBodyLimit
	ClassLimit       int           // the classifier's bound on classes; 0 if unknown

	// Metadata of the run, for reports read later by people who were not
	// at the terminal; empty when unknown.
	Command []string  // the command line, secrets redacted
	Start   time.Time // when the run (the earliest of its shards) started
	Tool    string    // what wrote the results, e.g. "stampede 0.4.0"
	RunID   string    // identifies the run; all shards of one run share it
	Shards  []string  // the shards merged into this report
	Sources []string  // the result files read, "-" for standard input
	Notes   []string  // remarks on reading the results: damage skipped, parts unknown
	// Probes are reports of `stampede probe --format json` read with the
	// result files: the active check of the rate limiter's Retry-After.
	Probes []probefile.Report
	// ResultFiles counts the stampede and vegeta result files read; 0 for
	// a live run. ProbeFiles counts the probe reports read beside them.
	ResultFiles, ProbeFiles int
	// Live says the run is a live attack, not files read back.
	Live bool
	// Unfinished counts the result files that should end with a trailer
	// (format 3 and later) but do not: runs that crashed or were killed.
	Unfinished int
	// TrailersDamaged counts the result files whose trailer is damaged:
	// how their run ended is unknown, and the run does not pass.
	TrailersDamaged int
	// HeadersLost names the result files whose header is damaged: their
	// run's metadata and the thresholds they named are unknown, and the run
	// does not pass.
	HeadersLost []string
	// Conditions are the thresholds the run's header says it is judged by
	// (a profile's, or --threshold), those of every shard once each; none
	// for the defaults.
	Conditions []records.HeaderThreshold
	// ConditionsDropped counts the thresholds headers named beyond the
	// bound the reader keeps (a crafted file): a run whose thresholds are
	// not all judged does not pass.
	ConditionsDropped int
	// Duplicates counts result files that are a shard of a run read
	// already: their records would count twice, and the run does not pass.
	Duplicates int
	// ShardsMissing are the runs split into shards (--shard i/N) whose
	// shards were not all read, or whose files disagree on how many there
	// are: the merged run is not the load that was offered, and it does
	// not pass.
	ShardsMissing []ShardGap
	// Thresholds are the thresholds judged on the run, in the order given;
	// nil when none were judged, and then Verdict judges the defaults
	// (DefaultThresholds). An empty, non-nil slice judges none.
	Thresholds []Threshold
	// Periods are the runs of result files recorded at different times
	// (their spans of time do not overlap), in the order they ran, when
	// there are several: each with its own load. Planned is then the sum
	// of theirs, and the summary's rates count their time only
	// (Summary.Spans). Nil for one run, or for the shards of one, which
	// ran together.
	Periods []Period
	// Baseline is the run this one is compared with (--baseline): reports
	// show the deltas of the headline numbers, classes and requests; nil
	// without one.
	Baseline *Run
}

// Period is one of the runs of result files recorded at different times.
type Period struct {
	Pacer   string        // its load shape, "" if unknown (a vegeta file)
	Planned time.Duration // its --duration, 0 if unbounded or unknown
	Span                  // the time its records cover
	logical Span          // the time its first attempts cover
}

// String is the period's load, e.g. "constant 200/s for 10s"; one whose
// duration was not planned gives the time its records cover.
func (p Period) String() string {
	pacer := p.Pacer
	if pacer == "" {
		pacer = "load unknown"
	}
	if p.Planned > 0 {
		return pacer + " for " + p.Planned.String()
	}
	return pacer + " for " + p.Duration().Round(time.Millisecond).String() + " as recorded"
}

// Load is the load offered, as reports show it: the shape and how long,
// e.g. "constant 200/s for 10s" or "… until interrupted"; for runs recorded
// at different times, each with its own, e.g. "2 runs at different times:
// constant 200/s for 10s; constant 200/s for 10s". "" when unknown.
func (r Run) Load() string {
	if len(r.Periods) > 1 {
		parts := make([]string, len(r.Periods))
		for i, p := range r.Periods {
			parts[i] = p.String()
		}
		return fmt.Sprintf("%d runs at different times: %s", len(r.Periods), strings.Join(parts, "; "))
	}
	if r.Pacer == "" {
		return ""
	}
	if r.Planned > 0 {
		return r.Pacer + " for " + r.Planned.String()
	}
	return r.Pacer + " until interrupted"
}

// ProbesOnly reports whether the run is probe reports read alone, with no
// result file and no live attack: no request is then expected. (A live
// run's own probes, a profile's, do not make it one.)
func (r Run) ProbesOnly() bool { return r.ProbeFiles > 0 && r.ResultFiles == 0 && !r.Live }

// ClassifiedBytes is the body limit the run classified with.
func (r Run) ClassifiedBytes() int {
	if r.BodyLimit > 0 {
		return r.BodyLimit
	}
	return classify.DefaultBodyLimit
}

// MaxClasses is the bound on classes the run's responses were sorted
// into: the classifier's, or the summary's own when the run does not say.
func (r Run) MaxClasses() int {
	if r.ClassLimit > 0 {
		return r.ClassLimit
	}
	return r.Summary.Classes.Max()
}

// ShardGap is a run split into shards (--shard i/N) that a report did
// not read whole.
type ShardGap struct {
	RunID   string
	Counts  []int // the shard counts its files give: one, unless they disagree
	Read    int   // the distinct shards read
	Missing []int // the indices not read, the first few (at most 20)
}

// String says what is missing, e.g. "3 of 4 shards read; shard 2/4 is
// missing: the merged run is 3/4 of the load offered".
func (g ShardGap) String() string {
	if len(g.Counts) != 1 {
		parts := make([]string, len(g.Counts))
		for i, n := range g.Counts {
			parts[i] = strconv.Itoa(n)
		}
		return "its result files disagree on the number of shards (" + strings.Join(parts, " and ") + ")"
	}
	n := g.Counts[0]
	names := make([]string, len(g.Missing))
	for i, idx := range g.Missing {
		names[i] = fmt.Sprintf("%d/%d", idx, n)
	}
	list := strings.Join(names, ", ")
	if more := n - g.Read - len(g.Missing); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	what := "shard " + list + " is"
	if n-g.Read > 1 {
		what = "shards " + list + " are"
	}
	return fmt.Sprintf("%d of %d shards read; %s missing: the merged run is %d/%d of the load offered", g.Read, n, what, g.Read, n)
}

// BehindThreshold is the send delay p99 from which a run is said to have
// fallen behind its schedule: its requests waited in stampede for a free
// worker (all busy with a slow target, or a starved CPU) before leaving.
const BehindThreshold = 50 * time.Millisecond

// Behind returns the p99 and the largest of the send delay when the run
// fell behind its schedule (send delay p99 of at least BehindThreshold),
// and false when it kept to it or had no schedule (a closed model). Its
// latency, measured from the scheduled send, includes that wait.
func (r Run) Behind() (p99, most time.Duration, behind bool) {
	if r.Concurrency > 0 || r.SendDelayUnknown || r.Summary == nil || r.Summary.SendDelay.TotalCount() == 0 {
		return 0, 0, false
	}
	q := LatencyQuantiles(r.Summary.SendDelay)
	return q.P99, q.Max, q.P99 >= BehindThreshold
}
