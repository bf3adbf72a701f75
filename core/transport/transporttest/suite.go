package transporttest

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/internal/buf"
)

// Setup is what a Factory gives the suite for one case.
type Setup struct {
	// Transport is a new transport, not started.
	Transport transport.Transport
	// Pair returns a new connection: local, for the suite to Enroll, and
	// peer, its other end, which the suite reads and writes as a blocking
	// net.Conn. The half-close and reset cases need a peer with
	// CloseWrite and SetLinger methods, as *net.TCPConn has; they are
	// skipped without.
	Pair func() (local, peer net.Conn, err error)
	// Skip names cases to skip (by the name Run gives them) with the
	// reason, for a transport known to fail them.
	Skip map[string]string
}

// Factory returns a new Setup for each case; t is the case's test, for
// cleanups (the suite stops the transport itself).
type Factory func(t *testing.T) Setup

// reactors is how many reactors the suite starts: enough to tell them
// apart.
const reactors = 2

// tickInterval is what the suite's Handler asks of OnTick.
const tickInterval = 5 * time.Millisecond

// harness is one case's running transport.
type harness struct {
	t    *testing.T
	tr   transport.Transport
	rs   []transport.Reactor
	lh   *loopHandler
	pair func() (net.Conn, net.Conn, error)

	gidMu    sync.Mutex
	gids     []int64 // the goroutine of each reactor
	recs     []*rec
	stopping bool     // Stop was called
	stopped  bool     // Stop returned
	offStop  []string // callbacks Stop ran on a goroutine not their reactor's
}

// Run runs the conformance suite against the transports f makes: each
// case starts a transport with two reactors and a recording Handler,
// enrolls connections with recording ConnHandlers, drives them through
// the SPI from Execute'd functions and their peers as net.Conns, and
// stops the transport. Every case also checks the rules that hold
// throughout: a connection's callbacks run on the goroutine of the
// reactor it was enrolled on (so one at a time; during Stop, see
// StopOnReactor), none after OnClose,
// OnClose once, nothing after Stop returns.
//
// Where transport.go leaves a choice, the suite accepts either answer:
// OnClose after both sides ended by a CloseWrite, then the peer's end,
// gets nil or io.EOF; the OnClose calls Stop makes may run on Stop's
// goroutine once the reactors have stopped (the case StopOnReactor holds
// the stricter reading, that every callback runs on its reactor).
func Run(t *testing.T, f Factory) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := f(t)
			if why, ok := s.Skip[c.name]; ok {
				t.Skip(why)
			}
			c.run(start(t, s))
		})
	}
}

// testCase is one case of the suite.
type testCase struct {
	name string
	run  func(h *harness)
}

// cases lists every case, in the order Run runs them.
var cases = []testCase{
	{name: "Open", run: testOpen},
	{name: "OpenRefused", run: testOpenRefused},
	{name: "EnrollConcurrent", run: testEnrollConcurrent},
	{name: "Tick", run: testTick},
	{name: "ExecuteOrder", run: testExecuteOrder},
	{name: "Traffic", run: testTraffic},
	{name: "PeekDiscardWriteTo", run: testPeekDiscardWriteTo},
	{name: "WriteUnsentOnSent", run: testWriteUnsentOnSent},
	{name: "Backpressure", run: testBackpressure},
	{name: "PauseResume", run: testPauseResume},
	{name: "PauseResumeChurn", run: testPauseResumeChurn},
	{name: "WritePaused", run: testWritePaused},
	{name: "PauseWhileSending", run: testPauseWhileSending},
	{name: "CloseWriteFirst", run: testCloseWriteFirst},
	{name: "PeerCloseWriteFirst", run: testPeerCloseWriteFirst},
	{name: "CloseWritePaused", run: testCloseWritePaused},
	{name: "HalfOpenLargeWrite", run: testHalfOpenLargeWrite},
	{name: "HalfOpenPeerReset", run: testHalfOpenPeerReset},
	{name: "EOFClose", run: testEOFClose},
	{name: "CloseAfterLargeWrite", run: testCloseAfterLargeWrite},
	{name: "ClosePaused", run: testClosePaused},
	{name: "Abort", run: testAbort},
	{name: "AbortReset", run: testAbortReset},
	{name: "AbortPaused", run: testAbortPaused},
	{name: "CloseThenPeerReset", run: testCloseThenPeerReset},
	{name: "PeerReset", run: testPeerReset},
	{name: "PeerResetPaused", run: testPeerResetPaused},
	{name: "Stop", run: testStop},
	{name: "StopOnReactor", run: testStopOnReactor},
	{name: "StopReleases", run: testStopReleases},
}

// start starts s's transport and stops it when the case ends.
func start(t *testing.T, s Setup) *harness {
	t.Helper()
	require.NotNil(t, s.Transport, "Setup.Transport")
	require.NotNil(t, s.Pair, "Setup.Pair")
	h := &harness{t: t, tr: s.Transport, pair: s.Pair}
	h.lh = &loopHandler{t: t, interval: tickInterval, h: h, tickGIDs: make(map[int64]bool)}
	rs, err := s.Transport.Start(transport.Config{Reactors: reactors, Logger: slog.Default()}, h.lh)
	require.NoError(t, err, "Start")
	require.Len(t, rs, reactors, "Start returns one Reactor per Config.Reactors")
	h.rs = rs
	h.gids = make([]int64, len(rs))
	t.Cleanup(h.stop)
	return h
}

