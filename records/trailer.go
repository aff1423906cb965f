package records

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Trailer is what a run knows only at its end: how it ended and the
// outcome of checks that judge the run as a whole. A Writer stores it in
// one frame of kind 'T' (since version 3), normally the file's last; a file
// without one comes from an older writer or a run that crashed. The frame's
// payload is the JSON object below; readers ignore keys they do not know.
type Trailer struct {
	End         time.Time `json:"end"`                   // when the run stopped waiting for responses
	Interrupted string    `json:"interrupted,omitempty"` // the signal that cut the run short, "" if it ran to the end
	Unanswered  uint64    `json:"unanswered,omitempty"`  // attempts still in flight when the run gave up waiting
	Unsent      uint64    `json:"unsent,omitempty"`      // scheduled attempts never sent: the generator fell too far behind
	Truncated   uint64    `json:"truncated,omitempty"`   // bodies longer than the classification limit
	BodyLimit   int       `json:"body_limit,omitempty"`  // body bytes read for classification
	MaxClasses  int       `json:"max_classes,omitempty"` // the classifier's limit on classes
	// MaxLatenessMs is how far behind its schedule the generator could
	// fall, in milliseconds, before it stopped sending (and counted the
	// rest as Unsent); 0 if unknown.
	MaxLatenessMs int64 `json:"max_lateness_ms,omitempty"`
	// Contract is the outcome of the rate-limit contract checks
	// (contract.Report as JSON), absent when the run made none.
	Contract json.RawMessage `json:"contract,omitempty"`
	// Probes are the reports of the probe phases of a profile's run
	// (stampede/probe/v1 documents, as `stampede probe --format json`
	// writes them), absent without any.
	Probes []json.RawMessage `json:"probes,omitempty"`
}

// WriteTrailer writes the trailer frame. Its JSON must fit in one frame
// (MaxPayloadLen); the caller shortens what does not.
func (w *Writer) WriteTrailer(t *Trailer) error {
	if w.err != nil {
		return w.err
	}
	p, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode trailer: %w", err)
	}
	if len(p) > MaxPayloadLen {
		return fmt.Errorf("trailer of %d bytes: longer than a frame (%d)", len(p), MaxPayloadLen)
	}
	return w.writeFrame(frameTrailer, p)
}

// Trailer returns the file's trailer once Next has returned io.EOF, or nil
// if the file has none (an older writer, or a run that crashed before its
// end). When a crafted file holds several, the last wins.
func (r *Reader) Trailer() *Trailer { return r.trailer }

// decodeTrailer reads a trailer payload; false if it is not a JSON object.
func (r *Reader) decodeTrailer(p []byte) bool {
	if trimmed := bytes.TrimLeft(p, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return false // null, a number, an array: not a trailer
	}
	var t Trailer
	if err := json.Unmarshal(p, &t); err != nil {
		return false
	}
	r.trailer = &t
	return true
}
