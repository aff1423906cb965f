package analyze

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/records"
)

func TestSeriesAdd(t *testing.T) {
	var s Series
	base := time.Unix(1_000_000, 0)
	s.Add(base.Add(1500*time.Millisecond), 1)
	s.Add(base, 2)
	s.Add(base.Add(3*time.Second), 4)
	if s.Width != 1 || s.Origin != 1_000_000 || fmt.Sprint(s.Counts) != "[2 1 0 4]" {
		t.Errorf("series = width %d origin %d %v; want 1, 1000000, [2 1 0 4]", s.Width, s.Origin, s.Counts)
	}
	if !s.Start().Equal(base) || s.Step() != time.Second || s.Total() != 7 {
		t.Errorf("Start %v Step %v Total %d; want %v, 1s, 7", s.Start(), s.Step(), s.Total(), base)
	}
}

// TestSeriesBounded checks that a long run widens the buckets instead of
// growing past MaxSeriesBuckets, keeping every count.
func TestSeriesBounded(t *testing.T) {
	var s Series
	base := time.Unix(1_700_000_000, 0)
	const hours = 5
	for sec := range hours * 3600 {
		s.Add(base.Add(time.Duration(sec)*time.Second), 1)
	}
	if len(s.Counts) > MaxSeriesBuckets || s.Total() != hours*3600 || s.Width != 8 {
		t.Errorf("%d buckets of %d s holding %d; want at most %d buckets of 8 s holding %d", len(s.Counts), s.Width, s.Total(), MaxSeriesBuckets, hours*3600)
	}
	// A time far in the past widens a lot but stays bounded.
	s.Add(time.Unix(0, 0), 1)
	if len(s.Counts) > MaxSeriesBuckets || s.Total() != hours*3600+1 {
		t.Errorf("after an outlier: %d buckets holding %d", len(s.Counts), s.Total())
	}
}

// TestSeriesMergeHalves: the series of two halves merged equal the series
// of the whole, whatever the split and the widths.
func TestSeriesMergeHalves(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	base := time.Unix(1_700_000_000, 0)
	for trial := range 20 {
		n := 1 + rng.IntN(20000)
		span := 1 + rng.IntN(20000) // seconds
		times := make([]time.Time, n)
		for i := range times {
			times[i] = base.Add(time.Duration(rng.IntN(span*1000)) * time.Millisecond)
		}
		var whole, a, b Series
		cut := rng.IntN(n)
		for i, at := range times {
			whole.Add(at, 1)
			if i < cut {
				a.Add(at, 1)
			} else {
				b.Add(at, 1)
			}
		}
		a.Merge(b)
		if a.Width != whole.Width || a.Origin != whole.Origin || fmt.Sprint(trim(a.Counts)) != fmt.Sprint(trim(whole.Counts)) {
			t.Fatalf("trial %d (n %d, span %d s, cut %d): merged width %d origin %d (%d buckets); whole width %d origin %d (%d buckets)",
				trial, n, span, cut, a.Width, a.Origin, len(a.Counts), whole.Width, whole.Origin, len(whole.Counts))
		}
	}
}

// trim drops trailing zero buckets, which merging may leave.
func trim(c []uint64) []uint64 {
	for len(c) > 0 && c[len(c)-1] == 0 {
		c = c[:len(c)-1]
	}
	return c
}

// TestMergeClassesHalvesEqualWhole classifies two halves of a run with two
// classifiers (so class IDs differ) and checks the merge equals the whole.
func TestMergeClassesHalvesEqualWhole(t *testing.T) {
	bodies := []struct {
		status uint16
		body   string
	}{
		{200, ""},
		{429, `{"detail": "Rate limit exceeded. Please retry after 12 seconds."}`},
		{400, `{"error": "Bad Request", "message": "fact is required"}`},
		{500, `{"error": {"code": "internal_error", "message": "boom", "type": "error"}}`},
		{0, ""},
	}
	rng := rand.New(rand.NewPCG(3, 3))
	base := time.Unix(1_700_000_000, 0).UTC()
	type attempt struct {
		rec  records.Record
		resp classify.Response
	}
	var all []attempt
	for i := range 4000 {
		b := bodies[rng.IntN(len(bodies))]
		r := classify.Response{Status: b.status, Body: []byte(b.body)}
		if b.status == 0 {
			r.Kind = records.ErrTimeout
		}
		all = append(all, attempt{
			rec:  records.Record{Status: b.status, ErrorKind: r.Kind, Scheduled: base.Add(time.Duration(i) * 7 * time.Millisecond), Latency: time.Duration(1+rng.IntN(90_000)) * time.Microsecond},
			resp: r,
		})
	}
	run := func(part []attempt) *Summary {
		c := mustClassifier(t, classify.Options{})
		s := NewSummaryFor(c.Classes())
		for _, a := range part {
			rec := a.rec
			rec.Class = c.Classify(&a.resp).Class.ID
			s.Add(&rec)
		}
		return s
	}
	whole := run(all)
	half := run(all[2500:]) // classes first seen in another order: other IDs
	merged := run(all[:2500])
	merged.Merge(half)

	describe := func(s *Summary) map[string]string {
		out := map[string]string{}
		for _, st := range s.ClassStats() {
			key := fmt.Sprintf("%d/%s/%s/%s", st.Class.Status, st.Class.ErrorKind, st.Class.Code, st.Class.Pattern)
			out[key] = fmt.Sprintf("n=%d q=%+v first=%s last=%s series=%d/%d/%v", st.Count, LatencyQuantiles(st.Latency),
				st.First.Format(time.RFC3339Nano), st.Last.Format(time.RFC3339Nano), st.Series.Width, st.Series.Origin, trim(st.Series.Counts))
		}
		return out
	}
	w, m := describe(whole), describe(merged)
	if len(w) != len(bodies) {
		t.Fatalf("whole run has %d classes; want %d", len(w), len(bodies))
	}
	for k, v := range w {
		if m[k] != v {
			t.Errorf("class %s: merged %s; want %s", k, m[k], v)
		}
	}
	if len(m) != len(w) {
		t.Errorf("merged has %d classes; want %d", len(m), len(w))
	}
}

// mustClassifier returns a classifier with options o, failing the test on error.
func mustClassifier(t testing.TB, o classify.Options) *classify.Classifier {
	t.Helper()
	c, err := classify.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
