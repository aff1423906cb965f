package records

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"time"
)

// maxFrameLen is the size of the largest frame a reader accepts: the kind
// byte, the longest uvarint length, the largest payload and the checksum.
const maxFrameLen = 1 + binary.MaxVarintLen64 + MaxPayloadLen + 4

// readBufferSize is the size of the Reader's buffer. It must hold a whole
// frame of maxFrameLen bytes, because frames are checked and decoded in place.
const readBufferSize = 128 << 10

// Limits of the Reader's table of interned strings: error codes and
// Retry-After values repeat, and interning them lets Next return them without
// allocating. The limits bound the table at some 512 KiB.
const (
	maxInterned    = 4096
	maxInternedLen = MaxCodeLen
)

// Reader reads records from a result file, and keeps a table of the classes
// described by the file's class and sample frames (see Classes) and one of
// the request names of its name frames (see Requests). It tolerates
// damage: it skips corrupt bytes to the next valid frame and stops quietly at
// a truncated last frame, counting the bytes it skipped. Its memory is bounded
// whatever the input. A Reader is not safe for concurrent use.
type Reader struct {
	br         *bufio.Reader
	h          Header
	headerLen  int64 // bytes of the header
	frameBytes int64 // bytes of the valid frames consumed
	skipped    int64 // bytes skipped as corrupt or truncated
	records    uint64
	unknown    uint64
	err        error // io.EOF or the underlying reader's error; sticky
	intern     map[string]string

	classes    []ClassEntry   // the class table, in the order read; at most MaxClasses
	classIndex map[uint32]int // class id to its index in classes
	dropped    uint64         // class frames ignored: duplicate ids or beyond MaxClasses
	trailer    *Trailer       // the last trailer frame read; nil for none

	requests        []RequestName  // the name table, in the order read; at most MaxRequests
	requestIndex    map[uint32]int // request id to its index in requests
	droppedRequests uint64         // name frames ignored: duplicate ids or beyond MaxRequests

	headerLost     error // why the header was lost (wraps ErrCorruptHeader); nil when it was read
	atFrame        bool  // a frame should start at the current position: after the header or a valid frame
	trailerDamaged bool  // a damaged frame was seen where the trailer would be, see TrailerDamaged
}

// NewReader reads and checks the header of a result file. Its errors wrap
// ErrNotResultFile, ErrUnsupportedVersion or ErrCorruptHeader with a message
// saying what was found, or are the underlying reader's error.
func NewReader(r io.Reader) (*Reader, error) {
	rd := &Reader{
		br:           bufio.NewReaderSize(r, readBufferSize),
		intern:       make(map[string]string),
		classIndex:   make(map[uint32]int),
		requestIndex: make(map[uint32]int),
	}
	if err := rd.readHeader(); err != nil {
		return nil, err
	}
	return rd, nil
}

// readHeader reads the magic, the version, the header JSON and its checksum.
func (r *Reader) readHeader() error {
	// n counts the bytes read so far, for the messages about truncation.
	var n int64
	truncated := func(where string) error {
		if n == 0 {
			return fmt.Errorf("%w: truncated in the %s: the file is empty", ErrCorruptHeader, where)
		}
		return fmt.Errorf("%w: truncated in the %s: the file ends after %d bytes", ErrCorruptHeader, where, n)
	}

	var magic [len(Magic)]byte
	m, err := io.ReadFull(r.br, magic[:])
	n += int64(m)
	if string(magic[:m]) != Magic[:m] {
		return fmt.Errorf("%w: the file starts with %q instead of %q", ErrNotResultFile, magic[:m], Magic)
	}
	if err != nil {
		return readError(err, truncated("magic"))
	}

	var ver [2]byte
	m, err = io.ReadFull(r.br, ver[:])
	n += int64(m)
	if err != nil {
		return readError(err, truncated("version"))
	}
	v := binary.LittleEndian.Uint16(ver[:])
	if v == 0 || v > maxCompatibleVersion {
		msg := ""
		if v > maxCompatibleVersion {
			msg = "; the file was written by a newer, incompatible stampede"
		}
		return fmt.Errorf("%w %d: this stampede writes version %d and reads versions 1 to %d%s",
			ErrUnsupportedVersion, v, FormatVersion, maxCompatibleVersion, msg)
	}

	rest, problem := r.readHeaderJSON(&n, truncated)
	if problem == nil {
		r.h.Version = int(v) // the binary version is authoritative
		r.headerLen = n
		r.atFrame = true
		return nil
	}
	if !errors.Is(problem, ErrCorruptHeader) {
		return problem // the underlying reader failed
	}
	return r.loseHeader(v, rest, problem)
}

