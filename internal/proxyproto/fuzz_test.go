package proxyproto_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/proxyproto"
)

// fuzzSeeds are the specification's examples and a few headers of each
// kind; testdata/fuzz/FuzzParse holds more that fuzzing found.
var fuzzSeeds = []string{
	"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n",
	"PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
	"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
	"PROXY TCP6 ::ffff:192.0.2.1 2001:db8::1 0 1\r\n",
	"PROXY UNKNOWN\r\n",
	"PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n",
	sig + "\x20\x00\x00\x00",
	sig + "\x21\x11\x00\x0c\xc0\xa8\x00\x01\xc0\xa8\x00\x0b\xdc\x04\x01\xbb",
	sig + "\x21\x11\x00\x14\xc0\xa8\x00\x01\xc0\xa8\x00\x0b\xdc\x04\x01\xbb\x01\x00\x02h2\x04\x00\x00",
	sig + "\x21\x22\x00\x24" + strings.Repeat("\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01", 2) + "\x00\x35\x00\x35",
	sig + "\x21\x31\x00\xd8" + "/a" + strings.Repeat("\x00", 106) + "\x00b" + strings.Repeat("\x00", 106),
	"GET / HTTP/1.1\r\n",
	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
}

// FuzzParse checks Parse's contract on any input: no panic; a header is
// found at the same length in every buffer that starts with it, with every
// shorter prefix incomplete, and formats back to itself; incomplete input
// stays incomplete when cut shorter; malformed input stays malformed when
// extended; a higher version 2 limit never turns a result into a worse one.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	unlimited := proxyproto.Parser{MaxV2Length: 1 << 16}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := proxyproto.Parse(b)
		hu, nu, erru := unlimited.Parse(b)
		switch {
		case err == nil:
			require.Positive(t, n)
			require.LessOrEqual(t, n, len(b))
			require.NoError(t, erru)
			require.Equal(t, h, hu)
			require.Equal(t, n, nu)
			requireFound(t, b, h, n)
		case errors.Is(err, proxyproto.ErrIncomplete):
			require.Zero(t, n)
			require.ErrorIs(t, erru, proxyproto.ErrIncomplete, "a higher limit decided %q", b)
			if len(b) > 0 {
				_, _, err := proxyproto.Parse(b[:len(b)-1])
				require.ErrorIs(t, err, proxyproto.ErrIncomplete, "%q is incomplete but its prefix is not", b)
			}
		default:
			require.ErrorIs(t, err, proxyproto.ErrMalformed)
			require.Zero(t, n)
			require.True(t, strings.HasPrefix(err.Error(), "proxyproto: "), err.Error())
			for _, more := range []string{"\r\n", "\x00", " 0"} {
				_, _, err := proxyproto.Parse(append(b[:len(b):len(b)], more...))
				require.ErrorIs(t, err, proxyproto.ErrMalformed, "%q is malformed but %q after it is not", b, more)
			}
		}
	})
}

// requireFound checks a header h found at length n in b: b[:n] alone gives
// it, shorter prefixes are incomplete (a sample of them, to keep fuzzing
// fast), and formatting h gives a header that parses back to h.
func requireFound(t *testing.T, b []byte, h proxyproto.Header, n int) {
	t.Helper()
	h2, n2, err := proxyproto.Parse(b[:n])
	require.NoError(t, err)
	require.Equal(t, h, h2)
	require.Equal(t, n, n2)
	for k := 0; k < n; k += 1 + k/8 {
		_, _, err := proxyproto.Parse(b[:k])
		require.ErrorIs(t, err, proxyproto.ErrIncomplete, "prefix %q of %q", b[:k], b[:n])
	}
	_, _, err = proxyproto.Parse(b[:n-1])
	require.ErrorIs(t, err, proxyproto.ErrIncomplete)

	out, err := h.Format()
	require.NoError(t, err, "%+v", h)
	h3, n3, err := proxyproto.Parse(out)
	require.NoError(t, err, "%q", out)
	require.Equal(t, len(out), n3)
	require.Equal(t, h, h3)
}
