// Command http is an HTTP/1.1 server on asyncnet's callbacks (not
// net/http): it answers GET / with "Hello, World!", keeps connections
// alive, and answers pipelined requests in order. It is what asyncnet's
// read callback looks like for a text protocol whose requests have
// headers, bodies and persistent connections.
//
//	go run ./examples/http                            # serve on 127.0.0.1:8080
//	curl -i http://127.0.0.1:8080/                    # 200, Hello, World!
//	wrk -t1 -c50 -d5s http://127.0.0.1:8080/
//
// What it does, by the rules of RFC 9110 and RFC 9112:
//   - GET / and HEAD / get 200 (HEAD without the content); another path
//     gets 404; another method on / gets 405 with "Allow: GET, HEAD".
//   - HTTP/1.1 connections stay open unless the request says
//     "Connection: close"; HTTP/1.0 ones close unless it says
//     "Connection: keep-alive". The last response on a connection says
//     "Connection: close".
//   - A request body with a Content-Length is read and dropped, however
//     long (it is never kept whole); "Expect: 100-continue" gets
//     "100 Continue" first.
//   - Transfer-Encoding (chunked request bodies) is not implemented: 501,
//     then the connection closes, since where such a body ends, and so
//     where the next request starts, is unknown (RFC 9112, 6.1).
//   - A malformed request gets 400, a head over 8 KiB gets 431, a version
//     other than HTTP/1.x gets 505; then the connection closes.
//
// # Why callbacks
//
// The server uses server.TCPServer's read callback, not TCPServerStream:
// a read may hold several pipelined requests and the start of the next.
// The callback parses every whole request where it lies, the responses to
// the whole read go out in one write, and only the unfinished end of the
// read is copied, to wait for the rest. A stream would copy every byte
// into a buffer of the program's own and gain nothing: no request blocks
// waiting for input.
//
// # Backpressure and stopping
//
// A client that pipelines requests faster than it reads the responses is
// paused once its responses are congested (Socket.Disable), so TCP holds
// it back, and read again once they have drained (core.OnDrain).
//
// SIGINT or SIGTERM starts Loop.Shutdown: the server stops accepting, each
// connection answers the requests it has read (the last one perhaps still
// arriving) with "Connection: close" on the last response, and closes; the
// process exits 0 once all have closed, or 1 if -grace passes first (the
// rest are cut off). It exits 1 at once if it cannot listen on -addr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	grace := flag.Duration("grace", 10*time.Second, "on SIGTERM, how long connections may take to finish")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // from now on a second Ctrl-C ends the process at once
	}()
	if err := run(ctx, *addr, *grace, os.Stdout); err != nil {
		log.Print(err)
		os.Exit(1)
	}
}

// run serves HTTP on addr until ctx ends, then shuts down gracefully,
// giving connections grace to finish. It prints "listening on ADDR" to
// stdout once it listens.
func run(ctx context.Context, addr string, grace time.Duration, stdout io.Writer) error {
	// Without core.WithStayRunning a Loop ends once nothing is left to
	// serve: here, once the server is shut down and its last connection
	// has closed, which is what the process waits for.
	l := core.NewLoop()
	var srv *server.Server
	var err error
	if startErr := l.Start(func(l *core.Loop) { srv, err = listen(l, addr) }); startErr != nil {
		return startErr
	}
	if err != nil { // conditions.TCPServerBindError: address in use, ...
		l.Exit()
		_ = l.Wait() // it served nothing: there is nothing more to report
		return err
	}
	ended := make(chan error, 1)
	go func() { ended <- l.Wait() }()
	if _, err := fmt.Fprintf(stdout, "listening on %s\n", srv.Addr()); err != nil {
		l.Exit()
		<-ended
		return err
	}

	select {
	case err := <-ended: // a callback panicked
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := l.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: connections still open after %v were cut off: %w", grace, err)
	}
	return <-ended
}

// listen starts the HTTP server on l.
func listen(l *core.Loop, addr string) (*server.Server, error) {
	return server.TCPServer(l, addr, onRead,
		core.OnConnect(func(s *core.Socket) { s.SetData(&conn{}) }),
		core.OnDrain(onDrain),
		core.OnEvent(onEvent),
		server.OnShutdown(onShutdown),
		// A connection that sends nothing for this long is closed: an idle
		// keep-alive connection, or a client that sends its request a byte
		// at a time to hold the connection (slowloris).
		core.WithReadTimeout(idleTimeout),
	)
}
