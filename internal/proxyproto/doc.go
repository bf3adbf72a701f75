// Package proxyproto parses and formats PROXY protocol headers, versions 1
// and 2, as HAProxy's send-proxy and send-proxy-v2 (and many cloud load
// balancers) put them at the start of a relayed TCP connection. It follows
// https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt.
//
// # Incremental parsing
//
// [Parse] suits an event loop that buffers a connection's bytes and must not
// block: call it with everything buffered so far each time more arrives. It
// never consumes anything; it says how long the header is, that more bytes
// are needed, or that the bytes are not a header:
//
//	h, n, err := proxyproto.Parse(buf)
//	switch {
//	case errors.Is(err, proxyproto.ErrIncomplete):
//		return // wait for more bytes; a timer bounds the wait
//	case err != nil:
//		closeWith(err) // matches proxyproto.ErrMalformed
//		return
//	}
//	discard(n) // buf[n:] is the application's first data
//	if h.HasAddrs() {
//		remote, local = h.Source, h.Destination
//	}
//
// ErrIncomplete is returned only while the bytes are a proper prefix of some
// valid header, so garbage is rejected at the first byte that rules out
// every header: an HTTP request at its "G", a TLS client hello at its first
// byte, "PROXZ" at the Z, an IPv4 address in a TCP6 line at its first dot, a
// version 2 length beyond the limit as soon as the 16-byte fixed part is in,
// a TLV that overruns the header as soon as its own length is in. A version
// 1 line is rejected at the first byte after which it could no longer end,
// CRLF included, within the specification's 107 bytes.
//
// # Strictness
//
// Version 1 lines are held to the text of the specification: single spaces,
// "TCP4", "TCP6" or "UNKNOWN" in upper case, no leading zeros in IPv4
// numbers or ports, ports in [0, 65535] without a sign, CRLF and nothing
// else as the line end. Two choices go beyond the text: a TCP6 address may
// end in a dotted quad ("::ffff:192.0.2.1"), because inet_ntop writes
// IPv4-mapped addresses that way and senders use it, but may not carry a
// zone; and after "UNKNOWN" there must be a space or the CRLF.
//
// Version 2 headers must have version 2, command LOCAL or PROXY, an address
// family in 0-3 and a transport protocol in 0-2, whatever the command. A
// LOCAL header's payload is skipped unread, as the specification asks; so is
// the payload of a PROXY header whose family or transport is UNSPEC, since
// its addresses are to be ignored and their length is unknown. Both come out
// as [FamilyUnspec], for which [Header.HasAddrs] is false. Otherwise the
// length must cover the address block, and TLVs must fill the rest exactly.
// TLVs are reported raw and unchecked: this package does not verify a
// PP2_TYPE_CRC32C checksum.
//
// [DefaultMaxV2Length] bounds the version 2 length field, so that a client
// cannot make the receiver hold 64 KiB per connection; [Parser] sets another
// bound.
//
// # Why not github.com/pires/go-proxyproto
//
// That package reads headers from a blocking *bufio.Reader on a net.Conn. It
// cannot say "incomplete, call again" for a buffer an event loop holds, and
// it reports a header cut short by the end of the buffer no differently from
// garbage.
package proxyproto
