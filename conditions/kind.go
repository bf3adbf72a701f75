package conditions

import (
	"io"
	"net"
	"os"
	"syscall"
)

// Kind is one condition class. The exported kinds below are the only ones;
// compare with [errors.Is], which follows the class hierarchy.
type Kind struct {
	name    string  // cl-async's name, e.g. "tcp-timeout"
	what    string  // default description for messages
	parents []*Kind // direct superclasses
	std     []error // standard-library errors this kind also matches
}

// The condition kinds, named after cl-async's condition classes. See the
// package documentation for the hierarchy.
var (
	// EventInfo is the root of every condition: "something happened".
	// Equivalent of cl-async's event-info.
	EventInfo = &Kind{name: "event-info", what: "event"}

	// EventError is a condition that is an error. Equivalent of cl-async's
	// event-error. A recovered callback panic (core.WithCatchAppErrors) is
	// delivered as an EventError.
	EventError = &Kind{name: "event-error", what: "error", parents: []*Kind{EventInfo}}

	// TCPInfo is the base of every TCP condition. Equivalent of cl-async's tcp-info.
	TCPInfo = &Kind{name: "tcp-info", what: "tcp event", parents: []*Kind{EventInfo}}

	// TCPError is a TCP condition that is an error; the socket is closed by
	// the time it is delivered. Equivalent of cl-async's tcp-error.
	TCPError = &Kind{name: "tcp-error", what: "tcp error", parents: []*Kind{EventError, TCPInfo}}

	// TCPEOF reports that the peer closed the connection. It is not an
	// error. Matches io.EOF. Equivalent of cl-async's tcp-eof.
	TCPEOF = &Kind{name: "tcp-eof", what: "connection closed by peer", parents: []*Kind{TCPInfo}, std: []error{io.EOF}}

	// TCPTimeout reports a dial, read or write timeout. Matches
	// os.ErrDeadlineExceeded, and the *Error is a net.Error whose Timeout
	// reports true. Equivalent of cl-async's tcp-timeout.
	TCPTimeout = &Kind{name: "tcp-timeout", what: "timed out", parents: []*Kind{TCPError}, std: []error{os.ErrDeadlineExceeded}}

	// TCPRefused reports that the peer refused the connection. Matches
	// syscall.ECONNREFUSED. Equivalent of cl-async's tcp-refused.
	TCPRefused = &Kind{name: "tcp-refused", what: "connection refused", parents: []*Kind{TCPError}, std: []error{syscall.ECONNREFUSED}}

	// TCPReset reports that the peer reset the connection. Matches
	// syscall.ECONNRESET. Equivalent of cl-async's tcp-reset.
	TCPReset = &Kind{name: "tcp-reset", what: "connection reset by peer", parents: []*Kind{TCPError}, std: []error{syscall.ECONNRESET}}

	// TCPAcceptError reports a failure to accept a connection; it goes to
	// the server's event callback with no socket. Equivalent of cl-async's
	// tcp-accept-error.
	TCPAcceptError = &Kind{name: "tcp-accept-error", what: "accept failed", parents: []*Kind{TCPError}}

	// SocketClosed is returned by an operation on a closed socket. Matches
	// net.ErrClosed. Equivalent of cl-async's socket-closed.
	SocketClosed = &Kind{name: "socket-closed", what: "use of closed socket", parents: []*Kind{TCPError}, std: []error{net.ErrClosed}}

	// TCPServerBindError is returned when a server cannot bind or listen;
	// it unwraps to the OS error (for example syscall.EADDRINUSE).
	// Equivalent of cl-async's tcp-server-bind-error.
	TCPServerBindError = &Kind{name: "tcp-server-bind-error", what: "bind failed", parents: []*Kind{TCPError}}

	// DNSError reports that a host name could not be resolved. Equivalent
	// of cl-async's dns-error.
	DNSError = &Kind{name: "dns-error", what: "lookup failed", parents: []*Kind{EventError}}
)

// Name returns cl-async's name for the kind, such as "tcp-timeout".
func (k *Kind) Name() string { return k.name }

// Error returns "asyncnet: " followed by the kind's name, so a Kind can be
// used directly as an error target.
func (k *Kind) Error() string { return "asyncnet: " + k.name }

// Is reports whether k is target or a subclass of it, or whether target is
// one of the standard-library errors k matches.
func (k *Kind) Is(target error) bool {
	if t, ok := target.(*Kind); ok {
		return k.isA(t)
	}
	for _, e := range k.std {
		if e == target {
			return true
		}
	}
	return false
}

// isA reports whether k is t or inherits from it.
func (k *Kind) isA(t *Kind) bool {
	if k == t {
		return true
	}
	for _, p := range k.parents {
		if p.isA(t) {
			return true
		}
	}
	return false
}
