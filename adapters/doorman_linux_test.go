package adapters_test

import (
	"errors"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// The doorman (doorman_linux.go) accepts and connects for the default
// transport on Linux. Bursts stay within 20,000 descriptors: burstConns
// connections with both ends in this process.
const burstConns = 5000

// goroutinePeak samples the number of goroutines until stop is called,
// and returns the highest.
func goroutinePeak() (stop func() int) {
	var peak atomic.Int64
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
	}()
	return func() int { close(quit); <-done; return int(peak.Load()) }
}

// TestDoormanAcceptBurst: a burst of connections is accepted in full, each
// opened once, and while it lasts the goroutines number no more than the
// Loop's reactors plus its server plus 16 (none per connection).
func TestDoormanAcceptBurst(t *testing.T) {
	const reactors = 2
	base := runtime.NumGoroutine()
	var opened atomic.Int64
	l := core.NewLoop(core.WithReactors(reactors), core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { l.Exit(); _ = l.Wait() })
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(*core.Socket, []byte) {},
		core.OnConnect(func(*core.Socket) { opened.Add(1) }))
	require.NoError(t, err)

	peak := goroutinePeak()
	conns := make([]net.Conn, 0, burstConns)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	for range burstConns {
		c, err := net.DialTimeout("tcp", srv.Addr().String(), testutil.Timeout)
		require.NoError(t, err)
		conns = append(conns, c)
	}
	require.Eventually(t, func() bool { return opened.Load() == burstConns },
		testutil.Timeout, time.Millisecond, "accepted %d of %d", opened.Load(), burstConns)
	got := peak()
	budget := base + 1 + reactors + 1 + 16 // the sampler, the reactors, the server
	t.Logf("goroutines: %d before, peak %d during a burst of %d (budget %d)", base, got, burstConns, budget)
	require.LessOrEqual(t, got, budget, "goroutines during the burst")
	require.EqualValues(t, burstConns, l.Stats().Accepted)
	require.Never(t, func() bool { return opened.Load() != burstConns }, 50*time.Millisecond, time.Millisecond,
		"a connection was opened twice")
}

// TestDoormanConnectBurst: a burst of outgoing connections (to an IP
// address: the doorman connects) all connect, and while they do the
// goroutines number no more than the Loop's reactors plus 16.
func TestDoormanConnectBurst(t *testing.T) {
	const reactors = 2
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var peers []net.Conn
	accepted := make(chan struct{})
	go func() { // one goroutine keeps the peers' ends
		defer close(accepted)
		for range burstConns {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			peers = append(peers, c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-accepted
		for _, c := range peers {
			_ = c.Close()
		}
	})

	base := runtime.NumGoroutine()
	var connected, failed atomic.Int64
	l := core.NewLoop(core.WithReactors(reactors), core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { l.Exit(); _ = l.Wait() })
	peak := goroutinePeak()
	for range burstConns {
		_, err := client.TCPConnect(l, ln.Addr().String(), func(*core.Socket, []byte) {},
			core.OnConnect(func(*core.Socket) { connected.Add(1) }),
			core.OnEvent(func(_ *core.Socket, err error) { failed.Add(1); t.Log(err) }))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return connected.Load()+failed.Load() == burstConns },
		testutil.Timeout, time.Millisecond, "connected %d of %d", connected.Load(), burstConns)
	got := peak()
	budget := base + 1 + reactors + 16 // the sampler, the reactors
	t.Logf("goroutines: %d before, peak %d during %d connects (budget %d)", base, got, burstConns, budget)
	require.Zero(t, failed.Load(), "connects failed")
	require.LessOrEqual(t, got, budget, "goroutines during the connects")
	require.EqualValues(t, burstConns, l.Stats().Connected)
}

// runningLoop starts a Loop that runs until the test ends.
func runningLoop(t *testing.T) *core.Loop {
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { l.Exit(); _ = l.Wait() })
	return l
}

// connectResult connects to addr with opts and returns the condition the
// event callback gets, failing t if the socket connects.
func connectResult(t *testing.T, l *core.Loop, addr string, opts ...client.Option) <-chan error {
	t.Helper()
	ev := make(chan error, 1)
	_, err := client.TCPConnect(l, addr, func(*core.Socket, []byte) {}, append(opts,
		core.OnConnect(func(s *core.Socket) { ev <- errors.New("connected"); _ = s.Close() }),
		core.OnEvent(func(_ *core.Socket, err error) { ev <- err }))...)
	require.NoError(t, err)
	return ev
}

// TestDoormanConnectTimeout: a connect that gets no answer (a full accept
// queue drops the SYN) ends when the doorman's timer says, with a timeout
// that wraps os.ErrDeadlineExceeded as net.Dialer's does.
func TestDoormanConnectTimeout(t *testing.T) {
	addr := testutil.FullListener(t)
	const timeout = 150 * time.Millisecond
	l := runningLoop(t)
	start := time.Now()
	err := testutil.Recv(t, connectResult(t, l, addr, client.WithDialTimeout(timeout)), "the connect's end")
	took := time.Since(start)
	require.ErrorIs(t, err, conditions.TCPTimeout)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var op *net.OpError
	require.ErrorAs(t, err, &op)
	require.Equal(t, "dial", op.Op)
	require.GreaterOrEqual(t, took, timeout, "ended early")
	require.Less(t, took, timeout+time.Second, "ended late")
}

// TestDoormanConnectRefused: a connect to a port with no listener fails
// with ECONNREFUSED, once.
func TestDoormanConnectRefused(t *testing.T) {
	addr := testutil.FreePort(t)
	err := testutil.Recv(t, connectResult(t, runningLoop(t), addr), "the connect's end")
	require.ErrorIs(t, err, conditions.TCPRefused)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
}

// TestDoormanListenerClosedWhileConnecting: the doorman serves a listener
// and holds connects in progress at once. Closing the server leaves the
// connects pending; closing the listener they are waiting on ends each of
// them once (refused when the SYN is sent again), and the Loop ends.
func TestDoormanListenerClosedWhileConnecting(t *testing.T) {
	const pending = 8
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	rc, err := ln.(*net.TCPListener).SyscallConn()
	require.NoError(t, err)
	var lerr error
	require.NoError(t, rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), 0) }))
	require.NoError(t, lerr)
	filler, err := net.DialTimeout("tcp", ln.Addr().String(), testutil.Timeout) // fills the queue
	require.NoError(t, err)
	t.Cleanup(func() { _ = filler.Close(); _ = ln.Close() })

	l := runningLoop(t)
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(*core.Socket, []byte) {})
	require.NoError(t, err)
	var mu sync.Mutex
	var ends []error
	all := make(chan struct{})
	for range pending {
		_, err := client.TCPConnect(l, ln.Addr().String(), func(*core.Socket, []byte) {},
			client.WithDialTimeout(testutil.Timeout),
			core.OnEvent(func(_ *core.Socket, err error) {
				mu.Lock()
				defer mu.Unlock()
				if ends = append(ends, err); len(ends) == pending {
					close(all)
				}
			}))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return l.Stats().PendingConnects == pending },
		testutil.Timeout, time.Millisecond)
	require.NoError(t, srv.Close())
	require.Never(t, func() bool { return l.Stats().PendingConnects != pending }, 50*time.Millisecond, time.Millisecond,
		"closing the server ended a connect")
	require.NoError(t, ln.Close())
	testutil.Recv(t, all, "the connects' ends")
	mu.Lock()
	defer mu.Unlock()
	for _, err := range ends {
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
	}
}
