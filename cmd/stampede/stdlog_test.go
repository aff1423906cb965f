package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestStdLog: a line of the standard logger loses the command line's
// secrets; net/http's unsolicited responses are reported once, without
// their bytes.
func TestStdLog(t *testing.T) {
	var b bytes.Buffer
	s := &stdLog{w: &b, args: []string{"attack", "-H", "Authorization: Bearer tok-unit-5151"}}
	for _, line := range []string{
		"stampede: http: something about tok-unit-5151\n",
		"stampede: Unsolicited response received on idle HTTP channel starting with \"X-Other: raw-bytes-1\"; err=<nil>\n",
		"stampede: Unsolicited response received on idle HTTP channel starting with \"X-Other: raw-bytes-2\"; err=<nil>\n",
	} {
		if n, err := s.Write([]byte(line)); err != nil || n != len(line) {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(line))
		}
	}
	out := b.String()
	for _, bad := range []string{"tok-unit-5151", "raw-bytes"} {
		if strings.Contains(out, bad) {
			t.Errorf("stderr holds %q:\n%s", bad, out)
		}
	}
	if strings.Count(out, "idle connection") != 1 || !strings.Contains(out, "something about [REDACTED]") {
		t.Errorf("stderr = %q; want the masked line and one report of the unsolicited bytes", out)
	}
}
