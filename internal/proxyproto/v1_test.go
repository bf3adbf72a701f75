package proxyproto_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/proxyproto"
)

// long45 is the longest IPv6 text the v1 parser accepts: 45 bytes, with a
// trailing dotted quad (the spec's 39 assumes pure hex).
const long45 = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"

func TestParseV1Valid(t *testing.T) {
	tcp4 := func(src, dst string) proxyproto.Header {
		return proxyproto.Header{Version: 1, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyTCP4,
			Source: addrPort(t, src), Destination: addrPort(t, dst)}
	}
	tcp6 := func(src, dst string) proxyproto.Header {
		h := tcp4(src, dst)
		h.Family = proxyproto.FamilyTCP6
		return h
	}
	unknown := proxyproto.Header{Version: 1, Command: proxyproto.CommandProxy, Family: proxyproto.FamilyUnspec}
	maxHex := strings.Repeat("ffff:", 7) + "ffff"
	tests := []struct {
		name string
		in   string
		want proxyproto.Header
	}{
		{name: "spec example", in: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
			want: tcp4("192.168.0.1:56324", "192.168.0.11:443")},
		{name: "spec longest TCP4, 56 bytes", in: "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
			want: tcp4("255.255.255.255:65535", "255.255.255.255:65535")},
		{name: "spec longest TCP6, 104 bytes", in: "PROXY TCP6 " + maxHex + " " + maxHex + " 65535 65535\r\n",
			want: tcp6("["+maxHex+"]:65535", "["+maxHex+"]:65535")},
		{name: "spec short UNKNOWN, 15 bytes", in: "PROXY UNKNOWN\r\n", want: unknown},
		{name: "spec worst case, 107 bytes",
			in: "PROXY UNKNOWN " + maxHex + " " + maxHex + " 65535 65535\r\n", want: unknown},
		{name: "UNKNOWN with anything, ignored", in: "PROXY UNKNOWN  \x00garbage\tfoo \r\n", want: unknown},
		{name: "UNKNOWN with an empty rest", in: "PROXY UNKNOWN \r\n", want: unknown},
		{name: "zeros", in: "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n", want: tcp4("0.0.0.0:0", "0.0.0.0:0")},
		{name: "compressed IPv6", in: "PROXY TCP6 2001:db8::1 ::1 1 2\r\n",
			want: tcp6("[2001:db8::1]:1", "[::1]:2")},
		{name: "upper-case and zero-padded IPv6", in: "PROXY TCP6 2001:0DB8:0:0:0:0:0:0001 :: 1 2\r\n",
			want: tcp6("[2001:db8::1]:1", "[::]:2")},
		{name: "IPv4-mapped IPv6, as inet_ntop writes it", in: "PROXY TCP6 ::ffff:192.0.2.1 ::ffff:192.0.2.2 1 2\r\n",
			want: tcp6("[::ffff:192.0.2.1]:1", "[::ffff:192.0.2.2]:2")},
		{name: "107 bytes with a dotted quad", in: "PROXY TCP6 " + long45 + " " + long45[:44] + " 0 0\r\n",
			want: tcp6("["+long45+"]:0", "["+long45[:44]+"]:0")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.LessOrEqual(t, len(tc.in), 107)
			requireParses(t, []byte(tc.in), tc.want, len(tc.in))
		})
	}
}

