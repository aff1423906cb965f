package metrics

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
)

// events is a Source of given events.
type events []analyze.Event

func (e *events) Next(_ context.Context, ev *analyze.Event) error {
	if len(*e) == 0 {
		return io.EOF
	}
	*ev = (*e)[0]
	*e = (*e)[1:]
	return nil
}

var t0 = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

// rec is a record of status and code, scheduled n ms after t0.
func rec(n int, status uint16, code string, cat records.Category, request uint32) records.Record {
	return records.Record{
		Seq: uint64(n), Scheduled: t0.Add(time.Duration(n) * time.Millisecond), Sent: time.Duration(n%7) * 100 * time.Microsecond,
		Latency: time.Duration(1+n%40) * time.Millisecond, Status: status, ErrorCode: code, Category: cat,
		Attempt: 1, RequestID: uint64(n), Request: request, BytesIn: 10, BytesOut: 3,
	}
}

// stream is a run of every kind of record: successes, errors with codes,
// transport failures, retries with every ending, two named requests.
func stream() events {
	evs := events{{Kind: analyze.EventBegin, Header: records.Header{RunID: "r1", Shard: "1/2", Start: t0, Duration: 10 * time.Second}}}
	add := func(r records.Record, name string) {
		evs = append(evs, analyze.Event{Kind: analyze.EventRecord, Record: r, RequestName: name})
	}
	names := map[uint32]bool{}
	for i := range 300 {
		req := uint32(1 + i%2)
		name := ""
		if !names[req] {
			names[req], name = true, []string{"", "GET /a", "POST /b"}[req]
		}
		var r records.Record
		switch {
		case i%10 == 3:
			r = rec(i, 429, "rate_limited", records.CatRateLimit, req)
		case i%10 == 5:
			r = rec(i, 400, "invalid_\xffvalue", records.CatValidation, req) // a code that is no UTF-8
		case i%25 == 7:
			r = rec(i, 0, "", records.CatTransport, req)
			r.ErrorKind = records.ErrRefused
		default:
			r = rec(i, 200, "", records.CatSuccess, req)
		}
		add(r, name)
		if i%20 == 0 {
			evs = append(evs, analyze.Event{Kind: analyze.EventTick, Elapsed: time.Duration(i) * time.Millisecond})
		}
	}
	// Retries: one retried then succeeded, the others given up.
	for i, flags := range []records.RetryFlags{records.RetryExhausted, records.RetryBudget, records.RetryTooLong, records.RetryStopped} {
		first := rec(1000+i, 503, "", records.CatUnavailable, 1)
		first.Retry = records.RetryFollows | records.RetryEarly
		second := rec(2000+i, 503, "", records.CatUnavailable, 1)
		second.Attempt, second.RequestID, second.Retry = 2, first.RequestID, flags
		add(first, "")
		add(second, "")
	}
	ok := rec(3000, 200, "", records.CatSuccess, 2)
	ok.Attempt = 2
	add(ok, "")
	return evs
}

// end appends the stream's End, with the checker's report in its trailer.
func end(evs events, c *contract.Checker) events {
	raw, _ := json.Marshal(c.Report())
	return append(evs, analyze.Event{Kind: analyze.EventEnd, End: &analyze.End{Trailer: &records.Trailer{Contract: raw}}})
}

// gather returns m's families by name.
func gather(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// sum adds the values of the series of f whose labels match want, and
// returns them with the values of label by (all of them when by is "").
func sum(f *dto.MetricFamily, want map[string]string, by string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		v := m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		out[labels[by]] += v
	}
	return out
}

