package probefile

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func report() Report {
	yes, half := true, 0.5
	return Report{
		Schema: Schema, Target: "GET http://127.0.0.1:8080/v1/x", Requests: 42, MaxRequests: 100, MaxTimeS: 120, ElapsedS: 3.25,
		Verdict: Honest, Explanation: "round 1: admitted once the advertised 1 s had passed",
		Probe: Probe{Verdict: Honest, StartRatePerS: 2, MaxRatePerS: 1000, StepS: 1, MarginS: 0.25, RoundsPlanned: 1, MaxInFlight: 64,
			Rounds: []Round{{TriggerRatePerS: 16, RampRequests: 30, RetryAfter: "1", Form: "delay-seconds", AdvertisedS: &half,
				DeadlineAdmitted: &yes, RealWaitS: &half, Verdict: Honest,
				Exchanges: []Exchange{{Kind: "trigger", Status: 429, RetryAfter: "1"}, {Kind: "deadline", AtS: 1.25, Status: 200}}}}},
	}
}

// TestWriteRead: what Write writes, Read reads back unchanged and Detect
// recognises.
func TestWriteRead(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, report()); err != nil {
		t.Fatal(err)
	}
	if !Detect(buf.Bytes()[:min(512, buf.Len())]) {
		t.Errorf("Detect does not recognise a written report:\n%s", buf.Bytes())
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if want := report(); !reflect.DeepEqual(got, want) {
		t.Errorf("Read(Write(r)) = %+v; want %+v", got, want)
	}
}

func TestPassed(t *testing.T) {
	for verdict, want := range map[string]bool{Honest: true, "understated": false, "no_limit": false, "": false} {
		r := Report{Verdict: verdict}
		if r.Passed() != want {
			t.Errorf("Report{Verdict: %q}.Passed() = %v; want %v", verdict, !want, want)
		}
	}
}

func TestReadErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"schema": "stampede/probe/v9"}`, `probe report of schema "stampede/probe/v9"; this stampede reads "stampede/probe/v1"`},
		{`{"schema": "stampede/probe/v1", "requests": "many"}`, "a probe report that does not parse"},
		{`{"schema": "stampede/probe/v1", "target": "` + strings.Repeat("x", MaxSize) + `"}`, "a probe report of more than 4194304 bytes"},
		{``, "a probe report that does not parse"},
	} {
		if _, err := Read(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%.40q…) = %v; want an error with %q", tc.in, err, tc.want)
		}
	}
}

func TestDetect(t *testing.T) {
	for in, want := range map[string]bool{
		`{"schema": "stampede/probe/v1"}`:       true,
		"\n  {\"schema\":\"stampede/probe/v1\"": true,
		`{"schema": "stampede/summary/v1"}`:     false,
		`["stampede/probe/v1", "schema"]`:       false,
		"STAMPEDE":                              false,
		"":                                      false,
	} {
		if got := Detect([]byte(in)); got != want {
			t.Errorf("Detect(%q) = %v; want %v", in, got, want)
		}
	}
}

// FuzzRead reads any bytes as a report: no panic, and what it accepts is
// of this schema and writes back to a report that reads the same.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	if err := Write(&buf, report()); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"schema": "stampede/probe/v1", "probe": {"rounds": [{"advertised_s": null, "halfway_admitted": false}]}}`))
	f.Add([]byte(`{"schema": "stampede/probe/v1", "requests": -1, "probe": {"rounds": null}}`))
	f.Add([]byte(`{"schema": 1}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := Read(bytes.NewReader(in))
		if err != nil {
			return
		}
		if r.Schema != Schema {
			t.Fatalf("Read accepted schema %q", r.Schema)
		}
		var out bytes.Buffer
		if err := Write(&out, r); err != nil {
			t.Fatal(err)
		}
		back, err := Read(&out)
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("Read(Write(r)) = %+v, %v; want %+v", back, err, r)
		}
	})
}
