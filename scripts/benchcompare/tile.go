package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

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
	// One copy spans its sends plus one mean interval, so the copies keep
	// the rate.
	span := last.Sub(first) + last.Sub(first)/time.Duration(len(recs)-1)
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
