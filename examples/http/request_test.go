package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder is the socket of the tests that feed a conn directly: it keeps
// what the conn writes.
type recorder struct {
	bytes.Buffer
	congested bool
}

func (r *recorder) Congested() bool { return r.congested }

// maskDates replaces the value of every Date field, which changes with
// the clock, by "D". It checks the value's form on the way.
func maskDates(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "Date: ")
		if i < 0 {
			return b.String() + s
		}
		i += len("Date: ")
		b.WriteString(s[:i])
		b.WriteString("D")
		value := s[i:min(len(s), i+len(dateFormat))]
		if _, err := time.Parse(dateFormat, value); err != nil {
			b.WriteString("(bad date " + strconv.Quote(value) + ")")
		}
		s = s[i+len(value):]
	}
}

// feedChunks feeds the chunks to c in turn, as reads of a socket, and
// returns what c wrote, with every Date field's value replaced by "D".
// Each chunk is overwritten once fed, as the transport reuses its read
// buffer: c must have copied what it keeps.
func feedChunks(c *conn, chunks ...string) string {
	var w recorder
	for _, chunk := range chunks {
		buf := []byte(chunk)
		c.feed(&w, buf)
		for i := range buf {
			buf[i] = '#'
		}
	}
	return maskDates(w.String())
}

// response is the response the tests expect, with a "D" Date: fields are
// the extra fields, and head leaves the content out.
func response(code int, reason, body string, head bool, fields ...string) string {
	r := "HTTP/1.1 " + strconv.Itoa(code) + " " + reason + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
		"Date: D\r\n"
	for _, f := range fields {
		r += f + "\r\n"
	}
	r += "\r\n"
	if head {
		return r
	}
	return r + body
}

var (
	hello      = response(200, "OK", "Hello, World!\n", false)
	helloHead  = response(200, "OK", "Hello, World!\n", true)
	helloClose = response(200, "OK", "Hello, World!\n", false, "Connection: close")
	notFound   = response(404, "Not Found", "Not Found\n", false)
	notAllowed = response(405, "Method Not Allowed", "Method Not Allowed\n", false, "Allow: GET, HEAD")
	badRequest = response(400, "Bad Request", "Bad Request\n", false, "Connection: close")
)

const get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

