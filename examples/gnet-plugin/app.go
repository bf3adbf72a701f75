package main

import (
	"fmt"
	"io"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// greeter is a plain gnet application, written as gnet's users write them;
// asyncnet leaves it as it is. It greets each client, echoes what the
// client sends, and on each tick logs the engine's connection count when
// it has changed.
type greeter struct {
	gnet.BuiltinEventEngine
	out    io.Writer
	every  time.Duration    // tick delay
	booted chan gnet.Engine // receives the engine, so main can stop it
	eng    gnet.Engine
	last   int // connection count last logged (ticker goroutine only)
}

func (g *greeter) OnBoot(eng gnet.Engine) gnet.Action {
	g.eng = eng
	g.booted <- eng
	return gnet.None
}

func (g *greeter) OnOpen(gnet.Conn) ([]byte, gnet.Action) {
	return []byte("welcome to the gnet app\n"), gnet.None
}

func (g *greeter) OnTraffic(c gnet.Conn) gnet.Action {
	data, _ := c.Next(-1)
	_, _ = c.Write(data)
	return gnet.None
}

func (g *greeter) OnTick() (time.Duration, gnet.Action) {
	if n := g.eng.CountConnections(); n != g.last {
		g.last = n
		fmt.Fprintf(g.out, "app: the engine has %d connections\n", n)
	}
	return g.every, gnet.None
}
