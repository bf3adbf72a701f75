package core_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// TestCounters: each close is counted once under its cause; bytes read and
// written, refused writes, failed connects and accept errors are counted.
func TestCounters(t *testing.T) {
	l, wait := startLoop(t, core.WithTickInterval(5*time.Millisecond))
	closed := make(chan struct{}, 16)
	onEvent := core.OnEvent(func(*core.Socket, error) { closed <- struct{}{} })
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
		switch string(data) {
		case "overflow":
			_, _ = s.Write(make([]byte, 2048)) // past the cap: refused, and the socket closes
		case "quiet":
			_ = s.SetTimeouts(20*time.Millisecond, 0)
		default:
			_, _ = s.Write(data)
		}
	}, core.WithMaxWriteBuffer(1024), core.WithWriteWatermarks(256, 512), onEvent, server.WithProxyProtocol())
	require.NoError(t, err)
	addr := srv.Addr().String()
	exchange := func(msg string) net.Conn {
		c := dial(t, addr)
		_, err := c.Write(append([]byte("PROXY UNKNOWN\r\n"), msg...))
		require.NoError(t, err)
		return c
	}

	c := exchange("12345") // echoed, then the client ends its side: EOF
	_, err = io.ReadFull(c, make([]byte, 5))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).CloseWrite())
	testutil.Recv(t, closed, "the end of file")

	c = exchange("abc") // echoed, then a reset
	_, err = io.ReadFull(c, make([]byte, 3))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).SetLinger(0))
	require.NoError(t, c.Close())
	testutil.Recv(t, closed, "the reset")

	exchange("quiet") // then nothing: the read timeout
	testutil.Recv(t, closed, "the timeout")

	exchange("overflow")
	testutil.Recv(t, closed, "the overflow")

	c = dial(t, addr) // a bad PROXY header: an accept error
	_, err = c.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	require.NoError(t, err)
	testutil.Recv(t, closed, "the accept error")

	failed := make(chan struct{})
	_, err = client.TCPConnect(l, testutil.FullListener(t), echo, core.OnEvent(func(*core.Socket, error) { close(failed) }),
		client.WithDialTimeout(50*time.Millisecond))
	require.NoError(t, err)
	testutil.Recv(t, failed, "the failed connect")

	require.NoError(t, l.Shutdown(context.Background()))
	require.NoError(t, wait())
	st := l.Stats()
	hdr := uint64(len("PROXY UNKNOWN\r\n"))
	want := core.Counters{
		Accepted: 4, ConnectFailures: 1, AcceptErrors: 1, // the bad header never became a socket
		ClosedEOF: 1, ClosedReset: 1, ClosedTimeout: 1, ClosedOverflow: 1,
		BytesRead:     4*hdr + uint64(len("12345abcquietoverflowGET / HTTP/1.1\r\n\r\n")),
		BytesWritten:  uint64(len("12345abc")),
		RefusedWrites: 1,
	}
	require.Equal(t, want, st.Counters)
}