// readHeaderJSON reads the header's JSON length, JSON and checksum, adding
// the bytes read to *n, and decodes the JSON into r.h. It returns the bytes
// read, so that a damaged header can be scanned again for frames, and an
// error wrapping ErrCorruptHeader if the header is damaged or cut, or the
// underlying reader's error.
func (r *Reader) readHeaderJSON(n *int64, truncated func(string) error) (rest []byte, err error) {
	var length uint64
	for shift := uint(0); ; shift += 7 {
		b, err := r.br.ReadByte()
		if err != nil {
			return rest, readError(err, truncated("JSON length"))
		}
		*n++
		rest = append(rest, b)
		if shift == 63 && b > 1 {
			return rest, fmt.Errorf("%w: the JSON length overflows 64 bits", ErrCorruptHeader)
		}
		length |= uint64(b&0x7f) << shift
		if b < 0x80 {
			break
		}
	}
	if length > MaxHeaderLen {
		return rest, fmt.Errorf("%w: the JSON length %d exceeds the limit of %d bytes (1 MiB)", ErrCorruptHeader, length, MaxHeaderLen)
	}

	// Read through a LimitReader so that a short file with a large length
	// costs only the memory of its actual bytes.
	js, err := io.ReadAll(io.LimitReader(r.br, int64(length)))
	*n += int64(len(js))
	rest = append(rest, js...)
	if err != nil {
		return rest, err
	}
	if uint64(len(js)) < length {
		return rest, truncated("JSON")
	}

	var sum [4]byte
	m, err := io.ReadFull(r.br, sum[:])
	*n += int64(m)
	rest = append(rest, sum[:m]...)
	if err != nil {
		return rest, readError(err, truncated("checksum"))
	}
	if stored, computed := binary.LittleEndian.Uint32(sum[:]), crc32.Checksum(js, castagnoli); stored != computed {
		return rest, fmt.Errorf("%w: checksum mismatch (stored %08x, computed %08x)", ErrCorruptHeader, stored, computed)
	}

	if t := bytes.TrimLeft(js, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return rest, fmt.Errorf("%w: invalid JSON: not an object", ErrCorruptHeader)
	}
	if err := json.Unmarshal(js, &r.h); err != nil {
		r.h = Header{}
		return rest, fmt.Errorf("%w: invalid JSON: %v", ErrCorruptHeader, err)
	}
	return rest, nil
}

// LostHeaderStart is the start a Reader gives a file whose header is lost
// (see HeaderLost): the Unix epoch, so that every record's Scheduled is its
// offset from the unknown start of the run.
var LostHeaderStart = time.Unix(0, 0).UTC()

// loseHeader goes on without the header when it is damaged (problem) but
// frames follow: the bytes after the version (rest, then the input) are
// scanned again for the first valid frame, and are counted as skipped until
// it. With no valid frame up to the end there is nothing to recover, and
// loseHeader returns problem.
func (r *Reader) loseHeader(v uint16, rest []byte, problem error) error {
	r.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(rest), r.br), readBufferSize)
	r.headerLen = int64(len(Magic) + 2)
	found, err := r.resync()
	switch {
	case err != nil:
		return err
	case !found:
		return problem
	}
	r.h = Header{Version: int(v), Start: LostHeaderStart}
	r.headerLost = problem
	r.atFrame = true
	return nil
}

// resync skips bytes, counting them, until a valid frame starts; false at
// the end of the input, or the underlying reader's error.
func (r *Reader) resync() (bool, error) {
	for {
		_, _, _, st := r.peekFrame()
		switch st {
		case frameValid:
			return true, nil
		case frameEnd:
			return false, nil
		case frameError:
			return false, r.err
		}
		_, _ = r.br.Discard(1)
		r.skipped++
	}
}

// HeaderLost returns why the file's header could not be read (an error
// wrapping ErrCorruptHeader), or nil if it was read. A Reader whose header
// is lost still returns the records that follow it, but the run's metadata
// (start, command, target, thresholds, …) is unknown: Header has only the
// version and LostHeaderStart, from which the records' times are offsets.
func (r *Reader) HeaderLost() error { return r.headerLost }

// TrailerDamaged reports, once Next has returned io.EOF, whether the file
// has no readable trailer but a damaged or cut one: a damaged frame of the
// trailer's kind, a trailer frame that does not decode, or a damaged frame
// that ends exactly at the end of the file. A file that simply ends after
// its last record (a crash or a kill) reports false.
func (r *Reader) TrailerDamaged() bool { return r.trailer == nil && r.trailerDamaged }

// readError returns short if err means the input ended, and err otherwise.
func readError(err, short error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return short
	}
	return err
}

