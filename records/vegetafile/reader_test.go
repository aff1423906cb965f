package vegetafile

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
)

// TestReadVegetaEncodings reads files written by vegeta's own encoders and
// checks every field of every result, and the counts per status.
func TestReadVegetaEncodings(t *testing.T) {
	ss := samples()
	wantCounts := map[uint16]int{}
	for _, s := range ss {
		wantCounts[s.res.Code]++
	}
	for _, e := range encoders {
		t.Run(e.name, func(t *testing.T) {
			data, _ := encode(t, e.new, sampleResults())
			r := mustReader(t, data)
			if got := r.Encoding(); got != e.name {
				t.Errorf("Encoding() = %q; want %q", got, e.name)
			}
			got, err := readAll(r)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			if len(got) != len(ss) {
				t.Fatalf("read %d results; want %d", len(got), len(ss))
			}
			counts := map[uint16]int{}
			for i, res := range got {
				counts[res.Record.Status]++
				checkResult(t, i, &res, &ss[i])
			}
			if !maps.Equal(counts, wantCounts) {
				t.Errorf("counts per status = %v; want %v", counts, wantCounts)
			}
			var res Result
			for range 2 {
				if err := r.Next(&res); err != io.EOF {
					t.Errorf("Next after the end = %v; want io.EOF", err)
				}
			}
		})
	}
}

// checkResult compares what a Reader returned for a sample with the sample.
func checkResult(t *testing.T, i int, got *Result, s *sample) {
	t.Helper()
	v := &s.res
	rec := &got.Record
	if !rec.Scheduled.Equal(v.Timestamp) || rec.Scheduled.Location() != time.UTC {
		t.Errorf("result %d: Scheduled = %v; want %v in UTC", i, rec.Scheduled, v.Timestamp)
	}
	want := records.Record{
		Seq: v.Seq, Scheduled: rec.Scheduled, Latency: v.Latency, Status: v.Code,
		BytesIn: v.BytesIn, BytesOut: v.BytesOut, ErrorKind: s.kind,
		RetryAfter: v.Headers.Get("Retry-After"), Attempt: 1, RequestID: v.Seq,
	}
	if *rec != want {
		t.Errorf("result %d: Record = %+v;\nwant %+v", i, *rec, want)
	}
	if got.Error != v.Error || got.Method != v.Method || got.URL != v.URL {
		t.Errorf("result %d: Error, Method, URL = %q, %q, %q; want %q, %q, %q", i, got.Error, got.Method, got.URL, v.Error, v.Method, v.URL)
	}
	if ct, ce := v.Headers.Get("Content-Type"), v.Headers.Get("Content-Encoding"); got.ContentType != ct || got.ContentEncoding != ce {
		t.Errorf("result %d: ContentType, ContentEncoding = %q, %q; want %q, %q", i, got.ContentType, got.ContentEncoding, ct, ce)
	}
	if wb := wantBody(v.Body); !bytes.Equal(got.Body, wb) || (got.Body == nil) != (wb == nil) {
		t.Errorf("result %d: Body = %d bytes %.40q; want %d bytes %.40q", i, len(got.Body), got.Body, len(wb), wb)
	}
}

