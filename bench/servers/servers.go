// Package servers holds the benchmark's servers: one per implementation
// (asyncnet's callback and stream APIs, raw gnet, Go's net package, nbio,
// cloudwego/netpoll), each written the way that project's users would
// write it, for three protocols: echo, HTTP plaintext and RESP PING/ECHO
// (the latter two for asyncnet, gnet and Go's net package only).
package servers

import (
	"fmt"
	"slices"
)

// Protocols.
const (
	Echo = "echo" // every byte back
	HTTP = "http" // "Hello, World!" to every request (proto.AppendHTTPResponses)
	RESP = "resp" // PING and ECHO (proto.AppendRESPReplies)
)

// Server is a running server.
type Server interface {
	// Close stops the server and waits until it has stopped.
	Close() error
}

// starter starts one implementation serving proto on addr, with loops
// event loops (or, for goroutine-per-connection servers, GOMAXPROCS).
type starter func(proto, addr string, loops int) (Server, error)

type impl struct {
	name   string
	protos []string
	start  starter
}

var impls = []impl{
	{"gnet", []string{Echo, HTTP, RESP}, startGnet},
	{"asyncnet", []string{Echo, HTTP, RESP}, startAsyncnet},
	{"asyncnet-stream", []string{Echo}, startAsyncnetStream},
	{"stdlib", []string{Echo, HTTP, RESP}, startStdlib},
	{"nbio", []string{Echo}, startNbio},
	{"netpoll", []string{Echo}, startNetpoll},
}

// Impls returns the implementations that serve proto, reference (raw
// gnet) first.
func Impls(proto string) []string {
	var names []string
	for _, im := range impls {
		if slices.Contains(im.protos, proto) {
			names = append(names, im.name)
		}
	}
	return names
}

// Start starts implementation name serving proto on addr (a host:port with
// a real port) with loops event loops, and returns once it accepts
// connections.
func Start(name, proto, addr string, loops int) (Server, error) {
	if loops < 1 {
		return nil, fmt.Errorf("servers: %d loops: want at least 1", loops)
	}
	for _, im := range impls {
		if im.name != name {
			continue
		}
		if !slices.Contains(im.protos, proto) {
			return nil, fmt.Errorf("servers: %s does not serve %q (it serves %v)", name, proto, im.protos)
		}
		return im.start(proto, addr, loops)
	}
	return nil, fmt.Errorf("servers: no implementation %q (there are %v)", name, Impls(Echo))
}

// responder answers the complete requests at the start of in, appending
// the answers to dst (see package proto).
type responder func(dst, in []byte) (out []byte, consumed int, err error)
