package retry

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/internal/field"
)

func TestParsePolicyAndJitter(t *testing.T) {
	for i, name := range Policies() {
		p, err := ParsePolicy(" " + strings.ToUpper(name) + " ")
		if err != nil || p != Policy(i) || p.String() != name {
			t.Errorf("ParsePolicy(%q) = %v, %v; want %v", name, p, err, Policy(i))
		}
	}
	for i, name := range Jitters() {
		j, err := ParseJitter(name)
		if err != nil || j != Jitter(i) || j.String() != name {
			t.Errorf("ParseJitter(%q) = %v, %v; want %v", name, j, err, Jitter(i))
		}
	}
	if _, err := ParsePolicy("exponentail"); err == nil || !strings.Contains(err.Error(), "none, immediate, exponential, decorrelated") {
		t.Errorf("ParsePolicy(typo) error = %v; want one naming the policies", err)
	}
	if _, err := ParseJitter("half"); err == nil || !strings.Contains(err.Error(), "none, full, equal") {
		t.Errorf("ParseJitter(half) error = %v; want one naming the jitters", err)
	}
}

func TestParseBudget(t *testing.T) {
	good := map[string]float64{"10%": 0.1, " 2.5 % ": 0.025, "none": 0, "": 0, "0": 0, "0%": 0, "100%": 1, "10000%": 100}
	for in, want := range good {
		got, err := ParseBudget(in)
		if err != nil || got != want {
			t.Errorf("ParseBudget(%q) = %v, %v; want %v", in, got, err, want)
		}
		if err == nil && want > 0 {
			if back, err := ParseBudget(FormatBudget(got)); err != nil || back != got {
				t.Errorf("ParseBudget(FormatBudget(%v)) = %v, %v; want it back", got, back, err)
			}
		}
	}
	for _, in := range []string{"10", "0.1", "-5%", "x%", "NaN%", "1e9%", "%", "10%%"} {
		if _, err := ParseBudget(in); err == nil || !strings.Contains(err.Error(), "10%") {
			t.Errorf("ParseBudget(%q) error = %v; want one with an example", in, err)
		}
	}
}

func FuzzParseBudget(f *testing.F) {
	for _, s := range []string{"10%", "none", "0", "1e3%", "-0%", "NaN%", "+5%", " 7 %"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBudget(s)
		if err != nil {
			return
		}
		if b < 0 || b > 100 || b != b {
			t.Fatalf("ParseBudget(%q) = %v; want a share in [0, 100]", s, b)
		}
		if errs := (Options{Policy: Immediate, Max: 1, Budget: b}).Validate(); len(errs) > 0 {
			t.Fatalf("budget %v parsed from %q fails Validate: %v", b, s, errs)
		}
	})
}

func TestValidateNamesTheFlag(t *testing.T) {
	bad := Options{Policy: Exponential, Max: 101, Base: 0, Cap: -1, Jitter: 9, Budget: -1}
	var names []string
	for _, err := range bad.Validate() {
		var fe *field.Error
		if !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *field.Error", err)
		}
		names = append(names, fe.Field)
	}
	want := "retry-max retry-base retry-cap jitter retry-budget"
	for _, n := range strings.Fields(want) {
		if !strings.Contains(strings.Join(names, " "), n) {
			t.Errorf("Validate names %v; want %s among them", names, n)
		}
	}
	if errs := (Options{Policy: Exponential, Max: 3, Base: time.Second, Cap: time.Millisecond}).Validate(); len(errs) != 1 {
		t.Errorf("cap below base: %v; want one error", errs)
	}
	for _, p := range []Policy{None, Immediate, Exponential, Decorrelated} {
		if errs := Defaults(p).Validate(); len(errs) > 0 {
			t.Errorf("Defaults(%v) invalid: %v", p, errs)
		}
	}
}

