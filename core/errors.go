package core

import (
	"errors"
	"fmt"
)

// ErrInvalidArgument is matched (with errors.Is) by every error a call
// returns for a bad argument or an option that does not apply.
var ErrInvalidArgument = errors.New("asyncnet: invalid argument")

// ErrLoopNotRunning is returned by calls that need a running Loop when the
// Loop has not started, or has exited. cl-async signals "Event loop not
// running" in the same place.
var ErrLoopNotRunning = errors.New("asyncnet: event loop not running")

// ErrReadBufferFull is matched by the condition of a socket closed because
// more bytes arrived than WithMaxReadBuffer allows to keep unread (while
// reading is disabled, or a stream does not read them).
var ErrReadBufferFull = errors.New("asyncnet: read buffer full")

// ErrWriteBufferFull is matched by the error of a Write that would take a
// socket's unsent bytes past WithMaxWriteBuffer, and by the condition of a
// socket closed for it (see WithWriteOverflow).
var ErrWriteBufferFull = errors.New("asyncnet: write buffer full")

// ErrInReactor is returned by a call that waits (Loop.Run, Loop.Wait,
// Loop.Shutdown, the blocking methods of stream.Conn, ...) when it is made
// on one of the Loop's reactors, inside a callback: waiting there would
// stall every socket of that reactor, or wait for itself.
var ErrInReactor = errors.New("asyncnet: blocking call inside a callback")

// ArgError reports a bad argument to a call: which call, which argument, and
// what is wrong with it. It matches ErrInvalidArgument.
type ArgError struct {
	Call   string // the function or method, e.g. "client.TCPConnect"
	Arg    string // the argument or option, e.g. "addr"
	Reason string // what is wrong
}

// Error returns "asyncnet: <call>: <arg>: <reason>".
func (e *ArgError) Error() string {
	return fmt.Sprintf("asyncnet: %s: %s: %s", e.Call, e.Arg, e.Reason)
}

// Is reports whether target is ErrInvalidArgument.
func (e *ArgError) Is(target error) bool { return target == ErrInvalidArgument }

// PanicError is a panic recovered from a callback. Without
// WithCatchAppErrors, Loop.Run returns it; with it, the socket's event
// callback receives a conditions.EventError that wraps it.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the stack of the panicking goroutine
}

// Error returns "asyncnet: callback panicked: " and the panic value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("asyncnet: callback panicked: %v", e.Value)
}

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// zeroSocket is the error of a method called on a zero or nil Socket.
func zeroSocket(call string) error {
	return &ArgError{Call: call, Arg: "s", Reason: "zero Socket (sockets come from the entry points of client and server)"}
}

// zeroLoop is the error of a method called on a zero or nil Loop.
func zeroLoop(call string) error {
	return &ArgError{Call: call, Arg: "l", Reason: "zero Loop (make it with core.NewLoop or run core.StartEventLoop)"}
}
