package transporttest

import (
	"bytes"
	"io"
	"net"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport"
)

// testCloseWriteFirst: CloseWrite sends FIN after what was written and
// reading goes on; once the peer ends its side too, the connection
// closes, once.
func testCloseWriteFirst(h *harness) {
	r, peer := h.conn()
	var err error
	r.do(func(c transport.Conn) {
		c.Write(blocks([]byte("response")))
		err = c.CloseWrite()
	})
	require.NoError(h.t, err, "CloseWrite")
	res := h.recv(readAsync(peer))
	require.NoError(h.t, res.err)
	require.Equal(h.t, "response", string(res.data), "the bytes, then end of file")
	_, err = peer.Write([]byte("more from the peer"))
	require.NoError(h.t, err, "the peer's side is still open")
	h.closeWrite(peer)
	require.True(h.t, errIsEOForNil(r.closed()), "both sides ended")
	_, data := r.snapshot()
	require.Equal(h.t, "more from the peer", string(data), "reading went on after CloseWrite")
}

// testPeerCloseWriteFirst: OnEOF returning true keeps the connection open
// for writing; CloseWrite then ends it (OnClose(c, nil)).
func testPeerCloseWriteFirst(h *harness) {
	r := &rec{keepOpen: true}
	peer := h.open(r, 1)
	_, err := peer.Write([]byte("request"))
	require.NoError(h.t, err)
	h.closeWrite(peer)
	r.waitFor("OnEOF", func(r *rec) bool { return r.count0(evEOF) > 0 })
	_, data := r.snapshot()
	require.Equal(h.t, "request", string(data), "the bytes before the end came first")
	r.do(func(c transport.Conn) {
		c.Write(blocks([]byte("reply")))
		err = c.CloseWrite()
	})
	require.NoError(h.t, err, "CloseWrite")
	res := h.recv(readAsync(peer))
	require.NoError(h.t, res.err)
	require.Equal(h.t, "reply", string(res.data), "a half-open connection writes")
	require.NoError(h.t, r.closed(), "CloseWrite after the peer's end closes with nil")
}

// testEOFClose: OnEOF returning false closes the connection: OnClose(c,
// io.EOF) follows at once, and what was written before (inside OnEOF
// too) is still delivered, then end of file.
func testEOFClose(h *harness) {
	r := &rec{}
	want := payload(4 << 20)
	r.onEOF = func(c transport.Conn) { c.Write(blocks(want)) }
	peer := h.open(r, 0)
	_, err := peer.Write([]byte("bye"))
	require.NoError(h.t, err)
	h.closeWrite(peer)
	require.ErrorIs(h.t, r.closed(), io.EOF)
	events, _ := r.snapshot()
	require.Equal(h.t, []event{evEOF, evClose}, events[len(events)-2:], "OnClose follows OnEOF at once")
	res := h.recv(readAsync(peer))
	require.NoError(h.t, res.err, "end of file after the bytes")
	require.True(h.t, bytes.Equal(want, res.data), "what OnEOF wrote was delivered (%d of %d)", len(res.data), len(want))
}

// testPeerReset: a reset by the peer closes the connection with an error
// matching ECONNRESET.
func testPeerReset(h *harness) {
	r, peer := h.conn()
	_, err := peer.Write([]byte("then reset"))
	require.NoError(h.t, err)
	h.reset(peer)
	err = r.closed()
	require.ErrorIs(h.t, err, errConnReset)
	require.Equal(h.t, conditions.TCPReset, conditions.KindOf(err))
	_, data := r.snapshot()
	require.True(h.t, bytes.HasPrefix([]byte("then reset"), data))
}

// testPeerResetPaused: a reset is reported while the connection is
// paused.
func testPeerResetPaused(h *harness) {
	r, peer := h.conn()
	var err error
	r.do(func(c transport.Conn) { err = c.Pause() })
	require.NoError(h.t, err)
	h.reset(peer)
	require.ErrorIs(h.t, r.closed(), errConnReset, "a paused connection still notices a reset")
}

