package memtransport_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport/memtransport"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestNettestConn(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		nw := memtransport.NewNetwork(memtransport.WithWindow(64 << 10))
		ln, err := nw.Listen("127.0.0.1:0")
		if err != nil {
			return nil, nil, nil, err
		}
		defer ln.Close()
		c1, err = nw.Dial(context.Background(), ln.Addr().String())
		if err != nil {
			return nil, nil, nil, err
		}
		c2, err = ln.Accept()
		if err != nil {
			return nil, nil, nil, err
		}
		return c1, c2, func() {
			_ = c1.Close()
			_ = c2.Close()
		}, nil
	})
}

func TestHalfClose(t *testing.T) {
	c, s := pair(t, memtransport.NewNetwork())
	_, err := c.Write([]byte("request"))
	require.NoError(t, err)
	require.NoError(t, c.CloseWrite())
	got, err := io.ReadAll(s)
	require.NoError(t, err, "end of file after the bytes")
	require.Equal(t, "request", string(got))
	_, err = c.Write([]byte("more"))
	require.ErrorIs(t, err, syscall.EPIPE, "writing after CloseWrite")

	_, err = s.Write([]byte("response"))
	require.NoError(t, err, "the other direction still works")
	require.NoError(t, s.Close())
	got, err = io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, "response", string(got))
}

func TestCloseRead(t *testing.T) {
	c, s := pair(t, memtransport.NewNetwork(memtransport.WithWindow(16)))
	require.NoError(t, s.CloseRead())
	n, err := s.Read(make([]byte, 1))
	require.Equal(t, 0, n)
	require.ErrorIs(t, err, io.EOF)
	big := make([]byte, 1<<20)
	n, err = c.Write(big)
	require.NoError(t, err, "a closed reading side drops bytes: the window never fills")
	require.Equal(t, len(big), n)
}

func TestReset(t *testing.T) {
	c, s := pair(t, memtransport.NewNetwork())
	_, err := s.Write([]byte("in flight"))
	require.NoError(t, err)
	require.NoError(t, s.SetLinger(0))
	require.NoError(t, s.Close())

	got := make([]byte, len("in flight"))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err, "what reached the window is still read")
	_, err = c.Read(got)
	require.ErrorIs(t, err, syscall.ECONNRESET)
	var oe *net.OpError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, conditions.TCPReset, conditions.KindOf(err))
	_, err = c.Write([]byte("x"))
	require.ErrorIs(t, err, syscall.ECONNRESET)
}

// TestCloseWithUnreadResets: as on Linux, closing with bytes unread resets
// the connection rather than ending it.
func TestCloseWithUnreadResets(t *testing.T) {
	c, s := pair(t, memtransport.NewNetwork())
	_, err := c.Write([]byte("unread"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, syscall.ECONNRESET)
}

// TestWriteAfterPeerClosed: bytes sent to a closed end reset the
// connection: the write that sends them succeeds, the next one fails.
func TestWriteAfterPeerClosed(t *testing.T) {
	c, s := pair(t, memtransport.NewNetwork())
	require.NoError(t, s.Close())
	_, err := c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	_, err = c.Write([]byte("late"))
	require.NoError(t, err)
	_, err = c.Write([]byte("later"))
	require.ErrorIs(t, err, syscall.ECONNRESET)
}

// TestWindowHoldsWriterBack: a writer whose reader does not read blocks
// once the window is full, and goes on as the reader reads.
func TestWindowHoldsWriterBack(t *testing.T) {
	const window = 4 << 10
	c, s := pair(t, memtransport.NewNetwork(memtransport.WithWindow(window)))
	require.NoError(t, c.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1024) // 16 KiB
	n, err := c.Write(payload)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded, "the window is full")
	require.Equal(t, window, n, "the write took exactly one window")

	require.NoError(t, c.SetWriteDeadline(time.Time{}))
	done := make(chan error, 1)
	go func() {
		_, err := c.Write(payload[n:])
		done <- errors.Join(err, c.CloseWrite())
	}()
	got, err := io.ReadAll(s)
	require.NoError(t, err)
	require.NoError(t, testutil.Recv(t, done, "the rest of the write"))
	require.Equal(t, payload, got)
}

func TestCloseTwice(t *testing.T) {
	c, _ := pair(t, memtransport.NewNetwork())
	require.NoError(t, c.Close())
	require.ErrorIs(t, c.Close(), net.ErrClosed)
	_, err := c.Write([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, net.ErrClosed)
}
