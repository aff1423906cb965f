package reports

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// browserFlags keep Chromium offline and quiet: no background fetches,
// no component or safe-browsing updates, no QUIC, and every host name
// unresolvable, so that a page that tried to load something could not.
// The browser talks to chromedp over a pipe: no port is opened.
var browserFlags = []chromedp.ExecAllocatorOption{
	chromedp.ExecPath(chromiumPath),
	chromedp.Headless,
	chromedp.NoSandbox,
	chromedp.DisableGPU,
	chromedp.NoFirstRun,
	chromedp.NoDefaultBrowserCheck,
	chromedp.Flag("disable-quic", true),
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-default-apps", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.Flag("disable-breakpad", true),
	chromedp.Flag("disable-client-side-phishing-detection", true),
	chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
	chromedp.Flag("safebrowsing-disable-auto-update", true),
	chromedp.Flag("metrics-recording-only", true),
	chromedp.Flag("no-proxy-server", true),
	chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
	chromedp.Flag("password-store", "basic"),
	chromedp.Flag("use-mock-keychain", true),
	chromedp.Flag("force-color-profile", "srgb"),
	chromedp.WindowSize(1400, 1000),
}

// pageEvents collects what a page did that a report must not do: console
// errors, uncaught exceptions, error log entries, dialogs, and every
// network request.
type pageEvents struct {
	mu       sync.Mutex
	problems []string
	requests []string
}

