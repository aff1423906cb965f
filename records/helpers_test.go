package records

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testStart is the fixed start of every test file.
var testStart = time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)

// testHeader returns a deterministic header.
func testHeader() Header {
	return Header{
		Start:    testStart,
		Command:  []string{"stampede", "attack", "-rate", "50/1s", "-header", "Authorization: [REDACTED]"},
		Target:   "GET http://127.0.0.1:8080/orders",
		Pacer:    "constant{50 hits/1s}",
		Duration: 30 * time.Second,
		RunID:    "run-0001",
		Shard:    "shard-a",
		Tool:     "stampede test",
	}
}

// sampleRecords returns n varied, deterministic records.
func sampleRecords(n int) []Record {
	rng := rand.New(rand.NewPCG(1, 2))
	codes := []string{"", "", "", "rate_limited", "invalid_request", "überlastet"}
	retry := []string{"", "", "1", "30", "Wed, 21 Oct 2015 07:28:00 GMT"}
	kinds := []ErrorKind{ErrNone, ErrNone, ErrNone, ErrTimeout, ErrReset}
	recs := make([]Record, n)
	for i := range recs {
		sent := time.Duration(rng.IntN(int(5 * time.Millisecond)))
		r := Record{
			Seq:       uint64(i),
			Scheduled: testStart.Add(time.Duration(i) * 20 * time.Millisecond),
			Sent:      sent,
			Latency:   sent + time.Duration(rng.IntN(int(2*time.Second))),
			Status:    []uint16{200, 201, 429, 503}[rng.IntN(4)],
			BytesIn:   uint64(rng.IntN(100000)),
			BytesOut:  uint64(rng.IntN(1000)),
			ErrorCode: codes[rng.IntN(len(codes))],
			Category:  Category(rng.IntN(int(CatTransport) + 1)),
			Attempt:   uint32(1 + rng.IntN(3)),
			RequestID: uint64(i / 2),
		}
		r.Class = uint32(rng.IntN(4)) // last, so the other values stay as they were
		if r.ErrorKind = kinds[rng.IntN(len(kinds))]; r.ErrorKind != ErrNone {
			r.Status = 0
		} else {
			r.RetryAfter = retry[rng.IntN(len(retry))]
		}
		r.Request = uint32(rng.IntN(3)) // after the others, so that they stay as they were
		recs[i] = r
	}
	return recs
}

// writeFile writes a file of recs and returns its bytes and the offsets
// where the header and each frame end: ends[0] is the header's length, and
// frame i (from 1) spans ends[i-1] to ends[i].
func writeFile(tb testing.TB, h Header, recs []Record) (data []byte, ends []int) {
	tb.Helper()
	items := make([]any, len(recs))
	for i, r := range recs {
		items[i] = r
	}
	return writeItems(tb, h, items...)
}

// sample is a sample body of a class, for writeItems.
type sample struct {
	class uint32
	body  string
}

// writeItems writes a file of items, each a Record, a Class or a sample, in
// order, and returns its bytes and the offsets where the header and each
// frame end, as writeFile does.
func writeItems(tb testing.TB, h Header, items ...any) (data []byte, ends []int) {
	tb.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		tb.Fatalf("NewWriter: %v", err)
	}
	mustFlush(tb, w)
	ends = append(ends, buf.Len())
	for i, it := range items {
		switch v := it.(type) {
		case Record:
			err = w.Write(&v)
		case Class:
			err = w.WriteClass(&v)
		case sample:
			err = w.WriteSample(v.class, []byte(v.body))
		case Trailer:
			err = w.WriteTrailer(&v)
		case RequestName:
			err = w.WriteRequest(v.ID, v.Name)
		default:
			tb.Fatalf("writeItems: unsupported item %T", it)
		}
		if err != nil {
			tb.Fatalf("writing item %d (%T): %v", i, it, err)
		}
		mustFlush(tb, w)
		ends = append(ends, buf.Len())
	}
	if got, want := w.Count(), countRecords(items); got != want {
		tb.Fatalf("Count() = %d; want %d", got, want)
	}
	return buf.Bytes(), ends
}

