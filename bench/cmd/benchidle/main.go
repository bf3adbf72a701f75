// Command benchidle shows where an idle connection's memory goes: it runs
// one benchmark server (package servers) in this process, opens -conns
// connections to it from raw sockets (so that the clients allocate nothing
// in Go's heap), echoes one message on each, collects garbage, and prints
// the live heap per connection by allocation site (the innermost function
// outside the runtime), from a heap profile that records every allocation.
//
//	cd bench && go run ./cmd/benchidle -impl asyncnet -conns 8000
//	cd bench && go run ./cmd/benchidle -impl gnet -conns 8000
//
// benchrun's idle probe measures resident memory, the figure the issue's
// target is set in; this is the account of the heap part of it.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/asyncnet/asyncnet/bench/servers"
)

func main() {
	impl := flag.String("impl", "asyncnet", "implementation: one of servers.Impls")
	conns := flag.Int("conns", 8000, "idle connections (each takes two descriptors in this process)")
	top := flag.Int("top", 12, "allocation sites to show")
	flag.Parse()
	runtime.MemProfileRate = 1
	if err := run(*impl, *conns, *top); err != nil {
		log.Fatal(err)
	}
}

func run(impl string, n, top int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for servers that bind their own
	if err != nil {
		return err
	}
	addr := ln.Addr().(*net.TCPAddr)
	if err := ln.Close(); err != nil {
		return err
	}
	srv, err := servers.Start(impl, servers.Echo, addr.String(), 1)
	if err != nil {
		return err
	}
	defer srv.Close()
	before := live()
	fds := make([]int, 0, n)
	defer func() {
		for _, fd := range fds {
			_ = syscall.Close(fd)
		}
	}()
	msg := make([]byte, 64)
	for range n {
		fd, err := echoOnce(addr, msg)
		if err != nil {
			return err
		}
		fds = append(fds, fd)
	}
	after := live()
	fmt.Printf("%s: %d idle connections, live heap %d bytes per connection\n", impl, n, (after.total-before.total)/int64(n))
	type site struct {
		name  string
		bytes int64
	}
	var sites []site
	for name, b := range after.bySite {
		if d := b - before.bySite[name]; d >= int64(n) { // at least a byte per connection
			sites = append(sites, site{name, d})
		}
	}
	slices.SortFunc(sites, func(a, b site) int { return cmp.Compare(b.bytes, a.bytes) })
	for _, s := range sites[:min(top, len(sites))] {
		fmt.Printf("  %6d B/conn  %s\n", s.bytes/int64(n), s.name)
	}
	return nil
}

// echoOnce connects a raw socket to addr, sends msg and reads it back.
func echoOnce(addr *net.TCPAddr, msg []byte) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return -1, err
	}
	sa := &syscall.SockaddrInet4{Port: addr.Port}
	copy(sa.Addr[:], addr.IP.To4())
	if err := syscall.Connect(fd, sa); err != nil {
		_ = syscall.Close(fd)
		return -1, err
	}
	if _, err := syscall.Write(fd, msg); err != nil {
		_ = syscall.Close(fd)
		return -1, err
	}
	buf := make([]byte, len(msg))
	for got := 0; got < len(buf); {
		m, err := syscall.Read(fd, buf[got:])
		if err != nil || m == 0 {
			_ = syscall.Close(fd)
			return -1, fmt.Errorf("echo: %d bytes, %v", got, err)
		}
		got += m
	}
	return fd, nil
}

// heap is the live heap by allocation site.
type heap struct {
	total  int64
	bySite map[string]int64
}

// live collects garbage and reads the heap profile.
func live() heap {
	runtime.GC()
	runtime.GC() // the profile reflects the heap as of the last completed GC cycle
	var recs []runtime.MemProfileRecord
	for {
		n, ok := runtime.MemProfile(recs, false)
		if ok {
			recs = recs[:n]
			break
		}
		recs = make([]runtime.MemProfileRecord, n+64)
	}
	h := heap{bySite: map[string]int64{}}
	for _, r := range recs {
		b := r.InUseBytes()
		h.total += b
		h.bySite[site(r.Stack())] += b
	}
	return h
}

// site names an allocation by the innermost function outside the runtime.
func site(stack []uintptr) string {
	frames := runtime.CallersFrames(stack)
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") && f.Function != "" {
			return f.Function
		}
		if !more {
			return "runtime"
		}
	}
}

func init() {
	if runtime.GOOS == "windows" {
		fmt.Fprintln(os.Stderr, "benchidle: raw sockets need a Unix system")
		os.Exit(2)
	}
}
