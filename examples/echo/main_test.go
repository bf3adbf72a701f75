package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

func TestDemo(t *testing.T) {
	var out testutil.LockedBuffer
	require.NoError(t, run("127.0.0.1:0", false, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 6, out.String())
	require.Contains(t, lines[0], "echo server on 127.0.0.1:")
	require.Contains(t, lines[1], "client: connected to 127.0.0.1:")
	require.Equal(t, []string{`client: got "hello"`, `client: got "from"`, `client: got "asyncnet"`}, lines[2:5])
	require.Contains(t, lines[5], "connection closed by peer")
}
