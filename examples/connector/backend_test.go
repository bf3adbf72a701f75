package main

import (
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// backend is the server the connector talks to in the tests.
type backend interface {
	Addr() string
	Kill(t *testing.T)    // abruptly, as a crash would
	Restart(t *testing.T) // on the same port
}

// newBackend starts a real redis-server if one is installed, or else a
// respServer, and stops it when the test ends.
func newBackend(t *testing.T) backend {
	t.Helper()
	if path, err := exec.LookPath("redis-server"); err == nil {
		r := &redisServer{path: path, addr: testutil.FreePort(t)}
		r.Restart(t)
		return r
	}
	t.Log("redis-server is not installed (make deps installs it, from Debian's redis-server package): using a Go backend that speaks enough RESP")
	return startRESPServer(t, false)
}

// redisServer is a redis-server process, without persistence, on a
// loopback port.
type redisServer struct {
	path, addr string
	proc       *exampletest.Proc
}

func (r *redisServer) Addr() string { return r.addr }

// Kill sends the server SIGKILL.
func (r *redisServer) Kill(t *testing.T) { r.proc.Kill(t) }

// Restart starts the server (again) on its port, and waits until it
// accepts connections.
func (r *redisServer) Restart(t *testing.T) {
	t.Helper()
	_, port, err := net.SplitHostPort(r.addr)
	require.NoError(t, err)
	r.proc = exampletest.Start(t, r.path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	r.proc.Out.Next(t, "Ready to accept connections")
}

// respServer stands in for redis-server: it speaks enough RESP for the
// connector (PING, INCR, GET, SET). A silent one reads commands and never
// answers. Kill resets its connections, as a crash would.
type respServer struct {
	silent bool
	addr   string

	mu       sync.Mutex
	ln       net.Listener
	conns    map[net.Conn]struct{}
	counters map[string]int64
	wg       sync.WaitGroup
}

// startRESPServer starts a respServer on a loopback port; it stops when the
// test ends.
func startRESPServer(t *testing.T, silent bool) *respServer {
	t.Helper()
	s := &respServer{silent: silent, conns: make(map[net.Conn]struct{}), counters: make(map[string]int64)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.addr = ln.Addr().String()
	s.serve(ln)
	t.Cleanup(func() { s.Kill(t) })
	return s
}

func (s *respServer) Addr() string { return s.addr }

// serve accepts connections from ln until it is closed.
func (s *respServer) serve(ln net.Listener) {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.ln != ln { // killed meanwhile
				s.mu.Unlock()
				_ = c.Close()
				return
			}
			s.conns[c] = struct{}{}
			s.wg.Add(1)
			s.mu.Unlock()
			go s.serveConn(c)
		}
	}()
}

// serveConn answers the commands of c.
func (s *respServer) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	var in []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		in = append(in, buf[:n]...)
		for {
			cmd, m, perr := parseReply(in)
			if errors.Is(perr, errIncomplete) {
				break
			}
			if perr != nil {
				return
			}
			in = in[m:]
			if s.silent {
				continue
			}
			if _, err := c.Write(s.do(cmd)); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// do carries out a command and returns its reply.
func (s *respServer) do(cmd Reply) []byte {
	args := make([]string, len(cmd.Array))
	for i, a := range cmd.Array {
		args[i] = a.Str
	}
	if len(args) == 0 {
		return []byte("-ERR empty command\r\n")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case strings.EqualFold(args[0], "PING"):
		return []byte("+PONG\r\n")
	case strings.EqualFold(args[0], "INCR") && len(args) == 2:
		s.counters[args[1]]++
		return []byte(":" + strconv.FormatInt(s.counters[args[1]], 10) + "\r\n")
	case strings.EqualFold(args[0], "SET") && len(args) == 3:
		n, err := strconv.ParseInt(args[2], 10, 64)
		if err != nil {
			return []byte("-ERR this stand-in keeps integers only\r\n")
		}
		s.counters[args[1]] = n
		return []byte("+OK\r\n")
	case strings.EqualFold(args[0], "GET") && len(args) == 2:
		n, ok := s.counters[args[1]]
		if !ok {
			return []byte("$-1\r\n")
		}
		v := strconv.FormatInt(n, 10)
		return []byte("$" + strconv.Itoa(len(v)) + "\r\n" + v + "\r\n")
	}
	return []byte("-ERR unknown command '" + args[0] + "'\r\n")
}

// Kill stops listening and resets every connection.
func (s *respServer) Kill(*testing.T) {
	s.mu.Lock()
	if s.ln != nil {
		_ = s.ln.Close()
		s.ln = nil
	}
	for c := range s.conns {
		_ = c.(*net.TCPConn).SetLinger(0) // Close resets it
		_ = c.Close()
	}
	s.conns = make(map[net.Conn]struct{})
	s.counters = make(map[string]int64) // a crash loses them
	s.mu.Unlock()
	s.wg.Wait()
}

// Restart listens again on the same port.
func (s *respServer) Restart(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", s.addr)
	require.NoError(t, err)
	s.serve(ln)
}
