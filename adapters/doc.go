// Package adapters is where asyncnet meets gnet (github.com/panjf2000/gnet/v2):
// it is the only package that imports gnet.
//
// It implements core.Transport on gnet: each Loop runs one gnet engine with
// N event loops, which serve all of the Loop's servers and connections.
// Importing it (any of client, server and stream does) makes that the
// default transport of every Loop; NewTransport adds gnet options. SocketC
// returns the gnet.Conn under a socket.
//
// # Concurrency
//
// The transport calls core on gnet's event-loop goroutines only, one event
// at a time per loop. gnet's OnTick, which runs on a goroutine of its own,
// only queues work on the loops.
//
// # Lifecycle
//
// Start starts the engine and finds each of its event loops (gnet has no
// API that lists them: one probe connection per loop finds it). Stop waits
// for the connections being handed over, then stops the engine, which
// closes every connection.
package adapters
