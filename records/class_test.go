package records

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestClassRoundTrip writes classes with every flag, kind and category,
// strings at and beyond their limits, and samples interleaved with records;
// they read back after the documented truncation and mapping, and Next still
// returns only the records.
func TestClassRoundTrip(t *testing.T) {
	classes := []Class{
		{ID: 1, Status: 200, Category: CatSuccess},
		{ID: 2, Status: 429, Category: CatRateLimit, Retryable: true, Code: "rate_limited",
			Pattern: "limit of {n} per {n}s", Dialect: "problem", Message: "limit of 5 per 1s", Example: "GET /a/{id}"},
		{ID: 3, ErrorKind: ErrReset, Category: CatTransport, Overflow: true},
		{ID: 4, ErrorKind: ErrTimeout, Category: CatTimeout, Retryable: true, Overflow: true},
		{ID: 5, Status: 65535, ErrorKind: ErrorKind(7), Category: Category(15)}, // just out of range
		{ID: 6, Status: 500, ErrorKind: ErrorKind(255), Category: Category(255), // far out of range
			Code:    strings.Repeat("a", MaxCodeLen),    // exactly at the limit
			Pattern: strings.Repeat("p", MaxPatternLen), // exactly at the limit
			Dialect: strings.Repeat("d", MaxDialectLen), // exactly at the limit
			Message: strings.Repeat("m", MaxMessageLen), // exactly at the limit
			Example: strings.Repeat("e", MaxExampleLen), // exactly at the limit
		},
		{ID: 7, Status: 503, Category: CatUnavailable,
			Code:    strings.Repeat("ü", MaxCodeLen),              // cut between runes
			Pattern: "x" + strings.Repeat("€", MaxPatternLen/3+1), // a rune straddles the limit
			Dialect: strings.Repeat("\xff", MaxDialectLen+1),      // invalid UTF-8, cut at the limit
			Message: strings.Repeat("😀", MaxMessageLen/4+1),       // one rune too many
			Example: "GET /" + strings.Repeat("é", MaxExampleLen), // a rune straddles the limit
		},
		{ID: math.MaxUint32, ErrorKind: ErrDNS, Category: CatTransport, Message: "lookup api.example: no such host"},
	}
	samples := []sample{
		{2, `{"type":"about:blank","status":429}`},
		{2, ""},                                // an empty body is a sample too
		{7, strings.Repeat("a", MaxSampleLen)}, // exactly at the limit
		{7, "ab" + strings.Repeat("€", MaxSampleLen/3)}, // a rune straddles the limit
		{7, strings.Repeat("\x80", 2*MaxSampleLen)},     // invalid UTF-8, cut at the limit
		{math.MaxUint32, "\x00binary\x01"},
	}
	recs := sampleRecords(len(classes))
	var items []any
	var want []ClassEntry
	for i, c := range classes {
		items = append(items, c)
		e := ClassEntry{Class: normalizedClass(c)}
		for _, s := range samples {
			if s.class == c.ID {
				items = append(items, s)
				e.Samples = append(e.Samples, truncate(s.body, MaxSampleLen))
			}
		}
		recs[i].Class = c.ID
		items = append(items, recs[i])
		want = append(want, e)
	}
	data, _ := writeItems(t, testHeader(), items...)
	got, r := readAll(t, data)
	checkRecords(t, "class round trip", got, recs)
	checkClasses(t, "class round trip", r, want)
	if r.Skipped() != 0 || r.UnknownFrames() != 0 || r.DroppedClasses() != 0 {
		t.Errorf("Skipped(), UnknownFrames(), DroppedClasses() = %d, %d, %d; want 0, 0, 0", r.Skipped(), r.UnknownFrames(), r.DroppedClasses())
	}

	// Spot checks of the mapping and truncation, independent of the helpers.
	c5, _ := r.Class(5)
	c7, _ := r.Class(7)
	e7 := r.Classes()[6]
	checks := []struct {
		what      string
		got, want any
	}{
		{"class 5 kind", c5.ErrorKind, ErrOther},
		{"class 5 category", c5.Category, CatUnknown},
		{"class 7 code", c7.Code, strings.Repeat("ü", MaxCodeLen/2)},
		{"class 7 pattern", c7.Pattern, "x" + strings.Repeat("€", MaxPatternLen/3)},
		{"class 7 dialect", c7.Dialect, strings.Repeat("\xff", MaxDialectLen)},
		{"class 7 message", c7.Message, strings.Repeat("😀", MaxMessageLen/4)},
		{"class 7 example length", len(c7.Example), MaxExampleLen - 1},
		{"class 7 samples", len(e7.Samples), 3},
		{"class 7 sample 2", e7.Samples[1], "ab" + strings.Repeat("€", MaxSampleLen/3-1)},
		{"class 7 sample 3", e7.Samples[2], strings.Repeat("\x80", MaxSampleLen)},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q; want %q", c.what, c.got, c.want)
		}
	}
	if _, ok := r.Class(0); ok {
		t.Error("Class(0) found a class; want none")
	}
	if _, ok := r.Class(8); ok {
		t.Error("Class(8) found a class; want none")
	}

	// Classes returns a copy.
	cs := r.Classes()
	cs[0].Code = "changed"
	cs[1].Samples[0] = "changed"
	checkClasses(t, "after changing what Classes returned", r, want)
}