func TestParseV1Malformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		msg  string
	}{
		{name: "unknown protocol", in: "PROXY TCP5", msg: `v1: unknown protocol "TCP5"`},
		{name: "lower-case protocol", in: "PROXY t", msg: `v1: unknown protocol "t"`},
		{name: "UDP4 is v2 only", in: "PROXY UD", msg: `v1: unknown protocol "UD"`},
		{name: "text after UNKNOWN without a space", in: "PROXY UNKNOWNX", msg: `v1: unknown protocol "UNKNOWNX"`},
		{name: "space before protocol", in: "PROXY  ", msg: `v1: unknown protocol ""`},
		{name: "line ends after protocol", in: "PROXY TCP4\r", msg: "v1: line ends after protocol TCP4"},
		{name: "double space", in: "PROXY TCP4  ", msg: "v1: empty source address (extra space?)"},
		{name: "double space before port", in: "PROXY TCP4 1.2.3.4 5.6.7.8  ",
			msg: "v1: empty source port"},
		{name: "space before CRLF", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 443 ",
			msg: "v1: extra space after destination port"},
		{name: "missing ports", in: "PROXY TCP4 1.2.3.4 5.6.7.8\r", msg: "v1: line ends after destination address"},
		{name: "missing destination port", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80\r", msg: "v1: line ends after source port"},
		{name: "tab separator", in: "PROXY TCP4 1.2.3.4\t", msg: `v1: bad TCP4 source address "1.2.3.4\t"`},
		{name: "short IPv4", in: "PROXY TCP4 1.2.3 ", msg: `v1: bad TCP4 source address "1.2.3"`},
		{name: "IPv4 octet over 255", in: "PROXY TCP4 1.2.3.256", msg: `v1: bad TCP4 source address "1.2.3.256"`},
		{name: "IPv4 leading zero", in: "PROXY TCP4 1.2.3.04", msg: `v1: bad TCP4 source address "1.2.3.04"`},
		{name: "IPv4 with five numbers", in: "PROXY TCP4 1.2.3.4.", msg: `v1: bad TCP4 source address "1.2.3.4."`},
		{name: "IPv6 for TCP4", in: "PROXY TCP4 1.2.3.4 :", msg: `v1: bad TCP4 destination address ":"`},
		{name: "IPv4 for TCP6", in: "PROXY TCP6 1.", msg: `v1: bad TCP6 source address "1."`},
		{name: "IPv4 for TCP6, destination", in: "PROXY TCP6 ::1 192.", msg: `v1: bad TCP6 destination address "192."`},
		{name: "IPv6 with a zone", in: "PROXY TCP6 fe80::1%", msg: `v1: bad TCP6 source address "fe80::1%"`},
		{name: "IPv6 too many groups", in: "PROXY TCP6 1:2:3:4:5:6:7:8:", msg: `v1: bad TCP6 source address`},
		{name: "IPv6 cut short", in: "PROXY TCP6 1:2 ", msg: `v1: bad TCP6 source address "1:2"`},
		{name: "port with plus sign", in: "PROXY TCP4 1.2.3.4 5.6.7.8 +", msg: `v1: bad source port "+"`},
		{name: "negative port", in: "PROXY TCP4 1.2.3.4 5.6.7.8 -", msg: `v1: bad source port "-"`},
		{name: "port leading zero", in: "PROXY TCP4 1.2.3.4 5.6.7.8 08", msg: `v1: bad source port "08"`},
		{name: "port over 65535", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 65536", msg: `v1: bad destination port "65536"`},
		{name: "port not a number", in: "PROXY TCP4 1.2.3.4 5.6.7.8 x", msg: `v1: bad source port "x"`},
		{name: "hex port", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 0x", msg: `v1: bad destination port "0x"`},
		{name: "LF without CR", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 443\n", msg: `v1: bad destination port "443\n"`},
		{name: "CR without LF", in: "PROXY TCP4 1.2.3.4 5.6.7.8 80 443\r\r", msg: "v1: CR not followed by LF"},
		{name: "UNKNOWN, LF without CR", in: "PROXY UNKNOWN \n", msg: "v1: LF without CR"},
		{name: "UNKNOWN, CR without LF", in: "PROXY UNKNOWN x\rx", msg: "v1: CR not followed by LF"},
		{name: "UNKNOWN, no room left for CRLF", in: "PROXY UNKNOWN " + strings.Repeat("x", 92),
			msg: "v1: line longer than 107 bytes"},
		{name: "TCP6 that cannot end within 107 bytes", in: "PROXY TCP6 " + long45 + " " + long45,
			msg: "v1: line longer than 107 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireMalformedAt(t, []byte(tc.in), len(tc.in), tc.msg)
		})
	}
}

func TestParseV1BadSignatureAtEachByte(t *testing.T) {
	const line = "PROXY UNKNOWN\r\n"
	for i := 1; i < len("PROXY "); i++ {
		b := []byte(line)
		b[i] = 'x'
		requireMalformedAt(t, b, i+1, "v1: bad signature")
	}
}

// TestParseV1LengthLimitIsExact checks that a line is rejected at the first
// byte after which it can no longer end within 107 bytes, and not before.
func TestParseV1LengthLimitIsExact(t *testing.T) {
	// With a 44-byte destination address the shortest ending, " 0 0\r\n",
	// brings the line to exactly 107 bytes; one more address byte is too many.
	prefix := "PROXY TCP6 " + long45 + " " + long45[:44]
	require.Len(t, prefix+" 0 0\r\n", 107)
	_, _, err := proxyproto.Parse([]byte(prefix))
	require.ErrorIs(t, err, proxyproto.ErrIncomplete)
	_, _, err = proxyproto.Parse([]byte(prefix + " 0"))
	require.ErrorIs(t, err, proxyproto.ErrIncomplete)
	_, _, err = proxyproto.Parse([]byte(prefix + " 1"))
	require.ErrorIs(t, err, proxyproto.ErrIncomplete)
	_, _, err = proxyproto.Parse([]byte(prefix + " 10"))
	require.ErrorContains(t, err, "v1: line longer than 107 bytes")
	_, _, err = proxyproto.Parse([]byte(prefix + "5"))
	require.ErrorContains(t, err, "v1: line longer than 107 bytes")

	// An UNKNOWN line may have its CR at byte 106 and its LF at byte 107.
	unknown := "PROXY UNKNOWN " + strings.Repeat("x", 91)
	require.Len(t, unknown+"\r\n", 107)
	_, _, err = proxyproto.Parse([]byte(unknown))
	require.ErrorIs(t, err, proxyproto.ErrIncomplete)
	_, _, err = proxyproto.Parse([]byte(unknown + "\r"))
	require.ErrorIs(t, err, proxyproto.ErrIncomplete)
	_, n, err := proxyproto.Parse([]byte(unknown + "\r\nGET"))
	require.NoError(t, err)
	require.Equal(t, 107, n)
	_, _, err = proxyproto.Parse([]byte(unknown + "x"))
	require.ErrorContains(t, err, "v1: line longer than 107 bytes")
}
