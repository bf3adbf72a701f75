package transporttest

import (
	"bytes"
	"io"
	"net"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core/transport"
)

var (
	errConnReset = syscall.ECONNRESET
	errPipe      = syscall.EPIPE
)

// testOpen: Enroll runs OnOpen on the reactor it was called on, with that
// reactor's index, and the Conn reports the connection's addresses.
func testOpen(h *harness) {
	for idx := range h.rs {
		r := &rec{}
		peer := h.open(r, idx)
		var local, remote string
		r.do(func(c transport.Conn) {
			local, remote = c.LocalAddr().String(), c.RemoteAddr().String()
		})
		require.Equal(h.t, peer.RemoteAddr().String(), local, "LocalAddr")
		require.Equal(h.t, peer.LocalAddr().String(), remote, "RemoteAddr")
	}
	h.gidMu.Lock()
	defer h.gidMu.Unlock()
	require.NotEqual(h.t, h.gids[0], h.gids[1], "each reactor has its own goroutine")
}

// testOpenRefused: when OnOpen returns false the transport closes the
// connection, without OnClose.
func testOpenRefused(h *harness) {
	r := &rec{refuse: true}
	peer := h.open(r, 0)
	_, err := readAll(peer)
	require.True(h.t, err == nil || isReset(err), "the peer sees the connection end: %v", err)
	h.exec(0, func() {}) // anything the close queued has run
	require.Zero(h.t, r.count(evClose), "no OnClose after OnOpen returned false")
}

// testTick: OnTick runs again and again, on a goroutine that is no
// reactor's, no sooner than the interval it returned.
func testTick(h *harness) {
	for idx := range h.rs {
		h.exec(idx, func() {}) // learn the reactors' goroutines
	}
	const want = 5
	lh := h.lh
	var times []time.Time
	deadline := time.After(timeout)
	for len(times) < want {
		lh.mu.Lock()
		if lh.changed == nil {
			lh.changed = make(chan struct{})
		}
		ch := lh.changed
		lh.mu.Unlock()
		select {
		case <-ch:
			times = append(times, time.Now())
		case <-deadline:
			h.t.Fatalf("OnTick ran %d times in %v", len(times), timeout)
		}
	}
	lh.mu.Lock()
	defer lh.mu.Unlock()
	for id := range lh.tickGIDs {
		require.NotContains(h.t, h.gids, id, "OnTick runs on a goroutine of its own")
	}
	require.GreaterOrEqual(h.t, times[want-1].Sub(times[0]), (want-2)*tickInterval, "OnTick waits the interval it returned")
}

// testExecuteOrder: Execute'd functions run in the order they were queued
// (per goroutine that queues them), one at a time, after the function
// that queued them; writes from them reach the peer in that order.
func testExecuteOrder(h *harness) {
	const n = 200
	var got []int // touched on reactor 0 only
	done := make(chan struct{}, 2)
	for g := range 2 {
		go func() {
			for i := range n {
				if err := h.rs[0].Execute(func() { got = append(got, g*n+i) }); err != nil {
					h.t.Errorf("Execute: %v", err)
				}
			}
			done <- struct{}{}
		}()
	}
	<-done
	<-done
	var nested []string
	h.exec(0, func() {
		if err := h.rs[0].Execute(func() { nested = append(nested, "queued") }); err != nil {
			h.t.Errorf("Execute on the reactor: %v", err)
		}
		nested = append(nested, "queuer")
	})
	h.exec(0, func() {})
	require.Equal(h.t, []string{"queuer", "queued"}, nested, "a function Execute'd on the reactor runs after the current one")
	require.Len(h.t, got, 2*n)
	for g := range 2 {
		var mine []int
		for _, v := range got {
			if v/n == g {
				mine = append(mine, v)
			}
		}
		require.True(h.t, slices.IsSorted(mine), "goroutine %d's functions ran in order", g)
	}

	r, peer := h.conn()
	res := readAsync(peer)
	for i := range n {
		require.NoError(h.t, h.rs[0].Execute(func() {
			r.conn.Write(blocks(bytes.Repeat([]byte{byte(i)}, 1000)))
		}))
	}
	r.do(func(c transport.Conn) { _ = c.Close() })
	out := h.recv(res)
	require.NoError(h.t, out.err)
	require.Len(h.t, out.data, n*1000)
	for i := range n {
		require.Equal(h.t, bytes.Repeat([]byte{byte(i)}, 1000), out.data[i*1000:(i+1)*1000], "write %d in order", i)
	}
}

