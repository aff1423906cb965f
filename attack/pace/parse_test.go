package pace

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"200", 200},
		{"200/s", 200},
		{"200/1s", 200},
		{" 200 / s ", 200},
		{"50/100ms", 500},
		{"3000/m", 50},
		{"3600/h", 1},
		{"1.5/s", 1.5},
		{"1/2s", 0.5},
		{"2e3/s", 2000},
		{"1/ns", 1e9},
		{"1/us", 1e6},
		{"1/µs", 1e6},
		{"1/ms", 1000},
		{"90/1m30s", 1},
		{"+7", 7},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
		}
	}
}

func TestParseRateErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", `rate "": want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"/s", `rate "/s": want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"abc", `rate "abc": "abc" is not a number; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"inf/s", `rate "inf/s": "inf" is not a number; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"NaN", `rate "NaN": "NaN" is not a number; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"0x10", `rate "0x10": "0x10" is not a number; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"1..2", `rate "1..2": "1..2" is not a number; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"-5/s", `rate "-5/s": must be greater than zero`},
		{"0", `rate "0": must be greater than zero`},
		{"0/s", `rate "0/s": must be greater than zero`},
		{"5/x", `rate "5/x": "x" is neither a unit (ns, us, µs, ms, s, m, h) nor a duration such as 100ms; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"5/", `rate "5/": "" is neither a unit (ns, us, µs, ms, s, m, h) nor a duration such as 100ms; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"5/s/s", `rate "5/s/s": "s/s" is neither a unit (ns, us, µs, ms, s, m, h) nor a duration such as 100ms; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"5/0s", `rate "5/0s": the period 0s must be greater than zero`},
		{"5/-1s", `rate "5/-1s": the period -1s must be greater than zero`},
		{"2/ns", `rate "2/ns": must be at most 1000000000/s (one hit per nanosecond)`},
		{"1e999", `rate "1e999": must be a finite number`},
		{"1e-999", `rate "1e-999": must be greater than zero`},
		{"1e300/ns", `rate "1e300/ns": must be at most 1000000000/s (one hit per nanosecond)`},
		{strings.Repeat("9", 100), `rate "9999999999999999999999999999999999999999999999999999999999999999"…: must be at most 1000000000/s (one hit per nanosecond)`},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want error %q", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSteps(t *testing.T) {
	tests := []struct {
		in   string
		want []Step
	}{
		{"100/s@30s,200@1m,0@10s", []Step{{100, 30 * time.Second}, {200, time.Minute}, {0, 10 * time.Second}}},
		{"50/100ms@1s", []Step{{500, time.Second}}},
		{" 10 @ 1s , 0/s @ 500ms ,5@2s ", []Step{{10, time.Second}, {0, 500 * time.Millisecond}, {5, 2 * time.Second}}},
		{"0@5s,1@1ns", []Step{{0, 5 * time.Second}, {1, 1}}},
		{strings.Repeat("1@1s,", MaxSteps-1) + "1@1s", nil}, // MaxSteps steps: fine
	}
	for _, tt := range tests {
		got, err := ParseSteps(tt.in)
		if err != nil {
			t.Errorf("ParseSteps(%q) = %v, %v; want %v, nil", tt.in, got, err, tt.want)
			continue
		}
		if tt.want == nil {
			if len(got) != MaxSteps {
				t.Errorf("ParseSteps(%d steps) = %d steps; want %d", MaxSteps, len(got), MaxSteps)
			}
			continue
		}
		if !equalSteps(got, tt.want) {
			t.Errorf("ParseSteps(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

// equalSteps reports whether two lists of steps are equal.
func equalSteps(a, b []Step) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParseStepsErrors(t *testing.T) {
	const form = "want RATE@DURATION[,RATE@DURATION...], e.g. 100/s@30s,200/s@1m"
	tests := []struct {
		in   string
		want string
	}{
		{"", `steps "": ` + form},
		{"  ", `steps "  ": ` + form},
		{"100@1s,,200@1s", `steps "100@1s,,200@1s": step 2 is empty; ` + form},
		{"100@1s,", `steps "100@1s,": step 2 is empty; ` + form},
		{"100", `steps "100": step 1 "100" has no "@"; ` + form},
		{"x@1s", `steps "x@1s": step 1: rate "x": "x" is not a number; want N, N/unit or N/duration, e.g. 200, 200/s or 50/100ms`},
		{"1@2s,-5@1s", `steps "1@2s,-5@1s": step 2: rate "-5": must not be negative`},
		{"1@x", `steps "1@x": step 1: duration "x": want a duration such as 30s or 1m30s`},
		{"1@", `steps "1@": step 1: duration "": want a duration such as 30s or 1m30s`},
		{"1@1s@2s", `steps "1@1s@2s": step 1: duration "1s@2s": want a duration such as 30s or 1m30s`},
		{"1@0s", `steps "1@0s": step 1: duration "0s" must be greater than zero`},
		{"1@-1s", `steps "1@-1s": step 1: duration "-1s" must be greater than zero`},
		{"0@1s,0/s@2s", `steps "0@1s,0/s@2s": every step has rate 0/s; at least one rate must be greater than zero`},
		{"1@2000000h,1@2000000h", `steps "1@2000000h,1@2000000h": the steps last longer than 2562047h47m16.854775807s in total`},
		{strings.Repeat("1@1s,", MaxSteps) + "1@1s", "steps " + strconv.Quote(strings.Repeat("1@1s,", 13)[:64]) + "…: at most 1000 steps, got 1001"},
	}
	for _, tt := range tests {
		got, err := ParseSteps(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseSteps(%q) = %v, %v; want error %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRateString(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{200, "200/s"},
		{12.5, "12.5/s"},
		{0.5, "0.5/s"},
		{1.0 / 3, "0.333/s"},
		{1.0 / 60, "0.0167/s"},
		{1.0 / 3600, "0.000278/s"},
		{1234.56789, "1234.568/s"},
		{1e9, "1000000000/s"},
		{0, "0/s"},
		{-5, "-5/s"},
		{1e-12, "1e-12/s"},
	}
	for _, tt := range tests {
		if got := RateString(tt.in); got != tt.want {
			t.Errorf("RateString(%v) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
