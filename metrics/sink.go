package metrics

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
)

// Sink fills a Metrics from a stream: an analyze.Sink (and Finisher) of
// one Consume. Each stream's series are labelled with the run id and
// shard its Begin names. The rate-limit contract's violations are read
// from the live run's checker at every tick, and set to the trailer's at
// the end; without a checker, at the end only.
//
// A Sink is used by the consume loop's goroutine alone, which is also
// the one that feeds the checker (analyze.Live checks each response in
// Next): reading the checker there needs no lock.
type Sink struct {
	m       *Metrics
	checker *contract.Checker
	begun   bool

	// Of the stream begun last.
	run, shard string
	names      map[uint32]string // the stream's request ids → their label
	named      int               // names given their own label
	series     map[seriesKey]prometheus.Counter
	latency    map[latencyKey]prometheus.Observer
	transport  [records.ErrOther + 1]prometheus.Counter // by kind, made on first use
	counted    map[string]uint64                        // rule name → violations counted
	one        streamSeries
}

// streamSeries are the series of a stream without labels of their own.
type streamSeries struct {
	sendDelay                               prometheus.Observer
	logical, retries, early, received, sent prometheus.Counter
	succeeded, failed, gaveUp               prometheus.Counter
	exhausted, budget, tooLong, stopped     prometheus.Counter
	active                                  prometheus.Gauge
}

// seriesKey identifies a series of stampede_requests_total by the
// stream's own request id.
type seriesKey struct {
	status   uint16
	category records.Category
	code     string
	request  uint32
}

// latencyKey identifies a series of stampede_request_duration_seconds.
type latencyKey struct {
	request uint32
	success bool
}

// otherRequest is the request id of the series folded beyond MaxSeries:
// no stream gives it (a stream's ids are at most records.MaxRequests + 1).
const otherRequest = ^uint32(0)

// Sink returns a sink that fills m from one stream. checker, if not nil,
// is the live run's contract checker (analyze.LiveOptions.Checker).
func (m *Metrics) Sink(checker *contract.Checker) *Sink {
	return &Sink{m: m, checker: checker}
}

// Observe implements analyze.Sink.
func (s *Sink) Observe(ev *analyze.Event, _ *analyze.Run) error {
	switch ev.Kind {
	case analyze.EventBegin:
		s.begin(&ev.Header)
	case analyze.EventRecord:
		if !s.begun {
			s.begin(&records.Header{})
		}
		s.record(ev)
	case analyze.EventTick:
		s.liveViolations()
	case analyze.EventEnd:
		s.liveViolations()
		if ev.End != nil && ev.End.Trailer != nil {
			s.finalViolations(ev.End.Trailer.Contract)
		}
		s.one.active.Set(0)
	}
	return nil
}

// Finish implements analyze.Finisher: a stream that failed is over too.
func (s *Sink) Finish(_ *analyze.Run, _ error) error {
	if s.begun {
		s.one.active.Set(0)
	}
	return nil
}

// begin starts a stream's series.
func (s *Sink) begin(h *records.Header) {
	s.begun = true
	s.run, s.shard = labelValue(h.RunID), labelValue(h.Shard)
	s.names, s.named = map[uint32]string{}, 0
	s.series, s.latency = map[seriesKey]prometheus.Counter{}, map[latencyKey]prometheus.Observer{}
	s.transport = [len(s.transport)]prometheus.Counter{}
	s.counted = map[string]uint64{}
	m, l := s.m, []string{s.run, s.shard}
	s.one = streamSeries{
		sendDelay: m.sendDelay.WithLabelValues(l...),
		logical:   m.logical.WithLabelValues(l...), retries: m.retries.WithLabelValues(l...),
		early: m.early.WithLabelValues(l...), received: m.received.WithLabelValues(l...), sent: m.sent.WithLabelValues(l...),
		succeeded: m.settled.WithLabelValues(s.run, s.shard, "succeeded"),
		failed:    m.settled.WithLabelValues(s.run, s.shard, "failed"),
		gaveUp:    m.settled.WithLabelValues(s.run, s.shard, "gave_up"),
		exhausted: m.giveUps.WithLabelValues(s.run, s.shard, "exhausted"),
		budget:    m.giveUps.WithLabelValues(s.run, s.shard, "budget"),
		tooLong:   m.giveUps.WithLabelValues(s.run, s.shard, "too_long"),
		stopped:   m.giveUps.WithLabelValues(s.run, s.shard, "stopped"),
		active:    m.active.WithLabelValues(l...),
	}
	s.one.active.Set(1)
	for _, k := range records.ErrorKinds { // at 0 from the start, as the rules below
		s.transportSeries(k)
	}
	if s.checker != nil { // every rule's series from the start: rate() sees the first violation
		for _, rule := range contract.Rules {
			m.violations.WithLabelValues(s.run, s.shard, rule.Name, s.checker.Severity(rule.ID).String())
		}
	}
	if !h.Start.IsZero() {
		m.start.WithLabelValues(l...).Set(float64(h.Start.UnixNano()) / 1e9)
	}
	m.planned.WithLabelValues(l...).Set(h.Duration.Seconds())
}

