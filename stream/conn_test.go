package stream_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/net/nettest"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// runLoop runs a Loop on its own goroutine for the test's length.
func runLoop(t *testing.T, opts ...core.LoopOption) *core.Loop {
	t.Helper()
	l := core.NewLoop(append(opts, core.WithStayRunning())...)
	require.NoError(t, l.Start(nil))
	done := make(chan error, 1)
	go func() { done <- l.Wait() }()
	t.Cleanup(func() {
		l.Exit()
		require.NoError(t, testutil.Recv(t, done, "Run"))
	})
	return l
}

func listen(t *testing.T, l *core.Loop) *server.Listener {
	t.Helper()
	ln, err := server.Listen(l, "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// TestNetConnConformance runs the standard net.Conn conformance suite on
// two asyncnet Conns connected to each other.
func TestNetConnConformance(t *testing.T) {
	l := runLoop(t)
	ln := listen(t, l)
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		c1, err = client.Dial(l, ln.Addr().String())
		if err != nil {
			return nil, nil, nil, err
		}
		c2, err = ln.Accept()
		if err != nil {
			return nil, nil, nil, err
		}
		return c1, c2, func() { _ = c1.Close(); _ = c2.Close() }, nil
	})
}

// TestHTTPServerOverListen runs net/http's own server on asyncnet's
// reactors and queries it with net/http's client.
func TestHTTPServerOverListen(t *testing.T) {
	l := runLoop(t)
	ln := listen(t, l)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	}), ReadHeaderTimeout: testutil.Timeout}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	for i := range 3 { // keep-alive: one connection, several requests
		resp, err := http.Get(fmt.Sprintf("http://%s/%d", ln.Addr(), i))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, fmt.Sprintf("hello /%d", i), string(body))
	}
}

// TestReadRequest: bufio and http.ReadRequest over a Conn from client.Dial.
func TestReadRequest(t *testing.T) {
	l := runLoop(t)
	ln := listen(t, l)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			t.Error(err)
			return
		}
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(req.URL.Path), req.URL.Path)
	}()
	c, err := client.Dial(l, ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = io.WriteString(c, "GET /over/asyncnet HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	require.Equal(t, "/over/asyncnet", string(body))
}

// TestTLS: a TLS server on asyncnet answered by Go's TLS client, and an
// asyncnet TLS client of a Go TLS server; certificates are verified.
func TestTLS(t *testing.T) {
	certs := testutil.NewCerts(t)
	l := runLoop(t)
	serverConf := &tls.Config{Certificates: []tls.Certificate{certs.Server}}
	clientConf := &tls.Config{RootCAs: certs.Pool, ServerName: "localhost"}

	t.Run("asyncnet server", func(t *testing.T) {
		ln := tls.NewListener(listen(t, l), serverConf)
		go echoOnce(t, ln)
		c, err := tls.Dial("tcp", ln.Addr().String(), clientConf)
		require.NoError(t, err)
		defer c.Close()
		requireEcho(t, c, "secret")
		require.True(t, c.ConnectionState().HandshakeComplete)
	})
	t.Run("asyncnet client", func(t *testing.T) {
		ln, err := tls.Listen("tcp", "127.0.0.1:0", serverConf)
		require.NoError(t, err)
		defer ln.Close()
		go echoOnce(t, ln)
		raw, err := client.Dial(l, ln.Addr().String())
		require.NoError(t, err)
		c := tls.Client(raw, clientConf)
		defer c.Close()
		requireEcho(t, c, "also secret")
	})
	t.Run("unknown authority is refused", func(t *testing.T) {
		ln := tls.NewListener(listen(t, l), serverConf)
		go func() {
			c, err := ln.Accept()
			if err == nil {
				_ = c.(*tls.Conn).Handshake() // fails: the client rejects the certificate
				_ = c.Close()
			}
		}()
		raw, err := client.Dial(l, ln.Addr().String())
		require.NoError(t, err)
		c := tls.Client(raw, &tls.Config{ServerName: "localhost"}) // system roots only
		defer c.Close()
		var uae x509.UnknownAuthorityError
		require.ErrorAs(t, c.Handshake(), &uae)
	})
}

func echoOnce(t *testing.T, ln net.Listener) {
	c, err := ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		t.Error(err)
		return
	}
	_, _ = c.Write(buf[:n])
}

func requireEcho(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	_, err := io.WriteString(c, msg)
	require.NoError(t, err)
	buf := make([]byte, len(msg))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	require.Equal(t, msg, string(buf))
}

// TestBlockingInCallbackFails: a blocking call inside a callback returns
// ErrInReactor instead of deadlocking the reactor.
func TestBlockingInCallbackFails(t *testing.T) {
	var readErr, dialErr, acceptErr error
	testutil.Run(t, func(l *core.Loop) {
		ln, err := server.Listen(l, "127.0.0.1:0")
		require.NoError(t, err)
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(*core.Socket, []byte) {}, core.WithDontDrainReadBuffer(),
			core.OnConnect(func(s *core.Socket) {
				c, err := stream.NetConn(s)
				require.NoError(t, err)
				_, readErr = c.Read(make([]byte, 1))
				_, dialErr = client.Dial(l, ln.Addr().String())
				_, acceptErr = ln.Accept()
				_ = c.Close()
			}))
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), func(*core.Socket, []byte) {},
			core.OnEvent(func(*core.Socket, error) { _ = srv.Close(); _ = ln.Close() }))
		require.NoError(t, err)
	}, core.WithReactors(1))
	require.ErrorIs(t, readErr, stream.ErrInReactor)
	require.ErrorIs(t, dialErr, stream.ErrInReactor)
	require.ErrorIs(t, acceptErr, stream.ErrInReactor)
}

