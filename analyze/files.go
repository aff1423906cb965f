package analyze

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
	"github.com/stampede-dev/stampede/records/vegetafile"
)

// ErrNotResults means a file is neither a stampede nor a vegeta result
// file, nor a probe's report.
var ErrNotResults = errors.New("not a stampede or vegeta result file")

// checkEvery is how many records are read between two looks at the
// context: a cancelled report stops within a few milliseconds.
const checkEvery = 4096

// FileOptions configure Files.
type FileOptions struct {
	// Classify configures the classifier of vegeta results, whose bodies
	// are classified again (at most Classify.MaxClasses classes, the
	// default 200 if 0); stampede files carry their classes.
	Classify classify.Options
	// Stdin is read for the path "-"; nil for os.Stdin.
	Stdin io.Reader
	// Strict makes a damaged vegeta entry an error instead of a note that
	// keeps the results before it: for an export, which must not drop
	// results silently.
	Strict bool
}

// Files is the source of result files read back: stampede's own, of every
// format version, vegeta's (gob, JSON or CSV; their bodies are classified
// again), and probe reports, in the order given. Several files, the shards
// of one run or repeated runs, make one run: Consume merges them exactly.
//
// A file that cannot be opened or is of no known kind is an error naming
// it; damage inside a file (bad checksums, a cut end) is skipped and noted
// in the stream's End. Next returns ctx's error when ctx is cancelled.
func Files(paths []string, opts FileOptions) Source {
	if opts.Stdin == nil {
		opts.Stdin = os.Stdin
	}
	return &files{paths: paths, opts: opts, policy: redact.NewPolicy()}
}

// files reads the files one after the other.
type files struct {
	paths  []string
	opts   FileOptions
	policy redact.Policy

	opened  bool       // a file was opened
	current fileStream // the file being read; nil between files
	close   func()

	classifier *classify.Classifier // of vegeta results, made on the first one
}

// fileStream is one open file being read.
type fileStream interface {
	next(ctx context.Context, ev *Event) (done bool, err error)
}

// Next implements Source.
func (f *files) Next(ctx context.Context, ev *Event) error {
	for f.current == nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if len(f.paths) == 0 {
			if !f.opened {
				return errors.New("no result file given")
			}
			return io.EOF
		}
		f.opened = true
		path := f.paths[0]
		f.paths = f.paths[1:]
		opened, err := f.open(path, ev)
		f.current = opened
		if err != nil || ev.Kind != 0 {
			return err // the file's Begin, its probe, or why it cannot be read
		}
	}
	done, err := f.current.next(ctx, ev)
	if done || err != nil {
		f.close()
		f.current = nil
	}
	return err
}

// Close closes the file being read, if one is: a sink failed before its
// end.
func (f *files) Close() error {
	if f.current != nil {
		f.close()
		f.current = nil
	}
	return nil
}

// open opens a file, tells its kind from its first bytes, and starts its
// stream: a result file's Begin, or a probe report whole. A file of no
// kind Files reads is an error naming it.
func (f *files) open(path string, ev *Event) (fileStream, error) {
	in, closeFile, err := open(path, f.opts.Stdin)
	if err != nil {
		return nil, err
	}
	name := fileName(path)
	br := bufio.NewReaderSize(in, 64<<10)
	prefix, err := br.Peek(512)
	if errors.Is(err, io.EOF) || errors.Is(err, bufio.ErrBufferFull) {
		err = nil // a short file: its prefix is all of it
	}
	var s fileStream
	switch {
	case err != nil:
		err = fmt.Errorf("read %s: %w", name, err)
	case len(prefix) == 0:
		err = fmt.Errorf("%s: empty file: %w", name, ErrNotResults)
	case strings.HasPrefix(string(prefix), records.Magic):
		s, err = f.stampede(name, br, ev)
	case probefile.Detect(prefix):
		err = f.probe(name, br, ev)
	default:
		if _, ok := vegetafile.Detect(prefix); ok {
			s, err = f.vegeta(name, br, ev)
		} else {
			err = fmt.Errorf("%s: %w (a stampede file starts with %q; vegeta files are gob, JSON lines or CSV)", name, ErrNotResults, records.Magic)
		}
	}
	if ev.Kind != 0 {
		ev.Source = path // as given: "-" for standard input
	}
	if s == nil {
		closeFile()
		return nil, err
	}
	f.close = closeFile
	return s, err
}

