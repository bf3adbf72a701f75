//go:build unix

package server_test

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// dialPipe connects to the socket at path with Go's net package.
func dialPipe(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	c, err := net.DialTimeout("unix", path, testutil.Timeout)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c.(*net.UnixConn)
}

// pipeRoundTrip sends msg over c and returns as many bytes as it reads back.
func pipeRoundTrip(t *testing.T, c net.Conn, msg string) string {
	t.Helper()
	_, err := c.Write([]byte(msg))
	require.NoError(t, err)
	buf := make([]byte, len(msg))
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	return string(buf)
}

// staleSocket leaves a socket file at path with no listener behind it, as
// a server that crashed does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	ln.SetUnlinkOnClose(false)
	require.NoError(t, ln.Close())
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, fs.ModeSocket, fi.Mode().Type(), "a socket file is left")
	_, err = net.Dial("unix", path)
	require.ErrorIs(t, err, syscall.ECONNREFUSED, "nobody listens on it")
}

// requireBindError fails t unless err is a bind error about path that
// matches the OS error want.
func requireBindError(t *testing.T, err error, path string, want error) {
	t.Helper()
	require.ErrorIs(t, err, conditions.TCPServerBindError)
	require.ErrorIs(t, err, conditions.TCPError)
	require.ErrorIs(t, err, want)
	require.Contains(t, err.Error(), path)
}

func TestPipeServerEcho(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	connected := make(chan net.Addr, 1)
	srv, err := server.PipeServer(l, path, echo,
		core.OnConnect(func(s *core.Socket) { connected <- s.RemoteAddr() }))
	require.NoError(t, err)
	require.Equal(t, path, srv.Addr().String(), "Addr of a pipe server is its path")
	require.Equal(t, "unix", srv.Addr().Network())
	require.Equal(t, 1, l.Stats().Servers)

	c := dialPipe(t, path)
	require.Equal(t, "hello, pipe", pipeRoundTrip(t, c, "hello, pipe"))
	raddr := testutil.Recv(t, connected, "OnConnect")
	require.NotNil(t, raddr, "an accepted socket has a peer address")
	require.Equal(t, "unix", raddr.Network())
}

// TestPipeServerRemovesItsFile: the socket file goes when the server
// closes, however it closes.
func TestPipeServerRemovesItsFile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		close func(l *core.Loop, srv *server.Server) error
	}{
		{name: "Close", close: func(_ *core.Loop, srv *server.Server) error { return srv.Close() }},
		{name: "Shutdown", close: func(_ *core.Loop, srv *server.Server) error { return srv.Shutdown(context.Background()) }},
		{name: "Loop.Shutdown", close: func(l *core.Loop, _ *server.Server) error { return l.Shutdown(context.Background()) }},
		{name: "Exit", close: func(l *core.Loop, _ *server.Server) error { l.Exit(); return l.Wait() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := testutil.Started(t)
			path := testutil.SocketPath(t)
			srv, err := server.PipeServer(l, path, echo)
			require.NoError(t, err)
			require.Equal(t, "x", pipeRoundTrip(t, dialPipe(t, path), "x"))
			require.FileExists(t, path)
			require.NoError(t, tc.close(l, srv))
			<-srv.Done()
			require.NoFileExists(t, path)
			_, err = os.Lstat(path)
			require.ErrorIs(t, err, fs.ErrNotExist)
		})
	}
}

// TestPipeServerKeepsAnotherFile: a server removes its socket file only if
// the file at the path is still the one it made.
func TestPipeServerKeepsAnotherFile(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	srv, err := server.PipeServer(l, path, echo)
	require.NoError(t, err)
	require.NoError(t, os.Remove(path)) // an operator's rm
	require.NoError(t, os.WriteFile(path, []byte("someone else's"), 0o600))
	require.NoError(t, srv.Close())
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "someone else's", string(got))
}

func TestPipeServerReplacesStaleFile(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	staleSocket(t, path)
	srv, err := server.PipeServer(l, path, echo)
	require.NoError(t, err, "a stale socket file is replaced")
	require.Equal(t, "fresh", pipeRoundTrip(t, dialPipe(t, path), "fresh"))
	require.NoError(t, srv.Close())
	require.NoFileExists(t, path)
}

