package analyze

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// MaxTargets bounds the distinct targets a run names; vegeta files of one
// URL per id have many.
const MaxTargets = 10

// maxLatenessMs is the longest max_lateness_ms a trailer may say, a day:
// a longer one is taken as unknown.
const maxLatenessMs = int64(24 * time.Hour / time.Millisecond)

// Consume is the one consume loop of stampede: it takes every event of
// src into a Run, then hands it to each sink in order, until src ends.
// A live attack and the result files it wrote go through the same loop and
// give the same Run.
//
// The summary keeps as many classes as the streams describe, up to the
// result file's own bound (records.MaxClasses): a report shows the classes
// of the run, whatever bound its classifier had. Memory stays bounded
// whatever the length of the streams. A source's error, or a sink's, ends
// the loop and is returned with the Run so far; each Finisher sink is
// finished either way.
func Consume(ctx context.Context, src Source, sinks ...Sink) (Run, error) {
	b := newBuilder()
	var ev Event
	var err error
loop:
	for {
		ev.reset()
		if err = src.Next(ctx, &ev); err != nil {
			break
		}
		b.add(&ev)
		for _, s := range sinks {
			if err = s.Observe(&ev, &b.run); err != nil {
				break loop
			}
		}
	}
	if errors.Is(err, io.EOF) {
		err = nil
	}
	if c, ok := src.(io.Closer); ok {
		_ = c.Close() // what it holds is let go of; the stream is what counts
	}
	b.finish()
	for _, s := range sinks {
		if f, ok := s.(Finisher); ok {
			if ferr := f.Finish(&b.run, err); err == nil {
				err = ferr
			}
		}
	}
	return b.run, err
}

// builder takes events into a Run.
type builder struct {
	run Run

	// Of the stream begun last.
	ids     map[uint32]uint32 // the stream's class ids → the summary's (0: classify by the record's fields)
	lastID  [2]uint32         // the last pair of ids: runs of one class skip the map
	reqIDs  map[uint32]uint32 // the stream's request ids → the summary's; at most maxStreamRequests
	lastReq [2]uint32         // the last pair of request ids: runs of one request skip the map
	version int               // its format version; 0 for a stream that is no stampede file
	name    string            // its file, "" for a live run
	first   time.Time         // its earliest scheduled record, for a stream whose header has no start

	targets, pacers, runIDs, tools, interrupted []string

	// spans are the streams' stretches of time, one per stream begun; the
	// last is the current stream's.
	spans []streamSpan

	streams                   int                  // streams begun
	closedStreams             int                  // streams of a closed model (Header.Concurrency)
	vegetaStreams             int                  // vegeta files, which know no scheduled send
	conditionsDiffer          bool                 // their headers name different thresholds
	moreTargets               int                  // distinct targets beyond MaxTargets
	contracts, withoutTrailer int                  // streams with and without contract checks
	seen                      map[string]string    // "run id/shard" → the stream that had it
	split                     map[string]*splitRun // run id → the shards i/N of it read
}

// streamSpan is what a stream says of when it ran and with what load, to
// tell runs recorded at different times from the shards of one.
type streamSpan struct {
	Period
	group string // the run id of a stream that is a shard i/N of a run, else ""
}

// add widens the stream's span, and that of its first attempts, to cover
// a record.
func (sp *streamSpan) add(r *records.Record) {
	end := r.Scheduled.Add(r.Latency)
	sp.Span.add(r.Scheduled, end)
	if r.Attempt <= 1 {
		sp.logical.add(r.Scheduled, end)
	}
}

// splitRun is what the result files of one run split into shards (i/N)
// say of its shards.
type splitRun struct {
	counts []int        // the shard counts the headers give: one, unless they disagree
	read   map[int]bool // the indices read
}

func newBuilder() *builder {
	return &builder{
		run:  Run{Summary: NewSummaryFor(classify.NewClassTable(records.MaxClasses))},
		seen: map[string]string{}, split: map[string]*splitRun{},
	}
}

// add takes one event in.
func (b *builder) add(ev *Event) {
	switch ev.Kind {
	case EventBegin:
		b.begin(ev)
	case EventRecord:
		b.record(ev)
	case EventEnd:
		b.end(ev.End)
	case EventProbe:
		b.run.ProbeFiles++
		b.run.Sources = append(b.run.Sources, ev.Source)
		b.run.Probes = append(b.run.Probes, *ev.Probe)
	}
}

// conditions takes in the thresholds a stream's header names. The shards
// of one run name the same; files that name different ones (or some none)
// are not judged by any of them: one file's thresholds must not switch
// off another's defaults.
func (b *builder) conditions(ths []records.HeaderThreshold) {
	if len(ths) > maxConditions {
		b.run.ConditionsDropped += len(ths) - maxConditions
		ths = ths[:maxConditions]
	}
	if b.streams++; b.streams == 1 {
		b.run.Conditions = slices.Clone(ths)
		return
	}
	if !slices.Equal(b.run.Conditions, ths) {
		b.conditionsDiffer = true
	}
}

