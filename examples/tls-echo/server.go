package main

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// echoServer echoes every connection on a goroutine of its own: the
// blocking style crypto/tls needs, with asyncnet's reactors serving the
// sockets underneath. It keeps its connections so that it can shut down
// gracefully.
type echoServer struct {
	quiet time.Duration // during a shutdown, how long a connection may stay quiet

	mu       sync.Mutex
	conns    map[net.Conn]struct{} // the open connections
	stopping bool                  // shutdown has begun
	forced   bool                  // its deadline ran out: connections are cut, without close_notify
	wg       sync.WaitGroup        // one per open connection
}

// serve accepts connections from ln until it is closed, and echoes each.
func (es *echoServer) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed
		}
		es.track(c)
		go es.echo(c)
	}
}

// track adds c to the open connections.
func (es *echoServer) track(c net.Conn) {
	es.mu.Lock()
	defer es.mu.Unlock()
	es.conns[c] = struct{}{}
	es.wg.Add(1)
	if es.stopping {
		_ = c.SetReadDeadline(time.Now().Add(es.quiet)) // fails only if c is closed
	}
}

// echo sends back what c reads until the client ends its side, the
// connection fails, or, during a shutdown, it has been quiet for
// es.quiet. Then it closes c: a tls.Conn's Close ends the TLS session
// (close_notify), then the connection, gracefully.
func (es *echoServer) echo(c net.Conn) {
	defer es.wg.Done()
	defer func() {
		es.mu.Lock()
		delete(es.conns, c)
		forced := es.forced
		es.mu.Unlock()
		if tc, ok := c.(*tls.Conn); ok && forced {
			// tls.Conn.Close would send close_notify with a write deadline
			// of its own (5 s), replacing the one that cut the connection
			// short: a client that does not read would hold it that long.
			_ = tc.NetConn().Close()
			return
		}
		_ = c.Close() // what could fail here has failed in Read or Write already
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, err := c.Write(buf[:n]); err != nil {
				return
			}
			es.busy(c)
		}
		if err != nil {
			return // io.EOF: the client is done; a deadline: it was quiet during a shutdown
		}
	}
}

// busy pushes the quiet deadline of c back during a shutdown: c has just
// received bytes, and their echo has been written.
func (es *echoServer) busy(c net.Conn) {
	es.mu.Lock()
	defer es.mu.Unlock()
	if es.stopping {
		_ = c.SetReadDeadline(time.Now().Add(es.quiet))
	}
}

// shutdown closes each connection once it is quiet or its client has ended
// it, and waits until they are all closed. When ctx ends first, it cuts the
// rest short and returns ctx.Err(). The listener must be closed, and serve
// have returned, before.
func (es *echoServer) shutdown(ctx context.Context) error {
	es.mu.Lock()
	es.stopping = true
	for c := range es.conns {
		_ = c.SetReadDeadline(time.Now().Add(es.quiet))
	}
	es.mu.Unlock()
	done := make(chan struct{})
	go func() { es.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	es.mu.Lock()
	es.forced = true
	for c := range es.conns {
		_ = c.SetDeadline(time.Now()) // every Read and Write fails at once: echo returns
	}
	es.mu.Unlock()
	<-done
	return ctx.Err()
}

// open returns how many connections are open.
func (es *echoServer) open() int {
	es.mu.Lock()
	defer es.mu.Unlock()
	return len(es.conns)
}
