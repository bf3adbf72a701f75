package testutil

import (
	"fmt"
	"os"
	"testing"

	"github.com/asyncnet/asyncnet/core/transport"
	"github.com/asyncnet/asyncnet/core/transport/memtransport"
	"github.com/asyncnet/asyncnet/internal/deftransport"
)

// TransportEnv names the environment variable that picks the transport of
// the Loops a package's tests make without core.WithTransport, in the
// packages whose TestMain runs through OnTransport: "gnet" (the default,
// package adapters) or "mem" (memtransport, which serves the tests'
// loopback sockets through a reader and a writer goroutine each). `make
// test` runs those packages once with each, as yamux runs its tests over
// several transports.
const TransportEnv = "ASYNCNET_TRANSPORT"

// The values of TransportEnv.
const (
	Gnet = "gnet"
	Mem  = "mem"
)

// Transport returns the name of the transport the tests run on: the value
// of TransportEnv, or Gnet when it is unset.
func Transport() string {
	if v := os.Getenv(TransportEnv); v != "" {
		return v
	}
	return Gnet
}

// OnTransport makes the transport TransportEnv names the default of every
// Loop given none, and returns m to pass to Main. It exits the process
// with status 2 if the variable names no transport. Call it from
// TestMain, before any test runs.
func OnTransport(m Runner) Runner {
	switch name := Transport(); name {
	case Gnet: // package adapters made itself the default when it was initialised
	case Mem:
		deftransport.Set(func() transport.Transport { return memtransport.New(nil) })
	default:
		fmt.Fprintf(os.Stderr, "testutil: %s=%q: want %q or %q\n", TransportEnv, name, Gnet, Mem)
		os.Exit(2)
	}
	return m
}

// GnetOnly skips t unless the tests run on gnet, saying why the test
// cannot run on another transport (it needs the kernel's socket, gnet's
// own connection, or a behaviour only gnet has).
func GnetOnly(t testing.TB, why string) {
	t.Helper()
	if name := Transport(); name != Gnet {
		t.Skipf("gnet only (%s=%s): %s", TransportEnv, name, why)
	}
}
