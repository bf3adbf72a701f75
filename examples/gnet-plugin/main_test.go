package main

import (
	"context"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

func TestDemo(t *testing.T) {
	var out testutil.LockedBuffer
	cfg := config{app: testutil.FreePort(t), proxy: testutil.FreePort(t), timeout: 200 * time.Millisecond, grace: time.Minute}
	require.NoError(t, run(context.Background(), cfg, &out))
	got := out.String()
	for _, want := range []string{
		`client: the app says "welcome to the gnet app\n"`,
		`client: the app echoes "hello gnet\n"`,
		`client: through the proxy, after ending its side: "backend: HELLO BACKEND\n"`,
		"proxy: backend connection: ",
		"client: the proxy closed the connection after",
		"every proxied connection finished",
	} {
		require.Contains(t, got, want)
	}
	require.Contains(t, got[strings.Index(got, "proxy: backend connection: "):], "no data for 200ms", "the read timeout closed it")
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

// TestSIGTERMLetsTransfersFinish runs the application as a program, its
// proxy in front of an echo server, with clients midway through a few MiB
// each: after SIGTERM every client gets its whole echo back, and the
// program exits 0 well within its grace period.
func TestSIGTERMLetsTransfersFinish(t *testing.T) {
	grace := testutil.Scale(time.Minute) // the bound on how long it runs
	proxyAddr := testutil.FreePort(t)
	p := exampletest.Start(t, exampletest.Build(t), "-app", testutil.FreePort(t), "-proxy", proxyAddr,
		"-backend", exampletest.EchoBackend(t), "-timeout", "1m", "-grace", grace.String())
	p.Out.Next(t, "still serving")
	clients := exampletest.StartEchoClients(t, 4, 4<<20, exampletest.DialTCP(proxyAddr))
	clients.WaitMidway(t)
	p.Signal(t, syscall.SIGTERM)
	p.Out.Next(t, "shutting down (proxied connections: 4)")
	clients.Release() // the rest is sent while the proxy shuts down
	clients.RequireIntact(t)
	code, ran := p.Wait(t)
	require.Zero(t, code, p.Out.String())
	require.Less(t, ran, grace)
	require.Contains(t, p.Out.String(), "every proxied connection finished")
}

// TestPortTaken: the program exits with status 1, saying why, when the
// application's address is taken.
func TestPortTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	p := exampletest.Start(t, exampletest.Build(t), "-app", ln.Addr().String(), "-proxy", testutil.FreePort(t), "-serve=false")
	code, _ := p.Wait(t)
	require.Equal(t, 1, code, p.Out.String())
	require.Contains(t, p.Out.String(), "address already in use")
}

// startProxy runs the application in this process, its proxy in front of
// backend, until the test ends, and returns the proxy's address.
func startProxy(t *testing.T, backend string) string {
	t.Helper()
	cfg := config{app: testutil.FreePort(t), proxy: testutil.FreePort(t), backend: backend,
		timeout: time.Minute, serve: true, grace: 10 * time.Second}
	out := exampletest.Serve(t, func(ctx context.Context, out io.Writer) error { return run(ctx, cfg, out) })
	out.Next(t, "still serving")
	return cfg.proxy
}
