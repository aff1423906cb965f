// Package replay reads result files back into one report: stampede's own
// files, of every format version, and vegeta's (gob, JSON or CSV). Several
// files, the shards of one run or repeated runs, merge into one analysis:
// every record goes into one summary, so histograms, counts and timelines
// are exactly those of a single file holding all the records. Memory stays
// bounded by the summary's bounds, whatever the files' lengths.
package replay

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
	"github.com/stampede-dev/stampede/records/vegetafile"
)

// Options configure Load.
type Options struct {
	// Classify configures the classifier of vegeta results, whose bodies
	// are classified again (at most Classify.MaxClasses classes, the
	// default 200 if 0); stampede files carry their classes.
	Classify classify.Options
	// Stdin is read for the path "-"; nil for os.Stdin.
	Stdin io.Reader
}

// MaxTargets bounds the distinct targets a report names; vegeta files of
// one URL per id have many.
const MaxTargets = 10

// checkEvery is how many records are read between two looks at the
// context: a cancelled report stops within a few milliseconds.
const checkEvery = 4096

// ErrNotResults means a file is neither a stampede nor a vegeta result file.
var ErrNotResults = errors.New("not a stampede or vegeta result file")

// Load reads result files and returns their merged analysis. A file that
// cannot be opened or is not a result file is an error naming it; damage
// inside a file (bad checksums, a cut end) is skipped and reported in
// Run.Notes.
//
// The summary keeps as many classes as the files describe, up to the
// reader's own bound (records.MaxClasses): a report shows the classes of
// the run, whatever --max-classes it ran with. Load stops with ctx's error
// when ctx is cancelled.
func Load(ctx context.Context, paths []string, opts Options) (analyze.Run, error) {
	if len(paths) == 0 {
		return analyze.Run{}, errors.New("no result file given")
	}
	classifier, err := classify.New(opts.Classify)
	if err != nil {
		return analyze.Run{}, fmt.Errorf("classifier: %w", err)
	}
	l := &loader{
		ctx:        ctx,
		run:        analyze.Run{Summary: analyze.NewSummaryFor(classify.NewClassTable(records.MaxClasses))},
		classifier: classifier,
		policy:     redact.NewPolicy(),
		seen:       map[string]string{},
	}
	for _, path := range paths {
		if err := l.file(path, opts.Stdin); err != nil {
			return analyze.Run{}, err
		}
	}
	l.finish()
	return l.run, nil
}

// loader accumulates files into one run.
type loader struct {
	ctx        context.Context
	run        analyze.Run
	classifier *classify.Classifier // of vegeta results
	vegetaIDs  map[uint32]uint32    // the classifier's class ids → the summary's
	policy     redact.Policy

	targets, pacers, runIDs, tools, interrupted []string
	moreTargets                                 int               // distinct targets beyond MaxTargets
	contracts, withoutTrailer                   int               // files with and without contract checks
	seen                                        map[string]string // "run id/shard" → the file that had it
}

// file reads one result file into the run.
func (l *loader) file(path string, stdin io.Reader) error {
	src, err := sniff(path, stdin)
	if err != nil {
		return err
	}
	defer src.close()
	l.run.Sources = append(l.run.Sources, path)
	switch src.kind {
	case stampedeKind:
		return l.stampede(src.name, src.r)
	case probeKind:
		return l.probe(src.name, src.r)
	}
	return l.vegeta(src.name, src.r)
}

// fileKind is what a file holds.
type fileKind uint8

// The kinds of files Load reads.
const (
	stampedeKind fileKind = iota // a stampede result file
	vegetaKind                   // a vegeta result file: gob, JSON or CSV
	probeKind                    // the JSON report of stampede probe
)

// source is an open file whose kind is known.
type source struct {
	r     *bufio.Reader // from the file's first byte
	name  string        // for messages: the path, or "standard input"
	kind  fileKind
	close func()
}

// sniff opens a file and tells its kind from its first bytes; a file of
// no kind Load reads is an error naming it.
func sniff(path string, stdin io.Reader) (source, error) {
	in, name, closeFile, err := open(path, stdin)
	if err != nil {
		return source{}, err
	}
	src := source{r: bufio.NewReaderSize(in, 64<<10), name: name, close: closeFile}
	prefix, err := src.r.Peek(512)
	if errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
		err = nil // a short file: its prefix is all of it
	}
	switch {
	case err != nil:
		err = fmt.Errorf("read %s: %w", name, err)
	case len(prefix) == 0:
		err = fmt.Errorf("%s: empty file: %w", name, ErrNotResults)
	case strings.HasPrefix(string(prefix), records.Magic):
		src.kind = stampedeKind
	case isProbeReport(prefix):
		src.kind = probeKind
	default:
		if _, ok := vegetafile.Detect(prefix); ok {
			src.kind = vegetaKind
		} else {
			err = fmt.Errorf("%s: %w (a stampede file starts with %q; vegeta files are gob, JSON lines or CSV)", name, ErrNotResults, records.Magic)
		}
	}
	if err != nil {
		closeFile()
		return source{}, err
	}
	return src, nil
}

