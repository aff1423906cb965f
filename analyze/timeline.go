package analyze

import (
	"maps"
	"slices"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/records"
)

// Bounds of a Timeline: past either, its intervals widen 2×, so its memory
// stays bounded whatever the length of the run. Only the last
// LiveIntervals intervals hold whole histograms (26 KB each); older ones
// keep their non-zero buckets, a few kilobytes (Cell).
const (
	// MaxTimelineBuckets bounds the intervals from the first to the last:
	// 7.5 minutes of the narrowest intervals, an hour of one-second ones.
	MaxTimelineBuckets = 3600
	// TimelineTick is the narrowest interval, the unit of a timeline's
	// Width: an eighth of a second, so that the chart of a run of a few
	// seconds has dozens of points. Reports that count per second read
	// AtLeast(time.Second).
	TimelineTick = time.Second / 8
	// MaxFineBuckets bounds the intervals of a timeline narrower than a
	// second: a minute of eighths of a second. Past it they widen, as
	// they do past MaxTimelineBuckets, so that a long run pays for no
	// more intervals than its charts can show (each interval's histograms
	// cost their compaction). Plan starts a run of a known length at the
	// width it will reach.
	MaxFineBuckets = 480
	// MaxTimelineCells bounds the latency histograms, overall and per
	// class, over all intervals.
	MaxTimelineCells = 2048
	// MaxTimelineClasses bounds the classes followed over time: those of
	// ids up to it, the first ones seen. Attempts of further classes count in the intervals'
	// totals only. With at most this many classes, widening always brings
	// the histograms within MaxTimelineCells.
	MaxTimelineClasses = MaxTimelineCells/2 - 1
	// TimelineDigits is the precision of a timeline's histograms: two
	// significant digits, a value is off by at most 1 %.
	TimelineDigits = 2
)

// Timeline follows a run over time. For each interval it counts the
// attempts the pacer scheduled (the offered rate) and the attempts
// actually sent (the achieved rate), and keeps HDR histograms of the
// corrected latency of the attempts scheduled in it, overall and per
// class, the requests in flight and the attempts by status family.
// Intervals are a power of two TimelineTicks long (from 1/8 s), aligned on
// the Unix epoch, so the timelines of shards line up and merge exactly.
// The zero value is empty and ready to use.
type Timeline struct {
	Width   int64        // TimelineTicks per interval, a power of two; 0 while empty
	Origin  int64        // interval number of Buckets[0], in units of Width since the Unix epoch
	Buckets []TimeBucket // consecutive intervals, empty ones included
	cells   int          // histograms allocated
	settled int          // the buckets before it are compact, but for those in dirty
	dirty   []int        // settled buckets a late record made whole again
	seen    int          // len(Buckets) when dirty was last compacted
	planned int64        // the width Plan chose for the first interval; 0 for 1
	changes uint64       // counts the changes (Add, Merge), to know a view is still true
	view    *Timeline    // the last AtLeast copy, of the timeline after changes changes
	viewOf  uint64       // changes when view was made
}

// LiveIntervals is how many of the last intervals keep their histograms
// whole; older ones keep only their non-zero counts (Cell), so that a
// long run costs some kilobytes an interval instead of 26 KB a histogram.
// Records arrive in about the order they were scheduled, so an interval
// this far behind the newest one rarely gets another.
const LiveIntervals = 8

// followed reports whether the timeline follows a class over time: the
// first MaxTimelineClasses classes of its summary's table, whose ids are
// given in order of first sight.
func followed(class uint32) bool { return class <= MaxTimelineClasses }

// TimelineFollows reports whether a timeline follows a class over time
// (ClassPoints): the first MaxTimelineClasses classes of a summary.
func TimelineFollows(class uint32) bool { return followed(class) }

