package pace

import (
	"math"
	"strings"
	"testing"
	"time"
)

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{
		"200", "200/s", "200/1s", "50/100ms", "3000/m", "1.5/s", "1/µs", "1/ns", "2/ns",
		"0", "-5/s", "", "/s", "5/", "5/0s", "1e999", "1e-999", "0.0001/h", "9/1m30s", "x", "1//s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "rate "+quote(s)+": ") {
				t.Fatalf("ParseRate(%q) error %q does not quote the input", s, err)
			}
			return
		}
		if math.IsNaN(r) || math.IsInf(r, 0) || r <= 0 || r > MaxRate {
			t.Fatalf("ParseRate(%q) = %v; want a finite rate in (0, %v]", s, r, MaxRate)
		}
		if err := (Constant{PerSecond: r}).Validate(); err != nil {
			t.Fatalf("ParseRate(%q) = %v, which Validate rejects: %v", s, r, err)
		}
		// Round trip through RateString, which keeps 3 significant digits.
		str := RateString(r)
		back, err := ParseRate(str)
		if err != nil {
			t.Fatalf("ParseRate(RateString(%v) = %q) = %v", r, str, err)
		}
		if math.Abs(back-r) > 5e-3*r {
			t.Fatalf("ParseRate(RateString(%v) = %q) = %v; want %v ± 0.5%%", r, str, back, r)
		}
	})
}

func FuzzParseSteps(f *testing.F) {
	for _, s := range []string{
		"100/s@30s,200@1m,0@10s", "50/100ms@1s", " 10 @ 1s , 0/s @ 500ms ", "0@1s", "1@0s",
		"1@2000000h,1@2000000h", "", ",", "1@1s,", "1@1s@2s", "x@1s", "-1@1s", "1e-300@1ns,0@1h",
		strings.Repeat("1@1s,", 999) + "1@1s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ParseSteps(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "steps "+quote(s)+": ") {
				t.Fatalf("ParseSteps(%q) error %q does not quote the input", s, err)
			}
			return
		}
		if len(steps) == 0 || len(steps) > MaxSteps {
			t.Fatalf("ParseSteps(%q) = %d steps; want 1 to %d", s, len(steps), MaxSteps)
		}
		shape := Steps{steps}
		if err := shape.Validate(); err != nil {
			t.Fatalf("ParseSteps(%q) = %v, which Validate rejects: %v", s, steps, err)
		}
		// Round trip through String, which is in ParseSteps's syntax.
		str := strings.TrimPrefix(shape.String(), "steps ")
		back, err := ParseSteps(str)
		if err != nil {
			t.Fatalf("ParseSteps(String() = %q) = %v", str, err)
		}
		if len(back) != len(steps) {
			t.Fatalf("ParseSteps(String() = %q) = %d steps; want %d", str, len(back), len(steps))
		}
		for i := range steps {
			if back[i].For != steps[i].For || math.Abs(back[i].Rate-steps[i].Rate) > 5e-3*steps[i].Rate {
				t.Fatalf("ParseSteps(String() = %q) step %d = %v; want %v", str, i+1, back[i], steps[i])
			}
		}
		if _, ok := shape.Due(1); !ok && steps[len(steps)-1].Rate > 0 {
			t.Fatalf("%v.Due(1) = false; want true", shape)
		}
	})
}

// fuzzShape builds one shape of kind k from fuzzer parameters.
func fuzzShape(k uint8, a, b float64, d1, d2 int64) Shape {
	switch k % 5 {
	case 0:
		return Constant{PerSecond: a}
	case 1:
		return Ramp{From: a, To: b, Over: time.Duration(d1)}
	case 2:
		return Steps{[]Step{{a, time.Duration(d1)}, {b, time.Duration(d2)}}}
	case 3:
		return Spike{Base: a, Peak: b, At: time.Duration(d1), For: time.Duration(d2)}
	default:
		return Sine{Mean: a, Amplitude: b, Period: time.Duration(d1)}
	}
}