// TestSinkCountsAsSummary checks that the counters equal what the
// summary of the same stream counts: by status, by code, the transport
// failures, the retries and the contract's violations.
func TestSinkCountsAsSummary(t *testing.T) {
	m := New(Options{})
	c := contract.New(contract.Options{})
	for i := range 3 { // 429s without Retry-After: RuleRetryAfterOn429
		c.Add(&contract.Response{Status: 429, Header: http.Header{}, Sent: t0, Received: t0.Add(time.Duration(i) * time.Millisecond)})
	}
	src := end(stream(), c)
	run, err := analyze.Consume(t.Context(), &src, m.Sink(c))
	if err != nil {
		t.Fatal(err)
	}
	fams := gather(t, m)
	sel := map[string]string{"run_id": "r1", "shard": "1/2"}
	s := run.Summary

	byStatus := sum(fams[RequestsTotal], sel, "status")
	for status, n := range s.Status {
		if got := byStatus[strconv.Itoa(int(status))]; got != float64(n) {
			t.Errorf("requests of status %d = %v; want %d", status, got, n)
		}
	}
	if len(byStatus) != len(s.Status) {
		t.Errorf("statuses %v; want those of %v", byStatus, s.Status)
	}
	byCode, wantCode := sum(fams[RequestsTotal], sel, "code"), map[string]float64{}
	for _, cs := range s.ClassStats() {
		wantCode[labelValue(cs.Class.Code)] += float64(cs.Count)
	}
	if !maps.Equal(byCode, wantCode) || len(wantCode) < 3 {
		t.Errorf("requests by code %v; want %v", byCode, wantCode)
	}
	byRequest := sum(fams[RequestsTotal], sel, "request")
	for _, rs := range s.RequestStats() {
		if got := byRequest[rs.Name]; got != float64(rs.Count) {
			t.Errorf("requests of %q = %v; want %d", rs.Name, got, rs.Count)
		}
	}
	checks := []struct {
		name   string
		labels map[string]string
		want   uint64
	}{
		{TransportErrorsTotal, map[string]string{"kind": "connection_refused"}, s.Transport[records.ErrRefused]},
		{RequestDuration, nil, s.Requests},
		{SendDelay, nil, s.Requests},
		{LogicalRequestsTotal, nil, s.Retries.Logical},
		{RetriesTotal, nil, s.Retries.Retries},
		{SettledTotal, map[string]string{"outcome": "succeeded"}, s.Retries.Succeeded},
		{SettledTotal, map[string]string{"outcome": "failed"}, s.Retries.Failed},
		{SettledTotal, map[string]string{"outcome": "gave_up"}, s.Retries.GaveUp},
		{GiveUpsTotal, map[string]string{"reason": "exhausted"}, s.Retries.Exhausted},
		{GiveUpsTotal, map[string]string{"reason": "budget"}, s.Retries.Budget},
		{GiveUpsTotal, map[string]string{"reason": "too_long"}, s.Retries.TooLong},
		{GiveUpsTotal, map[string]string{"reason": "stopped"}, s.Retries.Stopped},
		{EarlyRetriesTotal, nil, s.Retries.Early},
		{ReceivedBytesTotal, nil, s.BytesIn},
		{SentBytesTotal, nil, s.BytesOut},
		{ViolationsTotal, map[string]string{"rule": "retry-after-on-429", "severity": "error"}, 3},
		{RunActive, nil, 0},
		{RunPlannedDuration, nil, 10},
	}
	for _, tc := range checks {
		labels := map[string]string{"run_id": "r1", "shard": "1/2"}
		for k, v := range tc.labels {
			labels[k] = v
		}
		f := fams[tc.name]
		if f == nil {
			t.Errorf("%s: not gathered", tc.name)
			continue
		}
		if got := sum(f, labels, "")[""]; got != float64(tc.want) {
			t.Errorf("%s%v = %v; want %d", tc.name, tc.labels, got, tc.want)
		}
	}
	if s.Retries.Retries == 0 || s.Retries.GaveUp != 4 || s.Transport[records.ErrRefused] == 0 {
		t.Fatalf("the stream lacks retries or transport failures: %+v", s.Retries)
	}
}

// TestSinkCheckCanFail shows that the comparison above can fail: a
// stream counted by the sink is not the summary of another.
func TestSinkCheckCanFail(t *testing.T) {
	m := New(Options{})
	src := end(stream(), contract.New(contract.Options{}))
	if _, err := analyze.Consume(t.Context(), &src, m.Sink(nil)); err != nil {
		t.Fatal(err)
	}
	other := stream()
	other[1].Record.Status = 418 // one record differs
	other = end(other, contract.New(contract.Options{}))
	run, err := analyze.Consume(t.Context(), &other)
	if err != nil {
		t.Fatal(err)
	}
	byStatus := sum(gather(t, m)[RequestsTotal], nil, "status")
	if byStatus["418"] == float64(run.Summary.Status[418]) {
		t.Errorf("418s: the metrics (%v) agree with a stream they did not see (%d)", byStatus["418"], run.Summary.Status[418])
	}
}