// testStop: Stop closes every connection, whatever it is doing (OnClose
// once each, before Stop returns), runs no callback after it returns, and
// the reactors refuse work after it.
func testStop(h *harness) {
	recs, peers := busyConns(h)
	h.stop()
	for i, r := range recs {
		require.Equal(h.t, 1, r.count(evClose), "connection %d: OnClose once, before Stop returned", i)
	}
	for i, p := range peers {
		res := h.recv(readAsync(p))
		require.True(h.t, res.err == nil || isReset(res.err), "connection %d: the peer sees it closed: %v", i, res.err)
	}
	require.Error(h.t, h.rs[0].Execute(func() { h.t.Error("ran after Stop") }), "Execute after Stop")
	local, peer, err := h.pair()
	require.NoError(h.t, err)
	defer peer.Close()
	late := &rec{h: h}
	require.Error(h.t, h.rs[1].Enroll(local, late), "Enroll after Stop")
	require.Zero(h.t, late.count(evOpen), "no OnOpen after Stop")
	res := h.recv(readAsync(peer))
	require.True(h.t, res.err == nil || isReset(res.err), "a connection Enroll refused is closed: %v", res.err)
}

// testStopOnReactor: the OnClose calls Stop makes run on the
// connections' reactors, as every other callback does (transport.go says
// so of every ConnHandler method, and Stop says nothing otherwise).
func testStopOnReactor(h *harness) {
	busyConns(h)
	h.stop()
	h.gidMu.Lock()
	defer h.gidMu.Unlock()
	require.Empty(h.t, h.offStop, "callbacks of Stop off their reactor")
}

// testStopReleases: a connection still delivering its last bytes after
// OnClose (a tail, to a peer that does not read) holds the Loop; Stop
// drops it and releases the hold before it returns.
func testStopReleases(h *harness) {
	r := &rec{}
	r.onEOF = func(c transport.Conn) { c.Write(blocks(payload(16 << 20))) }
	h.closeWrite(h.open(r, 0))
	require.ErrorIs(h.t, r.closed(), io.EOF)
	h.stop()
	h.lh.mu.Lock()
	defer h.lh.mu.Unlock()
	require.Equal(h.t, h.lh.holds, h.lh.releases, "every Hold released when Stop returns")
}

// busyConns opens connections in every state Stop must end, spread over
// both reactors: idle, paused, with bytes unsent, closing, half-open, and
// delivering its last bytes after OnClose (a tail).
func busyConns(h *harness) (recs []*rec, peers []net.Conn) {
	h.t.Helper()
	add := func(r *rec, idx int) net.Conn {
		p := h.open(r, idx)
		peers = append(peers, p)
		recs = append(recs, r)
		return p
	}
	add(&rec{}, 0)
	paused := &rec{}
	add(paused, 1)
	var err error
	paused.do(func(c transport.Conn) { err = c.Pause() })
	require.NoError(h.t, err)
	unsent := &rec{}
	add(unsent, 0)
	unsent.do(func(c transport.Conn) { c.Write(blocks(payload(16 << 20))) })
	closing := &rec{}
	add(closing, 1)
	closing.do(func(c transport.Conn) {
		c.Write(blocks(payload(16 << 20)))
		err = c.Close()
	})
	require.NoError(h.t, err)
	halfOpen := &rec{keepOpen: true}
	h.closeWrite(add(halfOpen, 0))
	halfOpen.waitFor("OnEOF", func(r *rec) bool { return r.count0(evEOF) > 0 })
	tail := &rec{}
	tail.onEOF = func(c transport.Conn) { c.Write(blocks(payload(16 << 20))) }
	h.closeWrite(add(tail, 1))
	require.ErrorIs(h.t, tail.closed(), io.EOF)
	return recs, peers
}

// count0 is count with r.mu held (for waitFor's conditions).
func (r *rec) count0(ev event) int {
	n := 0
	for _, e := range r.events {
		if e == ev {
			n++
		}
	}
	return n
}
