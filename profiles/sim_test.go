package profiles

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/sim"
)

// expectation reads the thresholds that say what one request draws:
// count(request == "NAME" && status != N) == 0 or code != "CODE".
var expectation = regexp.MustCompile(`^count\(request == "([^"]+)" && (status|code) != "?([^")]+)"?\) == 0$`)

// TestBundledRequestsDrawWhatTheySay sends every request of every bundled
// seed profile once to the simulation (its default configuration, as
// `stampede serve` runs it) and checks the answer against the profile's
// own thresholds about that request: the documented error paths draw the
// documented statuses and codes.
func TestBundledRequestsDrawWhatTheySay(t *testing.T) {
	for _, name := range []string{"mira-chat", "mira-verify", "mimo", "mirra"} {
		t.Run(name, func(t *testing.T) {
			s, err := sim.New(sim.Config{})
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s)
			t.Cleanup(srv.Close)
			p, errs := LoadBundled(name, LoadOptions{Env: noEnv, BaseURL: srv.URL})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			checked := 0
			for _, th := range p.Thresholds {
				m := expectation.FindStringSubmatch(th.Expr)
				if m == nil {
					continue
				}
				r := p.Request(m[1])
				if r == nil {
					t.Errorf("threshold %q names no request", th.Expr)
					continue
				}
				status, body := send(t, p, r)
				switch {
				case m[2] == "status" && strconv.Itoa(status) != m[3]:
					t.Errorf("%s answered %d; the profile says %s: %s", r.Name, status, m[3], body)
				case m[2] == "code" && !strings.Contains(body, `"`+m[3]+`"`):
					t.Errorf("%s answered %d without code %s: %s", r.Name, status, m[3], body)
				}
				checked++
			}
			if checked < 6 {
				t.Errorf("only %d requests checked", checked)
			}
		})
	}
}

// send sends one request of p as the lead's runner will: the target's
// headers and auth, then the request's own.
func send(t *testing.T, p *Profile, r *Request) (int, string) {
	t.Helper()
	ctx := TemplateContext{Counter: 1, Phase: "test"}
	var body io.Reader
	if r.Body != nil {
		body = strings.NewReader(r.Body.Expand(ctx))
	}
	req, err := http.NewRequest(r.Method, r.URL.Expand(ctx), body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.Target.Headers {
		req.Header[k] = v
	}
	if a := p.Target.Auth; a != nil {
		req.Header.Set(a.Header, a.Value())
	}
	for k, v := range r.Header {
		req.Header.Set(k, v.Expand(ctx))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
