package reports

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
)

// csvColumns are the columns of CSV, in order.
var csvColumns = []string{
	"class_id", "status", "error_kind", "code", "category", "retryable", "overflow",
	"count", "share", "latency_p50_ms", "latency_p90_ms", "latency_p99_ms", "latency_max_ms",
	"pattern", "message",
}

// csvSeriesColumns are the columns of CSVSeries, in order.
var csvSeriesColumns = []string{
	"start", "second", "width_s", "class_id", "class", "count", "latency_p50_ms", "latency_p99_ms",
}

// csvRetryColumns are the columns CSVSeries adds, last, for a run whose
// clients retried.
var csvRetryColumns = []string{"logical", "amplification"}

// CSV writes the classes of a run as an RFC 4180 table (CRLF line ends)
// with a header row and one row per class, most frequent first as in
// Summary.ClassStats:
//
//	class_id,status,error_kind,code,category,retryable,overflow,count,share,
//	latency_p50_ms,latency_p90_ms,latency_p99_ms,latency_max_ms,pattern,message
//
// class_id is the class's number within this run (as in the JSON
// summary), status 0 for a transport failure, error_kind empty when a
// response arrived. share is count / requests with 6 decimals, latencies
// (from the scheduled send) are in milliseconds with 3 decimals, booleans
// true or false. code, pattern and message come from the target's
// responses: a cell a spreadsheet would read as a formula is neutralised
// (csvText).
func CSV(w io.Writer, run analyze.Run) error {
	s := run.Summary
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	for _, st := range s.ClassStats() {
		c := st.Class
		q := analyze.LatencyQuantiles(st.Latency)
		err := cw.Write([]string{
			strconv.FormatUint(uint64(c.ID), 10),
			strconv.Itoa(int(c.Status)),
			c.ErrorKind.String(),
			csvText(c.Code),
			c.Category.String(),
			strconv.FormatBool(c.Retryable),
			strconv.FormatBool(c.Overflow),
			strconv.FormatUint(st.Count, 10),
			strconv.FormatFloat(share(st.Count, s.Requests), 'f', 6, 64),
			csvMs(q.P50), csvMs(q.P90), csvMs(q.P99), csvMs(q.Max),
			csvText(c.Pattern),
			csvText(c.Message),
		})
		if err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CSVSeries writes the run over time as an RFC 4180 table (CRLF line ends)
// with a header row
//
//	start,second,width_s,class_id,class,count,latency_p50_ms,latency_p99_ms
//
// and, for each interval of the summary's timeline, first a row for all
// the attempts (class_id empty, class "all"), then one row per class with
// attempts in it, in the order of CSV, labelled as seriesLabel does
// ("429 rate_limited"). Every interval has its "all" row, an empty one
// included (count 0, latencies empty rather than a misleading 0), so a
// plot shows the gaps.
//
// start is the interval's beginning in RFC 3339 UTC, second its offset in
// whole seconds from the first interval's, width_s its length in seconds
// (1 for runs under an hour; see analyze.Timeline). Attempts are counted
// in the interval in which they were scheduled, so the rows of a class add
// up to its count in CSV. The latency quantiles, in milliseconds, come
// from the timeline's histograms of 2 significant digits: within 1 %.
//
// For a run whose clients retried, two columns follow, csvRetryColumns:
// logical, the first attempts scheduled in the interval (the logical
// requests offered), and amplification, count / logical with 3 decimals
// (empty when logical is 0); both are empty on the rows of a class.
func CSVSeries(w io.Writer, run analyze.Run) error {
	s := run.Summary
	tl := s.Timeline.AtLeast(time.Second)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	retries := retried(run)
	header := csvSeriesColumns
	if retries {
		header = append(slices.Clip(header), csvRetryColumns...)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	stats := s.ClassStats()
	perClass := make([][]analyze.TimePoint, len(stats)) // by position in stats; each ascending in time
	for i, st := range stats {
		perClass[i] = tl.ClassPoints(st.Class.ID)
	}
	labels := make([]string, len(stats))
	for i, st := range stats {
		labels[i] = csvText(seriesLabel(st.Class))
	}
	origin, width := tl.Start(), strconv.FormatInt(int64(tl.Step()/time.Second), 10)
	row := func(p analyze.TimePoint, id, label string) error {
		p50, p99 := "", ""
		if p.Count > 0 {
			p50, p99 = csvMs(p.P50), csvMs(p.P99)
		}
		cells := []string{
			p.Start.UTC().Format(time.RFC3339),
			strconv.FormatInt(int64(p.Start.Sub(origin)/time.Second), 10),
			width, id, label, strconv.FormatUint(p.Count, 10), p50, p99,
		}
		if retries {
			logical, amplification := "", ""
			if id == "" { // the all row: the timeline knows logical requests of all classes only
				logical = strconv.FormatUint(p.Logical, 10)
				if a, ok := intervalAmplification(p); ok {
					amplification = strconv.FormatFloat(a, 'f', 3, 64)
				}
			}
			cells = append(cells, logical, amplification)
		}
		return cw.Write(cells)
	}
	for _, p := range tl.Points() {
		if err := row(p, "", "all"); err != nil {
			return err
		}
		for i, st := range stats {
			// perClass[i] holds the intervals of class i that are left:
			// both lists ascend in time, so its head is this one or later.
			if len(perClass[i]) == 0 || !perClass[i][0].Start.Equal(p.Start) {
				continue
			}
			if err := row(perClass[i][0], strconv.FormatUint(uint64(st.Class.ID), 10), labels[i]); err != nil {
				return err
			}
			perClass[i] = perClass[i][1:]
		}
	}
	cw.Flush()
	return cw.Error()
}

// seriesLabel names a class in a legend: its status or transport failure
// kind, then its error code if it has one: "200", "timeout",
// "429 rate_limited", "500 internal_error".
func seriesLabel(c *classify.Class) string {
	label := classStatus(c)
	if c.Code != "" {
		label += " " + c.Code
	}
	return label
}

// csvMs renders a latency in milliseconds with 3 decimals.
func csvMs(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}

// csvText makes a text cell safe to open in a spreadsheet and to print on
// a terminal: invalid UTF-8 becomes U+FFFD, every control or format
// character but tab and newline becomes a space (csvPrintable), and a cell
// starting with a character that makes Excel, LibreOffice or Google Sheets
// read it as a formula (=, +, -, @, tab, carriage return, after any
// spaces) gets a leading apostrophe, which spreadsheets take as "this is
// text" (OWASP's advice against CSV injection). Quoting commas, quotes and
// newlines is encoding/csv's job.
func csvText(s string) string {
	s = csvPrintable(strings.ToValidUTF8(s, "\uFFFD"))
	if t := strings.TrimLeft(s, " "); t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
		return "'" + s
	}
	return s
}

// csvPrintable replaces with a space every control character (C0, DEL,
// C1) and format character (bidi overrides, zero widths) of s but tab and
// newline, so that no escape sequence of a server's text reaches a
// terminal the table is printed on.
func csvPrintable(s string) string {
	if !strings.ContainsFunc(s, csvUnprintable) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if csvUnprintable(r) {
			return ' '
		}
		return r
	}, s)
}

// csvUnprintable reports whether csvPrintable replaces r.
func csvUnprintable(r rune) bool {
	return r != '\t' && r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r))
}