// probe reads a probe's report whole into ev.
func (f *files) probe(name string, in io.Reader, ev *Event) error {
	p, err := probefile.Read(in)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	ev.Kind, ev.Probe = EventProbe, &p
	return nil
}

// fileName names a file in messages: its path, or "standard input" for
// "-".
func fileName(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}

// open opens a result file, or stdin for "-".
func open(path string, stdin io.Reader) (in io.Reader, closeFile func(), err error) {
	if path == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("open result file: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: is a directory, not a result file", path)
	}
	return f, func() { f.Close() }, nil
}

// stampedeStream streams a stampede result file.
type stampedeStream struct {
	name      string
	r         *records.Reader
	n         uint64
	described map[uint32]bool // classes whose description went with a record
	last      uint32          // the class of the last record: runs of one class skip the map
	named     map[uint32]bool // requests whose name went with a record: at most the reader's records.MaxRequests
	lastNamed uint32          // the request of the last record: runs of one request skip the map
}

// stampede starts a stampede result file's stream with its Begin.
func (f *files) stampede(name string, in io.Reader, ev *Event) (fileStream, error) {
	r, err := records.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ev.Kind, ev.Header = EventBegin, r.Header()
	if r.HeaderLost() != nil {
		ev.Header.Start = time.Time{} // unknown: the records' times are offsets from records.LostHeaderStart
	}
	return &stampedeStream{name: name, r: r, described: map[uint32]bool{}, named: map[uint32]bool{}}, nil
}

func (s *stampedeStream) next(ctx context.Context, ev *Event) (bool, error) {
	err := s.r.Next(&ev.Record)
	if errors.Is(err, io.EOF) {
		s.end(ev)
		return true, nil
	}
	if err != nil {
		return true, fmt.Errorf("read %s after %d records: %w", s.name, s.n, err)
	}
	if s.n++; s.n%checkEvery == 0 && ctx.Err() != nil {
		return true, ctx.Err()
	}
	ev.Kind = EventRecord
	// Runs of one class or request skip the maps: each id is looked at
	// once per run of it, and described on its first record.
	if id := ev.Record.Class; id != 0 && id != s.last {
		s.last = id
		if !s.described[id] {
			s.described[id] = true
			if c, ok := s.r.Class(id); ok {
				ev.Class = &c
			}
		}
	}
	if id := ev.Record.Request; id != 0 && id != s.lastNamed {
		s.lastNamed = id
		if !s.named[id] {
			if name, ok := s.r.Request(id); ok { // else OtherRequests: its name frame was dropped or damaged
				s.named[id], ev.RequestName = true, name
			}
		}
	}
	return false, nil
}

// end ends the file's stream: its trailer, its classes with their samples,
// and the damage read past.
func (s *stampedeStream) end(ev *Event) {
	e := &End{Trailer: s.r.Trailer(), Described: s.r.Classes(), HeaderLost: s.r.HeaderLost() != nil, TrailerDamaged: s.r.TrailerDamaged()}
	if err := s.r.HeaderLost(); err != nil {
		e.Notes = append(e.Notes, fmt.Sprintf("the header of %s is damaged (%v): its run metadata (start time, command, target, thresholds) is lost; %d records were read after it, their times relative to the unknown start (shown from %s)",
			s.name, err, s.r.Records(), records.LostHeaderStart.Format(time.RFC3339)))
	}
	if n := s.r.Skipped(); n > 0 {
		e.Notes = append(e.Notes, fmt.Sprintf("%s: %d damaged bytes skipped (bad checksums or a cut end); the records around them were read", s.name, n))
	}
	if d := s.r.DroppedClasses(); d > 0 {
		e.Notes = append(e.Notes, fmt.Sprintf("%s: %d class descriptions beyond the reader's limit ignored; their records were classified by status and code", s.name, d))
	}
	if d := s.r.DroppedRequests(); d > 0 {
		e.Notes = append(e.Notes, fmt.Sprintf("%s: %d request names beyond the reader's limit ignored; their records count as %s", s.name, d, OtherRequests))
	}
	ev.Kind, ev.End = EventEnd, e
}

