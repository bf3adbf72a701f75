//go:build unix

package memtransport

import (
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// watchFailure waits, without reading, until nc fails (the peer resets
// it) and returns the failure; it returns nil once interrupted (a read
// deadline, a close). ok is false if nc cannot be watched so (it is not
// a socket).
func watchFailure(nc net.Conn) (err error, ok bool) {
	rc := rawConn(nc)
	if rc == nil {
		return nil, false
	}
	var failure error
	_ = rc.Read(func(fd uintptr) bool {
		v, gerr := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case gerr != nil:
			failure = gerr
		case v != 0:
			failure = syscall.Errno(v)
		}
		return failure != nil // else wait for the socket's next event
	})
	if failure == nil {
		return nil, true
	}
	return &net.OpError{Op: "read", Net: "tcp", Source: nc.LocalAddr(), Addr: nc.RemoteAddr(), Err: os.NewSyscallError("read", failure)}, true
}

// pendingError returns the error pending on the socket nc (SO_ERROR),
// else ECONNRESET: why a connection that answers ENOTCONN ended.
func pendingError(nc net.Conn) error {
	var pending error = syscall.ECONNRESET
	if rc := rawConn(nc); rc != nil {
		_ = rc.Control(func(fd uintptr) {
			if v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR); err == nil && v != 0 {
				pending = syscall.Errno(v)
			}
		})
	}
	return pending
}

// drainUnread reads and drops what the kernel holds unread on nc, without
// waiting: closing a socket with unread bytes resets the connection.
func drainUnread(nc net.Conn) {
	rc := rawConn(nc)
	if rc == nil {
		return
	}
	var scratch [16 << 10]byte
	_ = rc.Read(func(fd uintptr) bool {
		for {
			n, err := syscall.Read(int(fd), scratch[:])
			if n <= 0 || err != nil {
				return true
			}
		}
	})
}

func rawConn(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}
