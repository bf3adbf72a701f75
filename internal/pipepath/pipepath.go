// Package pipepath checks the path of a Unix domain socket given to
// server.PipeServer or client.PipeConnect, once, at the call: a path the
// kernel cannot take (empty, too long for sun_path, with a NUL byte) is a
// clear error at once rather than an EINVAL from bind or connect later.
package pipepath

import (
	"fmt"
	"strings"
	"syscall"
)

// Path is a checked socket path.
type Path struct {
	Name     string // as given: a file path, or "@name" for an abstract socket
	Abstract bool   // a Linux abstract socket: no file, no permissions, never stale
}

// SunPath is the size of sun_path, the field of struct sockaddr_un that
// holds the path: 108 bytes on Linux and Windows, 104 on macOS and the
// BSDs.
var SunPath = len(syscall.RawSockaddrUnix{}.Path)

// MaxLen is the longest path a socket file can have: SunPath less the NUL
// that ends the path. An abstract name ("@name") may use all of SunPath:
// its "@" stands for a leading NUL and it has no terminating one.
var MaxLen = SunPath - 1

// Parse checks path. The error says what is wrong, for an ArgError.
func Parse(path string) (Path, error) {
	p := Path{Name: path, Abstract: strings.HasPrefix(path, "@")}
	switch {
	case path == "":
		return p, fmt.Errorf("empty path")
	case strings.IndexByte(path, 0) >= 0:
		return p, fmt.Errorf("path %q contains a NUL byte", path)
	case p.Abstract && !AbstractSupported:
		return p, fmt.Errorf("abstract socket names (%q) exist only on Linux; write %q for a file of that name", path, "./"+path)
	case p.Abstract && len(path) == 1:
		return p, fmt.Errorf("empty abstract socket name %q", path)
	case p.Abstract && len(path) > SunPath:
		return p, fmt.Errorf("abstract name is %d bytes; it holds at most %d (sun_path, the \"@\" included)", len(path), SunPath)
	case !p.Abstract && len(path) > MaxLen:
		return p, fmt.Errorf("path is %d bytes; a Unix socket path holds at most %d (sun_path is %d bytes, the last a NUL): use a shorter or relative path", len(path), MaxLen, SunPath)
	}
	return p, nil
}
