package gradeclient

import (
	"errors"
	"testing"

	"github.com/stampede-dev/stampede/internal/field"
)

// FuzzParseFile: any bytes either make a scenario with at least one step
// or are refused with field errors naming the file; nothing panics.
func FuzzParseFile(f *testing.F) {
	for _, s := range []string{
		"steps:\n  - status: 429\n    retry-after: 3\n",
		"description: x\nrules: [backoff-grows]\nsteps:\n  - {status: 502, delay: 200ms}\n  - {status: 429, retry-after: date+2s}\nthen: repeat\n",
		"steps:\n  - status: 99\n", "steps: []\n", "steps:\n  - {status: 200, headers: {X-A: b}, body: '{}'}\n",
		"", "- a\n", "steps: &a [*a]\n", "then: maybe\nsteps:\n  - status: 503\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseFile("f.yaml", "f", data)
		if err != nil {
			var fe *field.Error
			if !errors.As(err, &fe) || fe.File != "f.yaml" {
				t.Fatalf("ParseFile error %v does not name the file", err)
			}
			return
		}
		if len(s.Steps) == 0 {
			t.Fatalf("ParseFile(%q) = a scenario without steps", data)
		}
	})
}
