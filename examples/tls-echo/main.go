// Command tls-echo is a TLS echo server on asyncnet: crypto/tls over the
// blocking net.Conn view of asyncnet sockets (server.Listen, client.Dial).
// gnet has no TLS; Go's crypto/tls works over any net.Conn, so it runs on
// asyncnet's reactors as is, certificates verified.
//
//	go run ./examples/tls-echo                 # serve on 127.0.0.1:7443 until Ctrl-C or SIGTERM
//	go run ./examples/tls-echo -serve=false    # the client demo only
//	go run ./examples/tls-echo -addr :7443 -cert cert.pem -key key.pem   # your certificate, no demo
//
// Without -cert and -key it makes a throwaway self-signed certificate,
// writes it to a file, has a TLS client talk to the server, and prints
// how to talk to it with openssl s_client.
//
// On SIGINT (Ctrl-C) or SIGTERM it shuts down gracefully: it stops
// accepting, and closes each connection (close_notify, then end of file)
// once its client has ended it, or once it has been quiet for -quiet. What
// is still open after -grace is cut short. A second signal ends the
// program at once.
//
// Exit status: 0 when every connection finished within the grace period;
// 1 when it could not listen (the port is taken, say) or load its
// certificate, when the demo failed, or when the grace period ran out and
// connections were cut short; 2 for bad flags.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// config is what the flags say.
type config struct {
	addr      string
	serve     bool          // keep serving after the demo
	grace     time.Duration // how long a shutdown waits for connections to finish
	quiet     time.Duration // during a shutdown, how long a connection may stay quiet before it is closed
	cert, key string        // PEM files; both empty: a throwaway self-signed certificate, and the demo
}

func main() {
	var cfg config
	flag.StringVar(&cfg.addr, "addr", "127.0.0.1:7443", "address to listen on")
	flag.BoolVar(&cfg.serve, "serve", true, "keep serving after the demo, until SIGINT or SIGTERM")
	flag.DurationVar(&cfg.grace, "grace", 10*time.Second, "on SIGINT or SIGTERM, how long to let open connections finish")
	flag.DurationVar(&cfg.quiet, "quiet", time.Second, "on SIGINT or SIGTERM, close a connection once it has been quiet this long")
	flag.StringVar(&cfg.cert, "cert", "", "the server's certificate chain, PEM (default: a throwaway self-signed one)")
	flag.StringVar(&cfg.key, "key", "", "the certificate's private key, PEM")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // from the first signal on, a second one ends the program at once
	err := run(ctx, cfg, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tls-echo:", err)
		os.Exit(1)
	}
}

// run serves TLS echo on cfg.addr; with a throwaway certificate it has a
// TLS client talk to it. Then, if cfg.serve, it serves until ctx ends.
// Then it shuts down gracefully.
func run(ctx context.Context, cfg config, out io.Writer) error {
	var cert tls.Certificate
	var roots *x509.CertPool // what the demo client trusts; nil: no demo
	var err error
	switch {
	case cfg.cert != "" || cfg.key != "":
		if cert, err = tls.LoadX509KeyPair(cfg.cert, cfg.key); err != nil {
			return err
		}
	default:
		var certPEM []byte
		if cert, certPEM, err = selfSigned(); err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "asyncnet-tls-echo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.cert = filepath.Join(dir, "cert.pem")
		if err := os.WriteFile(cfg.cert, certPEM, 0o600); err != nil {
			return err
		}
		roots = x509.NewCertPool()
		roots.AppendCertsFromPEM(certPEM)
	}

	// The Loop stays up until Shutdown, whatever it holds.
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		return err
	}
	ln, err := server.Listen(l, cfg.addr)
	if err != nil {
		l.Exit() // nothing to finish
		return err
	}
	fmt.Fprintf(out, "listening on %s\n", ln.Addr())
	es := &echoServer{quiet: cfg.quiet, conns: make(map[net.Conn]struct{})}
	accepting := make(chan struct{})
	go func() { // Accept blocks: not on a reactor
		defer close(accepting)
		es.serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}))
	}()

	if roots != nil {
		fmt.Fprintf(out, "self-signed certificate for localhost in %s\n", cfg.cert)
		err = demo(ctx, l, ln.Addr().String(), roots, out)
	}
	if err == nil && cfg.serve && ctx.Err() == nil {
		fmt.Fprintf(out, "still serving; try:\n  openssl s_client -connect %s -CAfile %s -verify_return_error -quiet\n(Ctrl-C to stop)\n",
			ln.Addr(), cfg.cert)
		<-ctx.Done()
	}
	if cerr := ln.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	<-accepting
	return errors.Join(err, shutdown(l, es, cfg.grace, out))
}

// shutdown closes the connections as they finish, waiting up to grace
// (see echoServer.shutdown), then stops the Loop.
func shutdown(l *core.Loop, es *echoServer, grace time.Duration, out io.Writer) error {
	fmt.Fprintf(out, "shutting down (open connections: %d); waiting up to %v for them to finish\n", es.open(), grace)
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	cut := es.shutdown(ctx)
	// Every connection is closed: the Loop only has their last bytes to
	// deliver (past ctx, it drops them).
	stopped := l.Shutdown(ctx)
	if cut != nil || stopped != nil {
		return fmt.Errorf("the %v grace period ran out; the connections still open were cut short", grace)
	}
	fmt.Fprintln(out, "every connection finished")
	return nil
}

// demo dials the server over TLS, verifying its certificate against
// roots, echoes a few lines, then ends the TLS session (close_notify) and
// reads until the server has ended it too.
func demo(ctx context.Context, l *core.Loop, addr string, roots *x509.CertPool, out io.Writer) error {
	raw, err := client.DialContext(ctx, l, addr)
	if err != nil {
		return err
	}
	c := tls.Client(raw, &tls.Config{RootCAs: roots, ServerName: "localhost"})
	defer c.Close()
	if err := c.HandshakeContext(ctx); err != nil {
		return err
	}
	st := c.ConnectionState()
	fmt.Fprintf(out, "client: %s, %s, certificate of %q verified\n",
		tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), st.PeerCertificates[0].Subject.CommonName)
	for _, msg := range []string{"hello", "over TLS", "on asyncnet"} {
		if _, err := io.WriteString(c, msg); err != nil {
			return err
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
		fmt.Fprintf(out, "client: got %q\n", buf)
	}
	if err := c.CloseWrite(); err != nil {
		return err
	}
	if rest, err := io.ReadAll(c); err != nil || len(rest) > 0 {
		return fmt.Errorf("client: want the end of the session, got %q, %v", rest, err)
	}
	fmt.Fprintln(out, "client: the server ended the session too")
	return nil
}
