package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

// serve runs the server in the test's process, as main does, on a free
// port, and returns its address. When the test ends it stops the server
// as SIGTERM does, and checks that it stopped cleanly.
func serve(t *testing.T) string {
	t.Helper()
	return serveWith(t, config{})
}

// serveWith is serve with cfg (its address and grace are the test's).
func serveWith(t *testing.T, cfg config) string {
	t.Helper()
	cfg.addr, cfg.grace = "127.0.0.1:0", testutil.Timeout
	out := exampletest.Serve(t, func(ctx context.Context, out io.Writer) error { return run(ctx, cfg, out) })
	return out.Addr(t, "listening on ")
}

// TestRedisCLI runs redis-cli commands one after another and checks each
// reply, as redis-cli prints it when its output is not a terminal.
func TestRedisCLI(t *testing.T) {
	cli := exampletest.RedisCLI(t, serve(t))
	steps := []struct {
		args []string
		want string
	}{
		{args: []string{"PING"}, want: "PONG"},
		{args: []string{"PING", "hello world"}, want: "hello world"},
		{args: []string{"ECHO", "two\nlines"}, want: "two\nlines"},
		{args: []string{"SET", "greeting", "hello"}, want: "OK"},
		{args: []string{"GET", "greeting"}, want: "hello"},
		{args: []string{"GET", "missing"}, want: ""},
		{args: []string{"INCR", "counter"}, want: "1"},
		{args: []string{"INCR", "counter"}, want: "2"},
		{args: []string{"GET", "counter"}, want: "2"},
		{args: []string{"INCR", "greeting"}, want: "ERR value is not an integer or out of range"},
		{args: []string{"SET", "big", "9223372036854775807"}, want: "OK"},
		{args: []string{"INCR", "big"}, want: "ERR increment or decrement would overflow"},
		{args: []string{"DEL", "greeting", "counter", "missing"}, want: "2"},
		{args: []string{"GET", "greeting"}, want: ""},
		{args: []string{"SET", "session", "x", "EX", "100"}, want: "OK"},
		{args: []string{"TTL", "session"}, want: "100"},
		{args: []string{"TTL", "big"}, want: "-1"},
		{args: []string{"TTL", "missing"}, want: "-2"},
		{args: []string{"DBSIZE"}, want: "2"},
		{args: []string{"NOPE", "x", "y"}, want: "ERR unknown command 'NOPE', with args beginning with: 'x' 'y' "},
		{args: []string{"GET"}, want: "ERR wrong number of arguments for 'get' command"},
		{args: []string{"QUIT"}, want: "OK"},
	}
	for _, step := range steps {
		require.Equal(t, step.want, cli(step.args...), "redis-cli %q", step.args)
	}
}

// TestRedisCLIExpire: a key given a second to live disappears by itself,
// without being read: DBSIZE counts keys without reading them (as redis
// does), so it falls to 0 only when the Loop's timer has deleted the key.
// The test polls redis-cli, within a deadline.
func TestRedisCLIExpire(t *testing.T) {
	cli := exampletest.RedisCLI(t, serve(t))
	require.Equal(t, "OK", cli("SET", "k", "v"))
	require.Equal(t, "OK", cli("SET", "gone", "v", "PX", "100"))
	start := time.Now()
	require.Equal(t, "1", cli("EXPIRE", "k", "1"))
	require.Equal(t, "1", cli("TTL", "k"))
	deadline := start.Add(testutil.Scale(5 * time.Second))
	for cli("DBSIZE") != "0" {
		require.True(t, time.Now().Before(deadline), "the keys are still there after %v: %s", time.Since(start), cli("TTL", "k"))
		time.Sleep(20 * time.Millisecond) // the pace of the polling
	}
	require.GreaterOrEqual(t, time.Since(start), 990*time.Millisecond, "the key expired early")
	require.Equal(t, "", cli("GET", "k"))
	require.Equal(t, "-2", cli("TTL", "k"))
}

