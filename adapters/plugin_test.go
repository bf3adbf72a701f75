package adapters_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/adapters"
	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/goid"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/stream"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// app is a plain gnet application: it answers "app:" and what it read.
type app struct {
	gnet.BuiltinEventEngine
	tickDelay time.Duration
	opens     atomic.Int32
	ticks     atomic.Int32
	traffic   func(c gnet.Conn) bool // handles the traffic itself if it returns true
	booted    chan gnet.Engine
}

func newApp() *app { return &app{tickDelay: time.Hour, booted: make(chan gnet.Engine, 1)} }

func (a *app) OnBoot(eng gnet.Engine) gnet.Action {
	a.booted <- eng
	return gnet.None
}

func (a *app) OnOpen(gnet.Conn) ([]byte, gnet.Action) {
	a.opens.Add(1)
	return nil, gnet.None
}

func (a *app) OnTraffic(c gnet.Conn) gnet.Action {
	if a.traffic != nil && a.traffic(c) {
		return gnet.None
	}
	data, _ := c.Next(-1)
	_, _ = c.Write(append([]byte("app:"), data...))
	return gnet.None
}

func (a *app) OnTick() (time.Duration, gnet.Action) {
	a.ticks.Add(1)
	return a.tickDelay, gnet.None
}

// fromAsyncnetSide matches the connections the tests make from 127.0.0.2
// (still loopback): those are asyncnet's, the others the application's.
func fromAsyncnetSide(c gnet.Conn) bool {
	ra, ok := c.RemoteAddr().(*net.TCPAddr)
	return ok && ra.IP.Equal(net.IPv4(127, 0, 0, 2))
}

// answer is the read callback of asyncnet's side: "asn:" and what it read.
func answer(s *core.Socket, data []byte) { _, _ = s.Write(append([]byte("asn:"), data...)) }

// runApp runs a as a gnet server through a Plugin with opts and gnetOpts,
// returning its address and the engine. The engine stops when the test ends.
func runApp(t *testing.T, a *app, popts []adapters.PluginOption, gnetOpts ...gnet.Option) (*adapters.Plugin, string, gnet.Engine) {
	t.Helper()
	p, err := adapters.Wrap(a, popts...)
	require.NoError(t, err)
	addr := testutil.FreePort(t)
	done := make(chan error, 1)
	go func() {
		done <- gnet.Run(p, "tcp://"+addr, append([]gnet.Option{gnet.WithLoadBalancing(gnet.LeastConnections)}, gnetOpts...)...)
	}()
	eng := testutil.Recv(t, a.booted, "the engine to boot")
	t.Cleanup(func() {
		_ = eng.Stop(context.Background())
		require.NoError(t, testutil.Recv(t, done, "gnet.Run to return"))
	})
	return p, addr, eng
}

// dialFrom connects to addr from the local address ip.
func dialFrom(t *testing.T, ip, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: testutil.Timeout}
	c, err := d.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func exchange(t *testing.T, c net.Conn, msg, want string) {
	t.Helper()
	_, err := io.WriteString(c, msg)
	require.NoError(t, err)
	buf := make([]byte, len(want))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, want, string(buf))
}

// TestPluginMixedTraffic: the application's connections and asyncnet's
// share one engine without touching each other.
func TestPluginMixedTraffic(t *testing.T) {
	t.Parallel()
	a := newApp()
	var connects atomic.Int32
	_, addr, _ := runApp(t, a, []adapters.PluginOption{
		adapters.Take(fromAsyncnetSide, answer, core.OnConnect(func(*core.Socket) { connects.Add(1) })),
	}, gnet.WithMulticore(true))
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		for _, side := range []struct{ ip, prefix string }{{"127.0.0.1", "app:"}, {"127.0.0.2", "asn:"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := dialFrom(t, side.ip, addr)
				for j := range 20 {
					msg := fmt.Sprintf("%d/%d;", i, j)
					exchange(t, c, msg, side.prefix+msg)
				}
			}()
		}
	}
	wg.Wait()
	require.Equal(t, int32(n), a.opens.Load(), "the application saw only its own connections")
	require.Equal(t, int32(n), connects.Load(), "asyncnet took only its own")
}

