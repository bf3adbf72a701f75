package client

import (
	"context"
	"errors"
	"slices"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/stream"
)

// TCPConnectStream is TCPConnect with :stream t: it returns the socket's
// stream at once, and onRead is a notification with the same stream each
// time, the bytes staying in the socket's input buffer until the stream
// reads them (core.WithDontDrainReadBuffer is implied). Writes to the
// stream made before the connection exists are sent once it does. It is
// the equivalent of cl-async's (tcp-connect ... :stream t). Safe to call
// from any goroutine while l runs.
func TCPConnectStream(l *core.Loop, addr string, onRead stream.ReadFunc, opts ...Option) (*stream.AsyncIOStream, error) {
	const call = "client.TCPConnectStream"
	if onRead == nil {
		return nil, &core.ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	dial, err := newDialer(call, addr, opts)
	if err != nil {
		return nil, err
	}
	var st *stream.AsyncIOStream
	s, err := initSocket(call, l, func(s *core.Socket, _ []byte) { onRead(s, st) },
		slices.Concat(opts, []Option{core.WithDontDrainReadBuffer()}))
	if err != nil {
		return nil, err
	}
	st = stream.NewAsyncIOStream(s) // before Connect: its callbacks see st
	if err := s.Connect(addr, dial); err != nil {
		_ = s.ForceClose()
		return nil, err
	}
	return st, nil
}

// Dial connects to addr on l and returns a blocking net.Conn over the
// socket once it is connected: for code written for goroutines (bufio,
// net/http, crypto/tls) on asyncnet's reactors. It blocks, so it must not be
// called inside a callback (it returns stream.ErrInReactor there). The
// options are TCPConnect's; a failed connect returns its condition.
func Dial(l *core.Loop, addr string, opts ...Option) (*stream.Conn, error) {
	return DialContext(context.Background(), l, addr, opts...)
}

// DialContext is Dial, giving up (and closing the socket) when ctx is done.
func DialContext(ctx context.Context, l *core.Loop, addr string, opts ...Option) (*stream.Conn, error) {
	const call = "client.Dial"
	if l == nil {
		return nil, &core.ArgError{Call: call, Arg: "l", Reason: "nil Loop"}
	}
	if l.InReactor() {
		return nil, stream.ErrInReactor
	}
	done := make(chan error, 1)
	report := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	s, err := TCPConnect(l, addr, func(*core.Socket, []byte) {}, slices.Concat(opts, []Option{
		core.WithDontDrainReadBuffer(),
		core.WithAllowHalfOpen(),
		core.OnConnect(func(*core.Socket) { report(nil) }),
		core.OnEvent(func(_ *core.Socket, ev error) { report(ev) })})...)
	if err != nil {
		return nil, err
	}
	select {
	case err = <-done:
	case <-s.Done(): // the Loop stopped before the connect finished
		select {
		case err = <-done:
		default:
			err = core.ErrLoopNotRunning
		}
	case <-ctx.Done():
		_ = s.ForceClose()
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, err
	}
	c, err := stream.NetConn(s)
	if err != nil {
		_ = s.ForceClose()
		return nil, errors.Join(errors.New("asyncnet: client.Dial"), err)
	}
	return c, nil
}
