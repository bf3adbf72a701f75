package netaddr

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		addr string
		use  Use
		want Addr
		err  string // a part of the error, or "" for none
	}{
		{addr: "127.0.0.1:80", use: Dial, want: Addr{Host: "127.0.0.1", Port: 80}},
		{addr: "[::1]:443", use: Dial, want: Addr{Host: "::1", Port: 443}},
		{addr: "[fe80::1%eth0]:1", use: Dial, want: Addr{Host: "fe80::1%eth0", Port: 1}},
		{addr: "example.com:http", use: Dial, want: Addr{Host: "example.com", Port: 80}},
		{addr: "my_host.internal.:65535", use: Dial, want: Addr{Host: "my_host.internal.", Port: 65535}},
		{addr: ":0", use: Listen, want: Addr{Port: 0}},
		{addr: "0.0.0.0:7007", use: Listen, want: Addr{Host: "0.0.0.0", Port: 7007}},
		{addr: ":80", use: Dial, err: "missing host"},
		{addr: "127.0.0.1:0", use: Dial, err: "port 0"},
		{addr: "127.0.0.1:65536", use: Listen, err: "out of range"},
		{addr: "127.0.0.1:-1", use: Dial, err: "bad port"},
		{addr: "127.0.0.1:99999999999", use: Dial, err: "out of range"},
		{addr: "127.0.0.1\x00:80", use: Dial, err: "control character"},
		{addr: "a\nb:80", use: Listen, err: "control character"},
		{addr: "a b:80", use: Dial, err: "not allowed"},
		{addr: "-a.com:80", use: Dial, err: "starts or ends"},
		{addr: "a..b:80", use: Dial, err: "empty label"},
		{addr: strings.Repeat("a", 64) + ".com:80", use: Dial, err: "longer than 63"},
		{addr: strings.Repeat("a.", 127) + "aa:80", use: Dial, err: "longer than 253"},
		{addr: "[::1:80", use: Dial, err: "missing ']'"},
		{addr: "::1:80", use: Dial, err: "too many colons"},
		{addr: "[1.2.3.4%x]:80", use: Dial, err: "bad IP address"},
		{addr: "127.0.0.1", use: Dial, err: "missing port"},
		{addr: "127.0.0.1:", use: Dial, err: "missing port"},
		{addr: "127.0.0.1:nosuchservice", use: Dial, err: "unknown port"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got, err := Parse(tt.addr, tt.use)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.ErrorContains(t, err, strconv.Quote(tt.addr), "the error names the address")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

// FuzzParse: Parse never panics; what it accepts has no control
// characters, a port in range, and parses again to the same Addr from its
// String.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"127.0.0.1:80", "[::1]:0", ":7007", "example.com:http", "a\x00:1", "[fe80::1%eth0]:9", "x:65536"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, addr string, listen bool) {
		use := Dial
		if listen {
			use = Listen
		}
		a, err := Parse(addr, use)
		if err != nil {
			return
		}
		require.False(t, strings.ContainsFunc(a.Host, isControl))
		if use == Dial {
			require.NotEmpty(t, a.Host)
			require.NotZero(t, a.Port)
		}
		b, err := Parse(a.String(), use)
		require.NoError(t, err)
		require.Equal(t, a, b)
	})
}
