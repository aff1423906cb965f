package attack

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// attempts runs an attack and returns its attempts' request names.
func attemptNames(t *testing.T, o Options) []string {
	t.Helper()
	a, err := Start(o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	var names []string
	timeout := time.After(60 * time.Second)
	for {
		select {
		case at, ok := <-a.Attempts():
			if !ok {
				return names
			}
			names = append(names, at.Request)
			at.Release()
		case <-timeout:
			a.Stop()
			t.Fatalf("attack did not end within 60s")
		}
	}
}

func TestStaticTargetsAreNamedByMethodAndPath(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	o := options(srv.URL+"/v1/items?api_key=SECRET&page=2", 50, 200*time.Millisecond)
	o.Targets = append(o.Targets, vegeta.Target{Method: "POST", URL: srv.URL})
	names := attemptNames(t, o)
	if len(names) != 10 {
		t.Fatalf("%d attempts, want 10", len(names))
	}
	counts := map[string]int{}
	for _, n := range names {
		counts[n]++
	}
	if counts["GET /v1/items"] != 5 || counts["POST /"] != 5 {
		t.Errorf("names %v: want 5 of GET /v1/items (no query: it may hold a key) and 5 of POST /", counts)
	}
}

func TestNextNamesItsRequestsAndTheNameNeverLeaves(t *testing.T) {
	var mu sync.Mutex
	leaked := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(RequestHeader) != "" {
			mu.Lock()
			leaked++
			mu.Unlock()
		}
	}))
	defer srv.Close()
	o := options(srv.URL, 100, 200*time.Millisecond)
	o.Targets = nil
	var n int
	var nmu sync.Mutex
	o.Next = func(elapsed time.Duration, tgt *vegeta.Target) (string, error) {
		if elapsed < 0 || elapsed > time.Minute {
			t.Errorf("elapsed %s", elapsed)
		}
		nmu.Lock()
		defer nmu.Unlock()
		n++
		*tgt = vegeta.Target{Method: "GET", URL: srv.URL + "/x"}
		if n%2 == 0 {
			return "even", nil
		}
		return "odd", nil
	}
	counts := map[string]int{}
	for _, name := range attemptNames(t, o) {
		counts[name]++
	}
	if counts["even"] != 10 || counts["odd"] != 10 || len(counts) != 2 {
		t.Errorf("names %v: want 10 even and 10 odd", counts)
	}
	if leaked > 0 {
		t.Errorf("%d requests reached the target with %s", leaked, RequestHeader)
	}
}
