//go:build unix

package server_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// Known failures of the transport (package adapters) over Unix sockets.
// Each test states the behaviour a TCP socket has; they fail over a Unix
// socket, and are skipped until adapters is fixed. ASYNCNET_KNOWN_FAILURES=1
// runs them:
//
//	ASYNCNET_KNOWN_FAILURES=1 go test -race -run PipeKnown -v ./server
//
// The first three have one cause: adapters counts the bytes the kernel took
// with TCP_INFO and SIOCOUTQ (kernelAccepted in adapters/kernel_linux.go),
// which a Unix socket does not answer, and gives up where it needs that
// count.

// knownFailure skips t unless ASYNCNET_KNOWN_FAILURES is set.
func knownFailure(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("ASYNCNET_KNOWN_FAILURES") == "" {
		t.Skip("known failure over Unix sockets: " + reason + " (ASYNCNET_KNOWN_FAILURES=1 runs it)")
	}
}

// TestPipeKnownEOFWithUnsentBytes: when the peer ends its side, the bytes
// already written are still delivered before the socket closes. Over a Unix
// socket those gnet still holds are dropped ("peer closed with bytes
// unsent; this platform cannot finish them"), with or without
// WithAllowHalfOpen.
func TestPipeKnownEOFWithUnsentBytes(t *testing.T) {
	knownFailure(t, "adapters cannot count the bytes the kernel took (TCP_INFO), so it drops those unsent at the peer's end of file")
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

// TestPipeKnownHalfOpenReplyInEOF: with WithAllowHalfOpen, a reply written
// inside the event callback that reports TCPEOF is delivered, then Close
// sends FIN. Over a Unix socket the reply is lost: adapters fails the
// connection ("cannot count the bytes the kernel took").
func TestPipeKnownHalfOpenReplyInEOF(t *testing.T) {
	knownFailure(t, "adapters counts what gnet's last flush wrote with TCP_INFO, and fails the half-open connection when it cannot")
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

// TestPipeKnownPauseBehindABacklog (core's TestPauseBehindABacklog over a
// pipe): a socket paused while the transport still holds bytes it wrote
// stops reading at once, so the peer's bytes wait in the kernel. Over a
// Unix socket the pause waits until the transport holds none, reading on
// meanwhile, and WithMaxReadBuffer's bound closes the socket
// (core.ErrReadBufferFull).
func TestPipeKnownPauseBehindABacklog(t *testing.T) {
	knownFailure(t, "adapters cannot count what gnet's last flush wrote (TCP_INFO), so a pause behind a backlog keeps reading")
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

// TestPipeKnownLocalAddr: a socket's LocalAddr is its own end: the path for
// a pipe server's socket, an unnamed address for a client's. gnet's Enroll
// overwrites the name of a *net.UnixConn's local address with the remote
// address followed by "." and the descriptor number, so a pipe server's
// socket reports "@.12" and a client's "<path>.13".
func TestPipeKnownLocalAddr(t *testing.T) {
	knownFailure(t, "gnet's Enroll renames the local address of a Unix connection")
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	local := make(chan string, 1)
	_, err := server.PipeServer(l, path, echo, core.OnConnect(func(s *core.Socket) { local <- s.LocalAddr().String() }))
	require.NoError(t, err)
	dialPipe(t, path)
	require.Equal(t, path, testutil.Recv(t, local, "the accepted socket"))
}