// TimeBucket is one interval of a Timeline.
type TimeBucket struct {
	Offered   uint64 // attempts scheduled in the interval
	Sent      uint64 // attempts that left in the interval
	Successes uint64 // attempts scheduled in it answered 2xx or 3xx
	Logical   uint64 // first attempts scheduled in it: the logical requests the pacer offered
	Faults    uint64 // attempts scheduled in it answered 5xx or failed in transport
	// Families counts the attempts scheduled in it by FamilyOf.
	Families [Families]uint64
	// Busy is the time requests spent in flight within the interval, from
	// their actual send to their completion, summed over the requests:
	// divided by the interval's length it is the mean in flight. Requests
	// that span whole intervals count there through spanning.
	Busy     time.Duration
	spanning int64            // requests in flight from this interval on, minus those from the next (a difference array: materialize adds it up)
	Latency  *Cell            // of the attempts scheduled in it; nil when none
	Classes  map[uint32]*Cell // the same, per class id; nil when none
}

// The status families of Timeline's counts, the indices of
// TimeBucket.Families.
const (
	FamilyTransport = iota // no response: the request failed in transport
	Family1xx
	Family2xx
	Family3xx
	Family4xx
	Family5xx
	FamilyOther // a status outside 100–599
	Families    // how many families there are
)

// IsFault reports whether an attempt that failed in kind (ErrNone for
// none) or was answered status is a fault of the server: a 5xx or a
// transport failure.
func IsFault(kind records.ErrorKind, status uint16) bool {
	return kind != records.ErrNone || status >= 500
}

// FamilyOf returns the status family of an attempt.
func FamilyOf(r *records.Record) int {
	switch {
	case r.ErrorKind != records.ErrNone:
		return FamilyTransport
	case r.Status >= 100 && r.Status < 600:
		return int(r.Status / 100)
	}
	return FamilyOther
}

// NewTimelineHistogram returns an empty histogram of a timeline's geometry:
// microseconds from 1 µs to an hour, TimelineDigits significant digits.
func NewTimelineHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(LowestLatencyUs, HighestLatencyUs, TimelineDigits)
}

// ticksPerSecond is how many TimelineTicks make a second.
const ticksPerSecond = int64(time.Second / TimelineTick)

// tickOf returns the TimelineTick holding a time, for any year a time
// holds (UnixNano would overflow past 2262).
func tickOf(at time.Time) int64 {
	return at.Unix()*ticksPerSecond + int64(at.Nanosecond())/int64(TimelineTick)
}

// tickTime returns the beginning of a TimelineTick.
func tickTime(tick int64) time.Time {
	return time.Unix(floorDiv(tick, ticksPerSecond), (tick-floorDiv(tick, ticksPerSecond)*ticksPerSecond)*int64(TimelineTick)).UTC()
}

// Plan sets the width of the intervals of an empty timeline for a run
// planned to last length: the narrowest from an eighth of a second to a
// second that holds it in MaxFineBuckets intervals. It does nothing to a
// timeline with records, or for a length of 0 (unknown).
func (t *Timeline) Plan(length time.Duration) {
	if t.Width != 0 || length <= 0 {
		return
	}
	t.planned = 1
	for t.planned < ticksPerSecond && length > time.Duration(t.planned)*TimelineTick*MaxFineBuckets {
		t.planned *= 2
	}
}

// Add counts one attempt of a class.
func (t *Timeline) Add(r *records.Record, class uint32) {
	t.changes++
	i, b := t.bucketAt(tickOf(r.Scheduled))
	if i < t.settled && (b.Latency == nil || b.Latency.h == nil) {
		t.dirty = append(t.dirty, i) // a late record (a timeout, say): compact it again soon
	}
	b.Offered++
	if r.Success() {
		b.Successes++
	}
	if r.Attempt <= 1 {
		b.Logical++
	}
	if IsFault(r.ErrorKind, r.Status) {
		b.Faults++
	}
	b.Families[FamilyOf(r)]++
	if b.Latency == nil {
		b.Latency = &Cell{}
		t.cells++
	}
	RecordLatency(b.Latency.live(), r.Latency)
	if followed(class) {
		h := b.Classes[class]
		if h == nil {
			if b.Classes == nil {
				b.Classes = make(map[uint32]*Cell, 4)
			}
			h = &Cell{}
			b.Classes[class] = h
			t.cells++
		}
		RecordLatency(h.live(), r.Latency)
	}
	sent := r.Scheduled.Add(r.Sent)
	sentTick := tickOf(sent)
	sb := t.bucket(sentTick)
	sb.Sent++
	if end := r.Scheduled.Add(r.Latency); r.Latency > r.Sent {
		if floorDiv(sentTick, t.Width) == floorDiv(tickOf(end), t.Width) {
			sb.Busy += r.Latency - r.Sent // within one interval, the usual case
		} else {
			t.addBusy(sent, end)
		}
	}
	t.fit()
	t.settle()
}

