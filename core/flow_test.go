package core_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// oneServerEvent runs a Loop with one server (opts, and onConnect if not
// nil) and calls peer with its address on another goroutine; the server
// closes after its first socket event, which it returns with the time from
// connect to the event.
func oneServerEvent(t *testing.T, peer func(addr string), onConnect core.ConnectFunc, opts ...server.Option) (after time.Duration, ev error) {
	t.Helper()
	addr := make(chan string, 1)
	var connected time.Time
	done := make(chan struct{})
	go func() {
		defer close(done)
		peer(testutil.Recv(t, addr, "addr"))
	}()
	testutil.Run(t, func(l *core.Loop) {
		var srv *server.Server
		var err error
		srv, err = server.TCPServer(l, "127.0.0.1:0", echo, append(opts,
			core.OnConnect(func(s *core.Socket) {
				connected = time.Now()
				if onConnect != nil {
					onConnect(s)
				}
			}),
			core.OnEvent(func(s *core.Socket, e error) {
				if ev == nil {
					ev, after = e, time.Since(connected)
				}
				_ = srv.Close()
			}))...)
		require.NoError(t, err)
		addr <- srv.Addr().String()
	}, core.WithTickInterval(tick))
	<-done
	return after, ev
}

func TestReadTimeoutFires(t *testing.T) {
	const d = 100 * time.Millisecond
	release := make(chan struct{})
	after, ev := oneServerEvent(t, func(addr string) {
		c := dial(t, addr)
		_, _ = io.Copy(io.Discard, c) // silent; ends when the server closes
		close(release)
	}, nil, core.WithReadTimeout(d))
	<-release
	require.ErrorIs(t, ev, conditions.TCPTimeout)
	require.ErrorIs(t, ev, os.ErrDeadlineExceeded)
	require.Contains(t, ev.Error(), "no data for 100ms")
	require.GreaterOrEqual(t, after, d, "never early")
	require.Less(t, after, d+3*tick+slack)
}

// TestTrickleKeepsReadTimeoutAway: a byte every 20ms keeps a 100ms read
// timeout from firing; once the bytes stop, it fires.
func TestTrickleKeepsReadTimeoutAway(t *testing.T) {
	const d = 100 * time.Millisecond
	var trickled time.Duration
	after, ev := oneServerEvent(t, func(addr string) {
		c := dial(t, addr)
		start := time.Now()
		for range 15 { // 300ms of trickle: three timeouts' worth
			_, err := c.Write([]byte{'.'})
			require.NoError(t, err)
			time.Sleep(20 * time.Millisecond) // the trickle's pace, not synchronisation
		}
		trickled = time.Since(start)
		_, _ = io.Copy(io.Discard, c)
	}, nil, core.WithReadTimeout(d))
	require.ErrorIs(t, ev, conditions.TCPTimeout)
	require.Greater(t, after, trickled, "no timeout while bytes kept coming")
}

func TestSetTimeoutsClears(t *testing.T) {
	var events atomic.Int32
	var cleared error
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo,
			core.WithReadTimeout(20*time.Millisecond),
			core.OnConnect(func(s *core.Socket) {
				cleared = s.SetTimeouts(0, 0)
				// Ten timeouts' worth later, the socket is still open.
				l.Delay(200*time.Millisecond, func() {
					require.False(t, s.Closed())
					_ = s.Close()
				})
			}),
			core.OnEvent(func(*core.Socket, error) { events.Add(1) }))
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), echo, core.OnEvent(func(*core.Socket, error) { _ = srv.Close() }))
		require.NoError(t, err)
	}, core.WithTickInterval(tick))
	require.NoError(t, cleared)
	require.Zero(t, events.Load(), "no timeout after SetTimeouts(0, 0)")
}

