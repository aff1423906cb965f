package reports

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
)

// Formats lists the formats Render writes, in the order help shows them.
var Formats = []string{"text", "json", "csv", "csv-series", "html", "junit", "markdown", "hgrm"}

// RenderOptions tune a format.
type RenderOptions struct {
	// Class selects the classes whose latency distribution hgrm prints,
	// as SelectClasses reads it; "" for every response.
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
func Render(w io.Writer, format string, run Run, opts RenderOptions) error {
	switch format {
	case "text":
		return Text(w, run)
	case "json":
		return JSON(w, run)
	case "csv":
		return CSV(w, run)
	case "csv-series":
		return CSVSeries(w, run)
	case "html":
		return HTML(w, run)
	case "junit":
		return JUnit(w, run)
	case "markdown":
		return Markdown(w, run)
	case "hgrm":
		h, err := SelectHistogram(run.Summary, opts.Class)
		if err != nil {
			return err
		}
		return HGRM(w, h)
	}
	return CheckFormat(format)
}

// ClassSelectorError is a --class selector that is malformed or matches no
// class: a mistake of the user's, not of the run.
type ClassSelectorError struct{ Msg string }

// Error returns the message, which names the selector.
func (e *ClassSelectorError) Error() string { return e.Msg }

// classErrorf makes a ClassSelectorError.
func classErrorf(format string, args ...any) error {
	return &ClassSelectorError{Msg: fmt.Sprintf(format, args...)}
}

// SelectHistogram returns the latency histogram of the classes sel names
// (see SelectClasses), merged exactly; the run's whole histogram for "".
func SelectHistogram(s *analyze.Summary, sel string) (*hdrhistogram.Histogram, error) {
	if sel == "" {
		return s.Latency, nil
	}
	stats, err := SelectClasses(s, sel)
	if err != nil {
		return nil, err
	}
	h := analyze.NewLatencyHistogram()
	for _, st := range stats {
		h.Merge(st.Latency)
	}
	return h, nil
}

// SelectClasses returns the classes a selector names:
//
//	429                 every class of a status
//	429/rate_limited    a status and an error code
//	rate_limited        every class with an error code, or a transport
//	                    failure kind (timeout, connection_refused, …)
//	id=7                the class of that id in the JSON and CSV reports
//
// An unknown selector is an error listing the classes there are.
func SelectClasses(s *analyze.Summary, sel string) ([]*analyze.ClassStats, error) {
	all := s.ClassStats()
	match, err := classMatcher(sel)
	if err != nil {
		return nil, err
	}
	var out []*analyze.ClassStats
	for _, st := range all {
		if match(st.Class) {
			out = append(out, st)
		}
	}
	if len(out) == 0 {
		var names []string
		for _, st := range all[:min(len(all), 12)] {
			names = append(names, classSelector(st.Class))
		}
		if len(all) > 12 {
			names = append(names, "…")
		}
		return nil, classErrorf("--class %q matches no class; the classes are: %s", sel, strings.Join(names, ", "))
	}
	return out, nil
}

// classMatcher parses a selector of SelectClasses.
func classMatcher(sel string) (func(*classify.Class) bool, error) {
	sel = strings.TrimSpace(sel)
	if rest, ok := strings.CutPrefix(sel, "id="); ok {
		id, err := strconv.ParseUint(rest, 10, 32)
		if err != nil || id == 0 {
			return nil, classErrorf("--class %q: want id=N with N a class id from the JSON or CSV report, such as id=3", sel)
		}
		return func(c *classify.Class) bool { return uint64(c.ID) == id }, nil
	}
	statusPart, code, hasCode := strings.Cut(sel, "/")
	if status, err := strconv.ParseUint(statusPart, 10, 16); err == nil {
		if status < 100 || status > 999 {
			hint := ""
			if status > 0 {
				hint = fmt.Sprintf("; use id=%d for a class id", status)
			}
			return nil, classErrorf("--class %q: %d is not an HTTP status (100 to 999)%s", sel, status, hint)
		}
		return func(c *classify.Class) bool {
			return uint64(c.Status) == status && (!hasCode || c.Code == code)
		}, nil
	}
	if sel == "" || hasCode {
		return nil, classErrorf("--class %q: want a status (429), a status and code (429/rate_limited), a code or transport failure (timeout), or id=N", sel)
	}
	return func(c *classify.Class) bool {
		return c.Code == sel || (c.Status == 0 && c.ErrorKind.String() == sel)
	}, nil
}

// classSelector names a class the way SelectClasses reads it.
func classSelector(c *classify.Class) string {
	switch {
	case c.Status == 0:
		return c.ErrorKind.String()
	case c.Code != "":
		return fmt.Sprintf("%d/%s", c.Status, c.Code)
	}
	return strconv.Itoa(int(c.Status))
}
