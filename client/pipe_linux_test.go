package client_test

import (
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// TestPipeConnectAbstract: on Linux "@name" is an abstract socket: no
// file, and the client reaches it by the same name.
func TestPipeConnectAbstract(t *testing.T) {
	l := testutil.Started(t)
	name := fmt.Sprintf("@asyncnet-client-test-%d", os.Getpid())
	srv, err := server.PipeServer(l, name, echo)
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.Close()) }()
	replies := make(chan string, 1)
	_, err = client.PipeConnect(l, name, func(s *core.Socket, data []byte) {
		replies <- string(data)
		_ = s.Close()
	}, client.WithData([]byte("x")))
	require.NoError(t, err)
	require.Equal(t, "x", testutil.Recv(t, replies, "the echo"))
}

// TestPipeConnectBacklogFull: on Linux a Unix connect does not wait in a
// full accept queue, as a TCP SYN does: it fails at once with EAGAIN, a
// TCPError that is not TCPRefused (a server is there, busy).
func TestPipeConnectBacklogFull(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	ln := listenUnix(t, path)
	rc, err := ln.SyscallConn()
	require.NoError(t, err)
	var lerr error
	require.NoError(t, rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), 0) }))
	require.NoError(t, lerr)
	var queued []net.Conn // backlog 0 holds one connection
	for {
		c, err := net.Dial("unix", path)
		if err != nil {
			require.ErrorIs(t, err, syscall.EAGAIN)
			break
		}
		queued = append(queued, c)
		require.Less(t, len(queued), 8, "the queue never filled")
	}
	for _, c := range queued {
		defer c.Close()
	}
	c := newCollector()
	s, err := client.PipeConnect(l, path, c.read, core.OnEvent(c.event))
	require.NoError(t, err)
	ev := c.next(t)
	require.ErrorIs(t, ev, syscall.EAGAIN)
	require.ErrorIs(t, ev, conditions.TCPError)
	require.NotErrorIs(t, ev, conditions.TCPRefused)
	require.True(t, s.Closed())
}
