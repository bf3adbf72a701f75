package proxyproto

import (
	"bytes"
	"encoding/binary"
	"net/netip"
)

// Version 2 is binary (section 2.2 of the specification): a 16-byte fixed
// part,
//
//	12 bytes  signature \r\n\r\n\0\r\nQUIT\n
//	 1 byte   version (high nibble, always 2) and command (low nibble)
//	 1 byte   address family (high nibble) and transport protocol (low)
//	 2 bytes  length of the rest, big-endian
//
// then the address block (12 bytes for IPv4, 36 for IPv6, 216 for AF_UNIX:
// source and destination addresses, then source and destination ports for
// IP), then TLVs (1 byte type, 2 bytes big-endian length, value) that must
// fill the rest of the announced length exactly.
var v2Signature = [12]byte{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A}

const (
	v2FixedLen   = 16  // signature, version and command, family, length
	v2Version    = 2   // the only version the high nibble of byte 13 may say
	v2TLVHeadLen = 3   // a TLV's type and length
	unixPathLen  = 108 // one AF_UNIX address in the address block
)

// parseV2 parses a version 2 header at the start of b, which starts with
// the signature's first byte. maxLen bounds the length field.
func parseV2(b []byte, maxLen int) (Header, int, error) {
	for i := 0; i < len(b) && i < len(v2Signature); i++ {
		if b[i] != v2Signature[i] {
			return Header{}, 0, malformed("v2: bad signature byte 0x%02x at offset %d", b[i], i)
		}
	}
	if len(b) <= len(v2Signature) {
		return Header{}, 0, ErrIncomplete
	}
	if v := b[12] >> 4; v != v2Version {
		return Header{}, 0, malformed("v2: bad version %d", v)
	}
	cmd := Command(b[12] & 0x0f)
	if cmd != CommandLocal && cmd != CommandProxy {
		return Header{}, 0, malformed("v2: bad command %d", cmd)
	}
	if len(b) <= 13 {
		return Header{}, 0, ErrIncomplete
	}
	af, proto := b[13]>>4, b[13]&0x0f
	if af > 3 {
		return Header{}, 0, malformed("v2: bad address family %d", af)
	}
	if proto > 2 {
		return Header{}, 0, malformed("v2: bad transport protocol %d", proto)
	}
	if len(b) < v2FixedLen {
		return Header{}, 0, ErrIncomplete
	}
	length := int(binary.BigEndian.Uint16(b[14:16]))
	if length > maxLen {
		return Header{}, 0, malformed("v2: length %d exceeds the limit of %d", length, maxLen)
	}
	h := Header{Version: 2, Command: cmd, Family: Family(b[13])}
	if cmd == CommandLocal || af == 0 || proto == 0 {
		// The receiver must ignore the addresses, and without a family
		// it cannot tell where they end and TLVs begin: skip it all.
		h.Family = FamilyUnspec
	}
	addrLen := h.Family.v2AddrLen()
	if length < addrLen {
		return Header{}, 0, malformed("v2: length %d is shorter than the %d-byte %s address block",
			length, addrLen, h.Family)
	}
	end := v2FixedLen + length
	if h.Family != FamilyUnspec {
		if err := checkTLVs(b[:min(len(b), end)], v2FixedLen+addrLen, end); err != nil {
			return Header{}, 0, err
		}
	}
	if len(b) < end {
		return Header{}, 0, ErrIncomplete
	}
	addrs := b[v2FixedLen : v2FixedLen+addrLen]
	switch {
	case h.Family.IsIP():
		h.Source, h.Destination = ipAddrs(addrs)
	case h.Family.IsUnix():
		h.SourcePath = unixPath(addrs[:unixPathLen])
		h.DestinationPath = unixPath(addrs[unixPathLen:])
	default:
		return h, end, nil
	}
	h.TLVs = copyTLVs(b[v2FixedLen+addrLen : end])
	return h, end, nil
}

// checkTLVs checks the TLVs in b[pos:end], of which b may hold only a part:
// each TLV must fit before end, and the last must end at end. It reports
// an error as soon as the bytes in b rule out a valid sequence, and nil when
// they are all well-formed so far.
func checkTLVs(b []byte, pos, end int) error {
	for pos < end {
		if end-pos < v2TLVHeadLen {
			return malformed("v2: %d bytes at offset %d are too few for a TLV", end-pos, pos)
		}
		if len(b) < pos+v2TLVHeadLen {
			return nil
		}
		n := int(binary.BigEndian.Uint16(b[pos+1 : pos+3]))
		next := pos + v2TLVHeadLen + n
		if next > end {
			return malformed("v2: TLV type 0x%02x at offset %d, length %d, overruns the header by %d bytes",
				b[pos], pos, n, next-end)
		}
		pos = next
	}
	return nil
}

// copyTLVs copies raw, a sequence of TLVs that checkTLVs accepted, into one
// new array and returns the TLVs, whose values point into it; nil when raw
// is empty.
func copyTLVs(raw []byte) []TLV {
	if len(raw) == 0 {
		return nil
	}
	raw = bytes.Clone(raw)
	var tlvs []TLV
	for len(raw) > 0 {
		n := int(binary.BigEndian.Uint16(raw[1:3]))
		t := TLV{Type: raw[0]}
		if n > 0 {
			t.Value = raw[v2TLVHeadLen : v2TLVHeadLen+n : v2TLVHeadLen+n]
		}
		tlvs = append(tlvs, t)
		raw = raw[v2TLVHeadLen+n:]
	}
	return tlvs
}

// ipAddrs decodes an IPv4 (12-byte) or IPv6 (36-byte) address block.
func ipAddrs(block []byte) (src, dst netip.AddrPort) {
	size := (len(block) - 4) / 2
	s, _ := netip.AddrFromSlice(block[:size])
	d, _ := netip.AddrFromSlice(block[size : 2*size])
	ports := block[2*size:]
	return netip.AddrPortFrom(s, binary.BigEndian.Uint16(ports[0:2])),
		netip.AddrPortFrom(d, binary.BigEndian.Uint16(ports[2:4]))
}

// unixPath decodes one 108-byte AF_UNIX address: a path up to its first NUL
// byte, or, when the first byte is NUL, an abstract socket's name, which is
// returned with a leading '@' and without its trailing NUL padding (the
// header does not say how long the name was). All NULs is the empty path.
func unixPath(p []byte) string {
	if p[0] != 0 {
		if i := bytes.IndexByte(p, 0); i >= 0 {
			p = p[:i]
		}
		return string(p)
	}
	name := bytes.TrimRight(p[1:], "\x00")
	if len(name) == 0 {
		return ""
	}
	return "@" + string(name)
}
