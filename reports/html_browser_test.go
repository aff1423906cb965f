package reports

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/analyze"
	"github.com/stampede-dev/stampede/internal/browsertest"
)

// statusColumnJS reads the Status column of the classes table, top down.
const statusColumnJS = `Array.from(document.querySelectorAll("#classes-table tbody tr")).map(function (r) { return r.cells[0].textContent.trim(); })`

// legendJS moves the mouse over the middle of the stacked chart of classes
// and reads its legend, one value per class, once uPlot has drawn it.
const legendJS = `new Promise(function (resolve) {
	var over = document.querySelector("#chart-classes .u-over");
	var r = over.getBoundingClientRect();
	over.dispatchEvent(new MouseEvent("mouseenter", {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2}));
	over.dispatchEvent(new MouseEvent("mousemove", {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2}));
	requestAnimationFrame(function () {
		resolve(Array.from(document.querySelectorAll("#chart-classes .legend .cur")).map(function (s) { return s.textContent; }));
	});
})`

// legendTotalsJS reads, without hovering, the value every legend entry
// shows, by chart.
const legendTotalsJS = `Object.fromEntries(Array.from(document.querySelectorAll(".chart[data-chart]")).map(function (c) {
	return [c.id, Array.from(c.querySelectorAll(".legend li button")).map(function (b) {
		var t = b.querySelector(".total");
		return b.querySelector(".label").textContent + "=" + (t ? t.textContent : "");
	})];
}))`

// widthsJS reads the width of every chart's canvas, of its figure and of
// the section of charts, in CSS pixels.
const widthsJS = `Array.from(document.querySelectorAll(".chart[data-chart]")).map(function (c) {
	return [c.querySelector("canvas").getBoundingClientRect().width, c.parentElement.getBoundingClientRect().width,
		document.getElementById("charts").getBoundingClientRect().width];
})`

