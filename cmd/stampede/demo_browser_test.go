package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/internal/browsertest"
	"github.com/stampede-dev/stampede/reports"
)

// demoCharts are the ids of the HTML report's charts, top down.
var demoCharts = []string{"chart-families", "chart-errors", "chart-classes", "chart-latency", "chart-percentiles", "chart-scatter", "chart-rates", "chart-in-flight"}

// TestDemoReportInBrowser runs the demo, then opens the HTML report it
// rendered from its result file in headless Chromium, and the same
// report rendered again by 'stampede report --format html' from that
// file, which must be byte for byte the same. On each page: no console
// error, exception or dialog, no request but the page, every chart
// drawn, one row of the classes table and one legend entry of the chart
// of classes per class of summary.json, the outage of Mira Verify in
// view without hovering (its 503 classes shown, a peak of server errors
// on the chart of errors), and a screenshot of the full page that is not
// blank.
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
		Charts  string   // data-charts: how many charts the script drew
		Rows    int      // of the classes table
		Legend  int      // entries of the legend of the chart of classes
		Shown   []string // of them, the 503 classes shown
		Faults  string   // the legend of the server errors on the chart of errors
		Shares  []float64
		Classes []string // the legend of the chart of classes, as read
	}
	p.Eval(`(function () {
		var data = JSON.parse(document.getElementById("report-data").textContent);
		var entries = Array.from(document.querySelectorAll("#chart-classes .legend li button"));
		return {
			Charts: document.documentElement.getAttribute("data-charts"),
			Rows: document.querySelectorAll("#classes-table tbody tr").length,
			Legend: entries.length,
			Shown: entries.filter(function (b) { return b.getAttribute("aria-pressed") === "true" && b.querySelector(".label").textContent.indexOf("503") === 0; })
				.map(function (b) { return b.querySelector(".label").textContent; }),
			Faults: document.querySelectorAll("#chart-errors .legend .total")[1].textContent,
			Shares: data.errors.series[1].values.filter(function (v) { return v != null; }),
			Classes: entries.map(function (b) { return b.textContent; })
		};
	})()`, &view)
	if view.Charts != strconv.Itoa(len(demoCharts)) {
		t.Errorf("the script drew %q charts; want %d", view.Charts, len(demoCharts))
	}
	if view.Rows != classes || view.Legend != classes+1 {
		t.Errorf("the classes table has %d rows, the legend %d entries; want the %d classes of %s (and their hidden sum)", view.Rows, view.Legend, classes, demoJSON)
	}
	if len(view.Shown) == 0 {
		t.Errorf("no 503 class shown on the chart of classes; legend %q", view.Classes)
	}
	if peak := slices.Max(view.Shares); peak < 20 || !strings.HasSuffix(view.Faults, "% overall") {
		t.Errorf("server errors peak at %v %% of an interval (legend %q); want the outage's 20 %% or more", peak, view.Faults)
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
