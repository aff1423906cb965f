package vegetafile

import (
	"bytes"
	"testing"
	"time"

	"github.com/stampede-dev/stampede/records"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		want   string // "" for not ok
	}{
		{"empty", "", ""},
		{"stampede", records.Magic + "\x00\x02\x10{\"start\":1}", ""},
		{"stampede cut short", "STAMP", ""},
		{"one byte", "{", ""},
		{"gif", "GIF89a\x01\x00\x01\x00", ""},
		{"text", "hello, world\n", ""},
		{"other json", `{"name":"vegeta"}`, ""},
		{"json array", `[{"code":200}]`, ""},
		{"json", `{"attack":"","seq":0}`, JSON},
		{"json other first key", ` {  "code" : 200}`, JSON},
		{"json after blank lines", "\r\n\n{\"seq\":1}", JSON},
		{"json key cut", `{"att`, ""},
		{"csv", "1709290800123456789,200,1000007,0,2,,b2s=,a,0,GET,http://x/,\n", CSV},
		{"csv negative and spaces", "-6795364578871345152, 0, -1, 0, 0,,,,0,,,\n", CSV},
		{"csv two numbers", "1709290800123456789,200\n", ""},
		{"csv letter", "1709290800123456789,2x0,5,0,0,\n", ""},
		{"csv header row", "timestamp,code,latency\n", ""},
		{"gob-like length without type", "\x20\x02\x03\x01\x01\x06Result", ""},
		{"gob other type", "\x20\x7f\x03\x01\x01\x06Sample", ""},
	}
	for _, tc := range tests {
		enc, ok := Detect([]byte(tc.prefix))
		if enc != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: Detect(%q) = %q, %v; want %q, %v", tc.name, tc.prefix, enc, ok, tc.want, tc.want != "")
		}
	}
}

// TestDetectEncoders detects the output of vegeta's encoders from the first
// 512 bytes, and checks that no shorter prefix is ever taken for another
// encoding, nor a longer input for anything but its first 512 bytes.
func TestDetectEncoders(t *testing.T) {
	for _, e := range encoders {
		data, _ := encode(t, e.new, sampleResults())
		if enc, ok := Detect(data[:sniffLen]); enc != e.name || !ok {
			t.Errorf("Detect(first 512 bytes of %s) = %q, %v; want %q, true", e.name, enc, ok, e.name)
		}
		if enc, ok := Detect(data); enc != e.name || !ok {
			t.Errorf("Detect(all of %s) = %q, %v; want %q, true", e.name, enc, ok, e.name)
		}
		for n := 1; n < sniffLen; n++ {
			if enc, ok := Detect(data[:n]); ok && enc != e.name {
				t.Errorf("Detect(first %d bytes of %s) = %q", n, e.name, enc)
			}
		}
	}
}

// TestDetectNeverStampede checks that no stampede result file, whole or cut
// short, is claimed.
func TestDetectNeverStampede(t *testing.T) {
	var buf bytes.Buffer
	w, err := records.NewWriter(&buf, records.Header{Start: time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC), Tool: "stampede", Target: "http://127.0.0.1/"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&records.Record{Seq: 1, Status: 200}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	for n := 0; n <= min(len(data), sniffLen); n++ {
		if enc, ok := Detect(data[:n]); ok {
			t.Errorf("Detect(first %d bytes of a stampede file) = %q, true", n, enc)
		}
	}
}
