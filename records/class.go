package records

import (
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"unicode/utf8"
)

// Limits on the class's strings and samples. The Writer truncates longer
// strings at a UTF-8 boundary, and so does the Reader with longer strings in
// a crafted file. Class.Code is limited by MaxCodeLen, like Record.ErrorCode.
const (
	MaxPatternLen = 512  // maximum length of Class.Pattern in bytes
	MaxDialectLen = 64   // maximum length of Class.Dialect in bytes
	MaxMessageLen = 512  // maximum length of Class.Message in bytes
	MaxExampleLen = 512  // maximum length of Class.Example in bytes
	MaxSampleLen  = 1024 // maximum length of a sample body in bytes
)

// Bounds of the Reader's class table, whatever the file holds.
const (
	MaxSamplesPerClass = 3     // samples a Reader keeps per class; later ones are ignored
	MaxClasses         = 10000 // classes a Reader keeps; later class frames are ignored and counted by DroppedClasses
)

// Class describes one class of responses, as sorted by the classifier: the
// responses that share a status, a transport failure kind, an error code and
// a message fingerprint. A record refers to its class by Record.Class; a
// Writer stores the class once, in a class frame written before the first
// record that refers to it, so that a report can be rebuilt from the file
// alone.
type Class struct {
	ID        uint32    // 1.., unique within a file; 0 is reserved for "unclassified"
	Status    uint16    // HTTP status, 0 for transport failures
	ErrorKind ErrorKind // transport failure kind, ErrNone when a response arrived
	Category  Category
	Retryable bool   // whether a client should retry responses of this class within the run
	Overflow  bool   // the catch-all class counting responses beyond the classifier's class limit
	Code      string // the API's error code, "" if none; at most MaxCodeLen bytes
	Pattern   string // the message fingerprint: the message with numbers, ids and quoted values masked; at most MaxPatternLen (512) bytes
	Dialect   string // the error-body dialect detected, e.g. "problem", "detail"; at most MaxDialectLen (64) bytes
	Message   string // the first message seen, already redacted; at most MaxMessageLen (512) bytes
	Example   string // an example request, "METHOD /path", already redacted; at most MaxExampleLen (512) bytes
	// Variant tells apart classes that share all of the above but not the
	// classifier's override rules with a path that matched them (bit i:
	// rule i); 0 without such rules. Since version 3.
	Variant uint64
}

// ClassEntry is a class as a Reader keeps it, with the sample bodies the file
// holds for it: at most MaxSamplesPerClass, each at most MaxSampleLen bytes.
type ClassEntry struct {
	Class
	Samples []string
}

// Bits of the flags byte of a class frame.
const (
	classRetryable byte = 1 << 0
	classOverflow  byte = 1 << 1
)

// errClassZero and errSampleZero are returned for the reserved class id 0.
var (
	errClassZero  = errors.New("class: id 0 is reserved for unclassified responses")
	errSampleZero = errors.New("sample: class id 0 is reserved for unclassified responses")
)

// WriteClass appends c to the file as one class frame. Write it before the
// first record that refers to it: a Reader does not look ahead. Strings
// longer than their limits are truncated at a UTF-8 boundary, and an
// ErrorKind or Category out of range is stored as ErrOther or CatUnknown.
//
// WriteClass refuses a class with ID 0, the id of unclassified records; that
// error is not sticky. An error of the underlying writer is sticky, as for
// Write.
func (w *Writer) WriteClass(c *Class) error {
	if w.err != nil {
		return w.err
	}
	if c.ID == 0 {
		return errClassZero
	}
	var flags byte
	if c.Retryable {
		flags |= classRetryable
	}
	if c.Overflow {
		flags |= classOverflow
	}
	p := w.payload[:0]
	p = binary.AppendUvarint(p, uint64(c.ID))
	p = binary.AppendUvarint(p, uint64(c.Status))
	p = append(p, byte(normalKind(c.ErrorKind)), byte(normalCategory(c.Category)), flags)
	p = appendString(p, truncate(c.Code, MaxCodeLen))
	p = appendString(p, truncate(c.Pattern, MaxPatternLen))
	p = appendString(p, truncate(c.Dialect, MaxDialectLen))
	p = appendString(p, truncate(c.Message, MaxMessageLen))
	p = appendString(p, truncate(c.Example, MaxExampleLen))
	p = binary.AppendUvarint(p, c.Variant)
	w.payload = p
	return w.writeFrame(frameClass, p)
}

