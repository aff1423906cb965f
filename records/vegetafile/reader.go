package vegetafile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
)

// MaxBody is the most of a stored response body a Reader returns: longer
// bodies are cut to their first MaxBody bytes (Record.BytesIn still says how
// long the body was).
const MaxBody = 1 << 20

// MaxJSONLine bounds a line of a JSON results file. A longer line is not
// held in memory: it is skipped, and counted (see Reader.SkippedLines).
const MaxJSONLine = 16 << 20

// maxJSONLine is MaxJSONLine; tests lower it.
var maxJSONLine = MaxJSONLine

// readBufferSize is the size of the Reader's buffer.
const readBufferSize = 64 << 10

// ErrNotVegetaFile is wrapped by NewReader's error for input that does not
// start like any of vegeta's encodings (see Detect).
var ErrNotVegetaFile = errors.New("not a vegeta result file")

// Result is one vegeta result as stampede sees it.
type Result struct {
	// Record holds what the result says in stampede's terms: Scheduled is
	// vegeta's Timestamp in UTC (when a worker took the request, so Sent is 0
	// and Latency is vegeta's uncorrected latency), Status is its Code,
	// BytesIn, BytesOut and Seq are copied, ErrorKind is ErrorKindOf(Error)
	// for a result without a status and ErrNone for one with a status,
	// RetryAfter is the stored Retry-After header (cut to
	// records.MaxRetryAfterLen bytes), Attempt is 1 and RequestID is Seq,
	// as stampede attack numbers them. Category and Class are left to the
	// classifier.
	Record records.Record
	// Error is vegeta's error text, "" if none. vegeta sets it for transport
	// failures and, to the status line ("503 Service Unavailable"), for
	// responses with a status outside [200, 400).
	Error string
	// Body is the stored response body, cut to MaxBody bytes; nil if vegeta
	// stored none or an empty one. It is valid until the next call to Next.
	Body []byte
	// ContentType and ContentEncoding are the stored response headers, "" if
	// absent.
	ContentType, ContentEncoding string
	// Method and URL are the request's, "" when the file does not have them
	// (files of vegeta before v12.9).
	Method, URL string
}

// Reader reads the results of a vegeta result file one at a time, with
// vegeta's own decoders. Unlike stampede's own result files, a vegeta file is
// not read past damage: the first malformed entry ends the reading, except a
// JSON line longer than MaxJSONLine, which is skipped and counted. Its memory
// is proportional to the largest entry. A Reader is not safe for concurrent
// use.
type Reader struct {
	br       *bufio.Reader
	encoding string
	dec      vegeta.Decoder
	v        vegeta.Result // the entry being decoded; its Body's array is reused
	headers  http.Header   // the empty map gob decodes headers into (see Next)
	entries  uint64        // entries returned so far
	err      error         // io.EOF or the first error; sticky

	// JSON only: the line being decoded, and the feed that hands it to
	// vegeta's decoder (see decodeJSON).
	line    []byte
	feed    lineFeed
	skipped uint64 // lines longer than MaxJSONLine, skipped
}

// NewReader reads the first bytes of r to decide its encoding (see Detect)
// and returns a Reader that decodes r from its first byte. Its error wraps
// ErrNotVegetaFile, saying what the file holds instead, or is the
// underlying reader's error.
//
// NewReader does not use vegeta.DecoderFor, which sniffs by decoding the first
// entry with each decoder in turn: it would report a malformed first entry as
// an unknown encoding instead of naming the entry, and its CSV attempt reads a
// file that opens a quoted field without closing it to the end, into memory.
func NewReader(r io.Reader) (*Reader, error) {
	br := bufio.NewReaderSize(r, readBufferSize)
	// Peek reads without consuming: every decoder starts at the first byte,
	// which matters for gob, whose first messages define the types.
	prefix, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("reading vegeta results: %w", err)
	}
	enc, ok := Detect(prefix)
	if !ok {
		return nil, notVegeta(prefix)
	}
	rd := &Reader{br: br, encoding: enc, headers: make(http.Header)}
	switch enc {
	case Gob:
		rd.dec = vegeta.NewDecoder(br)
	case JSON:
		rd.dec = vegeta.NewJSONDecoder(&rd.feed)
	case CSV:
		rd.dec = vegeta.NewCSVDecoder(br)
	}
	return rd, nil
}

