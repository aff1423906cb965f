package records

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// writeBufferSize is the size of the Writer's buffer: large enough to batch
// many records (each is some 20 to 300 bytes) into one write of the
// underlying io.Writer.
const writeBufferSize = 32 << 10

// Bounds of the payloads the Writer builds, which size its scratch buffers so
// that they never grow.
const (
	// maxRecordPayload bounds a record payload: twelve uvarints (two of them
	// string lengths) and one varint of at most 10 bytes each, the two kind
	// bytes, and the two strings.
	maxRecordPayload = 13*binary.MaxVarintLen64 + 2 + MaxCodeLen + MaxRetryAfterLen
	// maxClassPayload bounds a class payload: seven uvarints (five of them
	// string lengths), the kind, category and flags bytes, and the five
	// strings.
	maxClassPayload = 7*binary.MaxVarintLen64 + 3 + MaxCodeLen + MaxPatternLen + MaxDialectLen + MaxMessageLen + MaxExampleLen
	// maxSamplePayload bounds a sample payload: the class id, the body's
	// length and the body.
	maxSamplePayload = 2*binary.MaxVarintLen64 + MaxSampleLen
	// maxWritePayload is the largest of them; it is well below MaxPayloadLen.
	maxWritePayload = max(maxRecordPayload, maxClassPayload, maxSamplePayload, maxRequestPayload)
)

// Writer appends records, and the classes, samples and request names they
// refer to, to a result file. It buffers its output: call Flush regularly and at the end. A
// Writer is not safe for concurrent use.
type Writer struct {
	bw      *bufio.Writer
	start   time.Time // Header.Start, in UTC without a monotonic reading
	payload []byte    // scratch for the payload being encoded
	frame   []byte    // scratch for the frame being written
	count   uint64
	err     error // first write error; sticky
}

// NewWriter validates h, sets h.Version to FormatVersion and writes the file
// header to a buffer in front of w. The start time is stored in UTC.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	h.Version = FormatVersion
	h.Start = h.Start.UTC() // also drops the monotonic reading
	js, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	if len(js) > MaxHeaderLen {
		return nil, fmt.Errorf("header: JSON is %d bytes, more than the limit of %d", len(js), MaxHeaderLen)
	}

	buf := make([]byte, 0, len(Magic)+2+binary.MaxVarintLen64+len(js)+4)
	buf = append(buf, Magic...)
	buf = binary.LittleEndian.AppendUint16(buf, FormatVersion)
	buf = binary.AppendUvarint(buf, uint64(len(js)))
	buf = append(buf, js...)
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(js, castagnoli))

	wr := &Writer{
		bw:      bufio.NewWriterSize(w, writeBufferSize),
		start:   h.Start,
		payload: make([]byte, 0, maxWritePayload),
		frame:   make([]byte, 0, 1+binary.MaxVarintLen64+maxWritePayload+4),
	}
	if _, err := wr.bw.Write(buf); err != nil {
		return nil, err
	}
	return wr, nil
}

// Write appends r to the file as one record frame. Strings longer than their
// limits are truncated at a UTF-8 boundary, negative durations are stored as
// 0, and an ErrorKind or Category out of range is stored as ErrOther or
// CatUnknown. Scheduled is stored as a nanosecond offset from Header.Start,
// which saturates some 292 years away from it.
//
// Write does not allocate. Its error, like that of Flush, is sticky: after
// one write fails, every later call returns the same error.
func (w *Writer) Write(r *Record) error {
	if w.err != nil {
		return w.err
	}
	p := w.payload[:0]
	p = binary.AppendUvarint(p, r.Seq)
	p = binary.AppendVarint(p, int64(r.Scheduled.Sub(w.start)))
	p = binary.AppendUvarint(p, uint64(max(r.Sent, 0)))
	p = binary.AppendUvarint(p, uint64(max(r.Latency, 0)))
	p = binary.AppendUvarint(p, uint64(r.Status))
	p = binary.AppendUvarint(p, r.BytesIn)
	p = binary.AppendUvarint(p, r.BytesOut)
	p = append(p, byte(normalKind(r.ErrorKind)), byte(normalCategory(r.Category)))
	p = appendString(p, truncate(r.ErrorCode, MaxCodeLen))
	p = appendString(p, truncate(r.RetryAfter, MaxRetryAfterLen))
	p = binary.AppendUvarint(p, uint64(r.Attempt))
	p = binary.AppendUvarint(p, r.RequestID)
	p = binary.AppendUvarint(p, uint64(r.Class))
	p = binary.AppendUvarint(p, uint64(r.Request))
	if r.Retry != 0 || r.SinceFirst > 0 { // a reader takes absent fields as 0
		p = append(p, byte(r.Retry&retryFlagsKnown))
		p = binary.AppendUvarint(p, uint64(max(r.SinceFirst, 0)))
	}
	w.payload = p
	if err := w.writeFrame(frameRecord, p); err != nil {
		return err
	}
	w.count++
	return nil
}

// writeFrame writes one frame of the given kind around payload p, which
// must not alias w.frame. Its error is sticky.
func (w *Writer) writeFrame(kind byte, p []byte) error {
	f := append(w.frame[:0], kind)
	f = binary.AppendUvarint(f, uint64(len(p)))
	f = append(f, p...)
	crc := crc32.Update(crc32.Update(0, castagnoli, f[:1]), castagnoli, p)
	f = binary.LittleEndian.AppendUint32(f, crc)
	w.frame = f

	if _, err := w.bw.Write(f); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Flush writes the buffered header and records to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.bw.Flush(); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Count returns the number of records Write has accepted, flushed or not.
// Class and sample frames are not counted.
func (w *Writer) Count() uint64 { return w.count }

// appendString appends s with its uvarint length prefix.
func appendString(p []byte, s string) []byte {
	p = binary.AppendUvarint(p, uint64(len(s)))
	return append(p, s...)
}

// normalKind maps a kind out of range to ErrOther.
func normalKind(k ErrorKind) ErrorKind {
	if !k.valid() {
		return ErrOther
	}
	return k
}

// normalCategory maps a category out of range to CatUnknown.
func normalCategory(c Category) Category {
	if !c.valid() {
		return CatUnknown
	}
	return c
}
