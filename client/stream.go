package client

import (
	"context"
	"errors"

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
	a, err := parseAddr(call, addr)
	if err != nil {
		return nil, err
	}
	st, strm, err := newStream(call, l, onRead, opts)
	if err != nil {
		return nil, err
	}
	s := strm.Socket()
	if err := connect(s, addr, a, st); err != nil {
		_ = s.ForceClose()
		return nil, err
	}
	return strm, nil
}

// InitTCPSocketStream is InitTCPSocket with :stream t: it returns the
// stream of a socket that is not connected yet; ConnectTCPSocket
// (st.Socket(), addr) connects it. It is the equivalent of cl-async's
// (init-tcp-socket ... :stream t). Safe to call from any goroutine while l
// runs.
func InitTCPSocketStream(l *core.Loop, onRead stream.ReadFunc, opts ...Option) (*stream.AsyncIOStream, error) {
	_, strm, err := newStream("client.InitTCPSocketStream", l, onRead, opts)
	return strm, err
}

// newStream makes an outgoing socket that keeps what it receives and the
// stream over it; onRead gets that stream.
func newStream(call string, l *core.Loop, onRead stream.ReadFunc, opts []Option) (*core.Settings, *stream.AsyncIOStream, error) {
	if onRead == nil {
		return nil, nil, &core.ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	st, err := core.ResolveConnect(call, opts)
	if err != nil {
		return nil, nil, err
	}
	strm, err := newStreamWith(call, l, onRead, st)
	return st, strm, err
}

// newStreamWith is newStream with the options resolved: st.
func newStreamWith(call string, l *core.Loop, onRead stream.ReadFunc, st *core.Settings) (*stream.AsyncIOStream, error) {
	if onRead == nil {
		return nil, &core.ArgError{Call: call, Arg: "onRead", Reason: "nil read callback"}
	}
	st.DontDrainReadBuffer = true
	var strm *stream.AsyncIOStream
	s, err := newSocket(call, l, func(s *core.Socket, _ []byte) { onRead(s, strm) }, st)
	if err != nil {
		return nil, err
	}
	strm = stream.NewAsyncIOStream(s) // before Connect: its callbacks see it
	return strm, nil
}

// Dial connects to addr on l and returns a blocking net.Conn over the
// socket once it is connected: for code written for goroutines (bufio,
// net/http, crypto/tls) on asyncnet's reactors. It blocks, so it must not be
// called inside a callback (it returns stream.ErrInReactor there). The
// options are TCPConnect's: an OnConnect callback runs once connected, an
// OnEvent callback gets the socket's conditions besides the Conn's
// methods. A failed connect returns its condition.
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
	a, err := parseAddr(call, addr)
	if err != nil {
		return nil, err
	}
	st, err := core.ResolveConnect(call, opts)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	report := func(err error) {
		select {
		case done <- err:
		default:
		}
	}
	userConnect, userEvent := st.OnConnect, st.OnEvent
	st.DontDrainReadBuffer, st.AllowHalfOpen = true, true
	st.OnConnect = func(s *core.Socket) {
		report(nil)
		if userConnect != nil {
			userConnect(s)
		}
	}
	st.OnEvent = func(s *core.Socket, ev error) {
		report(ev)
		if userEvent != nil {
			userEvent(s, ev)
		}
	}
	s, err := newSocket(call, l, func(*core.Socket, []byte) {}, st)
	if err != nil {
		return nil, err
	}
	if err := connect(s, addr, a, st); err != nil {
		_ = s.ForceClose()
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
	c, err := stream.NewConn(s, userEvent)
	if err != nil {
		_ = s.ForceClose()
		return nil, errors.Join(errors.New("asyncnet: client.Dial"), err)
	}
	return c, nil
}
