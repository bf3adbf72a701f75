package prom_test

import (
	"io"
	"net"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/metrics/prom"
	"github.com/asyncnet/asyncnet/server"
)

// TestCollector: a registry with the collector passes Prometheus's own
// lint, and the exposition carries the Loop's figures.
func TestCollector(t *testing.T) {
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { l.Exit(); _ = l.Wait() })
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) { _, _ = s.Write(data) })
	require.NoError(t, err)
	c, err := net.Dial("tcp", srv.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("hello"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, 5))
	require.NoError(t, err)

	col := prom.NewCollector(l, prometheus.Labels{"loop": "main"})
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(col))
	problems, err := testutil.CollectAndLint(col)
	require.NoError(t, err)
	require.Empty(t, problems)
	want := `
# HELP asyncnet_accepted_total Connections the servers accepted.
# TYPE asyncnet_accepted_total counter
asyncnet_accepted_total{loop="main"} 1
# HELP asyncnet_read_bytes_total Bytes received.
# TYPE asyncnet_read_bytes_total counter
asyncnet_read_bytes_total{loop="main"} 5
# HELP asyncnet_servers Servers not yet closed.
# TYPE asyncnet_servers gauge
asyncnet_servers{loop="main"} 1
# HELP asyncnet_sockets Open sockets.
# TYPE asyncnet_sockets gauge
asyncnet_sockets{direction="incoming",loop="main"} 1
asyncnet_sockets{direction="outgoing",loop="main"} 0
`
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(want),
		"asyncnet_accepted_total", "asyncnet_read_bytes_total", "asyncnet_servers", "asyncnet_sockets"))
}
