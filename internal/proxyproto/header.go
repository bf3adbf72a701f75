package proxyproto

import (
	"net/netip"
	"strconv"
)

// Command is what a PROXY header asks the receiver to do with the addresses
// it carries. Its values are those of the low nibble of a version 2 header's
// 13th byte.
type Command uint8

const (
	// CommandLocal says the proxy opened the connection itself (a health
	// check, for instance): the receiver uses the real connection endpoints.
	// Only version 2 headers carry it.
	CommandLocal Command = 0x0
	// CommandProxy says the proxy relays the connection on behalf of a
	// client whose endpoints the header gives. Every version 1 header has it.
	CommandProxy Command = 0x1
)

// String returns "LOCAL", "PROXY", or the command's number for other values.
func (c Command) String() string {
	switch c {
	case CommandLocal:
		return "LOCAL"
	case CommandProxy:
		return "PROXY"
	}
	return "Command(" + strconv.Itoa(int(c)) + ")"
}

// Family is the address family and transport protocol of the relayed
// connection. Its values are those of a version 2 header's 14th byte: the
// high nibble is the address family, the low nibble the transport protocol.
type Family uint8

const (
	// FamilyUnspec is an unknown, unspecified or unsupported family: the
	// header carries no usable addresses (version 1 "UNKNOWN", version 2
	// AF_UNSPEC or transport UNSPEC, and every LOCAL header).
	FamilyUnspec Family = 0x00
	// FamilyTCP4 is TCP over IPv4 (version 1 "TCP4").
	FamilyTCP4 Family = 0x11
	// FamilyUDP4 is UDP over IPv4 (version 2 only).
	FamilyUDP4 Family = 0x12
	// FamilyTCP6 is TCP over IPv6 (version 1 "TCP6").
	FamilyTCP6 Family = 0x21
	// FamilyUDP6 is UDP over IPv6 (version 2 only).
	FamilyUDP6 Family = 0x22
	// FamilyUnixStream is SOCK_STREAM over AF_UNIX (version 2 only).
	FamilyUnixStream Family = 0x31
	// FamilyUnixDgram is SOCK_DGRAM over AF_UNIX (version 2 only).
	FamilyUnixDgram Family = 0x32
)

// String returns the family's name as this package spells it ("TCP4",
// "UNIX-STREAM", "UNSPEC", ...), or its number for values that are not one
// of the constants above.
func (f Family) String() string {
	switch f {
	case FamilyUnspec:
		return "UNSPEC"
	case FamilyTCP4:
		return "TCP4"
	case FamilyUDP4:
		return "UDP4"
	case FamilyTCP6:
		return "TCP6"
	case FamilyUDP6:
		return "UDP6"
	case FamilyUnixStream:
		return "UNIX-STREAM"
	case FamilyUnixDgram:
		return "UNIX-DGRAM"
	}
	return "Family(0x" + strconv.FormatUint(uint64(f), 16) + ")"
}

// IsIP reports whether the family's addresses are IP addresses and ports,
// held in [Header.Source] and [Header.Destination].
func (f Family) IsIP() bool {
	switch f {
	case FamilyTCP4, FamilyUDP4, FamilyTCP6, FamilyUDP6:
		return true
	}
	return false
}

// IsUnix reports whether the family's addresses are AF_UNIX paths, held in
// [Header.SourcePath] and [Header.DestinationPath].
func (f Family) IsUnix() bool {
	return f == FamilyUnixStream || f == FamilyUnixDgram
}

// v2AddrLen returns the size of the version 2 address block for f: 12 bytes
// for IPv4, 36 for IPv6, 216 for AF_UNIX, and 0 for FamilyUnspec, whose
// block (if any) is opaque.
func (f Family) v2AddrLen() int {
	switch f {
	case FamilyTCP4, FamilyUDP4:
		return 2*4 + 2*2
	case FamilyTCP6, FamilyUDP6:
		return 2*16 + 2*2
	case FamilyUnixStream, FamilyUnixDgram:
		return 2 * unixPathLen
	}
	return 0
}

// Registered version 2 TLV types (section 2.2 of the specification). The
// parser does not interpret any of them; they are listed for callers that
// look TLVs up by type.
const (
	// TLVTypeALPN holds the negotiated application protocol, as in TLS ALPN.
	TLVTypeALPN byte = 0x01
	// TLVTypeAuthority holds the host name the client asked for (TLS SNI).
	TLVTypeAuthority byte = 0x02
	// TLVTypeCRC32C holds a CRC32c checksum of the whole header.
	TLVTypeCRC32C byte = 0x03
	// TLVTypeNoop is padding, to be ignored.
	TLVTypeNoop byte = 0x04
	// TLVTypeUniqueID holds an opaque connection ID of up to 128 bytes.
	TLVTypeUniqueID byte = 0x05
	// TLVTypeSSL holds TLS details: flags, a verify result and sub-TLVs.
	TLVTypeSSL byte = 0x20
	// TLVTypeNetNS holds the name of the network namespace.
	TLVTypeNetNS byte = 0x30
)

// TLV is one type-length-value vector from the end of a version 2 header.
type TLV struct {
	// Type is the vector's type byte, one of the TLVType constants or any
	// other value.
	Type byte
	// Value is the vector's value. A parsed header's values are copies that
	// stay valid after the parsed buffer is reused; a zero-length value is
	// nil.
	Value []byte
}

// Header is a parsed PROXY protocol header, or one to format.
//
// Addresses are set only when [Header.HasAddrs] is true: Source and
// Destination for IP families, SourcePath and DestinationPath for AF_UNIX
// families. Otherwise the receiver must use the real connection endpoints.
type Header struct {
	// Version is 1 for the text format and 2 for the binary one.
	Version int
	// Command is CommandProxy for every version 1 header; version 2 headers
	// may also say CommandLocal.
	Command Command
	// Family is the relayed connection's family. A parsed LOCAL header's
	// family is always FamilyUnspec, because the specification tells the
	// receiver to ignore it.
	Family Family
	// Source is the client's address and port (IP families only). For TCP6
	// and UDP6 it may be an IPv4-mapped IPv6 address, as sent.
	Source netip.AddrPort
	// Destination is the address and port the client connected to (IP
	// families only).
	Destination netip.AddrPort
	// SourcePath is the client's socket path (AF_UNIX families only). An
	// abstract socket's name is written with a leading '@' in place of its
	// NUL byte, as the net package does.
	SourcePath string
	// DestinationPath is the socket path the client connected to (AF_UNIX
	// families only), written like SourcePath.
	DestinationPath string
	// TLVs are the version 2 header's type-length-value vectors, in order.
	// The parser reports them only for PROXY headers of a known family:
	// after a LOCAL command or an UNSPEC family the payload is skipped
	// unread, since the specification tells the receiver to discard it.
	TLVs []TLV
}

// HasAddrs reports whether h carries the relayed connection's addresses. When
// it is false (a version 2 LOCAL command, a version 1 UNKNOWN line, a version
// 2 UNSPEC family) the receiver must use the real connection's addresses.
func (h Header) HasAddrs() bool {
	return h.Command == CommandProxy && (h.Family.IsIP() || h.Family.IsUnix())
}