// testTraffic: every byte the peer sends comes with OnTraffic, in order,
// then OnEOF once, then (OnEOF returning false) OnClose(c, io.EOF) at
// once.
func testTraffic(h *harness) {
	r, peer := h.conn()
	want := payload(4 << 20)
	go func() {
		for p := want; len(p) > 0; {
			k := min(len(p), 3000+len(p)%7000)
			if _, err := peer.Write(p[:k]); err != nil {
				h.t.Errorf("peer write: %v", err)
				return
			}
			p = p[k:]
		}
		if hc, ok := peer.(halfCloser); ok {
			_ = hc.CloseWrite()
		} else {
			_ = peer.Close()
		}
	}()
	err := r.closed()
	require.ErrorIs(h.t, err, io.EOF, "OnClose after OnEOF returned false")
	events, data := r.snapshot()
	require.True(h.t, bytes.Equal(want, data), "the bytes arrived in order (%d of %d)", len(data), len(want))
	require.Equal(h.t, evOpen, events[0])
	require.Equal(h.t, []event{evEOF, evClose}, events[len(events)-2:], "OnEOF once, after every byte, then OnClose")
	require.Equal(h.t, 1, r.count(evEOF))
}

// testPeekDiscardWriteTo: the reading methods agree with each other.
func testPeekDiscardWriteTo(h *harness) {
	r := &rec{}
	turn := 0
	r.onTraffic = func(c transport.Conn) bool {
		n := c.InboundBuffered()
		if n == 0 {
			h.t.Error("OnTraffic with nothing buffered")
			return true
		}
		if _, err := c.Peek(n + 1); err == nil {
			h.t.Errorf("Peek(%d) with %d buffered: no error", n+1, n)
		}
		all, err := c.Peek(0)
		if err != nil || len(all) != n {
			h.t.Errorf("Peek(0) = %d bytes, %v; want %d", len(all), err, n)
		}
		first, err := c.Peek(1)
		if err != nil || len(first) != 1 || first[0] != all[0] {
			h.t.Errorf("Peek(1) = %v, %v", first, err)
		}
		switch turn++; turn % 3 {
		case 0:
			r.took(first)
			if d, err := c.Discard(1); d != 1 || err != nil {
				h.t.Errorf("Discard(1) = %d, %v", d, err)
			}
			if m, err := c.WriteTo(r); int(m) != n-1 || err != nil {
				h.t.Errorf("WriteTo = %d, %v; want %d", m, err, n-1)
			}
		case 1:
			if m, err := c.WriteTo(r); int(m) != n || err != nil {
				h.t.Errorf("WriteTo = %d, %v; want %d", m, err, n)
			}
		default:
			p, _ := c.Peek(-1)
			r.took(p)
			if d, err := c.Discard(0); d != n || err != nil {
				h.t.Errorf("Discard(0) = %d, %v; want all %d", d, err, n)
			}
		}
		if left := c.InboundBuffered(); left != 0 {
			h.t.Errorf("%d bytes left after consuming all", left)
		}
		return true
	}
	peer := h.open(r, 1)
	want := payload(1 << 20)
	for p := want; len(p) > 0; p = p[min(len(p), 1500):] {
		_, err := peer.Write(p[:min(len(p), 1500)])
		require.NoError(h.t, err)
	}
	r.waitFor("every byte", func(r *rec) bool { return len(r.data) >= len(want) })
	_, data := r.snapshot()
	require.True(h.t, bytes.Equal(want, data), "the bytes arrived in order")
}

// testEnrollConcurrent: Enroll from many goroutines at once, on every
// reactor: each connection opens once and gets its own bytes.
func testEnrollConcurrent(h *harness) {
	const n = 16
	recs := make([]*rec, n)
	peers := make([]net.Conn, n)
	errs := make(chan error, n)
	for i := range n {
		local, peer, err := h.pair()
		require.NoError(h.t, err)
		h.t.Cleanup(func() { _ = peer.Close() })
		recs[i], peers[i] = &rec{h: h, reactor: i % len(h.rs)}, peer
		h.gidMu.Lock()
		h.recs = append(h.recs, recs[i])
		h.gidMu.Unlock()
		go func() { errs <- h.rs[i%len(h.rs)].Enroll(local, recs[i]) }()
	}
	for range n {
		select {
		case err := <-errs:
			require.NoError(h.t, err, "Enroll")
		case <-time.After(timeout):
			h.t.Fatal("Enroll did not return")
		}
	}
	for i, p := range peers {
		_, err := p.Write([]byte("connection " + strconv.Itoa(i)))
		require.NoError(h.t, err)
		h.closeWrite(p)
	}
	for i, r := range recs {
		require.ErrorIs(h.t, r.closed(), io.EOF)
		_, data := r.snapshot()
		require.Equal(h.t, "connection "+strconv.Itoa(i), string(data))
		require.Equal(h.t, 1, r.count(evOpen))
	}
}
