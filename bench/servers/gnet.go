package servers

import (
	"context"
	"errors"

	"github.com/panjf2000/gnet/v2"
)

// gnetServer is raw gnet v2.10.0, as its README's echo example, with as
// many event loops as asked.
type gnetServer struct {
	gnet.BuiltinEventEngine
	respond responder
	booted  chan gnet.Engine
	eng     gnet.Engine
	done    chan error
}

func startGnet(p, addr string, loops int) (Server, error) {
	g := &gnetServer{respond: responderFor(p), booted: make(chan gnet.Engine, 1), done: make(chan error, 1)}
	go func() {
		g.done <- gnet.Run(g, "tcp://"+addr, gnet.WithMulticore(true), gnet.WithNumEventLoop(loops))
	}()
	select {
	case g.eng = <-g.booted:
		return g, nil
	case err := <-g.done:
		if err == nil {
			err = errors.New("gnet: engine stopped at boot")
		}
		return nil, err
	}
}

func (g *gnetServer) OnBoot(eng gnet.Engine) gnet.Action {
	g.booted <- eng
	return gnet.None
}

func (g *gnetServer) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if g.respond != nil {
		c.SetContext(new([]byte)) // the connection's answer buffer
	}
	return nil, gnet.None
}

func (g *gnetServer) OnTraffic(c gnet.Conn) gnet.Action {
	if g.respond == nil { // echo
		buf, _ := c.Next(-1)
		_, _ = c.Write(buf)
		return gnet.None
	}
	in, _ := c.Peek(-1) // gnet keeps a partial request for the next call
	out := c.Context().(*[]byte)
	var n int
	var err error
	*out, n, err = g.respond((*out)[:0], in)
	_, _ = c.Discard(n)
	_, _ = c.Write(*out)
	if err != nil {
		return gnet.Close
	}
	return gnet.None
}

func (g *gnetServer) Close() error {
	if err := g.eng.Stop(context.Background()); err != nil {
		return err
	}
	return <-g.done
}