func TestSetTimeoutsReplaces(t *testing.T) {
	var ev error
	var after time.Duration
	testutil.Run(t, func(l *core.Loop) {
		var start time.Time
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo,
			core.WithReadTimeout(time.Hour),
			core.OnConnect(func(s *core.Socket) {
				start = time.Now()
				require.NoError(t, s.SetTimeouts(50*time.Millisecond, 0))
			}),
			core.OnEvent(func(_ *core.Socket, e error) { ev, after = e, time.Since(start) }))
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), echo, core.OnEvent(func(*core.Socket, error) { _ = srv.Close() }))
		require.NoError(t, err)
	}, core.WithTickInterval(tick))
	require.ErrorIs(t, ev, conditions.TCPTimeout)
	require.GreaterOrEqual(t, after, 50*time.Millisecond)
	require.Less(t, after, 50*time.Millisecond+3*tick+slack)
}

func TestSetTimeoutsArguments(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		s, err := core.NewSocket(l, echo)
		require.NoError(t, err)
		testutil.RequireArgError(t, s.SetTimeouts(-time.Second, 0), "read")
		testutil.RequireArgError(t, s.SetTimeouts(0, -time.Second), "write")
		require.NoError(t, s.Close())
		require.ErrorIs(t, s.SetTimeouts(time.Second, 0), conditions.SocketClosed)
		require.ErrorIs(t, s.Disable(true, false), conditions.SocketClosed)
		require.ErrorIs(t, s.Enable(true, false), conditions.SocketClosed)
	})
}

// TestWriteTimeoutOnSilentPeer: the peer never reads; the written bytes
// stop moving and the write timeout closes the socket.
func TestWriteTimeoutOnSilentPeer(t *testing.T) {
	const d = 100 * time.Millisecond
	var peer net.Conn
	defer func() {
		if peer != nil {
			_ = peer.Close()
		}
	}()
	_, ev := oneServerEvent(t, func(addr string) {
		peer = dial(t, addr) // and never read
	}, func(s *core.Socket) {
		_, err := s.Write(make([]byte, 32<<20))
		require.NoError(t, err)
	}, core.WithWriteTimeout(d))
	require.ErrorIs(t, ev, conditions.TCPTimeout)
	require.Contains(t, ev.Error(), "no write progress for 100ms")
}

// TestWriteTimeoutIsNotALifetime fixes cl-async's bug: a slow but steady
// reader keeps a write timeout from firing, although the transfer lasts
// several timeouts and the kernel's buffers hide most of the progress.
func TestWriteTimeoutIsNotALifetime(t *testing.T) {
	const wt = 500 * time.Millisecond
	payload := randomBytes(t, 8<<20)
	var events atomic.Int32
	addr := serve(t, echo, core.WithWriteTimeout(wt),
		core.OnEvent(func(*core.Socket, error) { events.Add(1) }),
		core.OnConnect(func(s *core.Socket) {
			_, _ = s.Write(payload)
			_ = s.Close()
		}))
	c := dial(t, addr).(*net.TCPConn)
	require.NoError(t, c.SetReadBuffer(64<<10)) // keep most of the payload out of the kernel
	start := time.Now()
	h := sha256.New()
	buf := make([]byte, 64<<10)
	n := 0
	for {
		m, err := c.Read(buf)
		h.Write(buf[:m])
		n += m
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			break
		}
		time.Sleep(20 * time.Millisecond) // a slow reader: 3 MB/s
	}
	require.Equal(t, len(payload), n)
	require.Equal(t, sha256.Sum256(payload), [32]byte(h.Sum(nil)))
	require.Greater(t, time.Since(start), 2*wt, "the transfer outlived the timeout")
	require.Zero(t, events.Load())
}

