package pace

import (
	"math"
	"math/big"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// simulate runs vegeta's attack loop against p on a virtual clock: Pace,
// wait (a negative wait is no wait), send, count, until the clock reaches d
// or the pacer stops. It returns the hits sent in [0, d).
func simulate(tb testing.TB, p vegeta.Pacer, d time.Duration) uint64 {
	tb.Helper()
	var clock time.Duration
	var count uint64
	for {
		wait, stop := p.Pace(clock, count)
		if stop {
			return count
		}
		clock += max(wait, 0)
		if clock >= d {
			return count
		}
		count++
		if count > 10_000_000 {
			tb.Fatalf("%v: more than 10M hits in %s", p, d)
		}
	}
}

// shapeCase is a valid shape and a window to run it over.
type shapeCase struct {
	name  string
	shape Shape
	d     time.Duration
}

// shapeCases are the shapes every property test runs on.
var shapeCases = []shapeCase{
	{"constant", Constant{PerSecond: 500}, 5 * time.Second},
	{"constant third", Constant{PerSecond: 1.0 / 3}, 10 * time.Second},
	{"constant fast", Constant{PerSecond: 250_000}, 2 * time.Second},
	{"ramp up", Ramp{From: 10, To: 200, Over: 10 * time.Second}, 12 * time.Second},
	{"ramp from zero", Ramp{From: 0, To: 100, Over: 4 * time.Second}, 6 * time.Second},
	{"ramp down", Ramp{From: 300, To: 20, Over: 5 * time.Second}, 8 * time.Second},
	{"ramp down to zero", Ramp{From: 100, To: 0, Over: 3 * time.Second}, 5 * time.Second},
	{"ramp flat", Ramp{From: 50, To: 50, Over: time.Second}, 3 * time.Second},
	{"steps", Steps{[]Step{{100, 2 * time.Second}, {300, 3 * time.Second}}}, 5 * time.Second},
	{"steps with pause", Steps{[]Step{{100, time.Second}, {0, time.Second}, {200, time.Second}}}, 4 * time.Second},
	{"steps ending quiet", Steps{[]Step{{150, time.Second}, {0, time.Second}}}, 3 * time.Second},
	{"spike", Spike{Base: 50, Peak: 500, At: 2 * time.Second, For: time.Second}, 5 * time.Second},
	{"spike at start", Spike{Base: 20, Peak: 400, At: 0, For: time.Second}, 3 * time.Second},
	{"spike on silence", Spike{Base: 0, Peak: 300, At: time.Second, For: time.Second}, 4 * time.Second},
	{"sine", Sine{Mean: 200, Amplitude: 150, Period: 4 * time.Second}, 10 * time.Second},
	{"sine full swing", Sine{Mean: 100, Amplitude: 100, Period: 2 * time.Second}, 7 * time.Second},
	{"sine flat", Sine{Mean: 80, Amplitude: 0, Period: time.Second}, 3 * time.Second},
}

func TestShapeCasesAreValid(t *testing.T) {
	for _, c := range shapeCases {
		if err := c.shape.(interface{ Validate() error }).Validate(); err != nil {
			t.Errorf("%s: %v.Validate() = %v; want nil", c.name, c.shape, err)
		}
	}
}

// TestSimulatedCount checks that vegeta's loop driven by each shape sends
// H(D) hits in [0, D), give or take the one hit of rounding up.
func TestSimulatedCount(t *testing.T) {
	for _, c := range shapeCases {
		t.Run(c.name, func(t *testing.T) {
			got := simulate(t, c.shape, c.d)
			want := c.shape.Hits(c.d)
			if diff := math.Abs(float64(got) - want); diff > 1 || diff > math.Max(1, 0.01*want) {
				t.Errorf("simulate(%v, %s) = %d; want %.3f ± 1", c.shape, c.d, got, want)
			}
		})
	}
}

func TestSimulatedCountExamples(t *testing.T) {
	tests := []struct {
		shape Shape
		d     time.Duration
		want  uint64
	}{
		{Constant{PerSecond: 500}, 5 * time.Second, 2500},
		{Constant{PerSecond: 1.0 / 3}, 10 * time.Second, 4}, // 0, 3, 6, 9s
		{Constant{PerSecond: 1.0 / 3}, 9 * time.Second, 3},  // 9s is not in [0, 9s)
		{Constant{PerSecond: 200}, 1500 * time.Millisecond, 300},
		{Constant{PerSecond: 7}, time.Second, 7},
		{Ramp{From: 0, To: 10, Over: 10 * time.Second}, 10 * time.Second, 50},                  // H = t²/2
		{Ramp{From: 10, To: 0, Over: 10 * time.Second}, time.Hour, 51},                         // hits 0..50
		{Steps{[]Step{{100, 2 * time.Second}, {300, 3 * time.Second}}}, 5 * time.Second, 1100}, // 200 + 900
		{Steps{[]Step{{100, time.Second}, {0, time.Second}}}, time.Hour, 101},                  // hits 0..100
		{Spike{Base: 50, Peak: 500, At: 2 * time.Second, For: time.Second}, 5 * time.Second, 100 + 500 + 100},
		{Sine{Mean: 200, Amplitude: 150, Period: 4 * time.Second}, 8 * time.Second, 1600},
	}
	for _, tt := range tests {
		if got := simulate(t, tt.shape, tt.d); got != tt.want {
			t.Errorf("simulate(%v, %s) = %d; want %d", tt.shape, tt.d, got, tt.want)
		}
	}
}

// TestDueIsFirstNanosecond checks the defining property of Due on many n:
// Hits(Due(n)) >= n > Hits(Due(n)−1), and Due is non-decreasing.
func TestDueIsFirstNanosecond(t *testing.T) {
	for _, c := range shapeCases {
		t.Run(c.name, func(t *testing.T) {
			checkDue(t, c.shape, 0, 3000)
			checkDue(t, c.shape, 1<<40, 100)
		})
	}
}

// checkDue checks Due on hits from, …, from+count−1.
func checkDue(t *testing.T, s Shape, from, count uint64) {
	t.Helper()
	prev, prevOK := time.Duration(-1), true
	for n := from; n < from+count; n++ {
		d, ok := s.Due(n)
		if ok && !prevOK {
			t.Fatalf("%v: Due(%d) = %s, true after Due(%d) = false", s, n, d, n-1)
		}
		prevOK = ok
		if !ok {
			continue
		}
		if d < prev {
			t.Fatalf("%v: Due(%d) = %s; want >= Due(%d) = %s", s, n, d, n-1, prev)
		}
		prev = d
		if h := s.Hits(d); h < float64(n) {
			t.Fatalf("%v: Hits(Due(%d) = %s) = %v; want >= %d", s, n, d, h, n)
		}
		if n == 0 {
			// Hit 0 leaves at the first instant with a non-zero rate: no
			// hit was due before it.
			if s.Hits(d) != 0 || (d > 0 && s.Rate(d) <= 0) {
				t.Fatalf("%v: Due(0) = %s with Hits = %v, Rate = %v; want the first instant of non-zero rate", s, d, s.Hits(d), s.Rate(d))
			}
			continue
		}
		if d > 0 {
			if h := s.Hits(d - 1); h >= float64(n) {
				t.Fatalf("%v: Hits(Due(%d)−1ns = %s) = %v; want < %d", s, n, d-1, h, n)
			}
		}
	}
}

func TestDue(t *testing.T) {
	const s = time.Second
	tests := []struct {
		shape Shape
		n     uint64
		want  time.Duration
		ok    bool
	}{
		{Constant{PerSecond: 200}, 0, 0, true},
		{Constant{PerSecond: 200}, 1, 5 * time.Millisecond, true},
		{Constant{PerSecond: 200}, 1000, 5 * s, true},
		{Constant{PerSecond: 3}, 1, 333333334, true}, // ceil(1e9/3)
		{Constant{PerSecond: 1e-10}, 1, 0, false},    // after the largest Duration
		{Ramp{From: 0, To: 10, Over: 10 * s}, 2, 2 * s, true},
		{Ramp{From: 0, To: 10, Over: 10 * s}, 50, 10 * s, true},
		{Ramp{From: 0, To: 10, Over: 10 * s}, 51, 10*s + 100*time.Millisecond, true},
		{Ramp{From: 10, To: 0, Over: 10 * s}, 49, 10*s - 1414213562, true}, // 10s − √2s
		{Ramp{From: 10, To: 0, Over: 10 * s}, 51, 0, false},
		{Ramp{From: 10, To: 30, Over: 10 * s}, 200, 10 * s, true},
		{Steps{[]Step{{100, 2 * s}, {300, 3 * s}}}, 200, 2 * s, true},
		{Steps{[]Step{{100, 2 * s}, {300, 3 * s}}}, 201, 2*s + 3333334, true},
		{Steps{[]Step{{100, s}, {0, s}, {50, s}}}, 100, s, true},
		{Steps{[]Step{{100, s}, {0, s}, {50, s}}}, 101, 2*s + 20*time.Millisecond, true},
		{Steps{[]Step{{0, s}, {10, s}}}, 1, s + 100*time.Millisecond, true},
		{Steps{[]Step{{100, s}, {0, s}}}, 101, 0, false},
		{Spike{Base: 50, Peak: 500, At: 2 * s, For: s}, 100, 2 * s, true},
		{Spike{Base: 50, Peak: 500, At: 2 * s, For: s}, 600, 3 * s, true},
		{Spike{Base: 50, Peak: 500, At: 2 * s, For: s}, 650, 4 * s, true},
		{Spike{Base: 0, Peak: 500, At: 2 * s, For: s}, 1, 2*s + 2*time.Millisecond, true},
		{Spike{Base: 0, Peak: 500, At: 2 * s, For: s}, 501, 0, false},
		{Sine{Mean: 200, Amplitude: 150, Period: 4 * s}, 800, 4 * s, true},
		{Sine{Mean: 200, Amplitude: 150, Period: 4 * s}, 8000, 40 * s, true},
		{Sine{Mean: 100, Amplitude: 0, Period: s}, 1, 10 * time.Millisecond, true},
		// invalid shapes stop at once
		{Constant{}, 0, 0, false},
		{Ramp{From: 10, To: 20}, 0, 0, false},
		{Steps{}, 0, 0, false},
		{Spike{Base: 10, Peak: 20, At: s}, 0, 0, false},
		{Sine{Mean: 10, Amplitude: 20, Period: s}, 0, 0, false},
	}
	for _, tt := range tests {
		got, ok := tt.shape.Due(tt.n)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%v.Due(%d) = %s, %t; want %s, %t", tt.shape, tt.n, got, ok, tt.want, tt.ok)
		}
	}
}

