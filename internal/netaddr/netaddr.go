// Package netaddr checks the "host:port" addresses given to asyncnet's
// entry points, once, at the call: client.TCPConnect, server.TCPServer and
// adapters.TakeAddr all use it, so an address the network cannot use is a
// clear error at once rather than a failure later (a NUL byte that becomes
// a DNS error, a port that wraps).
package netaddr

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Use says what the address is for.
type Use int

const (
	// Dial: the host must be given; the port is 1-65535.
	Dial Use = iota
	// Listen: an empty host means every address; port 0 picks a free one.
	Listen
)

// Addr is a checked address.
type Addr struct {
	Host string // an IP address (possibly with a zone) or a host name; empty for every address (Listen)
	Port uint16
}

// String returns the address as "host:port", bracketing IPv6 hosts.
func (a Addr) String() string { return net.JoinHostPort(a.Host, strconv.Itoa(int(a.Port))) }

// IP returns the host as an IP address, if it is one.
func (a Addr) IP() (netip.Addr, bool) {
	ip, err := netip.ParseAddr(a.Host)
	return ip, err == nil
}

// maxNameLen is the longest host name DNS can carry.
const maxNameLen = 253

// Parse checks addr, "host:port", for use. The port may be a number or a
// service name ("http"). The error says what is wrong, quoting addr; it
// does not repeat the caller's name.
func Parse(addr string, use Use) (Addr, error) {
	if i := strings.IndexFunc(addr, isControl); i >= 0 {
		return Addr{}, fmt.Errorf("%q: control character %q at byte %d", addr, addr[i], i)
	}
	host, portName, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return Addr{}, fmt.Errorf("%q: %s", addr, ae.Err)
		}
		return Addr{}, fmt.Errorf("%q: %w", addr, err)
	}
	if err := checkHost(host, use); err != nil {
		return Addr{}, fmt.Errorf("%q: %w", addr, err)
	}
	port, err := parsePort(portName)
	if err != nil {
		return Addr{}, fmt.Errorf("%q: %w", addr, err)
	}
	if use == Dial && port == 0 {
		return Addr{}, fmt.Errorf("%q: port 0: a connection needs the peer's port (1-65535)", addr)
	}
	return Addr{Host: host, Port: uint16(port)}, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// checkHost checks that host is an IP address or a valid host name.
func checkHost(host string, use Use) error {
	if host == "" {
		if use == Dial {
			return errors.New("missing host")
		}
		return nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if strings.ContainsAny(host, ":%") {
		return fmt.Errorf("bad IP address %q", host)
	}
	if len(host) > maxNameLen {
		return fmt.Errorf("host name longer than %d bytes", maxNameLen)
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(host, "."), ".") {
		if err := checkLabel(label); err != nil {
			return fmt.Errorf("bad host name %q: %w", host, err)
		}
	}
	return nil
}

// checkLabel checks one label of a host name: letters, digits, '-' and
// '_' (which some internal names use), 1-63 bytes, no '-' at either end.
func checkLabel(label string) error {
	switch {
	case label == "":
		return errors.New("empty label")
	case len(label) > 63:
		return fmt.Errorf("label longer than 63 bytes")
	case label[0] == '-' || label[len(label)-1] == '-':
		return fmt.Errorf("label %q starts or ends with '-'", label)
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("character %q not allowed", c)
		}
	}
	return nil
}

// parsePort returns the port named by s: a decimal number or a service
// name.
func parsePort(s string) (int, error) {
	if s == "" {
		return 0, errors.New("missing port")
	}
	if s[0] >= '0' && s[0] <= '9' {
		n, err := strconv.ParseUint(s, 10, 32)
		if err != nil || n > 65535 {
			return 0, fmt.Errorf("port %s out of range 0-65535", s)
		}
		return int(n), nil
	}
	if err := checkLabel(s); err != nil {
		return 0, fmt.Errorf("bad port %q", s)
	}
	n, err := net.LookupPort("tcp", s)
	if err != nil {
		return 0, fmt.Errorf("unknown port %q", s)
	}
	return n, nil
}
