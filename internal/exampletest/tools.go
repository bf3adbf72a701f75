package exampletest

import (
	"testing"

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
