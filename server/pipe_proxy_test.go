//go:build unix

package server_test

import (
	"fmt"
	"io"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/proxyproto"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// TestPipeServerProxyProtocol: behind a proxy on the same host that
// speaks to a Unix socket (HAProxy's "server s1 /run/app.sock send-proxy"),
// the PROXY header gives the socket the client's address, which the pipe
// alone cannot.
func TestPipeServerProxyProtocol(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	_, err := server.PipeServer(l, path, func(s *core.Socket, data []byte) {
		_, _ = fmt.Fprintf(s, "%s says %s", s.RemoteAddr(), data)
		_ = s.Close()
	}, server.WithProxyProtocol())
	require.NoError(t, err)
	header, err := proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP4,
		Source: netip.MustParseAddrPort("192.0.2.1:56324"), Destination: netip.MustParseAddrPort("198.51.100.7:443")}.Format()
	require.NoError(t, err)
	c := dialPipe(t, path)
	_, err = c.Write(append(header, "hi"...))
	require.NoError(t, err)
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, "192.0.2.1:56324 says hi", string(got))
}
