// Package readfile reads the files a user names (profiles, request bodies,
// certificates) with a bound: each must be a regular file of at most a
// given size, so that /dev/zero, a FIFO or a huge file is an error rather
// than exhausted memory or a process that never returns.
package readfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Regular reads the regular file at path, of at most limit bytes. Its
// errors say what the file is instead ("a directory", "not a regular
// file", "more than N bytes") without repeating the path.
func Regular(path string, limit int64) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	switch {
	case fi.IsDir():
		return nil, errors.New("is a directory, not a file")
	case !fi.Mode().IsRegular():
		return nil, errors.New("is not a regular file (a device, a FIFO or a socket)")
	case fi.Size() > limit:
		return nil, fmt.Errorf("is %d bytes, more than the limit of %d", fi.Size(), limit)
	}
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, pe.Err
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1)) // it may have grown since
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("is more than the limit of %d bytes", limit)
	}
	return data, nil
}
