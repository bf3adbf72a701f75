package proxyproto_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/proxyproto"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		h    proxyproto.Header
		want string
	}{
		{name: "v1 TCP4", h: proxyproto.Header{Version: 1, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP4,
			Source: addrPort(t, "192.168.0.1:56324"), Destination: addrPort(t, "192.168.0.11:443")},
			want: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"},
		{name: "v1 TCP6, IPv4-mapped", h: proxyproto.Header{Version: 1, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP6,
			Source: addrPort(t, "[2001:db8::1]:1"), Destination: addrPort(t, "[::ffff:192.0.2.1]:0")},
			want: "PROXY TCP6 2001:db8::1 ::ffff:192.0.2.1 1 0\r\n"},
		{name: "v1 UNKNOWN", h: proxyproto.Header{Version: 1, Command: proxyproto.CommandProxy},
			want: "PROXY UNKNOWN\r\n"},
		{name: "v2 LOCAL ignores the family and addresses", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandLocal,
			Family: proxyproto.FamilyTCP4, Source: addrPort(t, "192.0.2.1:1")},
			want: sig + "\x20\x00\x00\x00"},
		{name: "v2 TCP4 with a TLV", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP4,
			Source: addrPort(t, "192.0.2.1:256"), Destination: addrPort(t, "192.0.2.2:443"),
			TLVs: []proxyproto.TLV{{Type: proxyproto.TLVTypeALPN, Value: []byte("h2")}}},
			want: sig + "\x21\x11\x00\x11" + "\xc0\x00\x02\x01\xc0\x00\x02\x02\x01\x00\x01\xbb" + "\x01\x00\x02h2"},
		{name: "v2 UNIX, abstract", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyUnixStream,
			SourcePath: "@x", DestinationPath: "/y"},
			want: sig + "\x21\x31\x00\xd8" + "\x00x" + strings.Repeat("\x00", 106) + "/y" + strings.Repeat("\x00", 106)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.h.Format()
			require.NoError(t, err)
			require.Equal(t, []byte(tc.want), b)
		})
	}
}

func TestAppendKeepsDst(t *testing.T) {
	h := proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyUnixStream,
		SourcePath: "/a", DestinationPath: strings.Repeat("b", 109)}
	dst := []byte("before")
	out, err := h.AppendV2(dst)
	require.Error(t, err)
	require.Equal(t, []byte("before"), out, "a failed append leaves dst as it was")
	h.DestinationPath = "/b"
	out, err = h.AppendV2(dst)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(out, []byte("before"+sig)))
	out, err = proxyproto.Header{Command: proxyproto.CommandProxy}.AppendV1(dst)
	require.NoError(t, err)
	require.Equal(t, []byte("beforePROXY UNKNOWN\r\n"), out)
}

