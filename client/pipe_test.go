//go:build unix

package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// listenUnix listens on path with Go's net package: a server asyncnet did
// not make.
func listenUnix(t *testing.T, path string) *net.UnixListener {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// collector gathers what a client socket reads and its events; its
// callbacks run on the socket's reactor, its channel tells the test.
type collector struct {
	got    bytes.Buffer
	events chan error
}

func newCollector() *collector { return &collector{events: make(chan error, 4)} }

func (c *collector) read(_ *core.Socket, data []byte) { c.got.Write(data) }

func (c *collector) event(_ *core.Socket, ev error) { c.events <- ev }

// next returns the next event.
func (c *collector) next(t *testing.T) error {
	t.Helper()
	return testutil.Recv(t, c.events, "an event")
}

// closeWrite returns an OnConnect callback that ends the client's side at
// once (after WithData's bytes). It runs on a reactor: a failure is
// reported with t.Errorf, not require, which must run on the test's
// goroutine.
func closeWrite(t *testing.T) core.ConnectFunc {
	return func(s *core.Socket) {
		if err := s.CloseWrite(); err != nil {
			t.Errorf("CloseWrite: %v", err)
		}
	}
}

// TestPipeConnectEcho ports cl-async's pipe test: :data plus a write made
// before the connection exists arrive in order, the reply comes back.
func TestPipeConnectEcho(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	_, err := server.PipeServer(l, path, echo)
	require.NoError(t, err)
	replies := make(chan string, 1)
	connected := make(chan net.Addr, 1)
	var got []byte
	s, err := client.PipeConnect(l, path, func(s *core.Socket, data []byte) {
		if got = append(got, data...); len(got) == len("hai ") {
			replies <- string(got)
			_ = s.Close()
		}
	}, client.WithData([]byte("ha")),
		core.OnConnect(func(s *core.Socket) { connected <- s.RemoteAddr() }),
		core.OnEvent(func(_ *core.Socket, ev error) { t.Errorf("client event: %v", ev) }))
	require.NoError(t, err)
	_, err = s.Write([]byte("i "))
	require.NoError(t, err)
	raddr := testutil.Recv(t, connected, "OnConnect")
	require.Equal(t, "unix", raddr.Network())
	require.Equal(t, path, raddr.String(), "a pipe socket's peer is the path")
	require.Equal(t, "hai ", testutil.Recv(t, replies, "the reply"))
	<-s.Done()
	require.Eventually(t, func() bool {
		st := l.Stats()
		return st.OutgoingSockets == 0 && st.IncomingSockets == 0
	}, testutil.Timeout, time.Millisecond, "both ends are counted down once closed")
	st := l.Stats()
	require.Equal(t, uint64(1), st.Connected, "the client's connect is counted")
	require.Equal(t, uint64(1), st.Accepted, "the server's accept is counted")
}

// TestPipeConnectRefused: no server at the path is conditions.TCPRefused,
// once, with the socket closed, whatever is (or is not) there; the OS
// error tells the cases apart. Nothing at the path is touched.
func TestPipeConnectRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string)
		want error
	}{
		{name: "stale socket file", want: syscall.ECONNREFUSED, make: func(t *testing.T, path string) {
			ln := listenUnix(t, path)
			ln.SetUnlinkOnClose(false)
			require.NoError(t, ln.Close())
		}},
		{name: "regular file", want: syscall.ECONNREFUSED, make: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte("not a socket"), 0o600))
		}},
		{name: "no file", want: syscall.ENOENT, make: func(*testing.T, string) {}},
		{name: "no directory", want: syscall.ENOENT, make: func(t *testing.T, path string) {
			require.NoError(t, os.Remove(filepath.Dir(path)))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := testutil.Started(t)
			path := testutil.SocketPath(t)
			tc.make(t, path)
			before, statErr := os.Lstat(path)
			c := newCollector()
			s, err := client.PipeConnect(l, path, c.read, client.WithData([]byte("hai")),
				core.OnConnect(func(*core.Socket) { t.Error("connected") }), core.OnEvent(c.event))
			require.NoError(t, err, "a connect fails in the background")
			ev := c.next(t)
			require.ErrorIs(t, ev, conditions.TCPRefused)
			require.ErrorIs(t, ev, conditions.TCPError)
			require.ErrorIs(t, ev, tc.want)
			require.Contains(t, ev.Error(), path)
			require.Same(t, s, core.TCPSocket(ev))
			require.True(t, s.Closed())
			<-s.Done()
			require.Empty(t, c.events, "one event")
			after, err := os.Lstat(path)
			if statErr == nil {
				require.NoError(t, err)
				require.True(t, os.SameFile(before, after), "the file is untouched")
			}
		})
	}
}

