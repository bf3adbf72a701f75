package proxyproto_test

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/proxyproto"
)

func TestParseV2Valid(t *testing.T) {
	v4 := ipv4Block(t, "192.0.2.1", "198.51.100.2", 56324, 443)
	v6 := append(netip.MustParseAddr("2001:db8::1").AsSlice(), netip.MustParseAddr("::ffff:192.0.2.9").AsSlice()...)
	v6 = append(v6, 0xdc, 0x04, 0x01, 0xbb) // ports 56324, 443
	proxy := func(fam proxyproto.Family, src, dst string, tlvs ...proxyproto.TLV) proxyproto.Header {
		return proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: fam,
			Source: addrPort(t, src), Destination: addrPort(t, dst), TLVs: tlvs}
	}
	unix := func(fam proxyproto.Family, src, dst string) proxyproto.Header {
		return proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: fam,
			SourcePath: src, DestinationPath: dst}
	}
	local := proxyproto.Header{Version: 2, Command: proxyproto.CommandLocal, Family: proxyproto.FamilyUnspec}
	unspec := proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyUnspec}
	tests := []struct {
		name string
		in   []byte
		want proxyproto.Header
	}{
		{name: "TCP4", in: v2Header(t, 0x21, 0x11, v4),
			want: proxy(proxyproto.FamilyTCP4, "192.0.2.1:56324", "198.51.100.2:443")},
		{name: "UDP4", in: v2Header(t, 0x21, 0x12, v4),
			want: proxy(proxyproto.FamilyUDP4, "192.0.2.1:56324", "198.51.100.2:443")},
		{name: "TCP6", in: v2Header(t, 0x21, 0x21, v6),
			want: proxy(proxyproto.FamilyTCP6, "[2001:db8::1]:56324", "[::ffff:192.0.2.9]:443")},
		{name: "UDP6", in: v2Header(t, 0x21, 0x22, v6),
			want: proxy(proxyproto.FamilyUDP6, "[2001:db8::1]:56324", "[::ffff:192.0.2.9]:443")},
		{name: "TCP4 with TLVs", in: v2Header(t, 0x21, 0x11, v4,
			tlv(t, proxyproto.TLVTypeALPN, "h2"), tlv(t, proxyproto.TLVTypeNoop, ""),
			tlv(t, proxyproto.TLVTypeAuthority, "example.com"), tlv(t, 0xEA, strings.Repeat("v", 300))),
			want: proxy(proxyproto.FamilyTCP4, "192.0.2.1:56324", "198.51.100.2:443",
				proxyproto.TLV{Type: proxyproto.TLVTypeALPN, Value: []byte("h2")},
				proxyproto.TLV{Type: proxyproto.TLVTypeNoop},
				proxyproto.TLV{Type: proxyproto.TLVTypeAuthority, Value: []byte("example.com")},
				proxyproto.TLV{Type: 0xEA, Value: bytes.Repeat([]byte("v"), 300)})},
		{name: "UNIX stream", in: v2Header(t, 0x21, 0x31, unixBlock(t, "/run/client.sock", "/run/haproxy.sock")),
			want: unix(proxyproto.FamilyUnixStream, "/run/client.sock", "/run/haproxy.sock")},
		{name: "UNIX datagram, abstract and unnamed", in: v2Header(t, 0x21, 0x32, unixBlock(t, "\x00abstract\x00name", "")),
			want: unix(proxyproto.FamilyUnixDgram, "@abstract\x00name", "")},
		{name: "UNIX, 108-byte path without NUL", in: v2Header(t, 0x21, 0x31, unixBlock(t, strings.Repeat("p", 108), "/")),
			want: unix(proxyproto.FamilyUnixStream, strings.Repeat("p", 108), "/")},
		{name: "LOCAL, as HAProxy health checks send it", in: v2Header(t, 0x20, 0x00), want: local},
		{name: "LOCAL with a family and addresses, ignored", in: v2Header(t, 0x20, 0x11, v4), want: local},
		{name: "LOCAL with a family and no addresses", in: v2Header(t, 0x20, 0x21), want: local},
		{name: "LOCAL with a payload that is not TLVs, skipped", in: v2Header(t, 0x20, 0x00, []byte{1, 0xff, 0xff}),
			want: local},
		{name: "PROXY UNSPEC", in: v2Header(t, 0x21, 0x00), want: unspec},
		{name: "PROXY UNSPEC with a payload, skipped", in: v2Header(t, 0x21, 0x00, v4, []byte{7}), want: unspec},
		{name: "PROXY AF_INET with UNSPEC transport", in: v2Header(t, 0x21, 0x10, v4), want: unspec},
		{name: "PROXY AF_UNSPEC with STREAM transport", in: v2Header(t, 0x21, 0x01), want: unspec},
		{name: "at the default length limit", in: v2Header(t, 0x21, 0x11, v4, tlv(t, 0xEE, strings.Repeat("x", 2048-12-3))),
			want: proxy(proxyproto.FamilyTCP4, "192.0.2.1:56324", "198.51.100.2:443",
				proxyproto.TLV{Type: 0xEE, Value: bytes.Repeat([]byte("x"), 2048-12-3)})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireParses(t, tc.in, tc.want, len(tc.in))
		})
	}
}

