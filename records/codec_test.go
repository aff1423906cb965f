package records

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	mrand "math/rand"
	"os"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"testing/quick"
	"time"

	"github.com/stampede-dev/stampede/internal/golden"
)

// quickRecord is a Record that testing/quick generates with values across
// every range: times at nanosecond resolution far on both sides of the start,
// negative durations, strings beyond their limits, kinds out of range.
type quickRecord Record

// Generate implements quick.Generator.
func (quickRecord) Generate(rng *mrand.Rand, _ int) reflect.Value {
	r := Record{
		Seq:       rng.Uint64(),
		Scheduled: testStart.Add(time.Duration(rng.Int63() - rng.Int63())),
		Sent:      time.Duration(rng.Int63() - rng.Int63()/4),
		Latency:   time.Duration(rng.Int63() - rng.Int63()/4),
		Status:    uint16(rng.Intn(1 << 16)),
		BytesIn:   rng.Uint64() >> rng.Intn(64),
		BytesOut:  rng.Uint64() >> rng.Intn(64),
		ErrorKind: ErrorKind(rng.Intn(10)),
		Category:  Category(rng.Intn(20)),
		Attempt:   rng.Uint32() >> rng.Intn(32),
		RequestID: rng.Uint64() >> rng.Intn(64),
		Class:     rng.Uint32() >> rng.Intn(33),
		Request:   rng.Uint32() >> rng.Intn(33),
	}
	// math/rand/v2 for the strings, seeded from the quick generator.
	r.ErrorCode = randString(newRand(rng.Uint64()), 2*MaxCodeLen)
	r.RetryAfter = randString(newRand(rng.Uint64()), 2*MaxRetryAfterLen)
	return reflect.ValueOf(quickRecord(r))
}

func TestRoundTripQuick(t *testing.T) {
	h := testHeader()
	roundTrip := func(in []quickRecord) bool {
		recs := make([]Record, len(in))
		want := make([]Record, len(in))
		for i := range in {
			recs[i] = Record(in[i])
			want[i] = normalized(recs[i], h.Start)
		}
		data, _ := writeFile(t, h, recs)
		got, r := readAll(t, data)
		checkRecords(t, "round trip", got, want)
		return r.Skipped() == 0 && r.UnknownFrames() == 0
	}
	cfg := &quick.Config{MaxCount: 200, Rand: mrand.New(mrand.NewSource(1))}
	if err := quick.Check(roundTrip, cfg); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripSmallReads(t *testing.T) {
	recs := sampleRecords(50)
	data, _ := writeFile(t, testHeader(), recs)
	readers := map[string]func(io.Reader) io.Reader{
		"OneByteReader": iotest.OneByteReader,
		"HalfReader":    iotest.HalfReader,
		"DataErrReader": iotest.DataErrReader,
		"plain":         func(r io.Reader) io.Reader { return r },
	}
	for name, wrap := range readers {
		r, err := NewReader(wrap(bytes.NewReader(data)))
		if err != nil {
			t.Fatalf("%s: NewReader: %v", name, err)
		}
		var got []Record
		var rec Record
		for r.Next(&rec) == nil {
			got = append(got, rec)
		}
		checkRecords(t, name, got, recs)
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	h := testHeader()
	h.Version = 99                                                                             // overwritten by the writer
	h.Start = time.Date(2025, 1, 2, 5, 4, 5, 123456789, time.FixedZone("CEST", 2*3600)).Add(0) // same instant as testStart
	data, _ := writeFile(t, h, nil)
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	got := r.Header()
	want := testHeader()
	want.Version = FormatVersion
	if !got.Start.Equal(want.Start) || got.Start.Location() != time.UTC {
		t.Errorf("Header().Start = %v; want %v in UTC", got.Start, want.Start)
	}
	got.Start, want.Start = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Header() = %+v; want %+v", got, want)
	}
	if !bytes.Contains(data, []byte(`"start":"2025-01-02T03:04:05.123456789Z"`)) {
		t.Errorf("header JSON %q does not store the start in UTC with nanoseconds", data)
	}
}

func TestHeaderUnknownKeys(t *testing.T) {
	js := `{"version":1,"start":"2025-01-02T03:04:05.123456789Z","future":{"nested":[1,2,3]},"tool":"stampede 9.9","also_new":null}`
	data := append(buildHeader(1, js), buildFrame('R', payload(7))...)
	recs, r := readAll(t, data)
	if h := r.Header(); h.Tool != "stampede 9.9" || !h.Start.Equal(testStart) {
		t.Errorf("Header() = %+v; want Tool %q and Start %v", h, "stampede 9.9", testStart)
	}
	if len(recs) != 1 || recs[0].Seq != 7 {
		t.Errorf("records = %+v; want one with Seq 7", recs)
	}
}

func TestHeaderValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Header)
		want   string
	}{
		{"valid", func(*Header) {}, ""},
		{"zero start", func(h *Header) { h.Start = time.Time{} }, "header: start time is not set"},
		{"year 10000", func(h *Header) { h.Start = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
			"header: start time 10000-01-01T00:00:00Z is outside the years 0 to 9999"},
		{"negative duration", func(h *Header) { h.Duration = -time.Second }, "header: duration -1s is negative"},
		{"every problem", func(h *Header) { h.Start, h.Duration = time.Time{}, -time.Minute },
			"header: start time is not set\nheader: duration -1m0s is negative"},
	}
	for _, tt := range tests {
		h := testHeader()
		tt.mutate(&h)
		got := ""
		if err := h.Validate(); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: Validate() = %q; want %q", tt.name, got, tt.want)
		}
		_, err := NewWriter(io.Discard, h)
		if (err == nil) != (tt.want == "") {
			t.Errorf("%s: NewWriter error = %v; want %q", tt.name, err, tt.want)
		}
	}
}

