package testutil

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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

// Listening is a program started by StartListening: a server nobody here
// wrote, listening.
type Listening struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	stderr bytes.Buffer // what the program wrote after the line awaited
	cancel context.CancelFunc
	done   chan error
}

// StartListening starts the program path with args and stdin as its input,
// and returns once it has written a line containing ready on stderr (the
// "listening on" of socat -d -d, nc -v); it fails t if the program ends
// first. The program is given Timeout, and killed when t ends if still
// running.
func StartListening(t testing.TB, path string, stdin []byte, ready string, args ...string) *Listening {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	p := &Listening{cancel: cancel, done: make(chan error, 1)}
	p.cmd = exec.CommandContext(ctx, path, args...)
	p.cmd.Stdin = bytes.NewReader(stdin)
	p.cmd.Stdout = &p.stdout
	stderr, err := p.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	t.Cleanup(func() {
		cancel()
		<-p.done
	})
	lines := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		found := false
		for sc.Scan() {
			if !found && strings.Contains(sc.Text(), ready) {
				found = true
				lines <- true
				continue
			}
			if found {
				p.stderr.WriteString(sc.Text() + "\n")
			}
		}
		if !found {
			lines <- false
		}
		p.done <- p.cmd.Wait() // after the last read of stderr, as Wait requires
	}()
	require.True(t, Recv(t, lines, path+"'s "+strconv.Quote(ready)), "%s %s ended before it said %q", path, strings.Join(args, " "), ready)
	return p
}

// Wait waits for the program to end and returns what it wrote on stdout.
func (p *Listening) Wait() ([]byte, error) {
	err := <-p.done
	p.done <- err // for the cleanup's wait
	p.cancel()
	if err != nil {
		return p.stdout.Bytes(), fmt.Errorf("%s: %w (stderr: %q)", p.cmd.Path, err, p.stderr.String())
	}
	return p.stdout.Bytes(), nil
}

// Kill ends the program with SIGKILL, as a crash would (no cleanup), and
// waits for it to end.
func (p *Listening) Kill(t testing.TB) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Kill())
	err := <-p.done
	p.done <- err
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "the program was killed")
}
