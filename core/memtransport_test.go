//go:build go1.25

package core_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/core/transport/memtransport"
)

// The tests of this file run a Loop on memtransport inside
// testing/synctest's bubble: time is fake and moves only when every
// goroutine waits, so timing-sensitive behaviour is checked to the tick,
// with neither sleeps nor slack.

// memTick is the tick interval of these Loops: the precision of timers
// and timeouts.
const memTick = 10 * time.Millisecond

// memLoop starts a Loop on a memtransport over nw, with start run on it.
func memLoop(t *testing.T, nw *memtransport.Network, start func(l *core.Loop)) *core.Loop {
	t.Helper()
	l := core.NewLoop(core.WithTransport(memtransport.New(nw)), core.WithReactors(2), core.WithTickInterval(memTick))
	require.NoError(t, l.Start(start))
	return l
}

// memDial returns a DialFunc that connects to addr on nw.
func memDial(nw *memtransport.Network, addr string) core.DialFunc {
	return func(ctx context.Context) (net.Conn, error) { return nw.Dial(ctx, addr) }
}

// memListen listens on a free port of nw.
func memListen(t *testing.T, nw *memtransport.Network) net.Listener {
	t.Helper()
	ln, err := nw.Listen("127.0.0.1:0")
	require.NoError(t, err)
	return ln
}

func discard(*core.Socket, []byte) {}

// empty reports whether ch has nothing to receive now.
func empty[T any](ch <-chan T) bool {
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

// TestSynctestReadTimeout: a read timeout fires at its deadline, to the
// tick, and not before.
func TestSynctestReadTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const d = 300 * time.Millisecond
		nw := memtransport.NewNetwork()
		connected := make(chan time.Time, 1)
		fired := make(chan error, 1)
		var firedAt time.Time
		var client *core.Socket
		l := memLoop(t, nw, func(l *core.Loop) {
			ln := memListen(t, nw)
			var srv *core.Server
			var err error
			srv, err = l.Serve(ln, discard, core.WithReadTimeout(d),
				core.OnConnect(func(*core.Socket) { connected <- time.Now() }),
				core.OnEvent(func(_ *core.Socket, ev error) {
					firedAt = time.Now()
					fired <- ev
					_ = srv.Close()
				}))
			require.NoError(t, err)
			client, err = core.NewSocket(l, discard, core.OnEvent(func(*core.Socket, error) {}))
			require.NoError(t, err)
			require.NoError(t, client.Connect(ln.Addr().String(), memDial(nw, ln.Addr().String())))
		})
		start := <-connected
		time.Sleep(d - memTick)
		synctest.Wait()
		require.True(t, empty(fired), "no timeout a tick before the deadline")
		ev := <-fired
		require.ErrorIs(t, ev, conditions.TCPTimeout)
		require.ErrorIs(t, ev, os.ErrDeadlineExceeded)
		after := firedAt.Sub(start)
		require.GreaterOrEqual(t, after, d, "never early")
		require.LessOrEqual(t, after, d+2*memTick, "within the tick precision")
		_ = client.Close() // the server's close may have closed it already
		require.NoError(t, l.Wait())
	})
}

// TestSynctestWriteTimeout: with a peer that never reads, the window fills
// and the write timeout fires once no byte moved for its duration.
func TestSynctestWriteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const d = 200 * time.Millisecond
		nw := memtransport.NewNetwork()
		connected := make(chan time.Time, 1)
		fired := make(chan error, 1)
		var firedAt time.Time
		var srv *core.Server
		var reader *core.Socket
		l := memLoop(t, nw, func(l *core.Loop) {
			ln := memListen(t, nw)
			var err error
			srv, err = l.Serve(ln, discard, core.OnConnect(func(s *core.Socket) {
				reader = s
				require.NoError(t, s.Disable(true, false)) // never reads
			}))
			require.NoError(t, err)
			client, err := core.NewSocket(l, discard, core.WithWriteTimeout(d),
				core.OnConnect(func(s *core.Socket) {
					_, err := s.Write(make([]byte, 4<<20))
					require.NoError(t, err)
					connected <- time.Now()
				}),
				core.OnEvent(func(_ *core.Socket, ev error) {
					firedAt = time.Now()
					fired <- ev
				}))
			require.NoError(t, err)
			require.NoError(t, client.Connect(ln.Addr().String(), memDial(nw, ln.Addr().String())))
		})
		start := <-connected
		time.Sleep(d - memTick)
		synctest.Wait()
		require.True(t, empty(fired), "no timeout while the deadline is ahead")
		ev := <-fired
		require.ErrorIs(t, ev, conditions.TCPTimeout)
		require.Contains(t, ev.Error(), "no write progress")
		after := firedAt.Sub(start)
		require.GreaterOrEqual(t, after, d, "never early")
		require.LessOrEqual(t, after, d+2*memTick, "within the tick precision")
		require.NoError(t, srv.Close())
		require.NoError(t, reader.Close())
		require.NoError(t, l.Wait())
	})
}