func TestNewWriterHeaderTooLarge(t *testing.T) {
	h := testHeader()
	h.Target = strings.Repeat("x", MaxHeaderLen)
	_, err := NewWriter(io.Discard, h)
	if err == nil || !strings.Contains(err.Error(), "more than the limit of 1048576") {
		t.Errorf("NewWriter(header with a 1 MiB target) error = %v; want the header size limit", err)
	}
}

// TestTruncatedFile cuts a file at every byte within the last two frames and
// within a frame in the middle: the reader returns every record before the
// cut, skips the partial frame and ends with io.EOF.
func TestTruncatedFile(t *testing.T) {
	const n = 20
	recs := sampleRecords(n)
	data, ends := writeFile(t, testHeader(), recs)
	var cuts []int
	for c := ends[n/2-1]; c <= ends[n/2]; c++ {
		cuts = append(cuts, c)
	}
	for c := ends[n-2]; c <= ends[n]; c++ {
		cuts = append(cuts, c)
	}
	for _, cut := range cuts {
		complete := 0 // records complete before the cut
		for complete < n && ends[complete+1] <= cut {
			complete++
		}
		got, r := readAll(t, data[:cut])
		checkRecords(t, fmt.Sprintf("cut at %d", cut), got, recs[:complete])
		if want := int64(cut - ends[complete]); r.Skipped() != want {
			t.Errorf("cut at %d: Skipped() = %d; want %d", cut, r.Skipped(), want)
		}
	}
}

// TestCorruptFrame changes each byte of a frame in turn: the reader loses
// that frame only and skips exactly its bytes.
func TestCorruptFrame(t *testing.T) {
	const n = 12
	recs := sampleRecords(n)
	clean, ends := writeFile(t, testHeader(), recs)
	for _, k := range []int{1, n / 2, n} { // first, middle and last frame
		want := append(append([]Record(nil), recs[:k-1]...), recs[k:]...)
		for off := ends[k-1]; off < ends[k]; off++ {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				data := bytes.Clone(clean)
				data[off] ^= mask
				what := fmt.Sprintf("frame %d, byte %d ^ %#x", k, off, mask)
				got, r := readAll(t, data)
				checkRecords(t, what, got, want)
				if size := int64(ends[k] - ends[k-1]); r.Skipped() != size {
					t.Errorf("%s: Skipped() = %d; want the frame's %d bytes", what, r.Skipped(), size)
				}
			}
		}
	}
}

// TestGarbageBetweenFrames inserts bytes between two frames.
func TestGarbageBetweenFrames(t *testing.T) {
	recs := sampleRecords(6)
	clean, ends := writeFile(t, testHeader(), recs)
	garbage := [][]byte{
		{0},
		[]byte("R"),
		{'R', 0xff, 0xff, 0x03},        // the largest allowed length, then too few bytes
		{'R', 0xff, 0xff, 0xff, 0x0f},  // an impossible length
		bytes.Repeat([]byte{0x80}, 40), // a length that never ends
		[]byte("some text a log line left behind\n"),
	}
	for _, g := range garbage {
		data := append(append(append([]byte(nil), clean[:ends[3]]...), g...), clean[ends[3]:]...)
		got, r := readAll(t, data)
		checkRecords(t, fmt.Sprintf("garbage %q", g), got, recs)
		if r.Skipped() != int64(len(g)) {
			t.Errorf("garbage %q: Skipped() = %d; want %d", g, r.Skipped(), len(g))
		}
	}
}