// TestDueWhereTheRateVanishes checks hits due where the rate reaches 0. There
// H is flat to second order, H(T−s) ≈ H(T) − b·s²/2, so float64 cannot tell
// H(T−s) from H(T) for s below √(2·ulp(H)/b): the answer is ill-conditioned,
// and Due may be early by that much (about 100ns here), never late.
func TestDueWhereTheRateVanishes(t *testing.T) {
	tests := []struct {
		shape Shape
		n     uint64
		want  time.Duration
	}{
		{Ramp{From: 10, To: 0, Over: 10 * time.Second}, 50, 10 * time.Second},
		{Ramp{From: 1000, To: 0, Over: time.Second}, 500, time.Second},
		{Steps{[]Step{{3, time.Second}, {0, time.Second}}}, 3, time.Second},
	}
	for _, tt := range tests {
		got, ok := tt.shape.Due(tt.n)
		if !ok || got > tt.want || tt.want-got > time.Microsecond {
			t.Errorf("%v.Due(%d) = %s, %t; want %s − [0, 1µs]", tt.shape, tt.n, got, ok, tt.want)
		}
	}
}

// TestSineDueAccuracy compares Sine.Due with an independent bisection in
// exact-as-possible float seconds: they must agree to 1µs.
func TestSineDueAccuracy(t *testing.T) {
	shapes := []Sine{
		{Mean: 200, Amplitude: 150, Period: 4 * time.Second},
		{Mean: 100, Amplitude: 100, Period: 2 * time.Second},
		{Mean: 5, Amplitude: 4.9, Period: time.Hour},
		{Mean: 50000, Amplitude: 1000, Period: 100 * time.Millisecond},
	}
	for _, s := range shapes {
		m, a, p := s.Mean, s.Amplitude, s.Period.Seconds()
		h := func(t float64) float64 { return m*t + a*p/(2*math.Pi)*(1-math.Cos(2*math.Pi*t/p)) }
		for _, n := range []uint64{1, 2, 3, 17, 100, 999, 12345, 1 << 20} {
			lo, hi := 0.0, float64(n)/m // H(t) >= M·t since 1 − cos >= 0
			for range 200 {
				mid := (lo + hi) / 2
				if h(mid) >= float64(n) {
					hi = mid
				} else {
					lo = mid
				}
			}
			got, ok := s.Due(n)
			if !ok || math.Abs(got.Seconds()-hi) > 1e-6 {
				t.Errorf("%v.Due(%d) = %s, %t; want %.9fs ± 1µs", s, n, got, ok, hi)
			}
		}
	}
}