func FuzzDue(f *testing.F) {
	const s = int64(time.Second)
	f.Add(uint8(0), 500.0, 0.0, int64(0), int64(0), uint64(2500))
	f.Add(uint8(0), 1e9, 0.0, int64(0), int64(0), uint64(1<<62))
	f.Add(uint8(0), 1e-300, 0.0, int64(0), int64(0), uint64(1))
	f.Add(uint8(1), 10.0, 200.0, 10*s, int64(0), uint64(1000))
	f.Add(uint8(1), 300.0, 0.0, 5*s, int64(0), uint64(749))
	f.Add(uint8(1), 0.0, 1e9, int64(1), int64(0), uint64(1<<40))
	f.Add(uint8(1), 1e9, 1e-9, int64(math.MaxInt64), int64(0), uint64(1<<60))
	f.Add(uint8(2), 100.0, 0.0, 2*s, 3*s, uint64(200))
	f.Add(uint8(2), 0.0, 1e-6, int64(math.MaxInt64/2), int64(math.MaxInt64/2), uint64(3))
	f.Add(uint8(3), 0.0, 500.0, 2*s, s, uint64(501))
	f.Add(uint8(3), 50.0, 500.0, 0*s, s, uint64(1e12))
	f.Add(uint8(4), 200.0, 150.0, 4*s, int64(0), uint64(12345))
	f.Add(uint8(4), 1e9, 1e9, int64(1), int64(0), uint64(1<<62))
	f.Add(uint8(4), 1e-3, 1e-3, int64(math.MaxInt64), int64(0), uint64(7))
	f.Add(uint8(4), 100.0, 100.0, 2*s, int64(0), uint64(150))
	f.Add(uint8(4), 5.0, 6.0, s, int64(0), uint64(1)) // invalid
	f.Fuzz(func(t *testing.T, k uint8, a, b float64, d1, d2 int64, n uint64) {
		shape := fuzzShape(k, a, b, d1, d2)
		valid := shape.(interface{ Validate() error }).Validate() == nil
		if _, ok := shape.Due(0); ok != valid {
			t.Fatalf("%v: Due(0) ok = %t; want %t (Validate() == nil)", shape, ok, valid)
		}
		if !valid {
			return
		}
		d0, ok := shape.Due(0)
		if !ok || shape.Hits(d0) != 0 || (d0 > 0 && shape.Rate(d0) <= 0) {
			t.Fatalf("%v.Due(0) = %s, %t; want the first instant of non-zero rate", shape, d0, ok)
		}
		prev, prevOK := d0, true
		for i := range uint64(4) {
			m := n + i
			if m < n {
				break // wrapped
			}
			d, ok := shape.Due(m)
			if ok && !prevOK {
				t.Fatalf("%v: Due(%d) = %s, true after Due(%d) = false", shape, m, d, m-1)
			}
			if !ok {
				prevOK = false
				continue
			}
			if d < 0 || (i > 0 && d < prev) {
				t.Fatalf("%v: Due(%d) = %s; want >= 0 and >= Due(%d) = %s", shape, m, d, m-1, prev)
			}
			if m > 0 {
				if h := shape.Hits(d); !(h >= float64(m)) {
					t.Fatalf("%v: Hits(Due(%d) = %s) = %v; want >= %d", shape, m, d, h, m)
				}
				if h := shape.Hits(d - 1); d > 0 && h >= float64(m) {
					t.Fatalf("%v: Hits(Due(%d)−1ns) = %v; want < %d", shape, m, h, m)
				}
			}
			prev, prevOK = d, true
		}
		// Planned agrees with Due at its boundary, whatever the window.
		if window := time.Duration(d2 & math.MaxInt64); window > 0 {
			got, _ := NewSchedule(shape, window).Planned()
			if d, ok := shape.Due(got); ok && d < window {
				t.Fatalf("%v over %s: Planned() = %d, but Due(%d) = %s is inside", shape, window, got, got, d)
			}
			if got > 0 {
				if d, ok := shape.Due(got - 1); !ok || d >= window {
					t.Fatalf("%v over %s: Planned() = %d, but Due(%d) = %s, %t is not inside", shape, window, got, got-1, d, ok)
				}
			}
		}
	})
}
