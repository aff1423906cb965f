package browsertest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// waitGone waits until no process of the browser with this profile is
// running, for at most d, and returns those still running then, as
// "pid command". A process is the browser's when its command line names
// the profile or its environment holds the marker, which every process
// the browser starts inherits. Zombies have neither, so they count as
// gone. It reads /proc, so on a system without it it returns nil.
func waitGone(profile string, d time.Duration) []string {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		return nil
	}
	marker := []byte(markerEnv + "=" + profile + "\x00")
	var left []string
	for deadline := time.Now().Add(d); ; {
		left = browserProcesses(profile, marker)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// browserProcesses lists the processes whose command line names the
// profile or whose environment holds the marker.
func browserProcesses(profile string, marker []byte) []string {
	var found []string
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		environ, _ := os.ReadFile(filepath.Join(dir, "environ"))
		// environ ends with a NUL, so the marker's NUL matches the last
		// variable too.
		if bytes.Contains(cmdline, []byte(profile)) || bytes.Contains(environ, marker) {
			cmd, _, _ := strings.Cut(string(cmdline), "\x00")
			found = append(found, filepath.Base(dir)+" "+cmd)
		}
	}
	return found
}
