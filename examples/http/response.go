package main

import (
	"strconv"
	"time"
)

// Writing responses. Every response has a Content-Length, so that the
// client knows where it ends without the connection closing, and a Date,
// which RFC 9110 (6.6.1) asks of a server with a clock.

// helloBody is the content of GET /.
const helloBody = "Hello, World!\n"

// continueResponse tells a client that sent "Expect: 100-continue" to send
// its body (RFC 9110, 10.1.1).
const continueResponse = "HTTP/1.1 100 Continue\r\n\r\n"

// dateFormat is the form of a Date field (RFC 9110, 5.6.7), in UTC.
const dateFormat = "Mon, 02 Jan 2006 15:04:05 GMT"

// clock formats the Date field, once a second rather than once a response.
// Each connection has its own, so none is shared between reactors.
type clock struct {
	sec  int64  // the second date was formatted for
	date []byte // in dateFormat
}

func (c *clock) now() []byte {
	t := time.Now()
	if sec := t.Unix(); sec != c.sec || c.date == nil {
		c.sec = sec
		c.date = t.UTC().AppendFormat(c.date[:0], dateFormat)
	}
	return c.date
}

// appendResponse appends the response to req. closing says that the
// connection closes after it: the response says so (RFC 9112, 9.6).
func appendResponse(dst []byte, req *request, date []byte, closing bool) []byte {
	body := helloBody
	if req.status != statusOK {
		body = req.status.text() + "\n"
	}
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(req.status), 10)
	dst = append(dst, ' ')
	dst = append(dst, req.status.text()...)
	dst = append(dst, "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\nDate: "...)
	dst = append(dst, date...)
	switch {
	case closing:
		dst = append(dst, "\r\nConnection: close"...)
	case req.http10: // an HTTP/1.0 client closes unless told otherwise
		dst = append(dst, "\r\nConnection: keep-alive"...)
	}
	if req.status == statusMethodNotAllowed {
		dst = append(dst, "\r\nAllow: GET, HEAD"...)
	}
	dst = append(dst, "\r\n\r\n"...)
	if req.head {
		return dst // the fields describe the content GET would have had
	}
	return append(dst, body...)
}

// text returns the reason phrase of a status.
func (s status) text() string {
	switch s {
	case statusOK:
		return "OK"
	case statusBadRequest:
		return "Bad Request"
	case statusNotFound:
		return "Not Found"
	case statusMethodNotAllowed:
		return "Method Not Allowed"
	case statusHeaderTooLarge:
		return "Request Header Fields Too Large"
	case statusNotImplemented:
		return "Not Implemented"
	case statusVersionUnsupported:
		return "HTTP Version Not Supported"
	}
	return "Unknown"
}
