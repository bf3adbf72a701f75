// Command tls-echo is a TLS echo server on asyncnet: crypto/tls over the
// blocking net.Conn view of asyncnet sockets (server.Listen, client.Dial).
// gnet has no TLS; Go's crypto/tls works over any net.Conn, so it runs on
// asyncnet's reactors as is, certificates verified.
//
//	go run ./examples/tls-echo                 # serve on 127.0.0.1:7443 until Ctrl-C
//	go run ./examples/tls-echo -serve=false    # the client demo only
//
// It makes a throwaway certificate authority, writes it to a file and
// prints how to talk to the server with openssl s_client.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/certs"
	"github.com/asyncnet/asyncnet/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7443", "address to listen on")
	serve := flag.Bool("serve", true, "keep serving after the demo, until Ctrl-C")
	flag.Parse()
	var stop chan struct{}
	if *serve {
		stop = make(chan struct{})
		interrupt := make(chan os.Signal, 1)
		signal.Notify(interrupt, os.Interrupt)
		go func() {
			<-interrupt
			close(stop)
		}()
	}
	if err := run(*addr, stop, os.Stdout, nil); err != nil {
		log.Fatal(err)
	}
}

// run serves TLS echo on addr and has a TLS client talk to it; then, if
// stop is not nil, it serves until stop is closed. If ready is not nil it
// gets the address and the CA file once the server listens.
func run(addr string, stop <-chan struct{}, out io.Writer, ready func(addr, caFile string)) error {
	cs, err := certs.New()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "asyncnet-tls")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, cs.CAPEM, 0o600); err != nil {
		return err
	}

	l := core.NewLoop()
	demoErr := make(chan error, 1)
	err = l.Run(func(l *core.Loop) {
		ln, err := server.Listen(l, addr)
		if err != nil {
			demoErr <- err
			return
		}
		tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cs.Server}})
		fmt.Fprintf(out, "TLS echo server on %s\n", ln.Addr())
		go acceptLoop(tlsLn) // Accept blocks: not on a reactor
		if ready != nil {
			ready(ln.Addr().String(), caFile)
		}
		go func() {
			err := demo(l, ln.Addr().String(), cs, out)
			if err == nil && stop != nil {
				fmt.Fprintf(out, "still serving; try:\n  openssl s_client -connect %s -CAfile %s -verify_return_error -quiet\n(Ctrl-C to stop)\n",
					ln.Addr(), caFile)
				<-stop
			}
			demoErr <- err
			_ = ln.Close()
			l.Exit()
		}()
	})
	if err != nil {
		return err
	}
	return <-demoErr
}

// acceptLoop echoes every connection on its own goroutine: the blocking
// style crypto/tls needs, served by asyncnet's reactors underneath.
func acceptLoop(ln net.Listener) {
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

// demo dials the server over TLS, verifying its certificate, and echoes a
// few lines.
func demo(l *core.Loop, addr string, cs *certs.Certs, out io.Writer) error {
	raw, err := client.Dial(l, addr)
	if err != nil {
		return err
	}
	c := tls.Client(raw, &tls.Config{RootCAs: cs.Pool, ServerName: "localhost"})
	defer c.Close()
	if err := c.Handshake(); err != nil {
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
		fmt.Fprintf(out, "client: got %q\n", strings.TrimSpace(string(buf)))
	}
	return nil
}