func TestRequests(t *testing.T) {
	cases := []struct {
		name string
		in   string
		out  string
		stop bool // the connection closes after out
	}{
		{name: "GET", in: get, out: hello},
		{name: "query", in: "GET /?a=b HTTP/1.1\r\nHost: x\r\n\r\n", out: hello},
		{name: "absolute form", in: "GET http://x/?q HTTP/1.1\r\nHost: x\r\n\r\nGET http://x HTTP/1.1\r\nHost: x\r\n\r\n", out: hello + hello},
		{name: "HEAD", in: "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + get, out: helloHead + hello},
		{name: "other path", in: "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" + get, out: notFound + hello},
		{name: "HEAD of other path", in: "HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n", out: response(404, "Not Found", "Not Found\n", true)},
		{name: "other method", in: "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n" + get, out: notAllowed + hello},
		{name: "methods are case-sensitive", in: "get / HTTP/1.1\r\nHost: x\r\n\r\n", out: notAllowed},
		{name: "pipelined", in: get + get + get, out: hello + hello + hello},
		{name: "empty lines before", in: "\r\n\r\n" + get + "\r\n" + get, out: hello + hello},
		{name: "partial", in: get[:20], out: ""},
		{name: "field names ignore case", in: "GET / HTTP/1.1\r\nhOsT: x\r\nCONNECTION: CLOSE\r\n\r\n", out: helloClose, stop: true},

		// Persistence.
		{name: "Connection close", in: "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + get, out: helloClose, stop: true},
		{name: "Connection list", in: "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\n\r\n", out: helloClose, stop: true},
		{name: "HTTP/1.0 closes", in: "GET / HTTP/1.0\r\n\r\n" + get, out: helloClose, stop: true},
		{name: "HTTP/1.0 keep-alive", in: "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + get, out: response(200, "OK", "Hello, World!\n", false, "Connection: keep-alive") + hello},
		{name: "HTTP/1.2 is 1.1", in: "GET / HTTP/1.2\r\nHost: x\r\n\r\n", out: hello},

		// Bodies.
		{name: "body dropped", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 27\r\n\r\n" + get + get, out: notAllowed + hello},
		{name: "body of GET", in: "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" + get, out: hello + hello},
		{name: "body incomplete", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabc", out: ""},
		{name: "empty body", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n" + get, out: notAllowed + hello},
		{name: "same length twice", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", out: notAllowed},
		{name: "100-continue", in: "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab", out: "HTTP/1.1 100 Continue\r\n\r\n" + notAllowed},
		{name: "100-continue without body", in: "GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", out: hello},
		{name: "chunked", in: "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", out: response(501, "Not Implemented", "Not Implemented\n", false, "Connection: close"), stop: true},

		// Malformed requests.
		{name: "no version", in: "GET /\r\n\r\n", out: badRequest, stop: true},
		{name: "two spaces", in: "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", out: badRequest, stop: true},
		{name: "bad version", in: "GET / HTTP/1.x\r\nHost: x\r\n\r\n", out: badRequest, stop: true},
		{name: "bad method", in: "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", out: badRequest, stop: true},
		{name: "HTTP/2", in: "GET / HTTP/2.0\r\nHost: x\r\n\r\n", out: response(505, "HTTP Version Not Supported", "HTTP Version Not Supported\n", false, "Connection: close"), stop: true},
		{name: "no Host", in: "GET / HTTP/1.1\r\n\r\n", out: badRequest, stop: true},
		{name: "two Hosts", in: "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", out: badRequest, stop: true},
		{name: "field without colon", in: "GET / HTTP/1.1\r\nHost: x\r\nBad\r\n\r\n", out: badRequest, stop: true},
		{name: "space before colon", in: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", out: badRequest, stop: true},
		{name: "folded field", in: "GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n c\r\n\r\n", out: badRequest, stop: true},
		{name: "control byte in value", in: "GET / HTTP/1.1\r\nHost: x\r\nA: b\x00c\r\n\r\n", out: badRequest, stop: true},
		{name: "bare LF", in: "GET / HTTP/1.1\nHost: x\r\n\r\n", out: badRequest, stop: true},
		{name: "bad length", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", out: badRequest, stop: true},
		{name: "length list", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\nx", out: badRequest, stop: true},
		{name: "lengths differ", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", out: badRequest, stop: true},
		{name: "length overflows", in: "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 9223372036854775808\r\n\r\n", out: badRequest, stop: true},
		{name: "answered before the bad one", in: get + "BAD\r\n\r\n" + get, out: hello + badRequest, stop: true},

		// The bound on a head.
		{name: "head at the limit", in: headOfSize(maxHeaderBytes), out: hello},
		{name: "head too large", in: headOfSize(maxHeaderBytes + 1), out: response(431, "Request Header Fields Too Large", "Request Header Fields Too Large\n", false, "Connection: close"), stop: true},
		{name: "head never ends", in: "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxHeaderBytes), out: response(431, "Request Header Fields Too Large", "Request Header Fields Too Large\n", false, "Connection: close"), stop: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &conn{}
			require.Equal(t, tc.out, feedChunks(c, tc.in))
			require.Equal(t, tc.stop, c.stop)
		})
	}
}

// headOfSize returns a GET head of exactly n bytes.
func headOfSize(n int) string {
	const start, end = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ", "\r\n\r\n"
	return start + strings.Repeat("a", n-len(start)-len(end)) + end
}

// pipeline is a mix of requests, and responses what they get, in order;
// the last request asks to close the connection, so what follows it is
// not answered.
var (
	pipeline = get +
		"\r\n" +
		"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" +
		"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello\r\n\r\n!" +
		"GET /nope?x HTTP/1.1\r\nhost: x\r\n\r\n" +
		"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" +
		"PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi" +
		"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" +
		get
	responses = hello + helloHead + notAllowed + notFound +
		response(200, "OK", "Hello, World!\n", false, "Connection: keep-alive") +
		"HTTP/1.1 100 Continue\r\n\r\n" + notAllowed + helloClose
)

// TestPipelineSplitEverywhere feeds the pipeline in three pieces, cut at
// every pair of byte boundaries, and a byte at a time: the responses are
// always the same bytes.
func TestPipelineSplitEverywhere(t *testing.T) {
	for i := 0; i <= len(pipeline); i++ {
		for j := i; j <= len(pipeline); j++ {
			c := &conn{}
			got := feedChunks(c, pipeline[:i], pipeline[i:j], pipeline[j:])
			if got != responses || !c.stop {
				require.Equal(t, responses, got, "split at %d and %d", i, j)
				require.True(t, c.stop, "split at %d and %d", i, j)
			}
		}
	}
	var bytewise []string
	for i := range len(pipeline) {
		bytewise = append(bytewise, pipeline[i:i+1])
	}
	require.Equal(t, responses, feedChunks(&conn{}, bytewise...))
}

// TestDrainingAnswersWhatWasRead: once a Shutdown has begun, the requests
// read before it are answered, the last with "Connection: close", and the
// ones after are not.
func TestDrainingAnswersWhatWasRead(t *testing.T) {
	c := &conn{}
	w := recorder{congested: true}
	c.feed(&w, []byte(strings.Repeat(get, 2000))) // the first flush finds w congested
	require.NotEmpty(t, c.pending)
	answered := strings.Count(w.String(), "HTTP/1.1 200 OK")
	left := strings.Count(string(c.pending), "GET /")

	c.draining, c.finish = true, len(c.pending) // what onShutdown does
	w.Reset()
	w.congested = false
	c.feed(&w, []byte(get+get)) // read after the Shutdown: not answered
	out := maskDates(w.String())
	require.Equal(t, strings.Repeat(hello, left-1)+helloClose, out)
	require.True(t, c.stop)
	require.Equal(t, 2000, answered+left)
}

// FuzzPipeline: any input, fed in two pieces cut anywhere, gets the same
// responses as fed whole, and the connection stops at the same point.
func FuzzPipeline(f *testing.F) {
	f.Add([]byte(pipeline), uint16(17))
	f.Add([]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"), uint16(40))
	f.Add([]byte("\r\n\r"), uint16(1))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		i := int(cut) % (len(in) + 1)
		whole, split := &conn{}, &conn{}
		want := feedChunks(whole, string(in))
		require.Equal(t, want, feedChunks(split, string(in[:i]), string(in[i:])))
		require.Equal(t, whole.stop, split.stop)
	})
}