// TestHTMLInBrowser opens the report of timedRun in headless Chromium, as
// a file, and checks what a reader would see: no error and no exception,
// no request but the page itself, the four charts drawn, the legend of
// the stacked chart showing each class's own count, the classes table
// sorted by a click, a screenshot of the full page that is not blank;
// then the report of a run with retries (its load chart drawn too) and
// the retry-storm comparison (a chart per policy), each with a clean
// console and no request; then the report of htmlHostileRun, checking
// that none of the target's script runs.
// Without Chromium it is skipped, unless STAMPEDE_REQUIRE_BROWSER=1.
func TestHTMLInBrowser(t *testing.T) {
	p := browsertest.New(t)
	dir := t.TempDir()
	write := func(name string, run analyze.Run) string {
		var b bytes.Buffer
		if err := HTML(&b, run); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	run := timedRun(t)
	stats := run.Summary.ClassStats()
	report := write("report.html", run)
	hostile := write("hostile.html", htmlHostileRun(t))

	p.Load(report)
	browsertest.CheckCharts(t, p.Charts(), htmlCharts...)
	var drawn string
	p.Eval(`document.documentElement.getAttribute("data-charts")`, &drawn)
	if drawn != fmt.Sprint(len(htmlCharts)) {
		t.Errorf("the script drew %q charts; want %d", drawn, len(htmlCharts))
	}

	// The legend of the stacked chart shows each class's own rate when
	// hovered: at any interval they add up to the 40 requests a second of
	// the run, where the stacked sums would add up to far more.
	var legend []string
	p.Eval(legendJS, &legend)
	var total float64
	for _, v := range legend {
		var n float64
		if _, err := fmt.Sscanf(v, "%g/s", &n); err != nil {
			t.Errorf("legend value %q is not a rate", v)
		}
		total += n
	}
	t.Logf("legend at the middle of the classes chart: %q", legend)
	if len(legend) != 8 || math.Abs(total-40) > 0.1 {
		t.Errorf("legend of the classes chart %q adds up to %v/s; want 7 rates and the hidden classes' adding up to 40/s", legend, total)
	}

	// Without hovering, every legend entry of every chart over time has a
	// value; the classes' counts add up to the run's 1200 requests.
	var totals map[string][]string
	p.Eval(legendTotalsJS, &totals)
	for _, id := range htmlCharts {
		if len(totals[id]) == 0 {
			t.Errorf("chart %s has no legend", id)
		}
		for _, entry := range totals[id] {
			if strings.HasSuffix(entry, "=") {
				t.Errorf("chart %s: legend entry %q shows no value without hovering", id, entry)
			}
		}
	}
	var classes float64
	for _, entry := range totals["chart-classes"] {
		var n float64
		if _, err := fmt.Sscan(entry[strings.LastIndex(entry, "=")+1:], &n); err == nil {
			classes += n
		}
	}
	if classes != 1200 {
		t.Errorf("the classes' legend %q adds up to %v; want 1200", totals["chart-classes"], classes)
	}

	// A click on a class's legend entry hides it: it leaves the stack
	// for the hidden classes' sum, so the stack is still every response.
	p.Click("#chart-classes .legend li:first-child button")
	var hidden []string
	p.Eval(`[document.querySelector("#chart-classes .legend li:first-child button").getAttribute("aria-pressed"),
		Array.from(document.querySelectorAll("#chart-classes .legend .total")).pop().textContent]`, &hidden)
	if want := []string{"false", fmt.Sprintf("%d (%.2f %%)", stats[0].Count, 100*float64(stats[0].Count)/1200)}; !slices.Equal(hidden, want) {
		t.Errorf("after hiding the first class: pressed, hidden sum = %q; want %q", hidden, want)
	}
	p.Click("#chart-classes .legend li:first-child button")

	// Sorting: by status (A to Z, numbers in order), then by count (most
	// first, as it starts), then by count reversed.
	var before []string
	p.Eval(statusColumnJS, &before)
	byCount := []string{"200", "429", "connection_refused", "500", "503", "timeout", "401"}
	if !slices.Equal(before, byCount) {
		t.Errorf("classes table starts as %q; want %q", before, byCount)
	}
	for _, step := range []struct {
		column int
		want   []string
	}{
		{1, []string{"connection_refused", "timeout", "200", "401", "429", "500", "503"}},
		{5, byCount},
		{5, []string{"401", "timeout", "503", "500", "connection_refused", "429", "200"}},
	} {
		p.Click(fmt.Sprintf("#classes-table thead th:nth-child(%d) button", step.column))
		var got []string
		p.Eval(statusColumnJS, &got)
		if !slices.Equal(got, step.want) {
			t.Errorf("after a click on column %d the table is %q; want %q", step.column, got, step.want)
		}
	}

	shot := browsertest.CheckScreenshot(t, p.Screenshot())
	if shot.Size.Y < 1500 {
		t.Errorf("screenshot is %v; want the full page, taller than the window", shot.Size)
	}

	// The charts fill the width of their figures, two side by side, at
	// every window from 1024 pixels: after a resize, and when loaded so.
	for _, width := range []int{1024, 1400} {
		for _, reload := range []bool{false, true} {
			p.Resize(width, browsertest.WindowHeight)
			if reload {
				p.Load(report)
			}
			p.Eval(`new Promise(function (resolve) { setTimeout(resolve, 400); })`, nil) // the page redraws 150 ms after a resize
			var widths [][3]float64
			p.Eval(widthsJS, &widths)
			for i, w := range widths {
				if w[0] < w[1]-2 || w[0] > w[1]+2 || w[0] < w[2]/2-20 {
					t.Errorf("at %d px (reloaded %v), chart %s is %v px wide in a figure of %v px, in a section of %v px; want it to fill the figure, half the section at least",
						width, reload, htmlCharts[i], w[0], w[1], w[2])
				}
			}
		}
	}

	for _, problem := range p.Problems() {
		t.Errorf("report: %s", problem)
	}
	if got := p.Requests(); !slices.Equal(got, []string{p.URL()}) {
		t.Errorf("requests %q; want only the page, %s", got, p.URL())
	}

	// The page of a run whose clients retried: the load chart is drawn
	// first, then the four of every page.
	retries := write("retries.html", retryRun(t))
	p.Load(retries)
	browsertest.CheckCharts(t, p.Charts(), append([]string{"chart-load"}, htmlCharts...)...)
	for _, problem := range p.Problems() {
		t.Errorf("retries report: %s", problem)
	}
	if got := p.Requests(); !slices.Equal(got, []string{p.URL()}) {
		t.Errorf("retries report: requests %q; want only the page", got)
	}

	// The comparison: one chart per policy, on one scale.
	cmp := retryComparison(t)
	var page bytes.Buffer
	if err := CompareHTML(&page, cmp); err != nil {
		t.Fatal(err)
	}
	comparison := filepath.Join(dir, "compare.html")
	if err := os.WriteFile(comparison, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p.Load(comparison)
	var ids []string
	for i := range cmp.Runs {
		ids = append(ids, fmt.Sprintf("chart-load-%d", i))
	}
	browsertest.CheckCharts(t, p.Charts(), ids...)
	for _, problem := range p.Problems() {
		t.Errorf("comparison: %s", problem)
	}
	if got := p.Requests(); !slices.Equal(got, []string{p.URL()}) {
		t.Errorf("comparison: requests %q; want only the page", got)
	}
	browsertest.CheckScreenshot(t, p.Screenshot())

	// The hostile page: the target's markup is text, its script never
	// runs (no dialog), and the page works as the other.
	p.Load(hostile)
	type hostileView struct {
		Scripts, Images, Charts int
		Message                 string
	}
	var view hostileView
	p.Eval(`({
		Scripts: document.scripts.length,
		Images: document.images.length,
		Charts: Number(document.documentElement.getAttribute("data-charts")),
		Message: Array.from(document.querySelectorAll("#classes-table td.msg")).map(function (td) { return td.firstChild.textContent.trim(); }).find(function (m) { return m.indexOf("alert(1)") >= 0; }) || ""
	})`, &view)
	if view.Scripts != 3 || view.Images != 0 || view.Charts != len(htmlCharts) || view.Message != htmlHostileMessage {
		t.Errorf("hostile page: %+v; want 3 scripts, no image, %d charts and the message %q as text", view, len(htmlCharts), htmlHostileMessage)
	}
	for _, problem := range p.Problems() {
		t.Errorf("hostile report: %s", problem)
	}
	if got := p.Requests(); !slices.Equal(got, []string{p.URL()}) {
		t.Errorf("hostile report: requests %q; want only the page", got)
	}
}