func TestParseV2TLVsAreCopies(t *testing.T) {
	b := v2Header(t, 0x21, 0x11, ipv4Block(t, "192.0.2.1", "192.0.2.2", 1, 2), tlv(t, 1, "ab"), tlv(t, 2, "cd"))
	h, _, err := proxyproto.Parse(b)
	require.NoError(t, err)
	clear(b)
	require.Equal(t, []proxyproto.TLV{{Type: 1, Value: []byte("ab")}, {Type: 2, Value: []byte("cd")}}, h.TLVs)
	h.TLVs[0].Value = append(h.TLVs[0].Value, 'X')
	require.Equal(t, []byte("cd"), h.TLVs[1].Value, "appending to one value must not overwrite the next")
}

func TestParseV2Malformed(t *testing.T) {
	v4 := ipv4Block(t, "192.0.2.1", "192.0.2.2", 1, 2)
	tests := []struct {
		name string
		in   []byte
		at   int
		msg  string
	}{
		{name: "version 1 in the high nibble", in: v2Header(t, 0x11, 0x11, v4), at: 13, msg: "v2: bad version 1"},
		{name: "version 3", in: v2Header(t, 0x31, 0x11, v4), at: 13, msg: "v2: bad version 3"},
		{name: "version 0", in: v2Header(t, 0x01, 0x11, v4), at: 13, msg: "v2: bad version 0"},
		{name: "command 2", in: v2Header(t, 0x22, 0x11, v4), at: 13, msg: "v2: bad command 2"},
		{name: "command 15", in: v2Header(t, 0x2F, 0x11, v4), at: 13, msg: "v2: bad command 15"},
		{name: "address family 4", in: v2Header(t, 0x21, 0x41, v4), at: 14, msg: "v2: bad address family 4"},
		{name: "address family 15, even for LOCAL", in: v2Header(t, 0x20, 0xF0), at: 14,
			msg: "v2: bad address family 15"},
		{name: "transport protocol 3", in: v2Header(t, 0x21, 0x13, v4), at: 14, msg: "v2: bad transport protocol 3"},
		{name: "length short of the IPv4 block", in: v2Header(t, 0x21, 0x11, v4[:11]), at: 16,
			msg: "v2: length 11 is shorter than the 12-byte TCP4 address block"},
		{name: "length short of the IPv6 block", in: v2Header(t, 0x21, 0x21, v4), at: 16,
			msg: "v2: length 12 is shorter than the 36-byte TCP6 address block"},
		{name: "length short of the UNIX block", in: v2Header(t, 0x21, 0x31), at: 16,
			msg: "v2: length 0 is shorter than the 216-byte UNIX-STREAM address block"},
		{name: "length over the limit", in: v2Raw(t, 0x21, 0x11, 2049), at: 16,
			msg: "v2: length 2049 exceeds the limit of 2048"},
		{name: "length over the limit, LOCAL", in: v2Raw(t, 0x20, 0x00, 0xFFFF), at: 16,
			msg: "v2: length 65535 exceeds the limit of 2048"},
		{name: "one byte after the addresses", in: v2Header(t, 0x21, 0x11, v4, []byte{1}), at: 16,
			msg: "v2: 1 bytes at offset 28 are too few for a TLV"},
		{name: "two bytes after the addresses", in: v2Header(t, 0x21, 0x11, v4, []byte{1, 0}), at: 16,
			msg: "v2: 2 bytes at offset 28 are too few for a TLV"},
		{name: "TLV overruns the header", in: v2Raw(t, 0x21, 0x11, 12+3+4, v4, tlv(t, 2, "hello")), at: 31,
			msg: "v2: TLV type 0x02 at offset 28, length 5, overruns the header by 1 bytes"},
		{name: "TLV leaves too few bytes for the next", in: v2Raw(t, 0x21, 0x11, 12+3+5+2, v4, tlv(t, 2, "hello")),
			at: 31, msg: "v2: 2 bytes at offset 36 are too few for a TLV"},
		{name: "second TLV overruns", in: v2Raw(t, 0x21, 0x11, 12+3+1+3, v4, tlv(t, 1, "a"), tlv(t, 2, "b")),
			at: 35, msg: "v2: TLV type 0x02 at offset 32, length 1, overruns the header by 1 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireMalformedAt(t, tc.in, tc.at, tc.msg)
		})
	}
}

