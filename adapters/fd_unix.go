//go:build unix

package adapters

import (
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// canPark: Pause takes the descriptor out of gnet.
const canPark = true

// unixLocalAddr returns the name the Unix socket fd is bound to, or nil.
func unixLocalAddr(fd int) net.Addr {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil
	}
	if su, ok := sa.(*unix.SockaddrUnix); ok {
		return &net.UnixAddr{Name: su.Name, Net: "unix"}
	}
	return nil
}

func writeFD(fd int, p []byte) (int, error) { return syscall.Write(fd, p) }

func setLingerZero(fd int) error {
	return syscall.SetsockoptLinger(fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
}

// shutdownWrite sends FIN on fd. A connection the peer has just reset
// answers ENOTCONN; the reset is what the caller should hear of, so that
// is what it returns (the socket's pending error, else ECONNRESET).
func shutdownWrite(fd int) error {
	err := unix.Shutdown(fd, unix.SHUT_WR)
	if !errors.Is(err, unix.ENOTCONN) {
		return err
	}
	if soErr, gerr := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR); gerr == nil && soErr != 0 {
		return syscall.Errno(soErr)
	}
	return syscall.ECONNRESET
}

// failedFD is a descriptor with a pending error.
type failedFD struct {
	idx int   // its index in the list given to failedFDs
	err error // the error, such as ECONNRESET
}

// failedFDs returns the descriptors of fds that have an error pending, in
// the order of fds, with one poll(2) for all of them. It does not wait.
func failedFDs(fds []int) []failedFD {
	if len(fds) == 0 {
		return nil
	}
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i] = unix.PollFd{Fd: int32(fd)} // no events asked: only errors and hang-ups are reported
	}
	if n, err := unix.Poll(pfds, 0); err != nil || n == 0 {
		return nil
	}
	var failed []failedFD
	for i, p := range pfds {
		if p.Revents&(unix.POLLERR|unix.POLLNVAL) == 0 {
			continue
		}
		errno, err := unix.GetsockoptInt(fds[i], unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case err != nil:
			failed = append(failed, failedFD{idx: i, err: err})
		case errno != 0:
			failed = append(failed, failedFD{idx: i, err: syscall.Errno(errno)})
		case p.Revents&unix.POLLNVAL != 0:
			failed = append(failed, failedFD{idx: i, err: syscall.EBADF})
		}
	}
	return failed
}