// TestDisableKeepsEveryByte: bytes that arrive while reading is disabled
// are delivered after Enable, all of them, in order, and not before. The
// pause is a real TCP pause: the sender's large write stays blocked and
// the server's memory stays flat while it lasts.
func TestDisableKeepsEveryByte(t *testing.T) {
	payload := randomBytes(t, 32<<20) // more than the kernel buffers of both sides
	var got bytes.Buffer
	var earlyReads atomic.Int32
	var paused, writeDone atomic.Bool
	var doneAtResume bool
	var bufferedAtResume int64
	testutil.Run(t, func(l *core.Loop) {
		var srv *server.Server
		var err error
		srv, err = server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
			if paused.Load() {
				earlyReads.Add(1)
			}
			got.Write(data)
			if got.Len() == len(payload) {
				_ = s.Close()
				_ = srv.Close()
			}
		}, core.OnConnect(func(s *core.Socket) {
			paused.Store(true)
			require.NoError(t, s.Disable(true, false))
			l.Delay(300*time.Millisecond, func() { // the pause under test
				doneAtResume = writeDone.Load()
				bufferedAtResume = l.Stats().BytesBufferedIn
				paused.Store(false)
				require.NoError(t, s.Enable(true, false))
			})
		}))
		require.NoError(t, err)
		go func() {
			c, err := net.Dial("tcp", srv.Addr().String())
			if !assertNoErr(t, err) {
				return
			}
			defer c.Close()
			_, err = c.Write(payload)
			assertNoErr(t, err)
			writeDone.Store(true)
			_, _ = io.Copy(io.Discard, c) // until the server closes
		}()
	}, core.WithTickInterval(tick))
	require.Zero(t, earlyReads.Load(), "no read callback while reading is disabled")
	require.False(t, doneAtResume, "the sender was held back by TCP while reading was disabled")
	require.Less(t, bufferedAtResume, int64(1<<20), "memory stayed flat during the pause")
	require.Equal(t, len(payload), got.Len())
	require.Equal(t, sha256.Sum256(payload), sha256.Sum256(got.Bytes()), "every byte, in order")
}

// TestReadOverflowCloses: bytes nobody reads are kept within
// WithMaxReadBuffer; past it the socket closes with a condition that says so.
func TestReadOverflowCloses(t *testing.T) {
	t.Run("not drained", func(t *testing.T) {
		_, ev := oneServerEvent(t, func(addr string) {
			c := dial(t, addr)
			_, _ = c.Write(make([]byte, 1<<20)) // may fail once the server closes
			_, _ = io.Copy(io.Discard, c)
		}, nil, core.WithDontDrainReadBuffer(), core.WithMaxReadBuffer(64<<10))
		requireOverflow(t, ev)
	})
}

// TestPauseBehindABacklog: a socket paused while the transport still holds
// bytes it wrote (its peer reads nothing) pauses at the TCP level all the
// same, where the kernel can count what the transport's last flush wrote
// (Linux): the peer's bytes wait in the kernel, not in memory, and the
// socket's own bytes still all arrive, in order.
func TestPauseBehindABacklog(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux counts the bytes the kernel took; elsewhere such a pause keeps reading within WithMaxReadBuffer (TestReadOverflowCloses)")
	}
	const size = 32 << 20
	paused := make(chan *core.Socket, 1)
	addr := serve(t, echo, core.WithMaxReadBuffer(64<<10), core.OnConnect(func(s *core.Socket) {
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = byte(i * 7)
		}
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
	c := dial(t, addr)
	s := testutil.Recv(t, paused, "the pause")
	_, err := c.Write(make([]byte, 1<<20)) // a megabyte the server does not read
	require.NoError(t, err)
	got := make([]byte, size)
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	for i := range got {
		if got[i] != byte(i*7) {
			t.Fatalf("byte %d differs: the stream has a hole or a repeat", i)
		}
	}
	require.Less(t, s.Buffered(), 256<<10, "the peer's megabyte waits in the kernel")
	require.False(t, s.Closed())
	require.NoError(t, c.Close())
}

func requireOverflow(t *testing.T, ev error) {
	t.Helper()
	require.ErrorIs(t, ev, core.ErrReadBufferFull)
	require.ErrorIs(t, ev, conditions.TCPError, "the socket is closed")
	require.Contains(t, ev.Error(), "read buffer full")
}

// TestDisableWriteHoldsBytes: with writing disabled the bytes wait in the
// socket, counted in Unsent and Stats, and go out on Enable.
func TestDisableWriteHoldsBytes(t *testing.T) {
	var unsent int
	var st core.Stats
	var got string
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo, core.OnConnect(func(s *core.Socket) {
			require.NoError(t, s.Disable(false, true))
			_, err := s.Write([]byte("held"))
			require.NoError(t, err)
			l.Delay(20*time.Millisecond, func() { // the reactor has long processed the write
				unsent, st = s.Unsent(), l.Stats()
				require.NoError(t, s.Enable(false, true))
			})
		}))
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), func(s *core.Socket, data []byte) {
			got = string(data)
			_ = s.Close()
			_ = srv.Close()
		})
		require.NoError(t, err)
	}, core.WithTickInterval(tick))
	require.Equal(t, 4, unsent)
	require.Equal(t, int64(4), st.BytesBufferedOut)
	require.Equal(t, "held", got)
}

