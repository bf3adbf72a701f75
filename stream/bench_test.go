//go:build linux

package stream_test

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// Compare the sub-benchmarks over interleaved runs, for example:
//
//	go test -run '^$' -bench 'EchoPipelined|ConnView' -count 6 ./stream | benchstat -col /api -

// BenchmarkEchoPipelined measures echo throughput with 8 connections, 16
// messages of 64 bytes in flight on each, against the callback API (read
// callback → Socket.Write) and the stream API (stream WriteTo the socket).
func BenchmarkEchoPipelined(b *testing.B) {
	b.Run("api=callback", func(b *testing.B) {
		benchEchoServer(b, func(l *core.Loop) (string, error) {
			srv, err := server.TCPServer(l, "127.0.0.1:0", func(s *core.Socket, data []byte) { _, _ = s.Write(data) })
			if err != nil {
				return "", err
			}
			return srv.Addr().String(), nil
		}, 8, 16)
	})
	b.Run("api=stream", func(b *testing.B) {
		benchEchoServer(b, func(l *core.Loop) (string, error) {
			srv, err := server.TCPServerStream(l, "127.0.0.1:0", func(s *core.Socket, st *stream.AsyncIOStream) { _, _ = st.WriteTo(s) })
			if err != nil {
				return "", err
			}
			return srv.Addr().String(), nil
		}, 8, 16)
	})
}

// BenchmarkConnView measures a goroutine-per-connection echo server (the
// style net/http and crypto/tls need) at 1000 connections, each with one
// 64-byte message in flight: over asyncnet's net.Conn view (server.Listen)
// and over Go's own net.Listen.
func BenchmarkConnView(b *testing.B) {
	echo := func(ln net.Listener) {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}
	b.Run("api=asyncnet", func(b *testing.B) {
		benchEchoServer(b, func(l *core.Loop) (string, error) {
			ln, err := server.Listen(l, "127.0.0.1:0")
			if err != nil {
				return "", err
			}
			go echo(ln)
			return ln.Addr().String(), nil
		}, 1000, 1)
	})
	b.Run("api=net", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		go echo(ln)
		loadEcho(b, ln.Addr().String(), 1000, 1)
	})
}

// benchEchoServer runs a Loop with the server start makes and loads it.
func benchEchoServer(b *testing.B, start func(l *core.Loop) (string, error), conns, depth int) {
	l := core.NewLoop()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- l.Run(func(l *core.Loop) {
			a, err := start(l)
			if err != nil {
				b.Error(err)
			}
			addr <- a
		})
	}()
	a := <-addr
	if a != "" {
		loadEcho(b, a, conns, depth)
	}
	l.Exit()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// loadEcho opens conns connections to addr; each iteration sends depth
// 64-byte messages on every connection and reads the echoes. Ten client
// goroutines share the connections.
func loadEcho(b *testing.B, addr string, conns, depth int) {
	cs := make([]net.Conn, conns)
	for i := range cs {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		cs[i] = c
	}
	workers := min(10, conns)
	msg := make([]byte, 64*depth)
	b.ResetTimer()
	cpu0 := testutil.CPUTime()
	for b.Loop() {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, len(msg))
				for i := w; i < len(cs); i += workers {
					if _, err := cs[i].Write(msg); err != nil {
						b.Error(err)
						return
					}
				}
				for i := w; i < len(cs); i += workers {
					if _, err := io.ReadFull(cs[i], buf); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	msgs := float64(b.N * conns * depth)
	b.ReportMetric(msgs/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(testutil.CPUTime()-cpu0)/msgs, "cpu-ns/msg")
}
