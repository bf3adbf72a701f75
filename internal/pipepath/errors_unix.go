//go:build unix

package pipepath

import (
	"errors"
	"syscall"
)

// InUse reports whether err says that an address is taken.
func InUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

// Refused reports whether err, from connecting to a socket path, says
// that no server listens there: the connection was refused (a socket file
// with no listener, or a file that is not a socket), or the path does not
// exist.
func Refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}