// TestBackpressure: past the high watermark the socket is congested; the
// drain callback runs once the peer has read it down to the low one; past
// the cap a Write fails (OverflowRefuse: the socket stays open) and loses
// nothing written before.
func TestBackpressure(t *testing.T) {
	const low, high, limit = 64 << 10, 256 << 10, 1 << 20
	var congestedAt, drains atomic.Int32
	var capErr error
	var total int
	startReading := make(chan struct{})
	addr := serve(t, echo,
		core.WithWriteWatermarks(low, high), core.WithMaxWriteBuffer(limit), core.WithWriteOverflow(core.OverflowRefuse),
		core.OnDrain(func(s *core.Socket) {
			drains.Add(1)
			require.False(t, s.Congested())
			require.LessOrEqual(t, s.Unsent(), low)
			_ = s.Close() // everything written so far still arrives
		}),
		core.OnConnect(func(s *core.Socket) {
			chunk := make([]byte, 32<<10)
			for i := 0; ; i++ {
				if _, err := s.Write(chunk); err != nil {
					capErr = err
					break
				}
				total += len(chunk)
				if s.Congested() && congestedAt.Load() == 0 {
					congestedAt.Store(int32(total))
				}
			}
			close(startReading)
		}))
	c := dial(t, addr)
	<-startReading
	got, err := slowRead(c)
	require.ErrorIs(t, err, io.EOF)
	require.ErrorIs(t, capErr, core.ErrWriteBufferFull)
	require.ErrorIs(t, capErr, conditions.EventError)
	require.NotErrorIs(t, capErr, conditions.TCPError, "the socket stays open")
	require.GreaterOrEqual(t, int(congestedAt.Load()), high)
	require.Equal(t, total, len(got), "nothing accepted was lost")
	require.GreaterOrEqual(t, total, limit-64<<10)
	require.Equal(t, int32(1), drains.Load())
}

func TestFlowOptionErrors(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		for _, tc := range []struct {
			opt core.SocketOption
			arg string
		}{
			{opt: core.WithReadTimeout(-time.Second), arg: "core.WithReadTimeout"},
			{opt: core.WithWriteTimeout(-time.Second), arg: "core.WithWriteTimeout"},
			{opt: core.WithMaxReadBuffer(0), arg: "core.WithMaxReadBuffer"},
			{opt: core.WithMaxWriteBuffer(-1), arg: "core.WithMaxWriteBuffer"},
			{opt: core.WithWriteWatermarks(10, 10), arg: "core.WithWriteWatermarks"},
			{opt: core.WithMaxWriteBuffer(1024), arg: "core.WithMaxWriteBuffer"}, // below the default high watermark
		} {
			_, err := core.NewSocket(l, echo, tc.opt)
			testutil.RequireArgError(t, err, tc.arg, tc.arg)
		}
		s, err := core.NewSocket(l, echo, core.WithMaxWriteBuffer(1024), core.WithWriteWatermarks(10, 100))
		require.NoError(t, err, "a small cap with small watermarks is fine")
		require.NoError(t, s.Close())
	})
}

