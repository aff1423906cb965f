// Package vegetafile reads the result files of vegeta
// (github.com/tsenart/vegeta) as stampede records, and writes stampede
// records as vegeta results, so that stampede can analyse what vegeta
// recorded and vegeta's tools (report, plot, encode) can read what stampede
// recorded.
//
// vegeta stores results in three encodings: gob (its default), JSON (one
// object per line) and CSV. A Reader sniffs the encoding from the first bytes
// (see Detect) and decodes with vegeta's own decoders; a Writer writes JSON
// with vegeta's own encoder.
//
// vegeta's numbers are not stampede's: its Timestamp is when a worker took
// the request, not when it was scheduled, so the latency read from a vegeta
// file is uncorrected (queueing delay before a worker was free is lost), and
// its errors are strings, sorted into kinds here by ErrorKindOf.
package vegetafile

import (
	"bytes"

	"github.com/stampede-dev/stampede/records"
)

// The encodings of vegeta result files, as Detect and Reader.Encoding name
// them.
const (
	Gob  = "gob"  // encoding/gob, vegeta's default ("vegeta attack" writes it)
	JSON = "json" // one JSON object per line ("vegeta encode --to json")
	CSV  = "csv"  // one CSV row of 12 columns per result ("vegeta encode --to csv")
)

// sniffLen is how many leading bytes Detect looks at.
const sniffLen = 512

// Detect decides the encoding of a vegeta result file from its first bytes:
// pass the first 512 bytes, or the whole file if it is shorter (more are
// ignored). It returns "gob", "json" or "csv" and true, or "" and false for
// an empty prefix, a stampede result file (one starting with, or cut short
// inside, records.Magic) and anything else that does not start the way vegeta
// writes:
//
//   - gob: a message length, a negative type id and the definition of a
//     struct named "Result" (vegeta's encoder always sends it first);
//   - json: optional white space, '{', optional white space and one of the
//     keys of vegeta's Result ("attack", "seq", "code", ...) in quotes;
//   - csv: five comma-terminated integers (timestamp, code, latency, bytes
//     out, bytes in), each after optional spaces, the timestamp and latency
//     optionally negative.
//
// A prefix too short to hold that much (some 20 bytes for gob, the first key
// for JSON, the five numbers for CSV) is not claimed: such a file cannot hold
// a whole vegeta result anyway.
func Detect(prefix []byte) (encoding string, ok bool) {
	if len(prefix) > sniffLen {
		prefix = prefix[:sniffLen]
	}
	switch {
	case len(prefix) == 0, isStampede(prefix):
		return "", false
	case isGob(prefix):
		return Gob, true
	case isJSON(prefix):
		return JSON, true
	case isCSV(prefix):
		return CSV, true
	}
	return "", false
}

// isStampede reports whether p starts with stampede's magic, or is a prefix
// of it.
func isStampede(p []byte) bool {
	const magic = records.Magic
	if len(p) >= len(magic) {
		return string(p[:len(magic)]) == magic
	}
	return string(p) == magic[:len(p)]
}

// gobSignature is what follows the length and the type id of the first
// message of a gob stream of vegeta results, which defines the type Result:
// wireType field 3 (StructT), its CommonType (field 1), whose Name (field 1)
// is the 6-byte string "Result".
const gobSignature = "\x03\x01\x01\x06Result"

func isGob(p []byte) bool {
	n, p, ok := gobUint(p)
	if !ok || n < uint64(len(gobSignature)) {
		return false
	}
	// A type definition carries the negated id of the type it defines; gob
	// writes an int i as the uint i<<1 (i >= 0) or ^i<<1|1 (i < 0).
	id, p, ok := gobUint(p)
	if !ok || id&1 == 0 {
		return false
	}
	return bytes.HasPrefix(p, []byte(gobSignature))
}

// gobUint decodes an unsigned integer as gob writes it: one byte if it is
// below 128, else a byte holding minus the count of the big-endian bytes that
// follow (at most 8).
func gobUint(p []byte) (x uint64, rest []byte, ok bool) {
	if len(p) == 0 {
		return 0, nil, false
	}
	if p[0] < 0x80 {
		return uint64(p[0]), p[1:], true
	}
	n := -int(int8(p[0]))
	if n > 8 || len(p) < 1+n {
		return 0, nil, false
	}
	for _, b := range p[1 : 1+n] {
		x = x<<8 | uint64(b)
	}
	return x, p[1+n:], true
}

// jsonKeys are the keys of vegeta's JSON Result.
var jsonKeys = []string{"attack", "seq", "code", "timestamp", "latency", "bytes_out", "bytes_in", "error", "body", "method", "url", "headers"}

func isJSON(p []byte) bool {
	p = bytes.TrimLeft(p, " \t\r\n")
	if len(p) == 0 || p[0] != '{' {
		return false
	}
	p = bytes.TrimLeft(p[1:], " \t\r\n")
	if len(p) == 0 || p[0] != '"' {
		return false
	}
	end := bytes.IndexByte(p[1:], '"')
	if end < 0 {
		return false
	}
	key := string(p[1 : 1+end])
	for _, k := range jsonKeys {
		if key == k {
			return true
		}
	}
	return false
}

func isCSV(p []byte) bool {
	for field := range 5 {
		p = bytes.TrimLeft(p, " \t") // vegeta's CSV reader trims leading space
		if (field == 0 || field == 2) && len(p) > 0 && p[0] == '-' {
			p = p[1:] // the timestamp and the latency are signed
		}
		digits := 0
		for digits < len(p) && '0' <= p[digits] && p[digits] <= '9' {
			digits++
		}
		if digits == 0 || digits == len(p) || p[digits] != ',' {
			return false
		}
		p = p[digits+1:]
	}
	return true
}