func TestParseV2BadSignatureAtEachByte(t *testing.T) {
	valid := v2Header(t, 0x20, 0x00)
	for i := 1; i < len(sig); i++ {
		b := bytes.Clone(valid)
		b[i] ^= 0x20
		requireMalformedAt(t, b, i+1, "v2: bad signature byte")
	}
	// A first byte other than \r is not a v2 header at all.
	b := bytes.Clone(valid)
	b[0] = 'X'
	requireMalformedAt(t, b, 1, "not a PROXY protocol header")
}

func TestParserMaxV2Length(t *testing.T) {
	big := v2Header(t, 0x21, 0x00, make([]byte, 0xFFFF))
	tests := []struct {
		name  string
		limit int
		ok    bool
	}{
		{name: "zero means the default", limit: 0},
		{name: "negative means the default", limit: -1},
		{name: "just short", limit: 0xFFFE},
		{name: "exact", limit: 0xFFFF, ok: true},
		{name: "above the field's range", limit: 1 << 20, ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := proxyproto.Parser{MaxV2Length: tc.limit}
			_, n, err := p.Parse(big)
			if !tc.ok {
				require.ErrorIs(t, err, proxyproto.ErrMalformed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, len(big), n)
			_, _, err = p.Parse(big[:16])
			require.ErrorIs(t, err, proxyproto.ErrIncomplete)
		})
	}
	_, _, err := proxyproto.Parser{MaxV2Length: 100}.Parse(v2Header(t, 0x21, 0x31, unixBlock(t, "/a", "/b")))
	require.ErrorContains(t, err, "v2: length 216 exceeds the limit of 100", "a small limit rules out AF_UNIX")
}

func TestHasAddrs(t *testing.T) {
	tests := []struct {
		name string
		h    proxyproto.Header
		want bool
	}{
		{name: "PROXY TCP4", h: proxyproto.Header{Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP4}, want: true},
		{name: "PROXY UDP6", h: proxyproto.Header{Command: proxyproto.CommandProxy, Family: proxyproto.FamilyUDP6}, want: true},
		{name: "PROXY UNIX", h: proxyproto.Header{Command: proxyproto.CommandProxy, Family: proxyproto.FamilyUnixDgram}, want: true},
		{name: "PROXY UNSPEC (v1 UNKNOWN)", h: proxyproto.Header{Command: proxyproto.CommandProxy}},
		{name: "LOCAL", h: proxyproto.Header{Command: proxyproto.CommandLocal, Family: proxyproto.FamilyTCP4}},
		{name: "unknown family", h: proxyproto.Header{Command: proxyproto.CommandProxy, Family: 0x13}},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, tc.h.HasAddrs(), tc.name)
	}
}

func TestStrings(t *testing.T) {
	require.Equal(t, "LOCAL", proxyproto.CommandLocal.String())
	require.Equal(t, "PROXY", proxyproto.CommandProxy.String())
	require.Equal(t, "Command(7)", proxyproto.Command(7).String())
	families := map[proxyproto.Family]string{
		proxyproto.FamilyUnspec: "UNSPEC", proxyproto.FamilyTCP4: "TCP4", proxyproto.FamilyUDP4: "UDP4",
		proxyproto.FamilyTCP6: "TCP6", proxyproto.FamilyUDP6: "UDP6",
		proxyproto.FamilyUnixStream: "UNIX-STREAM", proxyproto.FamilyUnixDgram: "UNIX-DGRAM", 0x13: "Family(0x13)",
	}
	for f, want := range families {
		require.Equal(t, want, f.String())
	}
}
