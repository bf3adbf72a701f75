package adapters_test

import (
	"context"
	"fmt"
	"io"
	"net"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/adapters"
	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
)

// service is an existing gnet application; this example uses only its
// engine.
type service struct {
	gnet.BuiltinEventEngine
	booted chan gnet.Engine
}

func (s *service) OnBoot(eng gnet.Engine) gnet.Action {
	s.booted <- eng
	return gnet.None
}

// Plugin.Loop is a core.Loop on the application's own event loops:
// client.TCPConnect on it connects without blocking anything, and the new
// connection is served by the application's engine, which counts it.
func ExamplePlugin_Loop() {
	backend, err := net.Listen("tcp", "127.0.0.1:0") // an echo service to call
	if err != nil {
		fmt.Println(err)
		return
	}
	defer backend.Close()
	go func() { // one connection, echoed
		if c, err := backend.Accept(); err == nil {
			_, _ = io.Copy(c, c)
			_ = c.Close()
		}
	}()

	app := &service{booted: make(chan gnet.Engine, 1)}
	plugin, err := adapters.Wrap(app)
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() {
		done <- gnet.Run(plugin, "tcp://127.0.0.1:0",
			gnet.WithTicker(true), gnet.WithLoadBalancing(gnet.LeastConnections))
	}()
	var eng gnet.Engine
	select {
	case eng = <-app.booted:
	case err := <-done:
		fmt.Println(err) // e.g. the address is in use
		return
	}
	result := make(chan string, 1)
	_, err = client.TCPConnect(plugin.Loop(), backend.Addr().String(), func(s *core.Socket, data []byte) {
		result <- fmt.Sprintf("%q; the engine has %d connection", data, eng.CountConnections())
		_ = s.Close()
	}, client.WithData([]byte("ping")),
		core.OnEvent(func(_ *core.Socket, ev error) { result <- ev.Error() })) // refused, ...
	if err != nil {
		result <- err.Error()
	}
	fmt.Println(<-result)
	if err := eng.Stop(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println("engine stopped:", <-done)
	// Output:
	// "ping"; the engine has 1 connection
	// engine stopped: <nil>
}
