package server_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// TestShutdownDrainsAcceptQueue: connections the kernel has queued on the
// listener when Shutdown begins are accepted and served, not reset. The
// server's one reactor is held in a read callback, so that the
// connections made meanwhile wait in the accept queue; Shutdown begins,
// then the reactor is let go: every queued connection gets its reply, then
// the server's FIN, and Shutdown returns. Both ways of accepting: the
// transport's (a TCP listener) and the server's own goroutine (a listener
// the transport does not know).
func TestShutdownDrainsAcceptQueue(t *testing.T) {
	tests := []struct {
		name string
		wrap bool
	}{
		{name: "transport", wrap: false},
		{name: "goroutine", wrap: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { testDrain(t, tt.wrap) })
	}
}

// opaqueListener hides the TCP listener's descriptor, so that the server
// accepts on a goroutine of its own.
type opaqueListener struct{ ln *net.TCPListener }

func (o opaqueListener) Accept() (net.Conn, error)     { return o.ln.Accept() }
func (o opaqueListener) Close() error                  { return o.ln.Close() }
func (o opaqueListener) Addr() net.Addr                { return o.ln.Addr() }
func (o opaqueListener) SetDeadline(t time.Time) error { return o.ln.SetDeadline(t) }

func testDrain(t *testing.T, wrap bool) {
	const queued = 64
	l := core.NewLoop(core.WithReactors(1), core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { l.Exit(); _ = l.Wait() })

	hold, held := make(chan struct{}), make(chan struct{})
	first := true
	echo := func(s *core.Socket, data []byte) {
		if first { // the reactor waits here until the queue has filled
			first = false
			close(held)
			<-hold
		}
		_, _ = s.Write(data)
	}
	var srv *server.Server
	var err error
	if wrap {
		ln, lerr := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, lerr)
		srv, err = l.Serve(opaqueListener{ln: ln.(*net.TCPListener)}, echo)
		if err != nil {
			_ = ln.Close()
		}
	} else {
		srv, err = server.TCPServer(l, "127.0.0.1:0", echo)
	}
	require.NoError(t, err)
	addr := srv.Addr().String()

	dial := func() net.Conn {
		c, err := net.DialTimeout("tcp", addr, testutil.Timeout)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		require.NoError(t, c.SetDeadline(time.Now().Add(testutil.Timeout)))
		return c
	}
	blocker := dial()
	_, err = blocker.Write([]byte("hold"))
	require.NoError(t, err)
	testutil.Recv(t, held, "the first read callback")

	conns := make([]net.Conn, queued)
	for i := range conns {
		conns[i] = dial()
		_, err := conns[i].Write([]byte("ping"))
		require.NoError(t, err)
	}

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	require.Eventually(t, srv.Closed, testutil.Timeout, time.Millisecond, "Shutdown did not begin")
	close(hold)

	for i, c := range append(conns, blocker) {
		got, err := io.ReadAll(c) // the reply, then the server's FIN
		require.NoError(t, err, "connection %d was not served", i)
		want := "ping"
		if c == blocker {
			want = "hold"
		}
		require.Equal(t, want, string(got), "connection %d", i)
	}
	require.NoError(t, testutil.Recv(t, shut, "Shutdown"))
	_, err = net.DialTimeout("tcp", addr, time.Second)
	require.Error(t, err, "the listener is still open after Shutdown")
}
