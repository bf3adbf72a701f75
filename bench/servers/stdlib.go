package servers

import (
	"errors"
	"net"
	"sync"
)

// stdlibServer is Go's net package: a goroutine per connection, reading
// into a buffer and writing the answer (io.Copy would splice the bytes in
// the kernel, which no event-loop server can, and no real protocol does).
type stdlibServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func startStdlib(p, addr string, _ int) (Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &stdlibServer{ln: ln, conns: make(map[net.Conn]struct{})}
	respond := responderFor(p)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.forget(c)
				serveConn(c, respond)
			}()
		}
	}()
	return s, nil
}

// serveConn echoes, or answers with respond, until the peer goes.
func serveConn(c net.Conn, respond responder) {
	buf := make([]byte, 16<<10)
	var ss *session
	if respond != nil {
		ss = &session{respond: respond}
	}
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		out := buf[:n]
		var perr error
		if ss != nil {
			out, perr = ss.feed(buf[:n])
		}
		if _, err := c.Write(out); err != nil || perr != nil {
			return
		}
	}
}

func (s *stdlibServer) forget(c net.Conn) {
	_ = c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *stdlibServer) Close() error {
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
