package conditions_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/conditions"
)

var allKinds = []*conditions.Kind{
	conditions.EventInfo, conditions.EventError, conditions.TCPInfo, conditions.TCPError,
	conditions.TCPEOF, conditions.TCPTimeout, conditions.TCPRefused, conditions.TCPReset,
	conditions.TCPAcceptError, conditions.SocketClosed, conditions.TCPServerBindError,
	conditions.DNSError,
}

func TestHierarchy(t *testing.T) {
	for _, k := range allKinds {
		require.ErrorIs(t, k, conditions.EventInfo, "%s must be an event-info", k.Name())
		require.ErrorIs(t, k, k)
	}
	tcpErrors := []*conditions.Kind{
		conditions.TCPTimeout, conditions.TCPRefused, conditions.TCPReset,
		conditions.TCPAcceptError, conditions.SocketClosed, conditions.TCPServerBindError,
	}
	for _, k := range tcpErrors {
		require.ErrorIs(t, k, conditions.TCPError, k.Name())
		require.ErrorIs(t, k, conditions.TCPInfo, k.Name())
		require.ErrorIs(t, k, conditions.EventError, k.Name())
	}
	require.ErrorIs(t, conditions.TCPEOF, conditions.TCPInfo)
	require.NotErrorIs(t, conditions.TCPEOF, conditions.TCPError, "EOF is not an error")
	require.NotErrorIs(t, conditions.TCPEOF, conditions.EventError)
	require.ErrorIs(t, conditions.DNSError, conditions.EventError)
	require.NotErrorIs(t, conditions.TCPTimeout, conditions.TCPRefused)
	require.NotErrorIs(t, conditions.TCPError, conditions.TCPTimeout, "a parent is not its child")
}

func TestStdlibInterop(t *testing.T) {
	tests := []struct {
		kind *conditions.Kind
		std  error
	}{
		{kind: conditions.TCPEOF, std: io.EOF},
		{kind: conditions.TCPTimeout, std: os.ErrDeadlineExceeded},
		{kind: conditions.TCPRefused, std: syscall.ECONNREFUSED},
		{kind: conditions.TCPReset, std: syscall.ECONNRESET},
		{kind: conditions.SocketClosed, std: net.ErrClosed},
	}
	for _, tc := range tests {
		ev := conditions.New(tc.kind, "read", "127.0.0.1:1", nil)
		require.ErrorIs(t, ev, tc.std, tc.kind.Name())
		require.ErrorIs(t, ev, tc.kind)
		for _, other := range tests {
			if other.kind != tc.kind {
				require.NotErrorIs(t, ev, other.std, "%s must not match %v", tc.kind.Name(), other.std)
			}
		}
	}
}

func TestTimeoutIsNetError(t *testing.T) {
	var ev error = conditions.New(conditions.TCPTimeout, "read", "127.0.0.1:80", nil)
	var ne net.Error
	require.ErrorAs(t, ev, &ne)
	require.True(t, ne.Timeout())
	require.False(t, conditions.New(conditions.TCPReset, "read", "x:1", nil).Timeout())
}

func TestMessageAndUnwrap(t *testing.T) {
	cause := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	ev := conditions.Classify("connect", "127.0.0.1:9", cause)
	require.Same(t, conditions.TCPRefused, ev.Kind)
	require.Equal(t, "asyncnet: connect 127.0.0.1:9: connection refused", ev.Error())
	require.ErrorIs(t, ev, syscall.ECONNREFUSED)
	var op *net.OpError
	require.ErrorAs(t, ev, &op, "unwraps to the OS error chain")

	bare := conditions.New(conditions.TCPEOF, "read", "10.0.0.1:5", nil)
	require.Equal(t, "asyncnet: read 10.0.0.1:5: connection closed by peer", bare.Error())
	require.Equal(t, "asyncnet: lookup nosuch.example: no such host",
		conditions.Classify("lookup", "nosuch.example", &net.DNSError{Err: "no such host", Name: "nosuch.example", IsNotFound: true}).Error())
	require.Equal(t, "asyncnet: tcp-timeout", conditions.TCPTimeout.Error())
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want *conditions.Kind
	}{
		{name: "eof", err: os.NewSyscallError("read", io.EOF), want: conditions.TCPEOF},
		{name: "refused", err: syscall.ECONNREFUSED, want: conditions.TCPRefused},
		{name: "reset", err: os.NewSyscallError("read", syscall.ECONNRESET), want: conditions.TCPReset},
		{name: "broken pipe", err: os.NewSyscallError("write", syscall.EPIPE), want: conditions.TCPReset},
		{name: "ctx deadline", err: fmt.Errorf("dial: %w", context.DeadlineExceeded), want: conditions.TCPTimeout},
		{name: "etimedout", err: syscall.ETIMEDOUT, want: conditions.TCPTimeout},
		{name: "dns", err: &net.DNSError{Err: "no such host", IsNotFound: true}, want: conditions.DNSError},
		{name: "dns timeout", err: &net.DNSError{Err: "i/o timeout", IsTimeout: true}, want: conditions.TCPTimeout},
		{name: "closed", err: net.ErrClosed, want: conditions.SocketClosed},
		{name: "other", err: syscall.EHOSTUNREACH, want: conditions.TCPError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := conditions.Classify("op", "a:1", tc.err)
			require.Same(t, tc.want, ev.Kind)
			require.ErrorIs(t, ev, tc.err)
		})
	}
	require.Nil(t, conditions.Classify("op", "a:1", nil))
	pre := conditions.New(conditions.TCPAcceptError, "accept", "", nil)
	require.Same(t, pre, conditions.Classify("read", "x:1", fmt.Errorf("wrapped: %w", pre)), "an *Error passes through")
}

func ExampleError() {
	ev := conditions.Classify("connect", "127.0.0.1:9", syscall.ECONNREFUSED)
	fmt.Println(ev)
	fmt.Println(errors.Is(ev, conditions.TCPRefused), errors.Is(ev, conditions.TCPError), errors.Is(ev, syscall.ECONNREFUSED))
	// Output:
	// asyncnet: connect 127.0.0.1:9: connection refused
	// true true true
}
