package records

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestRequestRoundTrip writes names and records that refer to them, and
// records without one, and reads them back: every record keeps its
// Request, and every name its id.
func TestRequestRoundTrip(t *testing.T) {
	recs := sampleRecords(6)
	for i := range recs {
		recs[i].Request = uint32(i % 3) // 0: no name
	}
	items := []any{
		recs[0],
		RequestName{ID: 1, Name: "list items"}, recs[1],
		RequestName{ID: 2, Name: "POST /v1/items"}, recs[2], recs[3], recs[4], recs[5],
	}
	data, _ := writeItems(t, testHeader(), items...)
	got, r := readAll(t, data)
	checkRecords(t, "names", got, recs)
	checkRequests(t, "names", r, []RequestName{{1, "list items"}, {2, "POST /v1/items"}})
	if _, ok := r.Request(0); ok {
		t.Error("Request(0) found a name; want none: 0 is no name")
	}
	if r.Skipped() != 0 || r.UnknownFrames() != 0 || r.DroppedRequests() != 0 {
		t.Errorf("Skipped(), UnknownFrames(), DroppedRequests() = %d, %d, %d; want 0, 0, 0", r.Skipped(), r.UnknownFrames(), r.DroppedRequests())
	}
}

// TestRequestBounds checks what the reader ignores, as it does for
// classes: a second name frame with a known id (the first wins), names
// beyond MaxRequests, and names longer than MaxRequestNameLen, which only a
// crafted file holds, truncated at a UTF-8 boundary. Ignored frames are
// valid: they count as frame bytes, not as skipped or unknown.
func TestRequestBounds(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	for id := uint32(1); id <= MaxRequests+1; id++ {
		if err := w.WriteRequest(id, fmt.Sprintf("request %d", id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteRequest(1, "again"); err != nil {
		t.Fatal(err)
	}
	rec := Record{Seq: 1, Scheduled: testStart, Request: MaxRequests + 1} // its name was dropped
	if err := w.Write(&rec); err != nil {
		t.Fatal(err)
	}
	mustFlush(t, w)
	crafted := buildFrame('N', payload(7, strings.Repeat("é", MaxRequestNameLen), "a field from the future"))
	data := append(buf.Bytes(), crafted...)
	got, r := readAll(t, data)
	checkRecords(t, "bounds", got, []Record{rec})
	names := r.Requests()
	if len(names) != MaxRequests || names[0] != (RequestName{1, "request 1"}) || names[MaxRequests-1].ID != MaxRequests {
		t.Fatalf("Requests() has %d names, first %+v; want %d, ids 1 to %d, the first frame of id 1", len(names), names[0], MaxRequests, MaxRequests)
	}
	if _, ok := r.Request(MaxRequests + 1); ok || r.DroppedRequests() != 3 {
		t.Errorf("Request(%d) found = %v, DroppedRequests() = %d; want false, 3 (one beyond the bound, a repeated id, a repeated id 7)", MaxRequests+1, ok, r.DroppedRequests())
	}
	if r.Skipped() != 0 || r.UnknownFrames() != 0 {
		t.Errorf("Skipped(), UnknownFrames() = %d, %d; want 0, 0", r.Skipped(), r.UnknownFrames())
	}

	// A crafted name beyond the limit, alone in its file.
	file := append(buildHeader(4, `{"version":4,"start":"2025-01-02T03:04:05.123456789Z"}`), crafted...)
	_, r = readAll(t, file)
	checkRequests(t, "crafted", r, []RequestName{{7, strings.Repeat("é", MaxRequestNameLen/2)}})
}

// TestWriteRequestTruncates: the writer cuts a long name at a UTF-8
// boundary, and refuses id 0 without poisoning the writer.
func TestWriteRequestTruncates(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, testHeader())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRequest(0, "none"); err == nil || !strings.Contains(err.Error(), "id 0 is reserved") {
		t.Errorf("WriteRequest(0) = %v; want an error about id 0", err)
	}
	long := "a" + strings.Repeat("€", MaxRequestNameLen) // the cut falls inside a rune
	if err := w.WriteRequest(3, long); err != nil {
		t.Fatalf("WriteRequest after a refused id = %v; want the writer still working", err)
	}
	mustFlush(t, w)
	_, r := readAll(t, buf.Bytes())
	want := "a" + strings.Repeat("€", (MaxRequestNameLen-1)/3)
	checkRequests(t, "truncated", r, []RequestName{{3, want}})
}

// TestMalformedRequestPayload gives name frames with a valid checksum but
// a payload that does not decode: each is skipped whole, counted in
// Skipped, and leaves the name table and the records alone.
func TestMalformedRequestPayload(t *testing.T) {
	tests := []struct {
		name string
		p    []byte
	}{
		{"empty payload (no id)", nil},
		{"id 0", payload(0, "name")},
		{"id beyond uint32", payload(uint64(math.MaxUint32)+1, "name")},
		{"id cut in the middle", []byte{0x80}},
		{"name longer than the payload", append(payload(2), 10, 'n', 'a')},
		{"name length cut", payload(2, []byte{0x80})},
	}
	recs := sampleRecords(4)
	recs[1].Request, recs[2].Request, recs[3].Request = 1, 1, 2
	clean, ends := writeItems(t, testHeader(), recs[0], RequestName{1, "one"}, recs[1], recs[2], RequestName{2, "two"}, recs[3])
	for _, tt := range tests {
		frame := buildFrame('N', tt.p)
		data := slices.Concat(clean[:ends[3]], frame, clean[ends[3]:])
		got, r := readAll(t, data)
		checkRecords(t, tt.name, got, recs)
		checkRequests(t, tt.name, r, []RequestName{{1, "one"}, {2, "two"}})
		if r.Skipped() != int64(len(frame)) || r.DroppedRequests() != 0 || r.UnknownFrames() != 0 {
			t.Errorf("%s: Skipped(), DroppedRequests(), UnknownFrames() = %d, %d, %d; want the frame's %d bytes, 0, 0",
				tt.name, r.Skipped(), r.DroppedRequests(), r.UnknownFrames(), len(frame))
		}
	}
}

// TestDamagedRequestFrame flips a byte in a name frame: the frame is
// skipped, its records still read with their Request, and the name is
// unknown.
func TestDamagedRequestFrame(t *testing.T) {
	recs := sampleRecords(3)
	recs[0].Request, recs[1].Request, recs[2].Request = 1, 2, 1
	clean, ends := writeItems(t, testHeader(), RequestName{1, "one"}, recs[0], RequestName{2, "two"}, recs[1], recs[2])
	for off := ends[2]; off < ends[3]; off++ {
		data := bytes.Clone(clean)
		data[off] ^= 0x40
		got, r := readAll(t, data)
		what := fmt.Sprintf("byte %d of the second name frame flipped", off)
		checkRecords(t, what, got, recs)
		checkRequests(t, what, r, []RequestName{{1, "one"}})
		if r.Skipped() != int64(ends[3]-ends[2]) {
			t.Errorf("%s: Skipped() = %d; want the frame's %d bytes", what, r.Skipped(), ends[3]-ends[2])
		}
	}
}

// FuzzRequestRoundTrip writes a name built from the fuzzer's values and a
// record that refers to it, and reads them back: they must equal what was
// written after the documented truncation.
func FuzzRequestRoundTrip(f *testing.F) {
	for _, n := range goldenNames() {
		f.Add(n.ID, n.Name)
	}
	f.Add(uint32(0), "")
	f.Add(uint32(5), "\xff\xfe"+strings.Repeat("😀", 70))
	f.Fuzz(func(t *testing.T, id uint32, name string) {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, testHeader())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRequest(id, name); (err != nil) != (id == 0) {
			t.Fatalf("WriteRequest(%d) = %v; want an error for id 0 only", id, err)
		}
		rec := Record{Scheduled: testStart, Request: id}
		if err := w.Write(&rec); err != nil {
			t.Fatal(err)
		}
		mustFlush(t, w)
		got, r := readAll(t, buf.Bytes())
		checkRecords(t, "request round trip", got, []Record{rec})
		want := []RequestName{}
		if id != 0 {
			want = append(want, RequestName{id, truncate(name, MaxRequestNameLen)})
		}
		checkRequests(t, "request round trip", r, want)
		if r.Skipped() != 0 || r.UnknownFrames() != 0 {
			t.Fatalf("Skipped(), UnknownFrames() = %d, %d; want 0, 0", r.Skipped(), r.UnknownFrames())
		}
	})
}
