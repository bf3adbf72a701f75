//go:build !windows

package main

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

// shortConfig is a few seconds of the demo: small redis-benchmark runs,
// short pauses around the restarts, the resp program built for the test
// (with the race detector when the test has it).
func shortConfig(t *testing.T, mode string) config {
	cfg := defaultConfig()
	cfg.mode, cfg.clients, cfg.requests, cfg.settle = mode, 10, 1000, 300*time.Millisecond
	cfg.resp = exampletest.BuildPackage(t, "github.com/asyncnet/asyncnet/examples/resp")
	// A program built with -race sleeps a second at exit, to let its
	// reports out; that would add seconds to the test, not checks.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	return cfg
}

// TestHAProxyRollingRestart runs the HAProxy demo: every backend is
// restarted under load, and no request may fail; every backend answers a
// share, and the backends' counters add up to exactly the requests
// redis-benchmark saw answered (none lost, none run twice).
func TestHAProxyRollingRestart(t *testing.T) {
	if _, err := findHAProxy(); err != nil {
		t.Skipf("%v: skipping", err)
	}
	exampletest.Tool(t, "redis-benchmark", "redis-tools")
	out := &exampletest.Lines{}
	res, err := run(context.Background(), shortConfig(t, "haproxy"), out)
	t.Log("\n" + out.String())
	require.NoError(t, err)
	require.Contains(t, out.String(), "not haproxy's: the PROXY v2 header arrived")
	require.Zero(t, res.failed, "failed requests: %v", res.errors)
	require.Positive(t, res.requests)
	var total uint64
	for i, n := range res.share {
		require.Positive(t, n, "backend s%d answered nothing", i+1)
		total += n
	}
	require.Equal(t, res.requests, total)
	require.Equal(t, 3, countLines(out.String(), "restarted s"), "a restart each")
}

// TestReusePortRollingRestart runs the reuseport demo: every process is
// replaced under load and every one answers a share. Connections the
// kernel had queued on a closing listener may be reset (or closed by the
// process's Shutdown before their request arrived): the demo counts them
// and the test logs them; any other failure fails the test.
func TestReusePortRollingRestart(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SO_REUSEPORT spreads connections over the listeners only on Linux: skipping")
	}
	out := &exampletest.Lines{}
	res, err := run(context.Background(), shortConfig(t, "reuseport"), out)
	t.Log("\n" + out.String())
	require.NoError(t, err)
	require.Positive(t, res.requests)
	require.Equal(t, res.resets+res.closed, res.failed, "failures other than resets and early closes: %v", res.errors)
	var total uint64
	for i, n := range res.share {
		require.Positive(t, n, "process p%d answered nothing", i+1)
		total += n
	}
	// A request answered on a connection the client then saw reset would
	// count on the server's side only.
	require.GreaterOrEqual(t, total, res.requests)
	require.LessOrEqual(t, total, res.requests+res.failed)
	require.Equal(t, 3, countLines(out.String(), "replaced p"), "a restart each")
}

func countLines(s, prefix string) int {
	n := 0
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, prefix) {
			n++
		}
	}
	return n
}