// maxDuplicateNotes bounds the notes on shards read twice.
const maxDuplicateNotes = 5

// maxConditions bounds the thresholds a report takes from its files'
// headers: a crafted header may list any number.
const maxConditions = 256

// begin starts a stream: what its header says about its run.
func (b *builder) begin(ev *Event) {
	h := ev.Header
	b.ids, b.lastID, b.version, b.name, b.first = map[uint32]uint32{}, [2]uint32{}, h.Version, fileName(ev.Source), time.Time{}
	b.reqIDs, b.lastReq = map[uint32]uint32{}, [2]uint32{}
	if ev.Source != "" {
		b.run.Sources = append(b.run.Sources, ev.Source)
		b.run.ResultFiles++
	} else {
		b.run.Live = true
	}
	if !h.Start.IsZero() && (b.run.Start.IsZero() || h.Start.Before(b.run.Start)) {
		b.run.Start = h.Start
	}
	b.conditions(h.Thresholds)
	if h.Target != "" {
		b.target(h.Target)
	}
	b.pacers = appendNew(b.pacers, h.Pacer)
	b.runIDs = appendNew(b.runIDs, h.RunID)
	b.tools = appendNew(b.tools, h.Tool)
	b.run.Shards = appendNew(b.run.Shards, h.Shard)
	b.run.Planned = max(b.run.Planned, h.Duration)
	b.run.Summary.Timeline.Plan(h.Duration) // the first stream's length sets the width of the intervals
	b.run.Concurrency += h.Concurrency
	sp := streamSpan{Period: Period{Pacer: h.Pacer, Planned: h.Duration}}
	if _, split, err := records.ParseShard(h.Shard); h.RunID != "" && split && err == nil {
		sp.group = h.RunID // the shards of a run ran together, whenever each started
	}
	b.spans = append(b.spans, sp)
	if h.Version == 0 && ev.Source != "" {
		b.vegetaStreams++ // a vegeta file: no schedule, no send delay
	}
	if h.Concurrency > 0 {
		b.closedStreams++
	}
	if b.run.Command == nil && len(h.Command) > 0 {
		b.run.Command = h.Command
	}
	if h.RunID != "" {
		key := h.RunID + "/" + h.Shard
		if first, dup := b.seen[key]; dup {
			if b.run.Duplicates++; b.run.Duplicates <= maxDuplicateNotes {
				b.note("%s and %s are both shard %q of run %s: the same records counted twice?", first, b.name, h.Shard, h.RunID)
			}
		} else {
			b.seen[key] = b.name
		}
		if ev.Source != "" { // a live shard is judged on its own share; a report, on the whole run
			b.shard(h.RunID, h.Shard)
		}
	}
}

// shard takes in a stream's shard of a run split i/N; a shard named by a
// label alone, as --shard took before, says nothing of the others.
func (b *builder) shard(runID, name string) {
	sh, ok, err := records.ParseShard(name)
	if err != nil || !ok {
		return
	}
	sr := b.split[runID]
	if sr == nil {
		sr = &splitRun{read: map[int]bool{}}
		b.split[runID] = sr
	}
	sr.counts = appendNew(sr.counts, sh.Count)
	sr.read[sh.Index] = true
}

// shardsMissing settles, for each run split into shards, which shards
// were not read: the merged run is then not the load that was offered.
func (b *builder) shardsMissing() {
	for _, id := range slices.Sorted(maps.Keys(b.split)) {
		sr := b.split[id]
		slices.Sort(sr.counts)
		gap := ShardGap{RunID: id, Counts: sr.counts, Read: len(sr.read)}
		if n := sr.counts[0]; len(sr.counts) == 1 {
			if len(sr.read) == n {
				continue
			}
			for i := 0; i < n && len(gap.Missing) < maxMissingShards; i++ {
				if !sr.read[i] {
					gap.Missing = append(gap.Missing, i)
				}
			}
		}
		b.run.ShardsMissing = append(b.run.ShardsMissing, gap)
		b.note("run %s: %s", id, gap)
	}
}

// maxMissingShards bounds the missing shards a ShardGap names.
const maxMissingShards = 20

