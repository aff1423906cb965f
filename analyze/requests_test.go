package analyze

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// fakeAttack delivers attempts made in advance, with no network.
type fakeAttack struct{ attempts chan records.Attempt }

func newFakeAttack(attempts []records.Attempt) *fakeAttack {
	ch := make(chan records.Attempt, len(attempts))
	for _, at := range attempts {
		ch <- at
	}
	close(ch)
	return &fakeAttack{attempts: ch}
}

func (f *fakeAttack) Attempts() <-chan records.Attempt { return f.attempts }
func (f *fakeAttack) Started() uint64                  { return uint64(cap(f.attempts)) }
func (f *fakeAttack) Planned() (uint64, bool)          { return uint64(cap(f.attempts)), true }
func (f *fakeAttack) Stop()                            {}

// namedAttempts makes n attempts, attempt i of the request name(i), with
// statuses, transport failures and latencies that vary.
func namedAttempts(n int, name func(i int) string) []records.Attempt {
	out := make([]records.Attempt, n)
	for i := range out {
		r := records.Record{
			Seq: uint64(i), Scheduled: t0.Add(time.Duration(i) * 5 * time.Millisecond), Sent: time.Duration(i%3) * time.Microsecond,
			Latency: time.Duration(300+(i*7919)%50000) * time.Microsecond, Status: []uint16{200, 200, 201, 404, 429, 503}[i%6],
			Attempt: 1, RequestID: uint64(i),
		}
		if i%17 == 0 {
			r.Status, r.ErrorKind = 0, []records.ErrorKind{records.ErrTimeout, records.ErrRefused}[i%2]
		}
		out[i] = records.Attempt{Record: r, Method: "GET", URL: "http://127.0.0.1:1/v1/items", Request: name(i)}
	}
	return out
}

// liveAndReplay runs attempts through a live stream into a result file,
// and reads the file back.
func liveAndReplay(t *testing.T, attempts []records.Attempt) (live, replayed Run) {
	t.Helper()
	src := Live(LiveOptions{
		Header: records.Header{Start: t0, RunID: "run-1"},
		Start: func(int, func(uint16) bool) (Attack, error) {
			return newFakeAttack(attempts), nil
		},
	})
	var buf bytes.Buffer
	live, err := Consume(context.Background(), src, NewResultFile(&buf))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "r.bin")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if replayed, err = load(context.Background(), []string{path}, FileOptions{}); err != nil {
		t.Fatal(err)
	}
	return live, replayed
}

// TestLiveRequestsReplayed: a live run of attempts of three requests, and
// some of none, gives per-request stats that its replay gives too, exactly.
func TestLiveRequestsReplayed(t *testing.T) {
	names := []string{"list items", "", "POST /v1/items", "get item", "list items"}
	live, replayed := liveAndReplay(t, namedAttempts(600, func(i int) string { return names[i%len(names)] }))
	got := live.Summary.RequestStats()
	if len(got) != 3 || got[0].Name != "list items" || got[0].Count != 240 || got[1].Name != "POST /v1/items" || got[2].Name != "get item" {
		t.Fatalf("live requests %s; want list items 240, then the other two with 120 each, by name", requestsOf(live.Summary))
	}
	var sum uint64
	for _, r := range got {
		sum += r.Count
		if r.Latency.TotalCount() != int64(r.Count) || r.Successes == 0 || len(r.Status) < 3 || len(r.Transport) == 0 {
			t.Errorf("request %q: %d counted, %d latencies, %d ok, status %v, transport %v", r.Name, r.Count, r.Latency.TotalCount(), r.Successes, r.Status, r.Transport)
		}
		var classes uint64
		for id, n := range r.Classes {
			if live.Summary.Classes.ByID(id) == nil {
				t.Errorf("request %q counts class %d, not in the summary's table", r.Name, id)
			}
			classes += n
		}
		if classes != r.Count {
			t.Errorf("request %q: classes count %d of its %d", r.Name, classes, r.Count)
		}
	}
	if sum != 480 || live.Summary.Request("") != nil || live.Summary.Request("list items") != got[0] {
		t.Errorf("requests count %d of 600 (want 480: a fifth has no name); Request(\"\") = %v", sum, live.Summary.Request(""))
	}
	if !reflect.DeepEqual(got, replayed.Summary.RequestStats()) {
		t.Errorf("replayed requests differ: live %s, replayed %s", requestsOf(live.Summary), requestsOf(replayed.Summary))
	}
}