// TestSynctestBackpressure: a writer to a slow reader (16 KiB per 10ms)
// becomes Congested at once, and OnDrain runs once its unsent bytes are
// down to the low watermark: no sooner than the reader can have read the
// rest. Every byte arrives in order.
func TestSynctestBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			total  = 2 << 20
			window = 64 << 10
			low    = 128 << 10
			high   = 512 << 10
			chunk  = 16 << 10
			pace   = 10 * time.Millisecond
		)
		nw := memtransport.NewNetwork(memtransport.WithWindow(window))
		ln := memListen(t, nw)
		addr := ln.Addr().String()
		want := bytes.Repeat([]byte("backpressure"), total/12+1)[:total]
		began := time.Now()
		read := make(chan []byte, 1)
		go func() { // the slow reader
			c, err := ln.Accept()
			if err != nil {
				read <- nil
				return
			}
			defer c.Close()
			var got []byte
			p := make([]byte, chunk)
			for {
				time.Sleep(pace)
				n, err := io.ReadFull(c, p)
				got = append(got, p[:n]...)
				if err != nil {
					read <- got
					return
				}
			}
		}()
		var drainedAt time.Time
		var congested, stillCongested bool
		var unsentAtDrain int
		drains := 0
		l := memLoop(t, nw, func(l *core.Loop) {
			s, err := core.NewSocket(l, discard, core.WithWriteWatermarks(low, high),
				core.OnConnect(func(s *core.Socket) {
					_, err := s.Write(want)
					require.NoError(t, err)
					congested = s.Congested()
				}),
				core.OnDrain(func(s *core.Socket) {
					drains++
					drainedAt, stillCongested, unsentAtDrain = time.Now(), s.Congested(), s.Unsent()
					require.NoError(t, s.Close())
				}))
			require.NoError(t, err)
			require.NoError(t, s.Connect(addr, memDial(nw, addr)))
		})
		got := <-read
		require.NoError(t, l.Wait())
		require.NoError(t, ln.Close())
		require.True(t, congested, "Congested right after a write past the high watermark")
		require.Equal(t, 1, drains, "OnDrain once")
		require.False(t, stillCongested, "not Congested in OnDrain")
		require.LessOrEqual(t, unsentAtDrain, low)
		// Before OnDrain the reader took all but low+window bytes, at
		// chunk bytes per pace.
		minReads := (total - low - window) / chunk
		require.GreaterOrEqual(t, drainedAt.Sub(began), time.Duration(minReads)*pace, "OnDrain waited for the slow reader")
		require.Equal(t, want, got, "every byte in order")
	})
}

// TestSynctestSchedule: a Delay runs once at its time, an Interval every
// period, each to the tick.
func TestSynctestSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			delay  = 250 * time.Millisecond
			period = 100 * time.Millisecond
			runs   = 5
		)
		var began, delayed time.Time
		var ticks []time.Duration
		l := memLoop(t, memtransport.NewNetwork(), func(l *core.Loop) {
			began = time.Now()
			l.Delay(delay, func() { delayed = time.Now() })
			var iv *core.Timer
			iv = l.Interval(period, func() {
				ticks = append(ticks, time.Since(began))
				if len(ticks) == runs {
					iv.Stop()
				}
			})
		})
		require.NoError(t, l.Wait())
		after := delayed.Sub(began)
		require.GreaterOrEqual(t, after, delay, "the Delay is never early")
		require.LessOrEqual(t, after, delay+memTick, "the Delay is on time, to the tick")
		require.Len(t, ticks, runs)
		for i, at := range ticks {
			due := time.Duration(i+1) * period
			require.GreaterOrEqual(t, at, due, "run %d never early", i)
			require.LessOrEqual(t, at, due+memTick, "run %d on time, to the tick", i)
		}
	})
}

