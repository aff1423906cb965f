package records

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"
)

// goldenBytes returns the stored golden file and the records, header length
// and reader of an intact read of it.
func goldenBytes(t *testing.T) ([]byte, []Record, *Reader) {
	t.Helper()
	data, err := os.ReadFile("testdata/TestGoldenFile.golden.bin")
	if err != nil {
		t.Fatal(err)
	}
	recs, r := readAll(t, data)
	if len(recs) == 0 || r.Trailer() == nil || r.HeaderLost() != nil || r.TrailerDamaged() {
		t.Fatalf("golden file: %d records, trailer %v, HeaderLost %v, TrailerDamaged %v; want records, a trailer, no damage",
			len(recs), r.Trailer(), r.HeaderLost(), r.TrailerDamaged())
	}
	return data, recs, r
}

// TestHeaderDamageKeepsRecords damages each byte of the golden file's header
// after the magic in turn: every record, class, name and the trailer are
// still read, with the header lost (or, for a version byte, read as the
// damaged version, or refused when that version is not one of the family).
func TestHeaderDamageKeepsRecords(t *testing.T) {
	data, want, intact := goldenBytes(t)
	hlen := int(intact.headerLen)
	start := intact.Header().Start
	for i := len(Magic); i < hlen; i++ {
		for _, flip := range []byte{0xff, 0x01, 0x80, 0x20} {
			damaged := bytes.Clone(data)
			damaged[i] ^= flip
			r, err := NewReader(bytes.NewReader(damaged))
			if i < len(Magic)+2 {
				if v := binary.LittleEndian.Uint16(damaged[len(Magic):]); v == 0 || v > maxCompatibleVersion {
					if !errors.Is(err, ErrUnsupportedVersion) {
						t.Errorf("byte %d ^ %#x (version %d): NewReader error = %v; want ErrUnsupportedVersion", i, flip, v, err)
					}
					continue
				}
			}
			if err != nil {
				t.Errorf("byte %d ^ %#x: NewReader error = %v; want the records recovered", i, flip, err)
				continue
			}
			got := readRest(t, r)
			checkAccounting(t, r, len(damaged))
			wantRecs, lost := want, i >= len(Magic)+2
			if lost {
				wantRecs = shifted(want, LostHeaderStart.Sub(start))
				if !errors.Is(r.HeaderLost(), ErrCorruptHeader) || r.Header().Start != LostHeaderStart || r.Header().Version != FormatVersion ||
					r.Header().Tool != "" || r.Header().Thresholds != nil {
					t.Errorf("byte %d ^ %#x: HeaderLost() = %v, Header() = %+v; want ErrCorruptHeader, only the version and LostHeaderStart",
						i, flip, r.HeaderLost(), r.Header())
				}
			} else if r.HeaderLost() != nil {
				t.Errorf("byte %d ^ %#x (a version byte): HeaderLost() = %v; want nil", i, flip, r.HeaderLost())
			}
			if !reflect.DeepEqual(got, wantRecs) {
				t.Errorf("byte %d ^ %#x: %d records read; want the %d of the intact file, offsets kept", i, flip, len(got), len(wantRecs))
			}
			if lost && r.Skipped() != int64(hlen-len(Magic)-2) {
				t.Errorf("byte %d ^ %#x: Skipped() = %d; want the %d bytes of the header after the version", i, flip, r.Skipped(), hlen-len(Magic)-2)
			}
			if !reflect.DeepEqual(r.Classes(), intact.Classes()) || !reflect.DeepEqual(r.Requests(), intact.Requests()) ||
				!reflect.DeepEqual(r.Trailer(), intact.Trailer()) || r.TrailerDamaged() {
				t.Errorf("byte %d ^ %#x: classes, names or trailer differ from the intact file's", i, flip)
			}
		}
	}
}

// readRest reads r to its end.
func readRest(t *testing.T, r *Reader) []Record {
	t.Helper()
	var recs []Record
	for {
		var rec Record
		err := r.Next(&rec)
		if errors.Is(err, io.EOF) {
			return recs
		}
		if err != nil {
			t.Fatalf("Next after %d records: %v", len(recs), err)
		}
		recs = append(recs, rec)
	}
}

// shifted returns recs with their Scheduled moved by d.
func shifted(recs []Record, d time.Duration) []Record {
	out := make([]Record, len(recs))
	for i, rec := range recs {
		rec.Scheduled = rec.Scheduled.Add(d)
		out[i] = rec
	}
	return out
}

// TestDamagedHeaderWithoutFrames: a damaged header with nothing after it
// recoverable, or a file of other bytes, is still refused.
func TestDamagedHeaderWithoutFrames(t *testing.T) {
	data, _, intact := goldenBytes(t)
	hlen := int(intact.headerLen)
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	damaged := bytes.Clone(data[:hlen])
	damaged[hlen-5] ^= 0x01
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"random bytes", noise, ErrNotResultFile},
		{"damaged header only", damaged, ErrCorruptHeader},
		{"magic and version then noise", append(bytes.Clone(data[:len(Magic)+2]), noise...), ErrCorruptHeader},
		{"damaged magic", append([]byte("STAMPEDF"), data[len(Magic):]...), ErrNotResultFile},
	}
	for _, tt := range tests {
		if _, err := NewReader(bytes.NewReader(tt.in)); !errors.Is(err, tt.want) {
			t.Errorf("%s: NewReader error = %v; want %v", tt.name, err, tt.want)
		}
	}
}

// TestTrailerDamageToldFromMissing: a damaged trailer frame, whichever of
// its bytes is hit, is told from a file that ends without one.
func TestTrailerDamageToldFromMissing(t *testing.T) {
	data, want, _ := goldenBytes(t)
	p, err := json.Marshal(goldenTrailer())
	if err != nil {
		t.Fatal(err)
	}
	frame := buildFrame('T', p)
	at := len(data) - len(frame)
	if !bytes.Equal(data[at:], frame) {
		t.Fatal("the golden file does not end with its trailer frame")
	}
	for i := at; i < len(data); i++ {
		for _, flip := range []byte{0xff, 0x01, 0x80} {
			damaged := bytes.Clone(data)
			damaged[i] ^= flip
			got, r := readAll(t, damaged)
			if !r.TrailerDamaged() || r.Trailer() != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("trailer byte %d ^ %#x: TrailerDamaged() = %v, Trailer() = %v, %d records; want true, nil, %d",
					i-at, flip, r.TrailerDamaged(), r.Trailer(), len(got), len(want))
			}
		}
	}
	cuts := []struct {
		name string
		in   []byte
	}{
		{"no trailer", data[:at]},
		{"a record cut short", data[:at-3]},
		{"a trailer cut short", data[:len(data)-3]},
	}
	for _, c := range cuts {
		_, r := readAll(t, c.in)
		damaged := c.name == "a trailer cut short" // its kind byte is there
		if r.Trailer() != nil || r.TrailerDamaged() != damaged {
			t.Errorf("%s: Trailer() = %v, TrailerDamaged() = %v; want nil, %v", c.name, r.Trailer(), r.TrailerDamaged(), damaged)
		}
	}
	// A damaged record before an intact trailer: the trailer is read.
	damaged := bytes.Clone(data)
	damaged[at-2] ^= 0x01
	if _, r := readAll(t, damaged); r.Trailer() == nil || r.TrailerDamaged() {
		t.Errorf("damaged last record: Trailer() = %v, TrailerDamaged() = %v; want the trailer, false", r.Trailer(), r.TrailerDamaged())
	}
}
