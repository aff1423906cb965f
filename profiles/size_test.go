package profiles

import (
	"strconv"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"4096", 4096}, {"64KiB", 64 << 10}, {"64 kib", 64 << 10}, {"1MiB", 1 << 20}, {"2KB", 2000}, {"1m", 1 << 20}, {"7B", 7},
	}
	for _, tc := range tests {
		if got, err := ParseSize(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "KiB", "-1", "1.5MiB", "3 parsecs", "99999999999999999999", "9999999999999GiB"} {
		if got, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) = %d; want an error", bad, got)
		}
	}
}

// FuzzParseSize: any text either parses to a size of at least 0 that
// prints back with the same number of bytes, or is an error.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"4096", "64KiB", "64 kib", "1MiB", "2KB", "1m", "7B", "", "KiB", "-1", "9999999999999GiB", "1 GB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if back, err := ParseSize(strconv.FormatInt(n, 10)); err != nil || back != n {
			t.Fatalf("ParseSize(%q) = %d, which reads back as %d, %v", s, n, back, err)
		}
	})
}