// vegetaStream streams a vegeta result file, classifying every result again
// from its stored body.
type vegetaStream struct {
	name       string
	r          *vegetafile.Reader
	res        vegetafile.Result
	n          uint64
	classifier *classify.Classifier
	truncated  uint64 // the classifier's count before this file
	policy     redact.Policy
	strict     bool
	described  map[uint32]bool // classes whose description went with a record of this file
	names      requestNames    // "METHOD /path" of the file's requests → their ids in the stream
}

// vegeta starts a vegeta result file's stream with its Begin.
func (f *files) vegeta(name string, in io.Reader, ev *Event) (fileStream, error) {
	r, err := vegetafile.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.classifier == nil {
		if f.classifier, err = classify.New(f.opts.Classify); err != nil {
			return nil, fmt.Errorf("classifier: %w", err)
		}
	}
	ev.Kind, ev.Header.Tool = EventBegin, "vegeta ("+r.Encoding()+")"
	return &vegetaStream{
		name: name, r: r, classifier: f.classifier, truncated: f.classifier.Truncated(),
		policy: f.policy, strict: f.opts.Strict, described: map[uint32]bool{},
	}, nil
}

// next reads one result. A malformed entry ends the file, with a note: the
// results before it count (unless strict).
func (v *vegetaStream) next(ctx context.Context, ev *Event) (bool, error) {
	err := v.r.Next(&v.res)
	if v.strict && v.r.SkippedLines() > 0 {
		return true, fmt.Errorf("%s: %s", v.name, v.skippedNote())
	}
	if errors.Is(err, io.EOF) {
		ev.Kind, ev.End = EventEnd, v.end()
		ev.End.Notes = v.skippedNotes()
		return true, nil
	}
	if err != nil {
		problem := entryProblem(v.r.Encoding(), int(v.n+1), err)
		if v.strict {
			return true, fmt.Errorf("%s: %s", v.name, problem)
		}
		ev.Kind, ev.End = EventEnd, v.end()
		ev.End.Notes = append(v.skippedNotes(), fmt.Sprintf("%s: %s; the %d results before it were read", v.name, problem, v.n))
		return true, nil
	}
	if v.n++; v.n%checkEvery == 0 && ctx.Err() != nil {
		return true, ctx.Err()
	}
	res := &v.res
	ev.Kind, ev.Record = EventRecord, res.Record
	ev.Method = res.Method
	if res.URL != "" {
		ev.URL = v.policy.URL(res.URL)
	}
	ev.Record.Request, ev.RequestName = v.names.id(pathName(ev.Method, ev.URL))
	cl := stamp(v.classifier, ev, &classify.Response{
		Status: res.Record.Status, Kind: res.Record.ErrorKind, ContentType: res.ContentType, ContentEncoding: res.ContentEncoding,
		Body: res.Body, BodyLen: res.Record.BytesIn, Method: res.Method, URL: res.URL,
	})
	if !v.described[cl.Class.ID] { // the classifier outlives the file: its class may be older
		v.described[cl.Class.ID] = true
		ev.Class = &cl.Class.Class
	}
	return false, nil
}

// skippedNotes is the note on the file's over-long lines, if any.
func (v *vegetaStream) skippedNotes() []string {
	if v.r.SkippedLines() == 0 {
		return nil
	}
	return []string{v.name + ": " + v.skippedNote()}
}

// skippedNote says how many over-long lines were skipped.
func (v *vegetaStream) skippedNote() string {
	return fmt.Sprintf("%d damaged lines skipped: each longer than the limit of %d bytes for a line of vegeta JSON results; the results around them were read", v.r.SkippedLines(), vegetafile.MaxJSONLine)
}

// end is how the file ends: what its classification cut and bounded.
func (v *vegetaStream) end() *End {
	return &End{Truncated: v.classifier.Truncated() - v.truncated, ClassLimit: v.classifier.Classes().Max()}
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
