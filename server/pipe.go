package server

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/pipepath"
	"github.com/asyncnet/asyncnet/stream"
)

// PipeServer listens on the Unix domain socket at path and serves it on l,
// as TCPServer serves a TCP address: every accepted connection becomes a
// socket whose bytes go to onRead, after the OnConnect callback, with the
// same callbacks, timeouts, write caps, half-close and Shutdown. It is the
// equivalent of cl-async's pipe-server. Addr reports path.
//
// path is a file path, at most pipepath.MaxLen bytes (107 on Linux, 103 on
// macOS and the BSDs: sun_path less its NUL); a relative path is relative
// to the working directory. On Linux, "@name" is an abstract socket: no
// file, so no stale file and no permissions — any process in the same
// network namespace may connect. A bad path is a *core.ArgError naming
// "path", at the call.
//
// If a file is at path already, PipeServer replaces it only if it is a
// socket with no listener behind it (a stale file, left by a server that
// crashed): it finds out by connecting to it. It never takes over a socket
// a server listens on, and never removes a file that is not a socket.
// Those, a missing directory, and any other failure to bind return at once
// an error matching conditions.TCPServerBindError and the OS error
// (syscall.EADDRINUSE for a path taken, syscall.ENOENT for a missing
// directory, syscall.EACCES for a directory it may not write to).
//
// The socket file gets the mode the process's umask leaves (0777 &^
// umask), unless WithSocketMode sets it; on Linux, connecting needs write
// permission on the file and search permission on every directory above
// it, and a directory of mode 0700 is the surest guard. The server removes
// its socket file when it closes (Close, Shutdown, the Loop's Exit), if the
// file is still the one it made; after a crash the file stays, and the
// next PipeServer on that path replaces it.
//
// The options are TCPServer's, and WithSocketMode; core.WithTCPKeepAlive
// and WithReusePort do not apply to a Unix socket and are errors. Safe to
// call from any goroutine while l runs.
func PipeServer(l *core.Loop, path string, onRead core.ReadFunc, opts ...Option) (*Server, error) {
	const call = "server.PipeServer"
	if onRead == nil {
		return nil, &core.ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	p, st, err := resolvePipe(call, l, path, opts)
	if err != nil {
		return nil, err
	}
	return servePipe(l, p, onRead, st)
}

// PipeServerStream is PipeServer with :stream t, as TCPServerStream is
// TCPServer's: onRead gets each accepted socket's stream and is only a
// notification, the bytes staying in the socket's input buffer until the
// stream reads them (core.WithDontDrainReadBuffer is implied). It is the
// equivalent of cl-async's (pipe-server ... :stream t). Safe to call from
// any goroutine while l runs.
func PipeServerStream(l *core.Loop, path string, onRead stream.ReadFunc, opts ...Option) (*Server, error) {
	const call = "server.PipeServerStream"
	if onRead == nil {
		return nil, &core.ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	p, st, err := resolvePipe(call, l, path, opts)
	if err != nil {
		return nil, err
	}
	streamSettings(st, onRead)
	return servePipe(l, p, func(*core.Socket, []byte) {}, st)
}

// resolvePipe checks the arguments of a pipe server.
func resolvePipe(call string, l *core.Loop, path string, opts []Option) (pipepath.Path, *core.Settings, error) {
	if l == nil {
		return pipepath.Path{}, nil, &core.ArgError{Call: call, Arg: "l", Reason: "nil Loop"}
	}
	p, err := pipepath.Parse(path)
	if err != nil {
		return p, nil, &core.ArgError{Call: call, Arg: "path", Reason: err.Error()}
	}
	st, err := core.ResolveServer(call, opts)
	if err != nil {
		return p, nil, err
	}
	return p, st, checkPipeSettings(call, p, st)
}

// servePipe listens on p and serves it on l with the settings st.
func servePipe(l *core.Loop, p pipepath.Path, onRead core.ReadFunc, st *core.Settings) (*Server, error) {
	path := p.Name
	ln, err := listenPipe(p, st)
	if err != nil {
		return nil, conditions.New(conditions.TCPServerBindError, "listen", path, err)
	}
	srv, err := l.ServeWith(ln, onRead, st)
	if err != nil {
		return nil, errors.Join(err, ln.Close())
	}
	return srv, nil
}

// WithSocketMode sets the permission bits of a PipeServer's socket file
// (on Linux, a client needs write permission to connect), instead of the
// mode the umask leaves: WithSocketMode(0o660) lets the owner and the
// file's group connect. The mode is set after bind and before listen, so
// that no connection is ever accepted under another mode (until listen,
// the kernel refuses every connect). mode holds permission bits only, and
// not 0. It applies to PipeServer only, not to an abstract socket (which
// has no file), and not on Windows, where the file's ACL, inherited from
// its directory, decides.
func WithSocketMode(mode os.FileMode) Option {
	return core.NewServerOption("server.WithSocketMode", func(st *core.Settings) error {
		switch {
		case mode&^fs.ModePerm != 0:
			return fmt.Errorf("mode %v has bits other than permissions (0o777)", mode)
		case mode == 0:
			return fmt.Errorf("mode 0 lets nobody but root connect; leave the option out for the umask's mode")
		}
		st.SocketFileMode = uint32(mode)
		return nil
	})
}

// checkPipeSettings rejects the options a Unix socket server cannot honour.
func checkPipeSettings(call string, p pipepath.Path, st *core.Settings) error {
	switch {
	case st.KeepAlive != 0:
		return &core.ArgError{Call: call, Arg: "core.WithTCPKeepAlive", Reason: "TCP keepalive does not apply to a Unix socket"}
	case st.ReusePort:
		return &core.ArgError{Call: call, Arg: "server.WithReusePort", Reason: "SO_REUSEPORT does not apply to a Unix socket"}
	case st.SocketFileMode != 0 && p.Abstract:
		return &core.ArgError{Call: call, Arg: "server.WithSocketMode", Reason: "an abstract socket has no file, hence no mode"}
	case st.SocketFileMode != 0 && !socketModes:
		return &core.ArgError{Call: call, Arg: "server.WithSocketMode", Reason: "not supported on this platform (the directory's ACL decides)"}
	}
	return nil
}

// pipeAttempts bounds the rounds of bind, probe and removal of one
// PipeServer. A second round binds after a stale file was removed; if
// another server bound the path in between, the next probe finds it live.
const pipeAttempts = 3

// probeTimeout bounds the connect that tells a stale socket file from a
// live one. Connecting to a Unix socket does not wait for the server's
// accept: it answers at once, unless the machine is starved.
const probeTimeout = 5 * time.Second

// listenPipe binds and listens on p, replacing a stale socket file.
func listenPipe(p pipepath.Path, st *core.Settings) (net.Listener, error) {
	for i := 1; ; i++ {
		ln, err := bindPipe(p, st)
		if err == nil || p.Abstract || !pipepath.InUse(err) || i == pipeAttempts {
			return ln, err
		}
		if err := removeStale(p.Name); err != nil {
			return nil, err
		}
	}
}

// removeStale removes the socket file at path if no server listens on it.
// It returns nil when the path is free to bind (the file removed, or gone
// by itself), and an error matching syscall.EADDRINUSE when the file is
// not a socket, or is live, or its state cannot be told.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return &inUseError{reason: describeFile(fi) + " is there, not a socket (not removed)"}
	}
	c, err := net.DialTimeout("unix", path, probeTimeout)
	if err == nil {
		_ = c.Close()
		return &inUseError{reason: "a server is listening on it"}
	}
	if !pipepath.Refused(err) {
		return &inUseError{reason: "cannot tell whether a server listens on it", err: err}
	}
	again, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !os.SameFile(fi, again):
		return nil // replaced since the probe: bind, and probe again if it is taken
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// describeFile names the type of a file, for an error message.
func describeFile(fi fs.FileInfo) string {
	switch t := fi.Mode().Type(); {
	case t == 0:
		return "a regular file"
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case t&fs.ModeDevice != 0:
		return "a device"
	default:
		return fmt.Sprintf("a file of mode %v", fi.Mode())
	}
}

// inUseError says why a socket path is taken. It matches
// syscall.EADDRINUSE, and err, the probe's error, if any.
type inUseError struct {
	reason string
	err    error
}

func (e *inUseError) Error() string {
	if e.err != nil {
		return fmt.Sprintf("%s (%v): %v", e.reason, e.err, syscall.EADDRINUSE)
	}
	return fmt.Sprintf("%s: %v", e.reason, syscall.EADDRINUSE)
}

func (e *inUseError) Unwrap() []error {
	if e.err != nil {
		return []error{syscall.EADDRINUSE, e.err}
	}
	return []error{syscall.EADDRINUSE}
}

// pipeListener is the listener of a PipeServer: closing it removes the
// socket file, if the file at the path is still the one bind made (a file
// another server put there since is left alone).
type pipeListener struct {
	net.Listener
	path string
	made fs.FileInfo // the socket file; nil for an abstract socket
	once sync.Once
}

// Close closes the listener, then removes its socket file.
func (pl *pipeListener) Close() error {
	err := pl.Listener.Close()
	pl.once.Do(func() { removeIfSame(pl.path, pl.made) })
	return err
}

// removeIfSame removes the file at path if it is made (nil: nothing).
func removeIfSame(path string, made fs.FileInfo) {
	if made == nil {
		return
	}
	if fi, err := os.Lstat(path); err == nil && os.SameFile(fi, made) {
		_ = os.Remove(path)
	}
}
