package exampletest

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Backend is a TCP server behind a proxy under test: each connection it
// accepts runs the next handler given to Handle, in order, so that a test
// decides how the backend behaves for each of its connections.
type Backend struct {
	ln   net.Listener
	next chan func(c *net.TCPConn)
	done chan struct{}
	wg   sync.WaitGroup
}

// NewBackend starts a Backend on a loopback port; it stops when the test
// ends.
func NewBackend(t testing.TB) *Backend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := &Backend{ln: ln, next: make(chan func(*net.TCPConn), 1), done: make(chan struct{})}
	b.wg.Add(1)
	go b.serve()
	t.Cleanup(func() {
		close(b.done)
		_ = ln.Close() // ends serve
		b.wg.Wait()
	})
	return b
}

// Addr returns the backend's address.
func (b *Backend) Addr() string { return b.ln.Addr().String() }

// Handle makes fn the handler of the next connection. fn owns the
// connection and closes it.
func (b *Backend) Handle(fn func(c *net.TCPConn)) { b.next <- fn }

// serve accepts connections and runs their handlers.
func (b *Backend) serve() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		var fn func(*net.TCPConn)
		select {
		case fn = <-b.next:
		case <-b.done:
			_ = c.Close()
			return
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			fn(c.(*net.TCPConn))
		}()
	}
}

// EchoBackend starts an echo server on a loopback port and returns its
// address: each connection gets back what it sends, and end of file once
// it has ended its side. It stops when the test ends.
func EchoBackend(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				if _, err := io.Copy(c, c); err == nil {
					_ = c.(*net.TCPConn).CloseWrite() // the client checks what it got
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}