// TestClassesOrder reads classes written out of order: Classes sorts them by
// id, and a class read before any record is known when its records come.
func TestClassesOrder(t *testing.T) {
	data, _ := writeItems(t, testHeader(),
		Class{ID: 30}, Class{ID: 10}, Record{Seq: 1, Scheduled: testStart, Class: 10}, Class{ID: 20},
		Record{Seq: 2, Scheduled: testStart, Class: 20})
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var rec Record
	for _, want := range []uint32{10, 20} {
		if err := r.Next(&rec); err != nil || rec.Class != want {
			t.Fatalf("Next = %v with Class %d; want nil with Class %d", err, rec.Class, want)
		}
		if c, ok := r.Class(rec.Class); !ok || c.ID != want {
			t.Errorf("Class(%d) = %+v, %v at its record; want the class", want, c, ok)
		}
	}
	var ids []uint32
	for _, e := range r.Classes() {
		ids = append(ids, e.ID)
	}
	if !slices.Equal(ids, []uint32{10, 20, 30}) {
		t.Errorf("Classes() ids = %v; want [10 20 30]", ids)
	}
}

// TestClassBounds checks what the reader ignores: samples beyond
// MaxSamplesPerClass, a second class frame with a known id, samples of an
// unknown class and samples before their class. Ignored frames are valid: they
// count as frame bytes, not as skipped or unknown.
func TestClassBounds(t *testing.T) {
	var items []any
	items = append(items, sample{1, "before its class"})
	items = append(items, Class{ID: 1, Status: 429, Code: "first"})
	for i := range MaxSamplesPerClass + 2 {
		items = append(items, sample{1, fmt.Sprintf("sample %d", i)})
	}
	items = append(items,
		Record{Seq: 1, Scheduled: testStart, Class: 1},
		Class{ID: 1, Status: 500, Code: "second"}, // the first one wins
		sample{2, "no such class"},
		Class{ID: 2, Status: 404},
		Class{ID: 2, Status: 404},
		sample{2, "class 2"},
		Record{Seq: 2, Scheduled: testStart, Class: 2},
		Record{Seq: 3, Scheduled: testStart, Class: 3}, // a class never described
	)
	data, _ := writeItems(t, testHeader(), items...)
	got, r := readAll(t, data)
	checkRecords(t, "bounds", got, []Record{
		{Seq: 1, Scheduled: testStart, Class: 1}, {Seq: 2, Scheduled: testStart, Class: 2}, {Seq: 3, Scheduled: testStart, Class: 3},
	})
	var first []string
	for i := range MaxSamplesPerClass {
		first = append(first, fmt.Sprintf("sample %d", i))
	}
	checkClasses(t, "bounds", r, []ClassEntry{
		{Class: Class{ID: 1, Status: 429, Code: "first"}, Samples: first},
		{Class: Class{ID: 2, Status: 404}, Samples: []string{"class 2"}},
	})
	if r.DroppedClasses() != 2 || r.Skipped() != 0 || r.UnknownFrames() != 0 {
		t.Errorf("DroppedClasses(), Skipped(), UnknownFrames() = %d, %d, %d; want 2, 0, 0", r.DroppedClasses(), r.Skipped(), r.UnknownFrames())
	}
	if _, ok := r.Class(3); ok {
		t.Error("Class(3) found a class; want none")
	}
}

