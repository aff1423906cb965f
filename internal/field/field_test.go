package field

import (
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want string
	}{
		{Errorf("workers", "20", "more than the maximum of %d workers", 10), "workers 20: more than the maximum of 10 workers"},
		{Errorf("ramp-to", "", "required, e.g. --ramp-to 200/s"), "ramp-to: required, e.g. --ramp-to 200/s"},
		{&Error{Field: "keys[0].plan", Value: `"gold"`, Msg: "want one of free, full", File: "sim.yaml"}, `sim.yaml: keys[0].plan "gold": want one of free, full`},
		{&Error{Field: "rate", Value: `"x"`, Msg: "not a rate", File: "load.yaml", Line: 7}, `load.yaml:7: rate "x": not a rate`},
		{&Error{Field: "phases[0].load.rate", Value: `"x"`, Msg: "not a rate", File: "p.yaml", Line: 7, Col: 13}, `p.yaml:7:13: phases[0].load.rate "x": not a rate`},
		{&Error{Msg: `unknown field "treshold"; did you mean "thresholds"?`, File: "p.yaml", Line: 12, Col: 5}, `p.yaml:12:5: unknown field "treshold"; did you mean "thresholds"?`},
		{&Error{Field: "rate", Msg: "not a rate", File: "p.yaml", Col: 5}, `p.yaml: rate: not a rate`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q; want %q", got, tc.want)
		}
	}
}

func TestAsAndRenamed(t *testing.T) {
	fe := Errorf("rate_limit", "5", "too low")
	wrapped := fmt.Errorf("config: %w", fe)
	if got := As(wrapped); got != fe {
		t.Fatalf("As(wrapped) = %v; want the field error", got)
	}
	if As(errors.New("plain")) != nil || As(nil) != nil {
		t.Error("As found a field error in a plain error or nil")
	}
	renamed := Renamed(wrapped, "rate-limit")
	if got := renamed.Error(); got != "rate-limit 5: too low" {
		t.Errorf("Renamed = %q; want %q", got, "rate-limit 5: too low")
	}
	if fe.Field != "rate_limit" {
		t.Errorf("Renamed changed the original: %q", fe.Field)
	}
	plain := errors.New("plain")
	if Renamed(plain, "x") != plain {
		t.Error("Renamed changed an error that is no field error")
	}
}