// WriteSample appends body to the file as a sample of the class with the
// given id, in one sample frame; write it after that class. The body is
// stored as it is, so the caller must have redacted it; one longer than
// MaxSampleLen is truncated at a UTF-8 boundary. A Reader keeps only the
// first MaxSamplesPerClass samples of each class.
//
// WriteSample refuses class id 0; that error is not sticky. An error of the
// underlying writer is sticky, as for Write.
func (w *Writer) WriteSample(class uint32, body []byte) error {
	if w.err != nil {
		return w.err
	}
	if class == 0 {
		return errSampleZero
	}
	body = body[:cutLen(body, MaxSampleLen)]
	p := w.payload[:0]
	p = binary.AppendUvarint(p, uint64(class))
	p = binary.AppendUvarint(p, uint64(len(body)))
	p = append(p, body...)
	w.payload = p
	return w.writeFrame(frameSample, p)
}

// Classes returns the classes read so far, sorted by ID, with their samples.
// The result is a copy: changing it does not change the Reader's table.
func (r *Reader) Classes() []ClassEntry {
	out := make([]ClassEntry, len(r.classes))
	for i, e := range r.classes {
		e.Samples = slices.Clone(e.Samples)
		out[i] = e
	}
	slices.SortFunc(out, func(a, b ClassEntry) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Class returns the class with the given id, if a class frame read so far
// described it. In the files stampede writes a class frame comes before the
// records that refer to it, so the class of a record is known when Next
// returns the record.
func (r *Reader) Class(id uint32) (Class, bool) {
	i, ok := r.classIndex[id]
	if !ok {
		return Class{}, false
	}
	return r.classes[i].Class, true
}

// DroppedClasses returns the number of valid class frames ignored so far:
// those repeating an id already in the table (the first one wins) and those
// beyond the limit of MaxClasses.
func (r *Reader) DroppedClasses() uint64 { return r.dropped }

// decodeClass decodes a class payload and adds the class to the table unless
// it is full or already holds the id. It reports whether the payload was well
// formed. Fields missing at the end of the payload take their zero value;
// bytes after the last known field are ignored. The strings are copied out of
// p, which aliases the read buffer.
func (r *Reader) decodeClass(p []byte) bool {
	d := decoder{p: p}
	var c Class
	var flags byte
	var code, pattern, dialect, message, example []byte
	if d.more() {
		c.ID = uint32(d.uvarint(math.MaxUint32))
	}
	if d.more() {
		c.Status = uint16(d.uvarint(math.MaxUint16))
	}
	if d.more() {
		c.ErrorKind = normalKind(ErrorKind(d.byte()))
	}
	if d.more() {
		c.Category = normalCategory(Category(d.byte()))
	}
	if d.more() {
		flags = d.byte()
	}
	if d.more() {
		code = d.bytes()
	}
	if d.more() {
		pattern = d.bytes()
	}
	if d.more() {
		dialect = d.bytes()
	}
	if d.more() {
		message = d.bytes()
	}
	if d.more() {
		example = d.bytes()
	}
	if d.more() {
		c.Variant = d.uvarint(math.MaxUint64)
	}
	if d.bad || c.ID == 0 {
		return false
	}
	if _, dup := r.classIndex[c.ID]; dup || len(r.classes) >= MaxClasses {
		r.dropped++
		return true
	}
	c.Retryable = flags&classRetryable != 0
	c.Overflow = flags&classOverflow != 0
	c.Code = truncateBytes(code, MaxCodeLen)
	c.Pattern = truncateBytes(pattern, MaxPatternLen)
	c.Dialect = truncateBytes(dialect, MaxDialectLen)
	c.Message = truncateBytes(message, MaxMessageLen)
	c.Example = truncateBytes(example, MaxExampleLen)
	r.classIndex[c.ID] = len(r.classes)
	r.classes = append(r.classes, ClassEntry{Class: c})
	return true
}

// decodeSample decodes a sample payload and adds the sample to its class,
// unless the class is unknown or already has MaxSamplesPerClass samples. It
// reports whether the payload was well formed: a class id of 0 or above
// 2³²−1, or a field cut in the middle, is not.
func (r *Reader) decodeSample(p []byte) bool {
	d := decoder{p: p}
	var id uint32
	var body []byte
	if d.more() {
		id = uint32(d.uvarint(math.MaxUint32))
	}
	if d.more() {
		body = d.bytes()
	}
	if d.bad || id == 0 {
		return false
	}
	i, ok := r.classIndex[id]
	if !ok || len(r.classes[i].Samples) >= MaxSamplesPerClass {
		return true
	}
	r.classes[i].Samples = append(r.classes[i].Samples, truncateBytes(body, MaxSampleLen))
	return true
}

// truncateBytes returns a copy of b as a string, truncated to at most n bytes
// as truncate does.
func truncateBytes(b []byte, n int) string {
	return string(b[:cutLen(b, n)])
}

// cutLen returns the length to which truncate cuts b, seen as a string, at n
// bytes. Only the bytes up to a whole rune past the limit matter to the cut,
// so only they are converted to a string.
func cutLen(b []byte, n int) int {
	if len(b) <= n {
		return len(b)
	}
	return len(truncate(string(b[:min(len(b), n+utf8.UTFMax)]), n))
}
