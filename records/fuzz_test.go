package records

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzReader reads arbitrary bytes twice: as a whole file, and as the frames
// after a valid header. It must never panic or fail with anything but a
// header error or io.EOF; it must account for every byte; every record it
// returns must be in range, and so must every class in its table; and the
// records and classes must survive a write and a read unchanged.
func FuzzReader(f *testing.F) {
	good, ends := writeFile(f, testHeader(), sampleRecords(8))
	goldenFile, goldenEnds := writeItems(f, testHeader(), goldenItems()...)
	v1, err := os.ReadFile("testdata/v1.bin")
	if err != nil {
		f.Fatal(err)
	}
	v3, err := os.ReadFile("testdata/v3.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add(good)
	f.Add(good[:ends[0]])
	f.Add(good[:ends[3]-3])
	f.Add(good[ends[0]:])
	f.Add(good[ends[0] : ends[4]-1])
	f.Add(goldenFile)
	f.Add(goldenFile[goldenEnds[0]:])
	f.Add(goldenFile[goldenEnds[0]:goldenEnds[5]])
	f.Add(v1)
	f.Add(v1[ends[0]:])
	f.Add(v3)
	f.Add(goldenFile[goldenEnds[0]:goldenEnds[3]]) // a name, a class, a record
	damaged := bytes.Clone(goldenFile)
	damaged[goldenEnds[0]+3] ^= 0x20 // inside the first name frame
	f.Add(damaged)
	f.Add(slices.Concat(
		buildFrame('N', payload(3, "list items", "future")),
		buildFrame('N', payload(3, "again")),
		buildFrame('N', payload(0, "no id")),
		buildFrame('N', payload(4, strings.Repeat("€", 100))),
		buildFrame('R', payload(1, int64(0), 2, 3, 200, 4, 5, byte(0), byte(CatSuccess), "", "", 1, 1, 0, 3)),
		buildFrame('R', payload(2, int64(0), 2, 3, 200, 4, 5, byte(0), byte(CatSuccess), "", "", 1, 1, 0, 9)),
	))
	f.Add(buildFrame('N', nil))
	f.Add(buildFrame('N', []byte{0x80}))
	f.Add(buildFrame('N', payload(2, []byte{9, 'x'})))
	f.Add(buildFrame('R', nil))
	f.Add(buildFrame('Z', []byte("unknown kind")))
	f.Add(buildFrame('R', payload(1, int64(-1), 2, 3, 200, 4, 5, byte(0), byte(1), "code", "1", 1, 1, 7, 99, "future")))
	f.Add(slices.Concat(
		buildFrame('C', payload(7, 429, byte(0), byte(CatRateLimit), byte(3), "code", "pattern {n}", "problem", "message 5", "GET /", "future")),
		buildFrame('S', payload(7, `{"detail":"message 5"}`, "future")),
		buildFrame('S', payload(7, "")),
		buildFrame('S', payload(8, "no such class")),
		buildFrame('R', payload(1, int64(0), 2, 3, 429, 4, 5, byte(0), byte(CatRateLimit), "code", "1", 1, 1, 7)),
	))
	f.Add(slices.Concat(
		buildFrame('C', payload(1)),
		buildFrame('C', payload(1, 200)),
		buildFrame('C', payload(2, 0, byte(9), byte(99), byte(0xff), strings.Repeat("€", 200))),
		buildFrame('S', payload(2, strings.Repeat("é", 600))),
	))
	f.Add(buildFrame('T', []byte(`{"end":"2025-01-02T03:04:35Z","interrupted":"SIGINT","unsent":3,"contract":{"rules":[{"id":"retry-after-on-429","checked":2,"violations":1}]}}`)))
	f.Add(buildFrame('T', []byte(`{"end":"not a time"}`)))
	f.Add(buildFrame('T', []byte(`[1,2]`)))
	f.Add(buildFrame('C', nil))
	f.Add(buildFrame('C', payload(0, 200)))
	f.Add(buildFrame('C', payload(1, 200, byte(0), byte(0), byte(0), []byte{5, 'a'})))
	f.Add(buildFrame('S', payload(0, "body")))
	f.Add(buildFrame('S', []byte{0x80}))
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
	classes := r.Classes()
	if len(classes) > MaxClasses {
		t.Fatalf("%d classes; want at most %d", len(classes), MaxClasses)
	}
	for i, e := range classes {
		c := e.Class
		if c.ID == 0 || i > 0 && c.ID <= classes[i-1].ID {
			t.Fatalf("class %d has id %d after %d; want ids above 0 in increasing order", i, c.ID, classes[max(i-1, 0)].ID)
		}
		if !c.ErrorKind.valid() || !c.Category.valid() || len(c.Code) > MaxCodeLen || len(c.Pattern) > MaxPatternLen ||
			len(c.Dialect) > MaxDialectLen || len(c.Message) > MaxMessageLen || len(c.Example) > MaxExampleLen {
			t.Fatalf("class out of range: %+v", c)
		}
		if len(e.Samples) > MaxSamplesPerClass {
			t.Fatalf("class %d has %d samples; want at most %d", c.ID, len(e.Samples), MaxSamplesPerClass)
		}
		for _, s := range e.Samples {
			if len(s) > MaxSampleLen {
				t.Fatalf("class %d has a sample of %d bytes; want at most %d", c.ID, len(s), MaxSampleLen)
			}
		}
		if got, ok := r.Class(c.ID); !ok || got != c {
			t.Fatalf("Class(%d) = %+v, %v; want %+v, true", c.ID, got, ok, c)
		}
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
	names := r.Requests()
	if len(names) > MaxRequests {
		t.Fatalf("%d request names; want at most %d", len(names), MaxRequests)
	}
	for i, n := range names {
		if n.ID == 0 || i > 0 && n.ID <= names[i-1].ID || len(n.Name) > MaxRequestNameLen {
			t.Fatalf("request name %d = %+v after id %d; want ids above 0 in increasing order, names of at most %d bytes",
				i, n, names[max(i-1, 0)].ID, MaxRequestNameLen)
		}
		if got, ok := r.Request(n.ID); !ok || got != n.Name {
			t.Fatalf("Request(%d) = %q, %v; want %q, true", n.ID, got, ok, n.Name)
		}
		if err := w.WriteRequest(n.ID, n.Name); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range classes {
		if err := w.WriteClass(&e.Class); err != nil {
			t.Fatal(err)
		}
		for _, s := range e.Samples {
			if err := w.WriteSample(e.ID, []byte(s)); err != nil {
				t.Fatal(err)
			}
		}
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
	checkClasses(t, "rewritten", r2, classes)
	checkRequests(t, "rewritten", r2, names)
	if r2.Skipped() != 0 || r2.UnknownFrames() != 0 || r2.DroppedClasses() != 0 || r2.DroppedRequests() != 0 {
		t.Fatalf("rewritten file: Skipped(), UnknownFrames(), DroppedClasses() = %d, %d, %d; want 0, 0, 0",
			r2.Skipped(), r2.UnknownFrames(), r2.DroppedClasses())
	}
}

// FuzzRoundTrip writes a record built from the fuzzer's values and reads it
// back: it must equal the record after the documented truncation, clamping
// and mapping.
func FuzzRoundTrip(f *testing.F) {
	for _, r := range append(goldenRecords(), sampleRecords(4)...) {
		f.Add(r.Seq, int64(r.Scheduled.Sub(testStart)), int64(r.Sent), int64(r.Latency), r.Status, r.BytesIn, r.BytesOut,
			uint8(r.ErrorKind), uint8(r.Category), r.ErrorCode, r.RetryAfter, r.Attempt, r.RequestID, r.Class, r.Request)
	}
	f.Add(uint64(0), int64(-1<<63), int64(-1<<63), int64(1<<63-1), uint16(0), uint64(0), uint64(0),
		uint8(255), uint8(255), "\xff\xfe\xfd", "é€😀", uint32(0), uint64(0), uint32(math.MaxUint32), uint32(math.MaxUint32))

	f.Fuzz(func(t *testing.T, seq uint64, sched, sent, latency int64, status uint16, bytesIn, bytesOut uint64,
		kind, cat uint8, code, retryAfter string, attempt uint32, requestID uint64, class, request uint32) {
		in := Record{
			Seq: seq, Scheduled: testStart.Add(time.Duration(sched)), Sent: time.Duration(sent), Latency: time.Duration(latency),
			Status: status, BytesIn: bytesIn, BytesOut: bytesOut, ErrorKind: ErrorKind(kind), Category: Category(cat),
			ErrorCode: code, RetryAfter: retryAfter, Attempt: attempt, RequestID: requestID, Class: class, Request: request,
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
