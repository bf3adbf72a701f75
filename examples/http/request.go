package main

import (
	"bytes"
	"math"
)

// Parsing a request's head (RFC 9112): the request line, the header fields
// and the empty line that ends them. Only what the responses depend on is
// kept: the bytes of the request are borrowed from the read and gone once
// the read callback returns, while a request with a body is answered only
// once its body has been read.

// maxHeaderBytes bounds a request's head. A bigger one gets 431 and the
// connection closes: without a bound, a client that never ends its head
// would make the server keep it all.
const maxHeaderBytes = 8 << 10

// status is an HTTP status code.
type status int

const (
	statusOK                 status = 200
	statusBadRequest         status = 400
	statusNotFound           status = 404
	statusMethodNotAllowed   status = 405
	statusHeaderTooLarge     status = 431
	statusNotImplemented     status = 501
	statusVersionUnsupported status = 505
)

// request is what a response depends on.
type request struct {
	status         status // the response's status
	head           bool   // HEAD: the response has no content
	keepAlive      bool   // the connection stays open after the response
	http10         bool   // HTTP/1.0: keep-alive must be said, not assumed
	expectContinue bool   // the client waits for "100 Continue" before its body
	bodyLen        int64  // the Content-Length of the request's body
}

// errorRequest answers input that is not a request the server can read:
// the connection closes after the response.
func errorRequest(s status) request { return request{status: s} }

// parseRequest parses the request head at the start of in. It returns the
// bytes it took (the head and the empty lines before it), 0 if the head
// has not all arrived. A malformed head is answered by a request whose
// status says what is wrong and whose keepAlive is false.
func parseRequest(in []byte) (request, int) {
	skip := 0 // empty lines before a request line are ignored (RFC 9112, 2.2)
	for len(in)-skip >= 2 && in[skip] == '\r' && in[skip+1] == '\n' {
		skip += 2
	}
	rest := in[skip:]
	if len(rest) == 0 || len(rest) == 1 && rest[0] == '\r' {
		return request{}, skip // nothing but empty lines yet
	}
	end := bytes.Index(rest[:min(len(rest), maxHeaderBytes)], []byte("\r\n\r\n"))
	if end < 0 {
		if len(rest) >= maxHeaderBytes {
			return errorRequest(statusHeaderTooLarge), len(in)
		}
		return request{}, 0
	}
	n := skip + end + 4
	line, fields, _ := bytes.Cut(rest[:end+2], []byte("\r\n"))
	req, ok := parseRequestLine(line)
	if !ok {
		return req, n
	}
	return parseFields(req, fields), n
}

// parseRequestLine parses method SP request-target SP HTTP-version and
// decides the status: 200 for GET or HEAD of /, 404 for another path, 405
// for another method. It reports false, with the error's status, for a
// line that is not a request line.
func parseRequestLine(line []byte) (request, bool) {
	method, rest, ok1 := bytes.Cut(line, []byte(" "))
	target, version, ok2 := bytes.Cut(rest, []byte(" "))
	if !ok1 || !ok2 || !isToken(method) || len(target) == 0 || !isTarget(target) {
		return errorRequest(statusBadRequest), false
	}
	if len(version) != len("HTTP/1.1") || string(version[:5]) != "HTTP/" ||
		!isDigit(version[5]) || version[6] != '.' || !isDigit(version[7]) {
		return errorRequest(statusBadRequest), false
	}
	if version[5] != '1' {
		return errorRequest(statusVersionUnsupported), false
	}
	req := request{http10: version[7] == '0', head: string(method) == "HEAD"}
	req.keepAlive = !req.http10 // HTTP/1.1 connections persist by default
	switch {
	case requestPath(target) != "/":
		req.status = statusNotFound
	case string(method) == "GET" || req.head:
		req.status = statusOK
	default:
		req.status = statusMethodNotAllowed
	}
	return req, true
}

// requestPath returns the path of a request target: the origin form
// ("/a?q") or the absolute form ("http://host/a?q", which proxies send)
// without its query.
func requestPath(target []byte) string {
	if i := bytes.Index(target, []byte("://")); i > 0 && target[0] != '/' {
		target = target[i+3:]
		if slash := bytes.IndexByte(target, '/'); slash >= 0 {
			target = target[slash:]
		} else {
			target = []byte("/")
		}
	}
	path, _, _ := bytes.Cut(target, []byte("?"))
	return string(path)
}

// parseFields parses the header fields (each line ending with CRLF) into
// req: Connection, Content-Length, Transfer-Encoding, Expect, Host.
func parseFields(req request, fields []byte) request {
	hosts := 0
	contentLength := int64(-1)
	for len(fields) > 0 {
		line, rest, _ := bytes.Cut(fields, []byte("\r\n"))
		fields = rest
		name, value, ok := bytes.Cut(line, []byte(":"))
		// A name is a token right before the colon: no space before it
		// (RFC 9112, 5.1) and no line folded onto the one above (5.2).
		if !ok || !isToken(name) || !isFieldValue(value) {
			return errorRequest(statusBadRequest)
		}
		value = bytes.Trim(value, " \t")
		switch {
		case equalFold(name, "host"):
			hosts++
		case equalFold(name, "content-length"):
			n, ok := parseContentLength(value)
			if !ok || contentLength >= 0 && n != contentLength {
				return errorRequest(statusBadRequest)
			}
			contentLength = n
		case equalFold(name, "transfer-encoding"):
			// A chunked body is not decoded here, and guessing where it
			// ends would read the next request from the middle of it.
			return errorRequest(statusNotImplemented)
		case equalFold(name, "connection"):
			if hasToken(value, "close") {
				req.keepAlive = false
			} else if req.http10 && hasToken(value, "keep-alive") {
				req.keepAlive = true
			}
		case equalFold(name, "expect"):
			req.expectContinue = !req.http10 && equalFold(value, "100-continue")
		}
	}
	if !req.http10 && hosts != 1 || hosts > 1 { // RFC 9112, 3.2
		return errorRequest(statusBadRequest)
	}
	req.bodyLen = max(contentLength, 0)
	return req
}

// parseContentLength parses 1*DIGIT without overflow.
func parseContentLength(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) || n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// hasToken reports whether the comma-separated list v holds token,
// ignoring ASCII case.
func hasToken(v []byte, token string) bool {
	for item := range bytes.SplitSeq(v, []byte(",")) {
		if equalFold(bytes.Trim(item, " \t"), token) {
			return true
		}
	}
	return false
}

// equalFold reports whether b equals the lower-case ASCII string lower,
// ignoring ASCII case in b.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isToken reports whether b is a token: one or more tchar (RFC 9110, 5.6.2).
func isToken(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') &&
			bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) < 0 {
			return false
		}
	}
	return len(b) > 0
}

// isTarget reports whether a request target has no space or control byte.
func isTarget(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// isFieldValue reports whether a field value has no control byte other
// than a tab (RFC 9110, 5.5): a CR, LF or NUL in it would be an attack on
// whatever parses it next.
func isFieldValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
