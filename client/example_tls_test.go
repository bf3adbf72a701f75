package client_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

// A TLS client over Dial: crypto/tls runs over any net.Conn, asyncnet's
// included, and verifies the server's certificate. The server, on asyncnet
// too (server.Listen), uses a certificate made here for 127.0.0.1.
func ExampleDial_tls() {
	cert, roots, err := selfSigned("127.0.0.1")
	if err != nil {
		fmt.Println(err)
		return
	}
	l := core.NewLoop(core.WithStayRunning())
	if err := l.Start(nil); err != nil {
		fmt.Println(err)
		return
	}
	defer l.Exit() // on an early return; after Shutdown it does nothing
	ln, err := server.Listen(l, "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	tlsLn := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}})
	go func() { // a TLS echo server, a goroutine per connection as with net.Listen
		for {
			c, err := tlsLn.Accept()
			if err != nil {
				return // closed, by Shutdown or Exit
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()

	raw, err := client.Dial(l, ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	c := tls.Client(raw, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	line := ""
	_, err = fmt.Fprintf(c, "hello over TLS\n") // handshakes first
	if err == nil {
		line, err = bufio.NewReader(c).ReadString('\n')
	}
	fmt.Printf("%s: %q %v\n", tls.VersionName(c.ConnectionState().Version), line, err)
	_ = c.Close() // close_notify, then end of file
	if err := l.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output: TLS 1.3: "hello over TLS\n" <nil>
}

// selfSigned makes a certificate for the IP address host, signed by its
// own key, and a pool that trusts it: for tests and examples only.
func selfSigned(host string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: host},
		IPAddresses:  []net.IP{net.ParseIP(host)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots, nil
}
