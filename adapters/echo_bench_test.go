//go:build !windows

package adapters_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"github.com/panjf2000/gnet/v2"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// BenchmarkEcho measures one 64-byte round trip over loopback, one
// connection, against an asyncnet echo server (read callback → Socket.Write)
// and a raw gnet one, in the same run. allocs/op covers the whole process:
// client, gnet and asyncnet.
//
//	go test -run '^$' -bench Echo -benchmem -count 5 ./adapters
func BenchmarkEcho(b *testing.B) {
	b.Run("asyncnet", func(b *testing.B) {
		l := core.NewLoop(core.WithReactors(1))
		addr := make(chan string, 1)
		done := make(chan error, 1)
		go func() {
			done <- l.Run(func(l *core.Loop) {
				srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) {
					_, _ = s.Write(data)
				})
				if err != nil {
					b.Error(err)
					addr <- ""
					return
				}
				addr <- srv.Addr().String()
			})
		}()
		pingPong(b, <-addr)
		l.Exit()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	})
	b.Run("gnet", func(b *testing.B) {
		h := &gnetEcho{addr: make(chan string, 1)}
		done := make(chan error, 1)
		go func() { done <- gnet.Run(h, "tcp://127.0.0.1:0", gnet.WithNumEventLoop(1)) }()
		pingPong(b, <-h.addr)
		h.stop()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	})
}

func pingPong(b *testing.B, addr string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	msg, buf := make([]byte, 64), make([]byte, 64)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := c.Write(msg); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
}

// gnetEcho is the echo server a gnet user writes.
type gnetEcho struct {
	gnet.BuiltinEventEngine
	addr chan string
	mu   sync.Mutex
	eng  gnet.Engine
}

func (h *gnetEcho) OnBoot(eng gnet.Engine) gnet.Action {
	h.mu.Lock()
	h.eng = eng
	h.mu.Unlock()
	fd, err := eng.Dup()
	if err != nil {
		h.addr <- ""
		return gnet.Shutdown
	}
	defer syscall.Close(fd)
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		h.addr <- ""
		return gnet.Shutdown
	}
	h.addr <- "127.0.0.1:" + strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
	return gnet.None
}

func (h *gnetEcho) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	_, _ = c.Write(buf)
	return gnet.None
}

func (h *gnetEcho) stop() {
	h.mu.Lock()
	eng := h.eng
	h.mu.Unlock()
	_ = eng.Stop(context.Background())
}
