package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// TestEchoNeverLeavesAHole: the README's echo server ignores Write's error.
// A client that sends far more than the write cap before it reads must get
// back a prefix of what it sent, and then the end of the connection: never
// bytes from after a gap, and never a connection that stays open with
// bytes missing.
func TestEchoNeverLeavesAHole(t *testing.T) {
	const limit = 1 << 20
	events := make(chan error, 1)
	addr := serve(t, echo, core.WithMaxWriteBuffer(limit), core.WithWriteWatermarks(limit/4, limit/2),
		core.OnEvent(func(_ *core.Socket, ev error) { events <- ev }))
	c := dial(t, addr)
	sent := randomBytes(t, 64<<20)
	n, werr := c.Write(sent) // fails once the server gives up: that is the point
	require.NoError(t, c.SetReadDeadline(time.Now().Add(testutil.Timeout)))
	got, err := io.ReadAll(c)
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the connection stayed open after %d of %d bytes", len(got), n)
	require.True(t, bytes.HasPrefix(sent, got), "the %d bytes echoed are not a prefix of those sent: a hole", len(got))
	require.Less(t, len(got), len(sent), "the client sent 64 MiB before reading: more than any buffer holds")
	require.Error(t, werr, "the server gave up, loudly")
	ev := testutil.Recv(t, events, "the server's event")
	require.ErrorIs(t, ev, core.ErrWriteBufferFull)
	require.ErrorIs(t, ev, conditions.TCPError)
}

// TestUnsentCountsBytesBeingHanded: Unsent includes the bytes of a large
// write while the reactor hands them to the transport, so a second write
// past the cap is refused.
func TestUnsentCountsBytesBeingHanded(t *testing.T) {
	const big = 48 << 20
	ready := make(chan *core.Socket, 1)
	addr := serve(t, echo, core.WithWriteOverflow(core.OverflowRefuse),
		core.OnConnect(func(s *core.Socket) { ready <- s }))
	c := dial(t, addr) // never reads
	s := testutil.Recv(t, ready, "the connection")
	payload := make([]byte, big)
	n, err := s.Write(payload)
	require.NoError(t, err)
	require.Equal(t, big, n)
	// The kernel can take some of it (the socket buffers of both ends), not
	// tens of MiB.
	const kernelAtMost = 16 << 20
	for range 2000 {
		require.GreaterOrEqual(t, s.Unsent(), big-kernelAtMost, "Unsent lost bytes on their way to the transport")
		require.GreaterOrEqual(t, s.Loop().Stats().BytesBufferedOut, int64(big-kernelAtMost), "Stats lost bytes on their way to the transport")
	}
	_, err = s.Write(payload)
	require.ErrorIs(t, err, core.ErrWriteBufferFull, "a second 48 MiB write would pass the 64 MiB cap")
	require.LessOrEqual(t, s.Unsent(), core.DefaultMaxWriteBuffer)
	require.NoError(t, c.Close())
}

// TestWriteMemoryWithinCap: a socket filled to its write cap by a peer that
// never reads holds about the cap in memory, not two copies of it.
func TestWriteMemoryWithinCap(t *testing.T) {
	const limit = 32 << 20
	base := liveHeap()
	full := make(chan *core.Socket, 1)
	addr := serve(t, echo, core.WithMaxWriteBuffer(limit), core.WithWriteOverflow(core.OverflowRefuse),
		core.OnConnect(func(s *core.Socket) {
			chunk := make([]byte, 256<<10)
			for {
				if _, err := s.Write(chunk); err != nil {
					break
				}
			}
			full <- s
		}))
	c := dial(t, addr) // never reads
	s := testutil.Recv(t, full, "the socket to fill up")
	require.Greater(t, s.Unsent(), limit/2, "the kernel holds a few MiB at most")
	heap := liveHeap() - base
	t.Logf("unsent %d B, live heap %d B: %.2f × the cap", s.Unsent(), heap, float64(heap)/limit)
	require.Less(t, heap, int64(limit)*5/4, "more than 1.25 × the cap is live")
	require.NoError(t, c.Close())
}

