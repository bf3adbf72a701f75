package core_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// startLoop starts a Loop that stays running (with opts) and returns it,
// with a function that waits for Run's result; the test's cleanup exits
// it.
func startLoop(t *testing.T, opts ...core.LoopOption) (*core.Loop, func() error) {
	t.Helper()
	l := core.NewLoop(append(opts, core.WithStayRunning())...)
	require.NoError(t, l.Start(nil))
	ended := make(chan struct{})
	var err error
	go func() {
		err = l.Wait()
		close(ended)
	}()
	wait := func() error {
		testutil.Recv(t, ended, "Run to return")
		return err
	}
	t.Cleanup(func() {
		l.Exit()
		_ = wait()
	})
	return l, wait
}

// TestStartReturnsAfterTheStartFunction: a caller of Start can use the
// Loop at once: the start function has run.
func TestStartReturnsAfterTheStartFunction(t *testing.T) {
	l := core.NewLoop(core.WithStayRunning())
	var ran atomic.Bool
	require.NoError(t, l.Start(func(*core.Loop) { ran.Store(true) }))
	require.True(t, ran.Load())
	require.True(t, l.Running())
	require.NoError(t, l.Shutdown(context.Background()))
	require.NoError(t, l.Wait())
	require.False(t, l.Running())
}

// TestStayRunning: a connector's Loop stays up between connections and
// timers; without WithStayRunning it ends once nothing is left.
func TestStayRunning(t *testing.T) {
	addr := serve(t, echo)
	l, wait := startLoop(t)
	for i := range 3 { // connect, exchange, close; three times over
		got := make(chan string, 1)
		_, err := client.TCPConnect(l, addr, func(s *core.Socket, data []byte) {
			got <- string(data)
			_ = s.Close()
		}, client.WithData([]byte("ping")))
		require.NoError(t, err, "connection %d", i)
		require.Equal(t, "ping", testutil.Recv(t, got, "the echo"))
	}
	fired := make(chan struct{})
	require.NoError(t, l.Delay(time.Millisecond, func() { close(fired) }).Err())
	testutil.Recv(t, fired, "the timer")
	require.True(t, l.Running())
	require.NoError(t, l.Shutdown(context.Background()))
	require.NoError(t, wait())

	plain := core.NewLoop()
	require.NoError(t, plain.Start(nil))
	require.NoError(t, plain.Wait(), "nothing left: the Loop ends by itself")
	_, err := client.TCPConnect(plain, addr, echo)
	require.ErrorIs(t, err, core.ErrLoopNotRunning)
}

// TestLoopShutdownDeliversEverything: Shutdown lets each connection finish:
// a server's slow readers get every byte written to them, then end of
// file, and Shutdown and Run return nil.
func TestLoopShutdownDeliversEverything(t *testing.T) {
	const clients, size = 4, 4 << 20
	l, wait := startLoop(t)
	connected := make(chan struct{}, clients)
	srv, err := server.TCPServer(l, "127.0.0.1:0", echo, core.OnConnect(func(s *core.Socket) {
		_, err := s.Write(bytes.Repeat([]byte{'x'}, size))
		require.NoError(t, err)
		connected <- struct{}{}
	}))
	require.NoError(t, err)
	var wg sync.WaitGroup
	got := make([]int, clients)
	for i := range clients {
		c := dial(t, srv.Addr().String())
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, err := slowRead(c)
			require.ErrorIs(t, err, io.EOF)
			got[i] = len(data)
		}()
	}
	for range clients {
		testutil.Recv(t, connected, "a connection")
	}
	require.NoError(t, l.Shutdown(context.Background()))
	require.NoError(t, wait())
	wg.Wait()
	for i := range clients {
		require.Equal(t, size, got[i], "client %d got everything, then end of file", i)
	}
	require.True(t, srv.Closed())
}

// TestLoopShutdownDeadline: a peer that never reads cannot hold Shutdown
// past its context: the rest is force-closed and ctx.Err() returned.
func TestLoopShutdownDeadline(t *testing.T) {
	l, wait := startLoop(t)
	full := make(chan struct{})
	srv, err := server.TCPServer(l, "127.0.0.1:0", echo, core.OnConnect(func(s *core.Socket) {
		_, err := s.Write(make([]byte, 32<<20))
		require.NoError(t, err)
		close(full)
	}))
	require.NoError(t, err)
	c := dial(t, srv.Addr().String()) // never reads
	testutil.Recv(t, full, "the write")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, l.Shutdown(ctx), context.DeadlineExceeded)
	require.NoError(t, wait())
	_ = c.Close()
}

