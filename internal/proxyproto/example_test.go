package proxyproto_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/asyncnet/asyncnet/internal/proxyproto"
)

// Example parses a header that arrives in pieces, as an event loop sees it:
// Parse is called with everything buffered so far after every read.
func Example() {
	reads := []string{
		"PROXY TCP4 192.0.2.1 198.51",
		".100.7 56324 443\r\nGET / HTTP/1.1\r\n",
	}
	var buf []byte
	for _, r := range reads {
		buf = append(buf, r...)
		h, n, err := proxyproto.Parse(buf)
		switch {
		case errors.Is(err, proxyproto.ErrIncomplete):
			fmt.Printf("%d bytes: incomplete\n", len(buf))
			continue
		case err != nil:
			fmt.Println("close:", err)
			return
		}
		fmt.Printf("%d bytes: v%d %s %s from %s to %s\n", len(buf), h.Version, h.Command, h.Family, h.Source, h.Destination)
		fmt.Printf("application data: %q\n", buf[n:])
	}

	// Garbage is rejected as soon as it cannot start a header.
	_, _, err := proxyproto.Parse([]byte("G"))
	fmt.Println(err)

	// Output:
	// 27 bytes: incomplete
	// 61 bytes: v1 PROXY TCP4 from 192.0.2.1:56324 to 198.51.100.7:443
	// application data: "GET / HTTP/1.1\r\n"
	// proxyproto: not a PROXY protocol header (first byte 0x47)
}

// ExampleHeader_Format builds the header a test client sends before its
// own data.
func ExampleHeader_Format() {
	h := proxyproto.Header{
		Version:     2,
		Command:     proxyproto.CommandProxy,
		Family:      proxyproto.FamilyTCP6,
		Source:      netip.MustParseAddrPort("[2001:db8::1]:40000"),
		Destination: netip.MustParseAddrPort("[2001:db8::2]:443"),
		TLVs:        []proxyproto.TLV{{Type: proxyproto.TLVTypeAuthority, Value: []byte("example.com")}},
	}
	b, err := h.Format()
	if err != nil {
		fmt.Println(err)
		return
	}
	back, n, err := proxyproto.Parse(b)
	fmt.Println(len(b), n, err, back.Source, string(back.TLVs[0].Value))

	h.Version = 1
	h.TLVs = nil
	b, _ = h.Format()
	fmt.Printf("%q\n", b)

	// Output:
	// 66 66 <nil> [2001:db8::1]:40000 example.com
	// "PROXY TCP6 2001:db8::1 2001:db8::2 40000 443\r\n"
}
