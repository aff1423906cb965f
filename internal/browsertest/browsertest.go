// Package browsertest opens local HTML files in a headless Chromium that
// cannot reach the network, for tests of pages that must work offline.
//
// A [Page] records what a page must not do (console errors, uncaught
// exceptions, error log entries, dialogs) and every request it makes,
// reads the pixels of its charts and takes screenshots. The browser
// closes when the test ends, and the test fails if any of its processes
// is left running.
//
// Without Chromium at [ChromiumPath] the tests that need it are skipped,
// unless the environment variable named by [RequireEnv] is 1: then they
// fail.
//
// Only tests import this package: it links chromedp.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
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

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// RequireEnv names the environment variable that, set to 1, makes a test
// fail instead of skipping when there is no browser.
const RequireEnv = "STAMPEDE_REQUIRE_BROWSER"

// WindowWidth and WindowHeight are the size of the browser's window in
// CSS pixels. The page's viewport is as wide and a little less tall.
const (
	WindowWidth  = 1400
	WindowHeight = 1000
)

// Timeout bounds the life of one browser: starting it, every page it
// loads and closing it.
const Timeout = 2 * time.Minute

// markerEnv is set in the browser's environment to its profile directory.
// Every process of the browser inherits it, the crash handler too, whose
// command line does not name the profile: so the leftover check finds
// them all.
const markerEnv = "STAMPEDE_BROWSERTEST_PROFILE"

// flags keep Chromium offline and quiet: no background fetches, no
// component or safe-browsing updates, no QUIC, and every host name
// unresolvable, so that a page that tried to load something could not.
// The browser talks to chromedp over a pipe: no port is opened.
var flags = []chromedp.ExecAllocatorOption{
	chromedp.ExecPath(ChromiumPath),
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
	chromedp.WindowSize(WindowWidth, WindowHeight),
}

// missing says why a browser test cannot run and whether that is a
// failure: skip when there is no browser, fail if require is set.
func missing(path string, require bool) (msg string, fail bool) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return "", false
	case require:
		return fmt.Sprintf("%s=1 but there is no browser: %v (apt-get install chromium)", RequireEnv, err), true
	default:
		return fmt.Sprintf("no browser: %v (apt-get install chromium, or set %s=1 to fail instead)", err, RequireEnv), false
	}
}

// Need skips the test when there is no Chromium at ChromiumPath, or
// fails it if the environment variable RequireEnv is 1. New calls it; a
// test calls it first to skip before slow work that only a browser
// would check.
func Need(t testing.TB) {
	t.Helper()
	if msg, fail := missing(ChromiumPath, os.Getenv(RequireEnv) == "1"); fail {
		t.Fatal(msg)
	} else if msg != "" {
		t.Skip(msg)
	}
}

// Page is one tab of a headless Chromium that a test drives. Its methods
// fail the test on an error of the browser; they must be called from the
// test's goroutine.
type Page struct {
	t      testing.TB
	tab    context.Context
	events *events
	url    string
	shots  int
}

// New starts an offline headless Chromium with a new profile in a
// temporary directory and returns its tab, with nothing loaded. The
// browser gets no environment but PATH, TMPDIR, a marker naming the
// profile, and HOME set to the temporary directory: it writes nothing
// outside it (its crash handler's database included) and sees no secret
// of the test's environment. When the test ends the browser is closed,
// and the test fails if any of its processes is still running 10 seconds
// later.
//
// Without Chromium, New skips the test, or fails it if RequireEnv is 1.
func New(t testing.TB) *Page {
	t.Helper()
	Need(t)
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile")
	env := []string{"HOME=" + dir, "PATH=" + os.Getenv("PATH"), markerEnv + "=" + profile}
	if tmp := os.Getenv("TMPDIR"); tmp != "" {
		env = append(env, "TMPDIR="+tmp)
	}
	opts := append(flags[:len(flags):len(flags)], chromedp.UserDataDir(profile), chromedp.NoInheritEnv, chromedp.Env(env...))

	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	p := &Page{t: t, events: &events{}}
	tab, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(p.events.listen))
	p.tab = tab
	t.Cleanup(func() {
		// Close the browser gracefully and wait for it, then make sure
		// none of its processes is left.
		if err := chromedp.Cancel(tab); err != nil {
			t.Logf("closing the browser: %v", err)
		}
		cancelTab()
		cancelAlloc()
		cancel()
		if left := waitGone(profile, 10*time.Second); len(left) > 0 {
			t.Errorf("browser processes still running: %s", strings.Join(left, "; "))
		}
	})

	// An alert blocks the page: dismiss any, the listener has noted it.
	// Events starts the browser.
	dialogs := chromedp.Events(tab, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return p
}

