package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/stampede-dev/stampede/internal/redact"
	"github.com/stampede-dev/stampede/records"
	"github.com/stampede-dev/stampede/records/vegetafile"
)

// ExportVegeta writes the records of result files as vegeta JSON results,
// one per line, file after file, for vegeta's tools (vegeta report, plot,
// encode). A stampede record gets the method and URL of its class's
// example request on the header's target, or the target itself; both are
// redacted already. A vegeta result's URL is redacted here (secret query
// values, passwords). stdin is read for the path "-".
// Reading stops with ctx's error when ctx is cancelled; a failure to write
// wraps ErrWrite. Probe reports have no records and are skipped.
func ExportVegeta(ctx context.Context, w io.Writer, paths []string, stdin io.Reader) error {
	vw := vegetafile.NewWriter(w, "stampede")
	x := exporter{ctx: ctx, w: vw, policy: redact.NewPolicy()}
	for _, path := range paths {
		if err := x.file(path, stdin); err != nil {
			return err
		}
	}
	if err := vw.Flush(); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// ErrWrite marks a failure to write the export, as opposed to one to read
// its inputs.
var ErrWrite = errors.New("write vegeta results")

// exporter writes records as vegeta results.
type exporter struct {
	ctx    context.Context
	w      *vegetafile.Writer
	policy redact.Policy
	n      uint64 // records written
}

// write writes one record, looking at the context now and then.
func (x *exporter) write(rec *records.Record, method, url string) error {
	if x.n++; x.n%checkEvery == 0 && x.ctx.Err() != nil {
		return x.ctx.Err()
	}
	if err := x.w.Write(rec, method, url); err != nil {
		return fmt.Errorf("%w: %w", ErrWrite, err)
	}
	return nil
}

// file writes the records of one file.
func (x *exporter) file(path string, stdin io.Reader) error {
	src, err := sniff(path, stdin)
	if err != nil {
		return err
	}
	defer src.close()
	name, br := src.name, src.r
	switch src.kind {
	case probeKind:
		return nil // a probe report has no records
	case vegetaKind:
		r, err := vegetafile.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		var res vegetafile.Result
		for n := 1; ; n++ {
			if err := r.Next(&res); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return fmt.Errorf("%s: %s", name, entryProblem(r.Encoding(), n, err))
			}
			if err := x.write(&res.Record, res.Method, x.policy.URL(res.URL)); err != nil {
				return err
			}
		}
	}
	r, err := records.NewReader(br)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	method, target := splitTarget(r.Header().Target)
	var rec records.Record
	for {
		if err := r.Next(&rec); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		m, u := method, target
		if c, ok := r.Class(rec.Class); ok {
			m, u = requestOf(c.Example, method, target)
		}
		if err := x.write(&rec, m, u); err != nil {
			return err
		}
	}
}

// splitTarget splits "GET http://host/path" into its method and URL.
func splitTarget(target string) (method, rawURL string) {
	method, rawURL, ok := strings.Cut(target, " ")
	if !ok {
		return "", target
	}
	return method, rawURL
}

// requestOf resolves a class's example request, "METHOD /path", against
// the target's URL.
func requestOf(example, method, target string) (string, string) {
	m, path, ok := strings.Cut(example, " ")
	if !ok || !strings.HasPrefix(path, "/") {
		return method, target
	}
	base, err := url.Parse(target)
	if err != nil || base.Host == "" {
		return m, path
	}
	return m, base.Scheme + "://" + base.Host + path
}

// open opens a result file, or stdin for "-".
func open(path string, stdin io.Reader) (in io.Reader, name string, closeFile func(), err error) {
	if path == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		return stdin, "standard input", func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, nil, fmt.Errorf("open result file: %w", err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, path, nil, fmt.Errorf("%s: is a directory, not a result file", path)
	}
	return f, path, func() { f.Close() }, nil
}
