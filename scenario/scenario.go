// Package scenario turns a profile into load: its phases into legs (the
// load and pause phases between two probes are one attack, paced by one
// pace.Sequence; a probe phase runs the Retry-After probe), its requests
// into targets drawn by weight with their templates expanded, and the
// legs into one attack whose attempts stream into one run.
package scenario

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/attack/retry"
	"github.com/stampede-dev/stampede/profiles"
	"github.com/stampede-dev/stampede/records"
)

// Leg is a stretch of the profile run by one engine: a load leg (an
// attack through consecutive load and pause phases), a closed leg (one
// load phase of a closed model) or a probe.
type Leg struct {
	// Phases are the indices (into the profile's Phases) the leg runs.
	Phases []int
	// Sequence paces a load leg; nil for a closed or a probe leg.
	Sequence *pace.Sequence
	// Probe is the probe phase of a probe leg.
	Probe *profiles.Phase
	// Concurrency is the workers of a closed leg, and Duration how long
	// it runs; 0 for the other legs.
	Concurrency uint64
	Duration    time.Duration
}

// PhaseAt is the index into Phases of the phase running elapsed into the
// leg: by its Sequence, or its one phase for a closed or a probe leg.
func (l Leg) PhaseAt(elapsed time.Duration) int {
	if l.Sequence == nil {
		return 0
	}
	return l.Sequence.At(elapsed)
}

// Closed reports whether the leg is a closed model's.
func (l Leg) Closed() bool { return l.Concurrency > 0 }

// Length is how long a load or closed leg runs; 0 for a probe leg.
func (l Leg) Length() time.Duration {
	if l.Sequence != nil {
		return l.Sequence.Duration()
	}
	return l.Duration
}

// Plan is a profile ready to run.
type Plan struct {
	Profile *profiles.Profile
	Legs    []Leg
	// Shard is the process's share of a distributed run; the zero Shard
	// runs the whole profile.
	Shard   records.Shard
	bodies  map[string][]byte // the bodies that are the same for every request
	counter atomic.Uint64     // {{counter}}
}

