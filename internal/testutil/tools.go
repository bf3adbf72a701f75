package testutil

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// Tool returns the path of the program name, or skips t, naming the
// program and the Debian package that `make deps` installs it from.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed (make deps installs it, from Debian's %s package): skipping", name, debianPackage)
	}
	return path
}

// Netcat returns the path of OpenBSD's nc, or skips t: the tests need its
// -N (shut the socket's write side at the end of the input), which other
// netcats lack.
func Netcat(t testing.TB) string {
	t.Helper()
	path := Tool(t, "nc", "netcat-openbsd")
	help, _ := exec.Command(path, "-h").CombinedOutput() // it exits 1 after the usage
	if !bytes.Contains(help, []byte("OpenBSD")) {
		t.Skipf("%s is not OpenBSD netcat (make deps installs netcat-openbsd): skipping", path)
	}
	return path
}

// RunTool runs the program path with args, stdin as its input, and returns
// what it wrote on stdout. It gives the program Timeout.
func RunTool(path string, stdin []byte, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("%s %s: %w (stderr: %q)", path, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}