// entryProblem says what is wrong with entry n of a vegeta file, without
// the decoder's words: they quote the entry, secrets and all.
func entryProblem(encoding string, n int, err error) string {
	how := "does not decode"
	if errors.Is(err, io.ErrUnexpectedEOF) {
		how = "is cut short"
	}
	return fmt.Sprintf("vegeta %s results: entry %d %s", encoding, n, how)
}

// maxProbeReport bounds the size of a probe's JSON report: a real one is
// a few kilobytes per round.
const maxProbeReport = 4 << 20

// isProbeReport reports whether a file starts like the JSON report of
// `stampede probe --format json`.
func isProbeReport(prefix []byte) bool {
	p := bytes.TrimLeft(prefix, " \t\r\n")
	return len(p) > 0 && p[0] == '{' && bytes.Contains(p, []byte(`"schema"`)) && bytes.Contains(p, []byte(`"`+probefile.Schema+`"`))
}

// probe reads the JSON report of `stampede probe`, shown beside the
// results.
func (l *loader) probe(name string, in io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(in, maxProbeReport+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxProbeReport {
		return fmt.Errorf("%s: a probe report of more than %d bytes", name, maxProbeReport)
	}
	var p probefile.Report
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("%s: a probe report that does not parse: %w", name, err)
	}
	if p.Schema != probefile.Schema {
		return fmt.Errorf("%s: probe report of schema %q; this stampede reads %q", name, p.Schema, probefile.Schema)
	}
	l.run.Probes = append(l.run.Probes, p)
	return nil
}

// stampede reads a stampede result file.
func (l *loader) stampede(name string, in io.Reader) error {
	r, err := records.NewReader(in)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	h := r.Header()
	l.header(h)
	if h.RunID != "" {
		key := h.RunID + "/" + h.Shard
		if first, dup := l.seen[key]; dup {
			l.note("%s and %s are both shard %q of run %s: the same records counted twice?", first, name, h.Shard, h.RunID)
		} else {
			l.seen[key] = name
		}
	}
	ids := map[uint32]uint32{} // the file's class ids → the summary's
	var rec records.Record
	var n uint64
	for {
		err := r.Next(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s after %d records: %w", name, n, err)
		}
		n++
		if n%checkEvery == 0 && l.ctx.Err() != nil {
			return l.ctx.Err()
		}
		if rec.Class != 0 {
			id, ok := ids[rec.Class]
			if !ok {
				if c, known := r.Class(rec.Class); known {
					id = l.run.Summary.ImportClass(c, nil)
				}
				ids[rec.Class] = id // 0 for a class the file does not describe: classified from the record
			}
			rec.Class = id
		}
		l.run.Summary.Add(&rec)
	}
	for _, e := range r.Classes() { // samples may follow the records of their class
		l.run.Summary.ImportClass(e.Class, e.Samples)
	}
	l.run.Records += n
	l.run.ResultFiles++
	if r.Skipped() > 0 {
		l.note("%s: %d damaged bytes skipped (bad checksums or a cut end); the records around them were read", name, r.Skipped())
	}
	if d := r.DroppedClasses(); d > 0 {
		l.note("%s: %d class descriptions beyond the reader's limit ignored; their records were classified by status and code", name, d)
	}
	l.trailer(name, r.Trailer(), h.Version)
	return nil
}

// header takes in what a file's header says about its run.
func (l *loader) header(h records.Header) {
	if l.run.Start.IsZero() || h.Start.Before(l.run.Start) {
		l.run.Start = h.Start
	}
	if h.Target != "" {
		l.target(h.Target)
	}
	l.pacers = appendNew(l.pacers, h.Pacer)
	l.runIDs = appendNew(l.runIDs, h.RunID)
	l.tools = appendNew(l.tools, h.Tool)
	l.run.Shards = appendNew(l.run.Shards, h.Shard)
	l.run.Planned = max(l.run.Planned, h.Duration)
	if l.run.Command == nil && len(h.Command) > 0 {
		l.run.Command = h.Command
	}
}

