package main

import (
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/core"
)

// What the server tells about itself and about a client: INFO, from the
// Loop's Stats, and CLIENT INFO, from the connection's addresses. Behind a
// balancer that sends the PROXY protocol (-proxy-protocol), the addresses
// are the client's, as the header gives them, not the balancer's.

// process is what the connections of one server share besides the store.
type process struct {
	loop    *core.Loop
	started time.Time
	nextID  atomic.Int64  // CLIENT ID; connections are accepted on several goroutines
	served  atomic.Uint64 // commands executed, added once per read (conn.serve)
}

// peer is what CLIENT INFO reports of a connection, set when it opens.
type peer struct {
	addr, laddr string // the peer's and the server's addresses
	opened      time.Time
}

// newPeer returns what CLIENT INFO reports of s.
func newPeer(s *core.Socket) peer {
	return peer{addr: addrString(s.RemoteAddr()), laddr: addrString(s.LocalAddr()), opened: time.Now()}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// clientInfo is CLIENT INFO: the connection's line of CLIENT LIST, with
// the fields of redis 7 that mean something here, in redis' order.
func (c *conn) clientInfo() {
	var b strings.Builder
	b.WriteString("id=")
	b.WriteString(strconv.FormatInt(c.id, 10))
	b.WriteString(" addr=")
	b.WriteString(c.peer.addr)
	b.WriteString(" laddr=")
	b.WriteString(c.peer.laddr)
	b.WriteString(" name=")
	b.Write(c.name)
	b.WriteString(" age=")
	if !c.peer.opened.IsZero() {
		b.WriteString(strconv.FormatInt(int64(time.Since(c.peer.opened)/time.Second), 10))
	} else {
		b.WriteString("0")
	}
	b.WriteString(" db=0 cmd=client|info\n")
	c.out = appendBulkString(c.out, b.String())
}

// infoSections are INFO's sections, in the order INFO lists them.
var infoSections = []string{"server", "clients", "stats"}

// info is INFO [section ...]: the sections asked for (all of them for
// none, "default", "all" or "everything"), each a "# Name" line and
// "field:value" lines, as redis words them where redis has the field;
// asyncnet's own counters start with asyncnet_. An unknown section is
// left out, as redis does.
func (c *conn) info(args [][]byte) {
	want := map[string]bool{}
	for _, a := range args[1:] {
		switch name := c.lowerName(a); name {
		case "default", "all", "everything":
			for _, s := range infoSections {
				want[s] = true
			}
		default:
			want[name] = true
		}
	}
	if len(want) == 0 {
		for _, s := range infoSections {
			want[s] = true
		}
	}
	var st core.Stats
	var p *process
	if c.proc != nil { // the tests of protocol.go serve without a Loop
		p = c.proc
		st = p.loop.Stats()
	} else {
		p = &process{started: time.Now()}
	}
	var b strings.Builder
	field := func(name string, v uint64) {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(v, 10))
		b.WriteString("\r\n")
	}
	for _, section := range infoSections {
		if !want[section] {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		switch section {
		case "server":
			b.WriteString("# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\nasyncnet_server:resp\r\n")
			field("process_id", uint64(os.Getpid()))
			field("uptime_in_seconds", uint64(time.Since(p.started)/time.Second))
		case "clients":
			b.WriteString("# Clients\r\n")
			field("connected_clients", uint64(max(st.IncomingSockets, 0)))
		case "stats":
			b.WriteString("# Stats\r\n")
			field("total_connections_received", st.Accepted)
			field("total_commands_processed", p.served.Load())
			field("total_net_input_bytes", st.BytesRead)
			field("total_net_output_bytes", st.BytesWritten)
			field("asyncnet_accept_errors", st.AcceptErrors)
			field("asyncnet_closed_eof", st.ClosedEOF)
			field("asyncnet_closed_reset", st.ClosedReset)
			field("asyncnet_closed_timeout", st.ClosedTimeout)
			field("asyncnet_closed_overflow", st.ClosedOverflow)
			field("asyncnet_closed_by_app", st.ClosedByApp)
			field("asyncnet_closed_error", st.ClosedError)
			field("asyncnet_refused_writes", st.RefusedWrites)
			field("asyncnet_bytes_buffered_out", uint64(max(st.BytesBufferedOut, 0)))
		}
	}
	c.out = appendBulkString(c.out, b.String())
}
