package analyze

import (
	"errors"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/vegetafile"
)

// FlushInterval bounds how long a record can sit in the result file's
// buffer during a live run: a process killed outright loses at most this
// much (plus a TickInterval).
const FlushInterval = 500 * time.Millisecond

// WriteError is a sink's failure to write its output, as opposed to a
// failure to read the inputs: the command exits with a runtime error.
type WriteError struct {
	What string // what was being written, e.g. "result file"
	Err  error
}

// Error says what could not be written, and why.
func (e *WriteError) Error() string { return "write " + e.What + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *WriteError) Unwrap() error { return e.Err }

// ResultFile is the sink that writes a stream as a result file: the
// header at Begin, each record after the class, sample and name frames it
// brings, a flush every FlushInterval of a live run, and the trailer at
// End. It holds one stream.
type ResultFile struct {
	out     io.Writer
	w       *records.Writer
	flushed time.Duration // the Elapsed of the last flush
}

// NewResultFile returns the sink that writes a result file to w.
func NewResultFile(w io.Writer) *ResultFile { return &ResultFile{out: w} }

// Count returns the records written so far.
func (f *ResultFile) Count() uint64 {
	if f.w == nil {
		return 0
	}
	return f.w.Count()
}

// Observe implements Sink.
func (f *ResultFile) Observe(ev *Event, _ *Run) error {
	switch ev.Kind {
	case EventBegin:
		if f.w != nil {
			return &WriteError{"result file", errors.New("a result file holds one stream")}
		}
		w, err := records.NewWriter(f.out, ev.Header)
		if err == nil {
			err = w.Flush() // the header is out before the first request leaves
		}
		if err != nil {
			return &WriteError{"result file header", err}
		}
		f.w = w
	case EventRecord:
		return f.wrap(f.record(ev))
	case EventTick:
		if ev.Elapsed-f.flushed >= FlushInterval {
			f.flushed = ev.Elapsed
			return f.wrap(f.w.Flush())
		}
	case EventEnd:
		if t := ev.End.Trailer; t != nil {
			if err := f.w.WriteTrailer(t); err != nil {
				return f.wrap(err)
			}
		}
		return f.wrap(f.w.Flush())
	}
	return nil
}

// record writes a record, preceded by the frame of its class when the
// record describes it, by the frame of the sample it added and by the
// frame of its request's name when the record gives it: a class or name
// frame always comes before the records that refer to it.
func (f *ResultFile) record(ev *Event) error {
	if ev.RequestName != "" && ev.Record.Request != 0 {
		if err := f.w.WriteRequest(ev.Record.Request, ev.RequestName); err != nil {
			return err
		}
	}
	if ev.Class != nil {
		if err := f.w.WriteClass(ev.Class); err != nil {
			return err
		}
	}
	if ev.Sample != "" {
		if err := f.w.WriteSample(ev.Record.Class, []byte(ev.Sample)); err != nil {
			return err
		}
	}
	return f.w.Write(&ev.Record)
}

// Finish implements Finisher: what is buffered is written, whatever ended
// the stream.
func (f *ResultFile) Finish(_ *Run, _ error) error {
	if f.w == nil {
		return nil
	}
	return f.wrap(f.w.Flush())
}

// wrap marks a failure as the result file's.
func (f *ResultFile) wrap(err error) error {
	if err == nil {
		return nil
	}
	return &WriteError{"result file", err}
}

// VegetaJSON is the sink that writes the records of a stream as vegeta
// JSON results, one per line, for vegeta's tools (vegeta report, plot,
// encode). A record of a vegeta file keeps the method and URL of its own
// request (redacted, "" where the file had none); a record of a stampede
// file gets those of its class's example request on the stream's target,
// or the target itself: both are redacted already. Probe reports have no
// records and are skipped.
type VegetaJSON struct {
	w              *vegetafile.Writer
	method, target string               // of the stream begun last
	requests       map[uint32][2]string // the stream's class ids → method and URL of their example
	own            bool                 // the stream gives each record its request (no stampede file)
}

// NewVegetaJSON returns the sink that writes vegeta JSON results to w.
func NewVegetaJSON(w io.Writer) *VegetaJSON {
	return &VegetaJSON{w: vegetafile.NewWriter(w, "stampede")}
}

// Observe implements Sink.
func (x *VegetaJSON) Observe(ev *Event, _ *Run) error {
	switch ev.Kind {
	case EventBegin:
		x.method, x.target = splitTarget(ev.Header.Target)
		x.requests = map[uint32][2]string{}
		x.own = ev.Header.Version == 0
	case EventRecord:
		m, u := ev.Method, ev.URL
		if !x.own {
			if ev.Class != nil {
				em, eu := requestOf(ev.Class.Example, x.method, x.target)
				x.requests[ev.Record.Class] = [2]string{em, eu}
			}
			m, u = x.method, x.target
			if req, ok := x.requests[ev.Record.Class]; ok {
				m, u = req[0], req[1]
			}
		}
		if err := x.w.Write(&ev.Record, m, u); err != nil {
			return &WriteError{"vegeta results", err}
		}
	}
	return nil
}

// Finish implements Finisher.
func (x *VegetaJSON) Finish(_ *Run, _ error) error {
	if err := x.w.Flush(); err != nil {
		return &WriteError{"vegeta results", err}
	}
	return nil
}

// splitTarget splits "GET http://host/path" into its method and URL.
func splitTarget(target string) (method, rawURL string) {
	method, rawURL, ok := strings.Cut(target, " ")
	if !ok {
		return "", target
	}
	return method, rawURL
}

// requestOf resolves a class's example request, "METHOD /path", against
// the target's URL.
func requestOf(example, method, target string) (string, string) {
	m, path, ok := strings.Cut(example, " ")
	if !ok || !strings.HasPrefix(path, "/") {
		return method, target
	}
	base, err := url.Parse(target)
	if err != nil || base.Host == "" {
		return m, path
	}
	return m, base.Scheme + "://" + base.Host + path
}
