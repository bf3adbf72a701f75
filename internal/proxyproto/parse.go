package proxyproto

import (
	"errors"
	"fmt"
)

// ErrIncomplete is returned by [Parse] when the bytes so far are a proper
// prefix of at least one valid header: call again once more bytes have
// arrived, with all of them.
var ErrIncomplete = errors.New("proxyproto: incomplete header")

// ErrMalformed matches, through [errors.Is], every error [Parse] returns for
// bytes that no valid header starts with. The error itself says what is
// wrong.
var ErrMalformed = errors.New("proxyproto: malformed header")

// DefaultMaxV2Length is the largest version 2 length field (the byte count
// after the 16-byte fixed part) that [Parse] accepts.
//
// The field can say up to 65535, and a receiver must hold every byte until
// the whole header has arrived; accepting the maximum would let any client
// that knows the 16-byte preamble pin 64 KiB per connection until a timeout.
// Real headers are far smaller: the largest address block is 216 bytes
// (AF_UNIX), and HAProxy's TLVs (ALPN, authority, unique ID of at most 128
// bytes, SSL with its version, cipher, algorithms and client CN) or a cloud
// load balancer's endpoint ID add a few hundred more. 2048 leaves room for
// all of these at once. Use a [Parser] to choose another limit.
const DefaultMaxV2Length = 2048

// Parser parses PROXY headers with a chosen limit. Its zero value is ready to
// use and behaves like [Parse].
type Parser struct {
	// MaxV2Length is the largest version 2 length field accepted; a header
	// announcing more is malformed as soon as its first 16 bytes arrive.
	// Zero or less means DefaultMaxV2Length; values above 65535 accept
	// every version 2 header.
	MaxV2Length int
}

// Parse parses the PROXY protocol header (version 1 or 2) at the start of b
// with the default limits. See [Parser.Parse].
func Parse(b []byte) (Header, int, error) {
	return Parser{}.Parse(b)
}

// Parse parses the PROXY protocol header (version 1 or 2) at the start of b,
// which holds every byte received on the connection so far.
//
// It returns one of:
//   - the header and its length n in bytes, 0 < n <= len(b), with a nil
//     error; b[n:] is application data, which Parse has not looked at;
//   - [ErrIncomplete], when b is a proper prefix of some valid header: call
//     again with more bytes;
//   - an error matching [ErrMalformed], as soon as no valid header starts
//     with b. Garbage is caught at the first byte that rules out every
//     header: "G" and "\x16" are malformed, "P" is incomplete, "PROXZ" is
//     malformed.
//
// Parse reads nothing beyond b, never panics, and allocates only for what a
// complete header holds (TLVs, AF_UNIX paths, IPv6 text): an incomplete
// prefix costs no allocation.
func (p Parser) Parse(b []byte) (Header, int, error) {
	if len(b) == 0 {
		return Header{}, 0, ErrIncomplete
	}
	switch b[0] {
	case v1Signature[0]:
		return parseV1(b)
	case v2Signature[0]:
		return parseV2(b, p.maxV2Length())
	}
	return Header{}, 0, malformed("not a PROXY protocol header (first byte 0x%02x)", b[0])
}

// maxV2Length returns the effective limit on the version 2 length field.
func (p Parser) maxV2Length() int {
	if p.MaxV2Length <= 0 {
		return DefaultMaxV2Length
	}
	return p.MaxV2Length
}

// malformedError is a description of what makes a header malformed. It
// matches ErrMalformed.
type malformedError struct {
	msg string
}

// malformed returns a malformedError whose message is the "proxyproto: "
// prefix followed by format applied to args.
func malformed(format string, args ...any) error {
	return &malformedError{msg: "proxyproto: " + fmt.Sprintf(format, args...)}
}

// Error returns the description, "proxyproto: " first.
func (e *malformedError) Error() string { return e.msg }

// Is reports whether target is ErrMalformed.
func (e *malformedError) Is(target error) bool { return target == ErrMalformed }