// addBusy counts a request in flight from one time to another: the parts
// of the first and the last interval it covers in their Busy, the whole
// intervals between through spanning.
func (t *Timeline) addBusy(from, to time.Time) {
	if !to.After(from) {
		return
	}
	t.bucket(tickOf(from))
	t.bucket(tickOf(to)) // both covered: indices are stable from here
	first, last := t.index(from), t.index(to)
	if first == last {
		t.Buckets[first].Busy += to.Sub(from)
		return
	}
	t.Buckets[first].Busy += t.intervalStart(first + 1).Sub(from)
	t.Buckets[last].Busy += to.Sub(t.intervalStart(last))
	if last > first+1 {
		t.Buckets[first+1].spanning++
		t.Buckets[last].spanning--
	}
}

// index returns the index of the interval holding a time, which must be
// covered.
func (t *Timeline) index(at time.Time) int {
	return int(floorDiv(tickOf(at), t.Width) - t.Origin)
}

// materialize adds the requests spanning whole intervals to their Busy.
func (t *Timeline) materialize() {
	var spanning int64
	for i := range t.Buckets {
		b := &t.Buckets[i]
		spanning += b.spanning
		b.Busy += time.Duration(spanning) * t.Step()
		b.spanning = 0
	}
}

// settle compacts the intervals more than LiveIntervals behind the last,
// and, once a newer interval has begun, those late records made whole
// again: each at most once an interval however many records it gets.
func (t *Timeline) settle() {
	for ; t.settled < len(t.Buckets)-LiveIntervals; t.settled++ {
		t.Buckets[t.settled].compact()
	}
	if len(t.dirty) > 0 && len(t.Buckets) != t.seen {
		for _, i := range t.dirty {
			if i < t.settled {
				t.Buckets[i].compact()
			}
		}
		t.dirty, t.seen = t.dirty[:0], len(t.Buckets)
	}
}

// compact keeps only the non-zero counts of the bucket's histograms.
func (b *TimeBucket) compact() {
	b.Latency.compact()
	for _, c := range b.Classes {
		c.compact()
	}
}

// fit widens the intervals until the histograms are within
// MaxTimelineCells. Two intervals always fit: each holds at most
// MaxTimelineClasses + 1 histograms.
func (t *Timeline) fit() {
	for t.cells > MaxTimelineCells && len(t.Buckets) > 1 {
		t.widen()
	}
}

// bucket returns the interval holding a tick, covering it first.
func (t *Timeline) bucket(tick int64) *TimeBucket {
	_, b := t.bucketAt(tick)
	return b
}

// bucketAt returns the interval holding a tick and its index in Buckets,
// covering it first.
func (t *Timeline) bucketAt(tick int64) (int, *TimeBucket) {
	if t.Width == 0 {
		t.Width = max(t.planned, 1)
		t.Origin, t.Buckets = floorDiv(tick, t.Width), make([]TimeBucket, 1, 64)
	}
	i := floorDiv(tick, t.Width) - t.Origin
	if i < 0 || i >= int64(len(t.Buckets)) {
		t.cover(floorDiv(tick, t.Width))
		i = floorDiv(tick, t.Width) - t.Origin // cover may have widened
	}
	return int(i), &t.Buckets[i]
}

// cover grows the buckets to include interval b, widening them while the
// span would exceed MaxTimelineBuckets.
func (t *Timeline) cover(b int64) {
	first, last := min(b, t.Origin), max(b, t.Origin+int64(len(t.Buckets))-1)
	for uint64(last-first) >= MaxTimelineBuckets || (t.Width < ticksPerSecond && uint64(last-first) >= MaxFineBuckets) { // unsigned: no overflow for spans of 2⁶³ ticks
		t.widen()
		first, last = floorDiv(first, 2), floorDiv(last, 2)
	}
	if shift := int(t.Origin - first); shift > 0 { // buckets before the first: indices move on
		t.settled += shift
		for k := range t.dirty {
			t.dirty[k] += shift
		}
	}
	t.Origin, t.Buckets = extend(t.Origin, t.Buckets, first, last)
}