// TestPipeServerRefusesLiveSocket: a socket a server listens on is never
// taken over, whoever the server is; it keeps working.
func TestPipeServerRefusesLiveSocket(t *testing.T) {
	t.Run("Go listener", func(t *testing.T) {
		l := testutil.Started(t)
		path := testutil.SocketPath(t)
		live, err := net.Listen("unix", path)
		require.NoError(t, err)
		defer live.Close()
		before, err := os.Lstat(path)
		require.NoError(t, err)

		srv, err := server.PipeServer(l, path, echo)
		require.Nil(t, srv)
		requireBindError(t, err, path, syscall.EADDRINUSE)
		require.Contains(t, err.Error(), "a server is listening on it")
		require.Zero(t, l.Stats().Servers, "the failed server left nothing running")

		after, err := os.Lstat(path)
		require.NoError(t, err)
		require.True(t, os.SameFile(before, after), "the live socket's file is untouched")
		probe, err := live.Accept() // PipeServer's probe, queued
		require.NoError(t, err)
		_ = probe.Close()
		c := dialPipe(t, path)
		peer, err := live.Accept()
		require.NoError(t, err, "the live server still accepts")
		defer peer.Close()
		_, err = peer.Write([]byte("still mine"))
		require.NoError(t, err)
		buf := make([]byte, len("still mine"))
		_, err = io.ReadFull(c, buf)
		require.NoError(t, err)
		require.Equal(t, "still mine", string(buf))
	})
	t.Run("PipeServer", func(t *testing.T) {
		l := testutil.Started(t)
		path := testutil.SocketPath(t)
		first, err := server.PipeServer(l, path, echo)
		require.NoError(t, err)
		second, err := server.PipeServer(l, path, echo)
		require.Nil(t, second)
		requireBindError(t, err, path, syscall.EADDRINUSE)
		require.Equal(t, "first", pipeRoundTrip(t, dialPipe(t, path), "first"))
		require.NoError(t, first.Close())
		require.NoFileExists(t, path)
	})
}

// TestPipeServerKeepsNonSocket: a file that is not a socket is never
// removed; the server fails with EADDRINUSE, saying what the file is.
func TestPipeServerKeepsNonSocket(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, path string)
		says string
	}{
		{name: "regular file", says: "a regular file", make: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte("precious"), 0o600))
		}},
		{name: "directory", says: "a directory", make: func(t *testing.T, path string) {
			require.NoError(t, os.Mkdir(path, 0o700))
		}},
		{name: "FIFO", says: "a named pipe (FIFO)", make: func(t *testing.T, path string) {
			require.NoError(t, syscall.Mkfifo(path, 0o600))
		}},
		{name: "symlink to a stale socket", says: "a symbolic link", make: func(t *testing.T, path string) {
			target := filepath.Join(filepath.Dir(path), "target.sock")
			staleSocket(t, target)
			require.NoError(t, os.Symlink(target, path))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := testutil.Started(t)
			path := testutil.SocketPath(t)
			tc.make(t, path)
			before, err := os.Lstat(path)
			require.NoError(t, err)

			srv, err := server.PipeServer(l, path, echo)
			require.Nil(t, srv)
			requireBindError(t, err, path, syscall.EADDRINUSE)
			require.Contains(t, err.Error(), tc.says+" is there, not a socket")

			after, err := os.Lstat(path)
			require.NoError(t, err, "the file is still there")
			require.True(t, os.SameFile(before, after))
			require.Equal(t, before.Mode(), after.Mode())
		})
	}
}

func TestPipeServerMissingDirectory(t *testing.T) {
	l := testutil.Started(t)
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "s.sock")
	srv, err := server.PipeServer(l, path, echo)
	require.Nil(t, srv)
	requireBindError(t, err, path, syscall.ENOENT)
	require.NoDirExists(t, filepath.Dir(path), "nothing is created")
}

