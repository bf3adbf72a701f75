// Package exampletest holds helpers for the tests of asyncnet's examples:
// building an example and running it as a program, waiting on what it
// prints, moving bytes through it and checking them, and driving it with
// real programs (nc, socat). The examples themselves never import it.
package exampletest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

// builds are the programs Build and BuildPackage made, once per test
// binary and package, in one temporary directory.
var builds struct {
	mu    sync.Mutex
	dir   string // removed by Main
	paths map[string]string
}

// Main runs the tests of an example's package (see testutil.Main), then
// removes the programs Build made. Call it from TestMain.
func Main(m *testing.M) { testutil.Main(cleanup{m}) }

// cleanup runs the tests, then removes the build directory.
type cleanup struct{ m *testing.M }

func (c cleanup) Run() int {
	code := c.m.Run()
	if builds.dir != "" {
		_ = os.RemoveAll(builds.dir) // a temporary directory: nothing to report
	}
	return code
}

// Build builds the example under test (the main package in the current
// directory, which is the package's own while its tests run) and returns
// the program's path. It builds once per test binary, with the race
// detector when the tests have it, so that the program is checked too.
func Build(t testing.TB) string {
	t.Helper()
	return BuildPackage(t, ".")
}

// BuildPackage is Build for the main package pkg (an import path, or a
// directory relative to the test's package): examples/cluster's tests
// build examples/resp, which they run several of.
func BuildPackage(t testing.TB, pkg string) string {
	t.Helper()
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if path, ok := builds.paths[pkg]; ok {
		return path
	}
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command is not in PATH")
	if builds.dir == "" {
		builds.dir, err = os.MkdirTemp("", "asyncnet-example-")
		require.NoError(t, err)
		builds.paths = map[string]string{}
	}
	path := filepath.Join(builds.dir, "example"+strconv.Itoa(len(builds.paths)))
	args := []string{"build", "-o", path}
	if raceEnabled {
		args = append(args, "-race")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, append(args, pkg)...).CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, out)
	builds.paths[pkg] = path
	return path
}

// Proc is an example running as a program; Out has what it prints on
// stdout and stderr.
type Proc struct {
	Out    *Lines
	cmd    *exec.Cmd
	exited chan struct{} // closed when the program has exited
	err    error         // cmd.Wait's error, once exited is closed
	start  time.Time
}

// Start starts the program at path with args. The program is killed when
// the test ends, if it is still running.
func Start(t testing.TB, path string, args ...string) *Proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testutil.Timeout)
	p := &Proc{Out: &Lines{}, exited: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, path, args...)
	p.cmd.Stdout = p.Out // one writer for both: exec writes it from one goroutine at a time
	p.cmd.Stderr = p.Out
	require.NoError(t, p.cmd.Start())
	p.start = time.Now()
	go func() {
		p.err = p.cmd.Wait()
		p.Out.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cancel() // kills the program if it still runs
		<-p.exited
	})
	return p
}

// Signal sends sig to the program.
func (p *Proc) Signal(t testing.TB, sig os.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
}

// Wait waits for the program to exit and returns its exit status and how
// long after it started it exited. It fails t if the program does not exit
// within testutil.Timeout, or was killed by a signal.
func (p *Proc) Wait(t testing.TB) (code int, ran time.Duration) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(testutil.Timeout):
		t.Fatalf("the program did not exit within %v; it printed:\n%s", testutil.Timeout, p.Out.String())
	}
	ran = time.Since(p.start)
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("the program was killed by %v; it printed:\n%s", ws.Signal(), p.Out.String())
		}
		return ee.ExitCode(), ran
	}
	require.NoError(t, p.err, "the program could not run")
	return 0, ran
}

// Kill kills the program with SIGKILL, as a crash would end it, and waits
// for it to be gone.
func (p *Proc) Kill(t testing.TB) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Kill())
	select {
	case <-p.exited:
	case <-time.After(testutil.Timeout):
		t.Fatalf("the program did not die within %v", testutil.Timeout)
	}
}
