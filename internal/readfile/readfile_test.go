package readfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestRegular(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("hello"), 0o644)
	if b, err := Regular(small, 5); err != nil || string(b) != "hello" {
		t.Errorf("a file at the limit: %q, %v", b, err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		small:                         "more than the limit of 4",
		dir:                           "is a directory",
		fifo:                          "not a regular file",
		"/dev/zero":                   "not a regular file",
		filepath.Join(dir, "no-such"): "no such file",
	} {
		limit := int64(4)
		if _, err := Regular(path, limit); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Regular(%s) = %v, want %q", path, err, want)
		}
	}
}
