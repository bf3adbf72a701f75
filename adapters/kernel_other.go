//go:build !linux

package adapters

import (
	"errors"
	"net"
)

// kernelBaseline reports false: only Linux tells how many bytes the kernel
// took, so elsewhere the bytes a peer's end of file leaves unsent are
// dropped (and logged).
func kernelBaseline(net.Conn) (uint64, bool) { return 0, false }

func kernelAccepted(int) (uint64, error) {
	return 0, errors.New("asyncnet: not supported on this platform")
}

// ackedBytes reports false: the write timeout then judges progress by the
// transport's own buffer.
func ackedBytes(int) (uint64, bool) { return 0, false }
