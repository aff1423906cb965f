package replay

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/stampede-dev/stampede/attack/results"
	"github.com/stampede-dev/stampede/attack/vegetafile"
	"github.com/stampede-dev/stampede/internal/redact"
)

// ExportVegeta writes the records of result files as vegeta JSON results,
// one per line, file after file, for vegeta's tools (vegeta report, plot,
// encode). A stampede record gets the method and URL of its class's
// example request on the header's target, or the target itself; both are
// redacted already. A vegeta result's URL is redacted here (secret query
// values, passwords). stdin is read for the path "-".
func ExportVegeta(w io.Writer, paths []string, stdin io.Reader) error {
	vw := vegetafile.NewWriter(w, "stampede")
	policy := redact.NewPolicy()
	for _, path := range paths {
		if err := exportFile(vw, policy, path, stdin); err != nil {
			return err
		}
	}
	return vw.Flush()
}

// exportFile writes the records of one file.
func exportFile(vw *vegetafile.Writer, policy redact.Policy, path string, stdin io.Reader) error {
	in, name, closeFile, err := open(path, stdin)
	if err != nil {
		return err
	}
	defer closeFile()
	br := bufio.NewReaderSize(in, 64<<10)
	prefix, _ := br.Peek(512)
	if !strings.HasPrefix(string(prefix), results.Magic) {
		if _, ok := vegetafile.Detect(prefix); !ok {
			return fmt.Errorf("%s: %w", name, ErrNotResults)
		}
		r, err := vegetafile.NewReader(br)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		var res vegetafile.Result
		for {
			if err := r.Next(&res); errors.Is(err, io.EOF) {
				return nil
			} else if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := vw.Write(&res.Record, res.Method, policy.URL(res.URL)); err != nil {
				return fmt.Errorf("write vegeta results: %w", err)
			}
		}
	}
	r, err := results.NewReader(br)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	method, target := splitTarget(r.Header().Target)
	var rec results.Record
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
		if err := vw.Write(&rec, m, u); err != nil {
			return fmt.Errorf("write vegeta results: %w", err)
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
