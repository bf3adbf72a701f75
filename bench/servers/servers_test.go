package servers

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/bench/proto"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// exchange writes req (in two parts, to split a request across reads) and
// requires want back.
func exchange(t *testing.T, c net.Conn, r *bufio.Reader, req, want string) {
	t.Helper()
	half := len(req) / 2
	_, err := io.WriteString(c, req[:half])
	require.NoError(t, err)
	time.Sleep(5 * time.Millisecond) // let the first half arrive alone: not a synchronisation, a split
	_, err = io.WriteString(c, req[half:])
	require.NoError(t, err)
	got := make([]byte, len(want))
	_, err = io.ReadFull(r, got)
	require.NoError(t, err)
	require.Equal(t, want, string(got))
}

func TestServers(t *testing.T) {
	for _, p := range []string{Echo, HTTP, RESP} {
		for _, impl := range Impls(p) {
			t.Run(impl+"/"+p, func(t *testing.T) {
				addr := testutil.FreePort(t)
				srv, err := Start(impl, p, addr, 2)
				require.NoError(t, err)
				c := dial(t, addr)
				r := bufio.NewReader(c)
				switch p {
				case Echo:
					msg := strings.Repeat("0123456789", 1000)
					exchange(t, c, r, msg, msg)
				case HTTP:
					req := "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
					exchange(t, c, r, req+req, proto.HTTPResponse+proto.HTTPResponse)
				case RESP:
					exchange(t, c, r, "PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n", "+PONG\r\n$2\r\nhi\r\n")
				}
				require.NoError(t, srv.Close())
			})
		}
	}
}

// TestHTTPConnectionClose checks that every HTTP server answers a request
// with "Connection: close" and then closes the connection, unasked to
// answer the request pipelined after it.
func TestHTTPConnectionClose(t *testing.T) {
	for _, impl := range Impls(HTTP) {
		t.Run(impl, func(t *testing.T) {
			addr := testutil.FreePort(t)
			srv, err := Start(impl, HTTP, addr, 1)
			require.NoError(t, err)
			defer func() { require.NoError(t, srv.Close()) }()
			c := dial(t, addr)
			_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\n\r\n")
			require.NoError(t, err)
			got, err := io.ReadAll(c) // until the server closes
			require.NoError(t, err)
			require.Equal(t, proto.HTTPResponse+proto.HTTPCloseResponse, string(got))
		})
	}
}

func TestStartErrors(t *testing.T) {
	_, err := Start("nonsense", Echo, testutil.FreePort(t), 1)
	require.ErrorContains(t, err, "no implementation")
	_, err = Start("nbio", HTTP, testutil.FreePort(t), 1)
	require.ErrorContains(t, err, "does not serve")
	_, err = Start("gnet", Echo, testutil.FreePort(t), 0)
	require.ErrorContains(t, err, "loops")
	require.Equal(t, "gnet", Impls(Echo)[0], "the reference comes first")
}
