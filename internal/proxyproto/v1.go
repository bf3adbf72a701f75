package proxyproto

import (
	"bytes"
	"net/netip"
)

// Version 1 is one line of US-ASCII text (section 2.1 of the specification):
//
//	PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n
//	PROXY TCP6 2001:db8::1 2001:db8::2 56324 443\r\n
//	PROXY UNKNOWN<anything but CR or LF>\r\n
//
// with exactly one space between fields, addresses of the announced family,
// ports in [0, 65535], no leading zeros in numbers, and at most 107 bytes
// including the CRLF.
const (
	v1Signature = "PROXY "
	v1MaxLen    = 107
	v1TCP4      = "TCP4"
	v1TCP6      = "TCP6"
	v1Unknown   = "UNKNOWN"
)

// v1Protocols are the protocol fields a line may have, with the family each
// announces.
var v1Protocols = [...]struct {
	name   string
	family Family
}{
	{name: v1TCP4, family: FamilyTCP4},
	{name: v1TCP6, family: FamilyTCP6},
	{name: v1Unknown, family: FamilyUnspec},
}

// v1Field names the fields after the protocol, in order.
var v1Field = [4]string{"source address", "destination address", "source port", "destination port"}

// parseV1 parses a version 1 line at the start of b, which starts with 'P'.
func parseV1(b []byte) (Header, int, error) {
	line := b[:min(len(b), v1MaxLen)]
	h, n, need, err := scanV1(line)
	switch {
	case err != nil:
		return Header{}, 0, err
	case n > 0:
		return h, n, nil
	case len(line)+need > v1MaxLen:
		return Header{}, 0, malformed("v1: line longer than %d bytes", v1MaxLen)
	}
	return Header{}, 0, ErrIncomplete
}

// scanV1 scans line, at most v1MaxLen bytes. It returns the header and its
// length; or, when line is a proper prefix of a valid line, n == 0 and the
// fewest bytes still needed to complete it; or a malformed error.
func scanV1(line []byte) (h Header, n, need int, err error) {
	sig := line[:min(len(line), len(v1Signature))]
	if !bytes.HasPrefix([]byte(v1Signature), sig) {
		return h, 0, 0, malformed("v1: bad signature %q", sig)
	}
	if len(sig) < len(v1Signature) {
		return h, 0, len(v1Signature) - len(sig) + v1ProtocolNeed(nil), nil
	}
	proto, end := field(line, len(v1Signature))
	if end == len(line) {
		if need := v1ProtocolNeed(proto); need >= 0 {
			return h, 0, need, nil
		}
		return h, 0, 0, malformed("v1: unknown protocol %q", proto)
	}
	h = Header{Version: 1, Command: CommandProxy}
	switch string(proto) {
	case v1Unknown:
		n, need, err = scanV1Unknown(line, end)
		return h, n, need, err
	case v1TCP4:
		h.Family = FamilyTCP4
	case v1TCP6:
		h.Family = FamilyTCP6
	default:
		return h, 0, 0, malformed("v1: unknown protocol %q", proto)
	}
	if line[end] != ' ' {
		return h, 0, 0, malformed("v1: line ends after protocol %s", proto)
	}
	n, need, err = scanV1Fields(line, end+1, &h)
	return h, n, need, err
}

// field returns the bytes of line from pos up to the next space or CR, and
// the index of that separator (len(line) when there is none yet).
func field(line []byte, pos int) ([]byte, int) {
	end := pos
	for end < len(line) && line[end] != ' ' && line[end] != '\r' {
		end++
	}
	return line[pos:end], end
}

// v1ProtocolNeed returns the fewest bytes that complete a line whose
// protocol field is so far proto, or -1 when no protocol starts with proto.
func v1ProtocolNeed(proto []byte) int {
	need := -1
	for _, p := range v1Protocols {
		if !bytes.HasPrefix([]byte(p.name), proto) {
			continue
		}
		if n := len(p.name) - len(proto) + v1MinAfter(-1, p.family); need < 0 || n < need {
			need = n
		}
	}
	return need
}

