//go:build !linux

package adapters

import "errors"

// kernelAccepted fails: only Linux tells how many bytes the kernel took.
func kernelAccepted(int) (uint64, error) {
	return 0, errors.New("asyncnet: not supported on this platform")
}

// ackedBytes reports false: the write timeout then judges progress by the
// transport's own buffer.
func ackedBytes(int) (uint64, bool) { return 0, false }
