// Package testutil holds helpers for asyncnet's tests: running a Loop with a
// bound, waiting on events, checking for leaked goroutines, and loopback
// peers.
package testutil

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

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

// Runner runs a package's tests and returns the exit code: *testing.M, or
// a wrapper that does something after them.
type Runner interface{ Run() int }

// Main runs the tests of a package, then fails the run if they left
// goroutines behind (go.uber.org/goleak finds them). Call it from TestMain.
func Main(m Runner) {
	code := m.Run()
	if code == 0 {
		if err := leaked(); err != nil {
			os.Stderr.WriteString("testutil: goroutines leaked by the tests: " + err.Error() + "\n")
			code = 1
		}
	}
	os.Exit(code)
}

// background are goroutines that outlive the tests by design: gnet's
// process-wide worker pool (ants), whose idle workers expire on their own.
var background = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/panjf2000/ants/v2.(*goWorker).run.func1"),
	goleak.IgnoreAnyFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
	goleak.IgnoreAnyFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
}

// leaked gives the goroutines of the tests up to Timeout to end (on a busy
// machine a Loop's goroutines take a moment to wind down after Run
// returns), then returns goleak's report of those still running, or nil.
func leaked() error {
	deadline := time.Now().Add(Timeout)
	for {
		err := goleak.Find(background...) // retries for a second or two itself
		if err == nil || time.Now().After(deadline) {
			return err
		}
	}
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

// Started starts a Loop with opts that stays up (core.WithStayRunning)
// until t ends; then it exits the Loop and fails t unless Wait returns nil.
func Started(t testing.TB, opts ...core.LoopOption) *core.Loop {
	t.Helper()
	l := core.NewLoop(append([]core.LoopOption{core.WithStayRunning()}, opts...)...)
	require.NoError(t, l.Start(nil))
	t.Cleanup(func() {
		l.Exit()
		require.NoError(t, l.Wait())
	})
	return l
}

// SocketPath returns a path for a Unix domain socket in a directory of
// t's own, removed when t ends.
func SocketPath(t testing.TB) string { return filepath.Join(t.TempDir(), "s.sock") }
