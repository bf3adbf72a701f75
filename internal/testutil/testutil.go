// Package testutil holds helpers for asyncnet's tests: running a Loop with a
// bound, waiting on events, checking for leaked goroutines, and loopback
// peers.
package testutil

import (
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
)

// Timeout bounds every wait in the tests. It is generous because CI
// machines have two busy cores; a passing test never waits for it.
const Timeout = 30 * time.Second

// Run runs a new Loop with opts, calling start on it, and fails t unless
// Run returns nil within Timeout.
func Run(t testing.TB, start func(l *core.Loop), opts ...core.LoopOption) {
	t.Helper()
	require.NoError(t, RunErr(t, core.NewLoop(opts...), start))
}

// RunErr runs l, calling start on it, and returns Run's error. It fails t
// (after calling Exit) if Run does not return within Timeout.
func RunErr(t testing.TB, l *core.Loop, start func(l *core.Loop)) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.Run(start) }()
	select {
	case err := <-done:
		return err
	case <-time.After(Timeout):
		l.Exit()
		t.Log(Stacks())
		t.Fatalf("Loop.Run did not return within %v", Timeout)
		return nil
	}
}

// Recv returns the next value from ch, failing t after Timeout.
func Recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(Timeout):
		t.Log(Stacks())
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// Stacks returns the stacks of all goroutines.
func Stacks() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}

// WaitForStacks waits until at least n goroutines have a stack containing
// each of fns (such as a blocked call), failing t after Timeout.
func WaitForStacks(t testing.TB, n int, fns ...string) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		ok := true
		for _, fn := range fns {
			if strings.Count(Stacks(), fn) < n {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Log(Stacks())
			t.Fatalf("goroutines in %v did not show up", fns)
		}
		time.Sleep(time.Millisecond) // polling stacks: there is nothing to wait on
	}
}

// Main runs the tests of a package, then fails the run if they left
// goroutines behind. Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := leakedGoroutines(); leaked != "" {
			os.Stderr.WriteString("testutil: goroutines leaked by the tests:\n\n" + leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// background marks goroutines that outlive tests by design: the test
// runner's, the runtime's, and gnet's process-wide worker pool (ants), whose
// idle workers expire on their own.
var background = []string{
	"testing.(*M).", "testing.runTests", "testutil.leakedGoroutines", "testutil.Main",
	"runtime.goexit0", "os/signal.signal_recv", "runtime.ensureSigM",
	"panjf2000/ants/v2.",
}

// leakedGoroutines waits up to Timeout for the goroutines of the tests to
// end and returns the stacks of those still running.
func leakedGoroutines() string {
	deadline := time.Now().Add(Timeout)
	for {
		var leaked []string
		for _, g := range strings.Split(Stacks(), "\n\n") {
			if g == "" || isBackground(g) {
				continue
			}
			leaked = append(leaked, g)
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(50 * time.Millisecond) // polling for exits; nothing to wait on
	}
}

func isBackground(stack string) bool {
	for _, b := range background {
		if strings.Contains(stack, b) {
			return true
		}
	}
	return false
}

// RequireArgError fails t unless err is a *core.ArgError about arg (the
// argument or option name) that matches core.ErrInvalidArgument.
func RequireArgError(t testing.TB, err error, arg string, msgAndArgs ...any) {
	t.Helper()
	require.ErrorIs(t, err, core.ErrInvalidArgument, msgAndArgs...)
	var ae *core.ArgError
	require.ErrorAs(t, err, &ae, msgAndArgs...)
	require.Equal(t, arg, ae.Arg, msgAndArgs...)
}

// FreePort returns a loopback address nothing listens on (a port just
// released), for refused connections.
func FreePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
