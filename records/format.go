package records

import (
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// Magic is the first 8 bytes of every result file.
const Magic = "STAMPEDE"

// FormatVersion is the format version this package writes. It is stored as a
// little-endian uint16 after Magic.
//
// Version history: 1 has the record fields 1 to 13 and the record frame;
// 2 appends the record field 14 (Record.Class) and the class and sample frames;
// 3 appends the trailer frame; 4 appends the record field 15 (Record.Request)
// and the request name frame; 5 appends the record fields 16 and 17
// (Record.Retry, Record.SinceFirst), written only when either is not 0.
const FormatVersion = 5

// maxCompatibleVersion is the highest format version this package reads.
// Versions 1 to 255 are one compatible family: each only appends record
// fields, frame kinds and header keys to the one before, which a reader
// ignores. A version of 256 or more marks an incompatible format, and version
// 0 is never written.
const maxCompatibleVersion = 0xff

// Size limits of the format. A reader treats anything larger as corrupt.
const (
	MaxHeaderLen  = 1 << 20  // maximum length of the header JSON in bytes
	MaxPayloadLen = 64 << 10 // maximum length of a frame's payload in bytes
)

// Frame kinds. Every other kind is reserved; a reader skips frames of kinds it
// does not know.
const (
	frameRecord  byte = 'R' // a Record, since version 1
	frameClass   byte = 'C' // a Class, since version 2
	frameSample  byte = 'S' // a sample body of a class, since version 2
	frameTrailer byte = 'T' // the Trailer, since version 3
	frameRequest byte = 'N' // a RequestName, since version 4
)

// castagnoli is the CRC-32C table used for every checksum in the file.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Sentinel errors of NewReader, to be tested with errors.Is. The errors
// returned wrap them with the details of what was found.
var (
	// ErrNotResultFile means the input does not start with Magic.
	ErrNotResultFile = errors.New("not a stampede result file (bad magic)")
	// ErrUnsupportedVersion means the file's format version is one this
	// package cannot read.
	ErrUnsupportedVersion = errors.New("unsupported result file format version")
	// ErrCorruptHeader means the header is truncated, fails its checksum or
	// does not hold a valid JSON object.
	ErrCorruptHeader = errors.New("corrupt result file header")
)

// Header describes a run. It is stored once, at the start of a result file,
// as a JSON object; readers ignore keys they do not know, so new keys can be
// added without a format change.
type Header struct {
	Version  int           `json:"version"`               // format version; set by NewWriter, taken from the file by NewReader
	Start    time.Time     `json:"start"`                 // absolute start of the run; record times are stored as offsets from it (UTC, RFC 3339 with nanoseconds)
	Command  []string      `json:"command,omitempty"`     // command line, secrets already redacted by the caller
	Target   string        `json:"target,omitempty"`      // e.g. "GET http://127.0.0.1:8080/", redacted by the caller
	Pacer    string        `json:"pacer,omitempty"`       // the load shape, e.g. "constant{50 hits/1s}"
	Duration time.Duration `json:"duration_ns,omitempty"` // planned duration of the run
	// Concurrency is the workers of a closed model (each sends its next
	// request when its previous one is answered); 0 for the open model.
	Concurrency uint64 `json:"concurrency,omitempty"`
	RunID       string `json:"run_id,omitempty"` // identifies the run; shards of one run share it
	Shard       string `json:"shard,omitempty"`  // identifies this shard (machine) within the run
	Tool        string `json:"tool,omitempty"`   // "stampede <version>"
	// Thresholds are the conditions the run is judged by (a profile's, or
	// --threshold), so that a report of its results judges it the same;
	// none for the defaults.
	Thresholds []HeaderThreshold `json:"thresholds,omitempty"`
}

// HeaderThreshold is a threshold as the header keeps it: its expression
// in the threshold language (docs/thresholds.md).
type HeaderThreshold struct {
	Name  string `json:"name,omitempty"` // for people, when not the expression
	Expr  string `json:"expr"`
	Abort bool   `json:"abort,omitempty"`
}

// Validate reports every problem that keeps h from being written, joined into
// one error, or nil. Start must be set, since record times are stored as
// offsets from it, and must lie in the years 0 to 9999 that RFC 3339 can
// express; Duration must not be negative.
func (h Header) Validate() error {
	var errs []error
	if h.Start.IsZero() {
		errs = append(errs, errors.New("header: start time is not set"))
	} else if y := h.Start.UTC().Year(); y < 0 || y > 9999 {
		errs = append(errs, fmt.Errorf("header: start time %s is outside the years 0 to 9999", h.Start.UTC().Format(time.RFC3339Nano)))
	}
	if h.Duration < 0 {
		errs = append(errs, fmt.Errorf("header: duration %s is negative", h.Duration))
	}
	return errors.Join(errs...)
}
