package vegetafile

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/internal/golden"
	"github.com/stampede-dev/stampede/records"
)

// writerRecords returns records of every outcome, at fixed times.
func writerRecords() []records.Record {
	start := time.Date(2024, 3, 1, 12, 0, 0, 500, time.FixedZone("EST", -5*3600))
	rec := func(seq uint64, status uint16, kind records.ErrorKind) records.Record {
		return records.Record{
			Seq:       seq,
			Scheduled: start.Add(time.Duration(seq) * 20 * time.Millisecond),
			Sent:      time.Duration(seq) * time.Microsecond,
			Latency:   time.Duration(seq+1)*3*time.Millisecond + 11,
			Status:    status,
			BytesIn:   seq * 100,
			BytesOut:  seq * 7,
			ErrorKind: kind,
			Attempt:   1,
			RequestID: seq,
		}
	}
	recs := []records.Record{
		rec(0, 200, records.ErrNone),
		rec(1, 201, records.ErrNone),
		rec(2, 302, records.ErrNone),
		rec(3, 429, records.ErrNone),
		rec(4, 503, records.ErrNone),
		rec(5, 599, records.ErrNone),
		rec(6, 0, records.ErrNone),
		rec(7, 200, records.ErrReset), // the body failed after the status line
	}
	for i, k := range records.ErrorKinds {
		recs = append(recs, rec(uint64(8+i), 0, k))
	}
	return recs
}

// wantError is the Error a Writer must give rec.
func wantError(rec *records.Record) string {
	switch {
	case rec.ErrorKind != records.ErrNone:
		return kindText(rec.ErrorKind)
	case rec.Status == 429:
		return "429 Too Many Requests"
	case rec.Status == 503:
		return "503 Service Unavailable"
	case rec.Status == 599:
		return "599"
	}
	return ""
}

// TestWriterRoundTrip writes records and reads them back with vegeta's own
// JSON decoder, then with a Reader.
func TestWriterRoundTrip(t *testing.T) {
	recs := writerRecords()
	var buf bytes.Buffer
	w := NewWriter(&buf, "checkout")
	for i := range recs {
		if err := w.Write(&recs[i], http.MethodPost, "http://127.0.0.1:8080/pay"); err != nil {
			t.Fatal(err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("Writer wrote %d bytes before Flush; want them buffered", buf.Len())
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	if n := bytes.Count(data, []byte("\n")); n != len(recs) {
		t.Errorf("wrote %d lines; want one per record, %d", n, len(recs))
	}

	dec := vegeta.NewJSONDecoder(bytes.NewReader(data))
	var m vegeta.Metrics
	for i := range recs {
		rec := &recs[i]
		var v vegeta.Result
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("vegeta decoding result %d: %v", i, err)
		}
		want := vegeta.Result{
			Attack: "checkout", Seq: rec.Seq, Code: rec.Status, Timestamp: rec.Scheduled,
			Latency: rec.Latency, BytesOut: rec.BytesOut, BytesIn: rec.BytesIn,
			Error: wantError(rec), Method: http.MethodPost, URL: "http://127.0.0.1:8080/pay",
		}
		if !v.Equal(want) {
			t.Errorf("result %d = %+v;\nwant %+v", i, v, want)
		}
		m.Add(&v)
	}
	if err := dec.Decode(&vegeta.Result{}); err != io.EOF {
		t.Errorf("vegeta decoding past the end: %v; want io.EOF", err)
	}
	m.Close()
	if m.Requests != uint64(len(recs)) || m.StatusCodes["200"] != 2 || m.StatusCodes["0"] != 7 {
		t.Errorf("vegeta metrics: %d requests, codes %v", m.Requests, m.StatusCodes)
	}

	r := mustReader(t, data)
	if r.Encoding() != JSON {
		t.Errorf("Encoding() = %q; want json", r.Encoding())
	}
	got, err := readAll(r)
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got {
		rec := recs[i]
		kind := rec.ErrorKind
		if rec.Status != 0 {
			kind = records.ErrNone // vegeta has no failure after a status
		}
		if gr := g.Record; gr.Seq != rec.Seq || !gr.Scheduled.Equal(rec.Scheduled) || gr.Latency != rec.Latency ||
			gr.Status != rec.Status || gr.ErrorKind != kind || gr.BytesIn != rec.BytesIn || gr.BytesOut != rec.BytesOut {
			t.Errorf("record %d read back = %+v;\nwritten %+v", i, gr, rec)
		}
	}
}

// TestWriterGolden pins the bytes a Writer writes.
func TestWriterGolden(t *testing.T) {
	recs := writerRecords()
	var buf bytes.Buffer
	w := NewWriter(&buf, "golden")
	for i := range recs {
		if err := w.Write(&recs[i], http.MethodGet, "http://127.0.0.1:8080/"); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "json", buf.Bytes())
}

// TestWriterYearRange checks that a time JSON cannot hold is refused without
// breaking the Writer.
func TestWriterYearRange(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, "")
	bad := records.Record{Seq: 1, Scheduled: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	err := w.Write(&bad, "GET", "http://127.0.0.1/")
	errorContains(t, err, "record 1", "outside the years 0 to 9999")
	good := records.Record{Seq: 2, Scheduled: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Status: 200}
	if err := w.Write(&good, "GET", "http://127.0.0.1/"); err != nil {
		t.Fatalf("Write after a refused record: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines != 1 || !strings.Contains(buf.String(), `"seq":2,`) {
		t.Errorf("wrote %q; want the one good record", buf.String())
	}
}
