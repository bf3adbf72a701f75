//go:build unix

package server_test

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// umask returns the process's umask, read where the kernel shows it
// without changing it (Linux's /proc), or skips t.
func umask(t *testing.T) fs.FileMode {
	t.Helper()
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("cannot read the umask without changing it: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32)
			require.NoError(t, err)
			return fs.FileMode(m)
		}
	}
	t.Skip("this kernel does not show the umask in /proc/self/status")
	return 0
}

// TestPipeServerSocketMode: the socket file has the umask's mode, or
// WithSocketMode's, which may be wider than the umask allows.
func TestPipeServerSocketMode(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []server.Option
		want func(t *testing.T) fs.FileMode
	}{
		{name: "umask", want: func(t *testing.T) fs.FileMode { return 0o777 &^ umask(t) }},
		{name: "0600", opts: []server.Option{server.WithSocketMode(0o600)}, want: func(*testing.T) fs.FileMode { return 0o600 }},
		{name: "0666", opts: []server.Option{server.WithSocketMode(0o666)}, want: func(*testing.T) fs.FileMode { return 0o666 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want(t)
			l := testutil.Started(t)
			path := testutil.SocketPath(t)
			_, err := server.PipeServer(l, path, echo, tc.opts...)
			require.NoError(t, err)
			fi, err := os.Lstat(path)
			require.NoError(t, err)
			require.Equal(t, fs.ModeSocket, fi.Mode().Type())
			require.Equal(t, want, fi.Mode().Perm())
		})
	}
}

// TestPipeServerPermissions: on Linux, connecting needs write permission
// on the socket file and search permission on its directories. Run as
// root (who passes every check), it has socat connect as nobody; run as
// another user, it checks that the owner without write permission is
// refused.
func TestPipeServerPermissions(t *testing.T) {
	if os.Geteuid() != 0 {
		l := testutil.Started(t)
		path := testutil.SocketPath(t)
		_, err := server.PipeServer(l, path, echo, server.WithSocketMode(0o500))
		require.NoError(t, err)
		_, err = net.Dial("unix", path)
		require.ErrorIs(t, err, syscall.EACCES, "no write permission, no connect")
		return
	}
	socat := exampletest.Tool(t, "socat", "socat")
	const nobody = 65534
	// asNobody connects as nobody and returns what came back.
	asNobody := func(path string) (string, error) {
		cmd := exec.Command(socat, "-t", "30", "STDIO", "UNIX-CONNECT:"+path)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		cmd.Stdin = strings.NewReader("knock")
		out, err := cmd.Output()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = errors.New(string(ee.Stderr))
		}
		return string(out), err
	}
	dir := t.TempDir() // 0700, and so is its parent: nobody cannot reach in
	l := testutil.Started(t)
	open := filepath.Join(dir, "open.sock")
	_, err := server.PipeServer(l, open, echo, server.WithSocketMode(0o666))
	require.NoError(t, err)
	closed := filepath.Join(dir, "closed.sock")
	_, err = server.PipeServer(l, closed, echo, server.WithSocketMode(0o600))
	require.NoError(t, err)

	_, err = asNobody(open)
	require.ErrorContains(t, err, "Permission denied", "a 0700 directory guards even a 0666 socket")

	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	got, err := asNobody(open)
	require.NoError(t, err, "a 0666 socket in a searchable directory lets anyone in")
	require.Equal(t, "knock", got)
	_, err = asNobody(closed)
	require.ErrorContains(t, err, "Permission denied", "a 0600 socket lets only its owner in")
}