// TestHitsIsIntegralOfRate checks every shape's H against a midpoint-rule
// integral of its R.
func TestHitsIsIntegralOfRate(t *testing.T) {
	for _, c := range shapeCases {
		const steps = 200_000
		dt := c.d / steps
		sum := 0.0
		for i := range time.Duration(steps) {
			sum += c.shape.Rate(i*dt+dt/2) * dt.Seconds()
			if i%20_000 == 19_999 {
				at := (i + 1) * dt
				got := c.shape.Hits(at)
				// Each jump of a piecewise rate costs at most rate·dt.
				if tol := 1e-6*sum + 2*1000*dt.Seconds(); math.Abs(got-sum) > tol {
					t.Errorf("%s: %v.Hits(%s) = %.6f; want ∫R = %.6f ± %.2g", c.name, c.shape, at, got, sum, tol)
				}
			}
		}
	}
}

func TestRate(t *testing.T) {
	const s = time.Second
	tests := []struct {
		shape Shape
		at    time.Duration
		want  float64
	}{
		{Constant{PerSecond: 42}, time.Hour, 42},
		{Ramp{From: 10, To: 200, Over: 10 * s}, 0, 10},
		{Ramp{From: 10, To: 200, Over: 10 * s}, 5 * s, 105},
		{Ramp{From: 10, To: 200, Over: 10 * s}, 20 * s, 200},
		{Ramp{From: 200, To: 10, Over: 10 * s}, 5 * s, 105},
		{Steps{[]Step{{100, 2 * s}, {300, 3 * s}}}, 0, 100},
		{Steps{[]Step{{100, 2 * s}, {300, 3 * s}}}, 2 * s, 300},
		{Steps{[]Step{{100, 2 * s}, {300, 3 * s}}}, time.Hour, 300},
		{Spike{Base: 50, Peak: 500, At: 2 * s, For: s}, 2*s - 1, 50},
		{Spike{Base: 50, Peak: 500, At: 2 * s, For: s}, 2 * s, 500},
		{Spike{Base: 50, Peak: 500, At: 2 * s, For: s}, 3 * s, 50},
		{Sine{Mean: 200, Amplitude: 150, Period: 4 * s}, 0, 200},
		{Sine{Mean: 200, Amplitude: 150, Period: 4 * s}, s, 350},
		{Sine{Mean: 200, Amplitude: 150, Period: 4 * s}, 3 * s, 50},
		{Sine{Mean: 200, Amplitude: 150, Period: 4 * s}, 13 * s, 350},
	}
	for _, tt := range tests {
		if got := tt.shape.Rate(tt.at); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%v.Rate(%s) = %v; want %v", tt.shape, tt.at, got, tt.want)
		}
	}
}

