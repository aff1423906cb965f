package vegetafile

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strconv"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
)

// Writer writes vegeta JSON results (one object per line, vegeta's own JSON
// encoder) for vegeta's tools: "vegeta report", "vegeta plot" and
// "vegeta encode" read them. It buffers its output: call Flush at the end.
// A Writer is not safe for concurrent use.
type Writer struct {
	bw     *bufio.Writer
	enc    vegeta.Encoder
	attack string
	v      vegeta.Result
}

// NewWriter returns a Writer that writes to w, naming the attack attack in
// every result (vegeta plot draws one series per attack name).
func NewWriter(w io.Writer, attack string) *Writer {
	bw := bufio.NewWriter(w)
	return &Writer{bw: bw, enc: vegeta.NewJSONEncoder(bw), attack: attack}
}

// Write writes rec as one vegeta result, with the request's method and URL:
// Timestamp is rec.Scheduled in UTC and Latency is rec.Latency (so the
// latency is stampede's corrected one, from the scheduled time), Code is
// rec.Status, BytesIn, BytesOut and Seq are copied. Error is a short text for
// rec.ErrorKind when it is not ErrNone ("timeout", "connection refused", ...;
// ErrorKindOf maps it back); otherwise, like vegeta's attacker, the status
// line ("503 Service Unavailable") for a status outside [200, 400), and "" for
// a status inside it or for status 0. The result has no body and no headers.
//
// A Scheduled time outside the years 0 to 9999, which JSON timestamps cannot
// hold, is an error, and nothing is written.
func (w *Writer) Write(rec *records.Record, method, url string) error {
	ts := rec.Scheduled.UTC()
	if y := ts.Year(); y < 0 || y > 9999 {
		// vegeta's encoder would fail too, but after writing half the
		// object, and every later write would fail.
		return fmt.Errorf("vegeta json results: record %d: scheduled time %v is outside the years 0 to 9999", rec.Seq, ts)
	}
	w.v = vegeta.Result{
		Attack:    w.attack,
		Seq:       rec.Seq,
		Code:      rec.Status,
		Timestamp: ts,
		Latency:   rec.Latency,
		BytesOut:  rec.BytesOut,
		BytesIn:   rec.BytesIn,
		Error:     errorText(rec),
		Method:    method,
		URL:       url,
	}
	return w.enc.Encode(&w.v)
}

// errorText returns the Error of the vegeta result written for rec.
func errorText(rec *records.Record) string {
	switch s := rec.Status; {
	case rec.ErrorKind != records.ErrNone:
		return kindText(rec.ErrorKind)
	case s == 0 || 200 <= s && s < 400:
		return ""
	case http.StatusText(int(s)) == "":
		return strconv.Itoa(int(s))
	default:
		return strconv.Itoa(int(s)) + " " + http.StatusText(int(s))
	}
}

// Flush writes any buffered results to the underlying io.Writer.
func (w *Writer) Flush() error { return w.bw.Flush() }
