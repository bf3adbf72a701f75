package adapters_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/adapters"
	"github.com/asyncnet/asyncnet/core"
)

// greeter is an existing gnet application: it answers each message with
// "app: " and the message.
type greeter struct {
	gnet.BuiltinEventEngine
	booted chan gnet.Engine
}

func (g *greeter) OnBoot(eng gnet.Engine) gnet.Action {
	g.booted <- eng
	return gnet.None
}

func (g *greeter) OnTraffic(c gnet.Conn) gnet.Action {
	data, _ := c.Next(-1)
	_, _ = c.Write(append([]byte("app: "), data...))
	return gnet.None
}

// Wrap adds asyncnet to an existing gnet application: the connections
// accepted on the address given to TakeAddr become asyncnet sockets (here
// an echo in upper case), all others reach the application as before, on
// the same event loops.
func ExampleWrap() {
	appAddr, err1 := freeAddr()
	asyncnetAddr, err2 := freeAddr()
	if err := errors.Join(err1, err2); err != nil {
		fmt.Println(err)
		return
	}
	app := &greeter{booted: make(chan gnet.Engine, 1)}
	plugin, err := adapters.Wrap(app, adapters.TakeAddr(asyncnetAddr, func(s *core.Socket, data []byte) {
		_, _ = s.Write(bytes.ToUpper(data))
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { // the plugin in the application's place, and a balancer safe with it
		done <- gnet.Rotate(plugin, []string{"tcp://" + appAddr, "tcp://" + asyncnetAddr},
			gnet.WithTicker(true), gnet.WithLoadBalancing(gnet.LeastConnections))
	}()
	var eng gnet.Engine
	select {
	case eng = <-app.booted:
	case err := <-done:
		fmt.Println(err)
		return
	}
	for _, addr := range []string{appAddr, asyncnetAddr} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Println(err)
			break
		}
		reply := ""
		if _, err = fmt.Fprintf(c, "hello\n"); err == nil {
			reply, err = bufio.NewReader(c).ReadString('\n')
		}
		fmt.Printf("%q %v\n", reply, err)
		_ = c.Close()
	}
	if err := eng.Stop(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println("engine stopped:", <-done)
	// Output:
	// "app: hello\n" <nil>
	// "HELLO\n" <nil>
	// engine stopped: <nil>
}

// freeAddr returns a loopback address nothing listened on a moment ago.
// TakeAddr needs a listener's real port, and gnet does not tell which port
// it picked for "127.0.0.1:0".
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
