package attack

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stampede-dev/stampede/records"
)

// TestDrainThroughWriteTo: io.Copy drains a body through its WriteTo,
// counting every byte and capturing its first ones as Read does, and a
// body that fails midway says so.
func TestDrainThroughWriteTo(t *testing.T) {
	body := strings.Repeat("0123456789", 500) // 5,000 bytes: several drain buffers
	keep := make([]byte, 0, 64)
	o := &observation{body: &keep}
	cb := &countingBody{ReadCloser: io.NopCloser(strings.NewReader(body)), o: o, ctx: context.Background(), limit: 100}
	var sink bytes.Buffer
	n, err := io.Copy(&sink, cb)
	if err != nil || n != 5000 || sink.String() != body {
		t.Fatalf("io.Copy = %d, %v (%d bytes out); want 5000 bytes, no error", n, err, sink.Len())
	}
	if o.bytesIn != 5000 || string(*o.body) != body[:100] || o.kind != records.ErrNone {
		t.Errorf("observation: %d bytes in, kept %q, kind %v; want 5000, the first 100, none", o.bytesIn, *o.body, o.kind)
	}

	failing := &observation{}
	broken := io.MultiReader(strings.NewReader(strings.Repeat("x", 3000)), errReader{errors.New("connection reset by peer")})
	cb = &countingBody{ReadCloser: io.NopCloser(broken), o: failing, ctx: context.Background()}
	n, err = io.Copy(io.Discard, cb)
	if err == nil || n != 3000 || failing.bytesIn != 3000 || failing.kind == records.ErrNone {
		t.Errorf("a failing body: io.Copy = %d, %v; %d bytes in, kind %v; want 3000, the error, a kind", n, err, failing.bytesIn, failing.kind)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