// listen records one event; chromedp calls it in the tab's message loop.
func (e *pageEvents) listen(ev any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, fmt.Sprintf("%s %s", a.Description, a.Value))
			}
			e.problems = append(e.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		e.problems = append(e.problems, fmt.Sprintf("uncaught exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, msg))
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			e.problems = append(e.problems, fmt.Sprintf("log %s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *page.EventJavascriptDialogOpening:
		e.problems = append(e.problems, fmt.Sprintf("a %s dialog opened: %q", ev.Type, ev.Message))
	case *network.EventRequestWillBeSent:
		e.requests = append(e.requests, ev.Request.URL)
	}
}

// take returns and forgets what was collected.
func (e *pageEvents) take() (problems, requests []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	problems, requests = e.problems, e.requests
	e.problems, e.requests = nil, nil
	return problems, requests
}

// chartPixels is what the page reports of one chart's canvas.
type chartPixels struct {
	ID       string `json:"id"`
	Canvas   bool   `json:"canvas"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Painted  int    `json:"painted"`  // pixels not transparent
	Coloured int    `json:"coloured"` // of them, saturated ones: the series (axes and grid are grey)
}

// countPixelsJS reads the canvas of every chart container.
const countPixelsJS = `Array.from(document.querySelectorAll(".chart[data-chart]")).map(function (el) {
	var c = el.querySelector("canvas");
	if (!c) return {id: el.id, canvas: false};
	var d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
	var painted = 0, coloured = 0;
	for (var i = 0; i < d.length; i += 4) {
		if (d[i + 3] === 0) continue;
		painted++;
		if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) coloured++;
	}
	return {id: el.id, canvas: true, width: c.width, height: c.height, painted: painted, coloured: coloured};
})`

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
		resolve(Array.from(document.querySelectorAll("#chart-classes .u-legend .u-series")).slice(1).map(function (s) {
			return s.querySelector(".u-value").textContent;
		}));
	});
})`

// TestHTMLInBrowser opens the report of timedRun in headless Chromium, as
// a file, and checks what a reader would see: no error and no exception,
// no request but the page itself, the four charts drawn, the legend of
// the stacked chart showing each class's own count, the classes table
// sorted by a click, a screenshot that is not blank; then opens the
// report of htmlHostileRun and checks that none of the target's script
// runs.
// Without Chromium it is skipped, unless STAMPEDE_REQUIRE_BROWSER=1.
func TestHTMLInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("STAMPEDE_REQUIRE_BROWSER") == "1" {
			t.Fatalf("STAMPEDE_REQUIRE_BROWSER=1 but there is no browser: %v (apt-get install chromium)", err)
		}
		t.Skipf("no browser: %v (apt-get install chromium, or set STAMPEDE_REQUIRE_BROWSER=1 to fail instead)", err)
	}
	dir := t.TempDir()
	write := func(name string, run Run) string {
		var b bytes.Buffer
		if err := HTML(&b, run); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return (&url.URL{Scheme: "file", Path: path}).String()
	}
	reportURL := write("report.html", timedRun(t))
	hostileURL := write("hostile.html", htmlHostileRun(t))

	profile := filepath.Join(dir, "profile")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(slices.Clone(browserFlags), chromedp.UserDataDir(profile))...)
	defer cancelAlloc()
	events := &pageEvents{}
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(events.listen))
	defer cancelTab()
	defer func() {
		// Close the browser gracefully and wait for it, then make sure
		// none of its processes is left.
		if err := chromedp.Cancel(tab); err != nil {
			t.Logf("closing the browser: %v", err)
		}
		cancelTab()
		cancelAlloc()
		checkNoBrowserLeft(t, profile)
	}()

	// An alert blocks the page: dismiss any, the listener has noted it.
	dialogs := chromedp.Events(tab, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()

	if err := chromedp.Do(tab, chromedp.Navigate(reportURL)); err != nil {
		t.Fatalf("opening the report: %v", err)
	}
	charts, err := chromedp.Run(tab, chromedp.Evaluate[[]chartPixels](countPixelsJS))
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != len(htmlCharts) {
		t.Errorf("%d charts; want %d", len(charts), len(htmlCharts))
	}
	for i, c := range charts {
		if i < len(htmlCharts) && c.ID != htmlCharts[i] {
			t.Errorf("chart %d is #%s; want #%s", i, c.ID, htmlCharts[i])
		}
		switch {
		case !c.Canvas:
			t.Errorf("chart #%s has no canvas", c.ID)
		case c.Width < 300 || c.Height < 200:
			t.Errorf("chart #%s is %d×%d pixels; want at least 300×200", c.ID, c.Width, c.Height)
		case c.Coloured < 500 || c.Painted < c.Width*c.Height/100:
			t.Errorf("chart #%s has %d painted pixels, %d in colour: no series drawn", c.ID, c.Painted, c.Coloured)
		}
	}
	drawn, err := chromedp.Run(tab, chromedp.Evaluate[string](`document.documentElement.getAttribute("data-charts")`))
	if err != nil || drawn != fmt.Sprint(len(htmlCharts)) {
		t.Errorf("the script drew %q charts (%v); want %d", drawn, err, len(htmlCharts))
	}

	// The legend of the stacked chart shows each class's own count: at
	// any interval they add up to the 40 requests of the interval, where
	// the stacked sums would add up to far more.
	legend, err := chromedp.Run(tab, chromedp.Evaluate[[]string](legendJS, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, v := range legend {
		var n float64
		if _, err := fmt.Sscan(v, &n); err != nil {
			t.Errorf("legend value %q is not a count", v)
		}
		total += n
	}
	t.Logf("legend at the middle of the classes chart: %q", legend)
	if len(legend) != 7 || total != 40 {
		t.Errorf("legend of the classes chart %q adds up to %v; want 7 counts adding up to 40", legend, total)
	}

	// Sorting: by status (A to Z, numbers in order), then by count (most
	// first, as it starts), then by count reversed.
	before, err := chromedp.Run(tab, chromedp.Evaluate[[]string](statusColumnJS))
	if err != nil {
		t.Fatal(err)
	}
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
		sel := fmt.Sprintf("#classes-table thead th:nth-child(%d) button", step.column)
		if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(sel))); err != nil {
			t.Fatalf("clicking %s: %v", sel, err)
		}
		got, err := chromedp.Run(tab, chromedp.Evaluate[[]string](statusColumnJS))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, step.want) {
			t.Errorf("after a click on column %d the table is %q; want %q", step.column, got, step.want)
		}
	}

	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	checkScreenshot(t, shot)

	problems, requests := events.take()
	for _, p := range problems {
		t.Errorf("report: %s", p)
	}
	if !slices.Equal(requests, []string{reportURL}) {
		t.Errorf("requests %q; want only the page, %s", requests, reportURL)
	}

	// The hostile page: the target's markup is text, its script never
	// runs (no dialog), and the page works as the other.
	if err := chromedp.Do(tab, chromedp.Navigate(hostileURL)); err != nil {
		t.Fatalf("opening the hostile report: %v", err)
	}
	type hostileView struct {
		Scripts, Images, Charts int
		Message                 string
	}
	view, err := chromedp.Run(tab, chromedp.Evaluate[hostileView](`({
		Scripts: document.scripts.length,
		Images: document.images.length,
		Charts: Number(document.documentElement.getAttribute("data-charts")),
		Message: Array.from(document.querySelectorAll("#classes-table td.msg")).map(function (td) { return td.firstChild.textContent.trim(); }).find(function (m) { return m.indexOf("alert(1)") >= 0; }) || ""
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if view.Scripts != 3 || view.Images != 0 || view.Charts != len(htmlCharts) || view.Message != htmlHostileMessage {
		t.Errorf("hostile page: %+v; want 3 scripts, no image, %d charts and the message %q as text", view, len(htmlCharts), htmlHostileMessage)
	}
	problems, requests = events.take()
	for _, p := range problems {
		t.Errorf("hostile report: %s", p)
	}
	if !slices.Equal(requests, []string{hostileURL}) {
		t.Errorf("hostile report: requests %q; want only the page", requests)
	}
}

// checkScreenshot checks that a screenshot is a PNG of a page with
// something on it: many colours (charts) and not mostly white.
func checkScreenshot(t *testing.T, shot []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	colours := map[[3]uint32]bool{}
	var ink int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r>>8 < 250 || g>>8 < 250 || bl>>8 < 250 {
				ink++
			}
		}
	}
	share := float64(ink) / float64(b.Dx()*b.Dy())
	if len(colours) <= 50 || share <= 0.05 {
		t.Errorf("screenshot of %v: %d colours, %.1f %% not white; want > 50 and > 5 %%", b.Size(), len(colours), 100*share)
	}
	if b.Dy() < 1500 {
		t.Errorf("screenshot is %v; want the full page, taller than the window", b.Size())
	}
	if testing.Verbose() {
		t.Logf("screenshot %v, %d colours, %.1f %% not white", b.Size(), len(colours), 100*share)
	}
}

// checkNoBrowserLeft fails the test if a process started with the
// profile directory is still running a few seconds after the browser
// closed. It reads /proc, so it checks only on Linux.
func checkNoBrowserLeft(t *testing.T, profile string) {
	t.Helper()
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		return
	}
	var left []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		left = left[:0]
		procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range procs {
			b, err := os.ReadFile(p)
			if err == nil && bytes.Contains(b, []byte(profile)) {
				left = append(left, filepath.Base(filepath.Dir(p)))
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("browser processes still running: %v", left)
	}
}
