package records

import (
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strings"
)

// Bounds of request names, whatever the file holds.
const (
	// MaxRequestNameLen is the maximum length of a request name in bytes;
	// the Writer truncates longer names at a UTF-8 boundary, and so does
	// the Reader with longer names in a crafted file.
	MaxRequestNameLen = 256
	// MaxRequests is how many request names a Reader keeps; later name
	// frames are ignored and counted by DroppedRequests.
	MaxRequests = 1024
)

// RequestName names the request that records with its ID came from: a
// profile's request name, or "METHOD /path". A Writer stores it once, in a
// name frame (kind 'N', since version 4) written before the first record
// that refers to it; records refer to it by Record.Request.
type RequestName struct {
	ID   uint32 // 1.., unique within a file; 0 is reserved for "no name"
	Name string // at most MaxRequestNameLen bytes
}

// CutString returns s cut to at most n bytes without splitting a UTF-8
// encoded character, as the Writer cuts strings beyond their limits:
// CutString(name, MaxRequestNameLen) is the name a Reader returns.
func CutString(s string, n int) string { return truncate(s, n) }

// errRequestZero is returned for the reserved request id 0.
var errRequestZero = errors.New("request name: id 0 is reserved for records without a name")

// maxRequestPayload bounds a name payload: the id, the name's length and
// the name.
const maxRequestPayload = 2*binary.MaxVarintLen64 + MaxRequestNameLen

// WriteRequest appends the name of the request with the given id to the
// file, in one name frame. Write it before the first record whose Request
// is id: a Reader does not look ahead. A name longer than
// MaxRequestNameLen is truncated at a UTF-8 boundary; a Reader keeps only
// the first MaxRequests names of a file.
//
// WriteRequest refuses id 0, the id of records without a name; that error
// is not sticky. An error of the underlying writer is sticky, as for Write.
func (w *Writer) WriteRequest(id uint32, name string) error {
	if w.err != nil {
		return w.err
	}
	if id == 0 {
		return errRequestZero
	}
	p := w.payload[:0]
	p = binary.AppendUvarint(p, uint64(id))
	p = appendString(p, truncate(name, MaxRequestNameLen))
	w.payload = p
	return w.writeFrame(frameRequest, p)
}

// Requests returns the request names read so far, sorted by ID. The result
// is a copy: changing it does not change the Reader's table.
func (r *Reader) Requests() []RequestName {
	out := make([]RequestName, len(r.requests))
	copy(out, r.requests)
	slices.SortFunc(out, func(a, b RequestName) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Request returns the name of the request with the given id, if a name
// frame read so far named it. In the files stampede writes a name frame
// comes before the records that refer to it, so the name of a record's
// request is known when Next returns the record.
func (r *Reader) Request(id uint32) (string, bool) {
	i, ok := r.requestIndex[id]
	if !ok {
		return "", false
	}
	return r.requests[i].Name, true
}

// DroppedRequests returns the number of valid name frames ignored so far:
// those repeating an id already in the table (the first one wins) and those
// beyond the limit of MaxRequests.
func (r *Reader) DroppedRequests() uint64 { return r.droppedRequests }

// decodeRequest decodes a name payload and adds the name to the table
// unless it is full or already holds the id. It reports whether the payload
// was well formed: an id of 0 or above 2³²−1, or a field cut in the middle,
// is not. Bytes after the name are ignored. The name is copied out of p,
// which aliases the read buffer.
func (r *Reader) decodeRequest(p []byte) bool {
	d := decoder{p: p}
	var id uint32
	var name []byte
	if d.more() {
		id = uint32(d.uvarint(math.MaxUint32))
	}
	if d.more() {
		name = d.bytes()
	}
	if d.bad || id == 0 {
		return false
	}
	if _, dup := r.requestIndex[id]; dup || len(r.requests) >= MaxRequests {
		r.droppedRequests++
		return true
	}
	r.requestIndex[id] = len(r.requests)
	r.requests = append(r.requests, RequestName{ID: id, Name: truncateBytes(name, MaxRequestNameLen)})
	return true
}

// PathName is the name of a request that has none of its own: its
// method and path, with the ids in the path masked so that /users/1 and
// /users/2 are one request, "GET /users/{id}" (a segment of digits, or of
// 8 or more hex digits and dashes holding a digit: UUIDs, hashes). Live
// runs and vegeta files name requests alike with it.
func PathName(method, path string) string {
	if path == "" {
		path = "/"
	}
	return method + " " + maskIDs(path)
}

// maskIDs masks the id segments of a path as "{id}".
func maskIDs(path string) string {
	if !strings.ContainsAny(path, "0123456789") {
		return path
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if isID(seg) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

// isID reports whether a path segment is an identifier rather than a name.
func isID(seg string) bool {
	if seg == "" {
		return false
	}
	digits, hex := 0, true
	for _, c := range seg {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '-':
		default:
			hex = false
		}
	}
	return digits == len(seg) || hex && digits > 0 && len(seg) >= 8
}

// URLPath returns the path of a URL without parsing it (and without
// allocating): what follows the authority, up to a query or fragment.
func URLPath(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		j := strings.IndexByte(u, '/')
		if j < 0 {
			return "/"
		}
		u = u[j:]
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return u
}
