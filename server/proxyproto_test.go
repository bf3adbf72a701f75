package server_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/proxyproto"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// proxyServer runs a server with WithProxyProtocol (and opts) whose
// sockets answer their first line with "remote local line\n" and close;
// every event of the server goes to events.
func proxyServer(t *testing.T, opts ...server.Option) (addr string, events chan error) {
	t.Helper()
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() { l.Exit(); _ = l.Wait() })
	events = make(chan error, 16)
	var connected sync.Map // *core.Socket: the connect callback ran; sockets are spread over reactors
	srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
		if _, ok := connected.Load(s); !ok {
			t.Error("a read callback before the connect callback")
		}
		line, _ := s.Data().(string) // the first line, however it arrives
		line += string(data)
		first, _, ok := strings.Cut(line, "\n")
		if !ok {
			s.SetData(line)
			return
		}
		_, _ = fmt.Fprintf(s, "%s %s %s\n", s.RemoteAddr(), s.LocalAddr(), strings.TrimSpace(first))
		_ = s.Close()
	}, append(opts, server.WithProxyProtocol(),
		core.OnConnect(func(s *core.Socket) { connected.Store(s, true) }),
		core.OnEvent(func(_ *core.Socket, ev error) { events <- ev }))...)
	require.NoError(t, err)
	return srv.Addr().String(), events
}

// exchangeRaw sends p, byte by byte if split, and returns the reply line.
func exchangeRaw(t *testing.T, addr string, p []byte, split bool) (string, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	if split {
		for i := range p {
			_, err = c.Write(p[i : i+1])
			require.NoError(t, err)
		}
	} else {
		_, err = c.Write(p)
		require.NoError(t, err)
	}
	require.NoError(t, c.SetReadDeadline(time.Now().Add(testutil.Timeout)))
	return bufio.NewReader(c).ReadString('\n')
}

// TestProxyProtocol: the header's addresses become the socket's, its bytes
// never reach the read callback, versions 1 and 2, whole or byte by byte;
// a LOCAL header (a health check) leaves the real addresses.
func TestProxyProtocol(t *testing.T) {
	addr, events := proxyServer(t)
	src := netip.MustParseAddrPort("192.0.2.1:56324")
	dst := netip.MustParseAddrPort("198.51.100.7:443")
	v1, err := proxyproto.Header{Version: 1, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP4, Source: src, Destination: dst}.Format()
	require.NoError(t, err)
	src6 := netip.MustParseAddrPort("[2001:db8::1]:4000")
	dst6 := netip.MustParseAddrPort("[2001:db8::2]:80")
	v2, err := proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP6, Source: src6, Destination: dst6,
		TLVs: []proxyproto.TLV{{Type: 0x04, Value: []byte("id")}}}.Format()
	require.NoError(t, err)
	local, err := proxyproto.Header{Version: 2, Command: proxyproto.CommandLocal}.Format()
	require.NoError(t, err)
	for _, split := range []bool{false, true} {
		got, err := exchangeRaw(t, addr, append(v1, "hello\n"...), split)
		require.NoError(t, err)
		require.Equal(t, "192.0.2.1:56324 198.51.100.7:443 hello\n", got)
		got, err = exchangeRaw(t, addr, append(v2, "six\n"...), split)
		require.NoError(t, err)
		require.Equal(t, "[2001:db8::1]:4000 [2001:db8::2]:80 six\n", got)
		got, err = exchangeRaw(t, addr, append(local, "check\n"...), split)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(got, "127.0.0.1:"), "%q", got)
		require.True(t, strings.HasSuffix(got, " check\n"), "%q", got)
	}
	select {
	case ev := <-events:
		require.ErrorIs(t, ev, conditions.TCPEOF, "only ends of file: %v", ev)
	default:
	}
}

// TestProxyProtocolBadHeader: garbage, or a header that stops, resets the
// connection and reaches the server's event callback as an accept error
// without a socket; a connection that closes before its header is quiet.
func TestProxyProtocolBadHeader(t *testing.T) {
	addr, events := proxyServer(t, core.WithReadTimeout(100*time.Millisecond))
	_, err := exchangeRaw(t, addr, []byte("GET / HTTP/1.1\r\n\r\n"), false)
	require.Error(t, err, "reset, no reply")
	ev := testutil.Recv(t, events, "the malformed header's condition")
	require.ErrorIs(t, ev, conditions.TCPAcceptError)
	require.ErrorIs(t, ev, core.ErrProxyHeader)
	require.ErrorIs(t, ev, proxyproto.ErrMalformed)
	require.Nil(t, core.TCPSocket(ev))

	_, err = exchangeRaw(t, addr, []byte("PROXY TCP4 192.0.2.1"), false) // and nothing more
	require.Error(t, err)
	ev = testutil.Recv(t, events, "the late header's condition")
	require.ErrorIs(t, ev, conditions.TCPAcceptError)
	require.ErrorIs(t, ev, core.ErrProxyHeader)
	require.ErrorIs(t, ev, os.ErrDeadlineExceeded)

	c, err := net.Dial("tcp", addr) // a health check: connect, close
	require.NoError(t, err)
	require.NoError(t, c.Close())
	c, err = net.Dial("tcp", addr) // a fresh connection still works
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("PROXY UNKNOWN\r\nafter\n"))
	require.NoError(t, err)
	got, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(got, " after\n"), got)
	select {
	case ev := <-events:
		if !errors.Is(ev, conditions.TCPEOF) {
			t.Fatalf("an event for the health check: %v", ev)
		}
	default:
	}
}

// TestProxyProtocolCurl: curl's --haproxy-protocol sends a version 1
// header; the server reads past it to the HTTP request.
func TestProxyProtocolCurl(t *testing.T) {
	curl := testutil.Tool(t, "curl", "curl")
	addr, _ := proxyServer(t)
	out, err := testutil.RunTool(curl, nil, "-sS", "--haproxy-protocol", "--http0.9", "http://"+addr+"/")
	require.NoError(t, err)
	fields := strings.Fields(string(out))
	require.Len(t, fields, 5, "%q", out) // remote local GET / HTTP/1.1
	require.True(t, strings.HasPrefix(fields[0], "127.0.0.1:"), "%q", out)
	require.Equal(t, []string{"GET", "/", "HTTP/1.1"}, fields[2:], "the request line, after the header")
}