// TestSynctestTrickleKeepsReadTimeoutAway: a byte every 80ms keeps a
// 100ms read timeout from firing for ten timeouts' worth of time; it fires
// d after the last byte, to the tick.
func TestSynctestTrickleKeepsReadTimeoutAway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			d     = 100 * time.Millisecond
			pace  = 80 * time.Millisecond
			bytes = 13 // 13 × 80ms: over ten timeouts' worth
		)
		nw := memtransport.NewNetwork()
		ln := memListen(t, nw)
		addr := ln.Addr().String()
		fired := make(chan error, 1)
		var firedAt time.Time
		l := memLoop(t, nw, func(l *core.Loop) {
			var srv *core.Server
			var err error
			srv, err = l.Serve(ln, discard, core.WithReadTimeout(d),
				core.OnEvent(func(_ *core.Socket, ev error) {
					firedAt = time.Now()
					fired <- ev
					_ = srv.Close()
				}))
			require.NoError(t, err)
		})
		c, err := nw.Dial(context.Background(), addr)
		require.NoError(t, err)
		var last time.Time
		for range bytes {
			_, err := c.Write([]byte{'.'})
			require.NoError(t, err)
			last = time.Now()
			time.Sleep(pace)
			synctest.Wait()
			require.True(t, empty(fired), "no timeout while bytes keep coming")
		}
		ev := <-fired
		require.ErrorIs(t, ev, conditions.TCPTimeout)
		require.GreaterOrEqual(t, firedAt.Sub(last), d, "never early")
		require.LessOrEqual(t, firedAt.Sub(last), d+2*memTick, "d after the last byte, to the tick")
		_, err = io.Copy(io.Discard, c) // until the server's close
		require.NoError(t, err)
		require.NoError(t, c.Close())
		require.NoError(t, l.Wait())
	})
}

// TestSynctestWriteTimeoutIsNotALifetime: a slow but steady reader keeps
// a write timeout from firing through a transfer many timeouts long; once
// it stops reading, the timeout fires, and the bytes it read arrived in
// order. It fires 2×wt after the last read, not wt: the peer's reads are
// also seen as acknowledgements (Conn.Acked), which the timeout checks
// only when it is due, and counts as progress made then (see
// Socket.SetTimeouts).
func TestSynctestWriteTimeoutIsNotALifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			wt     = 100 * time.Millisecond
			window = 16 << 10
			chunk  = 4 << 10
			pace   = 50 * time.Millisecond
			total  = 1 << 20
			reads  = 64 // 64 × 50ms: 32 timeouts' worth; 256 KiB of the 1 MiB
		)
		nw := memtransport.NewNetwork(memtransport.WithWindow(window))
		ln := memListen(t, nw)
		addr := ln.Addr().String()
		want := bytes.Repeat([]byte("steady"), total/6+1)[:total]
		fired := make(chan error, 1)
		var firedAt time.Time
		var writer *core.Socket
		l := memLoop(t, nw, func(l *core.Loop) {
			s, err := core.NewSocket(l, discard, core.WithWriteTimeout(wt),
				core.OnConnect(func(s *core.Socket) {
					writer = s
					_, err := s.Write(want)
					require.NoError(t, err)
				}),
				core.OnEvent(func(_ *core.Socket, ev error) {
					firedAt = time.Now()
					fired <- ev
				}))
			require.NoError(t, err)
			require.NoError(t, s.Connect(addr, memDial(nw, addr)))
		})
		c, err := ln.Accept()
		require.NoError(t, err)
		var got []byte
		p := make([]byte, chunk)
		var last time.Time
		for range reads {
			time.Sleep(pace)
			n, err := io.ReadFull(c, p)
			require.NoError(t, err)
			got = append(got, p[:n]...)
			last = time.Now()
			synctest.Wait()
			require.True(t, empty(fired), "no timeout while the reader reads")
		}
		ev := <-fired
		require.ErrorIs(t, ev, conditions.TCPTimeout)
		require.Contains(t, ev.Error(), "no write progress")
		require.GreaterOrEqual(t, firedAt.Sub(last), wt, "never early")
		require.LessOrEqual(t, firedAt.Sub(last), 2*wt+2*memTick, "at most one timeout late, to the tick")
		require.Equal(t, want[:len(got)], got, "the bytes read arrived in order")
		require.True(t, writer.Closed())
		require.NoError(t, c.Close())
		require.NoError(t, ln.Close())
		require.NoError(t, l.Wait())
	})
}
