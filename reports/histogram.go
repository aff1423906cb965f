package reports

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// DefaultHistogramWidth is the width in columns of the longest bar of an
// ASCII histogram.
const DefaultHistogramWidth = 40

// histogramRows is how many rows an ASCII histogram aims for.
const histogramRows = 12

// boundFamilies are the sequences of bucket bounds an ASCII histogram
// chooses from, coarsest first: the multipliers of each power of ten, so
// {1, 2, 5} gives 1, 2, 5, 10, 20, 50, … µs. Within a family, consecutive
// bounds grow by roughly the same ratio: the buckets are logarithmic.
var boundFamilies = [][]float64{
	{1},
	{1, 3},
	{1, 2, 5},
	{1, 1.5, 2, 3, 5, 7},
	{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8},
	{1, 1.1, 1.2, 1.4, 1.6, 1.8, 2, 2.2, 2.5, 2.8, 3.2, 3.6, 4, 4.5, 5, 5.6, 6.3, 7.1, 8, 9},
}

// eighths are the blocks drawing the fraction of a column that ends a bar:
// eighths[n] is n/8 of a column.
var eighths = [8]string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// ASCIIHistogram draws h, a histogram of latencies in microseconds (as
// analyze records them), as rows of text, one per bucket:
//
//	≤ 12.5 ms  ████████▍                                  123  (4.1 %)
//
// The bucket bounds are logarithmic, from the first bound at or above the
// histogram's minimum to the first at or above its maximum (both as the
// lowest equivalent value of their HDR bucket). They come from
// the family of 1-2-5-like sequences (decades; 1-3; 1-2-5; 1-1.5-2-3-5-7;
// 10 or 20 steps a decade) whose row count is closest to about 12, fewer
// rows winning a tie, then finer bounds. A row counts the values above the
// previous bound, up to and including its own; the first row counts every
// value up to its bound.
//
// Counts are the histogram's own bucket counts (h.Distribution): each HDR
// bucket goes to the row of its lowest equivalent value, so a bound is
// exact to the histogram's precision, and the rows add up to
// h.TotalCount(). Bars are scaled so that the largest count fills width
// columns (DefaultHistogramWidth if width < 1), drawn with full blocks and
// an eighth block for the remainder; a non-zero count gets at least an
// eighth. An empty histogram is the single line "  no responses".
func ASCIIHistogram(w io.Writer, h *hdrhistogram.Histogram, width int) error {
	if width < 1 {
		width = DefaultHistogramWidth
	}
	total := h.TotalCount()
	if total == 0 {
		_, err := io.WriteString(w, "  no responses\n")
		return err
	}
	// The rows span the lowest equivalent values of the first and last
	// non-empty HDR buckets, the values the rows are counted by.
	bars := h.Distribution()
	lo, hi := int64(-1), int64(0)
	for _, bar := range bars {
		if bar.Count > 0 {
			if lo < 0 {
				lo = bar.From
			}
			hi = bar.From
		}
	}
	bounds := histogramBounds(lo, hi)
	counts := make([]int64, len(bounds))
	for _, bar := range bars {
		if bar.Count == 0 {
			continue
		}
		i := sort.Search(len(bounds), func(i int) bool { return bounds[i] >= bar.From })
		counts[min(i, len(bounds)-1)] += bar.Count
	}

	labels := make([]string, len(bounds))
	countText := make([]string, len(bounds))
	shares := make([]string, len(bounds))
	var labelW, countW, shareW int
	var largest int64
	for i, b := range bounds {
		labels[i] = formatBound(b)
		countText[i] = strconv.FormatInt(counts[i], 10)
		shares[i] = fmt.Sprintf("(%.1f %%)", 100*float64(counts[i])/float64(total))
		labelW = max(labelW, utf8.RuneCountInString(labels[i]))
		countW = max(countW, len(countText[i]))
		shareW = max(shareW, len(shares[i]))
		largest = max(largest, counts[i])
	}
	var sb strings.Builder
	for i := range bounds {
		sb.WriteString("  ≤ ")
		sb.WriteString(strings.Repeat(" ", labelW-utf8.RuneCountInString(labels[i])))
		sb.WriteString(labels[i])
		sb.WriteString("  ")
		sb.WriteString(histogramBar(counts[i], largest, width))
		fmt.Fprintf(&sb, "  %*s  %*s\n", countW, countText[i], shareW, shares[i])
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

// histogramBar draws count as a bar of width columns for largest, padded
// with spaces to width columns: round(8 · width · count / largest) eighths
// of a column, at least one for a non-zero count.
func histogramBar(count, largest int64, width int) string {
	n := 0
	if largest > 0 {
		n = int(math.Round(8 * float64(width) * float64(count) / float64(largest)))
	}
	if count > 0 && n == 0 {
		n = 1
	}
	bar := strings.Repeat("█", n/8) + eighths[n%8]
	cols := n / 8
	if n%8 != 0 {
		cols++
	}
	return bar + strings.Repeat(" ", width-cols)
}

// histogramBounds returns the upper bounds, in µs, of the rows of a
// histogram of values from lo to hi: those of the family whose row count
// is closest to histogramRows, fewer rows first, then the finer family.
func histogramBounds(lo, hi int64) []int64 {
	var best []int64
	for _, family := range boundFamilies {
		b := familyBounds(family, lo, hi)
		if best == nil || betterRows(len(b), len(best)) {
			best = b
		}
	}
	return best
}

// betterRows reports whether n rows are at least as good as m: closer to
// histogramRows, or as close and no more. As the families are tried
// coarsest first, a tie on both goes to the finer one.
func betterRows(n, m int) bool {
	dn, dm := abs(n-histogramRows), abs(m-histogramRows)
	if dn != dm {
		return dn < dm
	}
	return n <= m
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// familyBounds returns the bounds m·10^k µs of a family (whole µs only),
// from the first at or above lo to the first at or above hi.
func familyBounds(family []float64, lo, hi int64) []int64 {
	var out []int64
	for scale := 1.0; ; scale *= 10 {
		if scale > 1e18 { // beyond int64 within a decade: end at hi
			return append(out, max(hi, lo))
		}
		for _, m := range family {
			v := m * scale
			b := int64(math.Round(v))
			if math.Abs(v-float64(b)) > 1e-9*v || b < 1 {
				continue // a fraction of a µs: values are whole µs
			}
			if b < lo {
				continue
			}
			out = append(out, b)
			if b >= hi {
				return out
			}
		}
	}
}

// formatBound renders a bound given in µs compactly, with a unit: "500 µs",
// "12.5 ms", "1.5 s".
func formatBound(us int64) string {
	switch {
	case us < 1000:
		return strconv.FormatInt(us, 10) + " µs"
	case us < 1_000_000:
		return strconv.FormatFloat(float64(us)/1e3, 'f', -1, 64) + " ms"
	default:
		return strconv.FormatFloat(float64(us)/1e6, 'f', -1, 64) + " s"
	}
}