// record adds a record to the summary, in the class its stream gave it.
// The event is left as it is: sinks see the stream's own class ids.
func (b *builder) record(ev *Event) {
	r := ev.Record
	rec := &r
	if rec.Class != 0 && rec.Class == b.lastID[0] && ev.Sample == "" {
		rec.Class = b.lastID[1]
	} else if rec.Class != 0 {
		id, ok := b.ids[rec.Class]
		if !ok {
			if ev.Class != nil {
				id = b.run.Summary.ImportClass(*ev.Class, nil)
			}
			b.ids[rec.Class] = id // 0 for a class the stream does not describe: classified from the record
		}
		if ev.Sample != "" && id != 0 {
			b.run.Summary.AddSample(id, ev.Sample)
		}
		b.lastID = [2]uint32{rec.Class, id}
		rec.Class = id
	}
	if rec.Request != 0 {
		rec.Request = b.request(rec.Request, ev.RequestName)
	}
	if ev.Method != "" && ev.URL != "" {
		b.target(ev.Method + " " + ev.URL)
	}
	if b.first.IsZero() || rec.Scheduled.Before(b.first) {
		b.first = rec.Scheduled
	}
	b.run.Summary.Add(rec)
	b.run.Records++
	if n := len(b.spans); n > 0 {
		b.spans[n-1].add(rec)
	}
}

// maxStreamRequests bounds the request ids of a stream the builder
// remembers: those of the names a stream gives (at most records.MaxRequests
// in a result file) and room for ids it never names. Beyond it (a crafted
// stream) an id without a name is looked up again on every record.
const maxStreamRequests = 4 * records.MaxRequests

// request returns the summary's id of a stream's request id, importing its
// name on the stream's first record of it: OtherRequests if the stream
// never names it.
func (b *builder) request(id uint32, name string) uint32 {
	if id == b.lastReq[0] {
		return b.lastReq[1]
	}
	mapped, ok := b.reqIDs[id]
	if !ok {
		if name == "" {
			name = OtherRequests
		}
		mapped = b.run.Summary.ImportRequest(name)
		if len(b.reqIDs) < maxStreamRequests {
			b.reqIDs[id] = mapped
		}
	}
	b.lastReq = [2]uint32{id, mapped}
	return mapped
}

// end takes in how a stream ended.
func (b *builder) end(e *End) {
	for _, c := range e.Described { // samples may follow the records of their class
		b.run.Summary.ImportClass(c.Class, c.Samples)
	}
	b.run.Notes = append(b.run.Notes, e.Notes...)
	if b.version == 0 && !b.first.IsZero() && (b.run.Start.IsZero() || b.first.Before(b.run.Start)) {
		b.run.Start = b.first // a vegeta file does not say when its run started: with its first record
	}
	b.run.Truncated += e.Truncated
	b.run.ClassLimit = max(b.run.ClassLimit, e.ClassLimit)
	if e.HeaderLost {
		b.run.HeadersLost = append(b.run.HeadersLost, b.name)
	}
	if e.Trailer == nil && e.TrailerDamaged {
		b.withoutTrailer++
		b.run.TrailersDamaged++
		b.note("the trailer of %s is damaged: how the run ended and its rate-limit contract checks are unknown", b.name)
		return
	}
	b.trailer(e.Trailer)
}

// trailer takes in what a stream says of its end.
func (b *builder) trailer(t *records.Trailer) {
	if t == nil {
		b.withoutTrailer++
		switch {
		case b.version >= 3:
			b.run.Unfinished++
			b.note("%s: no trailer, so the run did not end cleanly (a crash or a kill): its end and its rate-limit contract checks are not known", b.name)
		case b.version > 0:
			b.note("%s: written by an older stampede (format %d), before result files kept the rate-limit contract checks", b.name, b.version)
		case b.name != "":
			b.note("%s: a vegeta file does not say whether its run finished, nor how it met the rate-limit contract", b.name)
		}
		return
	}
	b.interrupted = appendNew(b.interrupted, t.Interrupted)
	for _, raw := range t.Probes {
		rep, err := probefile.Read(bytes.NewReader(raw))
		if err != nil {
			b.note("%s: a probe report in the trailer is unreadable: %v", b.name, err)
			continue
		}
		b.run.Probes = append(b.run.Probes, rep)
	}
	b.run.Unanswered += t.Unanswered
	b.run.Unsent += t.Unsent
	b.run.Truncated += t.Truncated
	b.run.BodyLimit = max(b.run.BodyLimit, t.BodyLimit)
	b.run.ClassLimit = max(b.run.ClassLimit, t.MaxClasses)
	if ms := t.MaxLatenessMs; ms > 0 && ms <= maxLatenessMs { // beyond: a crafted file, unknown
		b.run.MaxLateness = max(b.run.MaxLateness, time.Duration(ms)*time.Millisecond)
	}
	if len(t.Contract) == 0 {
		return
	}
	var c contract.Report
	if err := c.UnmarshalJSON(t.Contract); err != nil {
		b.note("%s: the trailer's contract checks do not parse (%v): left out", b.name, err)
		return
	}
	if b.run.Contract == nil {
		b.run.Contract = &contract.Report{}
	}
	b.run.Contract.Merge(&c)
	b.contracts++
}

