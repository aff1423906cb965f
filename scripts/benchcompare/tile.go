package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
)

// tile writes to dst a stampede result file of exactly n records: the
// records of src, a file of a real run, repeated back to back (each copy
// shifted by the run's span, with fresh sequence numbers and request ids),
// under src's header, classes, request names and trailer. It makes the
// 1,000,000-record file of (e) from a short attack: the same traffic,
// written by stampede's own writer, so its bytes per record are those of
// a run.
func tile(src, dst string, n int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	r, err := records.NewReader(bufio.NewReaderSize(in, 1<<16))
	if err != nil {
		return err
	}
	var recs []records.Record
	for {
		var rec records.Record
		if err := r.Next(&rec); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		recs = append(recs, rec)
	}
	if len(recs) < 2 {
		return fmt.Errorf("%s: %d records, too few to repeat", src, len(recs))
	}
	first, last := recs[0].Scheduled, recs[0].Scheduled
	var maxSeq, maxID uint64
	for _, rec := range recs {
		if rec.Scheduled.Before(first) {
			first = rec.Scheduled
		}
		if rec.Scheduled.After(last) {
			last = rec.Scheduled
		}
		maxSeq, maxID = max(maxSeq, rec.Seq), max(maxID, rec.RequestID)
	}
	span := copySpan(first, last, len(recs))
	copies := (n + len(recs) - 1) / len(recs)

	h := r.Header()
	if h.Duration > 0 {
		h.Duration = span * time.Duration(copies)
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	w, err := records.NewWriter(out, h)
	if err != nil {
		return err
	}
	for _, c := range r.Classes() {
		if err := w.WriteClass(&c.Class); err != nil {
			return err
		}
		for _, s := range c.Samples {
			if err := w.WriteSample(c.ID, []byte(s)); err != nil {
				return err
			}
		}
	}
	for _, q := range r.Requests() {
		if err := w.WriteRequest(q.ID, q.Name); err != nil {
			return err
		}
	}
	written := 0
	for k := 0; written < n; k++ {
		shift := span * time.Duration(k)
		for _, rec := range recs {
			if written == n {
				break
			}
			rec.Scheduled = rec.Scheduled.Add(shift)
			rec.Seq += uint64(k) * (maxSeq + 1)
			rec.RequestID += uint64(k) * (maxID + 1)
			if err := w.Write(&rec); err != nil {
				return err
			}
			written++
		}
	}
	if t := r.Trailer(); t != nil {
		t.End = t.End.Add(span * time.Duration(copies-1))
		if err := w.WriteTrailer(t); err != nil {
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return out.Close()
}

// tileVegeta writes to dst a vegeta gob result file of exactly n results:
// those of src, a file vegeta attack wrote, repeated back to back as tile
// repeats stampede's (each copy shifted by the run's span, with fresh
// sequence numbers). Each tool's report then reads a file of its own
// writer, headers and bodies included, as its users' files are.
func tileVegeta(src, dst string, n int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	dec := vegeta.NewDecoder(bufio.NewReaderSize(in, 1<<16))
	var results []vegeta.Result
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		results = append(results, r)
	}
	if len(results) < 2 {
		return fmt.Errorf("%s: %d results, too few to repeat", src, len(results))
	}
	first, last := results[0].Timestamp, results[0].Timestamp
	var maxSeq uint64
	for _, r := range results {
		if r.Timestamp.Before(first) {
			first = r.Timestamp
		}
		if r.Timestamp.After(last) {
			last = r.Timestamp
		}
		maxSeq = max(maxSeq, r.Seq)
	}
	span := copySpan(first, last, len(results))
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	bw := bufio.NewWriterSize(out, 1<<16)
	enc := vegeta.NewEncoder(bw)
	written := 0
	for k := 0; written < n; k++ {
		shift := span * time.Duration(k)
		for _, r := range results {
			if written == n {
				break
			}
			r.Timestamp = r.Timestamp.Add(shift)
			r.Seq += uint64(k) * (maxSeq + 1)
			if err := enc.Encode(&r); err != nil {
				return err
			}
			written++
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return out.Close()
}

// copySpan is how far apart the copies of n sends from first to last go:
// their span plus one mean interval, so that the copies keep the rate.
func copySpan(first, last time.Time, n int) time.Duration {
	return last.Sub(first) + last.Sub(first)/time.Duration(n-1)
}