func TestCorruptHeader(t *testing.T) {
	good, ends := writeFile(t, testHeader(), sampleRecords(2))
	hlen := ends[0]
	js := good[len(Magic)+2+2 : hlen-4] // the header JSON is longer than 127 bytes: a 2-byte length
	flipped := bytes.Clone(good[:hlen]) // a damaged header and no frame to recover: still refused
	flipped[20] ^= 0x20
	stored := binary.LittleEndian.Uint32(good[hlen-4:])
	computed := crc32.Checksum(flipped[len(Magic)+2+2:hlen-4], testCRC)
	withVersion := func(v uint16) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint16(b[len(Magic):], v)
		return b
	}
	tooLong := append([]byte("STAMPEDE\x01\x00"), binary.AppendUvarint(nil, MaxHeaderLen+1)...)

	tests := []struct {
		name     string
		in       []byte
		sentinel error
		want     string // the whole message, or its start when it ends in "…"
	}{
		{"other file", []byte("GIF89a\x01\x00\x01\x00"), ErrNotResultFile,
			`not a stampede result file (bad magic): the file starts with "GIF89a\x01\x00" instead of "STAMPEDE"`},
		{"lower case magic", append([]byte("stampede"), good[8:]...), ErrNotResultFile,
			`not a stampede result file (bad magic): the file starts with "stampede" instead of "STAMPEDE"`},
		{"short other file", []byte("STAMP\n"), ErrNotResultFile,
			`not a stampede result file (bad magic): the file starts with "STAMP\n" instead of "STAMPEDE"`},
		{"empty", nil, ErrCorruptHeader,
			"corrupt result file header: truncated in the magic: the file is empty"},
		{"truncated magic", good[:5], ErrCorruptHeader,
			"corrupt result file header: truncated in the magic: the file ends after 5 bytes"},
		{"truncated version", good[:9], ErrCorruptHeader,
			"corrupt result file header: truncated in the version: the file ends after 9 bytes"},
		{"version 0", withVersion(0), ErrUnsupportedVersion,
			"unsupported result file format version 0: this stampede writes version 5 and reads versions 1 to 255"},
		{"version 256", withVersion(256), ErrUnsupportedVersion,
			"unsupported result file format version 256: this stampede writes version 5 and reads versions 1 to 255; the file was written by a newer, incompatible stampede"},
		{"version 65535", withVersion(65535), ErrUnsupportedVersion,
			"unsupported result file format version 65535: this stampede writes version 5 and reads versions 1 to 255; the file was written by a newer, incompatible stampede"},
		{"truncated length", good[:11], ErrCorruptHeader,
			"corrupt result file header: truncated in the JSON length: the file ends after 11 bytes"},
		{"length overflows", []byte("STAMPEDE\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"), ErrCorruptHeader,
			"corrupt result file header: the JSON length overflows 64 bits"},
		{"length over 1 MiB", tooLong, ErrCorruptHeader,
			"corrupt result file header: the JSON length 1048577 exceeds the limit of 1048576 bytes (1 MiB)"},
		{"truncated JSON", good[:40], ErrCorruptHeader,
			"corrupt result file header: truncated in the JSON: the file ends after 40 bytes"},
		{"truncated checksum", good[:hlen-2], ErrCorruptHeader,
			fmt.Sprintf("corrupt result file header: truncated in the checksum: the file ends after %d bytes", hlen-2)},
		{"flipped JSON byte", flipped, ErrCorruptHeader,
			fmt.Sprintf("corrupt result file header: checksum mismatch (stored %08x, computed %08x)", stored, computed)},
		{"JSON not an object", buildHeader(1, "[1,2]"), ErrCorruptHeader,
			"corrupt result file header: invalid JSON: not an object"},
		{"JSON null", buildHeader(1, " null"), ErrCorruptHeader,
			"corrupt result file header: invalid JSON: not an object"},
		{"JSON cut short", buildHeader(1, string(js[:len(js)-1])), ErrCorruptHeader,
			"corrupt result file header: invalid JSON: …"},
		{"JSON bad start time", buildHeader(1, `{"start":"yesterday"}`), ErrCorruptHeader,
			"corrupt result file header: invalid JSON: …"},
	}
	sentinels := []error{ErrNotResultFile, ErrUnsupportedVersion, ErrCorruptHeader}
	for _, tt := range tests {
		_, err := NewReader(bytes.NewReader(tt.in))
		if err == nil {
			t.Errorf("%s: NewReader error = nil; want %q", tt.name, tt.want)
			continue
		}
		for _, s := range sentinels {
			if got, want := errors.Is(err, s), s == tt.sentinel; got != want {
				t.Errorf("%s: errors.Is(%q, %q) = %v; want %v", tt.name, err, s, got, want)
			}
		}
		msg := err.Error()
		if prefix, ok := strings.CutSuffix(tt.want, "…"); ok {
			if !strings.HasPrefix(msg, prefix) || len(msg) == len(prefix) {
				t.Errorf("%s: NewReader error = %q; want %q followed by details", tt.name, msg, prefix)
			}
		} else if msg != tt.want {
			t.Errorf("%s: NewReader error = %q; want %q", tt.name, msg, tt.want)
		}
	}
}

