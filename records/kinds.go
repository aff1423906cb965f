package records

import (
	"fmt"
	"strconv"
	"strings"
)

// ErrorKind is the kind of transport failure of an attempt, one that got no
// HTTP response. It is stored in the result file as one byte.
type ErrorKind uint8

// The transport failure kinds. ErrNone means a response arrived. New kinds are
// only ever appended; a reader maps a kind it does not know to ErrOther.
const (
	ErrNone    ErrorKind = iota // a response arrived
	ErrTimeout                  // the attempt timed out
	ErrRefused                  // the connection was refused
	ErrReset                    // the connection was reset or closed early
	ErrTLS                      // the TLS handshake or certificate check failed
	ErrDNS                      // the host name did not resolve
	ErrOther                    // any other failure
)

// ErrorKinds lists every kind but ErrNone in display order. Treat it as
// read-only.
var ErrorKinds = []ErrorKind{ErrTimeout, ErrRefused, ErrReset, ErrTLS, ErrDNS, ErrOther}

var errorKindNames = [...]string{
	ErrNone:    "",
	ErrTimeout: "timeout",
	ErrRefused: "connection_refused",
	ErrReset:   "connection_reset",
	ErrTLS:     "tls",
	ErrDNS:     "dns",
	ErrOther:   "other",
}

// String returns the kind's name as used in reports and on the command line:
// "" for ErrNone, then "timeout", "connection_refused", "connection_reset",
// "tls", "dns" and "other". A value out of range prints as "ErrorKind(N)".
func (k ErrorKind) String() string {
	if int(k) < len(errorKindNames) {
		return errorKindNames[k]
	}
	return "ErrorKind(" + strconv.Itoa(int(k)) + ")"
}

// valid reports whether k is one of the declared kinds.
func (k ErrorKind) valid() bool { return int(k) < len(errorKindNames) }

// ParseErrorKind returns the kind whose String is s; "" gives ErrNone.
func ParseErrorKind(s string) (ErrorKind, error) {
	for k, name := range errorKindNames {
		if s == name {
			return ErrorKind(k), nil
		}
	}
	return ErrNone, fmt.Errorf("unknown error kind %q (want one of %s)", s, strings.Join(errorKindNames[1:], ", "))
}

// Category is the normalised category of a response, filled in by the
// classifier. It is stored in the result file as one byte.
type Category uint8

// The response categories. New categories are only ever appended; a reader
// maps a category it does not know to CatUnknown.
const (
	CatUnknown        Category = iota // not classified
	CatSuccess                        // the request succeeded
	CatRedirect                       // the response redirects elsewhere
	CatValidation                     // the request was malformed or invalid
	CatAuthentication                 // credentials were missing or wrong
	CatPermission                     // authenticated but not allowed
	CatPayment                        // payment required or quota exhausted
	CatNotFound                       // no such resource
	CatConflict                       // the request conflicts with the resource's state
	CatUnprocessable                  // well-formed but semantically rejected
	CatRateLimit                      // the client was throttled
	CatServerError                    // the server failed
	CatUnavailable                    // the server is overloaded or down
	CatTimeout                        // a timeout, reported by the server or the transport
	CatTransport                      // no response: a transport failure
)

var categoryNames = [...]string{
	CatUnknown:        "unknown",
	CatSuccess:        "success",
	CatRedirect:       "redirect",
	CatValidation:     "validation",
	CatAuthentication: "authentication",
	CatPermission:     "permission",
	CatPayment:        "payment",
	CatNotFound:       "not_found",
	CatConflict:       "conflict",
	CatUnprocessable:  "unprocessable",
	CatRateLimit:      "rate_limit",
	CatServerError:    "server_error",
	CatUnavailable:    "unavailable",
	CatTimeout:        "timeout",
	CatTransport:      "transport",
}

// String returns the category's name, such as "rate_limit". A value out of
// range prints as "Category(N)".
func (c Category) String() string {
	if int(c) < len(categoryNames) {
		return categoryNames[c]
	}
	return "Category(" + strconv.Itoa(int(c)) + ")"
}

// valid reports whether c is one of the declared categories.
func (c Category) valid() bool { return int(c) < len(categoryNames) }

// ParseCategory returns the category whose String is s.
func ParseCategory(s string) (Category, error) {
	for c, name := range categoryNames {
		if s == name {
			return Category(c), nil
		}
	}
	return CatUnknown, fmt.Errorf("unknown category %q (want one of %s)", s, strings.Join(categoryNames[:], ", "))
}
