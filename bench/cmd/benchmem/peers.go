package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// peers are the far ends of a case's connections: real TCP sockets on
// loopback, in the driver's process, so that the server process's memory
// is the server's alone.
type peers struct {
	conns []net.Conn
}

// How the peers connect and flood.
const (
	dialLimit  = 10 * time.Second
	floodChunk = 64 << 10
)

// dialPeers connects n peers to addr. They never read.
func dialPeers(addr string, n int) (*peers, error) {
	p := &peers{conns: make([]net.Conn, 0, n)}
	d := net.Dialer{Timeout: dialLimit}
	for i := range n {
		c, err := d.Dial("tcp", addr)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("benchmem: peer %d of %d could not connect to %s: %w", i+1, n, addr, err), p.close())
		}
		p.conns = append(p.conns, c)
	}
	return p, nil
}

// floodStats is what the peers saw of a flood.
type floodStats struct {
	Sent int64         `json:"sent"`    // bytes the peers' writes handed to the kernel
	Cut  int           `json:"cut"`     // connections whose writes failed: the server closed them
	Held int           `json:"held"`    // connections still taking bytes, or blocked, when the flood ended
	Took time.Duration `json:"took_ns"` // how long the flood lasted
}

// flood has every peer write as fast as it can until the server closes
// its connection or limit has passed, then stops the writes still going
// (with a write deadline) and returns what the peers saw.
func (p *peers) flood(limit time.Duration) (floodStats, error) {
	type outcome struct {
		sent int64
		err  error
	}
	buf := make([]byte, floodChunk)
	outcomes := make(chan outcome, len(p.conns))
	for _, c := range p.conns {
		go func() {
			var sent int64
			for {
				n, err := c.Write(buf)
				sent += int64(n)
				if err != nil {
					outcomes <- outcome{sent: sent, err: err}
					return
				}
			}
		}()
	}
	var fs floodStats
	count := func(o outcome) {
		fs.Sent += o.sent
		if errors.Is(o.err, os.ErrDeadlineExceeded) {
			fs.Held++
		} else {
			fs.Cut++
		}
	}
	start := time.Now()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	ended, timedOut := 0, false
	for ended < len(p.conns) && !timedOut {
		select {
		case o := <-outcomes:
			count(o)
			ended++
		case <-deadline.C:
			timedOut = true
		}
	}
	fs.Took = time.Since(start)
	var errs []error
	for _, c := range p.conns {
		if err := c.SetWriteDeadline(time.Now()); err != nil {
			errs = append(errs, fmt.Errorf("benchmem: stopping a peer's flood: %w", err))
		}
	}
	for ; ended < len(p.conns); ended++ {
		count(<-outcomes)
	}
	return fs, errors.Join(errs...)
}

// close closes every peer.
func (p *peers) close() error {
	var errs []error
	for _, c := range p.conns {
		if err := c.Close(); err != nil {
			errs = append(errs, fmt.Errorf("benchmem: closing a peer: %w", err))
		}
	}
	return errors.Join(errs...)
}
