package main

import (
	"testing"
	"time"
)

func TestStallWait(t *testing.T) {
	s, e := time.Second, 10*time.Second
	for _, c := range []struct{ d, want time.Duration }{
		{0, time.Second}, // the first window opens at the start
		{300 * time.Millisecond, 700 * time.Millisecond},
		{time.Second, 0}, // the window is [0, 1s)
		{5 * time.Second, 0},
		{10*time.Second + 999*time.Millisecond, time.Millisecond}, // the next period's window
		{-time.Millisecond, 0},
	} {
		if got := stallWait(c.d, s, e); got != c.want {
			t.Errorf("stallWait(%v) = %v, want %v", c.d, got, c.want)
		}
	}
	if got := stallWait(0, 0, e); got != 0 {
		t.Errorf("no stall: %v", got)
	}
}
