//go:build linux

package servers

import (
	"context"
	"time"

	"github.com/cloudwego/netpoll"
	"github.com/lesismal/nbio"
)

// nbioServer is lesismal/nbio's engine, as its README's echo example, with
// one poller per event loop asked for.
type nbioServer struct{ e *nbio.Engine }

func startNbio(_, addr string, loops int) (Server, error) {
	e := nbio.NewEngine(nbio.Config{Network: "tcp", Addrs: []string{addr}, NPoller: loops})
	e.OnData(func(c *nbio.Conn, data []byte) { _, _ = c.Write(data) })
	if err := e.Start(); err != nil {
		return nil, err
	}
	return nbioServer{e}, nil
}

func (s nbioServer) Close() error {
	s.e.Stop()
	return nil
}

// netpollServer is cloudwego/netpoll's event loop, with its zero-copy
// reader and writer, as its examples' echo server.
type netpollServer struct {
	evl  netpoll.EventLoop
	done chan error
}

func startNetpoll(_, addr string, loops int) (Server, error) {
	if err := netpoll.Configure(netpoll.Config{PollerNum: loops}); err != nil {
		return nil, err
	}
	ln, err := netpoll.CreateListener("tcp", addr)
	if err != nil {
		return nil, err
	}
	evl, err := netpoll.NewEventLoop(func(_ context.Context, c netpoll.Connection) error {
		r, w := c.Reader(), c.Writer()
		in, err := r.Next(r.Len())
		if err != nil {
			return err
		}
		out, err := w.Malloc(len(in))
		if err != nil {
			return err
		}
		copy(out, in)
		if err := r.Release(); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	s := &netpollServer{evl: evl, done: make(chan error, 1)}
	go func() { s.done <- evl.Serve(ln) }() // ln already listens: connections wait in its backlog
	return s, nil
}

func (s *netpollServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.evl.Shutdown(ctx)
	<-s.done
	return err
}
