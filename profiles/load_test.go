package profiles

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/attack/pace"
	"github.com/stampede-dev/stampede/internal/field"
)

func TestPlan(t *testing.T) {
	tests := []struct {
		name     string
		load     Load
		shape    string // prefix of Shape.String()
		duration time.Duration
	}{
		{"default", Load{}, "constant 50/s", 30 * time.Second},
		{"constant", Load{Rate: "500/s", Duration: "5s"}, "constant 500/s", 5 * time.Second},
		{"unbounded", Load{Rate: "10", Duration: "0"}, "constant 10/s", 0},
		{"ramp", Load{Pace: "ramp", RampFrom: "10/s", RampTo: "200/s", Duration: "1m"}, "ramp", time.Minute},
		{"steps take their length", Load{Pace: "steps", Steps: "100/s@10s,200/s@20s"}, "steps", 30 * time.Second},
		{"steps with duration", Load{Pace: "steps", Steps: "100/s@10s", Duration: "1m"}, "steps", time.Minute},
		{"spike", Load{Pace: "spike", SpikeBase: "50/s", SpikePeak: "500/s", SpikeAt: "5s", SpikeFor: "2s", Duration: "10s"}, "spike", 10 * time.Second},
		{"sine", Load{Pace: "SINE", SineMean: "100/s", SineAmplitude: "50/s", SinePeriod: "10s"}, "sine", 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, errs := tt.load.Plan()
			if len(errs) > 0 {
				t.Fatalf("Plan(%+v) errors: %v", tt.load, errs)
			}
			if !strings.HasPrefix(plan.Shape.String(), tt.shape) || plan.Duration != tt.duration {
				t.Errorf("Plan(%+v) = %s for %s; want %s… for %s", tt.load, plan.Shape, plan.Duration, tt.shape, tt.duration)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name   string
		load   Load
		fields []string // every field reported
	}{
		{"unknown pace", Load{Pace: "zigzag"}, []string{"pace"}},
		{"bad rate", Load{Rate: "fast"}, []string{"rate"}},
		{"negative rate", Load{Rate: "-1/s"}, []string{"rate"}},
		{"bad duration", Load{Duration: "soon"}, []string{"duration"}},
		{"negative duration", Load{Duration: "-5s"}, []string{"duration"}},
		{"ramp missing both", Load{Pace: "ramp"}, []string{"ramp-from", "ramp-to"}},
		{"unbounded ramp needs over", Load{Pace: "ramp", RampFrom: "1", RampTo: "2", Duration: "0"}, []string{"ramp-over"}},
		{"foreign fields", Load{Rate: "5/s", Steps: "1@1s", SineMean: "3"}, []string{"steps", "sine-mean"}},
		{"steps missing", Load{Pace: "steps"}, []string{"steps"}},
		{"steps malformed", Load{Pace: "steps", Steps: "100"}, []string{"steps"}},
		{"spike after end", Load{Pace: "spike", SpikeBase: "1", SpikePeak: "2", SpikeAt: "20s", SpikeFor: "20s", Duration: "30s"}, []string{"spike-at"}},
		{"sine amplitude", Load{Pace: "sine", SineMean: "10/s", SineAmplitude: "20/s"}, []string{"sine-amplitude"}},
		{"concurrency zero", Load{Concurrency: "0"}, []string{"concurrency"}},
		{"concurrency not a number", Load{Concurrency: "many"}, []string{"concurrency"}},
		{"concurrency negative", Load{Concurrency: "-4"}, []string{"concurrency"}},
		{"concurrency too high", Load{Concurrency: "100001"}, []string{"concurrency"}},
		{"concurrency with a rate", Load{Concurrency: "4", Rate: "10/s"}, []string{"rate"}},
		{"concurrency with a pace", Load{Concurrency: "4", Pace: "ramp", RampTo: "9/s"}, []string{"pace", "ramp-to"}},
		{"concurrency bad duration", Load{Concurrency: "4", Duration: "soon"}, []string{"duration"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := tt.load.Plan()
			if len(errs) != len(tt.fields) {
				t.Fatalf("Plan(%+v) = %v; want %d errors for %v", tt.load, errs, len(tt.fields), tt.fields)
			}
			for i, err := range errs {
				var fe *field.Error
				if !errors.As(err, &fe) || fe.Field != tt.fields[i] {
					t.Errorf("error %d = %v; want a field.Error on %q", i, err, tt.fields[i])
				}
			}
		})
	}
}

func TestPlanShapesArePacers(t *testing.T) {
	plan, errs := Load{Pace: "steps", Steps: "100/s@1s,0@1s,50/s@1s"}.Plan()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	s := pace.NewSchedule(plan.Shape, plan.Duration)
	n, ok := s.Planned()
	if !ok || n != 150 {
		t.Errorf("Planned() = %d, %v; want 150, true", n, ok)
	}
}

func TestPlanClosedModel(t *testing.T) {
	plan, errs := Load{Pace: "constant", Concurrency: " 64 ", Duration: "10s"}.Plan()
	if len(errs) > 0 {
		t.Fatalf("Plan = %v", errs)
	}
	if plan.Concurrency != 64 || plan.Shape != nil || plan.Duration != 10*time.Second {
		t.Errorf("Plan = %+v; want 64 workers, no shape, 10s", plan)
	}
	if got := plan.String(); got != "closed model, 64 workers" {
		t.Errorf("String() = %q", got)
	}
	if plan, _ := (Load{Concurrency: "1"}).Plan(); plan.Duration != DefaultDuration || plan.String() != "closed model, 1 worker" {
		t.Errorf("Plan = %+v (%s); want the default duration, 1 worker", plan, plan)
	}
}
