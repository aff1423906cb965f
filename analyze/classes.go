package analyze

import (
	"hash/maphash"

	"github.com/stampede-dev/stampede/attack/results"
)

// DefaultMaxClasses is the default bound on the distinct classes a table
// keeps; responses beyond it count in one overflow class.
const DefaultMaxClasses = 200

// OverflowCode is the error code of the overflow class.
const OverflowCode = "other"

// Class is one class of responses: its identity and description (status,
// error code and message pattern; category, retryable flag, dialect, first
// message, example request) and up to results.MaxSamplesPerClass redacted
// sample bodies.
type Class struct {
	results.Class
	Samples []string

	sampleHashes [results.MaxSamplesPerClass]uint64 // of Samples, to keep them distinct
	sampleTries  int                                // responses compared for a new sample
}

// classKey identifies a class in a ClassTable's index: the status, the
// transport failure kind and hashes of the code and the pattern. Two
// classes whose hashes collide are told apart by probing (see find).
type classKey struct {
	status  uint16
	kind    results.ErrorKind
	code    uint64
	pattern uint64
}

// keySeed seeds the hashes of classKey. The index lives only in memory, so
// the seed may differ from one process to the next.
var keySeed = maphash.MakeSeed()

func keyOf(status uint16, kind results.ErrorKind, code, pattern []byte) classKey {
	return classKey{status: status, kind: kind, code: maphash.Bytes(keySeed, code), pattern: maphash.Bytes(keySeed, pattern)}
}

// ClassTable is a bounded registry of classes, keyed by status, transport
// failure kind, error code and message pattern. It assigns IDs 1, 2, … in
// order of creation. Once it holds its maximum, every new key maps to a
// single overflow class (Overflow set, code OverflowCode), so memory stays
// bounded whatever the target answers. A ClassTable is not safe for
// concurrent use.
type ClassTable struct {
	max      int
	classes  []*Class // by ID-1
	index    map[classKey]*Class
	overflow *Class
}

// NewClassTable returns an empty table that keeps at most max classes
// besides the overflow class; max < 1 means DefaultMaxClasses.
func NewClassTable(max int) *ClassTable {
	if max < 1 {
		max = DefaultMaxClasses
	}
	return &ClassTable{max: max, index: make(map[classKey]*Class)}
}

// Max returns the most classes the table keeps besides the overflow class.
func (t *ClassTable) Max() int { return t.max }

// Len returns the number of classes, the overflow class included once it
// exists.
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
func (t *ClassTable) find(status uint16, kind results.ErrorKind, code, pattern []byte) (*Class, classKey) {
	k := keyOf(status, kind, code, pattern)
	for {
		c, ok := t.index[k]
		if !ok {
			return nil, k
		}
		if c.Status == status && c.ErrorKind == kind && c.Code == string(code) && c.Pattern == string(pattern) {
			return c, k
		}
		k.pattern++ // a collision of 64-bit hashes: probe the next slot
	}
}

// findString is find for a code and pattern held in strings.
func (t *ClassTable) findString(status uint16, kind results.ErrorKind, code, pattern string) *Class {
	k := classKey{status: status, kind: kind, code: maphash.String(keySeed, code), pattern: maphash.String(keySeed, pattern)}
	for {
		c, ok := t.index[k]
		if !ok {
			return nil
		}
		if c.Status == status && c.ErrorKind == kind && c.Code == code && c.Pattern == pattern {
			return c
		}
		k.pattern++
	}
}

// Intern returns the class with desc's status, kind, code and pattern,
// creating it from desc (with a new ID) if there is none and the table
// has room, and the overflow class otherwise. It reports whether it
// created a class. An overflow desc always maps to the overflow class.
func (t *ClassTable) Intern(desc results.Class) (*Class, bool) {
	if desc.Overflow {
		return t.overflowClass()
	}
	if c := t.findString(desc.Status, desc.ErrorKind, desc.Code, desc.Pattern); c != nil {
		return c, false
	}
	_, k := t.find(desc.Status, desc.ErrorKind, []byte(desc.Code), []byte(desc.Pattern))
	return t.insert(k, desc)
}

// insert adds a class under index key k, or returns the overflow class when
// the table is full.
func (t *ClassTable) insert(k classKey, desc results.Class) (*Class, bool) {
	if t.full() {
		return t.overflowClass()
	}
	c := &Class{Class: desc}
	c.ID = uint32(len(t.classes) + 1)
	c.Overflow = false
	t.classes = append(t.classes, c)
	t.index[k] = c
	return c, true
}

// overflowClass returns the overflow class, creating it on first use.
func (t *ClassTable) overflowClass() (*Class, bool) {
	if t.overflow != nil {
		return t.overflow, false
	}
	t.overflow = &Class{Class: results.Class{
		ID:       uint32(len(t.classes) + 1),
		Code:     OverflowCode,
		Category: results.CatUnknown,
		Dialect:  "overflow",
		Overflow: true,
		Message:  "responses of classes beyond the class limit",
	}}
	t.classes = append(t.classes, t.overflow)
	return t.overflow, true
}

// addSample appends a sample whose raw body hashed to hash.
func (c *Class) addSample(body string, hash uint64) bool {
	c.sampleTries++
	c.sampleHashes[len(c.Samples)] = hash
	c.Samples = append(c.Samples, body)
	return true
}

// full reports whether a new key would go to the overflow class.
func (t *ClassTable) full() bool { return len(t.index) >= t.max }

// maxSampleTries bounds the responses of one class compared for a new
// sample, so that a class whose answers never vary stops costing a hash
// per response.
const maxSampleTries = 1000
