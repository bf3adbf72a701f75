package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
)

// Format returns h in the wire format its Version names: a version 1 line
// ([Header.AppendV1]) or a version 2 binary header ([Header.AppendV2]).
// Parsing the result gives back h whenever h is what [Parse] could return.
func (h Header) Format() ([]byte, error) {
	switch h.Version {
	case 1:
		return h.AppendV1(nil)
	case 2:
		return h.AppendV2(nil)
	}
	return nil, fmt.Errorf("proxyproto: cannot format version %d", h.Version)
}

// AppendV1 appends h to dst as a version 1 line and returns the extended
// slice. It ignores h.Version. The line says "UNKNOWN" for FamilyUnspec, and
// otherwise carries h.Source and h.Destination, which must both be IPv4
// addresses for FamilyTCP4 and IPv6 addresses (IPv4-mapped ones included)
// for FamilyTCP6. Version 1 has no LOCAL command, no other families and no
// TLVs: a header that needs them is an error.
func (h Header) AppendV1(dst []byte) ([]byte, error) {
	if h.Command != CommandProxy {
		return dst, fmt.Errorf("proxyproto: v1 cannot express command %s", h.Command)
	}
	if len(h.TLVs) > 0 {
		return dst, errors.New("proxyproto: v1 cannot carry TLVs")
	}
	switch h.Family {
	case FamilyUnspec:
		return append(dst, v1Signature+v1Unknown+"\r\n"...), nil
	case FamilyTCP4, FamilyTCP6:
		if err := h.checkIPs(); err != nil {
			return dst, err
		}
	default:
		return dst, fmt.Errorf("proxyproto: v1 cannot carry family %s", h.Family)
	}
	dst = append(dst, v1Signature...)
	for _, p := range v1Protocols {
		if p.family == h.Family {
			dst = append(dst, p.name...)
		}
	}
	dst = append(dst, ' ')
	dst = h.Source.Addr().AppendTo(dst)
	dst = append(dst, ' ')
	dst = h.Destination.Addr().AppendTo(dst)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(h.Source.Port()), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendUint(dst, uint64(h.Destination.Port()), 10)
	return append(dst, "\r\n"...), nil
}

// AppendV2 appends h to dst as a version 2 header and returns the extended
// slice. It ignores h.Version. For CommandLocal it sends the UNSPEC family
// and no addresses; for CommandProxy it sends h.Family with h.Source and
// h.Destination (IP families; IPv4 addresses for TCP4 and UDP4, IPv6 ones
// for TCP6 and UDP6) or h.SourcePath and h.DestinationPath (AF_UNIX: at most
// 108 bytes with no NUL; or '@' and an abstract name of 1 to 107 bytes not
// ending in NUL, which is sent after a NUL byte in place of the '@'). It sends h.TLVs in every case, although [Parse] reports
// them only for PROXY headers of a known family. The header may be longer
// than [DefaultMaxV2Length]: that limit is the receiver's choice.
func (h Header) AppendV2(dst []byte) ([]byte, error) {
	fam := h.Family
	switch h.Command {
	case CommandLocal:
		fam = FamilyUnspec
	case CommandProxy:
		if fam != FamilyUnspec && !fam.IsIP() && !fam.IsUnix() {
			return dst, fmt.Errorf("proxyproto: v2 has no family %s", fam)
		}
	default:
		return dst, fmt.Errorf("proxyproto: v2 has no command %s", h.Command)
	}
	if fam.IsIP() {
		if err := h.checkIPs(); err != nil {
			return dst, err
		}
	}
	length := fam.v2AddrLen()
	for _, t := range h.TLVs {
		if len(t.Value) > math.MaxUint16 {
			return dst, fmt.Errorf("proxyproto: TLV type 0x%02x: value of %d bytes is too long", t.Type, len(t.Value))
		}
		length += v2TLVHeadLen + len(t.Value)
	}
	if length > math.MaxUint16 {
		return dst, fmt.Errorf("proxyproto: v2 header of %d bytes after the fixed part is too long", length)
	}
	start := len(dst)
	dst = append(dst, v2Signature[:]...)
	dst = append(dst, v2Version<<4|byte(h.Command), byte(fam))
	dst = binary.BigEndian.AppendUint16(dst, uint16(length))
	switch {
	case fam.IsIP():
		dst = append(dst, h.Source.Addr().AsSlice()...)
		dst = append(dst, h.Destination.Addr().AsSlice()...)
		dst = binary.BigEndian.AppendUint16(dst, h.Source.Port())
		dst = binary.BigEndian.AppendUint16(dst, h.Destination.Port())
	case fam.IsUnix():
		var err error
		if dst, err = appendUnixPath(dst, h.SourcePath); err == nil {
			dst, err = appendUnixPath(dst, h.DestinationPath)
		}
		if err != nil {
			return dst[:start], err
		}
	}
	for _, t := range h.TLVs {
		dst = append(dst, t.Type)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Value)))
		dst = append(dst, t.Value...)
	}
	return dst, nil
}

// checkIPs checks that h.Source and h.Destination are addresses of h.Family,
// an IP family: IPv4 for TCP4 and UDP4, IPv6 without a zone otherwise.
func (h Header) checkIPs() error {
	want4 := h.Family == FamilyTCP4 || h.Family == FamilyUDP4
	for _, a := range [...]netip.Addr{h.Source.Addr(), h.Destination.Addr()} {
		if want4 && !a.Is4() || !want4 && (!a.Is6() || a.Zone() != "") {
			return fmt.Errorf("proxyproto: %s header cannot carry address %v", h.Family, a)
		}
	}
	return nil
}

// appendUnixPath appends path as a 108-byte AF_UNIX address, NUL-padded,
// the inverse of unixPath.
func appendUnixPath(dst []byte, path string) ([]byte, error) {
	raw := []byte(path)
	if abstract, ok := bytes.CutPrefix(raw, []byte("@")); ok && len(abstract) > 0 {
		if len(abstract) >= unixPathLen || abstract[len(abstract)-1] == 0 {
			return dst, fmt.Errorf("proxyproto: bad abstract AF_UNIX name %q", path)
		}
		raw = append([]byte{0}, abstract...)
	} else if len(raw) > unixPathLen || bytes.IndexByte(raw, 0) >= 0 {
		return dst, fmt.Errorf("proxyproto: bad AF_UNIX path %q", path)
	}
	dst = append(dst, raw...)
	return append(dst, make([]byte, unixPathLen-len(raw))...), nil
}
