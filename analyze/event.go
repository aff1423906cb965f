package analyze

import (
	"context"
	"time"

	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/probefile"
)

// Source is a stream of results: a live attack (Live) or result files
// (Files). Next fills ev with the next event, and returns io.EOF after the
// last one. A source ends its streams itself: every Begin is followed, in
// the end, by an End, unless Next fails. A source that holds something
// (an attack, an open file) is an io.Closer too: Consume closes it when
// done with it, whether the stream ended or a sink failed.
type Source interface {
	Next(ctx context.Context, ev *Event) error
}

// Sink observes every event of a stream once the run has taken it in (run
// is the Run so far; a sink must not change it). An error stops the
// stream: Consume returns it.
type Sink interface {
	Observe(ev *Event, run *Run) error
}

// Finisher is a Sink that has something to do once the stream is over,
// whether it ended or failed (err is then the failure): flush a file,
// close a display.
type Finisher interface {
	Finish(run *Run, err error) error
}

// EventKind says what an Event holds.
type EventKind uint8

// The kinds of events.
const (
	// EventBegin starts a stream: a live run, or one result file. Header
	// says what the stream knows of its run; Source names a file.
	EventBegin EventKind = iota + 1
	// EventRecord is one attempt's record, stamped with its class and its
	// request. Class describes the class on the stream's first record of
	// it; Sample is a sample body its class gained with this record;
	// RequestName names the request on the stream's first record of it.
	EventRecord
	// EventTick marks the passing of time in a live run (Elapsed since it
	// began): for the progress display and for flushing the result file.
	EventTick
	// EventEnd ends the stream begun last: End says how it ended.
	EventEnd
	// EventProbe is the report of a probe read beside result files
	// (Probe), named by Source.
	EventProbe
)

// Event is one step of a stream. Only the fields of its Kind are set.
type Event struct {
	Kind EventKind

	Header records.Header // EventBegin; its Version is 0 for a stream that is no stampede file (vegeta)
	Source string         // EventBegin, EventProbe: the file ("-" for standard input); "" for a live run

	Record records.Record // EventRecord
	Class  *records.Class // EventRecord: the description of Record.Class, on its first record; nil otherwise
	Sample string         // EventRecord: a new sample body of Record's class, "" if none
	// RequestName is the name of Record.Request on the stream's first
	// record of it, "" otherwise: a stream's request ids are its own, as
	// its class ids are. A Request the stream never names counts as
	// OtherRequests.
	RequestName string // EventRecord
	// Method and URL (redacted) are the record's request, for streams that
	// know it of every record (vegeta files); "" otherwise.
	Method, URL string

	Elapsed time.Duration // EventTick, and EventEnd of a live run: the time since the attack began

	End *End // EventEnd

	Probe *probefile.Report // EventProbe
}

// End is how a stream ended.
type End struct {
	// Trailer is what the stream says of its end: how the run ended and its
	// contract checks. Nil when it says nothing: a file of format 3 or
	// later that did not end cleanly (a crash), an older file, a vegeta
	// file.
	Trailer *records.Trailer
	// Truncated counts bodies classified from their start, and ClassLimit
	// is the classifier's bound on classes, for a stream without a Trailer
	// that was classified as it was read (vegeta files).
	Truncated  uint64
	ClassLimit int
	// Described are the classes the stream described, with their samples,
	// for streams whose samples may follow the records of their class
	// (result files); nil when every sample came with a record.
	Described []records.ClassEntry
	// Notes are remarks on reading the stream: damage skipped, parts
	// unknown.
	Notes []string
	// HeaderLost says the stream's header was damaged: its run's metadata,
	// thresholds among them, is unknown (records.Reader.HeaderLost).
	HeaderLost bool
	// TrailerDamaged says the stream has no readable trailer but a damaged
	// one, which is not the missing trailer of a crash
	// (records.Reader.TrailerDamaged).
	TrailerDamaged bool
}

// reset clears ev for the next event.
func (ev *Event) reset() { *ev = Event{} }
