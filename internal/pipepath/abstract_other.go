//go:build !linux

package pipepath

// AbstractSupported is false: abstract sockets are Linux's; elsewhere a
// path starting with "@" would be a file in the working directory, which is
// better written "./@name".
const AbstractSupported = false
