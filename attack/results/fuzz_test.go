package results

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// FuzzReader reads arbitrary bytes twice: as a whole file, and as the frames
// after a valid header. It must never panic or fail with anything but a
// header error or io.EOF; it must account for every byte; and every record it
// returns must be in range and survive a write and a read unchanged.
func FuzzReader(f *testing.F) {
	good, ends := writeFile(f, testHeader(), sampleRecords(8))
	golden := goldenRecords()
	goldenFile, _ := writeFile(f, testHeader(), golden)
	f.Add([]byte{})
	f.Add(good)
	f.Add(good[:ends[0]])
	f.Add(good[:ends[3]-3])
	f.Add(good[ends[0]:])
	f.Add(good[ends[0] : ends[4]-1])
	f.Add(goldenFile[ends[0]:])
	f.Add(buildFrame('R', nil))
	f.Add(buildFrame('S', []byte("unknown kind")))
	f.Add(buildFrame('R', payload(1, int64(-1), 2, 3, 200, 4, 5, byte(0), byte(1), "code", "1", 1, 1, 99, "future")))
	f.Add(buildFrame('R', []byte{0x80}))
	f.Add([]byte{'R', 0xff, 0xff, 0x03, 0, 0})
	f.Add(bytes.Repeat([]byte{'R', 0}, 20))
	f.Add(buildHeader(2, `{"start":"2025-01-02T03:04:05Z","new_key":1}`))
	f.Add([]byte("STAMPEDE\x00\x01"))

	header := good[:ends[0]]
	f.Fuzz(func(t *testing.T, data []byte) {
		checkReader(t, data)
		checkReader(t, append(bytes.Clone(header), data...))
	})
}

// checkReader reads data to the end and checks the reader's invariants.
func checkReader(t *testing.T, data []byte) {
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		if !errors.Is(err, ErrNotResultFile) && !errors.Is(err, ErrUnsupportedVersion) && !errors.Is(err, ErrCorruptHeader) {
			t.Fatalf("NewReader error %q wraps none of the sentinel errors", err)
		}
		return
	}
	var recs []Record
	for {
		var rec Record
		err := r.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next = %v; want nil or io.EOF from a bytes.Reader", err)
		}
		if rec.Sent < 0 || rec.Latency < 0 || !rec.ErrorKind.valid() || !rec.Category.valid() ||
			len(rec.ErrorCode)+len(rec.RetryAfter) > MaxPayloadLen {
			t.Fatalf("Next returned a record out of range: %+v", rec)
		}
		recs = append(recs, rec)
	}
	if err := r.Next(new(Record)); err != io.EOF {
		t.Fatalf("Next after the end = %v; want io.EOF", err)
	}
	checkAccounting(t, r, len(data))
	if len(r.intern) > maxInterned {
		t.Fatalf("%d interned strings; want at most %d", len(r.intern), maxInterned)
	}

	// What the reader returned must survive another trip, apart from strings
	// beyond the writer's limits, which a crafted file can hold.
	h := r.Header()
	if h.Validate() != nil {
		return // a crafted header the writer would refuse
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		t.Fatalf("NewWriter(header read back) = %v", err)
	}
	want := make([]Record, len(recs))
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
		want[i] = normalized(recs[i], h.Start)
	}
	mustFlush(t, w)
	got, r2 := readAll(t, buf.Bytes())
	checkRecords(t, "rewritten", got, want)
	if r2.Skipped() != 0 || r2.UnknownFrames() != 0 {
		t.Fatalf("rewritten file: Skipped(), UnknownFrames() = %d, %d; want 0, 0", r2.Skipped(), r2.UnknownFrames())
	}
}

// FuzzRoundTrip writes a record built from the fuzzer's values and reads it
// back: it must equal the record after the documented truncation, clamping
// and mapping.
func FuzzRoundTrip(f *testing.F) {
	for _, r := range append(goldenRecords(), sampleRecords(4)...) {
		f.Add(r.Seq, int64(r.Scheduled.Sub(testStart)), int64(r.Sent), int64(r.Latency), r.Status, r.BytesIn, r.BytesOut,
			uint8(r.ErrorKind), uint8(r.Category), r.ErrorCode, r.RetryAfter, r.Attempt, r.RequestID)
	}
	f.Add(uint64(0), int64(-1<<63), int64(-1<<63), int64(1<<63-1), uint16(0), uint64(0), uint64(0),
		uint8(255), uint8(255), "\xff\xfe\xfd", "é€😀", uint32(0), uint64(0))

	f.Fuzz(func(t *testing.T, seq uint64, sched, sent, latency int64, status uint16, bytesIn, bytesOut uint64,
		kind, cat uint8, code, retryAfter string, attempt uint32, requestID uint64) {
		in := Record{
			Seq: seq, Scheduled: testStart.Add(time.Duration(sched)), Sent: time.Duration(sent), Latency: time.Duration(latency),
			Status: status, BytesIn: bytesIn, BytesOut: bytesOut, ErrorKind: ErrorKind(kind), Category: Category(cat),
			ErrorCode: code, RetryAfter: retryAfter, Attempt: attempt, RequestID: requestID,
		}
		want := normalized(in, testStart)
		if len(want.ErrorCode) > MaxCodeLen || len(want.RetryAfter) > MaxRetryAfterLen {
			t.Fatalf("truncate left %d and %d bytes; want at most %d and %d", len(want.ErrorCode), len(want.RetryAfter), MaxCodeLen, MaxRetryAfterLen)
		}
		// Twice, so the second record reuses the reader's strings.
		data, _ := writeFile(t, testHeader(), []Record{in, in})
		got, r := readAll(t, data)
		checkRecords(t, "round trip", got, []Record{want, want})
		if r.Skipped() != 0 {
			t.Fatalf("Skipped() = %d; want 0", r.Skipped())
		}
	})
}
