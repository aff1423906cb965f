package analyze

import (
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/internal/field"
	"github.com/stampede-dev/stampede/records"
)

// selectorSummary holds 200s, two 429 codes and refused connections.
func selectorSummary() *Summary {
	s := NewSummary()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, r := range []records.Record{
		{Status: 200}, {Status: 200}, {Status: 429, ErrorCode: "rate_limited"},
		{Status: 429, ErrorCode: "insufficient_quota"}, {ErrorKind: records.ErrRefused},
	} {
		r.Scheduled, r.Latency = at, time.Duration(i+1)*time.Millisecond
		s.Add(&r)
	}
	return s
}

func TestSelectClasses(t *testing.T) {
	s := selectorSummary()
	for _, tc := range []struct {
		sel  string
		want int // responses selected
	}{
		{"200", 2}, {"429", 2}, {"429/rate_limited", 1}, {"insufficient_quota", 1},
		{"connection_refused", 1}, {" 429 ", 2}, {"id=1", 2},
	} {
		stats, err := SelectClasses(s, tc.sel)
		if err != nil {
			t.Errorf("SelectClasses(%q) = %v", tc.sel, err)
			continue
		}
		var n uint64
		for _, st := range stats {
			n += st.Count
		}
		if n != uint64(tc.want) {
			t.Errorf("SelectClasses(%q) selects %d responses; want %d", tc.sel, n, tc.want)
		}
		h, err := SelectHistogram(s, tc.sel)
		if err != nil || h.TotalCount() != int64(tc.want) {
			t.Errorf("SelectHistogram(%q) = %d values, %v; want %d", tc.sel, h.TotalCount(), err, tc.want)
		}
	}
	if h, err := SelectHistogram(s, ""); err != nil || h != s.Latency {
		t.Errorf(`SelectHistogram("") = %v, %v; want the run's own histogram`, h, err)
	}
}

// TestSelectClassesErrors: a bad selector is a field error of the --class
// flag that says what is wrong, and one that matches nothing lists the
// classes there are.
func TestSelectClassesErrors(t *testing.T) {
	s := selectorSummary()
	for _, tc := range []struct{ sel, want string }{
		{"404", `class "404": matches no class; the classes are: 200, 429/rate_limited, 429/insufficient_quota, connection_refused`},
		{"0", `class "0": 0 is not an HTTP status (100 to 999)`},
		{"7", `class "7": 7 is not an HTTP status (100 to 999); use id=7 for a class id`},
		{"id=x", `class "id=x": want id=N with N a class id`},
		{"429/", `class "429/": matches no class`},
		{"/x", `class "/x": want a status (429)`},
	} {
		_, err := SelectClasses(s, tc.sel)
		fe := field.As(err)
		if fe == nil || fe.Field != SelectorField || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("SelectClasses(%q) = %v; want a field error starting %q", tc.sel, err, tc.want)
		}
	}
}