// scanV1Unknown scans what follows "UNKNOWN" from pos, where a space or a CR
// is: either CRLF at once, or a space and anything up to the CRLF, which the
// receiver must ignore. A lone LF is not a line end, nor is a CR without an
// LF after it.
func scanV1Unknown(line []byte, pos int) (n, need int, err error) {
	if pos < len(line) && line[pos] == ' ' {
		pos++
	}
	i := bytes.IndexAny(line[pos:], "\r\n")
	switch {
	case i < 0:
		return 0, len("\r\n"), nil
	case line[pos+i] == '\n':
		return 0, 0, malformed("v1: LF without CR")
	}
	return crlf(line, pos+i)
}

// scanV1Fields scans the addresses and ports of a TCP4 or TCP6 line from
// pos, storing them in h, up to and including the CRLF.
func scanV1Fields(line []byte, pos int, h *Header) (n, need int, err error) {
	var addrs [2]netip.Addr
	var ports [2]uint16
	for i := range v1Field {
		f, end := field(line, pos)
		var fneed int
		var ok bool
		if i < 2 {
			addrs[i], fneed, ok = scanV1Addr(f, h.Family)
		} else {
			ports[i-2], fneed, ok = scanPort(f)
		}
		switch {
		case !ok && i < 2:
			return 0, 0, malformed("v1: bad %s %s %q", h.Family, v1Field[i], f)
		case !ok:
			return 0, 0, malformed("v1: bad %s %q", v1Field[i], f)
		case end == len(line):
			return 0, fneed + v1MinAfter(i, h.Family), nil
		case len(f) == 0:
			return 0, 0, malformed("v1: empty %s (extra space?)", v1Field[i])
		case fneed > 0 && i < 2:
			return 0, 0, malformed("v1: bad %s %s %q", h.Family, v1Field[i], f)
		case i < len(v1Field)-1 && line[end] == '\r':
			return 0, 0, malformed("v1: line ends after %s", v1Field[i])
		case i == len(v1Field)-1 && line[end] == ' ':
			return 0, 0, malformed("v1: extra space after %s", v1Field[i])
		}
		pos = end + 1
	}
	h.Source = netip.AddrPortFrom(addrs[0], ports[0])
	h.Destination = netip.AddrPortFrom(addrs[1], ports[1])
	return crlf(line, pos-1) // the CR after the destination port
}

// scanV1Addr scans an address of family fam (TCP4 or TCP6), or a prefix of
// one; when need is 0 it also returns the address.
func scanV1Addr(f []byte, fam Family) (a netip.Addr, need int, ok bool) {
	if fam == FamilyTCP4 {
		a4, need, ok := scanIPv4(f)
		return netip.AddrFrom4(a4), need, ok
	}
	need, ok = scanIPv6(f)
	if !ok || need > 0 {
		return a, need, ok
	}
	a, err := netip.ParseAddr(string(f))
	return a, 0, err == nil && a.Is6()
}

// v1MinAfter returns the fewest bytes that can follow field i of a line of
// family fam: the separators, the shortest remaining fields ("0.0.0.0" or
// "::", "0") and the CRLF. Field -1 is the protocol; an UNKNOWN line
// (FamilyUnspec) can end right after it.
func v1MinAfter(i int, fam Family) int {
	if fam == FamilyUnspec {
		return len("\r\n")
	}
	shortestAddr := len("::")
	if fam == FamilyTCP4 {
		shortestAddr = len("0.0.0.0")
	}
	shortest := [4]int{shortestAddr, shortestAddr, len("0"), len("0")}
	need := len("\r\n")
	for j := i + 1; j < len(shortest); j++ {
		need += len(" ") + shortest[j]
	}
	return need
}

// crlf checks that the CR at line[cr] ends the line, and returns the line's
// length.
func crlf(line []byte, cr int) (n, need int, err error) {
	switch {
	case cr+1 == len(line):
		return 0, 1, nil
	case line[cr+1] != '\n':
		return 0, 0, malformed("v1: CR not followed by LF")
	}
	return cr + 2, 0, nil
}