// record counts one attempt.
func (s *Sink) record(ev *analyze.Event) {
	r := &ev.Record
	if ev.RequestName != "" && r.Request != 0 {
		s.name(r.Request, ev.RequestName)
	}
	s.requestSeries(r).Inc()
	s.latencySeries(r).Observe(r.Latency.Seconds())
	s.one.sendDelay.Observe(r.Sent.Seconds())
	s.one.received.Add(float64(r.BytesIn))
	s.one.sent.Add(float64(r.BytesOut))
	if r.ErrorKind != records.ErrNone {
		s.transportSeries(r.ErrorKind).Inc()
	}
	s.retry(r)
}

// retry counts what an attempt says of its logical request, as
// analyze.Retries does: a first attempt or a retry, and how its request
// settled when it is the last.
func (s *Sink) retry(r *records.Record) {
	if r.Attempt <= 1 {
		s.one.logical.Inc()
	} else {
		s.one.retries.Inc()
	}
	if r.Retry&records.RetryEarly != 0 {
		s.one.early.Inc()
	}
	switch {
	case r.Retry&records.RetryFollows != 0: // not its request's last attempt
	case r.Success():
		s.one.succeeded.Inc()
	case r.Retry.GaveUp():
		s.one.gaveUp.Inc()
		switch {
		case r.Retry&records.RetryExhausted != 0:
			s.one.exhausted.Inc()
		case r.Retry&records.RetryBudget != 0:
			s.one.budget.Inc()
		case r.Retry&records.RetryTooLong != 0:
			s.one.tooLong.Inc()
		default:
			s.one.stopped.Inc()
		}
	default:
		s.one.failed.Inc()
	}
}

// name gives a request id of the stream its label: its name, while fewer
// than MaxRequestNames have one; Other after.
func (s *Sink) name(id uint32, name string) {
	if _, ok := s.names[id]; ok {
		return
	}
	if s.named >= s.m.maxNames {
		s.names[id] = Other
		return
	}
	s.named++
	s.names[id] = labelValue(name)
}

// requestLabel is the label of a stream's request id: "" for none (0),
// Other for one the stream never named.
func (s *Sink) requestLabel(id uint32) string {
	if id == 0 {
		return ""
	}
	if name, ok := s.names[id]; ok {
		return name
	}
	return Other
}

// requestSeries returns the series of stampede_requests_total of r,
// folding new combinations beyond MaxSeries into its status's and
// category's Other.
func (s *Sink) requestSeries(r *records.Record) prometheus.Counter {
	k := seriesKey{r.Status, r.Category, r.ErrorCode, r.Request}
	if c, ok := s.series[k]; ok {
		return c
	}
	code, request := labelValue(r.ErrorCode), s.requestLabel(r.Request)
	if len(s.series) >= s.m.maxSeries {
		k = seriesKey{r.Status, r.Category, Other, otherRequest}
		if c, ok := s.series[k]; ok {
			return c
		}
		code, request = Other, Other
	}
	k.code = strings.Clone(k.code) // the record's string may share a buffer
	c := s.m.requests.WithLabelValues(s.run, s.shard, strconv.Itoa(int(r.Status)), r.Category.String(), code, request)
	s.series[k] = c
	return c
}

// latencySeries returns the series of stampede_request_duration_seconds
// of r.
func (s *Sink) latencySeries(r *records.Record) prometheus.Observer {
	k := latencyKey{r.Request, r.Success()}
	if o, ok := s.latency[k]; ok {
		return o
	}
	outcome := "failure"
	if k.success {
		outcome = "success"
	}
	o := s.m.latency.WithLabelValues(s.run, s.shard, s.requestLabel(r.Request), outcome)
	s.latency[k] = o
	return o
}

// transportSeries returns the series of stampede_transport_errors_total
// of kind.
func (s *Sink) transportSeries(kind records.ErrorKind) prometheus.Counter {
	i := min(int(kind), len(s.transport)-1) // a kind from a newer writer counts as the last
	if s.transport[i] == nil {
		s.transport[i] = s.m.transport.WithLabelValues(s.run, s.shard, records.ErrorKind(i).String())
	}
	return s.transport[i]
}

// liveViolations adds the violations the checker counted since the last
// look.
func (s *Sink) liveViolations() {
	if s.checker == nil || !s.begun {
		return
	}
	for _, rule := range contract.Rules {
		s.violations(rule.Name, s.checker.Severity(rule.ID), s.checker.Violations(rule.ID))
	}
}

// finalViolations brings the violations to the trailer's report, which
// judges what only the end of the run can.
func (s *Sink) finalViolations(raw []byte) {
	if len(raw) == 0 || !s.begun {
		return
	}
	var rep contract.Report
	if err := rep.UnmarshalJSON(raw); err != nil {
		return // the run's report says so; the live counts stand
	}
	for _, r := range rep.Rules {
		s.violations(labelValue(r.Name), r.Severity, r.Violations)
	}
}

// violations brings the counter of a rule up to total.
func (s *Sink) violations(rule string, sev contract.Severity, total uint64) {
	if total <= s.counted[rule] {
		return
	}
	s.m.violations.WithLabelValues(s.run, s.shard, rule, sev.String()).Add(float64(total - s.counted[rule]))
	s.counted[rule] = total
}

// labelValue makes s a valid label value: Prometheus requires UTF-8.
func labelValue(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
