package reports

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/attack/results"
)

// Text writes the summary of a run as aligned tables for people.
func Text(w io.Writer, run Run) error {
	s := run.Summary
	tp := &textPrinter{w: w}
	if run.Target != "" {
		tp.printf("Target    %s\n", run.Target)
	}
	if run.Pacer != "" {
		planned := "until interrupted"
		if run.Planned > 0 {
			planned = "for " + run.Planned.String()
		}
		tp.printf("Load      %s %s\n", run.Pacer, planned)
	}
	if run.ResultFile != "" {
		tp.printf("Results   %s (%d records)\n", run.ResultFile, run.Records)
	}
	if run.Interrupted != "" {
		tp.printf("Stopped   by %s", run.Interrupted)
		if run.Unanswered > 0 {
			tp.printf(", %d attempts still unanswered were abandoned", run.Unanswered)
		}
		tp.printf("\n")
	}
	if run.Unsent > 0 {
		tp.printf("Unsent    %d scheduled requests never left: stampede fell more than %s behind its schedule (raise --max-workers or lower the rate)\n", run.Unsent, run.MaxLateness)
	}
	tp.printf("\n")

	tp.table([]string{"Metric", "Value"}, []tw.Align{tw.AlignLeft, tw.AlignRight}, [][]string{
		{"requests", strconv.FormatUint(s.Requests, 10)},
		{"offered rate", FormatRate(s.Rate())},
		{"throughput (successes)", FormatRate(s.Throughput())},
		{"duration", fmt.Sprintf("%.3f s", s.Duration().Seconds())},
		{"success ratio", FormatShare(s.SuccessRatio())},
		{"send delay p99 (stampede's lag)", FormatLatency(analyze.LatencyQuantiles(s.SendDelay).P99)},
		{"bytes in", FormatBytes(s.BytesIn)},
		{"bytes out", FormatBytes(s.BytesOut)},
	})

	tp.printf("\nLatency\n")
	rows := [][]string{latencyRow("from scheduled send", s.Latency)}
	if run.Uncorrected {
		rows = append(rows, latencyRow("from actual send", s.Uncorrected), latencyRow("send delay", s.SendDelay))
	}
	right := []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignRight}
	tp.table([]string{"", "min", "mean", "p50", "p90", "p99", "p99.9", "max"}, right, rows)

	tp.printf("\nStatus codes\n")
	var statusRows [][]string
	for _, code := range s.Statuses() {
		statusRows = append(statusRows, []string{statusText(code), strconv.FormatUint(s.Status[code], 10), FormatShare(float64(s.Status[code]) / float64(s.Requests))})
	}
	if len(statusRows) == 0 {
		statusRows = [][]string{{"(no requests)", "0", FormatShare(0)}}
	}
	tp.table([]string{"Status", "Count", "Share"}, []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight}, statusRows)

	if len(s.Transport) > 0 {
		tp.printf("\nTransport errors\n")
		var rows [][]string
		for _, k := range results.ErrorKinds {
			if n := s.Transport[k]; n > 0 {
				rows = append(rows, []string{k.String(), strconv.FormatUint(n, 10), FormatShare(float64(n) / float64(s.Requests))})
			}
		}
		tp.table([]string{"Kind", "Count", "Share"}, []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight}, rows)
	}
	return tp.err
}

func latencyRow(name string, h *hdrhistogram.Histogram) []string {
	q := analyze.LatencyQuantiles(h)
	return []string{name, FormatLatency(q.Min), FormatLatency(q.Mean), FormatLatency(q.P50), FormatLatency(q.P90), FormatLatency(q.P99), FormatLatency(q.P999), FormatLatency(q.Max)}
}

// statusText renders "200 OK", or "0 (no response)".
func statusText(code uint16) string {
	if code == 0 {
		return "0 (no response)"
	}
	if t := http.StatusText(int(code)); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return strconv.Itoa(int(code))
}

// textPrinter keeps the first write error so the report reads straight.
type textPrinter struct {
	w   io.Writer
	err error
}

func (p *textPrinter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *textPrinter) table(header []string, align []tw.Align, rows [][]string) {
	if p.err != nil {
		return
	}
	t := tablewriter.NewTable(p.w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		p.err = err
		return
	}
	p.err = t.Render()
}