// widen doubles the width of the intervals, merging each pair.
//
// Each merged interval is compacted as soon as it is whole, unless it is
// one of the last LiveIntervals, so that widening never holds more whole
// histograms than the timeline did.
func (t *Timeline) widen() {
	t.materialize()
	origin := floorDiv(t.Origin, 2)
	last := len(t.Buckets) - 1
	n := int(floorDiv(t.Origin+int64(last), 2)-origin) + 1
	out := make([]TimeBucket, n)
	t.cells = 0
	for i := range t.Buckets {
		j := int(floorDiv(t.Origin+int64(i), 2) - origin)
		out[j].add(&t.Buckets[i], nil)
		if complete := i == last || int(floorDiv(t.Origin+int64(i+1), 2)-origin) != j; complete && j < n-LiveIntervals {
			out[j].compact()
		}
	}
	for i := range out {
		t.cells += out[i].count()
	}
	t.Width, t.Origin, t.Buckets = t.Width*2, origin, out
	t.settled, t.dirty, t.seen = max(n-LiveIntervals, 0), t.dirty[:0], n
}

// add merges o into b, mapping class ids through id (nil: unchanged) and
// keeping the classes followed.
func (b *TimeBucket) add(o *TimeBucket, id func(uint32) uint32) {
	b.Offered += o.Offered
	b.Sent += o.Sent
	b.Successes += o.Successes
	b.Logical += o.Logical
	b.Faults += o.Faults
	for f := range b.Families {
		b.Families[f] += o.Families[f]
	}
	b.Busy += o.Busy
	if o.Latency != nil {
		if b.Latency == nil {
			b.Latency = &Cell{}
		}
		b.Latency.merge(o.Latency)
	}
	for _, c := range slices.Sorted(maps.Keys(o.Classes)) {
		to := c
		if id != nil {
			to = id(c)
		}
		if !followed(to) {
			continue
		}
		if b.Classes == nil {
			b.Classes = make(map[uint32]*Cell, len(o.Classes))
		}
		if b.Classes[to] == nil {
			b.Classes[to] = &Cell{}
		}
		b.Classes[to].merge(o.Classes[c])
	}
}

// Merge adds another timeline, mapping its class ids through id (nil:
// unchanged). o is not modified. The result is the timeline of all the
// attempts of both: merging the timelines of two halves of a run gives the
// timeline of the whole.
func (t *Timeline) Merge(o *Timeline, id func(uint32) uint32) {
	if o.Width == 0 {
		return
	}
	t.changes++
	if t.Width == 0 {
		t.Width, t.Origin = o.Width, o.Origin
	}
	for t.Width < o.Width {
		t.widen()
	}
	t.materialize()
	var spanning int64 // o's requests spanning its interval i, not yet in its Busy
	for i := range o.Buckets {
		ob := &o.Buckets[i]
		spanning += ob.spanning
		if ob.Offered == 0 && ob.Sent == 0 && ob.Busy == 0 && spanning == 0 {
			continue
		}
		tick := (o.Origin + int64(i)) * o.Width // the interval's first tick; t is at least as wide
		j, b := t.bucketAt(tick)
		t.cells -= b.count()
		b.add(ob, id)
		b.Busy += time.Duration(spanning) * o.Step()
		t.cells += b.count()
		if j < len(t.Buckets)-LiveIntervals {
			b.compact() // merging a long timeline holds no more whole histograms than it
		}
		t.fit()
	}
	t.settle()
}

// count returns the histograms a bucket holds.
func (b *TimeBucket) count() int {
	n := len(b.Classes)
	if b.Latency != nil {
		n++
	}
	return n
}

// Step returns the length of an interval.
func (t *Timeline) Step() time.Duration { return time.Duration(t.Width) * TimelineTick }

// Start returns the beginning of the first interval, zero when empty.
func (t *Timeline) Start() time.Time {
	if t.Width == 0 {
		return time.Time{}
	}
	return tickTime(t.Origin * t.Width)
}