func TestPipeConnectBadArguments(t *testing.T) {
	l := testutil.Started(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "s.sock")
	long := "/" + strings.Repeat("a", len(syscall.RawSockaddrUnix{}.Path)-1) // sun_path, with no room for the NUL
	for _, tc := range []struct {
		name string
		l    *core.Loop
		path string
		read bool
		opts []client.Option
		arg  string
		says string
	}{
		{name: "nil loop", path: good, read: true, arg: "l"},
		{name: "nil read", l: l, path: good, arg: "onRead"},
		{name: "empty path", l: l, read: true, arg: "path", says: "empty path"},
		{name: "too long", l: l, path: long, read: true, arg: "path", says: "at most"},
		{name: "NUL", l: l, path: good + "\x00", read: true, arg: "path", says: "NUL"},
		{name: "resolver", l: l, path: good, read: true, opts: []client.Option{client.WithResolver(net.DefaultResolver)},
			arg: "client.WithResolver", says: "not looked up"},
		{name: "keepalive", l: l, path: good, read: true, opts: []client.Option{core.WithTCPKeepAlive(time.Second)},
			arg: "core.WithTCPKeepAlive", says: "Unix socket"},
		{name: "nil option", l: l, path: good, read: true, opts: []client.Option{nil}, arg: "option 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var read core.ReadFunc
			var readStream stream.ReadFunc
			if tc.read {
				read, readStream = ignore, func(*core.Socket, *stream.AsyncIOStream) {}
			}
			s, err := client.PipeConnect(tc.l, tc.path, read, tc.opts...)
			require.Nil(t, s)
			testutil.RequireArgError(t, err, tc.arg)
			require.Contains(t, err.Error(), "client.PipeConnect")
			require.Contains(t, err.Error(), tc.says)

			strm, err := client.PipeConnectStream(tc.l, tc.path, readStream, tc.opts...)
			require.Nil(t, strm)
			testutil.RequireArgError(t, err, tc.arg)
			require.Contains(t, err.Error(), "client.PipeConnectStream")
		})
	}
	require.Equal(t, core.Stats{}, l.Stats(), "nothing was created")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
}

// TestPipeConnectHalfClose: CloseWrite over a pipe ends the client's side
// once its bytes are out; the server, seeing end of file, answers and
// closes; the client reads the answer, then gets TCPEOF.
func TestPipeConnectHalfClose(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	ln := listenUnix(t, path)
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		req, err := io.ReadAll(c) // up to the client's end of file
		if err == nil {
			_, err = c.Write(bytes.ToUpper(req))
		}
		served <- err
	}()
	c := newCollector()
	_, err := client.PipeConnect(l, path, c.read, client.WithData([]byte("a request, then end of file")),
		core.OnConnect(closeWrite(t)),
		core.OnEvent(c.event))
	require.NoError(t, err)
	require.NoError(t, testutil.Recv(t, served, "the server"))
	require.ErrorIs(t, c.next(t), conditions.TCPEOF)
	require.Equal(t, "A REQUEST, THEN END OF FILE", c.got.String(), "the reply came after the client's end of file")
}

// TestPipeConnectReadTimeout: a server that says nothing gets its client
// closed with TCPTimeout; the server then reads end of file.
func TestPipeConnectReadTimeout(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	ln := listenUnix(t, path)
	c := newCollector()
	s, err := client.PipeConnect(l, path, c.read, core.WithReadTimeout(50*time.Millisecond), core.OnEvent(c.event))
	require.NoError(t, err)
	peer, err := ln.Accept()
	require.NoError(t, err)
	defer peer.Close()
	ev := c.next(t)
	require.ErrorIs(t, ev, conditions.TCPTimeout)
	require.True(t, s.Closed())
	rest, err := io.ReadAll(peer)
	require.NoError(t, err, "the client closed gracefully")
	require.Empty(t, rest)
}

// TestPipeConnectShutdown: the Loop's Shutdown asks an outgoing pipe
// socket to finish (client.OnShutdown), which sends its last words and
// closes; the server reads them, then end of file.
func TestPipeConnectShutdown(t *testing.T) {
	l := core.NewLoop(core.WithStayRunning())
	require.NoError(t, l.Start(nil))
	path := testutil.SocketPath(t)
	ln := listenUnix(t, path)
	connected := make(chan struct{})
	_, err := client.PipeConnect(l, path, ignore,
		core.OnConnect(func(*core.Socket) { close(connected) }),
		client.OnShutdown(func(s *core.Socket) {
			_, _ = s.Write([]byte("bye"))
			_ = s.Close()
		}))
	require.NoError(t, err)
	peer, err := ln.Accept()
	require.NoError(t, err)
	defer peer.Close()
	testutil.Recv(t, connected, "OnConnect")
	ctx, cancel := context.WithTimeout(context.Background(), testutil.Timeout)
	defer cancel()
	require.NoError(t, l.Shutdown(ctx))
	require.NoError(t, l.Wait())
	rest, err := io.ReadAll(peer)
	require.NoError(t, err)
	require.Equal(t, "bye", string(rest))
}

// readBuffered reads what st holds; a stream's Read never blocks.
func readBuffered(st *stream.AsyncIOStream) ([]byte, error) {
	p := make([]byte, st.Buffered())
	n, err := st.Read(p)
	return p[:n], err
}