// NewShard plans shard sh's part of a profile (the whole profile for the
// zero Shard). Each load phase runs the shard's pace.Share of the phase's
// shape, so the shards together send the phase's planned requests
// exactly; each draws its requests from the phase's whole mix, so the mix
// holds in expectation on every shard and in the merged run. A probe phase
// runs on shard 0 alone (probes of one limiter from several processes
// would disturb each other); the other shards pause for the probe's
// bound, max-time. A closed phase (concurrency: N) runs the shard's share
// of its workers, dealt in turn (N/count, one more for the first N mod
// count shards); a shard that would get none is an *records.EmptyShareError.
// {{counter}} counts on from the shard's index in steps
// of the shard count: the shards' values never collide.
func NewShard(p *profiles.Profile, sh records.Shard) (*Plan, error) {
	plan := &Plan{Profile: p, Shard: sh, bodies: map[string][]byte{}}
	var segs []pace.Segment
	var idx []int
	flush := func() error {
		if len(segs) == 0 {
			return nil
		}
		seq, err := pace.NewSequence(segs)
		if err != nil {
			return err
		}
		plan.Legs = append(plan.Legs, Leg{Phases: idx, Sequence: seq})
		segs, idx = nil, nil
		return nil
	}
	for i := range p.Phases {
		ph := &p.Phases[i]
		switch ph.Kind {
		case profiles.PhaseLoad:
			if ph.Plan.Duration <= 0 {
				return nil, fmt.Errorf("phase %s: a profile's load phase needs a duration above 0", ph.Name)
			}
			if ph.Plan.Concurrency > 0 { // a closed model is an engine of its own
				if err := closedRetries(p, ph); err != nil {
					return nil, err
				}
				if err := flush(); err != nil {
					return nil, err
				}
				workers, err := sh.ShareOf("concurrency", int(ph.Plan.Concurrency))
				if err != nil {
					return nil, fmt.Errorf("phase %s: %w", ph.Name, err)
				}
				plan.Legs = append(plan.Legs, Leg{Phases: []int{i}, Concurrency: uint64(workers), Duration: ph.Plan.Duration})
				continue
			}
			shape := pace.NewShare(ph.Plan.Shape, uint64(sh.Index), uint64(sh.Count))
			segs, idx = append(segs, pace.Segment{Name: ph.Name, Shape: shape, Duration: ph.Plan.Duration}), append(idx, i)
		case profiles.PhasePause:
			segs, idx = append(segs, pace.Segment{Name: ph.Name, Duration: ph.Pause}), append(idx, i)
		case profiles.PhaseProbe:
			if sh.Index > 0 { // shard 0 probes; the others wait as long as it may
				segs, idx = append(segs, pace.Segment{Name: ph.Name, Duration: ph.Probe.MaxTime}), append(idx, i)
				continue
			}
			if err := flush(); err != nil {
				return nil, err
			}
			plan.Legs = append(plan.Legs, Leg{Phases: []int{i}, Probe: ph})
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	for _, r := range p.Requests {
		if r.BodyFile != "" || r.Body.Static() && r.Body != nil {
			plan.bodies[r.Name] = []byte(r.Body.Expand(profiles.TemplateContext{})) // once, not per request
		}
	}
	return plan, nil
}

// Planned is the requests the load legs send, and how long the profile
// runs (probes counted at their bound). A closed leg's requests are not
// known in advance: only its duration counts.
func (p *Plan) Planned() (requests uint64, d time.Duration) {
	for _, leg := range p.Legs {
		if n, ok := NewPlanned(leg); ok {
			requests += n
		}
		if leg.Probe != nil {
			d += leg.Probe.Probe.MaxTime
		} else {
			d += leg.Length()
		}
	}
	return requests, d
}

// NewPlanned is the requests a load leg sends; false for a probe or a
// closed leg.
func NewPlanned(leg Leg) (uint64, bool) {
	if leg.Sequence == nil {
		return 0, false
	}
	return pace.NewSchedule(leg.Sequence, leg.Sequence.Duration()).Planned()
}

// Next returns the request maker of a load leg, for attack.Options.Next:
// the phase is the one running elapsed into the leg, the request drawn
// from the phase's requests by weight.
func (p *Plan) Next(leg Leg) func(elapsed time.Duration, t *vegeta.Target) (string, error) {
	mixes := make([]mix, len(leg.Phases))
	for i, ph := range leg.Phases {
		mixes[i] = p.mixOf(p.Profile.Phases[ph])
	}
	return func(elapsed time.Duration, t *vegeta.Target) (string, error) {
		i := leg.PhaseAt(elapsed)
		phase := p.Profile.Phases[leg.Phases[i]]
		r := mixes[i].draw()
		return r.Name, p.Target(r, phase.Name, t)
	}
}

// RetryOf returns how the clients of a load leg retry, for
// attack.Options.RetryOf: a request's own retry: section, else that of
// the phase running elapsed into the leg, else not at all.
func (p *Plan) RetryOf(leg Leg) func(elapsed time.Duration, request string) (retry.Options, retry.On) {
	return func(elapsed time.Duration, request string) (retry.Options, retry.On) {
		if r := p.Profile.Request(request); r != nil && r.Retry != nil {
			return r.Retry.Options, r.Retry.On
		}
		if leg.Probe == nil {
			if ph := p.Profile.Phases[leg.Phases[leg.PhaseAt(elapsed)]]; ph.Retry != nil {
				return ph.Retry.Options, ph.Retry.On
			}
		}
		return retry.Options{}, retry.On{}
	}
}

// closedRetries refuses a closed phase whose clients would retry: its
// own retry: section, or that of a request it draws. Retrying clients
// run in the open model; a closed phase would send no retry, and
// thresholds on retries would hold for nothing.
func closedRetries(p *profiles.Profile, ph *profiles.Phase) error {
	if ph.Retry != nil {
		return fmt.Errorf("phase %s: retrying clients run in the open model: drop its retry: section, or its concurrency:", ph.Name)
	}
	for _, r := range p.Requests {
		drawn := len(ph.Requests) == 0 || slices.Contains(ph.Requests, r.Name)
		if drawn && r.Retry != nil && r.Retry.Options.Enabled() {
			return fmt.Errorf("phase %s: request %s retries, and retrying clients run in the open model: give the phase a rate instead of its concurrency:, or draw requests without a retry: section", ph.Name, r.Name)
		}
	}
	return nil
}

// Retries reports whether any phase or request of the profile retries.
func (p *Plan) Retries() bool {
	for _, r := range p.Profile.Requests {
		if r.Retry != nil && r.Retry.Options.Enabled() {
			return true
		}
	}
	for _, ph := range p.Profile.Phases {
		if ph.Retry != nil && ph.Retry.Options.Enabled() {
			return true
		}
	}
	return false
}

// Target fills t with one request of r, sent in the named phase.
func (p *Plan) Target(r *profiles.Request, phase string, t *vegeta.Target) error {
	ctx := profiles.TemplateContext{Counter: p.count(), Phase: phase}
	h := make(http.Header, len(p.Profile.Target.Headers)+len(r.Header)+1)
	for k, v := range p.Profile.Target.Headers {
		h[k] = append([]string(nil), v...)
	}
	if a := p.Profile.Target.Auth; a != nil {
		h.Set(a.Header, a.Value())
	}
	for k, v := range r.Header { // a request's own headers win: an error path may need another key
		h.Set(k, v.Expand(ctx))
	}
	body := p.bodies[r.Name]
	if body == nil && r.Body != nil {
		body = []byte(r.Body.Expand(ctx))
	}
	*t = vegeta.Target{Method: r.Method, URL: r.URL.Expand(ctx), Header: h, Body: body}
	return nil
}

// count draws the next {{counter}}: 1, 2, 3, … for the whole profile;
// for shard i of N, i+1, i+1+N, i+1+2N, …, so that the shards of a run
// between them count 1, 2, 3, … with no value twice.
func (p *Plan) count() uint64 {
	n := p.counter.Add(1)
	if p.Shard.IsZero() {
		return n
	}
	return (n-1)*uint64(p.Shard.Count) + uint64(p.Shard.Index) + 1
}

// mix draws requests in proportion to their weights.
type mix struct {
	reqs  []*profiles.Request
	upto  []int // cumulative weights
	total int
}

// mixOf is the mix of a phase: its requests, or all of the profile's.
func (p *Plan) mixOf(ph profiles.Phase) mix {
	var m mix
	add := func(r *profiles.Request) {
		m.total += max(r.Weight, 1)
		m.reqs, m.upto = append(m.reqs, r), append(m.upto, m.total)
	}
	if len(ph.Requests) == 0 {
		for i := range p.Profile.Requests {
			add(&p.Profile.Requests[i])
		}
	}
	for _, name := range ph.Requests {
		if r := p.Profile.Request(name); r != nil {
			add(r)
		}
	}
	return m
}

// draw picks a request.
func (m mix) draw() *profiles.Request {
	if len(m.reqs) == 1 {
		return m.reqs[0]
	}
	n := rand.IntN(m.total)
	for i, upto := range m.upto {
		if n < upto {
			return m.reqs[i]
		}
	}
	return m.reqs[len(m.reqs)-1]
}
