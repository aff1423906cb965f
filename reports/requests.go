package reports

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/records"
)

// MaxRequestRows is how many requests, the most frequent, the text,
// Markdown and HTML reports list; the JSON and CSV reports list them all.
const MaxRequestRows = 20

// topOutcomes is how many classes a request's row names.
const topOutcomes = 3

// nameWidth bounds a request's name in the text and Markdown tables.
const nameWidth = 48

// JSONRequest is one request of the run, by name, with its aggregates:
// an element of the summary's by_request array.
type JSONRequest struct {
	Name            string            `json:"name"`
	Count           uint64            `json:"count"`
	Successes       uint64            `json:"successes"`
	SuccessRatio    float64           `json:"success_ratio"` // 6 digits
	Share           float64           `json:"share"`         // count / requests of the run, 6 digits
	LatencyMs       LatencyMs         `json:"latency_ms"`
	Status          map[string]uint64 `json:"status"`           // HTTP status → count; "0" for no response
	TransportErrors map[string]uint64 `json:"transport_errors"` // kind → count, the kinds that occurred
	Classes         map[string]uint64 `json:"classes"`          // id of an element of classes → count
}

// jsonRequests returns the by_request array of a summary; nil for a run
// without request names, so that the key is left out.
func jsonRequests(s *analyze.Summary) []JSONRequest {
	var out []JSONRequest
	for _, r := range s.RequestStats() {
		j := JSONRequest{
			Name: r.Name, Count: r.Count, Successes: r.Successes, SuccessRatio: round(r.SuccessRatio(), 6),
			Share: round(share(r.Count, s.Requests), 6), LatencyMs: latencyMs(r.Latency),
			Status: map[string]uint64{}, TransportErrors: map[string]uint64{}, Classes: map[string]uint64{},
		}
		for code, n := range r.Status {
			j.Status[strconv.Itoa(int(code))] = n
		}
		for k, n := range r.Transport {
			j.TransportErrors[k.String()] = n
		}
		for id, n := range r.Classes {
			j.Classes[strconv.FormatUint(uint64(id), 10)] = n
		}
		out = append(out, j)
	}
	return out
}

// requestOutcomes names the most frequent classes of a request, with
// their counts: "200 (40), 429 rate_limited (5)"; and how many requests of
// further classes there were.
func requestOutcomes(s *analyze.Summary, r *analyze.RequestStats) string {
	type outcome struct {
		id uint32
		n  uint64
	}
	var all []outcome
	for id, n := range r.Classes {
		all = append(all, outcome{id, n})
	}
	slices.SortFunc(all, func(a, b outcome) int {
		if a.n != b.n {
			return cmp.Compare(b.n, a.n)
		}
		return cmp.Compare(a.id, b.id)
	})
	var parts []string
	var rest uint64
	for i, o := range all {
		if i >= topOutcomes {
			rest += o.n
			continue
		}
		label := "class " + strconv.FormatUint(uint64(o.id), 10)
		if c := s.Classes.ByID(o.id); c != nil {
			label = classStatus(c)
			if c.Code != "" {
				label += " " + cutText(c.Code, codeWidth)
			}
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", label, o.n))
	}
	if rest > 0 {
		parts = append(parts, fmt.Sprintf("others (%d)", rest))
	}
	return strings.Join(parts, ", ")
}

// requestsLeft says how many requests, of how many attempts, a table of
// the first limit leaves out; "" if none.
func requestsLeft(stats []*analyze.RequestStats, limit int) string {
	more := stats[min(len(stats), limit):]
	if len(more) == 0 {
		return ""
	}
	var n uint64
	for _, r := range more {
		n += r.Count
	}
	return fmt.Sprintf("… and %d more %s (%d %s); see --format json", len(more), plural(uint64(len(more)), "request name", "request names"), n, plural(n, "attempt", "attempts"))
}

// unnamed says how many attempts of a run with request names had none;
// "" if every one had.
func unnamed(s *analyze.Summary, stats []*analyze.RequestStats) string {
	var named uint64
	for _, r := range stats {
		named += r.Count
	}
	if named >= s.Requests {
		return ""
	}
	n := s.Requests - named
	return fmt.Sprintf("%d %s without a request name %s in no row.", n, plural(n, "attempt", "attempts"), plural(n, "is", "are"))
}

// requests writes the table of requests by name; nothing for a run whose
// records have no names.
func (p *textPrinter) requests(s *analyze.Summary) {
	stats := s.RequestStats()
	if len(stats) == 0 {
		return
	}
	p.printf("\nRequests by name\n")
	var rows [][]string
	for _, r := range stats[:min(len(stats), MaxRequestRows)] {
		q := analyze.LatencyQuantiles(r.Latency)
		rows = append(rows, []string{
			cutText(r.Name, nameWidth), strconv.FormatUint(r.Count, 10), FormatShare(r.SuccessRatio()),
			FormatLatency(q.P50), FormatLatency(q.P99), FormatLatency(q.Max), requestOutcomes(s, r),
		})
	}
	align := []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft}
	p.table([]string{"Request", "Count", "Success", "p50", "p99", "Max", "Top classes"}, align, rows)
	for _, note := range []string{requestsLeft(stats, MaxRequestRows), unnamed(s, stats)} {
		if note != "" {
			p.printf("%s\n", note)
		}
	}
}

