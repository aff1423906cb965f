package analyze

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// FuzzLoad reads arbitrary bytes as a result file from standard input:
// a stampede file, a vegeta file in any encoding, a probe report or
// garbage. Load must not panic, and a report it returns must be
// consistent: as many requests as records read.
func FuzzLoad(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "r.bin")
	shard(f, path, "s", 300, func(int) bool { return true })
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add(data[len(data)-200:])
	var gob, js bytes.Buffer
	genc, jenc := vegeta.NewEncoder(&gob), vegeta.NewJSONEncoder(&js)
	for _, r := range vegetaResults()[:20] {
		genc.Encode(&r)
		jenc.Encode(&r)
	}
	f.Add(gob.Bytes())
	f.Add(js.Bytes())
	f.Add([]byte(`{"schema": "stampede/probe/v1", "target": "GET /", "verdict": "honest", "probe": {"rounds": [{"advertised_s": 1, "halfway_admitted": false}]}}`))
	f.Add([]byte(`{"schema": "stampede/probe/v1", "requests": "many"}`))
	f.Add([]byte("STAMPEDE\x03\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		run, err := load(context.Background(), []string{"-"}, FileOptions{Stdin: bytes.NewReader(in)})
		if err != nil {
			return
		}
		if run.Summary.Requests != run.Records {
			t.Fatalf("%d requests from %d records", run.Summary.Requests, run.Records)
		}
	})
}
