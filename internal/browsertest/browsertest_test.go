package browsertest

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestMissing(t *testing.T) {
	there := filepath.Join(t.TempDir(), "chromium")
	if err := os.WriteFile(there, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	absent := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		name     string
		path     string
		require  bool
		wantMsg  string
		wantFail bool
	}{
		{"present", there, false, "", false},
		{"present, required", there, true, "", false},
		{"absent: skip", absent, false, "no browser: stat " + absent + ": no such file or directory (apt-get install chromium, or set STAMPEDE_REQUIRE_BROWSER=1 to fail instead)", false},
		{"absent, required: fail", absent, true, "STAMPEDE_REQUIRE_BROWSER=1 but there is no browser: stat " + absent + ": no such file or directory (apt-get install chromium)", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, fail := missing(tc.path, tc.require)
			if msg != tc.wantMsg || fail != tc.wantFail {
				t.Errorf("missing(%q, %v) = %q, %v; want %q, %v", tc.path, tc.require, msg, fail, tc.wantMsg, tc.wantFail)
			}
		})
	}
}

func TestChartProblem(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chart Chart
		want  string
	}{
		{"drawn", Chart{ID: "a", Canvas: true, Width: 400, Height: 250, Painted: 1000, Coloured: 500}, ""},
		{"no canvas", Chart{ID: "a"}, "chart #a has no canvas"},
		{"too narrow", Chart{ID: "a", Canvas: true, Width: 299, Height: 250, Painted: 1000, Coloured: 1000}, "chart #a is 299×250 pixels; want at least 300×200"},
		{"too low", Chart{ID: "a", Canvas: true, Width: 400, Height: 199, Painted: 1000, Coloured: 1000}, "chart #a is 400×199 pixels; want at least 300×200"},
		{"grey only", Chart{ID: "a", Canvas: true, Width: 400, Height: 250, Painted: 5000, Coloured: 499}, "chart #a has 5000 painted pixels, 499 in colour: no series drawn"},
		{"under 1 % painted", Chart{ID: "a", Canvas: true, Width: 400, Height: 250, Painted: 999, Coloured: 999}, "chart #a has 999 painted pixels, 999 in colour: no series drawn"},
	} {
		if got := tc.chart.Problem(); got != tc.want {
			t.Errorf("%s: %+v.Problem() = %q; want %q", tc.name, tc.chart, got, tc.want)
		}
	}
}