// TestReadHandWrittenJSON reads JSON as people and other tools write it:
// blank lines, CRLF line ends, a last line without newline, fields missing,
// header names not in canonical form.
func TestReadHandWrittenJSON(t *testing.T) {
	const in = "\n" +
		`{"seq":0,"code":200,"timestamp":"2024-03-01T12:00:00+01:00","latency":1000,"headers":{"content-type":["text/plain"],"retry-after":["7"]}}` + "\r\n" +
		"  \n\n" +
		`{"seq":1,"code":0,"timestamp":"2024-03-01T12:00:01Z","latency":2000,"error":"read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer"}`
	r := mustReader(t, []byte(in))
	got, err := readAll(r)
	if err != nil {
		t.Fatalf("reading: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("read %d results; want 2", len(got))
	}
	if g := got[0]; g.ContentType != "text/plain" || g.Record.RetryAfter != "7" || g.Record.Latency != 1000 ||
		!g.Record.Scheduled.Equal(time.Date(2024, 3, 1, 11, 0, 0, 0, time.UTC)) {
		t.Errorf("result 1 = %+v", g)
	}
	if g := got[1]; g.Record.ErrorKind != records.ErrReset || g.Record.Seq != 1 || g.Method != "" || g.Body != nil {
		t.Errorf("result 2 = %+v", g)
	}
}

// TestMalformed reads files whose n-th entry is broken: the error must name
// the encoding and the entry, wrap the decoder's error, and come back again
// from the next call.
func TestMalformed(t *testing.T) {
	rs := sampleResults()[:4]
	gobData, gobEnds := encode(t, vegeta.NewEncoder, rs)
	jsonData, jsonEnds := encode(t, vegeta.NewJSONEncoder, rs)
	csvData, csvEnds := encode(t, vegeta.NewCSVEncoder, rs)
	negative := rs[0]
	negative.Latency = -5
	negGob, _ := encode(t, vegeta.NewEncoder, []vegeta.Result{rs[0], negative})

	lines := strings.SplitAfter(string(jsonData), "\n")
	rows := strings.SplitAfter(string(csvData), "\n")
	tests := []struct {
		name  string
		data  []byte
		ok    int    // results read before the error
		entry string // "entry N" in the error
		is    error  // the error it wraps, if one can be named
		text  string // more of the error's text
	}{
		{"gob cut inside entry 3", gobData[:gobEnds[2]-4], 2, "entry 3", io.ErrUnexpectedEOF, "vegeta gob results"},
		{"gob cut inside the type definitions", gobData[:40], 0, "entry 1", io.ErrUnexpectedEOF, "vegeta gob results"},
		{"gob cut after the type definitions", gobData[:gobEnds[0]-60], 0, "entry 1", io.ErrUnexpectedEOF, ""},
		{"gob garbage in entry 2", append(bytes.Clone(gobData[:gobEnds[0]]), "\x05\xff\xff\xff\xff\xff"...), 1, "entry 2", nil, "vegeta gob results"},
		{"gob value message too short", gobShort(t), 1, "entry 2", io.ErrUnexpectedEOF, "ends inside its value"},
		{"gob negative latency", negGob, 1, "entry 2", nil, "negative latency -5ns"},
		{"json line not json", []byte(lines[0] + "hello, world\n" + lines[1]), 1, "entry 2", nil, "vegeta json results"},
		{"json truncated last line", jsonData[:jsonEnds[2]-30], 2, "entry 3", nil, "vegeta json results"}, // the cut falls anywhere in the headers, whose order varies: the error does too
		{"json bad code", []byte(lines[0] + lines[1] + `{"code":70000}` + "\n"), 2, "entry 3", nil, "value out of range"},
		{"json bad base64 body", []byte(lines[0] + `{"body":"!!"}` + "\n"), 1, "entry 2", nil, "illegal base64"},
		{"csv bad number", []byte(rows[0] + strings.Replace(rows[1], ",429,", ",4x9,", 1) + rows[2]), 1, "entry 2", strconv.ErrSyntax, "vegeta csv results"},
		{"csv too few columns", []byte(rows[0] + rows[1] + "1700000000000000000,200,5,0,0,\n"), 2, "entry 3", nil, "wrong number of fields"},
		{"csv header block not closed", []byte(rows[0] + "1700000000000000000,200,5,0,0,,,a,1,GET,http://x/," + base64.StdEncoding.EncodeToString([]byte("Content-Type: text/plain\r\n")) + "\n" + rows[1]), 1, "entry 2", io.ErrUnexpectedEOF, "headers column"},
		{"csv cut inside the last row", csvData[:csvEnds[3]-20], 3, "entry 4", nil, "vegeta csv results"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustReader(t, tc.data)
			got, err := readAll(r)
			if len(got) != tc.ok {
				t.Errorf("read %d results before the error; want %d", len(got), tc.ok)
			}
			errorContains(t, err, tc.entry+":", tc.text)
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %q does not wrap %q", err, tc.is)
			}
			var res Result
			if again := r.Next(&res); again != err {
				t.Errorf("Next after the error = %v; want the same error %v", again, err)
			}
		})
	}
}

