package pipepath

import (
	"errors"
	"syscall"
)

// Winsock's codes: Go's syscall.EADDRINUSE and syscall.ECONNREFUSED are
// values of its own on Windows, which Winsock errors never match.
const (
	wsaEADDRINUSE   syscall.Errno = 10048
	wsaECONNREFUSED syscall.Errno = 10061
	errFileNotFound syscall.Errno = 2 // ERROR_FILE_NOT_FOUND
	errPathNotFound syscall.Errno = 3 // ERROR_PATH_NOT_FOUND
)

// InUse reports whether err says that an address is taken.
func InUse(err error) bool {
	return errors.Is(err, wsaEADDRINUSE) || errors.Is(err, syscall.EADDRINUSE)
}

// Refused reports whether err, from connecting to a socket path, says
// that no server listens there: the connection was refused, or the path
// does not exist.
func Refused(err error) bool {
	for _, e := range []error{wsaECONNREFUSED, syscall.ECONNREFUSED, errFileNotFound, errPathNotFound, syscall.ENOENT} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
