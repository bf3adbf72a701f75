//go:build !windows

package core

import "syscall"

// canPark: Disable(read) takes the descriptor out of the transport.
const canPark = true

func writeFD(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

func setLingerZero(fd int) error {
	return syscall.SetsockoptLinger(fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
}
