package conditions

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
)

// Error is a condition: what happened (Kind), during which operation, on
// which address and socket, and the underlying cause.
//
// It matches its Kind and the Kind's superclasses with [errors.Is], unwraps
// to Err, and is a [net.Error].
type Error struct {
	Kind   *Kind  // what happened; never nil
	Op     string // the operation: "connect", "read", "write", "listen", "accept", "lookup", ...
	Addr   string // "host:port", or the host name for a lookup; may be empty
	Socket any    // the *core.Socket it happened on, or nil; read it with core.TCPSocket
	Err    error  // the underlying cause, often an OS error; may be nil
}

// Error returns "asyncnet: <op> <addr>: <what happened>".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("asyncnet: ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteByte(' ')
	}
	if e.Addr != "" {
		b.WriteString(e.Addr)
		b.WriteByte(' ')
	}
	s := b.String()
	s = strings.TrimSuffix(s, " ")
	return s + ": " + e.describe()
}

// describe says what happened, preferring the most specific text of Err.
func (e *Error) describe() string {
	if e.Err == nil {
		return e.Kind.what
	}
	cause := e.Err
	// Strip the wrappers whose text would repeat the op and address.
	for {
		switch c := cause.(type) {
		case *net.OpError:
			if c.Err == nil {
				return c.Error()
			}
			cause = c.Err
		case *os.SyscallError:
			cause = c.Err
		case *net.DNSError:
			return c.Err
		default:
			if cause == io.EOF {
				return e.Kind.what
			}
			return strings.TrimPrefix(cause.Error(), "asyncnet: ")
		}
	}
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether e's Kind is target or a subclass of it, or matches the
// standard-library error target (see [Kind.Is]).
func (e *Error) Is(target error) bool { return e.Kind.Is(target) }

// Timeout reports whether the condition is a timeout. It makes *Error a
// [net.Error].
func (e *Error) Timeout() bool {
	if e.Kind.isA(TCPTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// Temporary reports the same as Timeout; it exists to satisfy [net.Error].
func (e *Error) Temporary() bool { return e.Timeout() }