// Header returns the file's header. Its Version is the format version of the
// file.
func (r *Reader) Header() Header { return r.h }

// Skipped returns the number of bytes skipped so far because they were
// corrupt or truncated.
func (r *Reader) Skipped() int64 { return r.skipped }

// Records returns the number of records Next has returned.
func (r *Reader) Records() uint64 { return r.records }

// UnknownFrames returns the number of valid frames of unknown kinds skipped.
func (r *Reader) UnknownFrames() uint64 { return r.unknown }

// Next reads the next record into rec, reusing the memory of its strings when
// the values repeat. Class and sample frames on the way are added to the class
// table (see Classes), name frames to the name table (see Requests); Next
// returns only records. It returns io.EOF at the end
// of the file, or the underlying reader's error. It does not fail on damage:
//
//   - bytes that do not start a valid frame (bad checksum, impossible
//     length) are skipped one at a time until a valid frame starts;
//   - a frame cut short by the end of the file is skipped, and Next returns
//     io.EOF;
//   - a valid record, class, sample or name frame whose payload does not
//     decode (a field cut in the middle, a value out of its field's range, a
//     class or request id of 0) is skipped whole;
//   - a valid frame of an unknown kind is skipped and counted by
//     UnknownFrames.
//
// Skipped counts the bytes skipped in the first three cases.
func (r *Reader) Next(rec *Record) error {
	for r.err == nil {
		kind, payload, size, st := r.peekFrame()
		switch st {
		case frameValid:
			// Decode before Discard: payload aliases the buffer.
			ok := true
			switch kind {
			case frameRecord:
				ok = r.decode(payload, rec)
			case frameClass:
				ok = r.decodeClass(payload)
			case frameSample:
				ok = r.decodeSample(payload)
			case frameTrailer:
				ok = r.decodeTrailer(payload)
			case frameRequest:
				ok = r.decodeRequest(payload)
			}
			_, _ = r.br.Discard(size) // cannot fail: the frame is buffered
			r.atFrame = true
			if kind == frameTrailer && !ok {
				r.trailerDamaged = true
			}
			switch {
			case !ok:
				r.skipped += int64(size)
			case kind == frameRecord:
				r.records++
				r.frameBytes += int64(size)
				return nil
			case kind == frameClass || kind == frameSample || kind == frameTrailer || kind == frameRequest:
				r.frameBytes += int64(size)
			default:
				r.unknown++
				r.frameBytes += int64(size)
			}
		case frameInvalid, frameShort:
			if r.atFrame { // damage starts where a frame should
				r.atFrame = false
				r.trailerDamaged = r.trailerDamaged || r.damagedTrailer()
			}
			// Resynchronise: the next frame may start at any byte.
			_, _ = r.br.Discard(1)
			r.skipped++
		case frameEnd:
			r.err = io.EOF
		}
	}
	return r.err
}

// frameStatus is what peekFrame found at the current position.
type frameStatus uint8

const (
	frameValid   frameStatus = iota // a frame with a valid length and checksum
	frameInvalid                    // an impossible length or a bad checksum
	frameShort                      // the input ends before the frame does
	frameEnd                        // the input ends here
	frameError                      // the underlying reader failed; r.err is set
)

// peekFrame looks at the frame starting at the current position without
// consuming it. For a valid frame it returns its kind, its payload (which
// aliases the buffer until the next read) and its size in bytes.
func (r *Reader) peekFrame() (kind byte, payload []byte, size int, st frameStatus) {
	// Peek returns an error only with fewer bytes than asked for; a frame
	// complete in what it returned is still good.
	head, err := r.br.Peek(1 + binary.MaxVarintLen64)
	if len(head) == 0 {
		return 0, nil, 0, r.incomplete(err, frameEnd)
	}
	length, m := binary.Uvarint(head[1:])
	switch {
	case m == 0 && len(head) < 1+binary.MaxVarintLen64:
		return 0, nil, 0, r.incomplete(err, frameShort) // the input ends inside the length
	case m <= 0 || length > MaxPayloadLen:
		return 0, nil, 0, frameInvalid // overflow, 10 bytes without an end, or too long
	}
	size = 1 + m + int(length) + 4
	buf, err := r.br.Peek(size)
	if len(buf) < size {
		return 0, nil, 0, r.incomplete(err, frameShort)
	}
	payload = buf[1+m : 1+m+int(length)]
	crc := crc32.Update(crc32.Update(0, castagnoli, buf[:1]), castagnoli, payload)
	if crc != binary.LittleEndian.Uint32(buf[size-4:]) {
		return 0, nil, 0, frameInvalid
	}
	return buf[0], payload, size, frameValid
}