// TestServerShutdown: a server's Shutdown runs its OnShutdown callback for
// each open connection, on the connection's reactor, waits for them to
// close, and leaves the Loop and its other servers running.
func TestServerShutdown(t *testing.T) {
	l, _ := startLoop(t)
	var onShutdown atomic.Int32
	srv, err := server.TCPServer(l, "127.0.0.1:0", echo, server.OnShutdown(func(s *core.Socket) {
		onShutdown.Add(1)
		require.True(t, l.InReactor())
		_, _ = s.Write([]byte("bye"))
		_ = s.Close()
	}))
	require.NoError(t, err)
	other, err := server.TCPServer(l, "127.0.0.1:0", echo)
	require.NoError(t, err)

	var conns []net.Conn
	for range 3 {
		c := dial(t, srv.Addr().String())
		_, err := c.Write([]byte("hi"))
		require.NoError(t, err)
		buf := make([]byte, 2)
		_, err = io.ReadFull(c, buf) // the server has the connection open
		require.NoError(t, err)
		conns = append(conns, c)
	}
	require.NoError(t, srv.Shutdown(context.Background()))
	require.Equal(t, int32(3), onShutdown.Load())
	for _, c := range conns {
		rest, err := io.ReadAll(c)
		require.NoError(t, err)
		require.Equal(t, "bye", string(rest))
	}
	_, err = net.Dial("tcp", srv.Addr().String())
	require.Error(t, err, "the server no longer accepts")
	c := dial(t, other.Addr().String())
	_, err = c.Write([]byte("still"))
	require.NoError(t, err)
	buf := make([]byte, 5)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, "still", string(buf))
	require.NoError(t, srv.Shutdown(context.Background()), "again: nothing to do")
}

// TestShutdownDropsTimers: the timers pending at Shutdown are dropped, not
// waited for and not run.
func TestShutdownDropsTimers(t *testing.T) {
	l, wait := startLoop(t)
	var ran atomic.Bool
	require.NoError(t, l.Delay(time.Hour, func() { ran.Store(true) }).Err())
	require.NoError(t, l.Interval(time.Millisecond, func() {}).Err())
	require.NoError(t, l.Shutdown(context.Background()))
	require.NoError(t, wait())
	require.False(t, ran.Load())
	require.Zero(t, l.Stats().Timers)
}

// TestTimerMadeDuringShutdownRuns: a Delay made in an OnShutdown callback
// runs when due, whichever reactor it lands on and whenever that reactor
// gets to the Shutdown: it is not one of the timers the Shutdown drops.
func TestTimerMadeDuringShutdownRuns(t *testing.T) {
	for round := range 20 {
		l, wait := startLoop(t, core.WithReactors(4))
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo, server.OnShutdown(func(s *core.Socket) {
			require.NoError(t, l.Delay(5*time.Millisecond, func() { _ = s.Close() }).Err())
		}))
		require.NoError(t, err)
		var conns []net.Conn
		for range 8 {
			c := dial(t, srv.Addr().String())
			_, err := c.Write([]byte("hi"))
			require.NoError(t, err)
			_, err = io.ReadFull(c, make([]byte, 2)) // the server has it open
			require.NoError(t, err)
			conns = append(conns, c)
		}
		ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
		err = l.Shutdown(ctx)
		cancel()
		require.NoError(t, err, "round %d: a Delay made in OnShutdown never ran", round)
		require.NoError(t, wait())
		for _, c := range conns {
			_, err := io.ReadAll(c)
			require.NoError(t, err, "closed gracefully")
		}
	}
}

// TestShutdownMisuse: from a reactor Shutdown returns ErrInReactor; on a
// Loop not started, ErrLoopNotRunning; on an ended one, nil.
func TestShutdownMisuse(t *testing.T) {
	var inReactor, srvInReactor error
	testutil.Run(t, func(l *core.Loop) {
		inReactor = l.Shutdown(context.Background())
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		srvInReactor = srv.Shutdown(context.Background())
		_ = srv.Close()
	})
	require.ErrorIs(t, inReactor, core.ErrInReactor)
	require.ErrorIs(t, srvInReactor, core.ErrInReactor)
	l := core.NewLoop()
	require.ErrorIs(t, l.Shutdown(context.Background()), core.ErrLoopNotRunning)
	require.NoError(t, l.Run(nil))
	require.NoError(t, l.Shutdown(context.Background()))
	//lint:ignore SA1012 a nil context is the misuse under test
	testutil.RequireArgError(t, l.Shutdown(nil), "ctx")
}

// TestShutdownRacesExitAndClose: Shutdown, Exit and the servers' Close and
// Shutdown called at once from many goroutines end the Loop cleanly.
func TestShutdownRacesExitAndClose(t *testing.T) {
	for range 20 {
		l, wait := startLoop(t)
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		c := dial(t, srv.Addr().String())
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch i % 4 {
				case 0:
					err := l.Shutdown(context.Background())
					require.True(t, err == nil || errors.Is(err, context.Canceled))
				case 1:
					l.Exit()
				case 2:
					_ = srv.Close()
				case 3:
					_ = srv.Shutdown(context.Background())
				}
			}()
		}
		wg.Wait()
		require.NoError(t, wait())
		_ = c.Close()
	}
}