func TestPipeServerBadArguments(t *testing.T) {
	l := testutil.Started(t)
	dir := t.TempDir()
	long := "/" + strings.Repeat("a", len(syscall.RawSockaddrUnix{}.Path)-1) // sun_path, with no room for the NUL
	for _, tc := range []struct {
		name string
		l    *core.Loop
		path string
		read core.ReadFunc
		opts []server.Option
		arg  string
		says string
	}{
		{name: "nil loop", path: filepath.Join(dir, "a"), read: echo, arg: "l"},
		{name: "nil read", l: l, path: filepath.Join(dir, "a"), arg: "onRead"},
		{name: "empty path", l: l, read: echo, arg: "path", says: "empty path"},
		{name: "too long", l: l, path: long, read: echo, arg: "path", says: "at most"},
		{name: "NUL", l: l, path: filepath.Join(dir, "a\x00b"), read: echo, arg: "path", says: "NUL"},
		{name: "nil option", l: l, path: filepath.Join(dir, "a"), read: echo, opts: []server.Option{nil}, arg: "option 0"},
		{name: "keepalive", l: l, path: filepath.Join(dir, "a"), read: echo,
			opts: []server.Option{core.WithTCPKeepAlive(time.Second)}, arg: "core.WithTCPKeepAlive", says: "Unix socket"},
		{name: "reuseport", l: l, path: filepath.Join(dir, "a"), read: echo,
			opts: []server.Option{server.WithReusePort()}, arg: "server.WithReusePort", says: "Unix socket"},
		{name: "mode 0", l: l, path: filepath.Join(dir, "a"), read: echo,
			opts: []server.Option{server.WithSocketMode(0)}, arg: "server.WithSocketMode"},
		{name: "mode not permissions", l: l, path: filepath.Join(dir, "a"), read: echo,
			opts: []server.Option{server.WithSocketMode(fs.ModeSetuid | 0o600)}, arg: "server.WithSocketMode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := server.PipeServer(tc.l, tc.path, tc.read, tc.opts...)
			require.Nil(t, srv)
			testutil.RequireArgError(t, err, tc.arg)
			require.Contains(t, err.Error(), "server.PipeServer")
			require.Contains(t, err.Error(), tc.says)
		})
	}
	require.Zero(t, l.Stats().Servers)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "no file is made for a bad argument")
}

// TestSocketModeIsForPipes: WithSocketMode given to a TCP entry point is
// an error, not a silent no-op.
func TestSocketModeIsForPipes(t *testing.T) {
	l := testutil.Started(t)
	srv, err := server.TCPServer(l, "127.0.0.1:0", echo, server.WithSocketMode(0o600))
	require.Nil(t, srv)
	testutil.RequireArgError(t, err, "server.WithSocketMode")
	_, err = server.Listen(l, "127.0.0.1:0", server.WithSocketMode(0o600))
	testutil.RequireArgError(t, err, "server.WithSocketMode")
}

func TestPipeServerNotRunning(t *testing.T) {
	path := testutil.SocketPath(t)
	_, err := server.PipeServer(core.NewLoop(), path, echo)
	require.ErrorIs(t, err, core.ErrLoopNotRunning)
	require.NoFileExists(t, path, "the file bound meanwhile is removed")
}

func TestPipeServerStreamBadArguments(t *testing.T) {
	l := testutil.Started(t)
	path := testutil.SocketPath(t)
	srv, err := server.PipeServerStream(l, path, nil)
	require.Nil(t, srv)
	testutil.RequireArgError(t, err, "onRead")
	srv, err = server.PipeServerStream(l, "", func(*core.Socket, *stream.AsyncIOStream) {})
	require.Nil(t, srv)
	testutil.RequireArgError(t, err, "path")
	require.Contains(t, err.Error(), "server.PipeServerStream")
	require.NoFileExists(t, path)
}

// TestPipeServerLongestPath: the kernel takes a path of exactly
// pipepath's limit (sun_path less its NUL), and one byte more is an
// ArgError that says how long a path may be.
func TestPipeServerLongestPath(t *testing.T) {
	l := testutil.Started(t)
	dir := t.TempDir()
	limit := len(syscall.RawSockaddrUnix{}.Path) - 1
	if len(dir)+2 > limit {
		t.Skipf("the temporary directory %q leaves no room under the %d-byte limit", dir, limit)
	}
	longest := filepath.Join(dir, strings.Repeat("a", limit-len(dir)-1))
	require.Len(t, longest, limit)
	srv, err := server.PipeServer(l, longest, echo)
	require.NoError(t, err)
	require.Equal(t, "edge", pipeRoundTrip(t, dialPipe(t, longest), "edge"))
	require.NoError(t, srv.Close())

	srv, err = server.PipeServer(l, longest+"b", echo)
	require.Nil(t, srv)
	testutil.RequireArgError(t, err, "path")
	require.Contains(t, err.Error(), fmt.Sprintf("path is %d bytes; a Unix socket path holds at most %d", limit+1, limit))
	require.NoFileExists(t, longest+"b")
}
