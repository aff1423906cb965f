// Package records holds the record of one HTTP attempt and the versioned,
// streaming result file that stores one record per attempt.
//
// A result file is a header (magic, format version, a checksummed JSON
// object) followed by checksummed frames: one per record, and since version 2
// frames that describe the classes of responses the records refer to (Class)
// and a few sample bodies of each; since version 4 frames that name the
// requests the records came from (RequestName). A Writer appends frames through a buffer,
// records without allocating; a Reader returns the records one at a time and
// keeps a bounded table of the classes, skipping corrupt or truncated bytes
// instead of failing, so a file cut short by a crash is still readable up to
// its last complete record. The byte layout and the compatibility rules are in
// docs/result-format.md.
//
// The package is a leaf: it imports nothing from the project, so the attacker
// and the analysis can both depend on it.
package records

import (
	"time"
	"unicode/utf8"
)

// Limits on the record's strings. Write truncates longer strings at a UTF-8
// boundary.
const (
	MaxCodeLen       = 128 // maximum length of Record.ErrorCode in bytes
	MaxRetryAfterLen = 64  // maximum length of Record.RetryAfter in bytes
)

// Record is one HTTP attempt.
type Record struct {
	Seq        uint64        // attacker sequence number, in order of release
	Scheduled  time.Time     // when the pacer scheduled the attempt to leave (absolute)
	Sent       time.Duration // queueing delay: from Scheduled until a worker actually sent it (>= 0)
	Latency    time.Duration // from Scheduled until the response was complete or failed (corrected latency)
	Status     uint16        // HTTP status; 0 when the attempt got no response
	BytesIn    uint64        // response body bytes received
	BytesOut   uint64        // request body bytes sent
	ErrorKind  ErrorKind     // transport failure kind, ErrNone if a response arrived
	ErrorCode  string        // the API's machine-readable error code ("" until classified); at most MaxCodeLen bytes
	Category   Category      // normalised category of the response (CatUnknown until classified)
	RetryAfter string        // Retry-After header exactly as received ("" if absent); at most MaxRetryAfterLen bytes
	Attempt    uint32        // 1 for a first attempt, 2.. for retries (0 in files of older writers: unknown, treat as 1)
	RequestID  uint64        // logical request id shared by all attempts of one request
	Class      uint32        // class id from the file's class frames; 0 = unclassified (and in files of older writers)
	Request    uint32        // id of the request's name from the file's name frames; 0 = none (and in files of older writers)
	Retry      RetryFlags    // what the sender did about retrying this attempt; 0 without retries (and in files of older writers)
	SinceFirst time.Duration // from the first attempt's Scheduled to this one's; 0 for a first attempt (and in files of older writers)
}

// RetryFlags say what a retrying sender did about one attempt: whether
// it retried it, and why not when it did not.
type RetryFlags uint8

// The retry flags. RetryFollows is set on an attempt the sender will
// retry; an attempt that failed without it is its logical request's
// last. RetryEarly marks a retry that left before the Retry-After of
// the attempt before it had passed. The others say why a failed,
// retryable attempt was not retried.
const (
	RetryFollows   RetryFlags = 1 << iota // a retry of this attempt was scheduled
	RetryEarly                            // this retry left before the previous attempt's Retry-After had passed
	RetryExhausted                        // not retried: the attempts allowed per request were used up
	RetryBudget                           // not retried: the retry budget was spent
	RetryTooLong                          // not retried: the Retry-After asked for a wait beyond the policy's cap
	RetryStopped                          // not retried: the attack was stopped, or it had ended (with the policy's cap of tail), before the retry was due

	retryFlagsKnown = RetryStopped<<1 - 1
)

// GaveUp reports whether the sender gave up on a retryable failure: it
// did not retry for one of the reasons the flags name.
func (f RetryFlags) GaveUp() bool {
	return f&(RetryExhausted|RetryBudget|RetryTooLong|RetryStopped) != 0
}

// Uncorrected returns the latency as a closed-loop tool would report it, from
// the moment the request was actually sent: Latency - Sent, or 0 if Sent
// exceeds Latency.
func (r *Record) Uncorrected() time.Duration {
	return max(r.Latency-r.Sent, 0)
}

// Success reports whether the attempt got a response with a status in
// [200, 400).
func (r *Record) Success() bool {
	return r.ErrorKind == ErrNone && r.Status >= 200 && r.Status < 400
}

// truncate returns s cut to at most n bytes without splitting a UTF-8
// encoded rune: if a valid multi-byte rune straddles byte n, the cut moves back
// to its first byte. Invalid UTF-8 is cut at n.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// A rune straddling the cut starts at most UTFMax-1 bytes before it.
	for i := n; i >= 0 && i > n-utf8.UTFMax; i-- {
		if !utf8.RuneStart(s[i]) {
			continue
		}
		if i < n {
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || size > 1) && i+size > n {
				return s[:i]
			}
		}
		break
	}
	return s[:n]
}
