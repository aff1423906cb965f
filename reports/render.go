package reports

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stampede-dev/stampede/analyze"
)

// Formats lists the formats Render writes, in the order help shows them.
var Formats = []string{"text", "json", "csv", "csv-series", "csv-requests", "html", "junit", "markdown", "hgrm"}

// Options tune how a report shows a run; the zero value shows it as
// stampede report does by default.
type Options struct {
	// ClassRows is how many classes the text summary lists; 0 means
	// DefaultMaxClassRows.
	ClassRows int
	// Histogram draws a latency histogram of each of the top classes in
	// the text summary (--histogram).
	Histogram bool
	// Uncorrected also shows, in the text summary, the latency measured
	// from the actual send (wrk2 -U).
	Uncorrected bool
	// Class selects the classes whose latency distribution hgrm prints,
	// as analyze.SelectClasses reads it; "" for every response.
	Class string
}

// CheckFormat returns an error naming the formats when name is not one.
func CheckFormat(name string) error {
	if slices.Contains(Formats, name) {
		return nil
	}
	return fmt.Errorf("unknown report format %q: want one of %s", name, strings.Join(Formats, ", "))
}

// Render writes a run's report in a format of Formats.
func Render(w io.Writer, format string, run analyze.Run, opts Options) error {
	switch format {
	case "text":
		return Text(w, run, opts)
	case "json":
		return JSON(w, run)
	case "csv":
		return CSV(w, run)
	case "csv-series":
		return CSVSeries(w, run)
	case "csv-requests":
		return CSVRequests(w, run)
	case "html":
		return HTML(w, run)
	case "junit":
		return JUnit(w, run)
	case "markdown":
		return Markdown(w, run)
	case "hgrm":
		h, err := analyze.SelectHistogram(run.Summary, opts.Class)
		if err != nil {
			return err
		}
		return HGRM(w, h)
	}
	return CheckFormat(format)
}