// liveHeap returns the bytes of live heap: after two collections, so that
// the pools' idle buffers (kept for one collection) are not counted.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestPausedSocketSeesPeerReset: a socket with reading disabled notices
// that its peer reset the connection, and closes with TCPReset, rather
// than holding the descriptor of a connection that is gone.
func TestPausedSocketSeesPeerReset(t *testing.T) {
	paused := make(chan struct{}, 1)
	events := make(chan error, 1)
	addr := serve(t, echo,
		core.OnConnect(func(s *core.Socket) {
			require.NoError(t, s.Disable(true, false))
			paused <- struct{}{}
		}),
		core.OnEvent(func(_ *core.Socket, ev error) { events <- ev }))
	c := dial(t, addr)
	testutil.Recv(t, paused, "the pause")
	_, err := c.Write(make([]byte, 256<<10))
	require.NoError(t, err)
	require.NoError(t, c.(*net.TCPConn).SetLinger(0))
	require.NoError(t, c.Close())
	start := time.Now()
	ev := testutil.Recv(t, events, "the reset to be noticed")
	t.Logf("noticed after %v", time.Since(start))
	require.ErrorIs(t, ev, conditions.TCPReset)
}

// TestRunInsideCallbackFails: Run (and Wait) on a reactor would wait for
// itself; they return an error instead of hanging.
func TestRunInsideCallbackFails(t *testing.T) {
	var runErr, waitErr error
	var started atomic.Bool
	testutil.Run(t, func(l *core.Loop) {
		runErr = l.Run(func(*core.Loop) { started.Store(true) })
		waitErr = l.Wait()
	})
	require.ErrorIs(t, runErr, core.ErrInReactor)
	require.ErrorIs(t, waitErr, core.ErrInReactor)
	require.False(t, started.Load(), "a failed Run runs nothing")
}

// TestAddressesCheckedAtTheCall: an address the network cannot use is a
// bad argument, returned at once.
func TestAddressesCheckedAtTheCall(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		for _, addr := range []string{"127.0.0.1\x00:80", "exa\x00mple.com:80", ":80", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1", "a b:80", "[::1:80"} {
			_, err := client.TCPConnect(l, addr, echo)
			testutil.RequireArgError(t, err, "addr", "connect %q", addr)
		}
		for _, addr := range []string{"127.0.0.1\x00:0", "127.0.0.1:65536", "bad host:0"} {
			_, err := server.TCPServer(l, addr, echo)
			testutil.RequireArgError(t, err, "addr", "listen %q", addr)
		}
	})
}

// TestOptionSlicesAreNotWritten: entry points that add options of their
// own never write into the caller's slice, even when it has spare
// capacity.
func TestOptionSlicesAreNotWritten(t *testing.T) {
	sentinel := core.OnEvent(func(*core.Socket, error) {})
	srvOpts, srvUnchanged := withSpare[server.Option](t, core.WithReadTimeout(time.Minute), sentinel)
	cliOpts, cliUnchanged := withSpare[client.Option](t, core.WithReadTimeout(time.Minute), sentinel)
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServerStream(l, "127.0.0.1:0", func(*core.Socket, *stream.AsyncIOStream) {}, srvOpts...)
		require.NoError(t, err)
		srvUnchanged("server.TCPServerStream")
		ln, err := server.Listen(l, "127.0.0.1:0", srvOpts...)
		require.NoError(t, err)
		srvUnchanged("server.Listen")
		st, err := client.TCPConnectStream(l, srv.Addr().String(), func(*core.Socket, *stream.AsyncIOStream) {}, cliOpts...)
		require.NoError(t, err)
		cliUnchanged("client.TCPConnectStream")
		_ = st.Close()
		_ = srv.Close()
		_ = ln.Close()
	})
}

// withSpare returns a slice holding first, with spare capacity filled with
// sentinel, and a check that the spare elements are still sentinel.
func withSpare[O core.Option](t *testing.T, first, sentinel O) ([]O, func(what string)) {
	opts := make([]O, 1, 8)
	opts[0] = first
	spare := opts[:8]
	for i := 1; i < 8; i++ {
		spare[i] = sentinel
	}
	return opts, func(what string) {
		t.Helper()
		for i := 1; i < 8; i++ {
			require.Equal(t, sentinel.Name(), spare[i].Name(), "%s wrote into the caller's option slice", what)
		}
	}
}

