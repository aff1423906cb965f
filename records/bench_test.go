package records

import (
	"bytes"
	"io"
	"testing"
)

func BenchmarkWrite(b *testing.B) {
	recs := sampleRecords(1024)
	w, err := NewWriter(io.Discard, testHeader())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := w.Write(&recs[n%len(recs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkRead(b *testing.B) {
	const n = 100_000
	data, _ := writeFile(b, testHeader(), sampleRecords(n))
	b.SetBytes(int64(len(data) / n)) // the average record's bytes
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	var rec Record
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := r.Next(&rec)
		if err == io.EOF {
			b.StopTimer() // rarely: once per n records
			r, _ = NewReader(bytes.NewReader(data))
			b.StartTimer()
			err = r.Next(&rec)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
