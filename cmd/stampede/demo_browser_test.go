package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stampede-dev/stampede/internal/browsertest"
	"github.com/stampede-dev/stampede/reports"
)

// demoCharts are the ids of the HTML report's charts, top down.
var demoCharts = []string{"chart-latency", "chart-percentiles", "chart-classes", "chart-rates"}

// TestDemoReportInBrowser runs the demo, then opens the HTML report it
// rendered from its result file in headless Chromium, and the same
// report rendered again by 'stampede report --format html' from that
// file, which must be byte for byte the same. On each page: no console
// error, exception or dialog, no request but the page, the four charts
// drawn, one row of the classes table per class of summary.json, and a
// screenshot of the full page that is not blank.
// Without Chromium it is skipped, unless STAMPEDE_REQUIRE_BROWSER=1.
func TestDemoReportInBrowser(t *testing.T) {
	browsertest.Need(t)
	dir := filepath.Join(t.TempDir(), "demo")
	code, stdout, stderr := runInProcess(t, "demo", "--duration", "3s", "--dir", dir, "-q")
	if code != 0 {
		t.Fatalf("demo exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	var doc reports.JSONSummary
	data, err := os.ReadFile(filepath.Join(dir, demoJSON))
	if err != nil || json.Unmarshal(data, &doc) != nil {
		t.Fatalf("%s: %v\n%s", demoJSON, err, data)
	}
	if len(doc.Classes) < 10 {
		t.Fatalf("the demo's summary has %d classes; want the demo's many", len(doc.Classes))
	}

	demoHTML := filepath.Join(dir, "report.html")
	again := filepath.Join(t.TempDir(), "again.html")
	code, stdout, stderr = runInProcess(t, "report", "--format", "html", "-o", again, filepath.Join(dir, demoResults))
	if code != 0 || stdout != "" || stderr != "" {
		t.Fatalf("report --format html: exit %d, stdout %q, stderr %q; want 0 and no output", code, stdout, stderr)
	}
	first, err := os.ReadFile(demoHTML)
	if err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Errorf("report --format html of %s differs from the demo's report.html (%d bytes; %d)", demoResults, len(second), len(first))
	}

	t.Run("demo", func(t *testing.T) { checkDemoPage(t, demoHTML, len(doc.Classes)) })
	t.Run("report", func(t *testing.T) { checkDemoPage(t, again, len(doc.Classes)) })
}

// checkDemoPage opens the demo's HTML report at path in a browser and
// checks that it works offline, draws its charts and lists classes
// classes.
func checkDemoPage(t *testing.T, path string, classes int) {
	t.Helper()
	p := browsertest.Open(t, path)
	browsertest.CheckCharts(t, p.Charts(), demoCharts...)
	var view struct {
		Charts string // data-charts: how many charts the script drew
		Rows   int    // of the classes table
	}
	p.Eval(`({
		Charts: document.documentElement.getAttribute("data-charts"),
		Rows: document.querySelectorAll("#classes-table tbody tr").length
	})`, &view)
	if view.Charts != "4" {
		t.Errorf("the script drew %q charts; want 4", view.Charts)
	}
	if view.Rows != classes {
		t.Errorf("the classes table has %d rows; want the %d classes of %s", view.Rows, classes, demoJSON)
	}
	shot := browsertest.CheckScreenshot(t, p.Screenshot())
	if shot.Size.Y <= browsertest.WindowHeight {
		t.Errorf("screenshot is %v; want the full page, taller than the window", shot.Size)
	}
	for _, problem := range p.Problems() {
		t.Errorf("page: %s", problem)
	}
	if got := p.Requests(); !slices.Equal(got, []string{p.URL()}) {
		t.Errorf("requests %q; want only the page, %s", got, p.URL())
	}
}
