package main

import (
	"context"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// infoFields parses INFO's reply, as redis-cli prints it, into its fields.
func infoFields(t *testing.T, out string) map[string]string {
	t.Helper()
	fields := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		require.True(t, ok, "line %q of:\n%s", line, out)
		fields[name] = value
	}
	return fields
}

// field returns an INFO field as a number, failing t if it is missing.
func field(t *testing.T, fields map[string]string, name string) uint64 {
	t.Helper()
	v, ok := fields[name]
	require.True(t, ok, "INFO has no %s: %v", name, fields)
	n, err := strconv.ParseUint(v, 10, 64)
	require.NoError(t, err, name)
	return n
}

// TestRedisCLIInfo: INFO stats counts what redis-cli's connections did:
// each redis-cli run is a connection accepted, and closed by redis-cli
// (end of file) once it has its reply; the bytes and commands grow.
func TestRedisCLIInfo(t *testing.T) {
	cli := exampletest.RedisCLI(t, serve(t))
	for range 3 {
		require.Equal(t, "PONG", cli("PING"))
	}
	first := infoFields(t, cli("INFO", "stats"))
	require.NotContains(t, first, "redis_version", "only the stats section was asked for")
	require.Equal(t, uint64(4), field(t, first, "total_connections_received"), "3 PINGs and this INFO")
	// The INFO itself is not counted yet: commands are added once per read.
	require.Equal(t, uint64(3), field(t, first, "total_commands_processed"))
	require.Equal(t, uint64(3), field(t, first, "asyncnet_closed_eof"), "the PINGs' connections, closed by redis-cli")
	require.Zero(t, field(t, first, "asyncnet_closed_reset"))
	require.Positive(t, field(t, first, "total_net_input_bytes"))
	require.Positive(t, field(t, first, "total_net_output_bytes"))

	all := infoFields(t, cli("INFO"))
	require.Equal(t, "7.0.0", all["redis_version"])
	require.Equal(t, uint64(1), field(t, all, "connected_clients"), "the INFO's own connection")
	require.Equal(t, uint64(5), field(t, all, "total_connections_received"))
	require.Greater(t, field(t, all, "total_net_input_bytes"), field(t, first, "total_net_input_bytes"))
	require.Equal(t, "", cli("INFO", "nosuchsection"))
}

// TestRedisCLIClientInfo: CLIENT INFO reports the connection's id, name,
// the client's address (redis-cli's, on loopback) and the server's.
func TestRedisCLIClientInfo(t *testing.T) {
	addr := serve(t)
	cli := exampletest.RedisCLI(t, addr)
	out := cli("CLIENT", "INFO")
	m := regexp.MustCompile(`^id=(\d+) addr=127\.0\.0\.1:(\d+) laddr=(\S+) name= age=0 db=0 cmd=client\|info$`).FindStringSubmatch(out)
	require.NotNil(t, m, "CLIENT INFO said %q", out)
	require.Equal(t, addr, m[3])
	require.NotEqual(t, "0", m[2])
	host, port := exampletest.SplitHostPort(t, addr)
	// redis-cli runs the lines of its input on one connection.
	both := exampletest.Output(t, "CLIENT SETNAME worker-1\nCLIENT INFO\n", exampletest.Tool(t, "redis-cli", "redis-tools"), "-h", host, "-p", port)
	require.Regexp(t, `^OK\nid=\d+ addr=127\.0\.0\.1:\d+ laddr=`+regexp.QuoteMeta(addr)+` name=worker-1 age=0 db=0 cmd=client\|info\n+$`, both)
}

// TestProxyProtocolClientInfo: with -proxy-protocol, CLIENT INFO reports
// the addresses the PROXY header gives (v1 here, v2 from HAProxy in
// examples/cluster), and a connection without a header is refused,
// counted in INFO stats as an accept error.
func TestProxyProtocolClientInfo(t *testing.T) {
	addr := serveWith(t, config{proxyProtocol: true})
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "PROXY TCP4 203.0.113.7 198.51.100.1 40001 6379\r\nCLIENT INFO\r\nINFO stats\r\nQUIT\r\n")
	require.NoError(t, err)
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Contains(t, string(got), " addr=203.0.113.7:40001 laddr=198.51.100.1:6379 ")

	host, port := exampletest.SplitHostPort(t, addr)
	_, err = exampletest.RunTool(exampletest.Tool(t, "redis-cli", "redis-tools"), nil, "-h", host, "-p", port, "PING")
	require.Error(t, err, "redis-cli sends no PROXY header: the server must refuse it")

	c2, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c2.Close()
	_, err = io.WriteString(c2, "PROXY TCP4 203.0.113.8 198.51.100.1 40002 6379\r\nINFO stats\r\nQUIT\r\n")
	require.NoError(t, err)
	got, err = io.ReadAll(c2)
	require.NoError(t, err)
	require.Contains(t, string(got), "\r\nasyncnet_accept_errors:1\r\n", "redis-cli's connection")
	require.Contains(t, string(got), "\r\ntotal_connections_received:2\r\n", "the two with a header")
}

// TestReusePortSpreads: two servers with -reuseport listen on one port,
// and the kernel spreads connections between them; each prints its
// counters when it stops, and together they accepted every connection.
func TestReusePortSpreads(t *testing.T) {
	cfg := config{addr: "127.0.0.1:0", grace: testutil.Timeout, reusePort: true}
	out1, stop1 := exampletest.Run(t, func(ctx context.Context, out io.Writer) error { return run(ctx, cfg, out) })
	cfg.addr = out1.Addr(t, "listening on ")
	out2, stop2 := exampletest.Run(t, func(ctx context.Context, out io.Writer) error { return run(ctx, cfg, out) })
	require.Equal(t, cfg.addr, out2.Addr(t, "listening on "))

	cli := exampletest.RedisCLI(t, cfg.addr)
	const n = 40
	for range n {
		require.Equal(t, "PONG", cli("PING"))
	}
	require.NoError(t, stop1())
	require.NoError(t, stop2())
	accepted := regexp.MustCompile(`stats: accepted=(\d+) `)
	total := 0
	for _, out := range []*exampletest.Lines{out1, out2} {
		m := accepted.FindStringSubmatch(out.Next(t, "stats: "))
		require.NotNil(t, m, out.String())
		k, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		require.Positive(t, k, "a server got no connection of %d", n)
		total += k
	}
	require.Equal(t, n, total)
}
