package exampletest

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/testutil"
)

// Run runs an example's run function (its configuration bound) in this
// process, with a context that stop cancels, and returns its output. stop
// cancels the context and returns run's error (waiting up to
// testutil.Timeout); it may be called more than once. If the test ends
// without calling it, it is called then.
func Run(t testing.TB, run func(ctx context.Context, out io.Writer) error) (out *Lines, stop func() error) {
	t.Helper()
	out = &Lines{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, out) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = testutil.Recv(t, done, "run to return")
		})
		return err
	}
	t.Cleanup(func() { _ = stop() }) // a test that did not stop it has failed already
	return out, stop
}

// Serve is Run for a test that only needs the example running: when the
// test ends, run must return nil.
func Serve(t testing.TB, run func(ctx context.Context, out io.Writer) error) *Lines {
	t.Helper()
	out, stop := Run(t, run)
	t.Cleanup(func() { require.NoError(t, stop(), out.String()) })
	return out
}

// DialTCP returns a function that opens a TCP connection to addr, for
// StartEchoClients.
func DialTCP(addr string) func() (HalfCloser, error) {
	return func() (HalfCloser, error) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		return c.(*net.TCPConn), nil
	}
}
