package scenario

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stampede-dev/stampede/records"
)

// Attack is a running attack as a chain needs it; *attack.Attack
// satisfies it, and so does *Chain (analyze.Attack).
type Attack interface {
	Attempts() <-chan records.Attempt
	Started() uint64
	Planned() (uint64, bool)
	Stop()
}

// Engines start what the legs run: Attack a load leg's attack, Probe a
// probe leg (it returns once the probe is over; ctx is cancelled when the
// chain is stopped).
type Engines struct {
	Attack func(leg Leg) (Attack, error)
	Probe  func(ctx context.Context, leg Leg) error
}

// Chain runs the legs of a plan one after another as one attack: the
// attempts of every load leg arrive on one stream, numbered on from the
// legs before; a probe leg sends nothing on it.
type Chain struct {
	plan     *Plan
	engines  Engines
	attempts chan records.Attempt
	planned  uint64

	mu      sync.Mutex
	current Attack        // the running load leg's attack, nil between legs
	phase   string        // the phase running
	legAt   time.Time     // when the running leg started
	leg     *Leg          // the running leg
	done    atomic.Uint64 // attempts started by the legs over
	extra   uint64        // attempts the legs over planned beyond their schedules: retries sent
	sched   uint64        // attempts the running leg's schedule plans
	stopped atomic.Bool
	cancel  context.CancelFunc
	err     error // the first leg that failed to start
}

// Start starts the chain of a plan's legs.
func Start(plan *Plan, engines Engines) *Chain {
	c := &Chain{plan: plan, engines: engines, attempts: make(chan records.Attempt, 1024)}
	c.planned, _ = plan.Planned()
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.run(ctx)
	return c
}

// run runs the legs in turn.
func (c *Chain) run(ctx context.Context) {
	defer close(c.attempts)
	defer c.cancel()
	for i := range c.plan.Legs {
		if c.stopped.Load() {
			return
		}
		leg := &c.plan.Legs[i]
		c.mu.Lock()
		c.leg, c.legAt = leg, time.Now()
		c.mu.Unlock()
		if leg.Probe != nil {
			if err := c.engines.Probe(ctx, *leg); err != nil {
				c.fail(err)
				return
			}
			c.keepStep(ctx, leg)
			continue
		}
		atk, err := c.engines.Attack(*leg)
		if err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		c.current = atk
		c.sched, _ = NewPlanned(*leg)
		stopped := c.stopped.Load()
		c.mu.Unlock()
		if stopped {
			atk.Stop()
		}
		offset := c.done.Load()
		for at := range atk.Attempts() {
			at.Record.Seq += offset
			at.Record.RequestID += offset
			c.attempts <- at
		}
		c.mu.Lock()
		c.done.Add(atk.Started())
		c.extra += c.beyondSchedule(atk)
		c.current = nil
		c.mu.Unlock()
	}
}

// keepStep holds shard 0 of a split run at the end of a probe leg until
// the probe's bound has passed: the other shards pause that long in its
// place, so the phases after it start on every shard together.
func (c *Chain) keepStep(ctx context.Context, leg *Leg) {
	if c.plan.Shard.Count <= 1 {
		return
	}
	c.mu.Lock()
	rest := time.Until(c.legAt.Add(leg.Probe.Probe.MaxTime))
	c.mu.Unlock()
	if rest <= 0 {
		return
	}
	t := time.NewTimer(rest)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// fail keeps the first error.
func (c *Chain) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

// Err is the error of a leg that could not start, once the chain is over.
func (c *Chain) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Attempts is the stream of every load leg's attempts.
func (c *Chain) Attempts() <-chan records.Attempt { return c.attempts }

// Started counts the attempts sent so far.
func (c *Chain) Started() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.done.Load()
	if c.current != nil {
		n += c.current.Started()
	}
	return n
}

// Planned is what the load legs plan to send, with the retries their
// attacks sent (as attack.Attack.Planned counts them): a profile always
// ends.
func (c *Chain) Planned() (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.planned + c.extra
	if c.current != nil {
		n += c.beyondSchedule(c.current)
	}
	return n, true
}

// beyondSchedule is what the running leg's attack plans beyond its
// schedule: the retries it sent. Called with mu held.
func (c *Chain) beyondSchedule(atk Attack) uint64 {
	if p, _ := atk.Planned(); p > c.sched {
		return p - c.sched
	}
	return 0
}

// Stop stops the running leg and skips the rest.
func (c *Chain) Stop() {
	c.stopped.Store(true)
	c.cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != nil {
		c.current.Stop()
	}
}

// Phase names the phase running: a load leg's by the time into the leg, a
// probe leg's own with "(probe)"; "" before the first leg.
func (c *Chain) Phase() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leg == nil {
		return ""
	}
	if c.leg.Probe != nil {
		return c.plan.Profile.Phases[c.leg.Phases[0]].Name + " (probe)"
	}
	return c.plan.Profile.Phases[c.leg.Phases[c.leg.PhaseAt(time.Since(c.legAt))]].Name
}