// TestForwardCompatible reads a file of a newer writer by hand: a newer
// compatible version, a header key and record fields it does not know, and a
// frame of an unknown kind; and payloads of an older writer that end early.
func TestForwardCompatible(t *testing.T) {
	start := `"start":"2025-01-02T03:04:05.123456789Z"`
	file := buildHeader(7, `{"version":7,`+start+`,"string_tables":true}`)
	full := payload(
		1, int64(-1500), 1000, 2000000, 429, 512, 64, byte(ErrNone), byte(CatRateLimit),
		"rate_limited", "30", 2, 77, 5, 9, byte(RetryFollows|RetryEarly), 96,
	)
	future := append(bytes.Clone(full), payload(12345, "a field from the future", byte(9))...)
	file = append(file, buildFrame('R', future)...)
	file = append(file, buildFrame('X', []byte("\x02\x05hello\x05world"))...) // a string table, say
	file = append(file, buildFrame('R', payload(2, int64(5), 1, 2, 200, 3, 4, byte(ErrNone), byte(CatSuccess), "", "", 1))...)
	file = append(file, buildFrame('R', payload(3, int64(0), 0, 0, 0, 0, 0, byte(ErrTimeout), byte(CatTimeout), "", ""))...)
	file = append(file, buildFrame('R', payload(4))...)
	file = append(file, buildFrame('R', nil)...)
	file = append(file, buildFrame('R', payload(6, int64(0), 0, 0, 0, 0, 0, byte(42), byte(99)))...)
	file = append(file, buildFrame(0, nil)...) // an empty frame of kind 0

	want := []Record{
		{Seq: 1, Scheduled: testStart.Add(-1500), Sent: 1000, Latency: 2000000, Status: 429, BytesIn: 512, BytesOut: 64,
			Category: CatRateLimit, ErrorCode: "rate_limited", RetryAfter: "30", Attempt: 2, RequestID: 77, Class: 5, Request: 9,
			Retry: RetryFollows | RetryEarly, SinceFirst: 96},
		{Seq: 2, Scheduled: testStart.Add(5), Sent: 1, Latency: 2, Status: 200, BytesIn: 3, BytesOut: 4, Category: CatSuccess, Attempt: 1},
		{Seq: 3, Scheduled: testStart, ErrorKind: ErrTimeout, Category: CatTimeout},
		{Seq: 4},
		{},
		{Seq: 6, Scheduled: testStart, ErrorKind: ErrOther, Category: CatUnknown},
	}
	got, r := readAll(t, file)
	checkRecords(t, "forward compatible", got, want)
	if r.Header().Version != 7 {
		t.Errorf("Header().Version = %d; want 7", r.Header().Version)
	}
	if r.UnknownFrames() != 2 || r.Skipped() != 0 {
		t.Errorf("UnknownFrames(), Skipped() = %d, %d; want 2, 0", r.UnknownFrames(), r.Skipped())
	}
}

// TestMalformedPayload gives record frames with a valid checksum but a
// payload that does not decode: each is skipped whole.
func TestMalformedPayload(t *testing.T) {
	head := func(status uint64) []byte { return payload(1, int64(0), 0, 0, status) }
	tests := []struct {
		name string
		p    []byte
	}{
		{"varint cut in the middle", []byte{0x80}},
		{"status out of range", head(70000)},
		{"sent beyond int64", payload(1, int64(0), uint64(math.MaxInt64)+1)},
		{"latency beyond int64", payload(1, int64(0), 0, uint64(math.MaxUint64))},
		{"varint too long", append([]byte{1}, bytes.Repeat([]byte{0xff}, 11)...)},
		{"string longer than payload", append(head(200), 0, 0, 0, 0, 5, 'a', 'b')},
		{"string length cut", append(head(200), 0, 0, 0, 0, 0x80)},
		{"attempt beyond uint32", payload(1, int64(0), 0, 0, 200, 0, 0, byte(0), byte(0), "", "", uint64(math.MaxUint32)+1)},
		{"class beyond uint32", payload(1, int64(0), 0, 0, 200, 0, 0, byte(0), byte(0), "", "", 1, 0, uint64(math.MaxUint32)+1)},
		{"class cut in the middle", append(payload(1, int64(0), 0, 0, 200, 0, 0, byte(0), byte(0), "", "", 1, 0), 0x80)},
		{"request beyond uint32", payload(1, int64(0), 0, 0, 200, 0, 0, byte(0), byte(0), "", "", 1, 0, 1, uint64(math.MaxUint32)+1)},
		{"request cut in the middle", append(payload(1, int64(0), 0, 0, 200, 0, 0, byte(0), byte(0), "", "", 1, 0, 1), 0x80)},
	}
	recs := sampleRecords(4)
	clean, ends := writeFile(t, testHeader(), recs)
	for _, tt := range tests {
		frame := buildFrame('R', tt.p)
		data := append(append(append([]byte(nil), clean[:ends[2]]...), frame...), clean[ends[2]:]...)
		got, r := readAll(t, data)
		checkRecords(t, tt.name, got, recs)
		if r.Skipped() != int64(len(frame)) {
			t.Errorf("%s: Skipped() = %d; want the frame's %d bytes", tt.name, r.Skipped(), len(frame))
		}
	}
}

