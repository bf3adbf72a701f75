package proto

import (
	"bytes"
	"errors"
)

// HTTPResponse is the fixed response sent for every request. It has no Date
// header on purpose: see the package documentation.
const HTTPResponse = httpHeadResponse + httpContent

// HTTPCloseResponse is the response to a request with "Connection: close":
// HTTPResponse with that field too, as RFC 9112 (section 9.6) asks of the
// last response on a connection.
const HTTPCloseResponse = httpCloseHeadResponse + httpContent

const (
	httpContent = "Hello, World!"
	httpFields  = "HTTP/1.1 200 OK\r\n" +
		"Server: bench\r\n" +
		"Content-Type: text/plain\r\n" +
		"Content-Length: 13\r\n"
	// httpHeadResponse is HTTPResponse without its content, the answer to
	// HEAD; httpCloseHeadResponse is HTTPCloseResponse's.
	httpHeadResponse      = httpFields + "\r\n"
	httpCloseHeadResponse = httpFields + "Connection: close\r\n\r\n"
)

const (
	// MaxHTTPHeaderBytes bounds the header section of a request: the request
	// line, the header fields and the empty line that ends them.
	MaxHTTPHeaderBytes = 8 << 10
	// MaxHTTPBodyBytes bounds the Content-Length of a request. A request body
	// is only skipped, but it must be buffered whole before the request counts
	// as consumed, so an unbounded length would let a peer grow the server's
	// input buffer without limit.
	MaxHTTPBodyBytes = 1 << 20
)

// Errors returned by AppendHTTPResponses. Each means the input cannot be
// answered and the connection should be closed.
var (
	ErrHTTPHeaderTooLarge   = errors.New("proto: HTTP header section larger than 8 KiB")
	ErrHTTPRequestLine      = errors.New("proto: malformed HTTP request line")
	ErrHTTPHeaderLine       = errors.New("proto: malformed HTTP header field")
	ErrHTTPContentLength    = errors.New("proto: invalid HTTP Content-Length")
	ErrHTTPBodyTooLarge     = errors.New("proto: HTTP request body larger than 1 MiB")
	ErrHTTPTransferEncoding = errors.New("proto: HTTP Transfer-Encoding not supported")
)

// ErrHTTPConnectionClose is returned by AppendHTTPResponses after the
// response to a request with "Connection: close". It is not a protocol
// error: out ends with that response (HTTPCloseResponse), consumed ends
// with that request, and the server writes out and then closes the
// connection, without answering the requests pipelined after it (RFC 9112,
// section 9.6).
var ErrHTTPConnectionClose = errors.New("proto: the HTTP request asked to close the connection")

var crlfcrlf = []byte("\r\n\r\n")

// AppendHTTPResponses answers every complete HTTP/1.1 request at the start of in
// (requests end with "\r\n\r\n"; GET without a body is all we need, but a request
// with a Content-Length body must have its body skipped correctly), appending one
// fixed response per request to dst. It returns dst, how many bytes of in it consumed
// (whole requests only; a partial request at the end is left for the next call),
// and an error for input that cannot be HTTP (then the server closes the connection).
//
// Every request gets HTTPResponse, whatever its method and target, except
// that a HEAD request gets the same status line and header fields without
// the content, and that a request with the "close" option in a Connection
// field gets HTTPCloseResponse and ends the call with ErrHTTPConnectionClose. Empty lines before a request line are skipped (RFC 9112,
// section 2.2). On error, out and consumed still cover the requests before
// the bad one, so a server may write out before it closes the connection.
func AppendHTTPResponses(dst, in []byte) (out []byte, consumed int, err error) {
	pos := 0
	for pos < len(in) {
		rest := in[pos:]
		if rest[0] == '\r' {
			if len(rest) == 1 {
				break // maybe the start of an empty line
			}
			if rest[1] == '\n' {
				pos += 2 // empty line before a request line
				continue
			}
		}
		head := rest
		if len(head) > MaxHTTPHeaderBytes {
			head = head[:MaxHTTPHeaderBytes]
		}
		end := bytes.Index(head, crlfcrlf)
		if end < 0 {
			if len(rest) >= MaxHTTPHeaderBytes {
				return dst, pos, ErrHTTPHeaderTooLarge
			}
			break // wait for the rest of the header section
		}
		h, err := parseHTTPHead(rest[:end+2])
		if err != nil {
			return dst, pos, err
		}
		total := end + len(crlfcrlf) + h.bodyLen
		if len(rest) < total {
			break // wait for the rest of the body
		}
		dst = append(dst, h.response()...)
		pos += total
		if h.close {
			return dst, pos, ErrHTTPConnectionClose
		}
	}
	return dst, pos, nil
}