// TestSinkLiveViolations checks that violations the checker counts show
// at the next tick, before the end.
func TestSinkLiveViolations(t *testing.T) {
	m := New(Options{})
	c := contract.New(contract.Options{})
	s := m.Sink(c)
	observe := func(ev analyze.Event) {
		if err := s.Observe(&ev, nil); err != nil {
			t.Fatal(err)
		}
	}
	observe(analyze.Event{Kind: analyze.EventBegin, Header: records.Header{RunID: "r2"}})
	violations := func() float64 {
		return sum(gather(t, m)[ViolationsTotal], map[string]string{"rule": "retry-after-on-429"}, "")[""]
	}
	if got := violations(); got != 0 {
		t.Fatalf("violations before any = %v; want a series at 0", got)
	}
	c.Add(&contract.Response{Status: 429, Header: http.Header{}, Sent: t0, Received: t0})
	if got := violations(); got != 0 {
		t.Errorf("violations before the tick = %v; want 0", got)
	}
	observe(analyze.Event{Kind: analyze.EventTick})
	if got := violations(); got != 1 {
		t.Errorf("violations after the tick = %v; want 1", got)
	}
	if got := sum(gather(t, m)[RunActive], nil, "")[""]; got != 1 {
		t.Errorf("%s during the run = %v; want 1", RunActive, got)
	}
	if err := s.Finish(nil, io.ErrUnexpectedEOF); err != nil {
		t.Fatal(err)
	}
	if got := sum(gather(t, m)[RunActive], nil, "")[""]; got != 0 {
		t.Errorf("%s after a failed stream = %v; want 0", RunActive, got)
	}
}

// TestSinkBoundsLabels checks the bounds on request names and series:
// what is beyond them counts as "other", with its status kept.
func TestSinkBoundsLabels(t *testing.T) {
	m := New(Options{MaxRequestNames: 2, MaxSeries: 3})
	evs := events{{Kind: analyze.EventBegin, Header: records.Header{RunID: "r3"}}}
	for i := range 10 {
		r := rec(i, uint16(200+i), "", records.CatSuccess, uint32(1+i%4))
		name := ""
		if i < 4 {
			name = "req" + strconv.Itoa(i)
		}
		evs = append(evs, analyze.Event{Kind: analyze.EventRecord, Record: r, RequestName: name})
	}
	if _, err := analyze.Consume(t.Context(), &evs, m.Sink(nil)); err != nil {
		t.Fatal(err)
	}
	fams := gather(t, m)
	if n := len(fams[RequestsTotal].GetMetric()); n > 3+10 {
		t.Errorf("%d series; want at most 3 and one per status", n)
	}
	byStatus := sum(fams[RequestsTotal], nil, "status")
	for i := range 10 {
		if got := byStatus[strconv.Itoa(200+i)]; got != 1 {
			t.Errorf("status %d counted %v times; want 1", 200+i, got)
		}
	}
	byRequest := sum(fams[RequestDuration], nil, "request")
	names := slices.Sorted(maps.Keys(byRequest))
	if want := []string{"other", "req0", "req1"}; !slices.Equal(names, want) {
		t.Errorf("request labels %v; want %v", names, want)
	}
	if got := byRequest["other"]; got != 4 { // ids 3 and 4, twice each
		t.Errorf("requests beyond the names' bound = %v; want 4", got)
	}
}

// TestNamesRegistered checks that Names lists exactly the families a run
// of every kind of record exposes.
func TestNamesRegistered(t *testing.T) {
	m := New(Options{})
	c := contract.New(contract.Options{})
	src := end(stream(), c)
	if _, err := analyze.Consume(t.Context(), &src, m.Sink(c)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for name := range gather(t, m) {
		got = append(got, name)
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(Names()))
	if !slices.Equal(got, want) {
		t.Errorf("gathered %v; Names() = %v", got, want)
	}
}
