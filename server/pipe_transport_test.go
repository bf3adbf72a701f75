//go:build unix

package server_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// The transport over Unix sockets: what a TCP socket does, a Unix socket
// does too. gnet's last flush at the peer's end of file cannot be counted
// on a Unix socket (no TCP_INFO), so adapters writes Unix sockets directly
// (conn.writeDirect); these tests failed before it did.

// TestPipeEOFWithUnsentBytes: when the peer ends its side, the bytes
// already written are still delivered before the socket closes, with or
// without WithAllowHalfOpen. (They were dropped: "peer closed with bytes
// unsent; this platform cannot finish them".)
func TestPipeEOFWithUnsentBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []server.Option
	}{
		{name: "closes at EOF"},
		{name: "half-open", opts: []server.Option{core.WithAllowHalfOpen(), core.OnEvent(func(s *core.Socket, ev error) {
			if errors.Is(ev, conditions.TCPEOF) {
				_ = s.Close()
			}
		})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := testutil.Started(t)
			path := testutil.SocketPath(t)
			reply := pattern(8 << 20) // more than the kernel's buffers hold
			_, err := server.PipeServer(l, path, func(s *core.Socket, _ []byte) { _, _ = s.Write(reply) }, tc.opts...)
			require.NoError(t, err)
			c := dialPipe(t, path)
			_, err = c.Write([]byte("go"))
			require.NoError(t, err)
			require.NoError(t, c.CloseWrite()) // the server reads "go" and the end of file together
			got, err := io.ReadAll(c)
			require.NoError(t, err)
			require.Equal(t, len(reply), len(got), "every byte written before the peer's end of file")
		})
	}
}

// TestPipeHalfOpenReplyInEOF: with WithAllowHalfOpen, a reply written
// inside the event callback that reports TCPEOF is delivered, then Close
// sends FIN. (It was lost: "cannot count the bytes the kernel took".)
func TestPipeHalfOpenReplyInEOF(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	_, err := server.PipeServer(l, path, func(*core.Socket, []byte) {}, core.WithAllowHalfOpen(),
		core.OnEvent(func(s *core.Socket, ev error) {
			if errors.Is(ev, conditions.TCPEOF) && !s.Closed() {
				_, _ = s.Write([]byte("reply"))
				_ = s.Close()
			}
		}))
	require.NoError(t, err)
	c := dialPipe(t, path)
	_, err = c.Write([]byte("request"))
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, "reply", string(got))
}

// TestPipePauseBehindABacklog (core's TestPauseBehindABacklog over a
// pipe): a socket paused while the transport still holds bytes it wrote
// stops reading at once, so the peer's bytes wait in the kernel. (The
// pause used to wait until the transport held none, reading on meanwhile,
// until WithMaxReadBuffer's bound closed the socket.)
func TestPipePauseBehindABacklog(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	const size = 32 << 20
	payload := pattern(size)
	paused := make(chan *core.Socket, 1)
	_, err := server.PipeServer(l, path, echo, core.WithMaxReadBuffer(64<<10), core.OnConnect(func(s *core.Socket) {
		_, _ = s.Write(payload)
		last := -1
		var check *core.Timer
		check = s.Loop().Interval(20*time.Millisecond, func() {
			if u := s.Unsent(); u != last { // the kernel still takes bytes
				last = u
				return
			}
			check.Stop()
			require.NoError(t, s.Disable(true, false))
			paused <- s
		})
	}))
	require.NoError(t, err)
	c := dialPipe(t, path)
	s := testutil.Recv(t, paused, "the pause")
	go func() { _, _ = c.Write(make([]byte, 128<<10)) }() // bytes the server does not read
	got := make([]byte, size)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.True(t, bytes.Equal(payload, got), "every byte, in order")
	require.False(t, s.Closed(), "the peer's bytes wait in the kernel")
}

// TestPipeLocalAddr: a socket's LocalAddr is its own end: the path for
// a pipe server's socket, an unnamed address for a client's. gnet's Enroll
// overwrites the name of a *net.UnixConn's local address with the remote
// address followed by "." and the descriptor number ("@.12"), so adapters
// asks the kernel instead.
func TestPipeLocalAddr(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	local := make(chan string, 1)
	_, err := server.PipeServer(l, path, echo, core.OnConnect(func(s *core.Socket) { local <- s.LocalAddr().String() }))
	require.NoError(t, err)
	dialPipe(t, path)
	require.Equal(t, path, testutil.Recv(t, local, "the accepted socket"))
}
