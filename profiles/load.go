// Package profiles describes attacks as data: the load section (pace, rates
// and timing) that both command-line flags and profile files fill in, with
// one validation that reports every problem at once.
package profiles

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/internal/field"
)

// Paces lists the load shapes, in the order help text shows them.
var Paces = []string{"constant", "ramp", "steps", "spike", "sine"}

// DefaultRate is the rate of a constant attack when none is given.
const DefaultRate = "50/s"

// DefaultDuration is the length of an attack when none is given.
const DefaultDuration = 30 * time.Second

// Load is the load section of an attack. Values are text in the grammars of
// the pace package (rates like "200/s", steps like "100@30s,200@30s") and
// Go durations ("30s", "1m30s"); an empty string means "not given". Field
// keys (the yaml tags) are also the names of the matching flags.
type Load struct {
	Pace     string `yaml:"pace"`     // constant (default), ramp, steps, spike or sine
	Duration string `yaml:"duration"` // "0" runs until interrupted; default 30s (steps: their total)

	// Concurrency, a whole number of workers, makes the load a closed
	// model instead of a pace: each worker sends its next request when
	// its previous one is answered.
	Concurrency string `yaml:"concurrency"`

	Rate string `yaml:"rate"` // constant

	RampFrom string `yaml:"ramp-from"`
	RampTo   string `yaml:"ramp-to"`
	RampOver string `yaml:"ramp-over"` // default: the whole duration

	Steps string `yaml:"steps"`

	SpikeBase string `yaml:"spike-base"`
	SpikePeak string `yaml:"spike-peak"`
	SpikeAt   string `yaml:"spike-at"`
	SpikeFor  string `yaml:"spike-for"`

	SineMean      string `yaml:"sine-mean"`
	SineAmplitude string `yaml:"sine-amplitude"`
	SinePeriod    string `yaml:"sine-period"`
}

// fieldsOf lists which fields belong to which pace, to reject a parameter
// given for another shape.
var fieldsOf = map[string][]string{
	"constant": {"rate"},
	"ramp":     {"ramp-from", "ramp-to", "ramp-over"},
	"steps":    {"steps"},
	"spike":    {"spike-base", "spike-peak", "spike-at", "spike-for"},
	"sine":     {"sine-mean", "sine-amplitude", "sine-period"},
}

// PaceOfField returns the pace a load field belongs to ("steps" for
// steps, "ramp" for ramp-to, "constant" for rate), and false for a field
// of every pace (duration) or none.
func PaceOfField(field string) (string, bool) {
	for pace, fields := range fieldsOf {
		if slices.Contains(fields, field) {
			return pace, true
		}
	}
	return "", false
}

// Plan is a validated load: the shape and how long to run it.
type Plan struct {
	Shape    pace.Shape    // nil for a closed model
	Duration time.Duration // 0: until interrupted
	// Concurrency is the workers of a closed model, 0 for the open
	// model of Shape.
	Concurrency uint64
}

// String describes the load, e.g. "constant 200/s" or "closed model,
// 64 workers".
func (p Plan) String() string {
	if p.Concurrency > 0 {
		return ClosedModel(p.Concurrency)
	}
	if p.Shape == nil {
		return ""
	}
	return p.Shape.String()
}

// ClosedModel describes a closed model of n workers.
func ClosedModel(n uint64) string {
	if n == 1 {
		return "closed model, 1 worker"
	}
	return "closed model, " + strconv.FormatUint(n, 10) + " workers"
}

