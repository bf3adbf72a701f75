package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/exampletest"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

func TestMain(m *testing.M) { exampletest.Main(m) }

// serve runs the server in the test's process, as main does, on a free
// port, and returns its address. When the test ends it stops the server
// as SIGTERM does, and checks that it stopped cleanly.
func serve(t *testing.T) string {
	t.Helper()
	out := exampletest.Serve(t, func(ctx context.Context, out io.Writer) error {
		return run(ctx, "127.0.0.1:0", testutil.Timeout, out)
	})
	return out.Addr(t, "listening on ")
}

// curlResponse is a response as curl -i prints it: the status line, the
// fields by name, and the content.
type curlResponse struct {
	status string
	fields http.Header
	body   string
}

// parseCurl splits what curl -i printed for one or more responses on one
// connection (and, with -w, what -w printed after each).
func parseCurl(t *testing.T, out string) []curlResponse {
	t.Helper()
	var rs []curlResponse
	r := bufio.NewReader(strings.NewReader(out))
	for {
		status, err := r.ReadString('\n')
		if err == io.EOF && status == "" {
			return rs
		}
		require.NoError(t, err, "in %q", out)
		resp := curlResponse{status: strings.TrimRight(status, "\r\n"), fields: http.Header{}}
		for {
			line, err := r.ReadString('\n')
			require.NoError(t, err, "in %q", out)
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			name, value, ok := strings.Cut(line, ": ")
			require.True(t, ok, "field %q", line)
			resp.fields.Add(name, value)
		}
		if n := resp.fields.Get("Content-Length"); n != "" && !strings.Contains(resp.status, " 100 ") {
			size, err := strconv.Atoi(n)
			require.NoError(t, err)
			body := make([]byte, size)
			if _, err := io.ReadFull(r, body); err == nil || size == 0 {
				resp.body = string(body)
			} else {
				resp.body = "" // HEAD: the fields describe a content not sent
			}
		}
		rs = append(rs, resp)
	}
}

// TestCurl drives the server with curl and checks the status lines, the
// fields and the content.
func TestCurl(t *testing.T) {
	curl := exampletest.Tool(t, "curl", "curl")
	url := "http://" + serve(t)
	cases := []struct {
		name   string
		args   []string
		status string
		fields map[string]string // fields the response must have ("" for must not)
		body   string
	}{
		{name: "GET", args: []string{url + "/"}, status: "HTTP/1.1 200 OK",
			fields: map[string]string{"Content-Length": "14", "Content-Type": "text/plain; charset=utf-8", "Connection": ""}, body: "Hello, World!\n"},
		{name: "HTTP/1.0", args: []string{"--http1.0", url + "/"}, status: "HTTP/1.1 200 OK",
			fields: map[string]string{"Connection": "close", "Content-Length": "14"}, body: "Hello, World!\n"},
		{name: "Connection close", args: []string{"-H", "Connection: close", url + "/"}, status: "HTTP/1.1 200 OK",
			fields: map[string]string{"Connection": "close"}, body: "Hello, World!\n"},
		{name: "HEAD", args: []string{"-I", url + "/"}, status: "HTTP/1.1 200 OK",
			fields: map[string]string{"Content-Length": "14"}, body: ""},
		{name: "404", args: []string{url + "/nope"}, status: "HTTP/1.1 404 Not Found", body: "Not Found\n"},
		{name: "405", args: []string{"-X", "DELETE", url + "/"}, status: "HTTP/1.1 405 Method Not Allowed",
			fields: map[string]string{"Allow": "GET, HEAD"}, body: "Method Not Allowed\n"},
		{name: "POST body", args: []string{"--data-binary", "some body", url + "/"}, status: "HTTP/1.1 405 Method Not Allowed", body: "Method Not Allowed\n"},
		{name: "chunked", args: []string{"-H", "Transfer-Encoding: chunked", "--data-binary", "abc", url + "/"}, status: "HTTP/1.1 501 Not Implemented",
			fields: map[string]string{"Connection": "close"}, body: "Not Implemented\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rs := parseCurl(t, exampletest.Output(t, "", curl, append([]string{"-sS", "-i"}, tc.args...)...))
			require.Len(t, rs, 1)
			require.Equal(t, tc.status, rs[0].status)
			require.NotEmpty(t, rs[0].fields.Get("Date"))
			for name, want := range tc.fields {
				require.Equal(t, want, rs[0].fields.Get(name), name)
			}
			require.Equal(t, tc.body, rs[0].body)
		})
	}
}

