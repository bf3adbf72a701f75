package exampletest

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

// Tool is testutil.Tool: the path of the program name, or t skipped.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	return testutil.Tool(t, name, debianPackage)
}

// Netcat is testutil.Netcat: OpenBSD's nc, or t skipped.
func Netcat(t testing.TB) string {
	t.Helper()
	return testutil.Netcat(t)
}

// RunTool is testutil.RunTool.
func RunTool(path string, stdin []byte, args ...string) ([]byte, error) {
	return testutil.RunTool(path, stdin, args...)
}

// Output runs the program path with args and stdin as its input, within
// testutil.Timeout, and returns what it printed on stdout. It fails t,
// with what the program printed on stderr, if the program fails.
func Output(t testing.TB, stdin, path string, args ...string) string {
	t.Helper()
	out, err := testutil.RunTool(path, []byte(stdin), args...)
	require.NoError(t, err, "stdout: %s", out)
	return string(out)
}

// SplitHostPort splits addr into its host and port, failing t if it
// cannot.
func SplitHostPort(t testing.TB, addr string) (host, port string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	return host, port
}

// RedisCLI returns a function that runs redis-cli against the server at
// addr with the given arguments and returns what it printed (as it prints
// replies when its output is not a terminal), without the final newlines.
// It skips t if redis-cli is not installed.
func RedisCLI(t testing.TB, addr string) func(args ...string) string {
	t.Helper()
	cli := Tool(t, "redis-cli", "redis-tools")
	host, port := SplitHostPort(t, addr)
	return func(args ...string) string {
		t.Helper()
		out := Output(t, "", cli, append([]string{"-h", host, "-p", port}, args...)...)
		return strings.TrimRight(out, "\n")
	}
}
