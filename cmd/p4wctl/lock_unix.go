//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockConfig holds an exclusive lock on dir's lock file until the returned function is
// called. p4wctl processes running at once (a script's parallel jobs) take turns to refresh:
// each refresh token works once, and presenting one already spent revokes the whole sign-in.
func lockConfig(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
