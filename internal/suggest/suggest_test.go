package suggest

import "testing"

func TestNearest(t *testing.T) {
	names := []string{"latency", "thresholds", "requests", "rate"}
	for in, want := range map[string]string{
		"latncy":   "latency",
		"treshold": "thresholds",
		"Requsts":  "requests",
		"rat":      "rate",
		"xyz":      "",
		"":         "",
	} {
		if got := Nearest(in, names); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", in, got, want)
		}
	}
}