// httpHead is what the response to a request depends on.
type httpHead struct {
	isHead  bool // the method is HEAD
	close   bool // a Connection field has the "close" option
	bodyLen int
}

// response returns the response to the request.
func (h httpHead) response() string {
	switch {
	case h.isHead && h.close:
		return httpCloseHeadResponse
	case h.isHead:
		return httpHeadResponse
	case h.close:
		return HTTPCloseResponse
	}
	return HTTPResponse
}

// parseHTTPHead checks a header section without its final empty line: a
// request line and zero or more header fields, each ending with CRLF.
func parseHTTPHead(head []byte) (httpHead, error) {
	i := bytes.IndexByte(head, '\n') // head ends with "\r\n", so i >= 0
	if i < 1 || head[i-1] != '\r' {
		return httpHead{}, ErrHTTPRequestLine
	}
	isHead, ok := parseRequestLine(head[:i-1])
	if !ok {
		return httpHead{}, ErrHTTPRequestLine
	}
	head = head[i+1:]

	h := httpHead{isHead: isHead, bodyLen: -1}
	for len(head) > 0 {
		i := bytes.IndexByte(head, '\n')
		if i < 1 || head[i-1] != '\r' {
			return httpHead{}, ErrHTTPHeaderLine // bare LF
		}
		line := head[:i-1]
		head = head[i+1:]

		colon := bytes.IndexByte(line, ':')
		if colon < 1 || !isToken(line[:colon]) {
			// Also rejects obs-fold continuation lines and whitespace
			// between the field name and the colon (RFC 9112, 5.1, 5.2).
			return httpHead{}, ErrHTTPHeaderLine
		}
		name := line[:colon]
		switch {
		case equalFoldASCII(name, "content-length"):
			n, err := parseContentLength(trimOWS(line[colon+1:]))
			if err != nil {
				return httpHead{}, err
			}
			if h.bodyLen >= 0 && n != h.bodyLen {
				return httpHead{}, ErrHTTPContentLength // conflicting values
			}
			h.bodyLen = n
		case equalFoldASCII(name, "transfer-encoding"):
			// A chunked body cannot be skipped by this parser, and guessing
			// would desynchronize the connection.
			return httpHead{}, ErrHTTPTransferEncoding
		case equalFoldASCII(name, "connection"):
			h.close = h.close || hasOption(line[colon+1:], "close")
		}
	}
	h.bodyLen = max(h.bodyLen, 0)
	return h, nil
}

// hasOption reports whether the comma-separated list of a Connection
// field's value holds the option lower (compared ignoring ASCII case).
func hasOption(value []byte, lower string) bool {
	for len(value) > 0 {
		item := value
		if i := bytes.IndexByte(value, ','); i >= 0 {
			item, value = value[:i], value[i+1:]
		} else {
			value = nil
		}
		if equalFoldASCII(trimOWS(item), lower) {
			return true
		}
	}
	return false
}

// parseRequestLine checks method SP request-target SP HTTP-version, with an
// HTTP/1.x version, and reports whether the method is HEAD.
func parseRequestLine(line []byte) (isHead, ok bool) {
	sp := bytes.IndexByte(line, ' ')
	if sp < 1 || !isToken(line[:sp]) {
		return false, false
	}
	method := line[:sp]
	line = line[sp+1:]
	sp = bytes.IndexByte(line, ' ')
	if sp < 1 {
		return false, false
	}
	for _, c := range line[:sp] {
		if c <= ' ' || c == 0x7f {
			return false, false
		}
	}
	v := line[sp+1:]
	if len(v) != len("HTTP/1.1") || string(v[:len("HTTP/1.")]) != "HTTP/1." ||
		v[7] < '0' || v[7] > '9' {
		return false, false
	}
	return string(method) == "HEAD", true
}

// parseContentLength parses 1*DIGIT.
func parseContentLength(v []byte) (int, error) {
	if len(v) == 0 {
		return 0, ErrHTTPContentLength
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, ErrHTTPContentLength
		}
		if n <= MaxHTTPBodyBytes { // saturate instead of overflowing
			n = n*10 + int(c-'0')
		}
	}
	if n > MaxHTTPBodyBytes {
		return 0, ErrHTTPBodyTooLarge
	}
	return n, nil
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// tokenChars marks the tchar bytes of RFC 9110, section 5.6.2.
var tokenChars = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !tokenChars[c] {
			return false
		}
	}
	return true
}

// equalFoldASCII reports whether b equals the lower-case ASCII string lower,
// ignoring ASCII case in b.
func equalFoldASCII(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
