package reports

import (
	"io"
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze"
)

// HGRMTicksPerHalfDistance is how finely HGRM steps through the
// percentiles: 5 rows for every halving of the distance to 100 %
// (0 to 50 %, 50 to 75 %, …), as HdrHistogram's tools do by default.
const HGRMTicksPerHalfDistance = 5

// HGRM writes a latency histogram of microseconds as an HdrHistogram
// percentile distribution (.hgrm) in milliseconds, the text Java's
// AbstractHistogram.outputPercentileDistribution(out, 5, 1000.0) writes
// and HdrHistogram's online plotter and hdr-plot read:
//
//	       Value     Percentile TotalCount 1/(1-Percentile)
//
//	       2.031 0.000000000000          1           1.00
//	       …
//	       9.023 1.000000000000       1200
//	#[Mean    =        5.523, StdDeviation   =        1.734]
//	#[Max     =        9.023, Total count    =         1200]
//	#[Buckets =           22, SubBuckets     =         2048]
//
// Each row is a value (the highest equivalent value of its HDR bucket),
// the fraction of values at or below it, their count and 1/(1-fraction);
// the last row, at 100 %, has no fourth column, as in Java. Values have 3
// decimals: microsecond resolution. hdrhistogram-go's PercentilesPrint
// iterates the same way but writes another header, 6-decimal percentiles
// and "inf", so HGRM formats the rows itself. An empty (or nil) histogram
// gives the header and the footer with no row.
func HGRM(w io.Writer, h *hdrhistogram.Histogram) error {
	if h == nil {
		h = analyze.NewLatencyHistogram()
	}
	const scale = 1000.0 // µs per ms
	p := &textPrinter{w: w}
	p.printf("%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, b := range h.CumulativeDistributionWithTicks(HGRMTicksPerHalfDistance) {
			fraction := b.Quantile / 100
			if b.Quantile == 100 {
				p.printf("%12.3f %2.12f %10d\n", float64(b.ValueAt)/scale, fraction, b.Count)
				continue
			}
			p.printf("%12.3f %2.12f %10d %14.2f\n", float64(b.ValueAt)/scale, fraction, b.Count, 1/(1-fraction))
		}
	}
	buckets, subBuckets := hdrGeometry(h)
	p.printf("#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.Mean()/scale, h.StdDev()/scale)
	p.printf("#[Max     = %12.3f, Total count    = %12d]\n", float64(h.Max())/scale, h.TotalCount())
	p.printf("#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, subBuckets)
	return p.err
}

// hdrGeometry returns the number of buckets and sub-buckets of h, which
// hdrhistogram-go keeps private, from its range and precision as
// HdrHistogram computes them: sub-buckets are the power of two that
// resolves 2·10^digits values one unit apart; buckets double the range
// from subBuckets·2^⌊log2 lowest⌋ until it passes the highest trackable
// value.
func hdrGeometry(h *hdrhistogram.Histogram) (buckets, subBuckets int64) {
	digits := min(max(h.SignificantFigures(), 1), 5)
	subBuckets = int64(1) << int(math.Ceil(math.Log2(2*math.Pow10(int(digits)))))
	unit := max(int(math.Floor(math.Log2(float64(max(h.LowestTrackableValue(), 1))))), 0)
	untrackable := subBuckets << unit
	buckets = 1
	for untrackable <= h.HighestTrackableValue() {
		if untrackable > math.MaxInt64/2 {
			return buckets + 1, subBuckets
		}
		untrackable <<= 1
		buckets++
	}
	return buckets, subBuckets
}