// TestStatsUnderChurn: connections and timers come and go in rounds, the
// counters moved by reactors and dial goroutines at once; at each quiet
// point they are exact, and at the end they are all zero.
func TestStatsUnderChurn(t *testing.T) {
	const workers, rounds, conns = 4, 5, 10
	l := core.NewLoop(core.WithTickInterval(tick))
	var open atomic.Int64 // accepted sockets not yet closed, as the callbacks see them
	require.NoError(t, testutil.RunErr(t, l, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", echo,
			core.OnConnect(func(*core.Socket) { open.Add(1) }),
			core.OnEvent(func(*core.Socket, error) { open.Add(-1) }))
		require.NoError(t, err)
		go func() {
			defer func() { _ = srv.Close() }()
			for r := range rounds {
				var established atomic.Int32
				ready := make(chan struct{})
				var socks [workers * conns]*core.Socket
				for i := range socks {
					socks[i], err = client.TCPConnect(l, srv.Addr().String(), echo,
						core.OnConnect(func(*core.Socket) {
							if established.Add(1) == workers*conns {
								close(ready)
							}
						}))
					if !assertNoErr(t, err) {
						return
					}
				}
				timers := make([]*core.Timer, 0, r+1)
				for range r + 1 {
					timers = append(timers, l.Delay(time.Hour, func() {}))
				}
				testutil.Recv(t, ready, "connections")
				for open.Load() < workers*conns { // the accepts are counted a moment later
					time.Sleep(time.Millisecond) // polling counters; no event to wait on
				}
				st := l.Stats()
				assert := func(want, got int, what string) {
					if want != got {
						t.Errorf("round %d: %s = %d, want %d", r, what, got, want)
					}
				}
				assert(workers*conns, st.IncomingSockets, "IncomingSockets")
				assert(workers*conns, st.OutgoingSockets, "OutgoingSockets")
				assert(1, st.Servers, "Servers")
				assert(0, st.PendingConnects, "PendingConnects")
				assert(r+1, st.Timers, "Timers")
				for _, tm := range timers {
					tm.Stop()
				}
				for _, s := range socks {
					_ = s.Close()
				}
				for open.Load() > 0 || l.Stats().OutgoingSockets > 0 {
					time.Sleep(time.Millisecond)
				}
			}
		}()
	}))
	st := l.Stats()
	held := st
	held.Counters = core.Counters{}
	require.Equal(t, core.Stats{}, held, "nothing held")
	total := uint64(workers * conns * rounds)
	require.Equal(t, total, st.Accepted)
	require.Equal(t, total, st.Connected)
	require.Equal(t, total, st.ClosedByApp, "the clients closed theirs")
	require.Equal(t, total, st.ClosedEOF, "the server's sockets closed at the clients' end of file")
}

// TestTimersRunBesideABusyProducer: a producer that writes from OnDrain to
// a peer that keeps up makes work for its reactor without end; the
// reactor still serves its timers meanwhile (one reactor: the Interval
// shares it with the producer).
func TestTimersRunBesideABusyProducer(t *testing.T) {
	const total = 32 << 20
	chunk := make([]byte, 256<<10)
	var runs atomic.Int64
	var sent int
	produce := func(s *core.Socket) {
		for t0 := time.Now(); time.Since(t0) < 2*time.Millisecond; { // a producer that takes its time
		}
		for sent < total && !s.Congested() {
			_, _ = s.Write(chunk)
			sent += len(chunk)
		}
		if sent >= total {
			_ = s.Close()
		}
	}
	l := core.NewLoop(core.WithReactors(1), core.WithStayRunning(), core.WithTickInterval(time.Millisecond))
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { l.Exit(); _ = l.Wait() })
	require.NoError(t, l.Interval(time.Millisecond, func() { runs.Add(1) }).Err())
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, _ []byte) {
		_ = s.Disable(true, false)
		produce(s)
	}, core.OnDrain(produce))
	require.NoError(t, err)
	c := dial(t, srv.Addr().String())
	_, err = c.Write([]byte("go"))
	require.NoError(t, err)
	before := runs.Load()
	n, err := io.Copy(io.Discard, c)
	require.NoError(t, err)
	require.EqualValues(t, total, n)
	require.Greater(t, runs.Load()-before, int64(5), "the Interval ran while the producer was busy")
}