func TestDefaults(t *testing.T) {
	if o := Defaults(Immediate); o.HonorRetryAfter || !o.Enabled() {
		t.Errorf("Defaults(immediate) = %+v; want enabled, ignoring Retry-After (a naive client)", o)
	}
	for _, p := range []Policy{Exponential, Decorrelated} {
		if o := Defaults(p); !o.HonorRetryAfter || o.Jitter != FullJitter || o.Max != DefaultMax {
			t.Errorf("Defaults(%v) = %+v; want honouring Retry-After, full jitter, %d retries", p, o, DefaultMax)
		}
	}
	if Defaults(None).Enabled() {
		t.Error("Defaults(none) retries")
	}
	want := "exponential (3 retries, 100ms to 10s, full jitter, honours Retry-After, budget 10%)"
	o := Defaults(Exponential)
	o.Budget = 0.1
	if got := o.String(); got != want {
		t.Errorf("String() = %q; want %q", got, want)
	}
}

func TestPlan(t *testing.T) {
	o := Options{Policy: Exponential, Max: 2, Base: time.Second, Cap: 4 * time.Second, HonorRetryAfter: true}
	b := o.Backoff(rand.New(rand.NewPCG(1, 1)))
	if w, d := b.Plan(1, 3*time.Second); d != Retry || w != 3*time.Second {
		t.Errorf("Plan(1, Retry-After 3s) = %v, %v; want the Retry-After, 3s", w, d)
	}
	if w, d := b.Plan(2, 0); d != Retry || w != 2*time.Second {
		t.Errorf("Plan(2, none) = %v, %v; want the backoff, 2s", w, d)
	}
	if _, d := b.Plan(3, 0); d != Exhausted {
		t.Errorf("Plan(3) = %v; want Exhausted after 2 retries", d)
	}
	if _, d := b.Plan(1, 5*time.Second); d != OverCap {
		t.Errorf("Plan(1, Retry-After 5s > cap 4s) = %v; want OverCap", d)
	}
	o.HonorRetryAfter = false
	b = o.Backoff(rand.New(rand.NewPCG(1, 1)))
	if w, d := b.Plan(1, time.Minute); d != Retry || w != time.Second {
		t.Errorf("Plan ignoring Retry-After = %v, %v; want the backoff, 1s", w, d)
	}
}

func TestExponentialDoesNotOverflow(t *testing.T) {
	o := Options{Policy: Exponential, Max: MaxRetries, Base: time.Hour, Cap: 24 * time.Hour}
	b := o.Backoff(rand.New(rand.NewPCG(1, 1)))
	for n := 1; n <= MaxRetries; n++ {
		if w := b.Wait(n); w <= 0 || w > o.Cap {
			t.Fatalf("Wait(%d) = %v; want within (0, cap]", n, w)
		}
	}
	d := Options{Policy: Decorrelated, Max: MaxRetries, Base: time.Hour, Cap: 1 << 62}.Backoff(rand.New(rand.NewPCG(1, 1)))
	for n := 1; n <= MaxRetries; n++ {
		if w := d.Wait(n); w < time.Hour {
			t.Fatalf("decorrelated Wait(%d) = %v; want at least the base", n, w)
		}
	}
}

func TestBudget(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b Budget
	taken := 0
	for i := range 100 {
		at := t0.Add(time.Duration(i) * 10 * time.Millisecond)
		b.First(at)
		if b.Take(0.25, at) {
			taken++
		}
	}
	if taken != 25 {
		t.Errorf("retries taken = %d; want 25 (25 %% of 100)", taken)
	}
	// 60 s healthy at 40/s save nothing up: an outage after them gets
	// 10 % of the first attempts of the last 10 s, no more.
	var saved Budget
	for i := range 60 * 40 {
		saved.First(t0.Add(time.Duration(i) * 25 * time.Millisecond))
	}
	outage := t0.Add(60 * time.Second)
	n := 0
	for i := range 80 * 4 { // 2 s of 40/s first attempts, each failing and asking 4 retries
		at := outage.Add(time.Duration(i/4) * 25 * time.Millisecond)
		if i%4 == 0 {
			saved.First(at)
		}
		if saved.Take(0.1, at) {
			n++
		}
	}
	if n > 40 || n < 39 {
		t.Errorf("retries in a 2 s outage after 60 s healthy = %d; want 40 (10 %% of the 400 first attempts of the last 10 s)", n)
	}
}