// Plan validates the load and builds its shape. It returns every problem
// found, each a *field.Error named by the field's yaml key, which is also
// its flag's name.
func (l Load) Plan() (Plan, []error) {
	if l.Concurrency != "" {
		return l.closed()
	}
	c := &collector{}
	name := strings.ToLower(strings.TrimSpace(l.Pace))
	if name == "" {
		name = "constant"
	}
	if _, ok := fieldsOf[name]; !ok {
		c.add("pace", "unknown pace %q: want one of %s", l.Pace, strings.Join(Paces, ", "))
		return Plan{}, c.errs
	}
	values := l.values()
	for _, other := range Paces { // in a fixed order, so messages are stable
		if other == name {
			continue
		}
		for _, f := range fieldsOf[other] {
			if values[f] != "" {
				c.add(f, "applies only to --pace %s, not %s", other, name)
			}
		}
	}

	duration, durationSet := DefaultDuration, false
	if l.Duration != "" {
		durationSet = true
		duration = c.duration("duration", l.Duration, true)
	}

	var shape pace.Shape
	switch name {
	case "constant":
		rate := l.Rate
		if rate == "" {
			rate = DefaultRate
		}
		shape = pace.Constant{PerSecond: c.rate("rate", rate)}
	case "ramp":
		over := duration
		if l.RampOver != "" {
			over = c.duration("ramp-over", l.RampOver, false)
		} else if duration == 0 {
			c.add("ramp-over", "required when the duration is 0 (unbounded), e.g. --ramp-over 1m")
		}
		shape = pace.Ramp{From: c.required("ramp-from", l.RampFrom, "10/s", true), To: c.required("ramp-to", l.RampTo, "200/s", true), Over: over}
	case "steps":
		if l.Steps == "" {
			c.add("steps", "required with --pace steps, e.g. --steps 100/s@30s,200/s@30s")
			break
		}
		steps, err := pace.ParseSteps(l.Steps)
		if err != nil {
			c.add("steps", "%v", err)
			break
		}
		s := pace.Steps{Steps: steps}
		if !durationSet {
			duration = s.Length()
		}
		shape = s
	case "spike":
		at, span := c.duration("spike-at", orDefault(l.SpikeAt, "10s"), false), c.duration("spike-for", orDefault(l.SpikeFor, "5s"), false)
		if duration > 0 && at+span > duration {
			c.add("spike-at", "the spike (at %s for %s) ends after the attack's duration %s", at, span, duration)
		}
		shape = pace.Spike{Base: c.required("spike-base", l.SpikeBase, "50/s", false), Peak: c.required("spike-peak", l.SpikePeak, "500/s", true), At: at, For: span}
	case "sine":
		shape = pace.Sine{Mean: c.required("sine-mean", l.SineMean, "100/s", true), Amplitude: c.required("sine-amplitude", l.SineAmplitude, "50/s", false), Period: c.duration("sine-period", orDefault(l.SinePeriod, "1m"), false)}
	}
	if len(c.errs) > 0 {
		return Plan{}, c.errs
	}
	if v, ok := shape.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			field := "pace"
			if _, isSine := shape.(pace.Sine); isSine && strings.Contains(err.Error(), "amplitude") {
				field = "sine-amplitude" // the one check of a shape that is about one field
			}
			c.add(field, "%v", err)
			return Plan{}, c.errs
		}
	}
	return Plan{Shape: shape, Duration: duration}, nil
}

// closed validates a closed model's load: its workers and duration; a
// pace or a rate is a mistake, since the workers set the rate.
func (l Load) closed() (Plan, []error) {
	c := &collector{}
	n, err := strconv.ParseUint(strings.TrimSpace(l.Concurrency), 10, 64)
	switch {
	case err != nil || n == 0:
		c.errs = append(c.errs, field.Errorf("concurrency", l.Concurrency, "want a whole number of workers of at least 1, e.g. --concurrency 64"))
	case n > pace.MaxConcurrency:
		c.errs = append(c.errs, field.Errorf("concurrency", l.Concurrency, "at most %d workers", pace.MaxConcurrency))
	}
	if p := strings.ToLower(strings.TrimSpace(l.Pace)); p != "" && p != "constant" {
		c.errs = append(c.errs, field.Errorf("pace", l.Pace, "a closed model (--concurrency) has no pace; drop one of them"))
	}
	values := l.values()
	for _, name := range Paces {
		for _, f := range fieldsOf[name] {
			if values[f] != "" {
				c.add(f, "a closed model (--concurrency) sends as fast as its workers are answered: drop --%s, or drop --concurrency for an open model", f)
			}
		}
	}
	duration := DefaultDuration
	if l.Duration != "" {
		duration = c.duration("duration", l.Duration, true)
	}
	if len(c.errs) > 0 {
		return Plan{}, c.errs
	}
	return Plan{Duration: duration, Concurrency: n}, nil
}

func (l Load) values() map[string]string {
	return map[string]string{
		"rate": l.Rate, "ramp-from": l.RampFrom, "ramp-to": l.RampTo, "ramp-over": l.RampOver,
		"steps": l.Steps, "spike-base": l.SpikeBase, "spike-peak": l.SpikePeak, "spike-at": l.SpikeAt,
		"spike-for": l.SpikeFor, "sine-mean": l.SineMean, "sine-amplitude": l.SineAmplitude, "sine-period": l.SinePeriod,
	}
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// collector gathers field errors so that all are reported at once.
type collector struct{ errs []error }

func (c *collector) add(name, format string, args ...any) {
	c.errs = append(c.errs, field.Errorf(name, "", format, args...))
}

// rate parses a rate in pace.ParseRate's grammar.
func (c *collector) rate(field, v string) float64 {
	r, err := pace.ParseRate(v)
	if err != nil {
		c.add(field, "%v", err)
	}
	return r
}

// required parses a rate that must be given; unless positive, "0" (no load) is allowed.
func (c *collector) required(field, v, example string, positive bool) float64 {
	if v == "" {
		c.add(field, "required, e.g. --%s %s", field, example)
		return 0
	}
	if !positive && strings.TrimSpace(v) == "0" {
		return 0
	}
	return c.rate(field, v)
}

// duration parses a non-negative Go duration; zeroOK allows 0.
func (c *collector) duration(field, v string, zeroOK bool) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	switch {
	case err != nil:
		c.add(field, "invalid duration %q: want e.g. 30s, 1m30s, 500ms", v)
	case d < 0:
		c.add(field, "%s must not be negative", v)
	case d == 0 && !zeroOK:
		c.add(field, "must be greater than 0, got %q", v)
	}
	return d
}