// TestPipeStreams: cl-async's :stream t on both ends of a pipe: the server
// reads its stream and answers on it, the client reads its own.
func TestPipeStreams(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	const msg = "streams both ways"
	_, err := server.PipeServerStream(l, path, func(_ *core.Socket, st *stream.AsyncIOStream) {
		p, err := readBuffered(st)
		if err == nil {
			_, err = st.Write(bytes.ToUpper(p))
		}
		if err != nil {
			t.Errorf("server stream: %v", err)
		}
	})
	require.NoError(t, err)
	replies := make(chan string, 1)
	strm, err := client.PipeConnectStream(l, path, func(_ *core.Socket, st *stream.AsyncIOStream) {
		if st.Buffered() < len(msg) {
			return // not all there yet: the bytes wait in the stream
		}
		p, err := readBuffered(st)
		if err != nil {
			t.Errorf("client stream: %v", err)
		}
		replies <- string(p)
		_ = st.Close()
	})
	require.NoError(t, err)
	_, err = strm.Write([]byte(msg)) // before the connection exists
	require.NoError(t, err)
	require.Equal(t, strings.ToUpper(msg), testutil.Recv(t, replies, "the reply"))
	<-strm.Socket().Done()
}

// TestPipeConnectToTools: servers nobody here wrote answer a PipeConnect:
// socat runs tr on what it receives (tr answers at end of file, so the
// client's CloseWrite is what makes the answer come), and nc -lU sends its
// input and prints the client's.
func TestPipeConnectToTools(t *testing.T) {
	t.Run("socat", func(t *testing.T) {
		socat := testutil.Tool(t, "socat", "socat")
		path := testutil.SocketPath(t)
		p := testutil.StartListening(t, socat, nil, "listening on", "-d", "-d", "UNIX-LISTEN:"+path, "EXEC:tr a-z A-Z")
		l := testutil.Started(t)
		c := newCollector()
		_, err := client.PipeConnect(l, path, c.read, client.WithData([]byte("to socat and back\n")),
			core.OnConnect(closeWrite(t)),
			core.OnEvent(c.event))
		require.NoError(t, err)
		require.ErrorIs(t, c.next(t), conditions.TCPEOF)
		require.Equal(t, "TO SOCAT AND BACK\n", c.got.String())
		_, err = p.Wait()
		require.NoError(t, err)
	})
	t.Run("nc -U", func(t *testing.T) {
		nc := testutil.Netcat(t)
		path := testutil.SocketPath(t)
		p := testutil.StartListening(t, nc, []byte("from nc\n"), "Listening on", "-v", "-N", "-l", "-U", path)
		l := testutil.Started(t)
		c := newCollector()
		_, err := client.PipeConnect(l, path, c.read, client.WithData([]byte("from asyncnet\n")), core.OnEvent(c.event))
		require.NoError(t, err)
		require.ErrorIs(t, c.next(t), conditions.TCPEOF, "nc ends its side at the end of its input")
		require.Equal(t, "from nc\n", c.got.String())
		out, err := p.Wait()
		require.NoError(t, err)
		require.Equal(t, "from asyncnet\n", string(out))
	})
}

// TestPipeConnectPermission: without write permission on the socket file
// a connect is refused with EACCES, a TCPError that is not TCPRefused.
// Root passes every permission check, so as root it is skipped (the
// server's TestPipeServerPermissions covers the modes as another user).
func TestPipeConnectPermission(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root connects whatever the mode: see server's TestPipeServerPermissions")
	}
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	_, err := server.PipeServer(l, path, echo, server.WithSocketMode(0o400))
	require.NoError(t, err)
	c := newCollector()
	_, err = client.PipeConnect(l, path, c.read, core.OnEvent(c.event))
	require.NoError(t, err)
	ev := c.next(t)
	require.ErrorIs(t, ev, syscall.EACCES)
	require.ErrorIs(t, ev, conditions.TCPError)
	require.False(t, errors.Is(ev, conditions.TCPRefused), "a server is there")
}

// TestPipeConnectWriteTimeout: a server that stops reading leaves the
// client's bytes unsent once the kernel's buffers are full; the write
// timeout then closes the client with TCPTimeout.
func TestPipeConnectWriteTimeout(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	ln := listenUnix(t, path)
	c := newCollector()
	_, err := client.PipeConnect(l, path, c.read, core.WithWriteTimeout(100*time.Millisecond),
		core.WithMaxWriteBuffer(64<<20), core.OnEvent(c.event),
		core.OnConnect(func(s *core.Socket) {
			if _, err := s.Write(make([]byte, 16<<20)); err != nil { // far more than the kernel holds
				t.Errorf("Write: %v", err)
			}
		}))
	require.NoError(t, err)
	peer, err := ln.Accept() // and never read
	require.NoError(t, err)
	defer peer.Close()
	ev := c.next(t)
	require.ErrorIs(t, ev, conditions.TCPTimeout)
	require.True(t, core.TCPSocket(ev).Closed())
}