// TestConnReaderBackpressure: a Conn whose reader does not read stops
// reading its socket: the peer's large write stays blocked and the Loop
// holds little.
func TestConnReaderBackpressure(t *testing.T) {
	l := runLoop(t)
	ln := listen(t, l)
	writeDone := make(chan error, 1)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			writeDone <- err
			return
		}
		defer c.Close()
		_, err = c.Write(make([]byte, 64<<20))
		writeDone <- err
	}()
	c, err := ln.Accept()
	require.NoError(t, err)
	defer c.Close()
	// Nobody reads c for a while: the writer must be held back.
	select {
	case err := <-writeDone:
		t.Fatalf("the 64 MiB write finished while nobody read: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	require.Less(t, l.Stats().BytesBufferedIn, int64(8<<20), "memory stays bounded")
	n, err := io.Copy(io.Discard, io.LimitReader(c, 64<<20))
	require.NoError(t, err)
	require.Equal(t, int64(64<<20), n)
	require.NoError(t, testutil.Recv(t, writeDone, "the write"))
}

func TestNetConnNeedsKeptBytes(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		s, err := core.NewSocket(l, func(*core.Socket, []byte) {})
		require.NoError(t, err)
		_, err = stream.NetConn(s)
		require.ErrorIs(t, err, stream.ErrDrains)
		require.NoError(t, s.Close())
	})
}

// TestBlockedCallsReturnOnExit: Read, Accept and Dial blocked in goroutines
// return when the Loop exits (which runs no event callback).
func TestBlockedCallsReturnOnExit(t *testing.T) {
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	done := make(chan error, 1)
	go func() { done <- l.Wait() }()
	ln, err := server.Listen(l, "127.0.0.1:0")
	require.NoError(t, err)
	other, err := server.Listen(l, "127.0.0.1:0")
	require.NoError(t, err)
	c, err := client.Dial(l, ln.Addr().String())
	require.NoError(t, err)

	errs := make(chan error, 3)
	go func() { _, err := c.Read(make([]byte, 1)); errs <- err }()
	go func() { _, err := other.Accept(); errs <- err }()
	go func() {
		_, err := client.Dial(l, testutil.FullListener(t), client.WithDialTimeout(time.Hour))
		errs <- err
	}()
	testutil.WaitForStacks(t, 1, "stream.(*Conn).wait", "server.(*Listener).Accept", "client.DialContext")
	l.Exit()
	require.NoError(t, testutil.Recv(t, done, "Run"))
	for range 3 {
		require.Error(t, testutil.Recv(t, errs, "a blocked call to return"))
	}
}

// TestNetConnArguments: a nil socket, or one that drains its reads, is a
// bad argument.
func TestNetConnArguments(t *testing.T) {
	_, err := stream.NetConn(nil)
	testutil.RequireArgError(t, err, "s")
	testutil.Run(t, func(l *core.Loop) {
		srv, err := server.TCPServer(l, "127.0.0.1:0", func(*core.Socket, []byte) {}, core.OnConnect(func(s *core.Socket) {
			_, err := stream.NetConn(s)
			require.ErrorIs(t, err, stream.ErrDrains)
			testutil.RequireArgError(t, err, "s")
			_ = s.Close()
		}))
		require.NoError(t, err)
		_, err = client.TCPConnect(l, srv.Addr().String(), func(*core.Socket, []byte) {},
			core.OnEvent(func(*core.Socket, error) { _ = srv.Close() }))
		require.NoError(t, err)
	})
}

// TestListenerShutdown: Listener.Shutdown stops accepting and closes the
// accepted connections gracefully: what was written arrives, then end of
// file; a blocked Read returns.
func TestListenerShutdown(t *testing.T) {
	l := runLoop(t)
	ln, err := server.Listen(l, "127.0.0.1:0")
	require.NoError(t, err)
	peer, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer peer.Close()
	c, err := ln.Accept()
	require.NoError(t, err)
	_, err = c.Write([]byte("bye"))
	require.NoError(t, err)
	readErr := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		readErr <- err
	}()
	require.NoError(t, ln.Shutdown(context.Background()))
	require.Error(t, testutil.Recv(t, readErr, "the blocked Read"))
	got, err := io.ReadAll(peer)
	require.NoError(t, err)
	require.Equal(t, "bye", string(got))
	_, err = ln.Accept()
	require.ErrorIs(t, err, server.ErrListenerClosed)
	select {
	case <-ln.Server().Done():
	default:
		t.Fatal("the server is not done")
	}
}
