package conditions

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// New returns a condition of kind k for op on addr, caused by err (which may
// be nil).
func New(k *Kind, op, addr string, err error) *Error {
	return &Error{Kind: k, Op: op, Addr: addr, Err: err}
}

// Classify turns an error from a network operation op on addr into the
// condition a cl-async program would see: io.EOF becomes TCPEOF, a refused
// connect TCPRefused, a reset TCPReset, any timeout TCPTimeout, a failed
// name lookup DNSError, and everything else TCPError. An *Error passes
// through unchanged; nil stays nil.
func Classify(op, addr string, err error) *Error {
	if err == nil {
		return nil
	}
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	return New(KindOf(err), op, addr, err)
}

// KindOf returns the condition kind that best describes err (TCPError when
// nothing more specific applies).
func KindOf(err error) *Kind {
	var dns *net.DNSError
	switch {
	case errors.Is(err, io.EOF):
		return TCPEOF
	case errors.Is(err, syscall.ECONNREFUSED):
		return TCPRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return TCPReset
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.Is(err, syscall.ETIMEDOUT):
		return TCPTimeout
	case errors.As(err, &dns):
		if dns.IsTimeout {
			return TCPTimeout
		}
		return DNSError
	case errors.Is(err, net.ErrClosed):
		return SocketClosed
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return TCPTimeout
	}
	return TCPError
}
