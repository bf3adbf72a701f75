package memtransport_test

import (
	"context"
	"net"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport/memtransport"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// pair returns both ends of a new connection of nw: the dialer's and the
// accepter's.
func pair(t *testing.T, nw *memtransport.Network) (client, server *memtransport.Conn) {
	t.Helper()
	ln, err := nw.Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	c, err := nw.Dial(context.Background(), ln.Addr().String())
	require.NoError(t, err)
	s, err := ln.Accept()
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = c.Close()
		_ = s.Close()
	})
	return c.(*memtransport.Conn), s.(*memtransport.Conn)
}

func TestListenAddresses(t *testing.T) {
	nw := memtransport.NewNetwork()
	ln, err := nw.Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	addr := ln.Addr().(*net.TCPAddr)
	require.Equal(t, "127.0.0.1", addr.IP.String())
	require.NotZero(t, addr.Port, "port 0 picks a free port")

	_, err = nw.Listen(addr.String())
	require.ErrorIs(t, err, syscall.EADDRINUSE)

	ln2, err := nw.Listen("127.0.0.1:0")
	require.NoError(t, err)
	defer ln2.Close()
	require.NotEqual(t, addr.String(), ln2.Addr().String())

	c, err := nw.Dial(context.Background(), "localhost:"+strconv.Itoa(addr.Port))
	require.NoError(t, err)
	defer c.Close()
	s, err := ln.Accept()
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, c.LocalAddr().String(), s.RemoteAddr().String())
	require.Equal(t, c.RemoteAddr().String(), s.LocalAddr().String())

	_, err = nw.Listen("example.com:80")
	require.Error(t, err, "names are not resolved")
}

func TestDialRefused(t *testing.T) {
	nw := memtransport.NewNetwork()
	_, err := nw.Dial(context.Background(), "127.0.0.1:9")
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	var oe *net.OpError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, conditions.TCPRefused, conditions.KindOf(err))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = nw.Dial(ctx, "127.0.0.1:9")
	require.ErrorIs(t, err, context.Canceled)
}

func TestListenerClose(t *testing.T) {
	nw := memtransport.NewNetwork()
	ln, err := nw.Listen("127.0.0.1:0")
	require.NoError(t, err)
	queued, err := nw.Dial(context.Background(), ln.Addr().String())
	require.NoError(t, err)
	defer queued.Close()
	accepted := make(chan error, 1)
	go func() {
		_, err := ln.Accept()
		if err == nil {
			_, err = ln.Accept()
		}
		accepted <- err
	}()
	require.NoError(t, ln.Close())
	require.ErrorIs(t, testutil.Recv(t, accepted, "Accept"), net.ErrClosed)
	_, err = nw.Dial(context.Background(), ln.Addr().String())
	require.ErrorIs(t, err, syscall.ECONNREFUSED, "nothing listens any more")
	require.ErrorIs(t, ln.Close(), net.ErrClosed)
}

// TestListenerCloseResetsQueued: a connection established and never
// accepted is reset when the listener closes, as a kernel does.
func TestListenerCloseResetsQueued(t *testing.T) {
	nw := memtransport.NewNetwork()
	ln, err := nw.Listen("127.0.0.1:0")
	require.NoError(t, err)
	c, err := nw.Dial(context.Background(), ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, ln.Close())
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, syscall.ECONNRESET)
}
