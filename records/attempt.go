package records

import "net/http"

// Attempt is one attempt as its sender delivers it to the analysis: its
// record, and what the analysis needs of the request and the response that
// the record does not keep. The receiver calls Release once done with
// Body.
type Attempt struct {
	Record    Record
	Header    http.Header // the response's headers; nil without a response
	Body      []byte      // the first bytes of the body, if captured; valid until Release
	Method    string      // of the request
	URL       string      // of the request, as sent (not redacted)
	Scope     uint64      // the rate limiter the request falls under: its endpoint and credentials, hashed
	Principal uint64      // whose limit it counts against: its host and credentials, hashed
	Request   string      // the name of the request it came from: a profile's request name, or "METHOD /path"

	// Buffer is the memory behind Body, when the sender lends it, and
	// Recycle takes it back: Release calls Recycle(Buffer).
	Buffer  *[]byte
	Recycle func(*[]byte)
}

// Release hands the memory of Body back to the sender. Body must not be
// used afterwards; calling Release again does nothing.
func (a *Attempt) Release() {
	if a.Buffer != nil && a.Recycle != nil {
		a.Recycle(a.Buffer)
	}
	a.Buffer, a.Body = nil, nil
}
