//go:build !windows

package server

import (
	"net"
	"syscall"
)

// setBacklog calls listen(2) again on ln's socket: the kernel then uses n
// as its backlog (Go's net.Listen always asks for the system maximum).
func setBacklog(ln net.Listener, n int) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), n) }); err != nil {
		return err
	}
	return lerr
}