// TestPluginConnectFromOnTraffic: the application connects out through
// asyncnet from inside OnTraffic, on a single event loop, without blocking
// or deadlocking; the connection lives on the application's loop.
func TestPluginConnectFromOnTraffic(t *testing.T) {
	t.Parallel()
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer backend.Close()
	go func() {
		c, err := backend.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		n, _ := c.Read(buf)
		_, _ = c.Write(append([]byte("backend:"), buf[:n]...))
	}()
	a := newApp()
	var plugin atomic.Pointer[adapters.Plugin] // gnet's goroutines read it: TCP is no happens-before edge
	var connectTook atomic.Int64               // nanoseconds
	var appG, readG atomic.Uint64
	var outgoing atomic.Int32
	a.traffic = func(c gnet.Conn) bool {
		appG.Store(goid.ID())
		data, _ := c.Next(-1)
		start := time.Now()
		_, err := client.TCPConnect(plugin.Load().Loop(), backend.Addr().String(), func(s *core.Socket, reply []byte) {
			readG.Store(goid.ID())
			outgoing.Store(int32(s.Loop().Stats().OutgoingSockets))
			_ = c.AsyncWrite(append([]byte(nil), reply...), nil)
			_ = s.Close()
		}, client.WithData(append([]byte(nil), data...)))
		connectTook.Store(int64(time.Since(start)))
		if err != nil {
			t.Error(err)
		}
		return true
	}
	p, addr, _ := runApp(t, a, nil, gnet.WithNumEventLoop(1), gnet.WithTicker(true))
	plugin.Store(p)
	exchange(t, dialFrom(t, "127.0.0.1", addr), "via asyncnet", "backend:via asyncnet")
	require.Less(t, time.Duration(connectTook.Load()), testutil.Scale(100*time.Millisecond), "TCPConnect returned at once")
	require.Equal(t, appG.Load(), readG.Load(), "the outgoing socket's callbacks ran on the application's only event loop")
	require.Equal(t, int32(1), outgoing.Load(), "the outgoing socket counted on the plugin's Loop")
}

// TestPluginTicks: asyncnet's timers run on the application's loops at
// asyncnet's tick, while the application's OnTick keeps its own delay.
func TestPluginTicks(t *testing.T) {
	t.Parallel()
	a := newApp()
	a.tickDelay = 100 * time.Millisecond
	p, _, _ := runApp(t, a, []adapters.PluginOption{adapters.WithLoopOptions(core.WithTickInterval(5 * time.Millisecond))},
		gnet.WithTicker(true))
	l := p.Loop()
	fired := make(chan time.Duration, 1)
	startTicks := a.ticks.Load()
	start := time.Now()
	l.Delay(30*time.Millisecond, func() { fired <- time.Since(start) })
	after := testutil.Recv(t, fired, "the asyncnet timer")
	require.Less(t, after, 30*time.Millisecond+testutil.Scale(250*time.Millisecond), "asyncnet's timer ran at asyncnet's tick")
	done := make(chan struct{})
	l.Delay(500*time.Millisecond, func() { close(done) })
	testutil.Recv(t, done, "half a second")
	ticks := a.ticks.Load() - startTicks
	elapsed := time.Since(start)
	maxTicks := int32(elapsed/a.tickDelay) + 2
	require.LessOrEqual(t, ticks, maxTicks, "the application's OnTick ran %d times in %v at a 100ms delay", ticks, elapsed)
	require.GreaterOrEqual(t, ticks, int32(3), "and it still ran")
}

// TestPluginWithoutGnetTicker: on an engine without gnet.WithTicker the
// Loop starts at the engine's first connection (gnet gives no earlier
// signal that its event loops exist); what was asked of it before then
// (a timer, a taken connection and its bytes) waits, and then works.
func TestPluginWithoutGnetTicker(t *testing.T) {
	t.Parallel()
	a := newApp()
	p, addr, _ := runApp(t, a, []adapters.PluginOption{adapters.Take(fromAsyncnetSide, answer)})
	fired := make(chan struct{})
	tm := p.Loop().Delay(20*time.Millisecond, func() { close(fired) })
	require.NoError(t, tm.Err(), "the Loop runs from OnBoot on")
	c := dialFrom(t, "127.0.0.2", addr)
	exchange(t, c, "first", "asn:first")
	testutil.Recv(t, fired, "the timer")
	require.Zero(t, a.ticks.Load(), "gnet called no OnTick")
	require.Zero(t, a.opens.Load(), "the application never saw asyncnet's connection")
}

// TestPluginReadTimeout: a taken connection has asyncnet's read timeout; the
// application's idle connection is left alone.
func TestPluginReadTimeout(t *testing.T) {
	t.Parallel()
	a := newApp()
	events := make(chan error, 1)
	_, addr, _ := runApp(t, a, []adapters.PluginOption{
		adapters.Take(fromAsyncnetSide, answer, core.WithReadTimeout(50*time.Millisecond),
			core.OnEvent(func(_ *core.Socket, ev error) { events <- ev })),
	}, gnet.WithTicker(true))
	appConn := dialFrom(t, "127.0.0.1", addr)
	asnConn := dialFrom(t, "127.0.0.2", addr)
	require.ErrorIs(t, testutil.Recv(t, events, "the timeout"), conditions.TCPTimeout)
	_, err := io.ReadAll(asnConn)
	require.NoError(t, err, "asyncnet's connection was closed")
	exchange(t, appConn, "still here", "app:still here")
}

