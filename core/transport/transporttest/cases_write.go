package transporttest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core/transport"
)

// testWriteUnsentOnSent: Write takes the blocks; Unsent counts what the
// peer (the kernel) has not taken, shrinks as it takes them, and OnSent
// says so when it learns it after Write returned, down to 0.
func testWriteUnsentOnSent(h *harness) {
	r := &rec{}
	var seen []int // Unsent in each OnSent; on the reactor only
	r.onSent = func(c transport.Conn) { seen = append(seen, c.Unsent()) }
	peer := h.open(r, 0)
	want := payload(8 << 20)
	var after, room int
	r.do(func(c transport.Conn) {
		room = c.Room()
		c.Write(blocks(want))
		after = c.Unsent()
	})
	require.GreaterOrEqual(h.t, room, 0, "Room")
	require.GreaterOrEqual(h.t, after, 0)
	require.LessOrEqual(h.t, after, len(want), "Unsent after Write")
	res := readAsync(peer)
	if after > 0 {
		r.waitFor("OnSent with Unsent 0", func(r *rec) bool { return r.unsent == 0 && slices.Contains(r.events, evSent) })
	}
	h.exec(0, func() {
		for i := 1; i < len(seen); i++ {
			if seen[i] > seen[i-1] {
				h.t.Errorf("Unsent grew between OnSents with no Write: %v", seen)
				break
			}
		}
		if len(seen) > 0 && seen[0] > after {
			h.t.Errorf("Unsent grew from %d after Write to %d at OnSent", after, seen[0])
		}
	})
	r.do(func(c transport.Conn) { _ = c.Close() })
	out := h.recv(res)
	require.NoError(h.t, out.err)
	require.True(h.t, bytes.Equal(want, out.data), "the peer read every byte in order (%d of %d)", len(out.data), len(want))
	require.NoError(h.t, r.closed())
}

// testBackpressure: a peer that does not read holds the bytes back
// (Unsent stays above 0); once it reads, they go, OnSent says so, and the
// peer's progress (Acked, where told) never goes back.
func testBackpressure(h *harness) {
	r, peer := h.conn()
	want := payload(16 << 20)
	var after int
	var acked0 uint64
	var ackedOK bool
	r.do(func(c transport.Conn) {
		c.Write(blocks(want))
		after = c.Unsent()
		acked0, ackedOK = c.Acked()
	})
	require.Greater(h.t, after, 0, "a peer that does not read holds bytes back")
	got := make([]byte, len(want))
	readDone := make(chan error, 1)
	go func() {
		_ = peer.SetReadDeadline(time.Now().Add(timeout))
		_, err := io.ReadFull(peer, got)
		readDone <- err
	}()
	r.waitFor("OnSent with Unsent 0", func(r *rec) bool { return r.unsent == 0 && slices.Contains(r.events, evSent) })
	require.NoError(h.t, <-readDone)
	require.True(h.t, bytes.Equal(want, got), "the peer read every byte in order")
	if ackedOK {
		var acked1 uint64
		r.do(func(c transport.Conn) { acked1, _ = c.Acked() })
		require.GreaterOrEqual(h.t, acked1, acked0, "Acked never goes back")
		require.LessOrEqual(h.t, acked1, uint64(len(want)), "Acked counts no more than was written")
	}
}

// pauseBudget is how much a peer tries to write to a paused connection;
// pauseWindow, how long it tries. Flow control must stop it well before:
// the kernel's buffers and the transport's hold a few MiB at most.
const (
	pauseBudget = 32 << 20
	pauseWindow = 500 * time.Millisecond
)

// testPauseResume: after Pause the peer is held back (it cannot write
// pauseBudget bytes); after Resume every byte it wrote comes, in order,
// then its end of file, which never came during the pause.
func testPauseResume(h *harness) {
	r, peer := h.conn()
	var perr error
	r.do(func(c transport.Conn) { perr = c.Pause() })
	require.NoError(h.t, perr, "Pause")
	want := payload(pauseBudget)
	require.NoError(h.t, peer.SetWriteDeadline(time.Now().Add(pauseWindow)))
	n, err := peer.Write(want)
	require.ErrorIs(h.t, err, os.ErrDeadlineExceeded, "a paused connection holds the peer back")
	require.Less(h.t, n, len(want))
	require.NoError(h.t, peer.SetWriteDeadline(time.Time{}))
	h.closeWrite(peer)
	h.exec(0, func() {}) // what the pause let through has been delivered
	eofs := -1
	r.do(func(c transport.Conn) {
		eofs = r.count(evEOF)
		perr = c.Resume()
	})
	require.NoError(h.t, perr, "Resume")
	require.Zero(h.t, eofs, "no OnEOF while paused")
	require.ErrorIs(h.t, r.closed(), io.EOF)
	events, data := r.snapshot()
	require.True(h.t, bytes.Equal(want[:n], data), "every byte written before the end, in order (%d of %d)", len(data), n)
	require.Equal(h.t, []event{evEOF, evClose}, events[len(events)-2:])
}

