package vegetafile

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
)

// maxNext bounds the calls to Next in FuzzReader.
const maxNext = 10000

// FuzzReader reads arbitrary bytes. It must never panic; NewReader must
// succeed exactly when Detect claims the first bytes; every entry consumes
// at least one byte, so the reading ends (with io.EOF or an error naming the
// encoding and the entry) within len(data)+1 calls; an error is sticky;
// every result is in range; and every result survives a Writer and vegeta's
// JSON decoder.
func FuzzReader(f *testing.F) {
	// Small seeds (a 200, a 429 with body and headers, a 503 and a refused
	// connection): the fuzzer minimises every new input, which takes long
	// for large ones.
	all := sampleResults()
	rs := []vegeta.Result{all[0], all[1], all[3], all[4]}
	for _, e := range encoders {
		data, ends := encode(f, e.new, rs)
		f.Add(data)
		f.Add(data[:ends[0]])
		f.Add(data[:ends[2]-5])
		f.Add(data[:min(len(data), 40)])
	}
	f.Add([]byte{})
	f.Add([]byte(records.Magic + "\x00\x02"))
	f.Add([]byte("{\"code\":200}\n\n{\"code\":20"))
	f.Add([]byte("1,2,3,4,5,,,,0,,,\n"))
	f.Add([]byte(`{"headers":{"content-type":["a"]},"latency":-1}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		enc, detected := Detect(data)
		r, err := NewReader(bytes.NewReader(data))
		if (err == nil) != detected {
			t.Fatalf("NewReader error %v, but Detect says %q, %v", err, enc, detected)
		}
		if err != nil {
			if !errors.Is(err, ErrNotVegetaFile) {
				t.Fatalf("NewReader error %v does not wrap ErrNotVegetaFile", err)
			}
			return
		}
		if r.Encoding() != enc {
			t.Fatalf("Encoding() = %q; Detect said %q", r.Encoding(), enc)
		}
		var out bytes.Buffer
		w := NewWriter(&out, "fuzz")
		var written []records.Record
		for n := 1; ; n++ {
			if n > maxNext || n > len(data)+1 {
				t.Fatalf("still reading after %d calls to Next on %d bytes", n-1, len(data))
			}
			var res Result
			err := r.Next(&res)
			if err == io.EOF {
				break
			}
			if err != nil {
				want := "vegeta " + enc + " results: entry " + strconv.Itoa(n) + ": "
				if !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("error %q does not start with %q", err, want)
				}
				if again := r.Next(&res); again != err {
					t.Fatalf("Next after error %v = %v", err, again)
				}
				break
			}
			rec := &res.Record
			if len(res.Body) > MaxBody || (res.Body != nil && len(res.Body) == 0) || len(rec.RetryAfter) > records.MaxRetryAfterLen ||
				rec.Latency < 0 || rec.Attempt != 1 || rec.RequestID != rec.Seq || rec.Scheduled.Location() != time.UTC ||
				(rec.Status != 0 && rec.ErrorKind != records.ErrNone) {
				t.Fatalf("result %d out of range: %+v", n, res)
			}
			if err := w.Write(rec, res.Method, res.URL); err == nil {
				written = append(written, *rec)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		dec := vegeta.NewJSONDecoder(&out)
		for i, rec := range written {
			var v vegeta.Result
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("decoding written result %d: %v", i, err)
			}
			if v.Seq != rec.Seq || v.Code != rec.Status || !v.Timestamp.Equal(rec.Scheduled) || v.Latency != rec.Latency ||
				v.BytesIn != rec.BytesIn || v.BytesOut != rec.BytesOut {
				t.Fatalf("written result %d = %+v; record %+v", i, v, rec)
			}
		}
	})
}