func notVegeta(prefix []byte) error {
	switch {
	case len(prefix) == 0:
		return fmt.Errorf("%w: the file is empty", ErrNotVegetaFile)
	case isStampede(prefix):
		return fmt.Errorf("%w: it is a stampede result file", ErrNotVegetaFile)
	}
	const show = 16
	if len(prefix) > show {
		prefix = prefix[:show]
	}
	return fmt.Errorf("%w: it starts with %q, which begins none of vegeta's encodings (gob, json, csv)", ErrNotVegetaFile, prefix)
}

// SkippedLines returns how many lines of a JSON file were longer than
// MaxJSONLine and skipped unread, so far.
func (r *Reader) SkippedLines() uint64 { return r.skipped }

// Encoding returns the encoding of the file: "gob", "json" or "csv".
func (r *Reader) Encoding() string { return r.encoding }

// Next decodes the next result into res. It returns io.EOF at the end of the
// file. A malformed entry gives an error that names the encoding and the
// entry's number, counting from 1, and wraps the decoder's error (for a file
// cut short inside an entry, io.ErrUnexpectedEOF); reading stops there, and
// Next returns the same error again. A negative latency, and a timestamp
// outside the years 1 to 9999, are malformed. In
// JSON, lines holding only white space are skipped and not counted, and a
// last line without a newline is read like the others.
func (r *Reader) Next(res *Result) error {
	if r.err != nil {
		return r.err
	}
	// Decoders leave the fields an entry omits as they were (gob omits zero
	// values), so each entry starts from a zero Result. Two exceptions:
	//  - the body's array is reused, unless it is large;
	//  - Headers is an empty map, not nil, because gob sizes a nil map by
	//    the count the entry declares (reflect.MakeMapWithSize) before
	//    reading a single entry of it, so a hostile count of a few bytes would
	//    allocate gigabytes; into an existing map, gob adds one entry at a
	//    time, and a count larger than the entry fails at the end of its
	//    bytes.
	body := r.v.Body[:0]
	if cap(body) > MaxBody {
		body = nil
	}
	clear(r.headers)
	r.v = vegeta.Result{Body: body, Headers: r.headers}

	var err error
	switch r.encoding {
	case Gob:
		err = r.decodeGob()
	case JSON:
		err = r.decodeJSON()
	case CSV:
		err = r.decodeCSV()
	}
	if err == nil && r.v.Latency < 0 {
		err = fmt.Errorf("negative latency %v", r.v.Latency)
	}
	if y := r.v.Timestamp.UTC().Year(); err == nil && (y < 1 || y > 9999) {
		// Only a crafted file holds one; reports could not print it,
		// and time series spanning aeons would only widen.
		err = fmt.Errorf("timestamp in the year %d, outside 1 to 9999", y)
	}
	if err != nil {
		if err != io.EOF {
			err = fmt.Errorf("vegeta %s results: entry %d: %w", r.encoding, r.entries+1, err)
		}
		r.err = err
		return err
	}
	r.entries++
	r.fill(res)
	return nil
}

// fill converts r.v into res.
func (r *Reader) fill(res *Result) {
	v := &r.v
	kind := records.ErrNone
	if v.Code == 0 {
		kind = ErrorKindOf(v.Error)
	}
	body := v.Body
	switch {
	case len(body) == 0:
		body = nil
	case len(body) > MaxBody:
		body = body[:MaxBody:MaxBody]
	}
	*res = Result{
		Record: records.Record{
			Seq:        v.Seq,
			Scheduled:  normalTime(v.Timestamp),
			Latency:    v.Latency,
			Status:     v.Code,
			BytesIn:    v.BytesIn,
			BytesOut:   v.BytesOut,
			ErrorKind:  kind,
			RetryAfter: cut(header(v.Headers, "Retry-After"), records.MaxRetryAfterLen),
			Attempt:    1,
			RequestID:  v.Seq, // as stampede attack numbers them: one attempt per request
		},
		Error:           v.Error,
		Body:            body,
		ContentType:     header(v.Headers, "Content-Type"),
		ContentEncoding: header(v.Headers, "Content-Encoding"),
		Method:          v.Method,
		URL:             v.URL,
	}
}