// countRecords counts the records among items.
func countRecords(items []any) uint64 {
	var n uint64
	for _, it := range items {
		if _, ok := it.(Record); ok {
			n++
		}
	}
	return n
}

func mustFlush(tb testing.TB, w *Writer) {
	tb.Helper()
	if err := w.Flush(); err != nil {
		tb.Fatalf("Flush: %v", err)
	}
}

// readAll reads every record of data. It fails the test on a header error or
// on any error from Next but io.EOF.
func readAll(tb testing.TB, data []byte) ([]Record, *Reader) {
	tb.Helper()
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("NewReader: %v", err)
	}
	var recs []Record
	for {
		var rec Record
		err := r.Next(&rec)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("Next after %d records: %v", len(recs), err)
		}
		recs = append(recs, rec)
	}
	if got := r.Records(); got != uint64(len(recs)) {
		tb.Errorf("Records() = %d; want %d", got, len(recs))
	}
	checkAccounting(tb, r, len(data))
	return recs, r
}

// checkAccounting checks that a reader at the end of its input accounted for
// every byte: header + valid frames + skipped bytes = input length.
func checkAccounting(tb testing.TB, r *Reader, n int) {
	tb.Helper()
	if r.skipped < 0 || r.frameBytes < 0 {
		tb.Fatalf("Skipped() = %d, frame bytes = %d; want both >= 0", r.skipped, r.frameBytes)
	}
	if got := r.headerLen + r.frameBytes + r.skipped; got != int64(n) {
		tb.Fatalf("header %d + frames %d + skipped %d = %d bytes; want the input's %d", r.headerLen, r.frameBytes, r.skipped, got, n)
	}
	// The smallest frame has 6 bytes: kind, length 0 and checksum. A class
	// frame has at least 7 (its id), kept or dropped.
	classFrames := uint64(len(r.classes)) + r.dropped
	if limit := uint64(r.frameBytes / 6); r.records+r.unknown+classFrames > limit {
		tb.Fatalf("%d records + %d unknown frames + %d class frames from %d frame bytes; want at most %d",
			r.records, r.unknown, classFrames, r.frameBytes, limit)
	}
	if len(r.classes) != len(r.classIndex) || len(r.classes) > MaxClasses {
		tb.Fatalf("class table of %d entries with an index of %d; want the same, at most %d", len(r.classes), len(r.classIndex), MaxClasses)
	}
	if len(r.requests) != len(r.requestIndex) || len(r.requests) > MaxRequests {
		tb.Fatalf("name table of %d entries with an index of %d; want the same, at most %d", len(r.requests), len(r.requestIndex), MaxRequests)
	}
}

// checkRequests fails the test unless the reader's name table equals want,
// both through Requests and through Request.
func checkRequests(tb testing.TB, what string, r *Reader, want []RequestName) {
	tb.Helper()
	if got := r.Requests(); !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s: Requests() = %+v; want %+v", what, got, want)
	}
	for _, n := range want {
		if name, ok := r.Request(n.ID); !ok || name != n.Name {
			tb.Fatalf("%s: Request(%d) = %q, %v; want %q, true", what, n.ID, name, ok, n.Name)
		}
	}
}

// normalizedClass returns c as a reader returns it after a Writer wrote it:
// strings truncated, an ErrorKind or Category out of range mapped.
func normalizedClass(c Class) Class {
	c.ErrorKind = normalKind(c.ErrorKind)
	c.Category = normalCategory(c.Category)
	c.Code = truncate(c.Code, MaxCodeLen)
	c.Pattern = truncate(c.Pattern, MaxPatternLen)
	c.Dialect = truncate(c.Dialect, MaxDialectLen)
	c.Message = truncate(c.Message, MaxMessageLen)
	c.Example = truncate(c.Example, MaxExampleLen)
	return c
}

// checkClasses fails the test unless the reader's class table equals want,
// both through Classes and through Class.
func checkClasses(tb testing.TB, what string, r *Reader, want []ClassEntry) {
	tb.Helper()
	got := r.Classes()
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s: Classes() = %+v; want %+v", what, got, want)
	}
	for _, e := range want {
		if c, ok := r.Class(e.ID); !ok || c != e.Class {
			tb.Fatalf("%s: Class(%d) = %+v, %v; want %+v, true", what, e.ID, c, ok, e.Class)
		}
	}
}

