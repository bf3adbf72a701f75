//go:build !windows

package adapters

import (
	"io"
	"net"
	"os"
	"syscall"
)

// newProbes returns a source of probe connections (for discoverLoops):
// Unix socket pairs, whose other ends the returned io.Closer closes.
func newProbes() (func() (net.Conn, error), io.Closer) {
	var peers closers
	return func() (net.Conn, error) {
		fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			return nil, err
		}
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
		peers = append(peers, os.NewFile(uintptr(fds[1]), "asyncnet-probe-peer"))
		return fileConn(fds[0], "asyncnet-probe")
	}, &peers
}
