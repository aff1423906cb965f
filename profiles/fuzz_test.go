package profiles

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stampede-dev/stampede/internal/field"
)

// FuzzParse: any bytes either load as a profile with phases, or are
// refused with problems that each name the file; nothing panics. The
// corpus is every profile of testdata and the bundled ones.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"testdata/*.yaml", "testdata/*/*.yaml", "bundled/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("phases:\n  - {name: s, load: {rate: 1/s, duration: 1s}, compare: {policies: [none, immediate]}, retry: {max: 1}}\nrequests:\n  - {name: a, path: http://127.0.0.1:1/}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, errs := Parse("f.yaml", data, LoadOptions{AllowLiteralSecrets: true})
		if len(errs) > 0 {
			for _, err := range errs {
				if fe := field.As(err); fe != nil && fe.File != "f.yaml" {
					t.Fatalf("problem %v names file %q; want f.yaml", err, fe.File)
				}
			}
			return
		}
		if p == nil || len(p.Phases) == 0 {
			t.Fatalf("Parse(%q) = %v without a problem; want a profile with phases", data, p)
		}
	})
}
