package transporttest

import (
	"bytes"
	"io"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core/transport"
)

// testCloseWritePaused: CloseWrite on a paused connection sends FIN after
// what was written; the peer's end, which comes while it is paused, is
// delivered after Resume, after the peer's last bytes.
func testCloseWritePaused(h *harness) {
	r, peer := h.conn()
	var err error
	r.do(func(c transport.Conn) {
		if err = c.Pause(); err == nil {
			c.Write(blocks([]byte("last words")))
			err = c.CloseWrite()
		}
	})
	require.NoError(h.t, err)
	res := h.recv(readAsync(peer))
	require.NoError(h.t, res.err)
	require.Equal(h.t, "last words", string(res.data))
	_, err = peer.Write([]byte("the peer's last words"))
	require.NoError(h.t, err)
	h.closeWrite(peer)
	h.exec(0, func() {})
	r.do(func(c transport.Conn) { err = c.Resume() })
	require.NoError(h.t, err)
	require.True(h.t, errIsEOForNil(r.closed()), "both sides ended")
	_, data := r.snapshot()
	require.Equal(h.t, "the peer's last words", string(data), "what the peer sent while paused came after Resume")
}

// testHalfOpenLargeWrite: a connection kept open after the peer's end
// writes as much as it likes, at the pace the peer reads; then CloseWrite
// ends it.
func testHalfOpenLargeWrite(h *harness) {
	r := &rec{keepOpen: true}
	peer := h.open(r, 1)
	h.closeWrite(peer)
	r.waitFor("OnEOF", func(r *rec) bool { return r.count0(evEOF) > 0 })
	want := payload(16 << 20)
	var after int
	var err error
	r.do(func(c transport.Conn) {
		c.Write(blocks(want))
		after = c.Unsent()
		err = c.CloseWrite()
	})
	require.NoError(h.t, err)
	require.Greater(h.t, after, 0, "a peer that does not read yet holds bytes back")
	res := h.recv(readAsync(peer))
	require.NoError(h.t, res.err)
	require.True(h.t, bytes.Equal(want, res.data), "every byte in order (%d of %d)", len(res.data), len(want))
	require.NoError(h.t, r.closed())
}

// testHalfOpenPeerReset: a connection kept open after the peer's end
// notices the peer's reset.
func testHalfOpenPeerReset(h *harness) {
	r := &rec{keepOpen: true}
	peer := h.open(r, 0)
	h.closeWrite(peer)
	r.waitFor("OnEOF", func(r *rec) bool { return r.count0(evEOF) > 0 })
	h.reset(peer)
	err := r.closed()
	require.True(h.t, isResetErr(err), "a half-open connection still notices a reset (ECONNRESET, or EPIPE as Linux says in CLOSE_WAIT): %v", err)
	require.Equal(h.t, conditions.TCPReset, conditions.KindOf(err))
}

// testPauseWhileSending: a pause while written bytes are on their way
// loses none of them and still reports them sent (OnSent down to 0);
// reading then resumes.
func testPauseWhileSending(h *harness) {
	r, peer := h.conn()
	want := payload(16 << 20)
	var err error
	r.do(func(c transport.Conn) {
		c.Write(blocks(want))
		err = c.Pause()
	})
	require.NoError(h.t, err)
	got := make([]byte, len(want))
	readDone := make(chan error, 1)
	go func() {
		_ = peer.SetReadDeadline(time.Now().Add(timeout))
		_, err := io.ReadFull(peer, got)
		readDone <- err
	}()
	r.waitFor("OnSent with Unsent 0", func(r *rec) bool { return r.unsent == 0 && r.count0(evSent) > 0 })
	require.NoError(h.t, <-readDone)
	require.True(h.t, bytes.Equal(want, got), "every byte in order")
	_, err = peer.Write([]byte("now read this"))
	require.NoError(h.t, err)
	r.do(func(c transport.Conn) { err = c.Resume() })
	require.NoError(h.t, err)
	r.waitFor("the bytes after Resume", func(r *rec) bool { return len(r.data) == len("now read this") })
}

// testAbortPaused: Abort(true) of a paused connection closes it at once
// and resets it.
func testAbortPaused(h *harness) {
	r, peer := h.conn()
	closes := -1
	var err error
	r.do(func(c transport.Conn) {
		if err = c.Pause(); err == nil {
			err = c.Abort(true)
			closes = r.count(evClose)
		}
	})
	require.NoError(h.t, err)
	require.Equal(h.t, 1, closes, "OnClose runs before Abort returns")
	res := h.recv(readAsync(peer))
	require.True(h.t, isReset(res.err), "the peer sees a reset: %v", res.err)
}

// testCloseThenPeerReset: a Close still waiting for its bytes to go ends
// when the peer resets the connection instead of reading them: OnClose
// once, with the reset or nil.
func testCloseThenPeerReset(h *harness) {
	r, peer := h.conn()
	var err error
	r.do(func(c transport.Conn) {
		c.Write(blocks(payload(16 << 20)))
		err = c.Close()
	})
	require.NoError(h.t, err)
	h.reset(peer)
	err = r.closed()
	require.True(h.t, err == nil || isResetErr(err), "OnClose with the reset, or nil: %v", err)
}