func TestReadError(t *testing.T) {
	recs := sampleRecords(5)
	data, ends := writeFile(t, testHeader(), recs)
	errBoom := errors.New("boom")
	for _, cut := range []int{ends[3], ends[3] + 1, ends[3] + 5, ends[4] - 1} {
		r, err := NewReader(io.MultiReader(bytes.NewReader(data[:cut]), iotest.ErrReader(errBoom)))
		if err != nil {
			t.Fatalf("NewReader: %v", err)
		}
		var rec Record
		for i := range 3 {
			if err := r.Next(&rec); err != nil || !sameRecord(rec, recs[i]) {
				t.Fatalf("cut at %d: Next = %+v, %v; want %+v, nil", cut, rec, err, recs[i])
			}
		}
		for range 2 { // the error is sticky
			if err := r.Next(&rec); !errors.Is(err, errBoom) {
				t.Errorf("cut at %d: Next error = %v; want %v", cut, err, errBoom)
			}
		}
	}
	if _, err := NewReader(io.MultiReader(bytes.NewReader(data[:20]), iotest.ErrReader(errBoom))); !errors.Is(err, errBoom) {
		t.Errorf("NewReader(header cut by an error) = %v; want %v", err, errBoom)
	}
}

// failWriter fails every write.
type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWriterErrorIsSticky(t *testing.T) {
	errDisk := errors.New("disk full")
	w, err := NewWriter(failWriter{errDisk}, testHeader())
	if err != nil {
		t.Fatalf("NewWriter = %v; want the header buffered", err)
	}
	rec := sampleRecords(1)[0]
	if err := w.Write(&rec); err != nil {
		t.Fatalf("Write = %v; want the record buffered", err)
	}
	if err := w.Flush(); !errors.Is(err, errDisk) {
		t.Fatalf("Flush = %v; want %v", err, errDisk)
	}
	if err := w.Write(&rec); !errors.Is(err, errDisk) {
		t.Errorf("Write after a failed Flush = %v; want %v", err, errDisk)
	}
	if err := w.Flush(); !errors.Is(err, errDisk) {
		t.Errorf("second Flush = %v; want %v", err, errDisk)
	}
	if w.Count() != 1 {
		t.Errorf("Count() = %d; want 1", w.Count())
	}
}