// TestZeroValues: methods of a zero Loop or Socket return errors (or do
// nothing) instead of panicking, and leave nothing behind that would hang
// a real Loop later.
func TestZeroValues(t *testing.T) {
	var l core.Loop
	testutil.RequireArgError(t, l.Run(func(*core.Loop) {}), "l")
	testutil.RequireArgError(t, l.Start(nil), "l")
	testutil.RequireArgError(t, l.Wait(), "l")
	testutil.RequireArgError(t, l.Err(), "l")
	testutil.RequireArgError(t, l.Delay(time.Second, func() {}).Err(), "l")
	_, err := l.Serve(nil, echo)
	testutil.RequireArgError(t, err, "l")
	l.Exit()
	require.False(t, l.InReactor())
	require.Equal(t, core.Stats{}, l.Stats())
	require.NotNil(t, l.Logger())
	_, err = core.NewSocket(&l, echo)
	testutil.RequireArgError(t, err, "l")

	var s core.Socket
	_, err = s.Write([]byte("x"))
	testutil.RequireArgError(t, err, "s")
	testutil.RequireArgError(t, s.WriteSocketData([]byte("x")), "s")
	testutil.RequireArgError(t, s.Close(), "s")
	testutil.RequireArgError(t, s.ForceClose(), "s")
	testutil.RequireArgError(t, s.Disable(true, true), "s")
	testutil.RequireArgError(t, s.Enable(true, true), "s")
	testutil.RequireArgError(t, s.SetTimeouts(0, 0), "s")
	testutil.RequireArgError(t, s.Connect("127.0.0.1:1", nil), "s")
	_, err = s.Read(make([]byte, 1))
	testutil.RequireArgError(t, err, "s")
	require.Zero(t, s.Unsent())
	require.Zero(t, s.Available())
	require.Zero(t, s.Buffered())
	require.Nil(t, s.Loop())
	require.True(t, s.Closed())
	require.Nil(t, s.Conn())
	select {
	case <-s.Done():
	default:
		t.Fatal("a zero Socket's Done is not closed")
	}
	var nilSocket *core.Socket
	require.True(t, nilSocket.Closed())
	require.Nil(t, nilSocket.Data())
	nilSocket.SetData(1)
	require.Nil(t, nilSocket.RemoteAddr())
	require.Nil(t, nilSocket.LocalAddr())
	require.False(t, nilSocket.Congested())
	testutil.RequireArgError(t, nilSocket.Close(), "s")

	testutil.Run(t, func(l *core.Loop) { l.Delay(0, func() {}) }) // a real Loop still runs
}

// TestDefaultEventHandler: the events of sockets without an OnEvent reach
// the Loop's default event handler (cl-async's *default-event-handler*).
func TestDefaultEventHandler(t *testing.T) {
	var got error
	testutil.Run(t, func(l *core.Loop) {
		_, err := client.TCPConnect(l, testutil.FreePort(t), echo)
		require.NoError(t, err)
	}, core.WithDefaultEventHandler(func(s *core.Socket, ev error) {
		require.NotNil(t, s)
		got = ev
	}))
	require.ErrorIs(t, got, conditions.TCPRefused)
}

// TestUnhandledEventsAreLogged: without any event callback, an error
// condition is logged at Warn through the Loop's logger; end of file is
// not an error and is not logged.
func TestUnhandledEventsAreLogged(t *testing.T) {
	rec := &records{}
	testutil.Run(t, func(l *core.Loop) {
		_, err := client.TCPConnect(l, testutil.FreePort(t), echo)
		require.NoError(t, err)
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo)
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), echo, core.OnConnect(func(s *core.Socket) {
			_ = s.Close() // the server's socket sees end of file
			_ = srv.Close()
		}))
		require.NoError(t, err)
	}, core.WithLogger(slog.New(rec)))
	warns := rec.at(slog.LevelWarn)
	require.Len(t, warns, 1, "one refused connect, and no end of file: %v", warns)
	require.Contains(t, warns[0], "connection refused")
}

// records is a slog.Handler that keeps the messages and attributes it gets.
type records struct {
	mu    sync.Mutex
	lines map[slog.Level][]string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }

func (r *records) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lines == nil {
		r.lines = make(map[slog.Level][]string)
	}
	r.lines[rec.Level] = append(r.lines[rec.Level], b.String())
	return nil
}

func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) at(level slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lines[level]
}

// TestWriteSocketDataEnablesWriting: as in cl-async, write-socket-data on
// a socket whose writing is disabled enables it again; Write does not.
func TestWriteSocketDataEnablesWriting(t *testing.T) {
	var heldByWrite int
	addr := serve(t, echo, core.OnConnect(func(s *core.Socket) {
		require.NoError(t, s.Disable(false, true))
		_, err := s.Write([]byte("held "))
		require.NoError(t, err)
		s.Loop().Delay(20*time.Millisecond, func() {
			heldByWrite = s.Unsent()
			require.NoError(t, s.WriteSocketData([]byte("and sent")))
		})
	}))
	c := dial(t, addr)
	buf := make([]byte, len("held and sent"))
	_, err := io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, "held and sent", string(buf))
	require.Equal(t, len("held "), heldByWrite, "Write kept the bytes while writing was disabled")
}
