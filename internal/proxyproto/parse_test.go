package proxyproto_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/proxyproto"
)

// sig is the version 2 signature.
const sig = "\r\n\r\n\x00\r\nQUIT\n"

// v2Raw returns a version 2 header with the given version-and-command and
// family bytes, length field and payload, which need not agree.
func v2Raw(t *testing.T, verCmd, fam byte, length int, payload ...[]byte) []byte {
	t.Helper()
	b := append([]byte(sig), verCmd, fam)
	b = binary.BigEndian.AppendUint16(b, uint16(length))
	return append(b, bytes.Join(payload, nil)...)
}

// v2Header returns a version 2 header whose length field is the payload's.
func v2Header(t *testing.T, verCmd, fam byte, payload ...[]byte) []byte {
	t.Helper()
	return v2Raw(t, verCmd, fam, len(bytes.Join(payload, nil)), payload...)
}

// tlv returns one encoded TLV.
func tlv(t *testing.T, typ byte, value string) []byte {
	t.Helper()
	b := binary.BigEndian.AppendUint16([]byte{typ}, uint16(len(value)))
	return append(b, value...)
}

// ipv4Block returns a 12-byte IPv4 address block.
func ipv4Block(t *testing.T, src, dst string, sport, dport uint16) []byte {
	t.Helper()
	b := netip.MustParseAddr(src).AsSlice()
	b = append(b, netip.MustParseAddr(dst).AsSlice()...)
	b = binary.BigEndian.AppendUint16(b, sport)
	return binary.BigEndian.AppendUint16(b, dport)
}

// unixBlock returns a 216-byte AF_UNIX address block from two raw 108-byte
// addresses given by their leading bytes.
func unixBlock(t *testing.T, src, dst string) []byte {
	t.Helper()
	b := make([]byte, 216)
	copy(b, src)
	copy(b[108:], dst)
	return b
}

// addrPort parses an address and port like "192.0.2.1:80".
func addrPort(t *testing.T, s string) netip.AddrPort {
	t.Helper()
	return netip.MustParseAddrPort(s)
}

// requireParses checks that b parses as want with length n, that every
// proper prefix of b[:n] is incomplete, and that bytes after the header are
// left alone.
func requireParses(t *testing.T, b []byte, want proxyproto.Header, n int) {
	t.Helper()
	h, got, err := proxyproto.Parse(b)
	require.NoError(t, err, "%q", b)
	require.Equal(t, n, got, "%q", b)
	require.Equal(t, want, h, "%q", b)
	for k := range n {
		_, m, err := proxyproto.Parse(b[:k])
		require.ErrorIs(t, err, proxyproto.ErrIncomplete, "prefix %q of %q", b[:k], b)
		require.Zero(t, m)
	}
	for _, data := range []string{"GET / HTTP/1.1\r\n", "\x16\x03\x01", "\r\n", "PROXY "} {
		withData := append(bytes.Clone(b[:n]), data...)
		h, got, err := proxyproto.Parse(withData)
		require.NoError(t, err, "%q", withData)
		require.Equal(t, n, got, "%q", withData)
		require.Equal(t, want, h, "%q", withData)
	}
}

// requireMalformedAt checks that every proper prefix of b[:at] is
// incomplete and that b[:at] is malformed with an error containing msg.
func requireMalformedAt(t *testing.T, b []byte, at int, msg string) {
	t.Helper()
	require.LessOrEqual(t, at, len(b))
	for k := range at {
		_, _, err := proxyproto.Parse(b[:k])
		require.ErrorIs(t, err, proxyproto.ErrIncomplete, "prefix %q of %q", b[:k], b)
	}
	_, n, err := proxyproto.Parse(b[:at])
	require.ErrorIs(t, err, proxyproto.ErrMalformed, "%q", b[:at])
	require.NotErrorIs(t, err, proxyproto.ErrIncomplete)
	require.Zero(t, n)
	require.True(t, strings.HasPrefix(err.Error(), "proxyproto: "), err.Error())
	require.Contains(t, err.Error(), msg)
	_, _, err = proxyproto.Parse(b)
	require.ErrorIs(t, err, proxyproto.ErrMalformed, "the whole of %q", b)
}

func TestParseEmptyIsIncomplete(t *testing.T) {
	for _, b := range [][]byte{nil, {}} {
		_, n, err := proxyproto.Parse(b)
		require.ErrorIs(t, err, proxyproto.ErrIncomplete)
		require.Zero(t, n)
	}
}

func TestParseRejectsOtherProtocolsEarly(t *testing.T) {
	tests := []struct {
		name string
		in   string
		at   int
		msg  string
	}{
		{name: "HTTP", in: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", at: 1, msg: "first byte 0x47"},
		{name: "TLS client hello", in: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", at: 1, msg: "first byte 0x16"},
		{name: "SSH", in: "SSH-2.0-OpenSSH_9.6\r\n", at: 1, msg: "first byte 0x53"},
		{name: "SMTP command", in: "EHLO example.com\r\n", at: 1, msg: "first byte 0x45"},
		{name: "NUL", in: "\x00", at: 1, msg: "first byte 0x00"},
		{name: "lower-case proxy", in: "proxy TCP4 ", at: 1, msg: "first byte 0x70"},
		{name: "PROXZ", in: "PROXZ TCP4", at: 5, msg: `v1: bad signature "PROXZ"`},
		{name: "PUT", in: "PUT / HTTP/1.1\r\n", at: 2, msg: `v1: bad signature "PU"`},
		{name: "POST", in: "POST / HTTP/1.1\r\n", at: 2, msg: `v1: bad signature "PO"`},
		{name: "PATCH", in: "PATCH / HTTP/1.1\r\n", at: 2, msg: `v1: bad signature "PA"`},
		{name: "PROXY without space", in: "PROXY\r\n", at: 6, msg: "v1: bad signature"},
		{name: "CRLF then text", in: "\r\nHELLO", at: 3, msg: "v2: bad signature byte 0x48 at offset 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireMalformedAt(t, []byte(tc.in), tc.at, tc.msg)
		})
	}
}

func TestParseErrorsMatchOnlyErrMalformed(t *testing.T) {
	_, _, err := proxyproto.Parse([]byte("GET"))
	require.ErrorIs(t, err, proxyproto.ErrMalformed)
	require.False(t, errors.Is(err, proxyproto.ErrIncomplete))
	require.False(t, errors.Is(proxyproto.ErrIncomplete, proxyproto.ErrMalformed))
	require.Equal(t, "proxyproto: not a PROXY protocol header (first byte 0x47)", err.Error())
}

func TestParseAllocatesNothingUntilComplete(t *testing.T) {
	v1 := []byte("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")
	v2 := v2Header(t, 0x21, 0x11, ipv4Block(t, "192.0.2.1", "192.0.2.2", 1, 2), tlv(t, 4, "pad"))
	for _, b := range [][]byte{v1, v2} {
		for k := range len(b) {
			allocs := testing.AllocsPerRun(10, func() {
				_, _, _ = proxyproto.Parse(b[:k])
			})
			require.Zero(t, allocs, "prefix %q", b[:k])
		}
	}
	allocs := testing.AllocsPerRun(10, func() {
		_, _, _ = proxyproto.Parse(v1)
	})
	require.Zero(t, allocs, "a complete TCP4 line needs no allocation")
}
