package client

import (
	"context"
	"net"

	"github.com/asyncnet/asyncnet/conditions"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/pipepath"
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
// listens at path — a socket file with no listener (syscall.ECONNREFUSED)
// and a path that does not exist (syscall.ENOENT) alike, as a client that
// waits for its server to come up treats both the same; the condition
// unwraps to the OS error, which tells them apart —, conditions.TCPTimeout
// past WithDialTimeout, another conditions.TCPError otherwise (such as
// syscall.EACCES without write permission on the file, or syscall.EAGAIN
// when the server's backlog is full).
//
// The options are TCPConnect's; client.WithResolver and
// core.WithTCPKeepAlive do not apply to a Unix socket and are errors.
// Safe to call from any goroutine while l runs.
func PipeConnect(l *core.Loop, path string, onRead core.ReadFunc, opts ...Option) (*core.Socket, error) {
	const call = "client.PipeConnect"
	p, err := pipepath.Parse(path)
	if err != nil {
		return nil, &core.ArgError{Call: call, Arg: "path", Reason: err.Error()}
	}
	st, err := core.ResolveConnect(call, opts)
	if err != nil {
		return nil, err
	}
	switch {
	case st.Resolver != nil:
		return nil, &core.ArgError{Call: call, Arg: "client.WithResolver", Reason: "a Unix socket path is not looked up"}
	case st.KeepAlive != 0:
		return nil, &core.ArgError{Call: call, Arg: "core.WithTCPKeepAlive", Reason: "TCP keepalive does not apply to a Unix socket"}
	}
	s, err := newSocket(call, l, onRead, st)
	if err != nil {
		return nil, err
	}
	if err := s.Connect(p.Name, pipeDialer(p.Name, st)); err != nil {
		_ = s.ForceClose()
		return nil, err
	}
	return s, nil
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
