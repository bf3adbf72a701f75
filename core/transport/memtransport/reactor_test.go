package memtransport_test

import (
	"log/slog"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/core/transport/memtransport"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// nopHandler is a transport.Handler that ticks every millisecond and
// counts nothing.
type nopHandler struct{}

func (nopHandler) OnTick() time.Duration            { return time.Millisecond }
func (nopHandler) AddReactor(transport.Reactor) int { return -1 }
func (nopHandler) OnStop()                          {}
func (nopHandler) Hold()                            {}
func (nopHandler) Release()                         {}

// started starts a memtransport over nw with n reactors, stopped when the
// test ends.
func started(t *testing.T, nw *memtransport.Network, n int) (transport.Transport, []transport.Reactor) {
	t.Helper()
	tr := memtransport.New(nw)
	rs, err := tr.Start(transport.Config{Reactors: n, Logger: slog.Default()}, nopHandler{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tr.Stop()) })
	return tr, rs
}

func TestStartArguments(t *testing.T) {
	cfg := transport.Config{Reactors: 1, Logger: slog.Default()}
	_, err := memtransport.New(nil).Start(transport.Config{Logger: slog.Default()}, nopHandler{})
	require.ErrorContains(t, err, "Reactors")
	_, err = memtransport.New(nil).Start(cfg, nil)
	require.ErrorContains(t, err, "Handler")

	tr, _ := started(t, nil, 1)
	_, err = tr.Start(cfg, nopHandler{})
	require.Error(t, err, "Start runs once")

	stopped := memtransport.New(nil)
	require.NoError(t, stopped.Stop(), "Stop before Start")
	_, err = stopped.Start(cfg, nopHandler{})
	require.ErrorIs(t, err, memtransport.ErrStopped)
}

func TestStopTwice(t *testing.T) {
	tr, rs := started(t, nil, 2)
	require.NoError(t, tr.Stop())
	require.NoError(t, tr.Stop())
	require.ErrorIs(t, rs[1].Execute(func() {}), memtransport.ErrStopped)
}

// TestGoexitInTask: a function that ends its reactor goroutine
// (runtime.Goexit, as t.FailNow does) does not end the reactor: what is
// queued after it runs, and Stop returns.
func TestGoexitInTask(t *testing.T) {
	_, rs := started(t, nil, 1)
	ran := make(chan bool, 1)
	require.NoError(t, rs[0].Execute(runtime.Goexit))
	require.NoError(t, rs[0].Execute(func() { ran <- true }))
	require.True(t, testutil.Recv(t, ran, "the function after Goexit"))
}

func TestEnrollRefused(t *testing.T) {
	nw := memtransport.NewNetwork()
	_, rs := started(t, nw, 1)
	c, s := pair(t, nw)
	require.NoError(t, s.Close())
	require.Error(t, rs[0].Enroll(s, nil), "nil ConnHandler")
	require.Error(t, rs[0].Enroll(s, &refuser{}), "a closed Conn")
	require.NoError(t, rs[0].Enroll(c, &refuser{accept: true}))
	require.Error(t, rs[0].Enroll(c, &refuser{}), "a Conn enrolled already")
	require.Error(t, rs[0].Execute(nil), "nil func")
}

// refuser is a ConnHandler whose OnOpen says no, unless accept.
type refuser struct{ accept bool }

func (r *refuser) OnOpen(int, transport.Conn) bool { return r.accept }
func (*refuser) OnTraffic(transport.Conn)          {}
func (*refuser) OnSent(transport.Conn)             {}
func (*refuser) OnEOF(transport.Conn) bool         { return false }
func (*refuser) OnClose(transport.Conn, error)     {}
