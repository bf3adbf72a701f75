package main

import (
	"context"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

// TestProxyKeepsMemoryFlat moves 24 MiB from a fast source to a 12 MB/s
// sink: everything arrives, and the proxy never holds much more than one
// high watermark of it.
func TestProxyKeepsMemoryFlat(t *testing.T) {
	rep, err := runDemoEvery(24<<20, 12<<20, 20*time.Millisecond, io.Discard)
	require.NoError(t, err)
	require.True(t, rep.Intact, "moved %d bytes", rep.Moved)
	require.Positive(t, rep.Pauses, "the slow side congested and the fast side was paused")
	require.Less(t, rep.MaxBuffered, int64(2*core.DefaultWriteHighWatermark+core.MaxReadChunk))
}

// TestHalfClose drives the proxy with nc, socat and a Go client, each
// ending its side of the stream before or after the backend does: every
// byte arrives both ways, and the connection ends on both sides.
func TestHalfClose(t *testing.T) {
	b := exampletest.NewBackend(t)
	exampletest.HalfClose(t, startProxy(t, b.Addr()), b)
}

// TestResets: a reset on either side of the proxy resets the other.
func TestResets(t *testing.T) {
	b := exampletest.NewBackend(t)
	exampletest.Resets(t, startProxy(t, b.Addr()), b)
}

// TestSIGTERMLetsTransfersFinish runs the proxy as a program in front of
// an echo server, with clients midway through a few MiB each: after
// SIGTERM, every client gets its whole echo back, and the proxy exits 0
// well within its grace period.
func TestSIGTERMLetsTransfersFinish(t *testing.T) {
	grace := testutil.Scale(time.Minute) // the bound on how long it runs
	p := exampletest.Start(t, exampletest.Build(t), "-listen", "127.0.0.1:0",
		"-backend", exampletest.EchoBackend(t), "-grace", grace.String())
	addr := p.Out.Addr(t, "listening on ")
	clients := exampletest.StartEchoClients(t, 4, 4<<20, exampletest.DialTCP(addr))
	clients.WaitMidway(t)
	p.Signal(t, syscall.SIGTERM)
	p.Out.Next(t, "shutting down")
	clients.Release() // the rest is sent while the proxy shuts down
	clients.RequireIntact(t)
	code, ran := p.Wait(t)
	require.Zero(t, code, p.Out.String())
	require.Less(t, ran, grace)
	require.Contains(t, p.Out.String(), "every connection finished")
}

// TestPortTaken: the proxy exits with status 1, saying why, when its
// address is taken.
func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	p := exampletest.Start(t, exampletest.Build(t), "-listen", ln.Addr().String(), "-backend", "127.0.0.1:1")
	code, _ := p.Wait(t)
	require.Equal(t, 1, code, p.Out.String())
	require.Contains(t, p.Out.String(), "address already in use")
}

// startProxy runs the proxy in this process, in front of backend, until
// the test ends, and returns its address.
func startProxy(t *testing.T, backend string) string {
	t.Helper()
	out := exampletest.Serve(t, func(ctx context.Context, out io.Writer) error {
		return run(ctx, config{listen: "127.0.0.1:0", backend: backend, grace: 10 * time.Second}, out)
	})
	return out.Addr(t, "listening on ")
}
