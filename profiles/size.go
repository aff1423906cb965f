package profiles

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSize parses a byte size, as --classify-limit and profiles give it:
//
//	size = digits [" "] [unit]
//	unit = "B" | "KiB" | "MiB" | "GiB" | "K" | "M"   (binary: 1024, 1024², 1024³)
//	     | "KB" | "MB" | "GB"                       (decimal: 1000, 1000², 1000³)
//
// Units are case-insensitive; no unit means bytes. Sizes beyond an int64
// are an error.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("size %q: want a number of bytes", s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", s, err)
	}
	units := map[string]int64{"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "kb": 1e3, "mb": 1e6, "gb": 1e9, "k": 1 << 10, "m": 1 << 20}
	mul, ok := units[strings.ToLower(strings.TrimSpace(s[i:]))]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit (want B, KiB, MiB or GiB)", s)
	}
	if n > math.MaxInt64/mul {
		return 0, fmt.Errorf("size %q: too large", s)
	}
	return n * mul, nil
}
