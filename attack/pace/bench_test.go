package pace

import (
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// benchmarkPace measures one Pace call per hit, as vegeta's loop makes.
func benchmarkPace(b *testing.B, s vegeta.Pacer) {
	b.ReportAllocs()
	var clock time.Duration
	n := uint64(0)
	for b.Loop() {
		wait, _ := s.Pace(clock, n)
		clock += max(wait, 0)
		n++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hits/s")
}

func BenchmarkConstantPace(b *testing.B) { benchmarkPace(b, Constant{PerSecond: 10_000}) }

func BenchmarkRampPace(b *testing.B) {
	benchmarkPace(b, Ramp{From: 10, To: 20_000, Over: time.Minute})
}

func BenchmarkStepsPace(b *testing.B) {
	benchmarkPace(b, Steps{[]Step{{1000, time.Second}, {0, time.Second}, {5000, time.Minute}}})
}

func BenchmarkSpikePace(b *testing.B) {
	benchmarkPace(b, Spike{Base: 1000, Peak: 10_000, At: time.Second, For: time.Second})
}

func BenchmarkSineDue(b *testing.B) {
	b.ReportAllocs()
	s := Sine{Mean: 10_000, Amplitude: 9_000, Period: time.Minute}
	n := uint64(0)
	for b.Loop() {
		s.Due(n)
		n += 7
	}
}

func BenchmarkSchedulePace(b *testing.B) {
	benchmarkPace(b, NewSchedule(Sine{Mean: 10_000, Amplitude: 5_000, Period: time.Minute}, 0))
}
