// Package field is the one error type for a problem with one field of a
// configuration: a command-line flag, a key of a YAML file, an option of a
// library constructor. Each layer names the field as it knows it (a load
// section's key "ramp-to", a simulation's key "apis.mimo.rate_limit", an
// attack option "workers"); the command line turns the name into its flag
// with errors.As, never by reading the message.
package field

import (
	"errors"
	"fmt"
	"strconv"
)

// Error is a problem with one field.
type Error struct {
	Field string // the field's name, as the layer that checked it knows it
	// Value is the offending value as the message shows it (text quoted,
	// numbers and durations plain), "" when the message does not show one.
	Value string
	Msg   string // what is wrong, and what would be right
	// File and Line say where the field was written, when it came from a
	// file; "" and 0 otherwise.
	File string
	Line int
	// Col is the column (1-based, in characters) of the offending key or
	// value on Line, when the file's reader knows it; 0 otherwise.
	Col int
}

// Error renders "field value: msg", and "file:line: " before it when the
// field came from a file ("file:line:col: " when the column is known too).
// An Error with a column and no Field (a problem of the file itself, such
// as an unknown key) renders as "file:line:col: msg".
func (e *Error) Error() string {
	s := e.Field
	if e.Value != "" {
		s += " " + e.Value
	}
	s += ": " + e.Msg
	switch {
	case e.File != "" && e.Line > 0 && e.Col > 0:
		if e.Field == "" && e.Value == "" {
			s = e.Msg
		}
		s = e.File + ":" + strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col) + ": " + s
	case e.File != "" && e.Line > 0:
		s = e.File + ":" + strconv.Itoa(e.Line) + ": " + s
	case e.File != "":
		s = e.File + ": " + s
	}
	return s
}

// Errorf makes an Error with a message from a format.
func Errorf(name, value, format string, args ...any) *Error {
	return &Error{Field: name, Value: value, Msg: fmt.Sprintf(format, args...)}
}

// As returns the Error err is or wraps, or nil.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return nil
}

// Renamed returns a copy of err named name when err is an Error, and err
// otherwise: a caller puts its own name (a flag's) on a layer's problem.
func Renamed(err error, name string) error {
	fe := As(err)
	if fe == nil {
		return err
	}
	c := *fe
	c.Field = name
	return &c
}