// target adds a distinct target, counting those beyond MaxTargets.
func (b *builder) target(t string) {
	if slices.Contains(b.targets, t) {
		return
	}
	if len(b.targets) >= MaxTargets {
		b.moreTargets++ // may count one target twice: only "more" is said
		return
	}
	b.targets = append(b.targets, t)
}

// finish settles what depends on every stream.
func (b *builder) finish() {
	b.run.Target = joinDistinct(b.targets, "targets")
	if b.moreTargets > 0 {
		b.run.Target += "; and more"
	}
	b.run.Pacer = joinDistinct(b.pacers, "load shapes")
	b.run.SendDelayUnknown = b.streams > 0 && b.vegetaStreams == b.streams
	if b.closedStreams > 0 && b.closedStreams < b.streams {
		// A run is a closed model's only when all of it is: the open
		// streams' latency runs from their schedule, and their send delay
		// is real.
		b.run.Concurrency = 0
		b.note("%d of the %d result files are closed-model runs, whose latency runs from each actual send: it cannot show coordinated omission, the others' can", b.closedStreams, b.streams)
	}
	b.run.RunID = joinDistinct(b.runIDs, "runs")
	b.run.Tool = joinDistinct(b.tools, "tools")
	b.run.Interrupted = strings.Join(b.interrupted, ", ")
	b.shardsMissing()
	b.periods()
	if b.conditionsDiffer {
		b.run.Conditions = nil
		b.note("the files were judged by different thresholds: they are judged by the defaults (or the --threshold given)")
	}
	if b.run.Contract != nil && b.withoutTrailer > 0 {
		b.note("the rate-limit contract covers %d of %d files", b.contracts, b.contracts+b.withoutTrailer)
	}
}

// periods settles whether the streams ran at different times: streams
// whose spans of time overlap, or that are shards of one run, ran
// together; two groups or more that do not overlap are runs apart, whose
// rates count only the time they cover (Summary.Spans) and whose loads
// are listed each with its own duration (Run.Periods).
func (b *builder) periods() {
	var groups []Period
	byRun := map[string]int{} // run id → its group
	for _, sp := range b.spans {
		if sp.Requests == 0 {
			continue // no time covered
		}
		if i, ok := byRun[sp.group]; ok && sp.group != "" {
			groups[i] = joinPeriods(groups[i], sp.Period)
			continue
		}
		if sp.group != "" {
			byRun[sp.group] = len(groups)
		}
		groups = append(groups, sp.Period)
	}
	slices.SortStableFunc(groups, func(a, c Period) int { return a.FirstScheduled.Compare(c.FirstScheduled) })
	var apart []Period
	for _, g := range groups {
		if n := len(apart); n > 0 && apart[n-1].overlaps(g.Span) {
			apart[n-1] = joinPeriods(apart[n-1], g)
			continue
		}
		apart = append(apart, g)
	}
	if len(apart) < 2 {
		return
	}
	b.run.Periods = apart
	b.run.Summary.Spans = make([]Span, len(apart))
	b.run.Summary.Retries.Spans = make([]Span, len(apart))
	b.run.Planned = 0
	for i, p := range apart {
		b.run.Summary.Spans[i] = p.Span
		b.run.Summary.Retries.Spans[i] = p.logical
		if b.run.Planned >= 0 && p.Planned > 0 {
			b.run.Planned += p.Planned
		} else {
			b.run.Planned = -1 // one unbounded: the whole is
		}
	}
	b.run.Planned = max(b.run.Planned, 0)
	b.note("the result files were recorded at different times, as %d runs with gaps between them: the rates and the duration count the %s they cover, not the gaps", len(apart), b.run.Summary.Duration().Round(time.Millisecond))
}

// joinPeriods is the period of two that ran together: the spans covering
// both, the longer planned duration, and their shapes.
func joinPeriods(a, c Period) Period {
	if c.Pacer != "" && c.Pacer != a.Pacer {
		if a.Pacer != "" {
			a.Pacer += " and " + c.Pacer
		} else {
			a.Pacer = c.Pacer
		}
	}
	a.Planned = max(a.Planned, c.Planned)
	a.Span, a.logical = a.Span.join(c.Span), a.logical.join(c.logical)
	return a
}

// note adds a remark for the report's reader.
func (b *builder) note(format string, args ...any) {
	b.run.Notes = append(b.run.Notes, fmt.Sprintf(format, args...))
}

// appendNew appends v unless it is the zero value ("", 0) or already there.
func appendNew[T comparable](list []T, v T) []T {
	var zero T
	if v == zero || slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// joinDistinct renders one value as itself and several as "n things: a; b".
func joinDistinct(values []string, things string) string {
	switch len(values) {
	case 0:
		return ""
	case 1:
		return values[0]
	}
	return fmt.Sprintf("%d %s: %s", len(values), things, strings.Join(values, "; "))
}
