package browsertest

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"testing"
)

// Shot describes a screenshot: its size in pixels, how many distinct
// colours it has and the share of its pixels that are not white.
type Shot struct {
	Size    image.Point
	Colours int
	Ink     float64 // share of pixels with a channel below 250, 0 to 1
}

// String describes the shot for a message.
func (s Shot) String() string {
	return fmt.Sprintf("screenshot %v, %d colours, %.1f %% not white", s.Size, s.Colours, 100*s.Ink)
}

// Measure decodes a PNG and measures it.
func Measure(shot []byte) (Shot, error) {
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		return Shot{}, err
	}
	b := img.Bounds()
	// seen has one bit per colour r<<16 | g<<8 | b, 8 bits each (2 MB):
	// faster than a map, which matters under -race.
	seen := make([]uint64, 1<<24/64)
	var colours, ink int
	add := func(r, g, bl uint32) {
		c := r<<16 | g<<8 | bl
		if bit := uint64(1) << (c % 64); seen[c/64]&bit == 0 {
			seen[c/64] |= bit
			colours++
		}
		if r < 250 || g < 250 || bl < 250 {
			ink++
		}
	}
	if rgba, ok := img.(*image.RGBA); ok {
		// What Chromium's PNGs decode to: read the pixels directly, many
		// times faster than At.
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := rgba.Pix[rgba.PixOffset(b.Min.X, y):rgba.PixOffset(b.Max.X, y)]
			for i := 0; i < len(row); i += 4 {
				add(uint32(row[i]), uint32(row[i+1]), uint32(row[i+2]))
			}
		}
	} else {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				add(r>>8, g>>8, bl>>8)
			}
		}
	}
	s := Shot{Size: b.Size(), Colours: colours}
	if n := b.Dx() * b.Dy(); n > 0 {
		s.Ink = float64(ink) / float64(n)
	}
	return s, nil
}

// Blank says why a shot looks like a blank page, or "" if it has more
// than 50 colours (charts drawn) and more than 5 % of it is not white.
func (s Shot) Blank() string {
	if s.Colours <= 50 || s.Ink <= 0.05 {
		return fmt.Sprintf("%v; want > 50 colours and > 5 %% not white", s)
	}
	return ""
}

// CheckScreenshot fails the test unless shot is a PNG of a page with
// something on it (see Shot.Blank), and returns its measure; with -v it
// logs it.
func CheckScreenshot(t testing.TB, shot []byte) Shot {
	t.Helper()
	s, err := Measure(shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := s.Blank(); b != "" {
		t.Error(b)
	}
	if testing.Verbose() {
		t.Log(s)
	}
	return s
}