// testCloseAfterLargeWrite: Close right after a large Write delivers
// every byte, then end of file, then OnClose(c, nil).
func testCloseAfterLargeWrite(h *harness) {
	r, peer := h.conn()
	want := payload(16 << 20)
	var cerr error
	r.do(func(c transport.Conn) {
		c.Write(blocks(want))
		cerr = c.Close()
	})
	require.NoError(h.t, cerr, "Close")
	res := h.recv(readAsync(peer))
	require.NoError(h.t, res.err, "end of file, not a reset")
	require.True(h.t, bytes.Equal(want, res.data), "every byte in order (%d of %d)", len(res.data), len(want))
	require.NoError(h.t, r.closed())
}

// testClosePaused: closing a paused connection whose peer sent bytes it
// never read still delivers what was written, then end of file: the close
// is a FIN, not a reset.
func testClosePaused(h *harness) {
	r, peer := h.conn()
	var err error
	r.do(func(c transport.Conn) { err = c.Pause() })
	require.NoError(h.t, err, "Pause")
	_, err = peer.Write([]byte("never read"))
	require.NoError(h.t, err)
	want := payload(1 << 20)
	var cerr error
	r.do(func(c transport.Conn) {
		c.Write(blocks(want))
		cerr = c.Close()
	})
	require.NoError(h.t, cerr, "Close")
	res := h.recv(readAsync(peer))
	require.NoError(h.t, res.err, "end of file, not a reset")
	require.True(h.t, bytes.Equal(want, res.data), "every byte in order (%d of %d)", len(res.data), len(want))
	require.NoError(h.t, r.closed())
}

// testAbort: Abort(false) closes at once (OnClose(c, nil) before it
// returns), drops what is unsent, and the peer sees end of file.
func testAbort(h *harness) {
	r, peer := h.conn()
	want := payload(8 << 20)
	closes := -1
	var err error
	r.do(func(c transport.Conn) {
		c.Write(blocks(want))
		err = c.Abort(false)
		closes = r.count(evClose)
	})
	require.NoError(h.t, err, "Abort")
	require.Equal(h.t, 1, closes, "OnClose runs before Abort returns")
	require.NoError(h.t, r.closed())
	res := h.recv(readAsync(peer))
	require.NoError(h.t, res.err, "without reset the peer sees end of file")
	require.True(h.t, bytes.HasPrefix(want, res.data), "the peer read a prefix of what was written")
}

// testAbortReset: Abort(true) resets the connection: the peer's read
// fails with ECONNRESET.
func testAbortReset(h *harness) {
	r, peer := h.conn()
	want := payload(1 << 20)
	closes := -1
	var err error
	r.do(func(c transport.Conn) {
		c.Write(blocks(want))
		err = c.Abort(true)
		closes = r.count(evClose)
	})
	require.NoError(h.t, err, "Abort")
	require.Equal(h.t, 1, closes, "OnClose runs before Abort returns")
	require.NoError(h.t, r.closed())
	res := h.recv(readAsync(peer))
	require.True(h.t, isReset(res.err), "the peer sees a reset: %v", res.err)
	require.True(h.t, errors.Is(res.err, errConnReset), "ECONNRESET: %v", res.err)
	require.True(h.t, bytes.HasPrefix(want, res.data), "the peer read a prefix of what was written")
}

// testWritePaused: writing goes on while reading is paused.
func testWritePaused(h *harness) {
	r, peer := h.conn()
	want := payload(1 << 20)
	var err error
	r.do(func(c transport.Conn) {
		if err = c.Pause(); err == nil {
			c.Write(blocks(want))
			err = c.Close()
		}
	})
	require.NoError(h.t, err)
	res := h.recv(readAsync(peer))
	require.NoError(h.t, res.err)
	require.True(h.t, bytes.Equal(want, res.data), "every byte in order (%d of %d)", len(res.data), len(want))
	require.NoError(h.t, r.closed())
}

// testPauseResumeChurn: pausing after every OnTraffic and resuming right
// after (an Execute'd function) loses, reorders and duplicates nothing,
// and the peer's end of file comes last.
func testPauseResumeChurn(h *harness) {
	r := &rec{}
	var pauses int // on the reactor only
	r.onTraffic = func(c transport.Conn) bool {
		r.consume(c)
		if err := c.Pause(); err != nil {
			h.t.Errorf("Pause: %v", err)
			return true
		}
		pauses++
		if err := h.rs[r.reactor].Execute(func() {
			if err := c.Resume(); err != nil {
				h.t.Errorf("Resume: %v", err)
			}
		}); err != nil {
			h.t.Errorf("Execute: %v", err)
		}
		return true
	}
	peer := h.open(r, 1)
	want := payload(8 << 20)
	go func() {
		if _, err := peer.Write(want); err != nil {
			h.t.Errorf("peer write: %v", err)
		}
		if hc, ok := peer.(halfCloser); ok {
			_ = hc.CloseWrite()
		} else {
			_ = peer.Close()
		}
	}()
	require.ErrorIs(h.t, r.closed(), io.EOF)
	events, data := r.snapshot()
	require.True(h.t, bytes.Equal(want, data), "every byte once, in order (%d of %d)", len(data), len(want))
	require.Equal(h.t, []event{evEOF, evClose}, events[len(events)-2:])
	h.t.Logf("%d pauses", pauses)
}