// damagedTrailer tells, at a damaged frame where a frame should start,
// whether it looks like a damaged trailer: its kind byte is the trailer's,
// or the length it gives ends it exactly at the end of the input (the
// trailer is the last frame; a frame cut by a crash ends after it).
func (r *Reader) damagedTrailer() bool {
	head, _ := r.br.Peek(1 + binary.MaxVarintLen64)
	if len(head) == 0 {
		return false
	}
	if head[0] == frameTrailer {
		return true
	}
	length, m := binary.Uvarint(head[1:])
	if m <= 0 || length > MaxPayloadLen {
		return false
	}
	size := 1 + m + int(length) + 4
	buf, err := r.br.Peek(size + 1)
	return len(buf) == size && err == io.EOF
}

// incomplete returns st if the input ended cleanly with err == io.EOF, and
// otherwise records err and returns frameError.
func (r *Reader) incomplete(err error, st frameStatus) frameStatus {
	if err == io.EOF {
		return st
	}
	r.err = err
	return frameError
}

// decode decodes a record payload into rec and reports whether it was well
// formed; if not, rec is left untouched. Fields missing at the end of the
// payload, written by an older writer, take their zero value; bytes after the
// last known field, written by a newer writer, are ignored.
func (r *Reader) decode(p []byte, rec *Record) bool {
	d := decoder{p: p}
	var out Record
	if d.more() {
		out.Seq = d.uvarint(math.MaxUint64)
	}
	if d.more() {
		out.Scheduled = r.h.Start.Add(time.Duration(d.varint()))
	}
	if d.more() {
		out.Sent = time.Duration(d.uvarint(math.MaxInt64))
	}
	if d.more() {
		out.Latency = time.Duration(d.uvarint(math.MaxInt64))
	}
	if d.more() {
		out.Status = uint16(d.uvarint(math.MaxUint16))
	}
	if d.more() {
		out.BytesIn = d.uvarint(math.MaxUint64)
	}
	if d.more() {
		out.BytesOut = d.uvarint(math.MaxUint64)
	}
	if d.more() {
		out.ErrorKind = normalKind(ErrorKind(d.byte()))
	}
	if d.more() {
		out.Category = normalCategory(Category(d.byte()))
	}
	if d.more() {
		out.ErrorCode = r.str(d.bytes(), rec.ErrorCode)
	}
	if d.more() {
		out.RetryAfter = r.str(d.bytes(), rec.RetryAfter)
	}
	if d.more() {
		out.Attempt = uint32(d.uvarint(math.MaxUint32))
	}
	if d.more() {
		out.RequestID = d.uvarint(math.MaxUint64)
	}
	if d.more() {
		out.Class = uint32(d.uvarint(math.MaxUint32))
	}
	if d.more() {
		out.Request = uint32(d.uvarint(math.MaxUint32))
	}
	if d.more() {
		out.Retry = RetryFlags(d.byte()) & retryFlagsKnown
	}
	if d.more() {
		out.SinceFirst = time.Duration(d.uvarint(math.MaxInt64))
	}
	if d.bad {
		return false
	}
	*rec = out
	return true
}

// str returns b as a string without allocating when it equals prev or a
// string seen before.
func (r *Reader) str(b []byte, prev string) string {
	switch {
	case len(b) == 0:
		return ""
	case string(b) == prev:
		return prev
	}
	if s, ok := r.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(s) <= maxInternedLen && len(r.intern) < maxInterned {
		r.intern[s] = s
	}
	return s
}

// decoder reads the fields of a payload. After the first malformed field it
// sets bad, and every later read returns zero.
type decoder struct {
	p   []byte
	bad bool
}

// more reports whether there is another field to read.
func (d *decoder) more() bool { return !d.bad && len(d.p) > 0 }

// uvarint reads a uvarint of at most limit.
func (d *decoder) uvarint(limit uint64) uint64 {
	v, n := binary.Uvarint(d.p)
	if n <= 0 || v > limit {
		d.bad = true
		return 0
	}
	d.p = d.p[n:]
	return v
}

// varint reads a zigzag-encoded varint.
func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.p)
	if n <= 0 {
		d.bad = true
		return 0
	}
	d.p = d.p[n:]
	return v
}

// byte reads one byte; more has checked there is one.
func (d *decoder) byte() byte {
	b := d.p[0]
	d.p = d.p[1:]
	return b
}

// bytes reads a uvarint length and that many bytes.
func (d *decoder) bytes() []byte {
	n := d.uvarint(uint64(len(d.p)))
	if d.bad || n > uint64(len(d.p)) {
		d.bad = true
		return nil
	}
	b := d.p[:n]
	d.p = d.p[n:]
	return b
}
