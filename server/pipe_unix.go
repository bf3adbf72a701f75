//go:build unix

package server

import (
	"io/fs"
	"net"
	"os"
	"syscall"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/pipepath"
)

// socketModes: WithSocketMode applies here.
const socketModes = true

// bindPipe makes a listening Unix socket at p: socket, bind, the mode of
// WithSocketMode, then listen. Until listen the kernel refuses every
// connect, so no client ever connects under the umask's mode (a chmod after
// net.Listen would leave that window; changing the umask would change it
// for every goroutine of the process).
func bindPipe(p pipepath.Path, st *core.Settings) (net.Listener, error) {
	syscall.ForkLock.RLock() // no fork between socket and close-on-exec
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	var made fs.FileInfo
	fail := func(err error) (net.Listener, error) {
		_ = syscall.Close(fd)
		removeIfSame(p.Name, made)
		return nil, err
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: p.Name}); err != nil {
		return fail(os.NewSyscallError("bind", err))
	}
	if !p.Abstract {
		if made, err = os.Lstat(p.Name); err != nil {
			return fail(err)
		}
		if st.SocketFileMode != 0 {
			if err := os.Chmod(p.Name, fs.FileMode(st.SocketFileMode)); err != nil {
				return fail(err)
			}
		}
	}
	backlog := -1 // every kernel reads a negative backlog as its maximum (somaxconn)
	if st.BacklogSet {
		backlog = st.Backlog
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return fail(os.NewSyscallError("listen", err))
	}
	f := os.NewFile(uintptr(fd), "unix:"+p.Name)
	ln, err := net.FileListener(f) // a duplicate of fd, in Go's poller
	_ = f.Close()
	if err != nil {
		removeIfSame(p.Name, made)
		return nil, err
	}
	return &pipeListener{Listener: ln, path: p.Name, made: made}, nil
}
