package main

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/stampede-dev/stampede/internal/field"
)

// Exit codes of stampede.
const (
	exitOK        = 0
	exitThreshold = 1 // thresholds failed (later issues)
	exitUsage     = 2 // bad flags, arguments, configuration or input files
	exitRuntime   = 3 // the run itself failed, e.g. the result file could not be written
)

// exitError carries an exit code with the error; only main maps it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf is a usage or configuration error: exit code 2.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// runtimeError is a failure of the run itself: exit code 3.
func runtimeError(err error) error { return &exitError{code: exitRuntime, err: err} }

// signalCause is the cause of the graceful context's cancellation.
type signalCause struct{ sig syscall.Signal }

func (s signalCause) Error() string { return "interrupted by " + signalName(s.sig) }

// exitCode is 128 + the signal number, as shells report it: 130 for
// SIGINT, 143 for SIGTERM.
func (s signalCause) exitCode() int { return 128 + int(s.sig) }

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// codeOf maps an error returned by a command to an exit code. Errors cobra
// raises itself (unknown command, wrong arguments) are usage errors.
func codeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}

// flagProblems is a usage error listing the problems a layer found with
// its options, each a *field.Error named as the command's flags are:
// "--workers 20: more than the maximum of 10 workers".
func flagProblems(errs []error) error {
	msgs := make([]string, len(errs))
	for i, err := range errs {
		msgs[i] = flagProblem(err)
	}
	return usageErrorf("%s", strings.Join(msgs, "; "))
}

// flagProblem renders one problem: a field error as its flag's, anything
// else as it is.
func flagProblem(err error) string {
	if fe := field.As(err); fe != nil {
		return "--" + fe.Error()
	}
	return err.Error()
}
