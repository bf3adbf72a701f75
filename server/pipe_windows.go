package server

import (
	"errors"
	"io/fs"
	"net"
	"os"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/pipepath"
)

// socketModes is false: on Windows a socket file's ACL, inherited from its
// directory, decides who connects; WithSocketMode is refused.
const socketModes = false

// bindPipe makes a listening Unix socket at p with Go's net package, which
// removes the file on close itself only when told (it is not: the
// pipeListener does, if the file is still its own).
func bindPipe(p pipepath.Path, st *core.Settings) (net.Listener, error) {
	if st.BacklogSet {
		return nil, errors.New("asyncnet: server.WithBacklog is not supported on Windows")
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: p.Name, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	var made fs.FileInfo
	if made, err = os.Lstat(p.Name); err != nil {
		_ = ln.Close()
		return nil, err
	}
	return &pipeListener{Listener: ln, path: p.Name, made: made}, nil
}
