package server_test

import (
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

func TestMain(m *testing.M) { testutil.Main(testutil.OnTransport(m)) }

func echo(s *core.Socket, data []byte) { _, _ = s.Write(data) }

// roundTrip sends msg to addr over a plain connection and returns the echo.
func roundTrip(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testutil.Timeout)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte(msg))
	require.NoError(t, err)
	buf := make([]byte, len(msg))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	return string(buf)
}

// inLoop runs body on a Loop's goroutine while the test's goroutine drives
// peers; body's returned func is called from the loop to finish.
func runServer(t *testing.T, addr string, opts ...server.Option) (*server.Server, func()) {
	t.Helper()
	l := core.NewLoop()
	ready := make(chan *server.Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- l.Run(func(l *core.Loop) {
			srv, err := server.TCPServer(l, addr, echo, opts...)
			if err != nil {
				t.Error(err)
			}
			ready <- srv
		})
	}()
	srv := testutil.Recv(t, ready, "server")
	require.NotNil(t, srv)
	return srv, func() {
		l.Exit()
		require.NoError(t, testutil.Recv(t, done, "Run"))
	}
}

func TestEmptyHostBindsEveryAddress(t *testing.T) {
	srv, stop := runServer(t, ":0")
	defer stop()
	_, port, err := net.SplitHostPort(srv.Addr().String())
	require.NoError(t, err)
	require.NotEqual(t, "0", port, "Addr reports the port picked")
	require.Equal(t, "v4", roundTrip(t, net.JoinHostPort("127.0.0.1", port), "v4"))
	if c, err := net.Dial("tcp", "[::1]:0"); err == nil || !strings.Contains(err.Error(), "cannot assign") {
		if c != nil {
			_ = c.Close()
		}
		require.Equal(t, "v6", roundTrip(t, net.JoinHostPort("::1", port), "v6"))
	}
}

func TestBindErrorIsSynchronous(t *testing.T) {
	l := core.NewLoop()
	require.NoError(t, testutil.RunErr(t, l, func(l *core.Loop) {
		first, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		second, err := server.TCPServer(l, first.Addr().String(), echo)
		require.Nil(t, second)
		require.ErrorIs(t, err, conditions.TCPServerBindError)
		require.ErrorIs(t, err, conditions.TCPError)
		require.ErrorIs(t, err, syscall.EADDRINUSE)
		require.Contains(t, err.Error(), first.Addr().String())
		require.Equal(t, 1, l.Stats().Servers, "the failed server left nothing running")
		require.NoError(t, first.Close())
	}))
}

func TestCloseStopsAccepting(t *testing.T) {
	srv, stop := runServer(t, "127.0.0.1:0")
	defer stop()
	addr := srv.Addr().String()
	c, err := net.DialTimeout("tcp", addr, testutil.Timeout)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("a"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, 1))
	require.NoError(t, err)

	require.False(t, srv.Closed())
	require.NoError(t, srv.Close())
	require.NoError(t, srv.Close(), "idempotent")
	require.True(t, srv.Closed())

	_, err = net.DialTimeout("tcp", addr, testutil.Timeout)
	require.ErrorIs(t, err, syscall.ECONNREFUSED, "new connects are refused")
	_, err = c.Write([]byte("still here"))
	require.NoError(t, err)
	buf := make([]byte, len("still here"))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, "still here", string(buf), "open connections keep working")
}

// TestConnectBeforeRead: the connect callback of an accepted socket runs
// before its first read callback, even when the peer writes at once.
func TestConnectBeforeRead(t *testing.T) {
	const clients = 20
	var order []string
	testutil.Run(t, func(l *core.Loop) {
		connected := map[*core.Socket]bool{}
		reads := 0
		var srv *server.Server
		var err error
		srv, err = server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			if !connected[s] {
				order = append(order, "read before connect")
			}
			if reads++; reads == clients {
				_ = srv.Close()
			}
			_ = s.Close()
		}, core.OnConnect(func(s *core.Socket) { connected[s] = true }))
		require.NoError(t, err)
		for range clients {
			_, err := client.TCPConnect(l, srv.Addr().String(), echo, client.WithData([]byte("now")))
			require.NoError(t, err)
		}
	}, core.WithReactors(1))
	require.Empty(t, order)
}

// TestServerClose ports cl-async's tcp-server-close: the server closes
// while a client is connected; the client can still use and close its
// socket, the server reports closed, and the loop ends by itself.
func TestServerClose(t *testing.T) {
	var closedPre, closedPost bool
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		reads := 0
		_, err = client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			reads++
			switch reads {
			case 1: // echoed: the server has accepted this connection
				closedPre = srv.Closed()
				require.NoError(t, srv.Close())
				_, _ = s.Write([]byte("after close"))
			default: // the accepted socket outlives its server's Close
				closedPost = srv.Closed()
				_ = s.Close()
			}
		}, client.WithData([]byte("hello")))
		require.NoError(t, err)
	})
	require.False(t, closedPre)
	require.True(t, closedPost)
}

func TestBacklog(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo, server.WithBacklog(16))
		require.NoError(t, err)
		require.NoError(t, srv.Close())
	})
}

func TestBadArguments(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		tests := []struct {
			name string
			l    *core.Loop
			addr string
			read core.ReadFunc
			opts []server.Option
			arg  string
		}{
			{name: "nil loop", addr: "127.0.0.1:0", read: echo, arg: "l"},
			{name: "nil read", l: l, addr: "127.0.0.1:0", arg: "onRead"},
			{name: "no port", l: l, addr: "127.0.0.1", read: echo, arg: "addr"},
			{name: "port range", l: l, addr: "127.0.0.1:70000", read: echo, arg: "addr"},
			{name: "bad port", l: l, addr: "127.0.0.1:nosuchservice", read: echo, arg: "addr"},
			{name: "nil option", l: l, addr: "127.0.0.1:0", read: echo, opts: []server.Option{nil}, arg: "option 0"},
		}
		for _, tc := range tests {
			srv, err := server.TCPServer(tc.l, tc.addr, tc.read, tc.opts...)
			require.Nil(t, srv, tc.name)
			testutil.RequireArgError(t, err, tc.arg, tc.name)
			require.Contains(t, err.Error(), "server.TCPServer", tc.name)
		}
		require.Zero(t, l.Stats().Servers)
	})
}

func TestNotRunning(t *testing.T) {
	l := core.NewLoop()
	_, err := server.TCPServer(l, "127.0.0.1:0", echo)
	require.ErrorIs(t, err, core.ErrLoopNotRunning)
}

// TestZeroServer: a zero Server's methods report it rather than panic.
func TestZeroServer(t *testing.T) {
	var srv server.Server
	testutil.RequireArgError(t, srv.Close(), "srv")
	require.True(t, srv.Closed())
	require.Nil(t, srv.Addr())
	select {
	case <-srv.Done():
	default:
		t.Fatal("a zero Server's Done is not closed")
	}
}

// TestBacklogSystemMaximum: cl-async's :backlog -1 is the system's
// maximum, as a server without WithBacklog has.
func TestBacklogSystemMaximum(t *testing.T) {
	srv, stop := runServer(t, "127.0.0.1:0", server.WithBacklog(-1))
	defer stop()
	c, err := net.Dial("tcp", srv.Addr().String())
	require.NoError(t, err)
	require.NoError(t, c.Close())
}