// Open starts a browser as New does and loads the file at path in it.
func Open(t testing.TB, path string) *Page {
	t.Helper()
	p := New(t)
	p.Load(path)
	return p
}

// Load opens the local file at path as a file:// URL and waits for its
// load event. It forgets the problems and requests of the page before.
func (p *Page) Load(path string) {
	p.t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		p.t.Fatal(err)
	}
	p.url = FileURL(abs)
	p.events.take()
	if err := chromedp.Do(p.tab, chromedp.Navigate(p.url)); err != nil {
		p.t.Fatalf("opening %s: %v", path, err)
	}
}

// Resize makes the page's viewport width×height CSS pixels, as a window
// of that size would; the page gets a resize event.
func (p *Page) Resize(width, height int) {
	p.t.Helper()
	if err := chromedp.Do(p.tab, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		p.t.Fatalf("resizing the page to %d×%d: %v", width, height, err)
	}
}

// URL is the file:// URL of the page loaded last.
func (p *Page) URL() string { return p.url }

// Problems returns what the page did since it was loaded that a page
// must not do, one line each: console.error and console.assert calls,
// uncaught exceptions, error entries of the browser's log (such as a
// resource that failed to load) and dialogs (alert, confirm, prompt,
// which are dismissed).
func (p *Page) Problems() []string {
	p.events.mu.Lock()
	defer p.events.mu.Unlock()
	return append([]string(nil), p.events.problems...)
}

// Requests returns the URL of every request the page made since it was
// loaded, in order, starting with the page itself; a page that loads
// nothing else returns just URL().
func (p *Page) Requests() []string {
	p.events.mu.Lock()
	defer p.events.mu.Unlock()
	return append([]string(nil), p.events.requests...)
}

// Eval evaluates the JavaScript expression in the page, waits for the
// promise it returns if it does, and decodes the JSON of the result into
// out (if out is not nil). An exception or an undefined result fails the
// test.
func (p *Page) Eval(expr string, out any) {
	p.t.Helper()
	raw, err := chromedp.Run(p.tab, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("evaluating %s: %v", abbrev(expr), err)
	}
	if out == nil {
		return
	}
	if raw == nil {
		p.t.Fatalf("evaluating %s: the result is undefined", abbrev(expr))
	}
	if err := json.Unmarshal(raw, out); err != nil {
		p.t.Fatalf("evaluating %s: result %s: %v", abbrev(expr), abbrev(string(raw)), err)
	}
}

// Click clicks with the mouse in the middle of the first element that
// the CSS selector matches, once it is visible.
func (p *Page) Click(selector string) {
	p.t.Helper()
	if err := chromedp.Do(p.tab, chromedp.Click(chromedp.CSS(selector))); err != nil {
		p.t.Fatalf("clicking %s: %v", selector, err)
	}
}

// Screenshot returns a PNG of the whole page, taller than the window if
// the page is. It also writes it into the test's artifact directory, as
// screenshot-N.png: go test -artifacts keeps it.
func (p *Page) Screenshot() []byte {
	p.t.Helper()
	shot, err := chromedp.Run(p.tab, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatalf("screenshot: %v", err)
	}
	p.shots++
	name := filepath.Join(p.t.ArtifactDir(), fmt.Sprintf("screenshot-%d.png", p.shots))
	if err := os.WriteFile(name, shot, 0o644); err != nil {
		p.t.Logf("keeping the screenshot: %v", err)
	}
	return shot
}

// abbrev shortens s for a message.
func abbrev(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// FileURL returns the file:// URL of the absolute path, as the browser
// reports it in requests.
func FileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: path}).String()
}

// events collects what a page did that a page must not do: console
// errors, uncaught exceptions, error log entries, dialogs, and every
// network request.
type events struct {
	mu       sync.Mutex
	problems []string
	requests []string
}

// listen records one event; chromedp calls it in the tab's message loop,
// so it must return fast and run no command.
func (e *events) listen(ev any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, describe(a))
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

// describe writes an argument of a console call as the console shows it:
// a string as is, another value as JSON, an object by its description.
func describe(a *runtime.RemoteObject) string {
	var s string
	switch {
	case a.Value == nil:
		return a.Description
	case json.Unmarshal(a.Value, &s) == nil:
		return s
	}
	return string(a.Value)
}

// take forgets what was collected.
func (e *events) take() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.problems, e.requests = nil, nil
}