// TestPluginEngineStop: stopping the application's engine closes asyncnet's
// sockets (incoming, outgoing, still connecting) with a condition and ends
// Run; nothing leaks.
func TestPluginEngineStop(t *testing.T) {
	blackhole := testutil.FullListener(t) // lives until the test ends
	fdsBefore := openFDs(t)
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer backend.Close()
	go func() {
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	a := newApp()
	events := make(chan error, 2)
	onEvent := core.OnEvent(func(_ *core.Socket, ev error) { events <- ev })
	p, err := adapters.Wrap(a, adapters.Take(fromAsyncnetSide, answer, onEvent))
	require.NoError(t, err)
	runDone := make(chan error, 1)
	outgoing := make(chan struct{})
	pendingEvent := make(chan error, 1)
	go func() {
		runDone <- p.Loop().Run(func(l *core.Loop) {
			_, err := client.TCPConnect(l, backend.Addr().String(), answer, onEvent,
				core.OnConnect(func(*core.Socket) { close(outgoing) }))
			require.NoError(t, err)
			_, err = client.TCPConnect(l, blackhole, answer, // never connects
				core.OnEvent(func(_ *core.Socket, ev error) { pendingEvent <- ev }))
			require.NoError(t, err)
		})
	}()
	addr := testutil.FreePort(t)
	gnetDone := make(chan error, 1)
	go func() {
		gnetDone <- gnet.Run(p, "tcp://"+addr, gnet.WithLoadBalancing(gnet.LeastConnections))
	}()
	eng := testutil.Recv(t, a.booted, "boot")
	c := dialFrom(t, "127.0.0.2", addr)
	exchange(t, c, "hi", "asn:hi")
	testutil.Recv(t, outgoing, "the outgoing connection")

	require.NoError(t, eng.Stop(context.Background()))
	require.NoError(t, testutil.Recv(t, gnetDone, "gnet.Run"))
	require.NoError(t, testutil.Recv(t, runDone, "Loop.Run"))
	for range 2 {
		ev := testutil.Recv(t, events, "an event")
		require.ErrorIs(t, ev, conditions.SocketClosed)
		require.Contains(t, ev.Error(), "event loop stopped")
	}
	ev := testutil.Recv(t, pendingEvent, "the pending connect's event")
	require.ErrorIs(t, ev, conditions.SocketClosed)
	require.Contains(t, ev.Error(), "event loop stopped")
	require.Zero(t, p.Loop().Stats().PendingConnects)
	_ = c.Close()
	_ = backend.Close()
	require.Eventually(t, func() bool { return openFDs(t) <= fdsBefore }, testutil.Timeout, 10*time.Millisecond,
		"descriptors leaked: %d before, %d after", fdsBefore, openFDs(t))
}

// TestPluginEngineStopParked: a socket whose reading is disabled (its
// descriptor parked outside gnet) also gets its condition when the engine
// stops, and its descriptor is closed.
func TestPluginEngineStopParked(t *testing.T) {
	fdsBefore := openFDs(t)
	a := newApp()
	events := make(chan error, 1)
	p, err := adapters.Wrap(a, adapters.Take(fromAsyncnetSide, answer,
		core.OnConnect(func(s *core.Socket) { require.NoError(t, s.Disable(true, false)) }),
		core.OnEvent(func(_ *core.Socket, ev error) { events <- ev })))
	require.NoError(t, err)
	addr := testutil.FreePort(t)
	gnetDone := make(chan error, 1)
	go func() {
		gnetDone <- gnet.Run(p, "tcp://"+addr, gnet.WithLoadBalancing(gnet.LeastConnections), gnet.WithTicker(true))
	}()
	eng := testutil.Recv(t, a.booted, "boot")
	c := dialFrom(t, "127.0.0.2", addr)
	_, err = c.Write([]byte("kept while paused"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.Loop().Stats().IncomingSockets == 1 && eng.CountConnections() == 0 },
		testutil.Timeout, 5*time.Millisecond, "the socket is open, its descriptor parked outside gnet")

	require.NoError(t, eng.Stop(context.Background()))
	require.NoError(t, testutil.Recv(t, gnetDone, "gnet.Run"))
	ev := testutil.Recv(t, events, "the parked socket's event")
	require.ErrorIs(t, ev, conditions.SocketClosed)
	require.Contains(t, ev.Error(), "event loop stopped")
	require.NoError(t, p.Loop().Wait())
	require.Zero(t, p.Loop().Stats().IncomingSockets)
	requireClosed(t, c) // a reset if the kernel still held the unread bytes
	_ = c.Close()
	require.Eventually(t, func() bool { return openFDs(t) <= fdsBefore }, testutil.Timeout, 10*time.Millisecond,
		"descriptors leaked: %d before, %d after", fdsBefore, openFDs(t))
}

// TestPluginExitLeavesApplication: Exit closes asyncnet's sockets and leaves
// the application's connections and engine running.
func TestPluginExitLeavesApplication(t *testing.T) {
	t.Parallel()
	a := newApp()
	p, addr, _ := runApp(t, a, []adapters.PluginOption{adapters.Take(fromAsyncnetSide, answer)})
	appConn := dialFrom(t, "127.0.0.1", addr)
	asnConn := dialFrom(t, "127.0.0.2", addr)
	exchange(t, asnConn, "x", "asn:x")
	p.Loop().Exit()
	require.NoError(t, p.Loop().Wait())
	requireClosed(t, asnConn)
	exchange(t, appConn, "still here", "app:still here")
	exchange(t, dialFrom(t, "127.0.0.1", addr), "new", "app:new")
}

// TestPluginTakeAddrStream: gnet.Rotate with two listeners; every
// connection of one becomes an asyncnet socket read through a stream
// (bytes left in gnet's buffer until read), the other stays the
// application's.
func TestPluginTakeAddrStream(t *testing.T) {
	t.Parallel()
	appAddr, asnAddr := testutil.FreePort(t), testutil.FreePort(t)
	a := newApp()
	readStream := func(s *core.Socket, _ []byte) {
		st := stream.NewAsyncIOStream(s)
		buf := make([]byte, 3) // small reads: the rest waits in gnet's buffer
		for {
			n, err := st.Read(buf)
			if err != nil {
				return
			}
			_, _ = st.Write(bytes.ToUpper(buf[:n]))
		}
	}
	p, err := adapters.Wrap(a, adapters.TakeAddr("tcp://"+asnAddr, readStream, core.WithDontDrainReadBuffer()))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		done <- gnet.Rotate(p, []string{"tcp://" + appAddr, "tcp://" + asnAddr},
			gnet.WithLoadBalancing(gnet.LeastConnections), gnet.WithTicker(true))
	}()
	eng := testutil.Recv(t, a.booted, "the engine to boot")
	t.Cleanup(func() {
		_ = eng.Stop(context.Background())
		require.NoError(t, testutil.Recv(t, done, "gnet.Rotate to return"))
	})
	exchange(t, dialFrom(t, "127.0.0.1", asnAddr), "through a stream", "THROUGH A STREAM")
	exchange(t, dialFrom(t, "127.0.0.1", appAddr), "plain", "app:plain")
	require.Equal(t, int32(1), a.opens.Load())
}

