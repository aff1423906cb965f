package classify

import (
	"hash/maphash"

	"github.com/stampede-dev/stampede/records"
)

// DefaultMaxClasses is the default bound on the distinct classes a table
// keeps; responses beyond it count in one overflow class.
const DefaultMaxClasses = 200

// OverflowCode is the error code of the overflow class.
const OverflowCode = "other"

// Class is one class of responses: its identity and description (status,
// error code and message pattern; category, retryable flag, dialect, first
// message, example request) and up to records.MaxSamplesPerClass redacted
// sample bodies.
type Class struct {
	records.Class
	Samples []string

	sampleHashes [records.MaxSamplesPerClass]uint64 // of Samples, to keep them distinct
	sampleTries  int                                // responses compared for a new sample
}

// classKey identifies a class in a ClassTable's index: the status, the
// transport failure kind and hashes of the code and the pattern. Two
// classes whose hashes collide are told apart by probing (see find).
type classKey struct {
	status  uint16
	kind    records.ErrorKind
	code    uint64
	pattern uint64
	rules   uint64 // the override rules with a path that matched
}

// keySeed seeds the hashes of classKey. The index lives only in memory, so
// the seed may differ from one process to the next.
var keySeed = maphash.MakeSeed()

func keyOf(status uint16, kind records.ErrorKind, code, pattern []byte, rules uint64) classKey {
	return classKey{status: status, kind: kind, code: maphash.Bytes(keySeed, code), pattern: maphash.Bytes(keySeed, pattern), rules: rules}
}

// ClassTable is a bounded registry of classes, keyed by status, transport
// failure kind, error code and message pattern. It assigns IDs 1, 2, … in
// order of creation. Once it holds its maximum of classes read from
// bodies, every new such key maps to the overflow class of its status
// (Overflow set, code OverflowCode), so memory stays bounded whatever the
// target answers. Classes without a body (a status alone, a transport
// failure) are few, bounded by the statuses, and always get their own.
// A ClassTable is not safe for concurrent use.
type ClassTable struct {
	max      int
	bodied   int      // classes read from a body, the ones max bounds
	classes  []*Class // by ID-1
	index    map[classKey]*Class
	overflow map[classKey]*Class // by status and kind
}

// NewClassTable returns an empty table that keeps at most max classes read
// from bodies besides the overflow classes; max < 1 means
// DefaultMaxClasses.
func NewClassTable(max int) *ClassTable {
	if max < 1 {
		max = DefaultMaxClasses
	}
	return &ClassTable{max: max, index: make(map[classKey]*Class), overflow: make(map[classKey]*Class)}
}

// Max returns the most classes read from bodies the table keeps besides
// the overflow classes.
func (t *ClassTable) Max() int { return t.max }

// Len returns the number of classes, overflow classes included.
func (t *ClassTable) Len() int { return len(t.classes) }

// ByID returns the class with the given ID, or nil.
func (t *ClassTable) ByID(id uint32) *Class {
	if id == 0 || int(id) > len(t.classes) {
		return nil
	}
	return t.classes[id-1]
}

// All returns the classes in ID order. The slice is the table's own: do
// not modify it.
func (t *ClassTable) All() []*Class { return t.classes }

// find returns the class with exactly this key, and the index key under
// which it is, or would be, stored. It does not allocate.
func (t *ClassTable) find(status uint16, kind records.ErrorKind, code, pattern []byte, rules uint64) (*Class, classKey) {
	k := keyOf(status, kind, code, pattern, rules)
	for {
		c, ok := t.index[k]
		if !ok {
			return nil, k
		}
		if c.Status == status && c.ErrorKind == kind && c.Variant == rules && c.Code == string(code) && c.Pattern == string(pattern) {
			return c, k
		}
		k.pattern++ // a collision of 64-bit hashes: probe the next slot
	}
}