// normalized returns rec as a reader returns it after a Writer with the
// given start wrote it: the documented truncation, clamping and mapping.
func normalized(rec Record, start time.Time) Record {
	start = start.UTC()
	rec.Scheduled = start.Add(rec.Scheduled.Sub(start))
	rec.Sent = max(rec.Sent, 0)
	rec.Latency = max(rec.Latency, 0)
	if rec.ErrorKind > ErrOther {
		rec.ErrorKind = ErrOther
	}
	if rec.Category > CatTransport {
		rec.Category = CatUnknown
	}
	rec.ErrorCode = truncate(rec.ErrorCode, MaxCodeLen)
	rec.RetryAfter = truncate(rec.RetryAfter, MaxRetryAfterLen)
	rec.Retry &= retryFlagsKnown
	rec.SinceFirst = max(rec.SinceFirst, 0)
	return rec
}

// sameRecord reports whether a and b are equal, comparing times with Equal.
func sameRecord(a, b Record) bool {
	if !a.Scheduled.Equal(b.Scheduled) {
		return false
	}
	a.Scheduled, b.Scheduled = time.Time{}, time.Time{}
	return a == b
}

// checkRecords fails the test unless got equals want record by record.
func checkRecords(tb testing.TB, what string, got, want []Record) {
	tb.Helper()
	for i := 0; i < len(got) || i < len(want); i++ {
		switch {
		case i >= len(got):
			tb.Fatalf("%s: record %d missing; want %+v", what, i, want[i])
		case i >= len(want):
			tb.Fatalf("%s: extra record %d: %+v", what, i, got[i])
		case !sameRecord(got[i], want[i]):
			tb.Fatalf("%s: record %d = %+v; want %+v", what, i, got[i], want[i])
		}
	}
}

// testCRC is the CRC-32C table of the hand-built files, independent of the
// package's own.
var testCRC = crc32.MakeTable(crc32.Castagnoli)

// buildHeader builds a header by hand from its parts.
func buildHeader(version uint16, js string) []byte {
	b := []byte("STAMPEDE")
	b = binary.LittleEndian.AppendUint16(b, version)
	b = binary.AppendUvarint(b, uint64(len(js)))
	b = append(b, js...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum([]byte(js), testCRC))
}

// buildFrame builds a frame by hand.
func buildFrame(kind byte, payload []byte) []byte {
	b := []byte{kind}
	b = binary.AppendUvarint(b, uint64(len(payload)))
	b = append(b, payload...)
	crc := crc32.Update(crc32.Checksum([]byte{kind}, testCRC), testCRC, payload)
	return binary.LittleEndian.AppendUint32(b, crc)
}

// payload builds a record payload by hand from fields: integers are written
// as uvarints, int64 values as zigzag varints, byte values as one byte and
// strings with their uvarint length.
func payload(fields ...any) []byte {
	var b []byte
	for _, f := range fields {
		switch v := f.(type) {
		case int:
			b = binary.AppendUvarint(b, uint64(v))
		case uint64:
			b = binary.AppendUvarint(b, v)
		case int64:
			b = binary.AppendVarint(b, v)
		case byte:
			b = append(b, v)
		case string:
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case []byte: // raw bytes
			b = append(b, v...)
		default:
			panic(fmt.Sprintf("payload: unsupported field %T", f))
		}
	}
	return b
}

// randString returns a random string of up to maxLen bytes mixing ASCII,
// multi-byte runes and invalid UTF-8.
func randString(rng *rand.Rand, maxLen int) string {
	var sb strings.Builder
	n := rng.IntN(maxLen + 1)
	for sb.Len() < n {
		switch rng.IntN(6) {
		case 0:
			sb.WriteString("é")
		case 1:
			sb.WriteString("€")
		case 2:
			sb.WriteString("😀")
		case 3:
			sb.WriteByte(byte(0x80 + rng.IntN(0x80))) // not UTF-8 on its own
		default:
			sb.WriteByte(byte('a' + rng.IntN(26)))
		}
	}
	return sb.String()
}

// newRand returns a math/rand/v2 generator seeded with seed.
func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }
