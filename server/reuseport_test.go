//go:build !windows

package server_test

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// TestReusePort: two servers with WithReusePort share one port and the
// kernel spreads connections between them; nc, connecting many times,
// gets answers from both. Without it the second bind fails.
func TestReusePort(t *testing.T) {
	testutil.GnetOnly(t, "SO_REUSEPORT is the listening socket's, which package server makes "+
		"whatever the transport: another run checks nothing new")
	nc := testutil.Netcat(t)
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { l.Exit(); _ = l.Wait() })
	named := func(name string) core.ReadFunc {
		return func(s *core.Socket, data []byte) {
			_, _ = s.Write([]byte(name + ":" + string(data)))
			_ = s.Close()
		}
	}
	a, err := server.TCPServer(l, "127.0.0.1:0", named("a"), server.WithReusePort())
	require.NoError(t, err)
	addr := a.Addr().String()
	_, err = server.TCPServer(l, addr, named("x"))
	require.ErrorIs(t, err, conditions.TCPServerBindError, "without WithReusePort on both")
	require.ErrorIs(t, err, syscall.EADDRINUSE)
	b, err := server.TCPServer(l, addr, named("b"), server.WithReusePort())
	require.NoError(t, err)
	require.Equal(t, addr, b.Addr().String())

	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	seen := map[string]int{}
	for i := 0; i < 64 && (seen["a"] == 0 || seen["b"] == 0); i++ {
		out, err := testutil.RunTool(nc, []byte("ping"), "-N", host, port)
		require.NoError(t, err)
		name, rest, ok := strings.Cut(string(out), ":")
		require.True(t, ok && rest == "ping", "nc got %q", out)
		seen[name]++
	}
	t.Logf("connections per server: %v", seen)
	require.NotZero(t, seen["a"], "the kernel sent every connection to b")
	require.NotZero(t, seen["b"], "the kernel sent every connection to a")
	require.NoError(t, errors.Join(a.Close(), b.Close()))
}