// TestCurlKeepAlive: curl given several URLs sends them on one connection
// (-w prints how many connections each transfer opened: 1, then 0s),
// also after a request with a body, whose body the server has to read
// past; and a client that expects "100 Continue" gets it at once.
func TestCurlKeepAlive(t *testing.T) {
	curl := exampletest.Tool(t, "curl", "curl")
	url := "http://" + serve(t)
	out := exampletest.Output(t, "", curl, "-sS", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n",
		url+"/", url+"/nope", url+"/?x=1",
		"--next", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n", "--data-binary", "0123456789", url+"/",
		"--next", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n", url+"/")
	require.Equal(t, "200 1\n404 0\n200 0\n405 0\n200 0\n", out)

	body := filepath.Join(t.TempDir(), "body")
	require.NoError(t, os.WriteFile(body, bytes.Repeat([]byte("x"), 2<<20), 0o600))
	rs := parseCurl(t, exampletest.Output(t, "", curl, "-sS", "-i", "-H", "Expect: 100-continue", "--expect100-timeout", "20", "--data-binary", "@"+body, url+"/"))
	require.Len(t, rs, 2)
	require.Equal(t, "HTTP/1.1 100 Continue", rs[0].status)
	require.Equal(t, "HTTP/1.1 405 Method Not Allowed", rs[1].status)
}

// TestWrk loads the server with wrk for a second, with persistent
// connections and with a new connection per request (Connection: close):
// every response must be a 200, and no socket error.
func TestWrk(t *testing.T) {
	wrk := exampletest.Tool(t, "wrk", "wrk")
	url := "http://" + serve(t) + "/"
	requests := regexp.MustCompile(`(\d+) requests in `)
	for _, args := range [][]string{
		{"-t1", "-c10", "-d1s", url},
		{"-t1", "-c10", "-d1s", "-H", "Connection: close", url},
	} {
		out := exampletest.Output(t, "", wrk, args...)
		t.Logf("wrk %s:\n%s", strings.Join(args, " "), out)
		m := requests.FindStringSubmatch(out)
		require.NotNil(t, m, out)
		n, err := strconv.Atoi(m[1])
		require.NoError(t, err)
		require.Positive(t, n, out)
		require.NotContains(t, out, "Non-2xx or 3xx responses", out)
		require.NotContains(t, out, "Socket errors", out)
	}
}

// TestPipelineByteByByte sends the pipeline over TCP a byte per write and
// checks the exact responses, then end of file: the last request asked to
// close the connection.
func TestPipelineByteByByte(t *testing.T) {
	c, err := net.Dial("tcp", serve(t))
	require.NoError(t, err)
	defer c.Close()
	go func() {
		for i := range len(pipeline) {
			if _, err := c.Write([]byte{pipeline[i]}); err != nil {
				return // the read below fails and says why
			}
		}
	}()
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Equal(t, responses, maskDates(string(got)))
}

// TestClosesAfterLastResponse: after a malformed request, a head that is
// too large, or "Connection: close", the connection closes once the
// responses before it are out, and cleanly (end of file, not a reset),
// even though the client has sent megabytes after it: the server reads
// and drops them rather than reset the connection, which would destroy
// the responses still on their way.
func TestClosesAfterLastResponse(t *testing.T) {
	addr := serve(t)
	flood := strings.Repeat(get, 100000)
	cases := []struct {
		name string
		in   string
		want string
	}{
		{name: "Connection close", in: get + "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", want: hello + helloClose},
		{name: "malformed", in: get + "GET /\r\n\r\n", want: hello + badRequest},
		{name: "head too large", in: get + "GET / HTTP/1.1\r\nX: " + strings.Repeat("a", maxHeaderBytes),
			want: hello + response(431, "Request Header Fields Too Large", "Request Header Fields Too Large\n", false, "Connection: close")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer c.Close()
			werr := make(chan error, 1)
			go func() {
				_, err := io.WriteString(c, tc.in+flood)
				if err == nil {
					err = c.(*net.TCPConn).CloseWrite()
				}
				werr <- err
			}()
			got, err := io.ReadAll(c)
			require.NoError(t, err, "the connection was reset")
			require.Equal(t, tc.want, maskDates(string(got)))
			require.NoError(t, <-werr)
		})
	}
}
