package proxyproto

import (
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The v1 field scanners must be exact: a string is accepted iff some valid
// field starts with it, and need is the length of the shortest completion.
// These tests check both halves against net/netip and brute force.

// ipv6Samples returns valid IPv6 addresses in every textual shape the
// scanner accepts.
func ipv6Samples(t *testing.T) []string {
	t.Helper()
	samples := []string{
		"::", "::1", "1::", "1::2", "2001:db8::1", "2001:DB8::A:b",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0:0:0:0:0:0:0:0",
		"2001:0db8:0000:0000:0000:0000:0000:0001", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
		"1:2:3:4:5:6::8", "::ffff:192.0.2.1", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4",
		"1::5:6:255.255.255.255", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		var a [16]byte
		for i := range a {
			if rng.IntN(3) > 0 { // plenty of zeros, so that "::" shows up
				a[i] = byte(rng.IntN(256))
			}
		}
		addr := netip.AddrFrom16(a)
		samples = append(samples, addr.String(), addr.StringExpanded())
	}
	return samples
}

// ipv4Samples returns valid IPv4 addresses.
func ipv4Samples(t *testing.T) []string {
	t.Helper()
	samples := []string{"0.0.0.0", "255.255.255.255", "192.168.0.1", "10.0.100.9", "1.2.3.4"}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 100 {
		samples = append(samples, netip.AddrFrom4([4]byte{
			byte(rng.IntN(256)), byte(rng.IntN(256)), byte(rng.IntN(12)), byte(rng.IntN(120)),
		}).String())
	}
	return samples
}

// shortestCompletion returns the length of the shortest string over alphabet
// that makes s+completion valid by valid, trying lengths up to max; -1 if
// there is none.
func shortestCompletion(s, alphabet string, max int, valid func(string) bool) int {
	level := []string{s}
	for n := 0; n <= max; n++ {
		var next []string
		for _, p := range level {
			if valid(p) {
				return n
			}
			for _, c := range alphabet {
				next = append(next, p+string(c))
			}
		}
		level = next
	}
	return -1
}

func isIPv6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6() && a.Zone() == ""
}

func isIPv4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4()
}

// fieldPieces are runs that address text is made of, and a few that it is
// not.
var fieldPieces = []string{"0", "1", "25", "255", "256", "01", "abc", "ffff", "12345", ":", "::", ".", "G"}

// randomField returns a string over the characters of address text: either
// one of valid with a few random edits, or runs from fieldPieces, so that it
// often is, or starts like, an address.
func randomField(rng *rand.Rand, valid []string) string {
	if rng.IntN(2) == 0 {
		s := valid[rng.IntN(len(valid))]
		for range rng.IntN(3) {
			i := rng.IntN(len(s) + 1)
			j := min(len(s), i+rng.IntN(3))
			piece := ""
			if rng.IntN(2) == 0 {
				piece = fieldPieces[rng.IntN(len(fieldPieces))]
			}
			s = s[:i] + piece + s[j:]
		}
		return s
	}
	var b strings.Builder
	for range rng.IntN(12) {
		b.WriteString(fieldPieces[rng.IntN(len(fieldPieces))])
	}
	return b.String()
}

func TestScanIPv6AcceptsEveryPrefix(t *testing.T) {
	for _, s := range ipv6Samples(t) {
		require.True(t, isIPv6(s), s)
		for k := 0; k <= len(s); k++ {
			need, ok := scanIPv6([]byte(s[:k]))
			require.True(t, ok, "%q is a prefix of %q", s[:k], s)
			require.LessOrEqual(t, need, len(s)-k, "%q completes %q", s[k:], s[:k])
		}
		need, _ := scanIPv6([]byte(s))
		require.Zero(t, need, s)
	}
}

func TestScanIPv6MatchesNetip(t *testing.T) {
	samples := ipv6Samples(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		s := randomField(rng, samples)
		need, ok := scanIPv6([]byte(s))
		require.Equal(t, isIPv6(s), ok && need == 0, "%q", s)
		if ok && need <= 4 { // deeper searches cost too much; the samples cover them
			require.Equal(t, need, shortestCompletion(s, "0:.", need, isIPv6), "shortest completion of %q", s)
		}
	}
}

func TestScanIPv6Rejects(t *testing.T) {
	tests := []struct {
		in  string
		why string
	}{
		{in: ":1", why: "a leading colon must start \"::\""},
		{in: ":::", why: "three colons"},
		{in: "1::2::", why: "two ellipses"},
		{in: "12345", why: "five hex digits"},
		{in: "1:2:3:4:5:6:7:8:", why: "a ninth group"},
		{in: "1:2:3:4:5:6:7:8::", why: "an ellipsis after eight groups"},
		{in: "1::3:4:5:6:7:8:9", why: "an ellipsis standing for no group"},
		{in: "1.", why: "an IPv4 address alone"},
		{in: "1:2:3:4:5:1.", why: "IPv4 after five groups without an ellipsis"},
		{in: "1::3:4:5:6:7:1.", why: "IPv4 after six groups with an ellipsis"},
		{in: "::01.", why: "a leading zero in the IPv4 part"},
		{in: "::1.2.3.4.", why: "five IPv4 numbers"},
		{in: "::a.", why: "hex in the IPv4 part"},
		{in: "fe80::1%eth0", why: "a zone"},
		{in: "1:g", why: "not hex"},
	}
	for _, tc := range tests {
		_, ok := scanIPv6([]byte(tc.in))
		require.False(t, ok, "%q: %s", tc.in, tc.why)
	}
}

func TestScanIPv4(t *testing.T) {
	samples := ipv4Samples(t)
	for _, s := range samples {
		for k := 0; k <= len(s); k++ {
			_, need, ok := scanIPv4([]byte(s[:k]))
			require.True(t, ok, "%q is a prefix of %q", s[:k], s)
			require.Equal(t, shortestCompletion(s[:k], "0.", need, isIPv4), need, "shortest completion of %q", s[:k])
		}
		a, need, ok := scanIPv4([]byte(s))
		require.True(t, ok)
		require.Zero(t, need)
		require.Equal(t, netip.MustParseAddr(s), netip.AddrFrom4(a))
	}
	for _, s := range []string{".", "1..", "256", "01", "00", "1.2.3.4.", "1.2.3.4.5", "1.2.3.-", "1:2", " 1"} {
		_, _, ok := scanIPv4([]byte(s))
		require.False(t, ok, "%q", s)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		s := randomField(rng, samples)
		_, need, ok := scanIPv4([]byte(s))
		require.Equal(t, isIPv4(s), ok && need == 0, "%q", s)
	}
}

func TestScanPort(t *testing.T) {
	tests := []struct {
		in   string
		port uint16
		need int
		ok   bool
	}{
		{in: "", need: 1, ok: true},
		{in: "0", port: 0, ok: true},
		{in: "443", port: 443, ok: true},
		{in: "65535", port: 65535, ok: true},
		{in: "6553", port: 6553, ok: true},
		{in: "65536"},
		{in: "99999"},
		{in: "00"},
		{in: "0443"},
		{in: "+1"},
		{in: "-1"},
		{in: "1x"},
	}
	for _, tc := range tests {
		port, need, ok := scanPort([]byte(tc.in))
		require.Equal(t, tc.ok, ok, "%q", tc.in)
		if ok {
			require.Equal(t, tc.port, port, "%q", tc.in)
			require.Equal(t, tc.need, need, "%q", tc.in)
		}
	}
}