func TestPace(t *testing.T) {
	c := Constant{PerSecond: 100}
	tests := []struct {
		elapsed  time.Duration
		hits     uint64
		wait     time.Duration
		stop     bool
		scenario string
	}{
		{0, 0, 0, false, "hit 0 is due at once"},
		{0, 1, 10 * time.Millisecond, false, "on schedule"},
		{15 * time.Millisecond, 1, -5 * time.Millisecond, false, "behind: send now"},
		{time.Second, 1, -990 * time.Millisecond, false, "stalled: still due at 10ms"},
	}
	for _, tt := range tests {
		wait, stop := c.Pace(tt.elapsed, tt.hits)
		if wait != tt.wait || stop != tt.stop {
			t.Errorf("%s: %v.Pace(%s, %d) = %s, %t; want %s, %t", tt.scenario, c, tt.elapsed, tt.hits, wait, stop, tt.wait, tt.stop)
		}
	}
	if wait, stop := (Steps{[]Step{{10, time.Second}, {0, time.Second}}}).Pace(0, 11); !stop {
		t.Errorf("Pace past a final pause = %s, %t; want stop", wait, stop)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		shape Shape
		want  string
	}{
		{Constant{PerSecond: 200}, "constant 200/s"},
		{Ramp{From: 10, To: 200, Over: time.Minute}, "ramp 10/s→200/s over 1m0s"},
		{Steps{[]Step{{100, 30 * time.Second}, {12.5, time.Minute}, {0, 10 * time.Second}}}, "steps 100/s@30s,12.5/s@1m0s,0/s@10s"},
		{Spike{Base: 50, Peak: 500, At: 2 * time.Second, For: time.Second}, "spike 50/s→500/s at 2s for 1s"},
		{Sine{Mean: 200, Amplitude: 150, Period: 4 * time.Second}, "sine 200/s±150/s period 4s"},
	}
	for _, tt := range tests {
		if got := tt.shape.String(); got != tt.want {
			t.Errorf("String(%#v) = %q; want %q", tt.shape, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		shape interface{ Validate() error }
		want  string // "" for valid
	}{
		{Constant{PerSecond: 1}, ""},
		{Constant{PerSecond: MaxRate}, ""},
		{Constant{}, "constant: rate must be greater than zero, got 0/s"},
		{Constant{PerSecond: -5}, "constant: rate must be greater than zero, got -5/s"},
		{Constant{PerSecond: nan}, "constant: rate must be a finite number, got NaN/s"},
		{Constant{PerSecond: inf}, "constant: rate must be a finite number, got +Inf/s"},
		{Constant{PerSecond: 2e9}, "constant: rate must be at most 1000000000/s (one hit per nanosecond), got 2000000000/s"},

		{Ramp{From: 0, To: 10, Over: time.Second}, ""},
		{Ramp{From: 10, To: 0, Over: time.Second}, ""},
		{Ramp{From: 10, To: 20}, `ramp: "over" must be greater than 0, got 0s`},
		{Ramp{From: -1, To: 20, Over: -time.Second}, "ramp: \"from\" must not be negative, got -1/s\nramp: \"over\" must be greater than 0, got -1s"},
		{Ramp{From: 0, To: 0, Over: time.Second}, `ramp: "from" and "to" must not both be 0/s`},
		{Ramp{From: 1, To: nan, Over: time.Second}, `ramp: "to" must be a finite number, got NaN/s`},

		{Steps{[]Step{{0, time.Second}, {1, time.Second}}}, ""},
		{Steps{}, "steps: need at least one step"},
		{Steps{make([]Step, MaxSteps+1)}, "steps: at most 1000 steps, got 1001"}, // and more
		{Steps{[]Step{{1, time.Second}, {-2, 0}}}, "steps: step 2 rate must not be negative, got -2/s\nsteps: step 2 length must be greater than 0, got 0s"},
		{Steps{[]Step{{0, time.Second}, {0, time.Second}}}, "steps: every step has rate 0/s; at least one rate must be greater than zero"},
		{Steps{[]Step{{1, maxDuration}, {1, 1}}}, "steps: the steps last longer than 2562047h47m16.854775807s in total"},

		{Spike{Base: 0, Peak: 10, At: 0, For: time.Second}, ""},
		{Spike{Base: 10, Peak: 0, At: -time.Second, For: 0}, "spike: \"peak\" must be greater than zero, got 0/s\nspike: \"at\" must not be negative, got -1s\nspike: \"for\" must be greater than 0, got 0s"},
		{Spike{Base: 10, Peak: 20, At: maxDuration, For: time.Second}, `spike: "at" + "for" must be less than 2562047h47m16.854775807s, got 2562047h47m16.854775807s + 1s`},

		{Sine{Mean: 200, Amplitude: 200, Period: time.Second}, ""},
		{Sine{Mean: 200, Amplitude: 300, Period: time.Second}, "sine: amplitude 300/s must not exceed mean 200/s: the rate would go negative"},
		{Sine{Mean: 0, Amplitude: -1, Period: 0}, "sine: mean must be greater than zero, got 0/s\nsine: amplitude must not be negative, got -1/s\nsine: period must be greater than 0, got 0s"},
		{Sine{Mean: 1, Amplitude: nan, Period: 1}, "sine: amplitude must be a finite number, got NaN/s"},
	}
	for _, tt := range tests {
		err := tt.shape.Validate()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if tt.want == "steps: at most 1000 steps, got 1001" {
			got, _, _ = cutLine(got)
		}
		if got != tt.want {
			t.Errorf("%#v.Validate() = %q; want %q", tt.shape, got, tt.want)
		}
	}
}

// cutLine returns the first line of s.
func cutLine(s string) (string, string, bool) {
	for i := range len(s) {
		if s[i] == '\n' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// TestPaceDoesNotAllocate guards the hot path: Pace runs once per hit.
func TestPaceDoesNotAllocate(t *testing.T) {
	for _, c := range shapeCases {
		n := uint64(0)
		allocs := testing.AllocsPerRun(100, func() {
			c.shape.Pace(0, n)
			n += 7
		})
		if allocs != 0 {
			t.Errorf("%v.Pace allocates %v times; want 0", c.shape, allocs)
		}
	}
}

// TestConstantDueExact compares Constant.Due with the exact instant n/r,
// computed in rational arithmetic from the float64 rate: Due is that instant
// rounded up to the nanosecond, or at worst 1ns before it, for instants
// below 2^53ns (104 days); beyond, float64 has no nanoseconds left.
func TestConstantDueExact(t *testing.T) {
	for _, r := range []float64{500, 1.0 / 3, 7, 333.3, 12345.678, 1e6, 999_999_937, 0.001} {
		rate := new(big.Rat).SetFloat64(r)
		for _, n := range []uint64{1, 2, 3, 999, 1000, 1001, 123456789, 1 << 40, 1 << 52} {
			exact := new(big.Rat).SetInt64(1e9)
			exact.Mul(exact, new(big.Rat).SetInt(new(big.Int).SetUint64(n)))
			exact.Quo(exact, rate)
			// ceil of a positive rational
			q, m := new(big.Int).DivMod(exact.Num(), exact.Denom(), new(big.Int))
			if m.Sign() != 0 {
				q.Add(q, big.NewInt(1))
			}
			if q.Cmp(big.NewInt(1<<53)) >= 0 {
				continue
			}
			want := time.Duration(q.Int64())
			got, ok := Constant{PerSecond: r}.Due(n)
			if !ok || got > want || want-got > 1 {
				t.Errorf("Constant{%v}.Due(%d) = %s, %t; want %s (or 1ns before)", r, n, got, ok, want)
			}
		}
	}
}
