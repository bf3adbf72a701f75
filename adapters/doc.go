// Package adapters is where asyncnet meets gnet (github.com/panjf2000/gnet/v2):
// it is the only package that imports gnet. It serves two cases.
//
// # asyncnet's own engine
//
// It implements core.Transport on gnet: each Loop runs one gnet engine with
// N event loops, which serve all of the Loop's servers and connections.
// Importing it (any of client, server and stream does) makes that the
// default transport of every Loop; NewTransport adds gnet options. SocketC
// returns the gnet.Conn under a socket.
//
// Start starts the engine and finds each of its event loops (gnet has no
// API that lists them: one probe connection per loop finds it). Stop waits
// for the connections being handed over, then stops the engine, which
// closes every connection.
//
// # An application's engine
//
// Wrap puts asyncnet into an existing gnet application: the Plugin it
// returns wraps the application's gnet.EventHandler and is passed to
// gnet.Run or gnet.Rotate in its place. Connections chosen with Take or
// TakeAddr become asyncnet sockets, the others reach the application's
// handler as before, and Plugin.Loop is a core.Loop on the application's
// own event loops (client.TCPConnect enrolls into them; timers run on them,
// driven by the engine's ticks). docs/gnet-integration.md walks through an
// example.
//
// # Concurrency
//
// The transport calls core on gnet's event-loop goroutines only, one event
// at a time per loop. gnet's OnTick, which runs on a goroutine of its own,
// only queues work on the loops.
package adapters
