package main

import (
	"io"
	"log"
	"strings"
	"sync/atomic"

	"github.com/stampede-dev/stampede/internal/redact"
)

// unsolicited starts the line net/http's client logs, through the
// standard logger, when a server sends bytes on an idle connection; the
// rest of the line quotes those bytes, which may echo the request and its
// credentials.
const unsolicited = "Unsolicited response received on idle HTTP channel"

// unsolicitedNote replaces that line, once per process.
const unsolicitedNote = "net/http: a server sent bytes on an idle connection, after its response (not shown: they may echo the request's secrets; further ones are not reported)\n"

// stdLog is where the standard logger writes, which stampede does not use
// but net/http (and anything else linked) does: every line loses the
// secrets of the command line, and net/http's unsolicited responses are
// reported once, without their bytes.
type stdLog struct {
	w        io.Writer
	args     []string    // the command line, whose secrets are masked
	reported atomic.Bool // an unsolicited response was reported
}

// routeStdLog sends the standard logger's lines to w through a stdLog.
func routeStdLog(w io.Writer, args []string) {
	log.SetFlags(0)
	log.SetPrefix("stampede: ")
	log.SetOutput(&stdLog{w: w, args: args})
}

// Write implements io.Writer; the log package calls it once per line.
func (s *stdLog) Write(p []byte) (int, error) {
	msg := string(p)
	if i := strings.Index(msg, unsolicited); i >= 0 {
		if s.reported.Swap(true) {
			return len(p), nil
		}
		msg = msg[:i] + unsolicitedNote
	} else {
		msg = redact.Args(msg, s.args)
	}
	if _, err := io.WriteString(s.w, msg); err != nil {
		return 0, err
	}
	return len(p), nil
}
