package reports

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze"
)

// histogramOf returns a latency histogram holding n[i] values of us[i] µs.
func histogramOf(t *testing.T, us []int64, n []int64) *hdrhistogram.Histogram {
	t.Helper()
	h := analyze.NewLatencyHistogram()
	for i := range us {
		if err := h.RecordValues(us[i], n[i]); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// histogramLine is one expected row: the bound, the bar as drawn (padded
// here to width columns), the count and the share, in columns as wide as
// the widest of the test.
func histogramLine(labelW, width, countW, shareW int, label, bar, count, share string) string {
	return fmt.Sprintf("  ≤ %*s  %s%s  %*s  %*s\n", labelW, label, bar, strings.Repeat(" ", width-utf8.RuneCountInString(bar)), countW, count, shareW, share)
}

func TestASCIIHistogram(t *testing.T) {
	tests := []struct {
		name  string
		us, n []int64
		width int
		want  []string // label, bar, count, share of each row
	}{
		{
			// Five decades: 1-3 steps give 11 rows. The largest count
			// fills 40 columns; 1 of 16 is 2.5 columns.
			name: "decades", width: 40,
			us: []int64{10, 100, 1000, 10_000, 100_000, 1_000_000}, n: []int64{1, 2, 4, 8, 16, 8},
			want: []string{
				"10 µs", "██▌", "1", "(2.6 %)",
				"30 µs", "", "0", "(0.0 %)",
				"100 µs", "█████", "2", "(5.1 %)",
				"300 µs", "", "0", "(0.0 %)",
				"1 ms", "██████████", "4", "(10.3 %)",
				"3 ms", "", "0", "(0.0 %)",
				"10 ms", "████████████████████", "8", "(20.5 %)",
				"30 ms", "", "0", "(0.0 %)",
				"100 ms", "████████████████████████████████████████", "16", "(41.0 %)",
				"300 ms", "", "0", "(0.0 %)",
				"1 s", "████████████████████", "8", "(20.5 %)",
			},
		},
		{
			// 1 to 2 ms: steps of 1.1 give 7 rows, closest to 12. 3 of
			// 7 at width 10 is 34 eighths: 4 blocks and a quarter.
			name: "eighths", width: 10,
			us: []int64{1000, 2000}, n: []int64{3, 7},
			want: []string{
				"1 ms", "████▎", "3", "(30.0 %)",
				"1.1 ms", "", "0", "(0.0 %)",
				"1.2 ms", "", "0", "(0.0 %)",
				"1.4 ms", "", "0", "(0.0 %)",
				"1.6 ms", "", "0", "(0.0 %)",
				"1.8 ms", "", "0", "(0.0 %)",
				"2 ms", "██████████", "7", "(70.0 %)",
			},
		},
		{
			// A single value gets one row, with the finest bound above it.
			name: "one value", width: 4,
			us: []int64{43_007}, n: []int64{5},
			want: []string{"45 ms", "████", "5", "(100.0 %)"},
		},
		{
			// A count far below the largest still shows an eighth.
			// 500 µs to 1 ms: 20 steps a decade give 7 rows.
			name: "tiny count", width: 10,
			us: []int64{500, 1000}, n: []int64{1, 1000},
			want: []string{
				"500 µs", "▏", "1", "(0.1 %)",
				"560 µs", "", "0", "(0.0 %)",
				"630 µs", "", "0", "(0.0 %)",
				"710 µs", "", "0", "(0.0 %)",
				"800 µs", "", "0", "(0.0 %)",
				"900 µs", "", "0", "(0.0 %)",
				"1 ms", "██████████", "1000", "(99.9 %)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var labelW, countW, shareW int
			for i := 0; i < len(tt.want); i += 4 {
				labelW = max(labelW, utf8.RuneCountInString(tt.want[i]))
				countW = max(countW, len(tt.want[i+2]))
				shareW = max(shareW, len(tt.want[i+3]))
			}
			var want strings.Builder
			for i := 0; i < len(tt.want); i += 4 {
				want.WriteString(histogramLine(labelW, tt.width, countW, shareW, tt.want[i], tt.want[i+1], tt.want[i+2], tt.want[i+3]))
			}
			var b bytes.Buffer
			if err := ASCIIHistogram(&b, histogramOf(t, tt.us, tt.n), tt.width); err != nil {
				t.Fatal(err)
			}
			if b.String() != want.String() {
				t.Errorf("ASCIIHistogram(%v × %v) =\n%s\nwant\n%s", tt.us, tt.n, b.String(), want.String())
			}
		})
	}
}

func TestASCIIHistogramEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := ASCIIHistogram(&b, analyze.NewLatencyHistogram(), 40); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "  no responses\n"; got != want {
		t.Errorf("ASCIIHistogram(empty) = %q; want %q", got, want)
	}
}

// TestASCIIHistogramCounts: whatever the values, the rows count every
// value once, there are about 12 of them, and every line is as wide as
// the others.
func TestASCIIHistogramCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 40 {
		h := analyze.NewLatencyHistogram()
		lo := rng.Int64N(1_000_000) + 1
		spread := []int64{1, 10, 1000, 1_000_000}[trial%4]
		for range rng.IntN(200) + 1 {
			analyze.RecordLatency(h, time.Duration(lo+rng.Int64N(lo*spread))*time.Microsecond)
		}
		var b bytes.Buffer
		if err := ASCIIHistogram(&b, h, 40); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
		if len(lines) > 16 {
			t.Errorf("trial %d: %d rows; want about 12", trial, len(lines))
		}
		var sum int64
		for _, line := range lines {
			if utf8.RuneCountInString(line) != utf8.RuneCountInString(lines[0]) {
				t.Errorf("trial %d: ragged lines:\n%s", trial, b.String())
				break
			}
			f := strings.Fields(line)
			n, err := strconv.ParseInt(f[len(f)-3], 10, 64)
			if err != nil {
				t.Fatalf("trial %d: line %q: %v", trial, line, err)
			}
			sum += n
		}
		if sum != h.TotalCount() {
			t.Errorf("trial %d: rows count %d values; want %d:\n%s", trial, sum, h.TotalCount(), b.String())
		}
	}
}
