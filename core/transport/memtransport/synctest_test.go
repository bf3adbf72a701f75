//go:build go1.25

package memtransport_test

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/core/transport/memtransport"
	"github.com/asyncnet/asyncnet/internal/buf"
)

// In a synctest bubble a Network and a Transport run on fake time, and
// synctest.Wait says when everything that can happen has: the tests below
// check exact counts, not bounds.

// TestSynctestDeadline: a read deadline fires exactly at its time.
func TestSynctestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := pair(t, memtransport.NewNetwork())
		start := time.Now()
		require.NoError(t, c.SetReadDeadline(start.Add(time.Second)))
		_, err := c.Read(make([]byte, 1))
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
		require.Equal(t, time.Second, time.Since(start))
	})
}

// sentLog is a ConnHandler that records Unsent at each OnSent.
type sentLog struct {
	mu     sync.Mutex
	c      transport.Conn
	sent   []int
	closed error
}

func (h *sentLog) OnOpen(_ int, c transport.Conn) bool {
	h.mu.Lock()
	h.c = c
	h.mu.Unlock()
	return true
}

func (h *sentLog) OnTraffic(c transport.Conn) { _, _ = c.Discard(-1) }

func (h *sentLog) OnSent(c transport.Conn) {
	h.mu.Lock()
	h.sent = append(h.sent, c.Unsent())
	h.mu.Unlock()
}

func (h *sentLog) OnEOF(transport.Conn) bool { return false }

func (h *sentLog) OnClose(_ transport.Conn, err error) {
	h.mu.Lock()
	h.closed = err
	h.mu.Unlock()
}

// on runs fn on r and waits for it.
func on(t *testing.T, r transport.Reactor, fn func()) {
	t.Helper()
	done := make(chan struct{})
	require.NoError(t, r.Execute(func() {
		defer close(done)
		fn()
	}))
	<-done
}

// TestSynctestUnsentAcked: Unsent is what the peer's window has not
// taken, OnSent comes each time the peer's reads let more in, and Acked
// counts exactly what the peer read.
func TestSynctestUnsentAcked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const (
			window = 16 << 10
			total  = 100 << 10
			step   = 40 << 10
		)
		nw := memtransport.NewNetwork(memtransport.WithWindow(window))
		tr := memtransport.New(nw)
		rs, err := tr.Start(transport.Config{Reactors: 1, Logger: slog.Default()}, nopHandler{})
		require.NoError(t, err)
		local, peer := pair(t, nw)
		h := &sentLog{}
		require.NoError(t, rs[0].Enroll(local, h))

		var unsent, room int
		on(t, rs[0], func() {
			var q buf.Queue
			_, _ = q.Write(make([]byte, total))
			h.c.Write(q.Take(nil, q.Len()))
			unsent, room = h.c.Unsent(), h.c.Room()
		})
		require.Equal(t, total-window, unsent, "one window went at once")
		require.Zero(t, room, "the transport holds no more than a window")

		_, err = io.ReadFull(peer, make([]byte, step))
		require.NoError(t, err)
		synctest.Wait()
		var acked uint64
		var ok bool
		on(t, rs[0], func() {
			unsent = h.c.Unsent()
			acked, ok = h.c.Acked()
		})
		require.True(t, ok)
		require.Equal(t, uint64(step), acked, "Acked counts what the peer read")
		require.Equal(t, total-window-step, unsent, "the window refilled as the peer read")
		h.mu.Lock()
		require.NotEmpty(t, h.sent, "OnSent told of it")
		require.Equal(t, total-window-step, h.sent[len(h.sent)-1])
		h.mu.Unlock()

		_, err = io.ReadFull(peer, make([]byte, total-step))
		require.NoError(t, err)
		synctest.Wait()
		h.mu.Lock()
		require.Zero(t, h.sent[len(h.sent)-1], "OnSent down to 0")
		h.mu.Unlock()
		require.NoError(t, tr.Stop())
		require.NoError(t, h.closed)
	})
}
