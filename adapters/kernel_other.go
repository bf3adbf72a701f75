//go:build !linux

package adapters

import "errors"

// kernelCounts: no count of the bytes the kernel took, so connections are
// written directly (conn.writeDirect).
const kernelCounts = false

// kernelAccepted fails: only Linux tells how many bytes the kernel took.
func kernelAccepted(int) (uint64, error) {
	return 0, errors.New("asyncnet: not supported on this platform")
}

// ackedBytes reports false: the write timeout then judges progress by the
// transport's own buffer.
func ackedBytes(int) (uint64, bool) { return 0, false }
