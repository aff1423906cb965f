package analyze

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/internal/field"
)

// SelectorField is the name the class selector's problems carry (a
// *field.Error): the --class flag.
const SelectorField = "class"

// SelectHistogram returns the latency histogram of the classes sel names
// (see SelectClasses), merged exactly; the run's whole histogram for "".
func SelectHistogram(s *Summary, sel string) (*hdrhistogram.Histogram, error) {
	if sel == "" {
		return s.Latency, nil
	}
	stats, err := SelectClasses(s, sel)
	if err != nil {
		return nil, err
	}
	h := NewLatencyHistogram()
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
// A malformed selector, or one that matches no class, is a *field.Error
// (SelectorField) listing the classes there are.
func SelectClasses(s *Summary, sel string) ([]*ClassStats, error) {
	all := s.ClassStats()
	match, err := classMatcher(sel)
	if err != nil {
		return nil, err
	}
	var out []*ClassStats
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
		return nil, selectorError(sel, "matches no class; the classes are: %s", strings.Join(names, ", "))
	}
	return out, nil
}

// selectorError is a problem of the selector sel.
func selectorError(sel, format string, args ...any) error {
	return field.Errorf(SelectorField, strconv.Quote(sel), format, args...)
}

// classMatcher parses a selector of SelectClasses.
func classMatcher(sel string) (func(*classify.Class) bool, error) {
	sel = strings.TrimSpace(sel)
	if rest, ok := strings.CutPrefix(sel, "id="); ok {
		id, err := strconv.ParseUint(rest, 10, 32)
		if err != nil || id == 0 {
			return nil, selectorError(sel, "want id=N with N a class id from the JSON or CSV report, such as id=3")
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
			return nil, selectorError(sel, "%d is not an HTTP status (100 to 999)%s", status, hint)
		}
		return func(c *classify.Class) bool {
			return uint64(c.Status) == status && (!hasCode || c.Code == code)
		}, nil
	}
	if sel == "" || hasCode {
		return nil, selectorError(sel, "want a status (429), a status and code (429/rate_limited), a code or transport failure (timeout), or id=N")
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