func TestFormatErrors(t *testing.T) {
	proxy := func(v int, fam proxyproto.Family, src, dst string) proxyproto.Header {
		return proxyproto.Header{Version: v, Command: proxyproto.CommandProxy, Family: fam,
			Source: addrPort(t, src), Destination: addrPort(t, dst)}
	}
	unix := func(src, dst string) proxyproto.Header {
		return proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyUnixStream,
			SourcePath: src, DestinationPath: dst}
	}
	withTLVs := func(h proxyproto.Header, tlvs ...proxyproto.TLV) proxyproto.Header {
		h.TLVs = tlvs
		return h
	}
	tests := []struct {
		name string
		h    proxyproto.Header
		msg  string
	}{
		{name: "version 3", h: proxyproto.Header{Version: 3}, msg: "proxyproto: cannot format version 3"},
		{name: "v1 LOCAL", h: proxyproto.Header{Version: 1, Command: proxyproto.CommandLocal},
			msg: "proxyproto: v1 cannot express command LOCAL"},
		{name: "v1 TLVs", h: withTLVs(proxyproto.Header{Version: 1, Command: proxyproto.CommandProxy}, proxyproto.TLV{Type: 1}),
			msg: "proxyproto: v1 cannot carry TLVs"},
		{name: "v1 UDP4", h: proxy(1, proxyproto.FamilyUDP4, "1.2.3.4:1", "1.2.3.4:2"),
			msg: "proxyproto: v1 cannot carry family UDP4"},
		{name: "v1 TCP4 with IPv6", h: proxy(1, proxyproto.FamilyTCP4, "1.2.3.4:1", "[::1]:2"),
			msg: "proxyproto: TCP4 header cannot carry address ::1"},
		{name: "v1 TCP6 with IPv4", h: proxy(1, proxyproto.FamilyTCP6, "1.2.3.4:1", "[::1]:2"),
			msg: "proxyproto: TCP6 header cannot carry address 1.2.3.4"},
		{name: "v1 TCP6 with a zone", h: proxy(1, proxyproto.FamilyTCP6, "[fe80::1%eth0]:1", "[::1]:2"),
			msg: "proxyproto: TCP6 header cannot carry address fe80::1%eth0"},
		{name: "v2 TCP4 without addresses", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP4},
			msg: "proxyproto: TCP4 header cannot carry address invalid IP"},
		{name: "v2 UDP6 with IPv4", h: proxy(2, proxyproto.FamilyUDP6, "1.2.3.4:1", "[::1]:2"),
			msg: "proxyproto: UDP6 header cannot carry address 1.2.3.4"},
		{name: "v2 command 2", h: proxyproto.Header{Version: 2, Command: 2}, msg: "proxyproto: v2 has no command Command(2)"},
		{name: "v2 family 0x13", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: 0x13},
			msg: "proxyproto: v2 has no family Family(0x13)"},
		{name: "UNIX path too long", h: unix(strings.Repeat("p", 109), "/"), msg: "proxyproto: bad AF_UNIX path"},
		{name: "UNIX path with NUL", h: unix("/a\x00b", "/"), msg: "proxyproto: bad AF_UNIX path"},
		{name: "abstract name too long", h: unix("/", "@"+strings.Repeat("n", 108)),
			msg: "proxyproto: bad abstract AF_UNIX name"},
		{name: "abstract name ending in NUL", h: unix("@n\x00", "/"), msg: "proxyproto: bad abstract AF_UNIX name"},
		{name: "TLV value too long", h: withTLVs(proxyproto.Header{Version: 2, Command: proxyproto.CommandLocal},
			proxyproto.TLV{Type: 9, Value: make([]byte, 65536)}),
			msg: "proxyproto: TLV type 0x09: value of 65536 bytes is too long"},
		{name: "TLVs too long together", h: withTLVs(proxyproto.Header{Version: 2, Command: proxyproto.CommandLocal},
			proxyproto.TLV{Type: 1, Value: make([]byte, 40000)}, proxyproto.TLV{Type: 2, Value: make([]byte, 40000)}),
			msg: "proxyproto: v2 header of 80006 bytes after the fixed part is too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.h.Format()
			require.Error(t, err, "formatted as %q", b)
			require.True(t, strings.HasPrefix(err.Error(), tc.msg), err.Error())
		})
	}
}

func TestFormatRoundTrips(t *testing.T) {
	tests := []struct {
		name string
		h    proxyproto.Header
	}{
		{name: "v1 TCP4", h: proxyproto.Header{Version: 1, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP4,
			Source: addrPort(t, "255.255.255.255:65535"), Destination: addrPort(t, "0.0.0.0:0")}},
		{name: "v1 TCP6", h: proxyproto.Header{Version: 1, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP6,
			Source: addrPort(t, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"), Destination: addrPort(t, "[::102:304]:1")}},
		{name: "v2 UDP6", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyUDP6,
			Source: addrPort(t, "[2001:db8::1]:53"), Destination: addrPort(t, "[::ffff:1.2.3.4]:53"),
			TLVs: []proxyproto.TLV{{Type: proxyproto.TLVTypeUniqueID, Value: bytes.Repeat([]byte{0}, 128)}, {Type: 0xFF}}}},
		{name: "v2 UNIX dgram", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyUnixDgram,
			SourcePath: "@" + strings.Repeat("a", 107), DestinationPath: strings.Repeat("b", 108)}},
		{name: "v2 UNIX, a path that is just @", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy,
			Family: proxyproto.FamilyUnixStream, SourcePath: "@", DestinationPath: ""}},
		{name: "v2 LOCAL", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandLocal}},
		{name: "v2 PROXY UNSPEC", h: proxyproto.Header{Version: 2, Command: proxyproto.CommandProxy}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.h.Format()
			require.NoError(t, err)
			requireParses(t, b, tc.h, len(b))
		})
	}
}
