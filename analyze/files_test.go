package analyze

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/analyze/classify"
	"github.com/stampede-dev/stampede/analyze/contract"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/vegetafile"
)

// response is what the fixture target answered to request i: mostly
// 200s, rate limits in the middle third, a few server errors and
// refused connections.
func response(i int) (status uint16, kind records.ErrorKind, body string) {
	switch {
	case i%97 == 5:
		return 0, records.ErrRefused, ""
	case i%150 == 7:
		return 500, 0, `{"error": {"code": "internal_error", "message": "Server internal error", "type": "error"}}`
	case i >= 1000 && i < 2000 && i%3 == 0:
		return 429, 0, fmt.Sprintf(`{"success": false, "error": {"code": "RATE_LIMITED", "message": "Too many requests, retry after %d seconds"}}`, 1+i%5)
	}
	return 200, 0, ""
}

// shard writes a result file of the records i for which keep(i) holds,
// classified by a classifier of its own (so class ids differ between
// shards), with a trailer holding a contract report.
func shard(t testing.TB, path, name string, n int, keep func(int) bool) {
	t.Helper()
	var buf bytes.Buffer
	w, err := records.NewWriter(&buf, records.Header{Start: t0, Target: "GET http://127.0.0.1:8080/v1/items", Pacer: "constant 100/s", Duration: 30 * time.Second, RunID: "run-1", Shard: name, Tool: "stampede test", Command: []string{"stampede", "attack"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := classify.New(classify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checker := contract.New(contract.Options{})
	named := map[uint32]bool{}
	for i := range n {
		if !keep(i) {
			continue
		}
		status, kind, body := response(i)
		rec := records.Record{
			Seq: uint64(i), Scheduled: t0.Add(time.Duration(i) * 10 * time.Millisecond), Sent: time.Duration(i%5) * time.Microsecond,
			Latency: time.Duration(500+(i*7919)%20000) * time.Microsecond, Status: status, ErrorKind: kind, BytesIn: uint64(len(body)), Attempt: 1, RequestID: uint64(i + 1),
		}
		cl := c.Classify(&classify.Response{Status: status, Kind: kind, ContentType: "application/json", Body: []byte(body), BodyLen: rec.BytesIn, Method: "GET", URL: "http://127.0.0.1:8080/v1/items"})
		rec.Class, rec.ErrorCode, rec.Category = cl.Class.ID, cl.Class.Code, cl.Class.Category
		if cl.NewClass {
			if err := w.WriteClass(&cl.Class.Class); err != nil {
				t.Fatal(err)
			}
		}
		if cl.NewSample {
			if err := w.WriteSample(cl.Class.ID, []byte(cl.Class.Samples[len(cl.Class.Samples)-1])); err != nil {
				t.Fatal(err)
			}
		}
		if status == 429 {
			h := http.Header{}
			if i%2 == 0 {
				h.Set("Retry-After", "1")
			}
			checker.Add(&contract.Response{Status: status, Header: h, Sent: rec.Scheduled, Received: rec.Scheduled.Add(rec.Latency), Scope: 1, Principal: 1, Class: rec.Class})
		}
		if rec.Request = shardRequest(i); rec.Request != 0 && !named[rec.Request] {
			named[rec.Request] = true
			if err := w.WriteRequest(rec.Request, shardNames[rec.Request-1]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Write(&rec); err != nil {
			t.Fatal(err)
		}
	}
	cj, err := json.Marshal(checker.Report())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTrailer(&records.Trailer{End: t0.Add(time.Minute), BodyLimit: c.BodyLimit(), Contract: cj}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// shardNames are the requests of the records of shard files.
var shardNames = []string{"list items", "GET /v1/items/{id}", "create item"}

// shardRequest is the request of record i of a shard file: one of
// shardNames, or none for every 13th record.
func shardRequest(i int) uint32 {
	if i%13 == 0 {
		return 0
	}
	return uint32(1 + (i*7)%len(shardNames))
}

// TestLoadErrors: what is not a result file is an error naming the file;
// damage inside one is skipped and noted.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.bin")
	shard(t, good, "", 300, func(int) bool { return true })
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.bin"), "nope.bin: no such file"},
		{"directory", dir, "is a directory"},
		{"empty", write("empty.bin", nil), "empty file"},
		{"text", write("notes.txt", []byte("hello, this is not a result file\n")), "not a stampede or vegeta result file"},
		{"newer format", write("v300.bin", append([]byte("STAMPEDE\x2c\x01"), data[10:]...)), "unsupported result file format version 300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(context.Background(), []string{good, tc.path}, FileOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error = %v; want one containing %q", err, tc.want)
			}
		})
	}

	// A file cut in the middle and a flipped byte: the rest is read, and
	// the notes say what happened.
	cut := write("cut.bin", data[:len(data)*2/3])
	flipped := bytes.Clone(data)
	flipped[len(data)/2] ^= 0xff
	bad := write("flipped.bin", flipped)
	run, err := load(context.Background(), []string{cut, bad}, FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if run.Summary.Requests < 400 || run.Summary.Requests >= 600 {
		t.Errorf("%d requests from a cut file and a damaged one; want most of 600", run.Summary.Requests)
	}
	notes := strings.Join(run.Notes, "\n")
	for _, want := range []string{"cut.bin: no trailer", "flipped.bin: ", "damaged bytes skipped"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	if _, err := load(context.Background(), nil, FileOptions{}); err == nil {
		t.Error("Load of no file: no error")
	}
}

// TestLoadStdin reads a file from standard input.
func TestLoadStdin(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.bin")
	shard(t, p, "", 200, func(int) bool { return true })
	data, _ := os.ReadFile(p)
	run, err := load(context.Background(), []string{"-"}, FileOptions{Stdin: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if run.Summary.Requests != 200 || !slices.Equal(run.Sources, []string{"-"}) {
		t.Errorf("%d requests from %v; want 200 from -", run.Summary.Requests, run.Sources)
	}
	if _, err := load(context.Background(), []string{"-"}, FileOptions{Stdin: bytes.NewReader(nil)}); !errors.Is(err, ErrNotResults) {
		t.Errorf("empty stdin: %v; want ErrNotResults", err)
	}
}

// load reads result files into a run, as stampede report does.
func load(ctx context.Context, paths []string, opts FileOptions) (Run, error) {
	return Consume(ctx, Files(paths, opts))
}

// exportVegeta writes result files as vegeta JSON results, as stampede
// report --format vegeta-json does.
func exportVegeta(ctx context.Context, w io.Writer, paths []string, stdin io.Reader) error {
	_, err := Consume(ctx, Files(paths, FileOptions{Stdin: stdin, Strict: true}), NewVegetaJSON(w))
	return err
}

// TestLoadEveryFormatVersion reads the golden files of every format
// version through the one consume loop: the records of each count, and a
// file written before trailers is noted as such, without failing the run.
func TestLoadEveryFormatVersion(t *testing.T) {
	for _, tc := range []struct {
		path  string
		older bool     // written before result files had a trailer
		names []string // the requests named, by count
	}{
		{"../records/testdata/v1.bin", true, nil},
		{"../records/testdata/v2.bin", true, nil},
		{"../records/testdata/v3.bin", false, nil},
		{"../records/testdata/TestGoldenFile.golden.bin", false, []string{"get order", "GET /" + strings.Repeat("😀", 62), "POST /orders"}},
	} {
		run, err := load(context.Background(), []string{tc.path}, FileOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if run.Summary.Requests == 0 || run.Summary.Requests != run.Records || run.ResultFiles != 1 {
			t.Errorf("%s: %d requests from %d records in %d files", tc.path, run.Summary.Requests, run.Records, run.ResultFiles)
		}
		var names []string
		for _, r := range run.Summary.RequestStats() {
			names = append(names, r.Name)
		}
		if !slices.Equal(names, tc.names) {
			t.Errorf("%s: requests %q; want %q", tc.path, names, tc.names)
		}
		noted := strings.Contains(strings.Join(run.Notes, "\n"), "written by an older stampede")
		if noted != tc.older || run.Unfinished != 0 {
			t.Errorf("%s: notes %q, unfinished %d; want the older-writer note %v and nothing unfinished", tc.path, run.Notes, run.Unfinished, tc.older)
		}
	}
}

// failingSink fails on the first record.
type failingSink struct{}

func (failingSink) Observe(ev *Event, _ *Run) error {
	if ev.Kind == EventRecord {
		return errors.New("sink full")
	}
	return nil
}

// TestFilesClosedWhenASinkFails: a sink that fails mid-file ends the loop
// with its error, and the file being read is closed all the same.
func TestFilesClosedWhenASinkFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.bin")
	shard(t, path, "", 100, func(int) bool { return true })
	fds := func() int {
		entries, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skip("no /proc/self/fd here")
		}
		return len(entries)
	}
	// Without a collection, no finalizer closes a file left open.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before := fds()
	for range 20 {
		if _, err := Consume(context.Background(), Files([]string{path}, FileOptions{}), failingSink{}); err == nil || err.Error() != "sink full" {
			t.Fatalf("Consume = %v; want the sink's error", err)
		}
	}
	if after := fds(); after > before+2 {
		t.Errorf("%d open files after 20 failed reports, %d before: the result file is not closed", after, before)
	}
}

func TestVegetaJSONLongLineNoted(t *testing.T) {
	line := func(seq int) string {
		return fmt.Sprintf(`{"seq":%d,"code":200,"timestamp":"2024-03-01T12:00:00Z","latency":1000}`, seq) + "\n"
	}
	path := filepath.Join(t.TempDir(), "results.json")
	data := line(0) + strings.Repeat("x", vegetafile.MaxJSONLine+1) + "\n" + line(1)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	run, err := Consume(context.Background(), Files([]string{path}, FileOptions{}))
	if err != nil {
		t.Fatal(err)
	}
	noted := slices.ContainsFunc(run.Notes, func(n string) bool { return strings.Contains(n, "1 damaged lines skipped") })
	if !noted || slices.ContainsFunc(run.Notes, func(n string) bool { return strings.Contains(n, "does not decode") }) {
		t.Errorf("notes = %q; want one on the skipped line", run.Notes)
	}
	if _, err := Consume(context.Background(), Files([]string{path}, FileOptions{Strict: true})); err == nil {
		t.Error("strict reading of a file with an over-long line: no error")
	}
}