// TestRedisCLIPipe: redis-cli --pipe (redis' mass insertion) sends 20,000
// requests, inline and arrays mixed, as fast as it can, and reads the
// replies as they come; then every key is checked.
func TestRedisCLIPipe(t *testing.T) {
	addr := serve(t)
	cli := exampletest.RedisCLI(t, addr)
	const n = 10000
	var in strings.Builder
	for i := range n {
		key, value := "key:"+strconv.Itoa(i), strconv.Itoa(i*7)
		if i%2 == 0 {
			fmt.Fprintf(&in, "SET %s %s\r\n", key, value)
		} else {
			fmt.Fprintf(&in, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(key), key, len(value), value)
		}
		in.WriteString("INCR counter\r\n")
	}
	host, port := exampletest.SplitHostPort(t, addr)
	out := exampletest.Output(t, in.String(), exampletest.Tool(t, "redis-cli", "redis-tools"), "-h", host, "-p", port, "--pipe")
	require.Contains(t, out, fmt.Sprintf("errors: 0, replies: %d", 2*n), out)
	require.Equal(t, strconv.Itoa(n), cli("GET", "counter"))
	require.Equal(t, strconv.Itoa(n+1), cli("DBSIZE"))
	for _, i := range []int{0, 1, 4999, n - 1} {
		require.Equal(t, strconv.Itoa(i*7), cli("GET", "key:"+strconv.Itoa(i)))
	}
}

// TestRedisCLIStdin: redis-cli runs the commands it reads on its standard
// input, one a line, and prints every reply, which the test checks.
func TestRedisCLIStdin(t *testing.T) {
	addr := serve(t)
	host, port := exampletest.SplitHostPort(t, addr)
	var in, want strings.Builder
	for i := range 500 {
		fmt.Fprintf(&in, "INCR n\nECHO \"word %d\"\nSET k%d %d\nGET k%d\n", i, i, i, i)
		fmt.Fprintf(&want, "%d\nword %d\nOK\n%d\n", i+1, i, i)
	}
	out := exampletest.Output(t, in.String(), exampletest.Tool(t, "redis-cli", "redis-tools"), "-h", host, "-p", port)
	require.Equal(t, want.String(), out)
}

// TestRedisBenchmark runs redis-benchmark's PING, SET, GET and INCR tests,
// without and with pipelining (-P 16): each must report its requests per
// second, and nothing else (no error, no warning that the server's
// configuration could not be read). Then the counter INCR incremented
// must hold exactly the number of INCRs sent.
func TestRedisBenchmark(t *testing.T) {
	addr := serve(t)
	bench := exampletest.Tool(t, "redis-benchmark", "redis-tools")
	host, port := exampletest.SplitHostPort(t, addr)
	const n = 20000
	result := regexp.MustCompile(`^([A-Z_]+): ([0-9.]+) requests per second`)
	for _, pipeline := range []string{"1", "16"} {
		out := exampletest.Output(t, "", bench, "-h", host, "-p", port, "-t", "ping,set,get,incr", "-n", strconv.Itoa(n), "-P", pipeline, "-q")
		rps := map[string]float64{}
		for _, line := range strings.FieldsFunc(out, func(r rune) bool { return r == '\r' || r == '\n' }) {
			line = strings.TrimSpace(line)
			if strings.Contains(line, "rps=") || line == "" {
				continue // progress, overwritten on a terminal
			}
			m := result.FindStringSubmatch(line)
			require.NotNil(t, m, "-P %s: unexpected line %q in:\n%s", pipeline, line, out)
			v, err := strconv.ParseFloat(m[2], 64)
			require.NoError(t, err)
			rps[m[1]] = v
		}
		t.Logf("redis-benchmark -P %s: %v", pipeline, rps)
		for _, test := range []string{"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR"} {
			require.Greater(t, rps[test], 0.0, "-P %s: %s missing or 0 in:\n%s", pipeline, test, out)
		}
	}
	cli := exampletest.RedisCLI(t, addr)
	require.Equal(t, strconv.Itoa(2*n), cli("GET", "counter:__rand_int__"))
	require.Len(t, cli("GET", "key:__rand_int__"), 3, "SET's value: 3 random bytes")
}