// gobShort returns a gob stream of three results, the second of which holds
// a header map that declares two entries and holds one: gob's buffer runs
// out inside the value.
func gobShort(t *testing.T) []byte {
	h := map[string][]string{"A": {"b"}}
	rs := []vegeta.Result{{Code: 200, Headers: h}, {Code: 201, Headers: h}, {Code: 202, Headers: h}}
	data, _ := encode(t, vegeta.NewEncoder, rs)
	msgs := splitGob(t, data)
	second := msgs[len(msgs)-2]
	i := bytes.Index(second, []byte("\x01\x01A\x01\x01b"))
	if i < 0 {
		t.Fatalf("no header map in %q", second)
	}
	second[i] = 2
	return joinGob(msgs)
}

// TestNotVegeta checks NewReader's errors for input that is no vegeta file.
func TestNotVegeta(t *testing.T) {
	tests := []struct {
		name string
		data string
		text string
	}{
		{"empty", "", "the file is empty"},
		{"stampede", records.Magic + "\x00\x02\x10{}", "it is a stampede result file"},
		{"garbage", "GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00", `it starts with "GIF89a`},
		{"other json", `{"name":"x"}` + "\n", `it starts with "{\"name\":\"x\"}\n"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(tc.data))
			if r != nil || !errors.Is(err, ErrNotVegetaFile) {
				t.Fatalf("NewReader(%q) = %v, %v; want nil and ErrNotVegetaFile", tc.data, r, err)
			}
			errorContains(t, err, tc.text)
		})
	}
	wantErr := errors.New("disk on fire")
	if _, err := NewReader(io.MultiReader(strings.NewReader("{"), errReader{wantErr})); !errors.Is(err, wantErr) {
		t.Errorf("NewReader of a failing reader: error %v; want it to wrap %v", err, wantErr)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestGobHugeMapCount checks the guard against a gob entry declaring a header
// map of millions of entries in a few bytes: gob would size a nil map by that
// count before reading any entry.
func TestGobHugeMapCount(t *testing.T) {
	data, _ := encode(t, vegeta.NewEncoder, []vegeta.Result{{Code: 200, Headers: map[string][]string{"Content-Type": {"text/plain"}}}})
	msgs := splitGob(t, data)
	last := msgs[len(msgs)-1]
	const one = "\x01\x0cContent-Type" // a count of 1, then the first key
	i := bytes.Index(last, []byte(one))
	if i < 0 {
		t.Fatalf("no header map in the value message %q", last)
	}
	// 0xfd: a count in the 3 bytes that follow, 0x400000 = 4 Mi entries
	// (some 200 MB of map if gob made it).
	msgs[len(msgs)-1] = slices.Concat(last[:i], []byte("\xfd\x40\x00\x00"), last[i+1:])
	hostile := joinGob(msgs)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := mustReader(t, hostile)
	var res Result
	err := r.Next(&res)
	runtime.ReadMemStats(&after)
	errorContains(t, err, "entry 1:", "vegeta gob results")
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 32<<20 {
		t.Errorf("decoding allocated %d MiB; want well under 32", grew>>20)
	}
}

// TestGobTimeNotNormal reads a gob time whose nanoseconds exceed a second,
// which time.Time.UnmarshalBinary accepts: Scheduled must be the same instant,
// normalised.
func TestGobTimeNotNormal(t *testing.T) {
	ts := time.Date(2024, 3, 1, 12, 0, 0, 999_999_999, time.UTC)
	data, _ := encode(t, vegeta.NewEncoder, []vegeta.Result{{Code: 200, Timestamp: ts}})
	bin, err := ts.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, bin)
	if i < 0 {
		t.Fatalf("no time %q in %q", bin, data)
	}
	// Version byte, 8 bytes of seconds, then 4 of nanoseconds: 1e9+500.
	binary.BigEndian.PutUint32(data[i+9:], 1_000_000_500)
	r := mustReader(t, data)
	var res Result
	if err := r.Next(&res); err != nil {
		t.Fatal(err)
	}
	want := ts.Add(501 * time.Nanosecond)
	if got := res.Record.Scheduled; got != want {
		t.Errorf("Scheduled = %v; want %v", got, want)
	}
}

// splitGob splits a gob stream into its messages' payloads.
func splitGob(t *testing.T, data []byte) [][]byte {
	t.Helper()
	var msgs [][]byte
	for len(data) > 0 {
		n, rest, ok := gobUint(data)
		if !ok || uint64(len(rest)) < n {
			t.Fatalf("bad gob message at %q", data)
		}
		msgs = append(msgs, rest[:n])
		data = rest[n:]
	}
	return msgs
}

// joinGob frames payloads as gob messages.
func joinGob(msgs [][]byte) []byte {
	var out []byte
	for _, m := range msgs {
		n := uint64(len(m))
		if n < 0x80 {
			out = append(out, byte(n))
		} else {
			var b [8]byte
			k := 0
			for x := n; x > 0; x >>= 8 {
				k++
			}
			for j := range k {
				b[j] = byte(n >> (8 * (k - 1 - j)))
			}
			out = append(out, byte(-int8(k)))
			out = append(out, b[:k]...)
		}
		out = append(out, m...)
	}
	return out
}

// TestBodyReuse checks that Body is valid until the next call to Next, and
// that a body's array is reused only when it is small.
func TestBodyReuse(t *testing.T) {
	rs := []vegeta.Result{
		{Code: 200, Body: []byte("first")},
		{Code: 200, Body: []byte("second")},
		{Code: 200},
	}
	for _, e := range encoders {
		t.Run(e.name, func(t *testing.T) {
			data, _ := encode(t, e.new, rs)
			r := mustReader(t, data)
			for i, want := range []string{"first", "second", ""} {
				var res Result
				if err := r.Next(&res); err != nil {
					t.Fatal(err)
				}
				if string(res.Body) != want || (want == "") != (res.Body == nil) {
					t.Errorf("result %d: Body = %q; want %q", i+1, res.Body, want)
				}
			}
		})
	}
}

// BenchmarkReader reads a file of 1000 results in each encoding.
func BenchmarkReader(b *testing.B) {
	var rs []vegeta.Result
	for _, s := range samples() {
		if len(s.res.Body) <= 1000 {
			rs = append(rs, s.res)
		}
	}
	for len(rs) < 1000 {
		rs = append(rs, rs[len(rs)%13])
	}
	for _, e := range encoders {
		b.Run(e.name, func(b *testing.B) {
			data, _ := encode(b, e.new, rs)
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			n := 0
			for b.Loop() {
				r := mustReader(b, data)
				var res Result
				for r.Next(&res) == nil {
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func TestJSONLongLineSkipped(t *testing.T) {
	defer func(n int) { maxJSONLine = n }(maxJSONLine)
	maxJSONLine = 1000
	line := func(seq int, body string) string {
		return fmt.Sprintf(`{"seq":%d,"code":200,"timestamp":"2024-03-01T12:00:00Z","latency":1000,"body":%q}`, seq, body) + "\n"
	}
	long := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("x"), 200_000)) // longer than the read buffer too
	for _, last := range []string{line(3, "Zm9v"), line(3, long)} {
		data := line(0, "Zm9v") + line(1, long) + line(2, "Zm9v") + last
		r := mustReader(t, []byte(data))
		got, err := readAll(r)
		if err != nil {
			t.Fatal(err)
		}
		wantN, wantSkipped := 3, uint64(1)
		if len(last) > maxJSONLine {
			wantN, wantSkipped = 2, 2
		}
		if len(got) != wantN || r.SkippedLines() != wantSkipped {
			t.Errorf("results = %d, skipped lines = %d; want %d and %d", len(got), r.SkippedLines(), wantN, wantSkipped)
		}
	}
}