// mdRequests writes the table of requests by name; nothing for a run
// whose records have no names.
func mdRequests(p *textPrinter, s *analyze.Summary) {
	stats := s.RequestStats()
	if len(stats) == 0 {
		return
	}
	p.printf("| Request | Count | Success | p50 | p99 | Max | Top classes |\n")
	p.printf("|---|---:|---:|---:|---:|---:|---|\n")
	for _, r := range stats[:min(len(stats), MaxRequestRows)] {
		q := analyze.LatencyQuantiles(r.Latency)
		p.printf("| %s | %d | %s | %s | %s | %s | %s |\n",
			mdCell(r.Name, nameWidth), r.Count, FormatShare(r.SuccessRatio()),
			FormatLatency(q.P50), FormatLatency(q.P99), FormatLatency(q.Max), mdEscape(requestOutcomes(s, r)))
	}
	p.printf("\n")
	for _, note := range []string{requestsLeft(stats, MaxRequestRows), unnamed(s, stats)} {
		if note != "" {
			p.printf("%s\n\n", mdEscape(note))
		}
	}
}

// htmlRequest is one row of the table of requests by name. The *Key
// fields are what the page sorts the column by.
type htmlRequest struct {
	Name                   string
	Count                  uint64
	Success                string
	SuccessKey             float64
	P50, P99, Max          string
	P50Key, P99Key, MaxKey int64 // microseconds
	Outcomes               string
}

// htmlRequests returns the rows of the table of requests by name, and the
// notes on what it leaves out.
func htmlRequests(s *analyze.Summary) (rows []htmlRequest, notes []string) {
	stats := s.RequestStats()
	for _, r := range stats[:min(len(stats), MaxRequestRows)] {
		q := analyze.LatencyQuantiles(r.Latency)
		rows = append(rows, htmlRequest{
			Name: oneLine(r.Name), Count: r.Count, Success: FormatShare(r.SuccessRatio()), SuccessKey: round(r.SuccessRatio(), 6),
			P50: FormatLatency(q.P50), P99: FormatLatency(q.P99), Max: FormatLatency(q.Max),
			P50Key: q.P50.Microseconds(), P99Key: q.P99.Microseconds(), MaxKey: q.Max.Microseconds(),
			Outcomes: requestOutcomes(s, r),
		})
	}
	for _, note := range []string{requestsLeft(stats, MaxRequestRows), unnamed(s, stats)} {
		if note != "" {
			notes = append(notes, strings.Replace(note, "; see --format json", "; see the JSON report", 1))
		}
	}
	return rows, notes
}

// csvRequestColumns are the columns of CSVRequests, in order.
var csvRequestColumns = []string{
	"request", "count", "successes", "success_ratio", "share",
	"latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_max_ms",
	"status", "transport_errors", "classes",
}

// CSVRequests writes the requests of a run by name as an RFC 4180 table
// (CRLF line ends) with a header row and one row per request name, most
// frequent first as in Summary.RequestStats:
//
//	request,count,successes,success_ratio,share,latency_p50_ms,
//	latency_p90_ms,latency_p99_ms,latency_max_ms,status,transport_errors,classes
//
// success_ratio and share (count / requests of the run) have 6 decimals,
// latencies (from the scheduled send) are in milliseconds with 3
// decimals. status, transport_errors and classes are counts as
// "key:count" pairs separated by spaces, keys ascending: statuses ("0" for
// no response), transport failure kinds, and class ids (those of the csv
// and json reports). A run without request names has the header row only.
func CSVRequests(w io.Writer, run analyze.Run) error {
	s := run.Summary
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvRequestColumns); err != nil {
		return err
	}
	for _, r := range s.RequestStats() {
		q := analyze.LatencyQuantiles(r.Latency)
		var status, transport, classes []string
		for _, code := range slices.Sorted(maps.Keys(r.Status)) {
			status = append(status, fmt.Sprintf("%d:%d", code, r.Status[code]))
		}
		for _, k := range records.ErrorKinds {
			if n := r.Transport[k]; n > 0 {
				transport = append(transport, fmt.Sprintf("%s:%d", k, n))
			}
		}
		for _, id := range slices.Sorted(maps.Keys(r.Classes)) {
			classes = append(classes, fmt.Sprintf("%d:%d", id, r.Classes[id]))
		}
		err := cw.Write([]string{
			csvText(r.Name),
			strconv.FormatUint(r.Count, 10),
			strconv.FormatUint(r.Successes, 10),
			strconv.FormatFloat(r.SuccessRatio(), 'f', 6, 64),
			strconv.FormatFloat(share(r.Count, s.Requests), 'f', 6, 64),
			csvMs(q.P50), csvMs(q.P90), csvMs(q.P99), csvMs(q.Max),
			strings.Join(status, " "), strings.Join(transport, " "), strings.Join(classes, " "),
		})
		if err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