// encode makes a w×h PNG with the colour of each pixel from at.
func encode(t *testing.T, w, h int, at func(x, y int) color.Color) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, at(x, y))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestMeasure(t *testing.T) {
	white := func(x, y int) color.Color { return color.White }
	// 100 columns of different blues over the left 20 %.
	stripes := func(x, y int) color.Color {
		if x < 100 {
			return color.RGBA{0, 0, uint8(x), 255}
		}
		return color.White
	}
	// Grey text on white: many pixels not white, but only 2 colours.
	grey := func(x, y int) color.Color {
		if y%2 == 0 {
			return color.Gray{128}
		}
		return color.White
	}
	for _, tc := range []struct {
		name  string
		png   []byte
		want  Shot
		blank bool
	}{
		{"white", encode(t, 500, 400, white), Shot{image.Pt(500, 400), 1, 0}, true},
		{"stripes", encode(t, 500, 400, stripes), Shot{image.Pt(500, 400), 101, 0.2}, false},
		{"grey", encode(t, 500, 400, grey), Shot{image.Pt(500, 400), 2, 0.5}, true},
	} {
		got, err := Measure(tc.png)
		if err != nil || got != tc.want {
			t.Errorf("%s: Measure = %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
		if b := got.Blank(); (b != "") != tc.blank {
			t.Errorf("%s: Blank() = %q; want blank %v", tc.name, b, tc.blank)
		}
	}
	if _, err := Measure([]byte("not a png")); err == nil {
		t.Error("Measure(not a png): no error")
	}
}

// TestWaitGone checks that the leftover check finds a process by the
// marker in its environment alone, and sees it go.
func TestWaitGone(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc")
	}
	profile := filepath.Join(t.TempDir(), "profile")
	cmd := exec.Command("sleep", "60")
	cmd.Env = append(os.Environ(), markerEnv+"="+profile)
	if err := cmd.Start(); err != nil {
		t.Skipf("starting sleep: %v", err)
	}
	defer cmd.Process.Kill()
	// Until sleep has been exec'ed, its environment is the parent's copy,
	// without the marker: look again for up to 5 s.
	left := waitGone(profile, 0)
	for deadline := time.Now().Add(5 * time.Second); len(left) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		left = waitGone(profile, 0)
	}
	if len(left) != 1 || !strings.HasPrefix(left[0], strconv.Itoa(cmd.Process.Pid)+" ") {
		t.Errorf("waitGone with sleep %d running = %q; want it", cmd.Process.Pid, left)
	}
	if left := waitGone(profile+"2", 0); len(left) != 0 {
		t.Errorf("waitGone of another profile = %q; want none", left)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if left := waitGone(profile, 5*time.Second); len(left) != 0 {
		t.Errorf("waitGone after sleep ended = %q; want none", left)
	}
}

// troublePage does what a page must not do, during its load: it logs an
// error, throws, opens an alert and loads a missing image. It draws one
// chart in colour, one in grey, and has one chart without a canvas.
const troublePage = `<!doctype html>
<html><head><meta charset="utf-8"><title>trouble</title></head>
<body style="margin:0">
<div class="chart" id="colour" data-chart="x"><canvas width="400" height="250"></canvas></div>
<div class="chart" id="grey" data-chart="x"><canvas width="400" height="250"></canvas></div>
<div class="chart" id="none" data-chart="x"></div>
<div class="chart" id="not-a-chart"><canvas width="400" height="250"></canvas></div>
<button id="b" onclick="document.body.setAttribute('data-clicks', String(Number(document.body.getAttribute('data-clicks') || 0) + 1))">click</button>
<img src="missing.png">
<script>
var c = document.querySelector("#colour canvas").getContext("2d");
var g = c.createLinearGradient(0, 0, 400, 0);
g.addColorStop(0, "#e00000");
g.addColorStop(1, "#0000e0");
c.fillStyle = g;
c.fillRect(0, 0, 400, 250);
var grey = document.querySelector("#grey canvas").getContext("2d");
grey.fillStyle = "#808080";
grey.fillRect(0, 0, 400, 250);
console.error("broken", 42);
alert("hello");
</script>
<script>throw new Error("boom");</script>
</body></html>`

// cleanPage does nothing wrong.
const cleanPage = `<!doctype html><html><head><meta charset="utf-8"><title>clean</title></head><body><p>fine</p></body></html>`

// TestPageInBrowser opens a page that misbehaves and checks that the
// Page sees every problem and request, measures its charts, clicks and
// evaluates; then opens a clean page and checks that the first page's
// problems are forgotten. The cleanup checks that no browser process is
// left.
func TestPageInBrowser(t *testing.T) {
	p := New(t)
	dir := t.TempDir()
	trouble, clean := filepath.Join(dir, "trouble.html"), filepath.Join(dir, "clean.html")
	for path, page := range map[string]string{trouble: troublePage, clean: cleanPage} {
		if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	p.Load(trouble)
	if want := "file://" + trouble; p.URL() != want {
		t.Errorf("URL() = %q; want %q", p.URL(), want)
	}
	got := strings.Join(p.Problems(), "\n")
	for _, want := range []string{
		`console.error: broken 42`,
		`a alert dialog opened: "hello"`,
		`uncaught exception at 22:14: Uncaught Error: boom`,
		`log network: Failed to load resource: net::ERR_FILE_NOT_FOUND file://` + filepath.Join(dir, "missing.png"),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems lack %q:\n%s", want, got)
		}
	}
	if n := len(p.Problems()); n != 4 {
		t.Errorf("%d problems; want 4:\n%s", n, got)
	}
	if got, want := p.Requests(), []string{p.URL(), "file://" + filepath.Join(dir, "missing.png")}; !slices.Equal(got, want) {
		t.Errorf("Requests() = %q; want %q", got, want)
	}

	charts := p.Charts()
	want := []Chart{
		{ID: "colour", Canvas: true, Width: 400, Height: 250, Painted: 400 * 250, Coloured: 400 * 250},
		{ID: "grey", Canvas: true, Width: 400, Height: 250, Painted: 400 * 250},
		{ID: "none"},
	}
	if !slices.Equal(charts, want) {
		t.Errorf("Charts() = %+v; want %+v", charts, want)
	}
	if charts[0].Problem() != "" || charts[1].Problem() == "" || charts[2].Problem() == "" {
		t.Errorf("chart problems %q, %q, %q; want only the last two", charts[0].Problem(), charts[1].Problem(), charts[2].Problem())
	}

	p.Click("#b")
	p.Click("#b")
	var clicks string
	p.Eval(`document.body.getAttribute("data-clicks")`, &clicks)
	var sum int
	p.Eval(`new Promise(function (resolve) { setTimeout(function () { resolve(1 + 2); }, 10); })`, &sum)
	if clicks != "2" || sum != 3 {
		t.Errorf("after two clicks data-clicks = %q, promise = %d; want 2 and 3", clicks, sum)
	}
	p.Eval(`document.title = "changed"`, nil)

	shot, err := Measure(p.Screenshot())
	if err != nil || shot.Size.X != WindowWidth || shot.Blank() != "" {
		t.Errorf("screenshot: %v, %v; want %d pixels wide, not blank", shot, err, WindowWidth)
	}
	if _, err := os.Stat(filepath.Join(t.ArtifactDir(), "screenshot-1.png")); err != nil {
		t.Errorf("screenshot not kept: %v", err)
	}

	p.Load(clean)
	if got := p.Problems(); len(got) != 0 {
		t.Errorf("clean page: problems %q; want none", got)
	}
	if got := p.Requests(); !slices.Equal(got, []string{p.URL()}) {
		t.Errorf("clean page: requests %q; want only the page", got)
	}
	if got := p.Charts(); len(got) != 0 {
		t.Errorf("clean page: charts %+v; want none", got)
	}
	blank, err := Measure(p.Screenshot())
	if err != nil || blank.Blank() == "" {
		t.Errorf("clean page screenshot: %v, %v; want blank", blank, err)
	}
}

// TestOnlyTestsImport checks that no package of the module but this one
// links chromedp or this package: only tests may, so the stampede binary
// stays free of a browser driver. It asks go list, offline.
func TestOnlyTestsImport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	cmd := exec.Command(gobin, "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./...")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const self = "github.com/stampede-dev/stampede/internal/browsertest"
	var packages int
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] == self {
			continue
		}
		packages++
		for _, dep := range fields[1:] {
			if dep == self || strings.HasPrefix(dep, "github.com/chromedp/") {
				t.Errorf("%s links %s", fields[0], dep)
				break
			}
		}
	}
	if packages < 5 {
		t.Errorf("go list found %d other packages; want the module's", packages)
	}
}