// TestMaxClasses writes one class more than a reader keeps: the last is
// dropped and counted, and its samples are ignored.
func TestMaxClasses(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	for id := uint32(1); id <= MaxClasses+1; id++ {
		if err := w.WriteClass(&Class{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteSample(MaxClasses+1, []byte("dropped")); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSample(MaxClasses, []byte("kept")); err != nil {
		t.Fatal(err)
	}
	mustFlush(t, w)
	got, r := readAll(t, buf.Bytes())
	if len(got) != 0 {
		t.Errorf("%d records; want none", len(got))
	}
	cs := r.Classes()
	if len(cs) != MaxClasses || cs[0].ID != 1 || cs[len(cs)-1].ID != MaxClasses {
		t.Fatalf("Classes() has %d classes; want %d, ids 1 to %d", len(cs), MaxClasses, MaxClasses)
	}
	if !slices.Equal(cs[len(cs)-1].Samples, []string{"kept"}) {
		t.Errorf("samples of class %d = %q; want [kept]", MaxClasses, cs[len(cs)-1].Samples)
	}
	if _, ok := r.Class(MaxClasses + 1); ok || r.DroppedClasses() != 1 {
		t.Errorf("Class(%d) found = %v, DroppedClasses() = %d; want false, 1", MaxClasses+1, ok, r.DroppedClasses())
	}
}

// TestMalformedClassPayload gives class and sample frames with a valid
// checksum but a payload that does not decode: each is skipped whole, counted
// in Skipped, and leaves the class table alone.
func TestMalformedClassPayload(t *testing.T) {
	head := payload(9, 429, byte(0), byte(CatRateLimit), byte(0))
	tests := []struct {
		name string
		kind byte
		p    []byte
	}{
		{"class: empty payload (no id)", 'C', nil},
		{"class: id 0", 'C', payload(0, 200, byte(0), byte(1), byte(0), "code")},
		{"class: id 0 alone", 'C', payload(0)},
		{"class: id beyond uint32", 'C', payload(uint64(math.MaxUint32)+1, 200)},
		{"class: id cut in the middle", 'C', []byte{0x80}},
		{"class: id too long", 'C', bytes.Repeat([]byte{0xff}, 11)},
		{"class: status beyond uint16", 'C', payload(9, 65536)},
		{"class: status cut in the middle", 'C', payload(9, []byte{0x80})},
		{"class: code longer than the payload", 'C', append(bytes.Clone(head), 5, 'a', 'b')},
		{"class: code length cut", 'C', append(bytes.Clone(head), 0x80)},
		{"class: example cut", 'C', append(payload(9, 429, byte(0), byte(0), byte(0), "c", "p", "d", "m"), 3, 'G')},
		{"sample: empty payload (no id)", 'S', nil},
		{"sample: id 0", 'S', payload(0, "body")},
		{"sample: id beyond uint32", 'S', payload(uint64(math.MaxUint32)+1, "body")},
		{"sample: id cut in the middle", 'S', []byte{0x81}},
		{"sample: body longer than the payload", 'S', append(payload(1), 10, 'b', 'o', 'd', 'y')},
		{"sample: body length cut", 'S', payload(1, []byte{0x80})},
	}
	recs := sampleRecords(4)
	recs[0].Class, recs[1].Class = 1, 1
	clean, ends := writeItems(t, testHeader(), Class{ID: 1, Status: 200}, recs[0], recs[1], sample{1, "ok"}, recs[2], recs[3])
	want := []ClassEntry{{Class: Class{ID: 1, Status: 200}, Samples: []string{"ok"}}}
	for _, tt := range tests {
		frame := buildFrame(tt.kind, tt.p)
		data := slices.Concat(clean[:ends[3]], frame, clean[ends[3]:])
		got, r := readAll(t, data)
		checkRecords(t, tt.name, got, recs)
		checkClasses(t, tt.name, r, want)
		if r.Skipped() != int64(len(frame)) || r.DroppedClasses() != 0 || r.UnknownFrames() != 0 {
			t.Errorf("%s: Skipped(), DroppedClasses(), UnknownFrames() = %d, %d, %d; want the frame's %d bytes, 0, 0",
				tt.name, r.Skipped(), r.DroppedClasses(), r.UnknownFrames(), len(frame))
		}
	}
}

// TestClassForwardCompatible reads class and sample frames of newer and older
// writers by hand: bytes after the known fields are ignored, missing trailing
// fields take their zero value, unknown flag bits are ignored, kinds and
// categories out of range are mapped, and strings beyond the limits, which
// only a crafted file holds, are truncated as the writer would.
func TestClassForwardCompatible(t *testing.T) {
	file := buildHeader(9, `{"version":9,"start":"2025-01-02T03:04:05.123456789Z"}`)
	frames := [][]byte{
		buildFrame('C', payload(1, 429, byte(ErrNone), byte(CatRateLimit), byte(0b11111101),
			"rate_limited", "limit {n}", "problem", "limit 5", "GET /", 42, "a field from the future")),
		buildFrame('S', payload(1, "body one", "a field from the future", 7)),
		buildFrame('S', payload(1)), // no body: an empty sample
		buildFrame('C', payload(2)),
		buildFrame('C', payload(3, 503)),
		buildFrame('C', payload(4, 0, byte(ErrTimeout))),
		buildFrame('C', payload(5, 0, byte(99), byte(99), byte(0b10))),
		buildFrame('C', payload(6, 200, byte(0), byte(CatSuccess), byte(0), "code")),
		buildFrame('C', payload(7, 200, byte(0), byte(0), byte(0), strings.Repeat("c", MaxCodeLen+1),
			strings.Repeat("€", 200), strings.Repeat("d", 100), strings.Repeat("m", 600), strings.Repeat("e", 513))),
		buildFrame('S', payload(7, strings.Repeat("é", MaxSampleLen))),
		buildFrame('R', payload(1, int64(0), 0, 0, 429, 0, 0, byte(0), byte(CatRateLimit), "", "", 1, 0, 1, 0, byte(0), 0, "future")),
		buildFrame('Q', []byte("a frame kind from the future")),
	}
	for _, f := range frames {
		file = append(file, f...)
	}
	got, r := readAll(t, file)
	checkRecords(t, "forward compatible", got, []Record{
		{Seq: 1, Scheduled: testStart, Status: 429, Category: CatRateLimit, Attempt: 1, Class: 1},
	})
	checkClasses(t, "forward compatible", r, []ClassEntry{
		{Class: Class{ID: 1, Status: 429, Category: CatRateLimit, Retryable: true, Code: "rate_limited",
			Pattern: "limit {n}", Dialect: "problem", Message: "limit 5", Example: "GET /", Variant: 42}, Samples: []string{"body one", ""}},
		{Class: Class{ID: 2}},
		{Class: Class{ID: 3, Status: 503}},
		{Class: Class{ID: 4, ErrorKind: ErrTimeout}},
		{Class: Class{ID: 5, ErrorKind: ErrOther, Category: CatUnknown, Overflow: true}},
		{Class: Class{ID: 6, Status: 200, Category: CatSuccess, Code: "code"}},
		{Class: Class{ID: 7, Status: 200, Code: strings.Repeat("c", MaxCodeLen), Pattern: strings.Repeat("€", MaxPatternLen/3),
			Dialect: strings.Repeat("d", MaxDialectLen), Message: strings.Repeat("m", MaxMessageLen), Example: strings.Repeat("e", MaxExampleLen)},
			Samples: []string{strings.Repeat("é", MaxSampleLen/2)}},
	})
	if r.Skipped() != 0 || r.UnknownFrames() != 1 || r.DroppedClasses() != 0 {
		t.Errorf("Skipped(), UnknownFrames(), DroppedClasses() = %d, %d, %d; want 0, 1, 0", r.Skipped(), r.UnknownFrames(), r.DroppedClasses())
	}
}

// TestWriteClassErrors checks the errors of WriteClass and WriteSample: id 0
// is refused without poisoning the writer, and a write error is sticky.
func TestWriteClassErrors(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteClass(&Class{Status: 500}); err == nil || !strings.Contains(err.Error(), "id 0 is reserved") {
		t.Errorf("WriteClass(id 0) = %v; want an error about id 0", err)
	}
	if err := w.WriteSample(0, []byte("body")); err == nil || !strings.Contains(err.Error(), "id 0 is reserved") {
		t.Errorf("WriteSample(0) = %v; want an error about id 0", err)
	}
	// Not sticky: the writer goes on, and wrote nothing for the refused calls.
	rec := Record{Seq: 1, Scheduled: testStart, Class: 1}
	if err := w.WriteClass(&Class{ID: 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSample(1, []byte("body")); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&rec); err != nil {
		t.Fatal(err)
	}
	mustFlush(t, w)
	got, r := readAll(t, buf.Bytes())
	checkRecords(t, "after refused id 0", got, []Record{rec})
	checkClasses(t, "after refused id 0", r, []ClassEntry{{Class: Class{ID: 1}, Samples: []string{"body"}}})
	if w.Count() != 1 {
		t.Errorf("Count() = %d; want 1: class and sample frames are not records", w.Count())
	}

	errDisk := errors.New("disk full")
	w, err = NewWriter(failWriter{errDisk}, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteClass(&Class{ID: 1}); err != nil {
		t.Fatalf("WriteClass = %v; want the class buffered", err)
	}
	if err := w.Flush(); !errors.Is(err, errDisk) {
		t.Fatalf("Flush = %v; want %v", err, errDisk)
	}
	if err := w.WriteClass(&Class{ID: 2}); !errors.Is(err, errDisk) {
		t.Errorf("WriteClass after a failed Flush = %v; want %v", err, errDisk)
	}
	if err := w.WriteSample(1, nil); !errors.Is(err, errDisk) {
		t.Errorf("WriteSample after a failed Flush = %v; want %v", err, errDisk)
	}

	// A large frame goes straight to the underlying writer, past the buffer.
	w, err = NewWriter(failWriter{errDisk}, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	big := Class{ID: 1, Pattern: strings.Repeat("p", MaxPatternLen)}
	for i := 0; i < 2*writeBufferSize/MaxPatternLen; i++ {
		if err = w.WriteClass(&big); err != nil {
			break
		}
	}
	if !errors.Is(err, errDisk) {
		t.Fatalf("WriteClass filling the buffer = %v; want %v", err, errDisk)
	}
	if err := w.WriteSample(1, []byte("x")); !errors.Is(err, errDisk) {
		t.Errorf("WriteSample after a failed WriteClass = %v; want %v", err, errDisk)
	}
	if err := w.WriteClass(&Class{ID: 0}); !errors.Is(err, errDisk) {
		t.Errorf("WriteClass(id 0) after a failed write = %v; want the sticky %v", err, errDisk)
	}
}

// TestWriteClassScratch checks that the writer's scratch buffers hold the
// largest class, sample and record frames without growing, so WriteClass
// does not allocate, and that the largest payload is well within the format's
// limit.
func TestWriteClassScratch(t *testing.T) {
	if maxWritePayload > MaxPayloadLen {
		t.Fatalf("maxWritePayload = %d; want at most MaxPayloadLen %d", maxWritePayload, MaxPayloadLen)
	}
	w, err := NewWriter(io.Discard, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	payloadCap, frameCap := cap(w.payload), cap(w.frame)
	c := Class{ID: math.MaxUint32, Status: math.MaxUint16, ErrorKind: ErrOther, Category: CatTransport, Retryable: true, Overflow: true,
		Code: strings.Repeat("c", MaxCodeLen), Pattern: strings.Repeat("p", MaxPatternLen), Dialect: strings.Repeat("d", MaxDialectLen),
		Message: strings.Repeat("m", MaxMessageLen), Example: strings.Repeat("e", 2*MaxExampleLen)}
	allocs := testing.AllocsPerRun(100, func() {
		if err := w.WriteClass(&c); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Writer.WriteClass allocates %v times per call; want 0", allocs)
	}
	body := bytes.Repeat([]byte("b"), MaxSampleLen)
	allocs = testing.AllocsPerRun(100, func() {
		if err := w.WriteSample(math.MaxUint32, body); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Writer.WriteSample(body of MaxSampleLen) allocates %v times per call; want 0", allocs)
	}
	rec := Record{Seq: math.MaxUint64, Scheduled: testStart.Add(-100 * 365 * 24 * time.Hour), Sent: math.MaxInt64, Latency: math.MaxInt64,
		Status: math.MaxUint16, BytesIn: math.MaxUint64, BytesOut: math.MaxUint64, ErrorCode: strings.Repeat("c", MaxCodeLen),
		RetryAfter: strings.Repeat("r", MaxRetryAfterLen), Attempt: math.MaxUint32, RequestID: math.MaxUint64, Class: math.MaxUint32}
	if err := w.Write(&rec); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteSample(math.MaxUint32, bytes.Repeat([]byte("b"), 2*MaxSampleLen)); err != nil {
		t.Fatal(err)
	}
	if cap(w.payload) != payloadCap || cap(w.frame) != frameCap {
		t.Errorf("scratch capacities grew from %d, %d to %d, %d", payloadCap, frameCap, cap(w.payload), cap(w.frame))
	}
}

// TestCutLen checks that cutLen, which converts only a prefix, cuts where
// truncate cuts the whole string.
func TestCutLen(t *testing.T) {
	rng := newRand(3)
	for i := range 5000 {
		s := randString(rng, 40)
		n := rng.IntN(45)
		if got, want := cutLen([]byte(s), n), len(truncate(s, n)); got != want {
			t.Fatalf("case %d: cutLen(%q, %d) = %d; want %d", i, s, n, got, want)
		}
	}
}

// FuzzClassRoundTrip writes a class and a sample built from the fuzzer's
// values and reads them back: they must equal the class and sample after the
// documented truncation and mapping.
func FuzzClassRoundTrip(f *testing.F) {
	for _, c := range goldenClasses() {
		flags := uint8(0)
		if c.Retryable {
			flags |= 1
		}
		if c.Overflow {
			flags |= 2
		}
		f.Add(c.ID, c.Status, uint8(c.ErrorKind), uint8(c.Category), flags, c.Code, c.Pattern, c.Dialect, c.Message, c.Example, []byte("sample"))
	}
	f.Add(uint32(0), uint16(0), uint8(255), uint8(255), uint8(255), "\xff", "é€😀", "", "", "", []byte(strings.Repeat("€", 400)))

	f.Fuzz(func(t *testing.T, id uint32, status uint16, kind, cat, flags uint8, code, pattern, dialect, message, example string, body []byte) {
		in := Class{ID: id, Status: status, ErrorKind: ErrorKind(kind), Category: Category(cat), Retryable: flags&1 != 0, Overflow: flags&2 != 0,
			Code: code, Pattern: pattern, Dialect: dialect, Message: message, Example: example}
		var buf bytes.Buffer
		w, err := NewWriter(&buf, testHeader())
		if err != nil {
			t.Fatal(err)
		}
		errC, errS := w.WriteClass(&in), w.WriteSample(id, body)
		if (id == 0) != (errC != nil) || (id == 0) != (errS != nil) {
			t.Fatalf("id %d: WriteClass, WriteSample = %v, %v; want errors for id 0 only", id, errC, errS)
		}
		mustFlush(t, w)
		_, r := readAll(t, buf.Bytes())
		var want []ClassEntry
		if id != 0 {
			want = []ClassEntry{{Class: normalizedClass(in), Samples: []string{truncate(string(body), MaxSampleLen)}}}
		} else {
			want = []ClassEntry{}
		}
		checkClasses(t, "class round trip", r, want)
		if r.Skipped() != 0 || r.UnknownFrames() != 0 {
			t.Fatalf("Skipped(), UnknownFrames() = %d, %d; want 0, 0", r.Skipped(), r.UnknownFrames())
		}
	})
}

// TestClassVariantRoundTrip: the variant of a class, any 64-bit mask,
// reads back as written.
func TestClassVariantRoundTrip(t *testing.T) {
	for _, v := range []uint64{0, 1, 1 << 40, 1<<64 - 1} {
		data, _ := writeItems(t, testHeader(), Class{ID: 3, Status: 429, Code: "c", Variant: v})
		_, r := readAll(t, data)
		if c, ok := r.Class(3); !ok || c.Variant != v {
			t.Errorf("variant %#x read back as %#x (found %v)", v, c.Variant, ok)
		}
	}
}