// TestPipelineByteByByte sends the pipeline over TCP a byte per write and
// checks the exact bytes of the replies.
func TestPipelineByteByByte(t *testing.T) {
	c, err := net.Dial("tcp", serve(t))
	require.NoError(t, err)
	defer c.Close()
	go func() {
		for i := range len(pipeline) {
			if _, err := c.Write([]byte{pipeline[i]}); err != nil {
				return // the read below fails and says why
			}
		}
	}()
	got := make([]byte, len(replies))
	_, err = io.ReadFull(c, got)
	require.NoError(t, err)
	require.Equal(t, replies, string(got))
}

// TestClosesAfterLastReply: after QUIT or a protocol error the connection
// closes once the replies before it are out, and cleanly (end of file, not
// a reset), even though the client has sent megabytes after it: the
// server reads and drops them rather than reset the connection, which
// would destroy the replies still on their way.
func TestClosesAfterLastReply(t *testing.T) {
	addr := serve(t)
	flood := strings.Repeat("PING\r\n", 1<<20)
	cases := []struct {
		name string
		in   string
		want string
	}{
		{name: "QUIT", in: "PING\r\nQUIT\r\n", want: pong + ok},
		{name: "bad array", in: "PING\r\n*x\r\n", want: pong + "-ERR Protocol error: invalid multibulk length\r\n"},
		{name: "bulk too big", in: "*1\r\n$67108865\r\n", want: "-ERR Protocol error: invalid bulk length\r\n"},
		{name: "inline too big", in: strings.Repeat("x", maxInlineBytes+1), want: "-ERR Protocol error: too big inline request\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer c.Close()
			werr := make(chan error, 1)
			go func() {
				_, err := io.WriteString(c, tc.in+flood)
				if err == nil {
					err = c.(*net.TCPConn).CloseWrite()
				}
				werr <- err
			}()
			got, err := io.ReadAll(c)
			require.NoError(t, err, "the connection was reset")
			require.Equal(t, tc.want, string(got))
			require.NoError(t, <-werr)
		})
	}
}

// TestBackpressure: a client pipelines GETs of a 256 KiB value, 128 MiB of
// replies in a few reads of requests, and reads nothing until the server is
// congested. The server stops answering at its high watermark rather than
// build every reply (which would pass the cap on unsent bytes and close the
// connection) and holds little more than that as the client reads every
// reply.
func TestBackpressure(t *testing.T) {
	const size, gets = 256 << 10, 512
	value := strings.Repeat("v", size)
	l := core.NewLoop()
	var addr string
	var err error
	require.NoError(t, l.Start(func(l *core.Loop) {
		var srv *server.Server
		if srv, _, err = listen(l, config{addr: "127.0.0.1:0"}); err == nil {
			addr = srv.Addr().String()
		}
	}))
	require.NoError(t, err)
	defer func() { require.NoError(t, l.Shutdown(context.Background())) }()

	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "*3\r\n$3\r\nSET\r\n$1\r\nv\r\n"+bulk(value)+strings.Repeat("GET v\r\n", gets))
	require.NoError(t, err)
	// Congested from the high watermark down to the low one: the peak is
	// brief (the kernel's buffers grow and take more), what stays while
	// the client reads nothing is at least the low watermark.
	require.Eventually(t, func() bool { return l.Stats().BytesBufferedOut >= core.DefaultWriteLowWatermark },
		testutil.Timeout, time.Millisecond, "the server never got congested")

	r := bufio.NewReader(c)
	want := []byte(bulk(value))
	got := make([]byte, len(want))
	_, err = io.ReadFull(r, got[:len(ok)])
	require.NoError(t, err)
	require.Equal(t, ok, string(got[:len(ok)]))
	var peak int64 // what the server holds, as the client sees it between replies
	for i := range gets {
		peak = max(peak, l.Stats().BytesBufferedOut)
		_, err := io.ReadFull(r, got)
		require.NoError(t, err, "reply %d", i)
		require.True(t, bytes.Equal(want, got), "reply %d", i)
	}
	t.Logf("the server held at most %d KiB of replies", peak>>10)
	require.Less(t, peak, int64(core.DefaultWriteHighWatermark+2*size+2*flushBytes))
}