// stop stops the transport (once) and checks that every connection got
// OnClose once.
func (h *harness) stop() {
	h.gidMu.Lock()
	if h.stopping {
		h.gidMu.Unlock()
		return
	}
	h.stopping = true
	recs := h.recs
	h.gidMu.Unlock()
	require.NoError(h.t, h.tr.Stop(), "Stop")
	h.gidMu.Lock()
	h.stopped = true
	h.gidMu.Unlock()
	for _, r := range recs {
		r.mu.Lock()
		r.frozen = true
		opened := len(r.events) > 0 && !r.refuse
		if opened && r.closes != 1 {
			h.t.Errorf("after Stop: OnClose ran %d times (events %v)", r.closes, compact(r.events))
		}
		r.mu.Unlock()
	}
}

// onReactor checks that the caller runs on reactor idx's goroutine (the
// first call on a reactor learns it).
func (h *harness) onReactor(idx int, what string) {
	if idx < 0 || idx >= len(h.gids) {
		h.t.Errorf("%s: reactor index %d out of range", what, idx)
		return
	}
	id := gid()
	h.gidMu.Lock()
	defer h.gidMu.Unlock()
	switch h.gids[idx] {
	case 0:
		for j, other := range h.gids {
			if other == id {
				h.t.Errorf("%s: reactors %d and %d share goroutine %d", what, idx, j, id)
			}
		}
		h.gids[idx] = id
	case id:
	default:
		msg := fmt.Sprintf("%s: ran on goroutine %d, reactor %d is goroutine %d", what, id, idx, h.gids[idx])
		if h.stopping && !h.stopped {
			h.offStop = append(h.offStop, msg) // only StopOnReactor insists
			return
		}
		h.t.Error(msg)
	}
}

// exec runs fn on reactor idx and waits for it.
func (h *harness) exec(idx int, fn func()) {
	h.t.Helper()
	done := make(chan struct{})
	require.NoError(h.t, h.rs[idx].Execute(func() {
		defer close(done)
		h.onReactor(idx, "Execute")
		fn()
	}), "Execute")
	select {
	case <-done:
	case <-time.After(timeout):
		h.t.Fatalf("an Execute'd function did not run within %v", timeout)
	}
}

// open enrolls a new connection with r on reactor idx and returns the
// peer. Enroll must return after OnOpen.
func (h *harness) open(r *rec, idx int) net.Conn {
	h.t.Helper()
	local, peer, err := h.pair()
	require.NoError(h.t, err, "Setup.Pair")
	h.t.Cleanup(func() { _ = peer.Close() })
	r.h, r.reactor = h, idx
	h.gidMu.Lock()
	h.recs = append(h.recs, r)
	h.gidMu.Unlock()
	require.NoError(h.t, h.rs[idx].Enroll(local, r), "Enroll")
	require.Equal(h.t, 1, r.count(evOpen), "Enroll returns after OnOpen")
	return peer
}

// conn enrolls a connection with a default recorder on reactor 0.
func (h *harness) conn() (*rec, net.Conn) {
	h.t.Helper()
	r := &rec{}
	return r, h.open(r, 0)
}

// payload returns n pseudo-random bytes (the same for the same n).
func payload(n int) []byte {
	p := make([]byte, n)
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	for i := 0; i+8 <= n; i += 8 {
		v := rng.Uint64()
		for k := range 8 {
			p[i+k] = byte(v >> (8 * k))
		}
	}
	return p
}

// blocks copies p into pool blocks, for Conn.Write.
func blocks(p []byte) []*buf.Block {
	var q buf.Queue
	_, _ = q.Write(p)
	return q.Take(nil, q.Len())
}

// readAll reads the peer until end of file or an error, within timeout;
// it returns what it read and the error (nil at end of file).
func readAll(peer net.Conn) ([]byte, error) {
	_ = peer.SetReadDeadline(time.Now().Add(timeout))
	defer func() { _ = peer.SetReadDeadline(time.Time{}) }()
	return io.ReadAll(peer)
}

// readAsync reads the peer until end of file on a goroutine of its own.
func readAsync(peer net.Conn) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		data, err := readAll(peer)
		ch <- readResult{data, err}
	}()
	return ch
}

type readResult struct {
	data []byte
	err  error
}

// recv waits for a read result.
func (h *harness) recv(ch <-chan readResult) readResult {
	h.t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(timeout + time.Second):
		h.t.Fatal("the peer's read did not end")
		return readResult{}
	}
}

// halfCloser is a peer that can end its writing side.
type halfCloser interface{ CloseWrite() error }

// resetter is a peer that can reset the connection on Close.
type resetter interface{ SetLinger(sec int) error }

// closeWrite ends the peer's writing side, or skips the case.
func (h *harness) closeWrite(peer net.Conn) {
	h.t.Helper()
	hc, ok := peer.(halfCloser)
	if !ok {
		h.t.Skipf("the peer (%T) cannot half-close", peer)
	}
	require.NoError(h.t, hc.CloseWrite(), "peer CloseWrite")
}

// reset closes the peer with a reset, or skips the case.
func (h *harness) reset(peer net.Conn) {
	h.t.Helper()
	rs, ok := peer.(resetter)
	if !ok {
		h.t.Skipf("the peer (%T) cannot reset", peer)
	}
	require.NoError(h.t, rs.SetLinger(0))
	require.NoError(h.t, peer.Close())
}

// isReset reports whether err is a reset seen by the peer: a
// *net.OpError matching ECONNRESET or EPIPE.
func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && isResetErr(err)
}

// isResetErr reports whether err matches ECONNRESET or EPIPE.
func isResetErr(err error) bool { return errors.Is(err, errConnReset) || errors.Is(err, errPipe) }
