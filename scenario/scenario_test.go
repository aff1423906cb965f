package scenario

import (
	"context"
	"errors"
	"math"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/records"
)

const testProfile = `name: t
target:
  base-url: http://127.0.0.1:1
  auth: {type: bearer, env: TOKEN}
  headers: {Accept: application/json}
requests:
  - {name: create, weight: 3, method: POST, path: "/items/{{counter}}", body: '{"phase":"{{phase}}"}'}
  - {name: list, path: /items}
  - {name: other-key, path: /items, headers: {Authorization: "Bearer ${OTHER}"}}
phases:
  - {name: warm, load: {rate: 10/s, duration: 1s}, requests: [list]}
  - {name: rest, pause: 1s}
  - {name: mixed, load: {rate: 100/s, duration: 1s}, requests: [create, list]}
  - {name: honesty, probe: {request: list, max-time: 5s}}
  - {name: after, load: {rate: 10/s, duration: 1s}}
`

func testPlan(t *testing.T) *Plan { t.Helper(); return testShardPlan(t, records.Shard{}) }

// testShardPlan is shard sh's plan of testProfile.
func testShardPlan(t *testing.T, sh records.Shard) *Plan {
	t.Helper()
	p, errs := profiles.Parse("t.yaml", []byte(testProfile), profiles.LoadOptions{Env: func(k string) (string, bool) {
		return map[string]string{"TOKEN": "sekret", "OTHER": "other"}[k], k == "TOKEN" || k == "OTHER"
	}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	plan, err := NewShard(p, sh)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestShardsSplitThePlan checks that the shards of a profile plan its
// requests exactly between them, phase by phase, that only shard 0
// probes (the others pause as long as the probe may last, so every shard
// plans as long a run), and that {{counter}} never gives two shards the
// same value.
func TestShardsSplitThePlan(t *testing.T) {
	whole := testPlan(t)
	wantReqs, wantD := whole.Planned()
	for _, n := range []int{1, 3, 4, 7} {
		var sum uint64
		counters := map[uint64]bool{}
		for i := range n {
			plan := testShardPlan(t, records.Shard{Index: i, Count: n})
			reqs, d := plan.Planned()
			sum += reqs
			if d != wantD {
				t.Errorf("shard %d/%d plans %s; want %s, as the whole", i, n, d, wantD)
			}
			probes := 0
			for _, leg := range plan.Legs {
				if leg.Probe != nil {
					probes++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[i == 0]; probes != want {
				t.Errorf("shard %d/%d has %d probe legs; want %d", i, n, probes, want)
			}
			for range 50 {
				c := plan.count()
				if counters[c] || c == 0 || c > uint64(50*n) {
					t.Fatalf("shard %d/%d: {{counter}} %d taken twice or beyond 1..%d", i, n, c, 50*n)
				}
				counters[c] = true
			}
		}
		if sum != wantReqs {
			t.Errorf("%d shards plan %d requests in all; want %d, the whole's", n, sum, wantReqs)
		}
	}
}

func TestPlanSplitsLegsAtProbes(t *testing.T) {
	plan := testPlan(t)
	if len(plan.Legs) != 3 || plan.Legs[0].Sequence == nil || plan.Legs[1].Probe == nil || plan.Legs[2].Sequence == nil {
		t.Fatalf("legs %+v: want load (warm, rest, mixed), probe, load (after)", plan.Legs)
	}
	if got := plan.Legs[0].Phases; len(got) != 3 || got[2] != 2 {
		t.Errorf("first leg phases %v, want [0 1 2]", got)
	}
	requests, d := plan.Planned()
	if requests != 10+100+10 || d != 3*time.Second+5*time.Second+time.Second {
		t.Errorf("planned %d requests over %s; want 120 over 9s", requests, d)
	}
}

func TestNextDrawsThePhasesRequestsByWeight(t *testing.T) {
	plan := testPlan(t)
	next := plan.Next(plan.Legs[0])
	var tgt vegeta.Target
	for range 20 { // the warm phase draws only list
		name, err := next(500*time.Millisecond, &tgt)
		if err != nil || name != "list" || tgt.URL != "http://127.0.0.1:1/items" || tgt.Method != "GET" {
			t.Fatalf("warm: %s %s %s %v", name, tgt.Method, tgt.URL, err)
		}
	}
	counts := map[string]int{}
	for range 4000 {
		name, err := next(2500*time.Millisecond, &tgt)
		if err != nil {
			t.Fatal(err)
		}
		counts[name]++
		if name == "create" && (tgt.Method != "POST" || string(tgt.Body) != `{"phase":"mixed"}`) {
			t.Fatalf("create: %s %s", tgt.Method, tgt.Body)
		}
	}
	if counts["other-key"] != 0 || math.Abs(float64(counts["create"])/4000-0.75) > 0.04 {
		t.Errorf("mixed draws %v: want create:list about 3:1, nothing else", counts)
	}
}

func TestTargetHeadersAndTemplates(t *testing.T) {
	plan := testPlan(t)
	var a, b vegeta.Target
	if err := plan.Target(plan.Profile.Request("create"), "p", &a); err != nil {
		t.Fatal(err)
	}
	if err := plan.Target(plan.Profile.Request("create"), "p", &b); err != nil {
		t.Fatal(err)
	}
	if a.URL == b.URL {
		t.Errorf("{{counter}} repeats: %s and %s", a.URL, b.URL)
	}
	if a.Header.Get("Authorization") != "Bearer sekret" || a.Header.Get("Accept") != "application/json" {
		t.Errorf("headers %v: want the target's and the auth", a.Header)
	}
	var o vegeta.Target
	_ = plan.Target(plan.Profile.Request("other-key"), "p", &o)
	if o.Header.Get("Authorization") != "Bearer other" {
		t.Errorf("a request's own Authorization %q: it must win over the auth", o.Header.Get("Authorization"))
	}
	a.Header.Set("Accept", "x") // each target owns its header
	if plan.Profile.Target.Headers.Get("Accept") != "application/json" {
		t.Error("a target's header is the profile's map")
	}
}

// fakeAttack delivers n attempts numbered from 0 and closes.
type fakeAttack struct {
	ch      chan records.Attempt
	started atomic.Uint64
}

func newFake(n int) *fakeAttack {
	f := &fakeAttack{ch: make(chan records.Attempt, n)}
	for i := range n {
		f.ch <- records.Attempt{Record: records.Record{Seq: uint64(i), RequestID: uint64(i)}}
	}
	f.started.Store(uint64(n))
	close(f.ch)
	return f
}

func (f *fakeAttack) Attempts() <-chan records.Attempt { return f.ch }
func (f *fakeAttack) Started() uint64                  { return f.started.Load() }
func (f *fakeAttack) Planned() (uint64, bool)          { return f.started.Load(), true } // the schedule's and the retries, all sent
func (f *fakeAttack) Stop()                            {}

func TestChainRunsTheLegsInTurn(t *testing.T) {
	plan := testPlan(t)
	var order []string
	c := Start(plan, Engines{
		Attack: func(leg Leg) (Attack, error) {
			order = append(order, "attack")
			n, _ := NewPlanned(leg)
			return newFake(int(n)), nil
		},
		Probe: func(context.Context, Leg) error { order = append(order, "probe"); return nil },
	})
	var seqs []uint64
	for at := range c.Attempts() {
		seqs = append(seqs, at.Record.Seq)
	}
	if len(order) != 3 || order[0] != "attack" || order[1] != "probe" || order[2] != "attack" {
		t.Errorf("legs ran %v", order)
	}
	if len(seqs) != 120 || seqs[110] != 110 || seqs[119] != 119 {
		t.Errorf("%d attempts, numbered %v…: want 120 numbered on across the legs", len(seqs), seqs[max(0, len(seqs)-3):])
	}
	if c.Started() != 120 || c.Err() != nil {
		t.Errorf("started %d, err %v", c.Started(), c.Err())
	}
	if p, ok := c.Planned(); p != 120 || !ok {
		t.Errorf("planned %d %v", p, ok)
	}
}

// TestBundledProfilesPlan: what runs plans each bundled profile as its
// phases say: the demo's 1140 requests, every seed profile 20 to 40 s.
func TestBundledProfilesPlan(t *testing.T) {
	for _, name := range profiles.Bundled() {
		p, errs := profiles.LoadBundled(name, profiles.LoadOptions{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		plan, err := NewShard(p, records.Shard{})
		if err != nil {
			t.Fatal(err)
		}
		n, d := plan.Planned()
		if name == "demo" && n != 1140 {
			t.Errorf("demo: %d requests planned, want the demo's 1140", n)
		}
		if d < 20*time.Second || d > 40*time.Second {
			t.Errorf("%s: %s planned, want 20 to 40 s", name, d)
		}
		var hits float64
		for _, ph := range p.Phases {
			if ph.Kind == profiles.PhaseLoad {
				hits += math.Floor(ph.Plan.Shape.Hits(ph.Plan.Duration))
			}
		}
		if float64(n) != hits {
			t.Errorf("%s: %d requests planned, its load phases' shapes say %.0f", name, n, hits)
		}
	}
}

// TestChainPlansTheRetries: the retries a leg's attack sent count in the
// chain's plan as its attack counts them, so that the first attempts it
// did not send still show as unsent beside the retries it did.
func TestChainPlansTheRetries(t *testing.T) {
	plan := testPlan(t)
	c := Start(plan, Engines{
		Attack: func(leg Leg) (Attack, error) {
			n, _ := NewPlanned(leg)
			f := newFake(int(n)) // every first attempt sent…
			f.started.Add(7)     // …and 7 retries beside them
			return f, nil
		},
		Probe: func(context.Context, Leg) error { return nil },
	})
	for range c.Attempts() {
	}
	if p, _ := c.Planned(); p != 120+14 || c.Started() != 120+14 {
		t.Errorf("planned %d, started %d; want 134 both: the 120 of the schedules and 7 retries of each load leg", p, c.Started())
	}
}

// TestShardsDealTheWorkers checks that a closed phase's workers are dealt
// among the shards, and that a shard left none is an error.
func TestShardsDealTheWorkers(t *testing.T) {
	const src = `name: c
target: {base-url: "http://127.0.0.1:1"}
requests: [{name: list, path: /items}]
phases: [{name: closed, load: {concurrency: 5, duration: 1s}}]
`
	p, errs := profiles.Parse("c.yaml", []byte(src), profiles.LoadOptions{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var sum uint64
	for i := range 3 {
		plan, err := NewShard(p, records.Shard{Index: i, Count: 3})
		if err != nil {
			t.Fatal(err)
		}
		sum += plan.Legs[0].Concurrency
	}
	if sum != 5 {
		t.Errorf("3 shards of concurrency 5 have %d workers in all; want 5", sum)
	}
	_, err := NewShard(p, records.Shard{Index: 5, Count: 6})
	var empty *records.EmptyShareError
	if !errors.As(err, &empty) {
		t.Errorf("NewShard(concurrency 5, shard 5/6) = %v; want an *records.EmptyShareError", err)
	}
}

// TestShardZeroKeepsStepAfterAProbe: shard 0 of a split run waits out the
// probe's bound after a probe that ended early, as the other shards pause
// that long in its place; a run that is not split goes on at once.
func TestShardZeroKeepsStepAfterAProbe(t *testing.T) {
	src := `name: probe
target: {base-url: http://127.0.0.1:1}
requests: [{name: list, path: /items}]
phases:
  - {name: load, load: {rate: 10/s, duration: 100ms}}
  - {name: honesty, probe: {request: list, max-time: 400ms}}
`
	p, errs := profiles.Parse("p.yaml", []byte(src), profiles.LoadOptions{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, tc := range []struct {
		shard records.Shard
		least time.Duration
	}{{records.Shard{Index: 0, Count: 2}, 400 * time.Millisecond}, {records.Shard{}, 0}} {
		plan, err := NewShard(p, tc.shard)
		if err != nil {
			t.Fatal(err)
		}
		var probed time.Time
		c := Start(plan, Engines{
			Attack: func(leg Leg) (Attack, error) { n, _ := NewPlanned(leg); return newFake(int(n)), nil },
			Probe:  func(context.Context, Leg) error { probed = time.Now(); return nil }, // ends at once
		})
		for range c.Attempts() {
		}
		if took := time.Since(probed); took < tc.least || (tc.least == 0 && took > 300*time.Millisecond) {
			t.Errorf("shard %v: the chain ended %s after its probe; want at least %s (and at once when not split)", tc.shard, took, tc.least)
		}
	}
}
