package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/internal/golden"
)

// comparePolicies are the policies of retryComparison, in order.
var comparePolicies = []retryPolicy{policyNone, policyImmediate, policyBackoff}

// compareWant are the figures of one policy's row, computed from its
// records: amplification of the attempts per logical request, eventual
// success and give-ups of the logical requests, 429s of the attempts.
func compareWant(p retryPolicy) []string {
	c := countRetries(p)
	return []string{
		p.name,
		fmt.Sprintf("%.2f×", float64(c.attempts)/float64(c.logical)),
		fmt.Sprintf("%.2f %%", 100*float64(c.succeeded)/float64(c.logical)),
		fmt.Sprintf("%.2f %%", 100*float64(c.gaveUp)/float64(c.logical)),
		fmt.Sprintf("%.2f %%", 100*float64(c.status429)/float64(c.attempts)),
	}
}

// compareCells picks the cells compareWant checks out of a row of
// compareHeader's columns.
func compareCells(row []string) []string {
	return []string{row[0], row[2], row[3], row[4], row[5]}
}

func TestCompareText(t *testing.T) {
	out := renderFormat(t, func(b *bytes.Buffer) error { return CompareText(b, retryComparison(t)) })
	golden.Check(t, "txt", out)
	for _, p := range comparePolicies {
		var cells []string
		for _, c := range strings.Split(textRow(string(out), p.name), "│") {
			if c = strings.TrimSpace(c); c != "" {
				cells = append(cells, c)
			}
		}
		if len(cells) != len(compareHeader) || strings.Join(compareCells(cells), ",") != strings.Join(compareWant(p), ",") {
			t.Errorf("row of %s: %q; want %q", p.name, cells, compareWant(p))
		}
	}
}

func TestCompareMarkdown(t *testing.T) {
	out := renderFormat(t, func(b *bytes.Buffer) error { return CompareMarkdown(b, retryComparison(t)) })
	golden.Check(t, "md", out)
	checkMarkdownTables(t, out)
	for _, p := range comparePolicies {
		want := compareWant(p)
		if !strings.Contains(string(out), "| "+p.name+" | ") || !strings.Contains(string(out), " | "+strings.Join(want[1:], " | ")+" | ") {
			t.Errorf("Markdown lacks the row %q", want)
		}
	}
}

func TestCompareJSON(t *testing.T) {
	cmp := retryComparison(t)
	out := renderFormat(t, func(b *bytes.Buffer) error { return CompareJSON(b, cmp) })
	golden.Check(t, "json", out)
	var doc JSONComparison
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "stampede/compare-retry/v1" || len(doc.Policies) != len(comparePolicies) || doc.Target == "" {
		t.Fatalf("schema %q, %d policies, target %q", doc.Schema, len(doc.Policies), doc.Target)
	}
	for i, p := range comparePolicies {
		got, c := doc.Policies[i], countRetries(p)
		if got.Policy != p.name || int(got.LogicalRequests) != c.logical || int(got.Attempts) != c.attempts ||
			got.Amplification != round(float64(c.attempts)/float64(c.logical), 6) ||
			got.EventualSuccessRatio != round(float64(c.succeeded)/float64(c.logical), 6) ||
			got.Share429 != round(float64(c.status429)/float64(c.attempts), 6) {
			t.Errorf("policy %d: %+v; the records count %+v", i, got, c)
		}
		// The policy's retries object is the one of its run's summary.
		gotJSON, _ := json.Marshal(got.Retries)
		wantJSON, _ := json.Marshal(NewJSONRetries(cmp.Runs[i].Run))
		if want := NewJSONRetries(cmp.Runs[i].Run); !bytes.Equal(gotJSON, wantJSON) {
			t.Errorf("policy %s: retries %+v; want the run's %+v", p.name, got.Retries, want)
		}
	}
}

// TestCompareHTML checks the comparison's page: the table, one chart per
// policy and the chart data, on one scale.
func TestCompareHTML(t *testing.T) {
	cmp := retryComparison(t)
	page := string(renderFormat(t, func(b *bytes.Buffer) error { return CompareHTML(b, cmp) }))
	doc := htmlParse(t, page)
	table := htmlByID(doc, "compare-table")
	if table == nil {
		t.Fatal("no comparison table")
	}
	rows := htmlFindAll(table, func(n *html.Node) bool { return n.Data == "tr" && n.Parent.Data == "tbody" })
	if len(rows) != len(comparePolicies) {
		t.Fatalf("%d rows; want %d", len(rows), len(comparePolicies))
	}
	for i, p := range comparePolicies {
		var cells []string
		for _, c := range htmlFindAll(rows[i], func(n *html.Node) bool { return n.Data == "td" || n.Data == "th" }) {
			cells = append(cells, htmlText(c))
		}
		if strings.Join(compareCells(cells), ",") != strings.Join(compareWant(p), ",") {
			t.Errorf("row %d: %q; want %q", i, cells, compareWant(p))
		}
		if htmlByID(doc, fmt.Sprintf("chart-load-%d", i)) == nil {
			t.Errorf("no chart of policy %s", p.name)
		}
	}
	for _, re := range []string{"http://", "https://"} {
		if strings.Contains(strings.ReplaceAll(page, "http://127.0.0.1:8080/v1/items", ""), "src=\""+re) {
			t.Errorf("page loads %s", re)
		}
	}
	var b bytes.Buffer
	if err := json.Indent(&b, bytes.TrimSpace(htmlChartData(t, doc)), "", "  "); err != nil {
		t.Fatal(err)
	}
	b.WriteByte('\n')
	golden.Check(t, "json", b.Bytes())
	var data struct {
		Elapsed bool    `json:"elapsed"`
		LoadMax float64 `json:"load_max"`
	}
	if err := json.Unmarshal(b.Bytes(), &data); err != nil || !data.Elapsed || data.LoadMax <= 20 {
		t.Errorf("chart data: elapsed %v, load_max %v (%v); want elapsed seconds and one scale above the offered 20/s", data.Elapsed, data.LoadMax, err)
	}
}

func TestRenderComparison(t *testing.T) {
	cmp := retryComparison(t)
	for _, f := range ComparisonFormats {
		if out := renderFormat(t, func(b *bytes.Buffer) error { return RenderComparison(b, f, cmp) }); len(out) == 0 {
			t.Errorf("%s: empty", f)
		}
	}
	if err := RenderComparison(&bytes.Buffer{}, "csv", cmp); err == nil || !strings.Contains(err.Error(), "text, json, markdown, html") {
		t.Errorf("csv: %v; want an error naming the formats", err)
	}
	empty := analyze.Comparison{}
	for _, f := range ComparisonFormats {
		if err := RenderComparison(&bytes.Buffer{}, f, empty); err != nil {
			t.Errorf("%s of no policy: %v", f, err)
		}
	}
}
