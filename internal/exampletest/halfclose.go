package exampletest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

// halfCloseClients are the clients HalfClose drives a proxy with: each
// sends its input, shuts its write side, and reads until end of file.
// start finds the program (or skips t) and returns the client.
var halfCloseClients = []struct {
	name  string
	start func(t *testing.T) func(addr string, input []byte) ([]byte, error)
}{
	{
		// OpenBSD netcat; -N shuts the socket's write side at the end of
		// the input, then nc reads until the other side ends too.
		name: "nc",
		start: func(t *testing.T) func(string, []byte) ([]byte, error) {
			nc := Netcat(t)
			return func(addr string, input []byte) ([]byte, error) {
				host, port, err := net.SplitHostPort(addr)
				if err != nil {
					return nil, err
				}
				return RunTool(nc, input, "-N", host, port)
			}
		},
	},
	{
		// socat shuts the write side at the end of the input, then waits
		// up to -t seconds (0.5 by default: too short for a reply that
		// takes time) for the other direction to end.
		name: "socat",
		start: func(t *testing.T) func(string, []byte) ([]byte, error) {
			socat := Tool(t, "socat", "socat")
			return func(addr string, input []byte) ([]byte, error) {
				return RunTool(socat, input, "-t", "30", "STDIO", "TCP:"+addr)
			}
		},
	},
	{
		name: "go",
		start: func(*testing.T) func(string, []byte) ([]byte, error) {
			return func(addr string, input []byte) ([]byte, error) {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return nil, err
				}
				defer c.Close()
				return Exchange(c.(*net.TCPConn), input)
			}
		},
	},
}

// halfCloseOrders are who sends first.
var halfCloseOrders = []struct {
	name    string
	backend func(c *net.TCPConn, reply []byte) ([]byte, error) // returns what it read
}{
	{
		// A request, then its reply: the backend reads until the client
		// has ended its side, then replies and closes.
		name: "client-first",
		backend: func(c *net.TCPConn, reply []byte) ([]byte, error) {
			got, err := io.ReadAll(c)
			if err != nil {
				return got, err
			}
			_, err = c.Write(reply)
			return got, err
		},
	},
	{
		// The backend speaks first and ends its side first; then it reads
		// until the client has ended its side.
		name: "backend-first",
		backend: func(c *net.TCPConn, reply []byte) ([]byte, error) {
			if _, err := c.Write(reply); err != nil {
				return nil, err
			}
			if err := c.CloseWrite(); err != nil {
				return nil, err
			}
			return io.ReadAll(c)
		},
	},
}

// halfCloseSizes are the sizes HalfClose moves each way.
var halfCloseSizes = []struct {
	name string
	n    int
}{
	{name: "0B", n: 0},
	{name: "1B", n: 1},
	{name: "64KiB", n: 64 << 10},
	{name: "8MiB", n: 8 << 20},
}

// HalfClose drives the proxy at proxyAddr, which forwards to b, with nc,
// socat and a Go client; the client and the backend each send a stream
// and end their side (client first, then backend first), with 0 B, 1 B,
// 64 KiB and 8 MiB each way. Every byte must arrive, both ways, and the
// connection must end on both sides.
func HalfClose(t *testing.T, proxyAddr string, b *Backend) {
	for _, client := range halfCloseClients {
		for _, order := range halfCloseOrders {
			for _, size := range halfCloseSizes {
				t.Run(client.name+"/"+order.name+"/"+size.name, func(t *testing.T) {
					run := client.start(t) // before Handle: it may skip
					request, reply := Payload(size.n, 1), Payload(size.n, 2)
					type result struct {
						got []byte
						err error
					}
					backend := make(chan result, 1)
					b.Handle(func(c *net.TCPConn) {
						defer c.Close()
						got, err := order.backend(c, reply)
						backend <- result{got: got, err: err}
					})
					got, err := run(proxyAddr, request)
					require.NoError(t, err)
					RequireSame(t, reply, got, "what the client received")
					r := testutil.Recv(t, backend, "the backend")
					require.NoError(t, r.err)
					RequireSame(t, request, r.got, "what the backend received")
				})
			}
		}
	}
}

// Resets checks that a reset on one side of the proxy at proxyAddr (which
// forwards to b) resets the other: a reset is news the other side must
// not take for a complete stream.
func Resets(t *testing.T, proxyAddr string, b *Backend) {
	t.Run("backend resets", func(t *testing.T) {
		b.Handle(func(c *net.TCPConn) {
			buf := make([]byte, 1)
			if _, err := io.ReadFull(c, buf); err == nil {
				_ = c.SetLinger(0) // Close sends a reset
			}
			_ = c.Close()
		})
		c, err := net.Dial("tcp", proxyAddr)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Write([]byte("x"))
		require.NoError(t, err)
		_, err = io.ReadAll(c)
		require.True(t, errors.Is(err, syscall.ECONNRESET), "the client got %v, want a reset", err)
	})
	t.Run("client resets", func(t *testing.T) {
		gotByte, backendErr := make(chan struct{}), make(chan error, 1)
		b.Handle(func(c *net.TCPConn) {
			defer c.Close()
			buf := make([]byte, 1)
			if _, err := io.ReadFull(c, buf); err != nil {
				backendErr <- err
				return
			}
			close(gotByte)
			_, err := io.ReadAll(c)
			backendErr <- err
		})
		c, err := net.DialTCP("tcp", nil, tcpAddr(t, proxyAddr))
		require.NoError(t, err)
		_, err = c.Write([]byte("x"))
		require.NoError(t, err)
		testutil.Recv(t, gotByte, "the backend to get the byte")
		require.NoError(t, c.SetLinger(0))
		require.NoError(t, c.Close()) // a reset
		err = testutil.Recv(t, backendErr, "the backend to see the end")
		require.True(t, errors.Is(err, syscall.ECONNRESET), "the backend got %v, want a reset", err)
	})
}

// tcpAddr resolves addr, failing t if it cannot.
func tcpAddr(t testing.TB, addr string) *net.TCPAddr {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", addr)
	require.NoError(t, err, fmt.Sprintf("address %q", addr))
	return a
}
