package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// A RESP client just big enough for the demo: one command per connection,
// one reply read (a status, an error, an integer or a bulk string).

// command sends one inline command to the server at addr and returns its
// reply as text; an error reply is returned as an error. A server with
// -proxy-protocol wants a PROXY header first: a direct connection sends
// "PROXY UNKNOWN", which keeps the connection's real addresses.
func command(addr string, proxy bool, cmd string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		return "", err
	}
	if proxy {
		cmd = "PROXY UNKNOWN\r\n" + cmd
	}
	if _, err := fmt.Fprintf(c, "%s\r\n", cmd); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(c))
}

// readReply reads one RESP2 reply that is not an array.
func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("%s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < -1 {
			return "", fmt.Errorf("bad bulk length %q", line)
		}
		if n == -1 {
			return "", nil // a null: GET of a missing key
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// parseFields parses "name<kv>value" pairs separated by sep into numbers;
// what is not a number is left out.
func parseFields(s, sep, kv string) map[string]uint64 {
	fields := map[string]uint64{}
	for _, f := range strings.Split(s, sep) {
		name, value, ok := strings.Cut(strings.TrimSpace(f), kv)
		if !ok {
			continue
		}
		if n, err := strconv.ParseUint(value, 10, 64); err == nil {
			fields[name] = n
		}
	}
	return fields
}

// infoStats returns the fields of INFO stats of the server at addr.
func infoStats(addr string, proxy bool) (map[string]uint64, error) {
	out, err := command(addr, proxy, "INFO stats")
	if err != nil {
		return nil, err
	}
	return parseFields(out, "\n", ":"), nil
}
