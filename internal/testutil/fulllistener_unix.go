//go:build !windows

package testutil

import (
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// FullListener returns the address of a loopback listener whose accept
// queue is full, so that further connection attempts get no answer (the
// kernel drops their SYNs): a dial to it times out. Only loopback is used.
func FullListener(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	rc, err := ln.(*net.TCPListener).SyscallConn()
	require.NoError(t, err)
	var lerr error
	require.NoError(t, rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), 0) }))
	require.NoError(t, lerr)
	// With backlog 0 the queue holds one connection: fill it.
	c, err := net.DialTimeout("tcp", ln.Addr().String(), Timeout)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	probe, err := net.DialTimeout("tcp", ln.Addr().String(), 200*time.Millisecond)
	if err == nil {
		_ = probe.Close()
		t.Skip("this kernel does not drop SYNs when the accept queue is full")
	}
	return ln.Addr().String()
}
