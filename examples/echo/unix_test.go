//go:build unix

package main

import (
	"context"
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

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// The echo example over a Unix domain socket (-unix).

func TestDemoUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "echo.sock")
	var out testutil.LockedBuffer
	require.NoError(t, run(context.Background(), config{unix: path, grace: time.Minute, quiet: time.Minute}, &out))
	got := out.String()
	for _, want := range []string{
		"listening on " + path + "\n",
		"client: connected to " + path + "\n",
		"client: got \"hello\"\nclient: got \"from\"\nclient: got \"asyncnet\"\n",
		"client: the server ended the connection too\n",
		"every connection finished\n",
	} {
		require.Contains(t, got, want)
	}
	require.NoFileExists(t, path, "the socket file is removed at exit")
}

// TestSIGTERMUnix runs echo as a program on a Unix socket with -mode:
// nc -U gets its echo, the file has the mode asked for, SIGTERM ends the
// program with status 0 and the file is gone.
func TestSIGTERMUnix(t *testing.T) {
	path := filepath.Join(t.TempDir(), "echo.sock")
	p := exampletest.Start(t, exampletest.Build(t), "-unix", path, "-mode", "0600", "-grace", "1m", "-quiet", "20s")
	p.Out.Next(t, "listening on "+path)
	p.Out.Next(t, "still serving; try: nc -U "+path)
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, fs.ModeSocket|0o600, fi.Mode())

	nc := exampletest.Netcat(t)
	got, err := exampletest.RunTool(nc, []byte("through nc -U\n"), "-N", "-U", path)
	require.NoError(t, err)
	require.Equal(t, "through nc -U\n", string(got))

	p.Signal(t, syscall.SIGTERM)
	code, _ := p.Wait(t)
	require.Zero(t, code, p.Out.String())
	require.Contains(t, p.Out.String(), "every connection finished")
	require.NoFileExists(t, path)
}

// TestUnixPathTaken: echo exits with status 1, saying why, when its path
// holds a file that is not a socket, or a socket a server listens on; it
// leaves either alone. A socket file nobody listens on (a crashed echo's)
// is replaced.
func TestUnixPathTaken(t *testing.T) {
	bin := exampletest.Build(t)
	t.Run("regular file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "echo.sock")
		require.NoError(t, os.WriteFile(path, []byte("precious"), 0o600))
		p := exampletest.Start(t, bin, "-unix", path)
		code, _ := p.Wait(t)
		require.Equal(t, 1, code, p.Out.String())
		require.Contains(t, p.Out.String(), "a regular file is there, not a socket")
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, "precious", string(got))
	})
	t.Run("live socket", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "echo.sock")
		ln, err := net.Listen("unix", path)
		require.NoError(t, err)
		defer ln.Close()
		p := exampletest.Start(t, bin, "-unix", path)
		code, _ := p.Wait(t)
		require.Equal(t, 1, code, p.Out.String())
		require.Contains(t, p.Out.String(), "a server is listening on it")
		require.FileExists(t, path)
	})
	t.Run("stale socket", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "echo.sock")
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		require.NoError(t, err)
		ln.SetUnlinkOnClose(false)
		require.NoError(t, ln.Close())
		require.FileExists(t, path)
		p := exampletest.Start(t, bin, "-unix", path, "-serve=false")
		code, _ := p.Wait(t)
		require.Zero(t, code, p.Out.String())
		require.Contains(t, p.Out.String(), "client: the server ended the connection too")
		require.NoFileExists(t, path)
	})
	t.Run("bad mode", func(t *testing.T) {
		p := exampletest.Start(t, bin, "-unix", filepath.Join(t.TempDir(), "echo.sock"), "-mode", "4755")
		code, _ := p.Wait(t)
		require.Equal(t, 2, code, p.Out.String())
		require.Contains(t, p.Out.String(), "is not a permission mode")
	})
	t.Run("path too long", func(t *testing.T) {
		long := filepath.Join(t.TempDir(), strings.Repeat("a", 120))
		p := exampletest.Start(t, bin, "-unix", long)
		code, _ := p.Wait(t)
		require.Equal(t, 1, code, p.Out.String())
		require.Contains(t, p.Out.String(), "a Unix socket path holds at most")
	})
}

// TestUnixIdleClientAtShutdown: a client that stays connected and quiet is
// closed gracefully once a shutdown begins, over a Unix socket too.
func TestUnixIdleClientAtShutdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "echo.sock")
	cfg := config{unix: path, serve: true, grace: time.Minute, quiet: 50 * time.Millisecond}
	out, stop := exampletest.Run(t, func(ctx context.Context, out io.Writer) error { return run(ctx, cfg, out) })
	out.Next(t, "still serving")
	c, err := net.Dial("unix", path)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write([]byte("ping"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, 4))
	require.NoError(t, err)
	errs := make(chan error, 1)
	go func() { errs <- stop() }()
	_, err = c.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, testutil.Recv(t, errs, "run to return"))
	require.NoFileExists(t, path)
}