// TestPluginServesOneEngine: a Plugin given to a second engine shuts that
// engine down at boot, with a logged error, and leaves the first alone.
func TestPluginServesOneEngine(t *testing.T) {
	t.Parallel()
	a := newApp()
	p, addr, _ := runApp(t, a, []adapters.PluginOption{adapters.Take(fromAsyncnetSide, answer)}, gnet.WithTicker(true))
	require.NoError(t, gnet.Run(p, "tcp://127.0.0.1:0"), "the second engine shut down at boot")
	exchange(t, dialFrom(t, "127.0.0.2", addr), "first", "asn:first")
}

func TestWrapArguments(t *testing.T) {
	_, err := adapters.Wrap(nil)
	testutil.RequireArgError(t, err, "app")
	_, err = adapters.Wrap(newApp(), adapters.Take(fromAsyncnetSide, nil))
	testutil.RequireArgError(t, err, "option")
	for _, addr := range []string{"nonsense", "unix:///tmp/x.sock", "tcp://127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:nosuchservice"} {
		_, err = adapters.Wrap(newApp(), adapters.TakeAddr(addr, answer))
		testutil.RequireArgError(t, err, "option")
	}
	_, err = adapters.Wrap(newApp(), nil)
	testutil.RequireArgError(t, err, "option")
	_, err = adapters.Wrap(newApp(), adapters.WithLoopOptions(core.WithTickInterval(-time.Second)))
	testutil.RequireArgError(t, err, "core.WithTickInterval")
}

// requireClosed requires the peer to have closed c: end of file, or a reset.
func requireClosed(t *testing.T, c net.Conn) {
	t.Helper()
	_, err := io.ReadAll(c)
	require.True(t, err == nil || errors.Is(err, syscall.ECONNRESET), "want the connection closed: %v", err)
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	return len(entries)
}
