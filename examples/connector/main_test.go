package main

import (
	"context"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

// testConfig is the connector's configuration in the tests: short
// backoffs and a quick pace, so that nothing waits long.
func testConfig(addr string) config {
	return config{
		pool: PoolConfig{Addr: addr, Size: 4, Timeout: 10 * time.Second, DialTimeout: 5 * time.Second,
			BackoffBase: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond},
		key:   "test:counter",
		every: 10 * time.Millisecond,
		grace: 10 * time.Second,
	}
}

// startConnector runs the connector in this process with cfg until stop
// is called, which returns run's error.
func startConnector(t *testing.T, cfg config) (out *exampletest.Lines, stop func() error) {
	t.Helper()
	return exampletest.Run(t, func(ctx context.Context, out io.Writer) error { return run(ctx, cfg, out) })
}

// TestReconnects: the connector's requests succeed; when the backend dies
// they fail, at once, while the connections try again; when it is back on
// the same port, they succeed again, with no restart of the connector;
// then it shuts down cleanly.
func TestReconnects(t *testing.T) {
	b := newBackend(t)
	out, stop := startConnector(t, testConfig(b.Addr()))
	for range 3 {
		out.Next(t, ": ok: test:counter = ")
	}
	b.Kill(t)
	out.Mark()
	out.Next(t, "connection refused; next attempt in") // it tries again, and fails
	out.Next(t, "failed: connector: no connection to the backend is up")
	b.Restart(t)
	out.Mark()
	out.Next(t, "connected to "+b.Addr())
	out.Next(t, ": ok: test:counter = ")
	require.NoError(t, stop())
	require.Contains(t, out.String(), "connector: done")
}

// TestRequestDeadline: a backend that takes commands and never answers
// makes each request fail at its deadline, with a clear error, and its
// connection replaced.
func TestRequestDeadline(t *testing.T) {
	b := startRESPServer(t, true)
	cfg := testConfig(b.Addr())
	cfg.pool.Timeout = 50 * time.Millisecond
	cfg.every = 20 * time.Millisecond
	out, stop := startConnector(t, cfg)
	out.Next(t, "failed: connector: no reply within the request deadline (50ms, conn ")
	out.Next(t, "a request timed out: replacing the connection; next attempt in")
	out.Next(t, "connected to "+b.Addr()) // the replacement
	require.NoError(t, stop())
}

// TestBackendErrors: an error reply is the request's error.
func TestBackendErrors(t *testing.T) {
	b := startRESPServer(t, false)
	closeAll, p := newTestPool(t, b.Addr())
	defer closeAll()
	_, err := p.Do(context.Background(), "SET", "k", "not a number")
	require.ErrorAs(t, err, new(BackendError))
	require.ErrorContains(t, err, "backend: ERR this stand-in keeps integers only")
	reply, err := p.Do(context.Background(), "GET", "missing")
	require.NoError(t, err)
	require.True(t, reply.Null)
}

// TestSIGTERM runs the connector as a program: on SIGTERM it finishes and
// exits 0.
func TestSIGTERM(t *testing.T) {
	b := newBackend(t)
	p := exampletest.Start(t, exampletest.Build(t), "-addr", b.Addr(), "-every", "10ms",
		"-backoff-base", "10ms", "-backoff-max", "100ms", "-grace", "1m")
	for range 3 {
		p.Out.Next(t, ": ok: asyncnet:connector = ")
	}
	p.Signal(t, syscall.SIGTERM)
	code, _ := p.Wait(t)
	require.Zero(t, code, p.Out.String())
	require.Contains(t, p.Out.String(), "connector: done")
}

// TestFailedRequestsExitNonZero: with -n, a connector that cannot reach
// its backend exits 1, saying how many requests failed.
func TestFailedRequestsExitNonZero(t *testing.T) {
	p := exampletest.Start(t, exampletest.Build(t), "-addr", testutil.FreePort(t), "-n", "3", "-every", "10ms")
	code, _ := p.Wait(t)
	require.Equal(t, 1, code, p.Out.String())
	require.Contains(t, p.Out.String(), "3 of 3 requests failed")
}