func TestWriteAllocs(t *testing.T) {
	w, err := NewWriter(io.Discard, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{
		Seq: 1, Scheduled: testStart.Add(time.Second), Sent: time.Millisecond, Latency: 20 * time.Millisecond,
		Status: 429, BytesIn: 1234, BytesOut: 56, Category: CatRateLimit,
		ErrorCode:  strings.Repeat("é", MaxCodeLen), // truncated on every write
		RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", Attempt: 1, RequestID: 1, Request: 3,
	}
	allocs := testing.AllocsPerRun(1000, func() {
		rec.Seq++
		if err := w.Write(&rec); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Writer.Write allocates %v times per call; want 0", allocs)
	}
}

func TestNextAllocs(t *testing.T) {
	// Classes and samples first, as the attacker writes them, then records.
	var items []any
	for _, c := range goldenClasses() {
		items = append(items, c)
	}
	for _, s := range goldenSamples() {
		items = append(items, s)
	}
	for _, rec := range sampleRecords(3000) {
		items = append(items, rec)
	}
	data, _ := writeItems(t, testHeader(), items...)
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	for range 500 { // warm up: intern the few distinct strings
		if err := r.Next(&rec); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(2000, func() {
		if err := r.Next(&rec); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Reader.Next allocates %v times per call; want 0", allocs)
	}
}

// goldenRecords are the records of the golden file: every field set at least
// once, truncation, clamping and a far-away time. Their classes are
// goldenClasses.
func goldenRecords() []Record {
	return []Record{
		{Seq: 0, Scheduled: testStart, Sent: 150 * time.Microsecond, Latency: 12345678 * time.Nanosecond,
			Status: 200, BytesIn: 512, BytesOut: 0, Category: CatSuccess, Attempt: 1, RequestID: 0, Class: 1, Request: 1},
		{Seq: 1, Scheduled: testStart.Add(20 * time.Millisecond), Sent: 2 * time.Millisecond, Latency: 30 * time.Millisecond,
			Status: 429, BytesIn: 64, BytesOut: 17, Category: CatRateLimit, ErrorCode: "rate_limited",
			RetryAfter: "Wed, 21 Oct 2015 07:28:00 GMT", Attempt: 1, RequestID: 1, Class: 2, Request: 1, Retry: RetryFollows},
		{Seq: 2, Scheduled: testStart.Add(40 * time.Millisecond), Sent: 5 * time.Second, Latency: 10 * time.Second,
			ErrorKind: ErrTimeout, Category: CatTimeout, Attempt: 2, RequestID: 1, Class: 3, Request: 2,
			Retry: RetryEarly | RetryExhausted, SinceFirst: 20 * time.Millisecond},
		{Seq: 3, Scheduled: testStart.Add(-time.Nanosecond), Sent: -1, Latency: -time.Second,
			Status: 503, Category: CatUnavailable, ErrorCode: "überlastet" + strings.Repeat("ü", 100), RetryAfter: "120",
			Attempt: math.MaxUint32, RequestID: math.MaxUint64, Class: 4, Retry: 0xff, SinceFirst: -time.Second},
		{Seq: math.MaxUint64, Scheduled: testStart.Add(100 * 365 * 24 * time.Hour), Latency: math.MaxInt64,
			Status: 65535, BytesIn: math.MaxUint64, BytesOut: 1 << 40, ErrorKind: ErrDNS, Category: CatTransport,
			RetryAfter: strings.Repeat("9", 70), Class: math.MaxUint32, Request: math.MaxUint32},
	}
}

// goldenClasses are the classes of the golden records: both flags, every
// string set, strings beyond their limits, the largest id, and a kind and a
// category out of range.
func goldenClasses() []Class {
	return []Class{
		{ID: 1, Status: 200, Category: CatSuccess, Example: "GET /orders/{id}"},
		{ID: 2, Status: 429, Category: CatRateLimit, Retryable: true, Code: "rate_limited",
			Pattern: "Rate limit of {n} requests per {n}s exceeded", Dialect: "problem",
			Message: "Rate limit of 50 requests per 1s exceeded", Example: "GET /orders/{id}"},
		{ID: 3, ErrorKind: ErrTimeout, Category: CatTimeout, Retryable: true,
			Pattern: "timeout awaiting response headers", Message: "timeout awaiting response headers", Example: "POST /orders"},
		{ID: 4, Status: 503, Category: CatUnavailable, Overflow: true,
			Code: "überlastet" + strings.Repeat("ü", 100), Pattern: strings.Repeat("é", 300), Dialect: strings.Repeat("x", 70),
			Message: strings.Repeat("€", 200), Example: "GET /" + strings.Repeat("😀", 200)},
		{ID: math.MaxUint32, ErrorKind: ErrorKind(200), Category: Category(200), Retryable: true, Overflow: true},
	}
}

// goldenSamples are the samples of the golden file: two of class 2 and one
// of class 4 beyond the length limit.
func goldenSamples() []sample {
	return []sample{
		{2, `{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"Rate limit of 50 requests per 1s exceeded"}`},
		{2, `{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"Rate limit of 51 requests per 1s exceeded"}`},
		{4, "<html>" + strings.Repeat("€", 400) + "</html>"},
	}
}

// goldenNames are the request names of the golden records: a profile's
// name, "METHOD /path", and a name beyond the length limit with the
// largest id. Record 3 has none.
func goldenNames() []RequestName {
	return []RequestName{
		{ID: 1, Name: "get order"},
		{ID: 2, Name: "POST /orders"},
		{ID: math.MaxUint32, Name: "GET /" + strings.Repeat("😀", 100)},
	}
}

// goldenItems interleaves the golden classes, samples, request names and
// records as a Writer in the attacker would: each class and each name just
// before its first record.
func goldenItems() []any {
	recs, classes, samples, names := goldenRecords(), goldenClasses(), goldenSamples(), goldenNames()
	return []any{
		names[0], classes[0], recs[0],
		classes[1], samples[0], recs[1], samples[1],
		names[1], classes[2], recs[2],
		classes[3], samples[2], recs[3],
		names[2], classes[4], recs[4],
	}
}

// goldenRequests returns the name table a reader builds from the golden
// file.
func goldenRequests() []RequestName {
	names := goldenNames()
	for i := range names {
		names[i].Name = truncate(names[i].Name, MaxRequestNameLen)
	}
	return names
}

// goldenEntries returns the class table a reader builds from the golden file.
func goldenEntries() []ClassEntry {
	var entries []ClassEntry
	for _, c := range goldenClasses() {
		entries = append(entries, ClassEntry{Class: normalizedClass(c)})
	}
	for _, s := range goldenSamples() {
		for i := range entries {
			if entries[i].ID == s.class {
				entries[i].Samples = append(entries[i].Samples, truncate(s.body, MaxSampleLen))
			}
		}
	}
	return entries
}

// TestGoldenFile pins the exact bytes of a small file, so that any change
// to the format shows up here; and checks the file still reads back.
// Regenerate it with go test -run TestGoldenFile -update, but only for a
// deliberate change that follows the compatibility rules; keep the file of
// the version before as a fixture, as testdata/v1.bin is kept.
func TestGoldenFile(t *testing.T) {
	got, _ := writeItems(t, testHeader(), append(goldenItems(), goldenTrailer())...)
	want := golden.Check(t, "bin", got)
	path := golden.Path(t, "bin")
	// The stored file must keep reading back, whatever the writer does now.
	read, r := readAll(t, want)
	recs := goldenRecords()
	wantRecs := make([]Record, len(recs))
	for i := range recs {
		wantRecs[i] = normalized(recs[i], testStart)
	}
	checkRecords(t, path, read, wantRecs)
	checkClasses(t, path, r, goldenEntries())
	checkRequests(t, path, r, goldenRequests())
	if r.Skipped() != 0 || r.UnknownFrames() != 0 || r.DroppedClasses() != 0 || r.Header().Tool != "stampede test" || r.Header().Version != 5 {
		t.Errorf("%s: Skipped(), UnknownFrames(), DroppedClasses() = %d, %d, %d, Header().Tool = %q, Version %d; want 0, 0, 0, %q, 5",
			path, r.Skipped(), r.UnknownFrames(), r.DroppedClasses(), r.Header().Tool, r.Header().Version, "stampede test")
	}
	if tr := r.Trailer(); tr == nil || !reflect.DeepEqual(*tr, goldenTrailer()) {
		t.Errorf("%s: Trailer() = %+v; want %+v", path, tr, goldenTrailer())
	}
}

// goldenTrailer is the trailer of the golden file.
func goldenTrailer() Trailer {
	return Trailer{
		End: testStart.Add(31 * time.Second), Interrupted: "SIGINT", Unanswered: 2, Unsent: 3, Truncated: 4,
		BodyLimit: 65536, MaxClasses: 200, Contract: json.RawMessage(`{"rules":[]}`),
	}
}

// TestReadV2File reads the golden file of format version 2, written before
// files had a trailer: records and classes as before, and no trailer.
func TestReadV2File(t *testing.T) {
	const path = "testdata/v2.bin"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("STAMPEDE\x02\x00")) {
		t.Fatalf("%s does not start with the magic and version 2", path)
	}
	read, r := readAll(t, data)
	recs := goldenRecords()
	want := make([]Record, len(recs))
	for i := range recs {
		want[i] = normalized(recs[i], testStart)
		want[i].Request, want[i].Retry, want[i].SinceFirst = 0, 0, 0
	}
	checkRecords(t, path, read, want)
	checkClasses(t, path, r, goldenEntries())
	checkRequests(t, path, r, []RequestName{})
	if r.Skipped() != 0 || r.UnknownFrames() != 0 || r.Trailer() != nil || r.Header().Version != 2 {
		t.Errorf("%s: Skipped() %d, UnknownFrames() %d, Trailer() %v, Version %d; want 0, 0, nil, 2", path, r.Skipped(), r.UnknownFrames(), r.Trailer(), r.Header().Version)
	}
}

// TestReadV3File reads the golden file of format version 3, written before
// records named their request: records, classes and trailer as before,
// every record with Request 0 and no names.
func TestReadV3File(t *testing.T) {
	const path = "testdata/v3.bin"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("STAMPEDE\x03\x00")) {
		t.Fatalf("%s does not start with the magic and version 3", path)
	}
	read, r := readAll(t, data)
	recs := goldenRecords()
	want := make([]Record, len(recs))
	for i := range recs {
		want[i] = normalized(recs[i], testStart)
		want[i].Request, want[i].Retry, want[i].SinceFirst = 0, 0, 0
	}
	checkRecords(t, path, read, want)
	checkClasses(t, path, r, goldenEntries())
	checkRequests(t, path, r, []RequestName{})
	if r.Skipped() != 0 || r.UnknownFrames() != 0 || r.DroppedRequests() != 0 || r.Header().Version != 3 {
		t.Errorf("%s: Skipped() %d, UnknownFrames() %d, DroppedRequests() %d, Version %d; want 0, 0, 0, 3",
			path, r.Skipped(), r.UnknownFrames(), r.DroppedRequests(), r.Header().Version)
	}
	if tr := r.Trailer(); tr == nil || !reflect.DeepEqual(*tr, goldenTrailer()) {
		t.Errorf("%s: Trailer() = %+v; want %+v", path, tr, goldenTrailer())
	}
	if len(data) != 4225 {
		t.Errorf("%s has %d bytes; want the 4225 of the version 3 golden file", path, len(data))
	}
}

// TestReadV4File reads the golden file of format version 4, written before
// records told of retries: records, classes, names and trailer as before,
// every record with Retry and SinceFirst 0.
func TestReadV4File(t *testing.T) {
	const path = "testdata/v4.bin"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("STAMPEDE\x04\x00")) {
		t.Fatalf("%s does not start with the magic and version 4", path)
	}
	read, r := readAll(t, data)
	recs := goldenRecords()
	want := make([]Record, len(recs))
	for i := range recs {
		want[i] = normalized(recs[i], testStart)
		want[i].Retry, want[i].SinceFirst = 0, 0
	}
	checkRecords(t, path, read, want)
	checkClasses(t, path, r, goldenEntries())
	checkRequests(t, path, r, goldenRequests())
	if r.Skipped() != 0 || r.UnknownFrames() != 0 || r.Header().Version != 4 {
		t.Errorf("%s: Skipped() %d, UnknownFrames() %d, Version %d; want 0, 0, 4", path, r.Skipped(), r.UnknownFrames(), r.Header().Version)
	}
	if tr := r.Trailer(); tr == nil || !reflect.DeepEqual(*tr, goldenTrailer()) {
		t.Errorf("%s: Trailer() = %+v; want %+v", path, tr, goldenTrailer())
	}
}

// TestMalformedTrailer: a trailer frame whose JSON does not parse is
// skipped and counted, and the records around it read.
func TestMalformedTrailer(t *testing.T) {
	file := buildHeader(3, `{"version":3,"start":"2025-01-02T03:04:05.123456789Z"}`)
	file = append(file, buildFrame('T', []byte(`{"end":`))...)
	file = append(file, buildFrame('T', []byte(`null`))...)
	file = append(file, buildFrame('T', []byte(` [1]`))...)
	file = append(file, buildFrame('R', payload(1, int64(0), 0, 0, 200))...)
	got, r := readAll(t, file)
	if len(got) != 1 || r.Trailer() != nil || r.Skipped() == 0 {
		t.Errorf("records %d, Trailer() %v, Skipped() %d; want 1, nil, > 0", len(got), r.Trailer(), r.Skipped())
	}
}

// TestReadV1File reads the golden file of format version 1, written before
// records had a class and files had class frames: it must read exactly as it
// did, every record with Class 0 and no classes.
func TestReadV1File(t *testing.T) {
	const path = "testdata/v1.bin"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("STAMPEDE\x01\x00")) {
		t.Fatalf("%s does not start with the magic and version 1", path)
	}
	read, r := readAll(t, data)
	recs := goldenRecords()
	want := make([]Record, len(recs))
	for i := range recs {
		want[i] = normalized(recs[i], testStart)
		want[i].Class, want[i].Request, want[i].Retry, want[i].SinceFirst = 0, 0, 0, 0
	}
	checkRecords(t, path, read, want)
	checkClasses(t, path, r, []ClassEntry{})
	checkRequests(t, path, r, []RequestName{})
	if r.Skipped() != 0 || r.UnknownFrames() != 0 || r.DroppedClasses() != 0 || r.Header().Version != 1 {
		t.Errorf("%s: Skipped(), UnknownFrames(), DroppedClasses() = %d, %d, %d, Header().Version = %d; want 0, 0, 0, 1",
			path, r.Skipped(), r.UnknownFrames(), r.DroppedClasses(), r.Header().Version)
	}
	if len(data) != 731 {
		t.Errorf("%s has %d bytes; want the 731 of the version 1 golden file", path, len(data))
	}
}
