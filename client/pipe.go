package client

import (
	"context"
	"errors"
	"net"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/pipepath"
	"github.com/asyncnet/asyncnet/stream"
)

// PipeConnect opens a connection to the Unix domain socket at path on l
// and returns its socket at once, as TCPConnect does for a TCP address;
// bytes arriving on it go to onRead. It is the equivalent of cl-async's
// pipe-connect.
//
// path is a file path, at most 107 bytes on Linux and Windows, 103 on
// macOS and the BSDs (sun_path less its NUL); on Linux, "@name" is an
// abstract socket. A bad path is a *core.ArgError naming "path", at the
// call. Connecting happens in the background; then the OnConnect callback
// runs, then the bytes written so far (WithData first) are sent. If the
// connection cannot be made, the OnEvent callback gets the condition once,
// with the socket already closed: conditions.TCPRefused when no server
// listens at path — a socket file with no listener or a file that is not
// a socket (syscall.ECONNREFUSED) and a path that does not exist
// (syscall.ENOENT) alike, as a client that waits for its server to come up
// treats them the same; the condition unwraps to the OS error, which tells
// them apart —, conditions.TCPTimeout past WithDialTimeout, another
// conditions.TCPError otherwise (such as syscall.EACCES without write
// permission on the file, or, on Linux, syscall.EAGAIN at once when the
// server's backlog is full: a Unix connect does not wait in the queue as a
// TCP one does).
//
// The options are TCPConnect's; client.WithResolver and
// core.WithTCPKeepAlive do not apply to a Unix socket and are errors.
// Safe to call from any goroutine while l runs.
func PipeConnect(l *core.Loop, path string, onRead core.ReadFunc, opts ...Option) (*core.Socket, error) {
	const call = "client.PipeConnect"
	p, st, err := resolvePipe(call, path, opts)
	if err != nil {
		return nil, err
	}
	s, err := newSocket(call, l, onRead, st)
	if err != nil {
		return nil, err
	}
	if err := connectPipe(s, p, st); err != nil {
		return nil, err
	}
	return s, nil
}

// PipeConnectStream is PipeConnect with :stream t, as TCPConnectStream is
// TCPConnect's: it returns the socket's stream at once, and onRead is a
// notification with the same stream each time, the bytes staying in the
// socket's input buffer until the stream reads them
// (core.WithDontDrainReadBuffer is implied). It is the equivalent of
// cl-async's (pipe-connect ... :stream t). Safe to call from any goroutine
// while l runs.
func PipeConnectStream(l *core.Loop, path string, onRead stream.ReadFunc, opts ...Option) (*stream.AsyncIOStream, error) {
	const call = "client.PipeConnectStream"
	p, st, err := resolvePipe(call, path, opts)
	if err != nil {
		return nil, err
	}
	strm, err := newStreamWith(call, l, onRead, st)
	if err != nil {
		return nil, err
	}
	if err := connectPipe(strm.Socket(), p, st); err != nil {
		return nil, err
	}
	return strm, nil
}

// resolvePipe checks the path and options of a pipe connection.
func resolvePipe(call, path string, opts []Option) (pipepath.Path, *core.Settings, error) {
	p, err := pipepath.Parse(path)
	if err != nil {
		return p, nil, &core.ArgError{Call: call, Arg: "path", Reason: err.Error()}
	}
	st, err := core.ResolveConnect(call, opts)
	switch {
	case err != nil:
		return p, nil, err
	case st.Resolver != nil:
		return p, nil, &core.ArgError{Call: call, Arg: "client.WithResolver", Reason: "a Unix socket path is not looked up"}
	case st.KeepAlive != 0:
		return p, nil, &core.ArgError{Call: call, Arg: "core.WithTCPKeepAlive", Reason: "TCP keepalive does not apply to a Unix socket"}
	}
	return p, st, nil
}

// connectPipe starts connecting s to p; if it cannot start, s is closed.
func connectPipe(s *core.Socket, p pipepath.Path, st *core.Settings) error {
	if err := s.Connect(p.Name, pipeDialer(p.Name, st)); err != nil {
		return errors.Join(err, s.ForceClose())
	}
	return nil
}

// pipeDialer returns the DialFunc that connects to the socket at path, as
// st says.
func pipeDialer(path string, st *core.Settings) core.DialFunc {
	timeout := dialTimeout(st)
	return func(ctx context.Context) (net.Conn, error) {
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		var d net.Dialer
		nc, err := d.DialContext(ctx, "unix", path)
		if err != nil && pipepath.Refused(err) {
			return nil, conditions.New(conditions.TCPRefused, "connect", path, err)
		}
		return nc, err
	}
}
