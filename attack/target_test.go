package attack

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/stampede-dev/stampede/records"
)

func TestLoadTargets(t *testing.T) {
	common := http.Header{"X-Common": {"c"}, "Accept": {"default"}}
	tests := []struct {
		name, format, src string
		want              []string // "METHOD URL" of each target
		err               string
	}{
		{name: "http", src: "GET http://127.0.0.1:1/a\n\nPOST http://127.0.0.1:1/b\nAccept: json\n", want: []string{"GET http://127.0.0.1:1/a", "POST http://127.0.0.1:1/b"}},
		{name: "http with comments", format: "http", src: "# c\nGET http://127.0.0.1:1/a\n", want: []string{"GET http://127.0.0.1:1/a"}},
		{name: "json detected", src: `{"method":"GET","url":"http://127.0.0.1:1/j"}` + "\n" + `{"method":"DELETE","url":"http://127.0.0.1:1/k","header":{"Accept":["x"]}}` + "\n", want: []string{"GET http://127.0.0.1:1/j", "DELETE http://127.0.0.1:1/k"}},
		{name: "empty", src: "\n# nothing\n", err: "no targets"},
		{name: "bad method", src: "get http://127.0.0.1:1/\n", err: "line 1"},
		{name: "bad json", format: "json", src: "{not json}\n", err: "line 1"},
		{name: "ftp scheme", src: "GET ftp://127.0.0.1/\n", err: `scheme "ftp": must be http or https`},
		{name: "unknown format", format: "yaml", src: "x", err: `format "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgts, err := LoadTargets(strings.NewReader(tt.src), tt.format, common, []byte("B"))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("LoadTargets(%q) error = %v; want one containing %q", tt.src, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadTargets(%q): %v", tt.src, err)
			}
			if len(tgts) != len(tt.want) {
				t.Fatalf("LoadTargets(%q) = %d targets; want %d", tt.src, len(tgts), len(tt.want))
			}
			for i, tg := range tgts {
				if got := tg.Method + " " + tg.URL; got != tt.want[i] {
					t.Errorf("target %d = %q; want %q", i, got, tt.want[i])
				}
				if tg.Header.Get("X-Common") != "c" {
					t.Errorf("target %d lost the common header: %v", i, tg.Header)
				}
			}
		})
	}
}

func TestLoadTargetsOwnHeaderWins(t *testing.T) {
	common := http.Header{"Accept": {"default"}}
	tgts, err := LoadTargets(strings.NewReader("GET http://127.0.0.1:1/\nAccept: mine\n"), "", common, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := tgts[0].Header["Accept"]; len(got) != 1 || got[0] != "mine" {
		t.Errorf("Accept = %q; want [mine]", got)
	}
	if common.Get("Accept") != "default" {
		t.Errorf("the common header was modified: %v", common)
	}
}

func TestValidateURLAndMethod(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1/", "https://[::1]:8443/x?y=1"} {
		if err := ValidateURL(u); err != nil {
			t.Errorf("ValidateURL(%q) = %v; want nil", u, err)
		}
	}
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://x/", "http:///nohost", "http://[::1"} {
		if err := ValidateURL(u); err == nil {
			t.Errorf("ValidateURL(%q) = nil; want an error", u)
		}
	}
	if err := ValidateMethod("GE T"); err == nil {
		t.Error("ValidateMethod(\"GE T\") = nil; want an error")
	}
}

func FuzzLoadTargets(f *testing.F) {
	f.Add("GET http://127.0.0.1:1/a\nX: y\n\nPOST http://127.0.0.1:1/b\n@/dev/null\n")
	f.Add(`{"method":"GET","url":"http://127.0.0.1:1/j","body":"Zm9v"}` + "\n")
	f.Add("{\n")
	f.Add("GET \n")
	f.Fuzz(func(t *testing.T, src string) {
		if strings.Contains(src, "@") {
			return // body references read local files; not the parser under test
		}
		tgts, err := LoadTargets(strings.NewReader(src), "", nil, nil)
		if err != nil {
			return
		}
		for _, tg := range tgts {
			if ValidateURL(tg.URL) != nil || tg.Method == "" {
				t.Errorf("LoadTargets(%q) returned an invalid target %+v", src, tg)
			}
		}
	})
}

func TestLoadTargetsBoundsBodies(t *testing.T) {
	big := t.TempDir() + "/big"
	if err := os.WriteFile(big, make([]byte, 10), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ src, err string }{
		{"POST http://127.0.0.1:1/\n@/dev/zero\n", "not a regular file"},
		{"POST http://127.0.0.1:1/\n@/nonexistent/body\n", "body file"},
		{"GET http://127.0.0.1:1/\nAuthorization Bearer sk-TGT\n", "bad header"},
	}
	for _, tt := range tests {
		_, err := LoadTargets(strings.NewReader(tt.src), "", nil, nil)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("LoadTargets(%q) = %v; want an error containing %q", tt.src, err, tt.err)
		}
		if err != nil && strings.Contains(err.Error(), "sk-TGT") {
			t.Errorf("LoadTargets(%q) = %v; the error leaks the line", tt.src, err)
		}
	}
	if tgts, err := LoadTargets(strings.NewReader("POST http://127.0.0.1:1/\n@"+big+"\n"), "", nil, nil); err != nil || len(tgts[0].Body) != 10 {
		t.Errorf("LoadTargets with a small body file = %v; want its 10 bytes", err)
	}
	if _, err := ReadBody(io.LimitReader(zeros{}, MaxBodySize+10)); err == nil {
		t.Error("ReadBody of more than MaxBodySize = nil error; want one")
	}
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestDetectFormatLongLine(t *testing.T) {
	line := `{"method":"POST","url":"http://127.0.0.1:1/","body":"` + strings.Repeat("QUFB", 400_000) + `"}`
	if got := detectFormat([]byte("# comment\n\n  " + line + "\n")); got != FormatJSON {
		t.Errorf("detectFormat(1.6 MB json line) = %q; want json", got)
	}
}

func TestLoadTargetsReadsEachBodyFileOnce(t *testing.T) {
	body := t.TempDir() + "/body"
	if err := os.WriteFile(body, []byte(strings.Repeat("b", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	reads := 0
	defer func(f func(string) ([]byte, error)) { readBodyFile = f }(readBodyFile)
	orig := readBodyFile
	readBodyFile = func(path string) ([]byte, error) { reads++; return orig(path) }
	src := strings.Repeat("POST http://127.0.0.1:1/\n@"+body+"\n\n", 30)
	tgts, err := LoadTargets(strings.NewReader(src), "", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tgts) != 30 || reads != 1 {
		t.Fatalf("30 targets naming one body file: %d targets, %d reads; want 30 and 1", len(tgts), reads)
	}
	if &tgts[0].Body[0] != &tgts[29].Body[0] {
		t.Error("the targets naming one body file do not share its bytes")
	}
}

func TestLoadTargetsCapsBodiesTotal(t *testing.T) {
	dir := t.TempDir()
	for name, n := range map[string]int{"a": 1500, "b": 1000} {
		if err := os.WriteFile(dir+"/"+name, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	defer func(n int64) { maxBodiesTotal = n }(maxBodiesTotal)
	maxBodiesTotal = 2000
	src := "POST http://127.0.0.1:1/\n@" + dir + "/a\n\nPOST http://127.0.0.1:1/\n@" + dir + "/a\n\nPOST http://127.0.0.1:1/\n@" + dir + "/b\n"
	_, err := LoadTargets(strings.NewReader(src), "", nil, nil)
	if err == nil || !strings.Contains(err.Error(), "line 8") || !strings.Contains(err.Error(), "2000 bytes") {
		t.Fatalf("body files of 2500 bytes in all, over a cap of 2000: %v; want an error naming line 8 and the cap", err)
	}
}

func TestLoadTargetsLineErrors(t *testing.T) {
	long := "GET http://127.0.0.1:1/\nX-Long: " + strings.Repeat("a", MaxLineSize) + "\n"
	tests := []struct{ name, src, err string }{
		{"long line", long, "line 2: longer than"},
		{"truncated json", `{"method":"GET","url":"http://127.0.0.1:1/a"}` + "\n" + `{"method":"GET","url":"htt`, "line 2: invalid JSON"},
		{"CR in an http header value", "GET http://127.0.0.1:1/\nX-A: a\rInjected: b\n", "line 2: "},
		{"CRLF in a json header value", `{"method":"GET","url":"http://127.0.0.1:1/","header":{"X-A":["a\r\nInjected: b"]}}` + "\n", "line 1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadTargets(strings.NewReader(tt.src), "", nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("LoadTargets = %v; want an error containing %q", err, tt.err)
			}
		})
	}
}