// AtLeast returns the timeline with intervals of at least step, to read
// and not to change: t itself when they are, otherwise a copy in wider
// intervals, kept until t changes. Reports that count per second read
// AtLeast(time.Second), so that their intervals are the whole seconds
// they always were.
func (t *Timeline) AtLeast(step time.Duration) *Timeline {
	if t.Width == 0 || t.Step() >= step {
		return t
	}
	width := t.Width
	for time.Duration(width)*TimelineTick < step {
		width *= 2
	}
	if v := t.view; v != nil && t.viewOf == t.changes && v.Width == width {
		return v // the reports of a run read the same view several times
	}
	// The copy starts at the wide intervals, so that each of the
	// timeline's falls into one: no narrow copy to widen.
	origin := floorDiv(t.Origin*t.Width, width)
	c := &Timeline{Width: width, Origin: origin, Buckets: make([]TimeBucket, 1, 64)}
	c.Merge(t, nil)
	t.view, t.viewOf = c, t.changes
	return c
}

// TimePoint is one interval of a timeline, as reports show it.
type TimePoint struct {
	Start              time.Time        // beginning of the interval
	Offered, Sent      uint64           // attempts scheduled, and sent, in it
	Successes          uint64           // attempts scheduled in it answered 2xx or 3xx
	Logical            uint64           // first attempts scheduled in it (Offered − Logical are retries)
	Faults             uint64           // attempts scheduled in it answered 5xx or failed in transport
	Families           [Families]uint64 // attempts scheduled in it by status family (FamilyOf)
	Count              uint64           // attempts scheduled in it (of the class, for ClassPoints)
	P50, P90, P99, Max time.Duration    // latency quantiles, 0 when empty
}

// Points returns every interval from the first to the last in which an
// attempt was scheduled or sent, with the latency quantiles of all the
// attempts scheduled in it. The intervals after it, in which only the
// last requests were still in flight, are InFlight's alone.
func (t *Timeline) Points() []TimePoint {
	out := make([]TimePoint, t.scheduledLen())
	scratch := NewTimelineHistogram()
	for i := range out {
		b := &t.Buckets[i]
		out[i] = point(t.Start().Add(time.Duration(i)*t.Step()), b.Latency.View(scratch))
		out[i].Offered, out[i].Sent, out[i].Successes = b.Offered, b.Sent, b.Successes
		out[i].Logical, out[i].Faults, out[i].Families = b.Logical, b.Faults, b.Families
	}
	return out
}

// FlightPoint is one interval of a timeline's requests in flight.
type FlightPoint struct {
	Start    time.Time // beginning of the interval
	InFlight float64   // requests in flight, on average over the interval
}

// InFlight returns every interval from the first to the last in which a
// request was in flight, with the requests in flight on average.
func (t *Timeline) InFlight() []FlightPoint {
	t.materialize()
	out := make([]FlightPoint, len(t.Buckets))
	for i := range t.Buckets {
		out[i] = FlightPoint{Start: t.Start().Add(time.Duration(i) * t.Step()), InFlight: float64(t.Buckets[i].Busy) / float64(t.Step())}
	}
	return out
}

// scheduledLen returns how many intervals there are up to the last in
// which an attempt was scheduled or sent.
func (t *Timeline) scheduledLen() int {
	last := len(t.Buckets)
	for last > 0 && t.Buckets[last-1].Offered == 0 && t.Buckets[last-1].Sent == 0 {
		last--
	}
	return last
}

// ClassPoints returns the intervals in which a class has attempts, with
// their latency quantiles.
func (t *Timeline) ClassPoints(class uint32) []TimePoint {
	var out []TimePoint
	scratch := NewTimelineHistogram()
	for i := range t.Buckets {
		if h := t.Buckets[i].Classes[class]; h != nil {
			out = append(out, point(t.Start().Add(time.Duration(i)*t.Step()), h.View(scratch)))
		}
	}
	return out
}

// point summarises one histogram of an interval.
func point(start time.Time, h *hdrhistogram.Histogram) TimePoint {
	p := TimePoint{Start: start}
	if h == nil || h.TotalCount() == 0 {
		return p
	}
	q := LatencyQuantiles(h)
	p.Count = uint64(h.TotalCount())
	p.P50, p.P90, p.P99, p.Max = q.P50, q.P90, q.P99, q.Max
	return p
}