// TestRequestNamesOverflow: a run of more names than a result file and a
// summary keep counts the names beyond the bound as OtherRequests, live
// and replayed alike.
func TestRequestNamesOverflow(t *testing.T) {
	const extra = 5
	n := records.MaxRequests + extra
	attempts := namedAttempts(2*n, func(i int) string { return fmt.Sprintf("request %d", i%n) })
	live, replayed := liveAndReplay(t, attempts)
	got := live.Summary.RequestStats()
	other := live.Summary.Request(OtherRequests)
	if len(got) != records.MaxRequests+1 || other == nil || other.Count != 2*extra || got[0] != other {
		t.Fatalf("%d requests, other %+v; want %d names and %s with %d records, first", len(got), other, records.MaxRequests, OtherRequests, 2*extra)
	}
	if r := live.Summary.Request(fmt.Sprintf("request %d", records.MaxRequests)); r != nil {
		t.Errorf("the first name beyond the bound has an entry: %+v", r)
	}
	if !reflect.DeepEqual(got, replayed.Summary.RequestStats()) {
		t.Errorf("replayed requests differ from the live run's")
	}

	// A summary's own bound, whatever its streams name.
	s := NewSummary()
	for i := range n {
		r := records.Record{Scheduled: t0, Latency: time.Millisecond, Status: 200, Request: s.ImportRequest(fmt.Sprint(i))}
		s.Add(&r)
	}
	if got := s.RequestStats(); len(got) != records.MaxRequests+1 || s.Request(OtherRequests).Count != extra {
		t.Errorf("%d entries, %d in %s; want %d, %d", len(got), s.Request(OtherRequests).Count, OtherRequests, records.MaxRequests+1, extra)
	}
}

// TestShardsMergePerRequest: a run split into two shards, each a result
// file with its own class and request ids, merged by Files gives the
// per-request stats of one file holding every record, exactly: counts,
// statuses, transport failures, classes and histograms.
func TestShardsMergePerRequest(t *testing.T) {
	dir := t.TempDir()
	const n = 3000
	whole, a, b := filepath.Join(dir, "whole.bin"), filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.bin")
	shard(t, whole, "all", n, func(int) bool { return true })
	shard(t, a, "a", n, func(i int) bool { return (i*31)%7 < 3 })
	shard(t, b, "b", n, func(i int) bool { return (i*31)%7 >= 3 })
	one, err := load(context.Background(), []string{whole}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	two, err := load(context.Background(), []string{b, a}, FileOptions{}) // another order: other ids
	if err != nil {
		t.Fatal(err)
	}
	want, got := one.Summary.RequestStats(), two.Summary.RequestStats()
	if len(want) != len(shardNames) {
		t.Fatalf("whole file: requests %s; want %d", requestsOf(one.Summary), len(shardNames))
	}
	// Class ids are each summary's own: compare classes by what they are.
	key := func(s *Summary, id uint32) string {
		c := s.Classes.ByID(id)
		return fmt.Sprintf("%d/%s/%s/%s", c.Status, c.ErrorKind, c.Code, c.Pattern)
	}
	for i := range want {
		w, g := *want[i], *got[i]
		wc, gc := map[string]uint64{}, map[string]uint64{}
		for id, v := range w.Classes {
			wc[key(one.Summary, id)] += v
		}
		for id, v := range g.Classes {
			gc[key(two.Summary, id)] += v
		}
		if !reflect.DeepEqual(wc, gc) {
			t.Errorf("request %q: classes %v; want %v", w.Name, gc, wc)
		}
		if !w.Latency.Equals(g.Latency) || !reflect.DeepEqual(w.Latency, g.Latency) {
			t.Errorf("request %q: merged latency histogram differs from the whole's", w.Name)
		}
		w.Classes, g.Classes, w.Latency, g.Latency = nil, nil, nil, nil
		if !reflect.DeepEqual(w, g) {
			t.Errorf("request %d: merged %+v; want %+v", i, g, w)
		}
	}

	// The summaries of the shards merged with Summary.Merge, too.
	sa, err := load(context.Background(), []string{a}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := load(context.Background(), []string{b}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sa.Summary.Merge(sb.Summary)
	for _, w := range want {
		g := sa.Summary.Request(w.Name)
		if g == nil || g.Count != w.Count || g.Successes != w.Successes || !reflect.DeepEqual(g.Status, w.Status) ||
			!reflect.DeepEqual(g.Transport, w.Transport) || !g.Latency.Equals(w.Latency) || len(g.Classes) != len(w.Classes) {
			t.Errorf("Summary.Merge: request %q = %+v; want %+v", w.Name, g, w)
		}
	}
}