// trailer takes in how a file's run ended.
func (l *loader) trailer(name string, t *records.Trailer, version int) {
	if t == nil {
		l.withoutTrailer++
		if version >= 3 {
			l.run.Unfinished++
			l.note("%s: no trailer, so the run did not end cleanly (a crash or a kill): its end and its rate-limit contract checks are not known", name)
		} else {
			l.note("%s: written by an older stampede (format %d), before result files kept the rate-limit contract checks", name, version)
		}
		return
	}
	l.interrupted = appendNew(l.interrupted, t.Interrupted)
	l.run.Unanswered += t.Unanswered
	l.run.Unsent += t.Unsent
	l.run.Truncated += t.Truncated
	l.run.BodyLimit = max(l.run.BodyLimit, t.BodyLimit)
	if len(t.Contract) == 0 {
		return
	}
	var c contract.Report
	if err := c.UnmarshalJSON(t.Contract); err != nil {
		l.note("%s: the trailer's contract checks do not parse (%v): left out", name, err)
		return
	}
	if l.run.Contract == nil {
		l.run.Contract = &contract.Report{}
	}
	l.run.Contract.Merge(&c)
	l.contracts++
}

// vegeta reads a vegeta result file: each result is classified again from
// its stored body. A malformed entry ends the file, with a note: the
// results before it count.
func (l *loader) vegeta(name string, in io.Reader) error {
	r, err := vegetafile.NewReader(in)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	l.tools = appendNew(l.tools, "vegeta ("+r.Encoding()+")")
	if l.vegetaIDs == nil {
		l.vegetaIDs = map[uint32]uint32{}
	}
	truncated := l.classifier.Truncated()
	var res vegetafile.Result
	var n uint64
	var first time.Time
	for {
		err := r.Next(&res)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l.note("%s: %s; the %d results before it were read", name, entryProblem(r.Encoding(), int(n+1), err), n)
			break
		}
		n++
		if n%checkEvery == 0 && l.ctx.Err() != nil {
			return l.ctx.Err()
		}
		rec := &res.Record
		if first.IsZero() || rec.Scheduled.Before(first) {
			first = rec.Scheduled
		}
		if res.Method != "" && res.URL != "" {
			l.target(res.Method + " " + l.policy.URL(res.URL))
		}
		cl := l.classifier.Classify(&classify.Response{
			Status: rec.Status, Kind: rec.ErrorKind, ContentType: res.ContentType, ContentEncoding: res.ContentEncoding,
			Body: res.Body, BodyLen: rec.BytesIn, Method: res.Method, URL: res.URL,
		})
		id, ok := l.vegetaIDs[cl.Class.ID]
		if !ok || cl.NewSample {
			id = l.run.Summary.ImportClass(cl.Class.Class, cl.Class.Samples)
			l.vegetaIDs[cl.Class.ID] = id
		}
		rec.Class, rec.ErrorCode, rec.Category = id, cl.Class.Code, cl.Class.Category
		l.run.Summary.Add(rec)
	}
	if !first.IsZero() && (l.run.Start.IsZero() || first.Before(l.run.Start)) {
		l.run.Start = first
	}
	l.run.Records += n
	l.run.ResultFiles++
	l.run.Truncated += l.classifier.Truncated() - truncated
	l.withoutTrailer++ // vegeta files have no contract checks
	return nil
}

// target adds a distinct target, counting those beyond MaxTargets.
func (l *loader) target(t string) {
	if slices.Contains(l.targets, t) {
		return
	}
	if len(l.targets) >= MaxTargets {
		l.moreTargets++ // may count one target twice: only "more" is said
		return
	}
	l.targets = append(l.targets, t)
}

// finish settles what depends on all the files.
func (l *loader) finish() {
	l.run.Target = joinDistinct(l.targets, "targets")
	if l.moreTargets > 0 {
		l.run.Target += "; and more"
	}
	l.run.Pacer = joinDistinct(l.pacers, "load shapes")
	l.run.RunID = joinDistinct(l.runIDs, "runs")
	l.run.Tool = joinDistinct(l.tools, "tools")
	l.run.Interrupted = strings.Join(l.interrupted, ", ")
	if l.run.Contract != nil && l.withoutTrailer > 0 {
		l.note("the rate-limit contract covers %d of %d files", l.contracts, l.contracts+l.withoutTrailer)
	}
}

// note adds a remark for the report's reader.
func (l *loader) note(format string, args ...any) {
	l.run.Notes = append(l.run.Notes, fmt.Sprintf(format, args...))
}

// appendNew appends s unless it is empty or already there.
func appendNew(list []string, s string) []string {
	if s == "" || slices.Contains(list, s) {
		return list
	}
	return append(list, s)
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
