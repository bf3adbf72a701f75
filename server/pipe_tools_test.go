//go:build unix

package server_test

import (
	"bytes"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
)

// Programs nobody here wrote drive a PipeServer: socat and OpenBSD netcat
// connect to its socket, send their input, end their side, and print what
// came back.

// upper answers each read with its bytes in upper case.
func upper(s *core.Socket, data []byte) { _, _ = s.Write(bytes.ToUpper(data)) }

// toolInput is what the programs send: text, then 16 KiB of lower-case
// letters (less than a Unix socket's buffer: see
// TestPipeKnownEOFWithUnsentBytes for more).
func toolInput() []byte {
	return append([]byte("hello from a program\n"), bytes.Repeat([]byte("abcdefghijklmnop"), 1<<10)...)
}

func TestPipeServerWithTools(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, path string, input []byte) ([]byte, error)
	}{
		{name: "socat", run: func(t *testing.T, path string, input []byte) ([]byte, error) {
			socat := exampletest.Tool(t, "socat", "socat")
			return exampletest.RunTool(socat, input, "-t", "30", "STDIO", "UNIX-CONNECT:"+path)
		}},
		{name: "nc -U", run: func(t *testing.T, path string, input []byte) ([]byte, error) {
			nc := exampletest.Netcat(t)
			return exampletest.RunTool(nc, input, "-N", "-U", path)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := testutil.Started(t)
			path := testutil.SocketPath(t)
			_, err := server.PipeServer(l, path, upper)
			require.NoError(t, err)
			input := toolInput()
			got, err := tc.run(t, path, input)
			require.NoError(t, err)
			exampletest.RequireSame(t, bytes.ToUpper(input), got, "what "+tc.name+" got back")
		})
	}
}

// TestPipeServerStaleWithSocat: a socat killed while it listens leaves
// its socket file behind; a PipeServer replaces it, and socat connects to
// the new server.
func TestPipeServerStaleWithSocat(t *testing.T) {
	socat := exampletest.Tool(t, "socat", "socat")
	path := testutil.SocketPath(t)
	crashed := testutil.StartListening(t, socat, nil, "listening on", "-d", "-d", "UNIX-LISTEN:"+path, "STDIO")
	crashed.Kill(t) // SIGKILL: no cleanup
	fi, err := os.Lstat(path)
	require.NoError(t, err, "the killed socat left its socket file")
	require.Equal(t, fs.ModeSocket, fi.Mode().Type())

	l := testutil.Started(t)
	_, err = server.PipeServer(l, path, upper)
	require.NoError(t, err)
	got, err := exampletest.RunTool(socat, []byte("stale no more"), "-t", "30", "STDIO", "UNIX-CONNECT:"+path)
	require.NoError(t, err)
	require.Equal(t, "STALE NO MORE", string(got))
}