// Find returns the class with exactly this status, kind, code, pattern
// and variant, or nil. It does not allocate.
func (t *ClassTable) Find(status uint16, kind records.ErrorKind, code, pattern string, variant uint64) *Class {
	c, _ := t.findString(status, kind, code, pattern, variant)
	return c
}

// findString is find for a code and pattern held in strings (the hashes
// of a string and of its bytes are equal).
func (t *ClassTable) findString(status uint16, kind records.ErrorKind, code, pattern string, rules uint64) (*Class, classKey) {
	k := classKey{status: status, kind: kind, code: maphash.String(keySeed, code), pattern: maphash.String(keySeed, pattern), rules: rules}
	for {
		c, ok := t.index[k]
		if !ok {
			return nil, k
		}
		if c.Status == status && c.ErrorKind == kind && c.Variant == rules && c.Code == code && c.Pattern == pattern {
			return c, k
		}
		k.pattern++
	}
}

// Intern returns the class with desc's status, kind, code, pattern and variant,
// creating it from desc (with a new ID) if there is none and the table
// has room, and the overflow class otherwise. It reports whether it
// created a class. An overflow desc always maps to the overflow class.
func (t *ClassTable) Intern(desc records.Class) (*Class, bool) {
	if desc.Overflow {
		return t.overflowClass(desc.Status, desc.ErrorKind)
	}
	c, k := t.findString(desc.Status, desc.ErrorKind, desc.Code, desc.Pattern, desc.Variant)
	if c != nil {
		return c, false
	}
	return t.insert(k, desc)
}

// insert adds a class under index key k, or returns the overflow class of
// its status when the table is full. A class without a body (dialect
// "none") is always added.
func (t *ClassTable) insert(k classKey, desc records.Class) (*Class, bool) {
	// A class with a code was read from a body, even when it is rebuilt
	// from a record (RecordClass): the bound applies to it.
	bodied := desc.Dialect != Skipped.String() || desc.Code != ""
	if bodied && t.full() {
		return t.overflowClass(desc.Status, desc.ErrorKind)
	}
	c := &Class{Class: desc}
	c.Variant = k.rules
	c.ID = uint32(len(t.classes) + 1)
	c.Overflow = false
	t.classes = append(t.classes, c)
	t.index[k] = c
	if bodied {
		t.bodied++
	}
	return c, true
}

// overflowClass returns the overflow class of a status and kind, creating
// it on first use. It keeps the category and retryable flag of the status.
func (t *ClassTable) overflowClass(status uint16, kind records.ErrorKind) (*Class, bool) {
	k := classKey{status: status, kind: kind}
	if c := t.overflow[k]; c != nil {
		return c, false
	}
	c := &Class{Class: records.Class{
		ID:        uint32(len(t.classes) + 1),
		Status:    status,
		ErrorKind: kind,
		Code:      OverflowCode,
		Dialect:   "overflow",
		Overflow:  true,
		Message:   "responses of classes beyond the class limit",
	}}
	c.Category, c.Retryable = StatusCategory(status, kind)
	t.overflow[k] = c
	t.classes = append(t.classes, c)
	return c, true
}

// Overflowed returns the overflow classes, in ID order.
func (t *ClassTable) Overflowed() []*Class {
	var out []*Class
	for _, c := range t.classes {
		if c.Overflow {
			out = append(out, c)
		}
	}
	return out
}

// addSample appends a sample whose raw body hashed to hash.
func (c *Class) addSample(body string, hash uint64) bool {
	c.sampleTries++
	c.sampleHashes[len(c.Samples)] = hash
	c.Samples = append(c.Samples, body)
	return true
}

// full reports whether a new class read from a body would go to an
// overflow class.
func (t *ClassTable) full() bool { return t.bodied >= t.max }

// maxSampleTries bounds the responses of one class compared for a new
// sample, so that a class whose answers never vary stops costing a hash
// per response.
const maxSampleTries = 1000