func TestLoadTargetsLastJSONLineWithoutNewline(t *testing.T) {
	src := `{"method":"GET","url":"http://127.0.0.1:1/a"}` + "\n" + `{"method":"GET","url":"http://127.0.0.1:1/b"}`
	tgts, err := LoadTargets(strings.NewReader(src), "", nil, nil)
	if err != nil || len(tgts) != 2 {
		t.Fatalf("LoadTargets = %d targets, %v; want 2", len(tgts), err)
	}
}

// TestShareTargets: shard i's list, sent round-robin at its hits i, i+N,
// i+2N… of the whole run, sends each hit to the target one process would
// (hit n to target n mod T), so the shards together give every target
// exactly its share, whether or not N divides T.
func TestShareTargets(t *testing.T) {
	list := func(n int) []vegeta.Target {
		ts := make([]vegeta.Target, n)
		for j := range ts {
			ts[j] = vegeta.Target{Method: "GET", URL: fmt.Sprintf("http://127.0.0.1/%d", j)}
		}
		return ts
	}
	for _, tc := range []struct{ targets, shards int }{{10, 4}, {4, 4}, {5, 2}, {5, 4}, {1, 1}, {7, 1}, {3, 4}, {1, 3}, {8, 4}, {6, 4}} {
		ts := list(tc.targets)
		const hits = 840 // a multiple of every N·T here
		sent := map[string]int{}
		for i := range tc.shards {
			got := ShareTargets(ts, records.Shard{Index: i, Count: tc.shards})
			for k := 0; k*tc.shards+i < hits; k++ {
				n := k*tc.shards + i // the whole run's hit
				target := got[k%len(got)]
				if want := ts[n%tc.targets]; target.URL != want.URL {
					t.Fatalf("%d targets, shard %d/%d: hit %d (its %d-th) goes to %s; want %s", tc.targets, i, tc.shards, n, k, target.URL, want.URL)
				}
				sent[target.URL]++
			}
		}
		for _, target := range ts {
			if want := hits / tc.targets; sent[target.URL] != want {
				t.Errorf("%d targets over %d shards: %s sent %d hits; want %d", tc.targets, tc.shards, target.URL, sent[target.URL], want)
			}
		}
	}
	if got := ShareTargets(list(3), records.Shard{}); len(got) != 3 {
		t.Errorf("ShareTargets(3 targets, no shard) has %d; want 3", len(got))
	}
}