// normalTime returns t in UTC, its nanoseconds brought into [0, 1e9): a gob
// time (time.Time.UnmarshalBinary) can hold more, which no other time has,
// and which makes Equal fail against the same instant.
func normalTime(t time.Time) time.Time {
	if ns := t.Nanosecond(); ns >= 1e9 {
		return time.Unix(t.Unix(), int64(ns)).UTC()
	}
	return t.UTC()
}

// decodeGob decodes the next gob message that holds a value.
//
// gob returns io.EOF at the end of the input, but also for a message that
// ends inside the value it holds (its buffer underflows). At a clean end no
// byte is left, so the Reader checks for one first: io.EOF from gob then
// means a malformed message.
func (r *Reader) decodeGob() error {
	if _, err := r.br.Peek(1); err != nil {
		return err
	}
	err := r.dec.Decode(&r.v)
	if err == io.EOF {
		return fmt.Errorf("the gob message ends inside its value: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// decodeCSV decodes the next row.
//
// vegeta's CSV decoder returns io.EOF at the end of the input, but also for a
// row whose last column, the base64 header block, ends without the empty
// line that closes it (textproto's ReadMIMEHeader says io.EOF). It fills the
// fields in column order, and a row sets Timestamp to time.Unix(0, n), never
// the zero time, so a set Timestamp tells the second case.
func (r *Reader) decodeCSV() error {
	err := r.dec.Decode(&r.v)
	if err == io.EOF && !r.v.Timestamp.IsZero() {
		return fmt.Errorf("the headers column ends inside the header block: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// decodeJSON decodes the next line that is not blank.
//
// vegeta's JSON decoder reads a line and parses it, and returns io.EOF both
// at the end of the input and for a line that ends before its object does
// (a blank line, a truncated last line), and it drops a last line without a
// newline. So the Reader splits the lines itself, skips blank ones, and feeds
// vegeta's decoder one newline-terminated line at a time: io.EOF from it then
// means a line cut short. Its buffered reader never reads ahead of the line,
// because it stops reading at the newline, which is the line's last byte.
func (r *Reader) decodeJSON() error {
	line, err := r.nextLine()
	if err != nil {
		return err
	}
	r.feed = line
	err = r.dec.Decode(&r.v)
	r.feed = nil
	if err == io.EOF {
		return fmt.Errorf("the line ends inside the object: %w", io.ErrUnexpectedEOF)
	}
	return err
}

// nextLine returns the next line that is not blank, ending in '\n' (added
// if the input ends without one), or io.EOF. A line longer than
// maxJSONLine is skipped and counted, never held whole.
func (r *Reader) nextLine() ([]byte, error) {
	if cap(r.line) > MaxBody {
		r.line = nil // do not hold on to a huge line
	}
	r.line = r.line[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(r.line)+len(chunk) > maxJSONLine {
			if ok, err := r.skipLine(err); !ok {
				return nil, err
			}
			continue
		}
		r.line = append(r.line, chunk...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err != nil && err != io.EOF:
			return nil, err
		case len(trimJSONSpace(r.line)) == 0:
			if err == io.EOF {
				return nil, io.EOF
			}
			r.line = r.line[:0]
			continue
		}
		if r.line[len(r.line)-1] != '\n' {
			r.line = append(r.line, '\n')
		}
		return r.line, nil
	}
}

// skipLine counts the line being read as skipped and reads past its end;
// err is what the last read of it gave. ok is false when the input ended
// or failed, with io.EOF or the error.
func (r *Reader) skipLine(err error) (bool, error) {
	r.skipped++
	r.line = r.line[:0]
	for err == bufio.ErrBufferFull {
		_, err = r.br.ReadSlice('\n')
	}
	return err == nil, err
}

func trimJSONSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// lineFeed is the io.Reader vegeta's JSON decoder reads: the rest of the
// current line, then io.EOF.
type lineFeed []byte

func (f *lineFeed) Read(p []byte) (int, error) {
	if len(*f) == 0 {
		return 0, io.EOF
	}
	n := copy(p, *f)
	*f = (*f)[n:]
	return n, nil
}

// header returns the first value of the header key, matching the name
// without regard to case: http.Header.Get assumes canonical keys, which gob
// and CSV files have but hand-made JSON may not.
func header(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// cut returns s cut to at most n bytes, moving the cut back to the start of
// a rune that would straddle it.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	if !utf8.RuneStart(s[i]) {
		i = n // not UTF-8: cut where asked
	}
	return s[:i]
}
