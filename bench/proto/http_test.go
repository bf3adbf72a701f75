package proto

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// wrkRequest is what wrk sends for the TechEmpower plaintext test.
const wrkRequest = "GET /plaintext HTTP/1.1\r\n" +
	"Host: tfb-server:8080\r\n" +
	"Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n" +
	"Connection: keep-alive\r\n" +
	"\r\n"

const minimalGet = "GET / HTTP/1.1\r\n\r\n"

// closeGet is what wrk sends with -H "Connection: close".
const closeGet = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nConnection: close\r\n\r\n"

func responses(n int) string { return strings.Repeat(HTTPResponse, n) }

// headerOfSize returns a complete GET header section of exactly n bytes.
func headerOfSize(n int) string {
	const prefix = "GET / HTTP/1.1\r\nX-Pad: "
	const suffix = "\r\n\r\n"
	return prefix + strings.Repeat("a", n-len(prefix)-len(suffix)) + suffix
}

var httpCases = []appendCase{
	{name: "one wrk request", in: wrkRequest, out: responses(1), consumed: -1},
	{name: "minimal GET", in: minimalGet, out: responses(1), consumed: -1},
	{name: "pipelined 16", in: strings.Repeat(wrkRequest, 16), out: responses(16), consumed: -1},
	{name: "pipelined mixed", in: minimalGet + wrkRequest + minimalGet, out: responses(3), consumed: -1},
	{name: "empty input", in: "", out: "", consumed: 0},
	{name: "partial request line", in: "GET / HT", out: "", consumed: 0},
	{name: "partial terminator", in: "GET / HTTP/1.1\r\nHost: x\r\n\r", out: "", consumed: 0},
	{name: "complete then partial", in: wrkRequest + wrkRequest[:30], out: responses(1), consumed: len(wrkRequest)},
	{name: "HTTP/1.0", in: "GET / HTTP/1.0\r\n\r\n", out: responses(1), consumed: -1},
	{name: "any method and target", in: "OPTIONS * HTTP/1.1\r\n\r\nDELETE /a?b=c%20d HTTP/1.1\r\n\r\n", out: responses(2), consumed: -1},
	{name: "HEAD has no content", in: "HEAD / HTTP/1.1\r\n\r\n" + minimalGet, out: httpHeadResponse + HTTPResponse, consumed: -1},
	{name: "empty lines before request", in: "\r\n\r\n" + minimalGet + "\r\n" + minimalGet, out: responses(2), consumed: -1},
	{name: "lone empty line consumed", in: "\r\n", out: "", consumed: 2},
	{name: "lone CR waits", in: "\r", out: "", consumed: 0},
	{
		name:     "body skipped",
		in:       "POST / HTTP/1.1\r\nContent-Length: 22\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\n\r\n" + minimalGet,
		out:      responses(2),
		consumed: -1,
	},
	{name: "body incomplete", in: "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel", out: "", consumed: 0},
	{
		name:     "body complete then incomplete",
		in:       "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloPOST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhel",
		out:      responses(1),
		consumed: len("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"),
	},
	{name: "content-length zero", in: "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n" + minimalGet, out: responses(2), consumed: -1},
	{name: "content-length leading zeros", in: "POST / HTTP/1.1\r\nContent-Length: 003\r\n\r\nabc", out: responses(1), consumed: -1},
	{name: "content-length lower case", in: "POST / HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc", out: responses(1), consumed: -1},
	{name: "content-length upper case", in: "POST / HTTP/1.1\r\nCONTENT-LENGTH: 3\r\n\r\nabc", out: responses(1), consumed: -1},
	{name: "content-length mixed case", in: "POST / HTTP/1.1\r\ncOnTeNt-LeNgTh: 3\r\n\r\nabc", out: responses(1), consumed: -1},
	{name: "content-length OWS", in: "POST / HTTP/1.1\r\nContent-Length:\t 3 \t\r\n\r\nabc", out: responses(1), consumed: -1},
	{name: "content-length no OWS", in: "POST / HTTP/1.1\r\nContent-Length:3\r\n\r\nabc", out: responses(1), consumed: -1},
	{name: "content-length repeated equal", in: "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", out: responses(1), consumed: -1},
	{name: "content-length at limit", in: "POST / HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n", out: "", consumed: 0},
	{name: "similar header names ignored", in: "GET / HTTP/1.1\r\nContent-Lengthx: 5\r\nX-Content-Length: 5\r\n\r\n", out: responses(1), consumed: -1},
	{name: "header section at limit", in: headerOfSize(MaxHTTPHeaderBytes), out: responses(1), consumed: -1},
	{name: "header section below limit, unterminated", in: headerOfSize(MaxHTTPHeaderBytes)[:MaxHTTPHeaderBytes-1], out: "", consumed: 0},

	{name: "connection keep-alive", in: wrkRequest, out: responses(1), consumed: -1},
	{name: "connection option like close", in: "GET / HTTP/1.1\r\nConnection: closed, x-close\r\n\r\n", out: responses(1), consumed: -1},
	{name: "close-ish field name", in: "GET / HTTP/1.1\r\nProxy-Connection: close\r\n\r\n", out: responses(1), consumed: -1},

	// Connection: close ends the answers with ErrHTTPConnectionClose.
	{name: "connection close", in: closeGet, out: HTTPCloseResponse, consumed: -1, err: ErrHTTPConnectionClose},
	{
		name:     "connection close ends pipelining",
		in:       minimalGet + closeGet + minimalGet,
		out:      HTTPResponse + HTTPCloseResponse,
		consumed: len(minimalGet + closeGet),
		err:      ErrHTTPConnectionClose,
	},
	{name: "connection close any case", in: "GET / HTTP/1.1\r\nconnection: CLOSE\r\n\r\n", out: HTTPCloseResponse, consumed: -1, err: ErrHTTPConnectionClose},
	{name: "connection close in a list", in: "GET / HTTP/1.1\r\nConnection: keep-alive ,\tclose , te\r\n\r\n", out: HTTPCloseResponse, consumed: -1, err: ErrHTTPConnectionClose},
	{name: "connection close in a second field", in: "GET / HTTP/1.1\r\nConnection: te\r\nConnection: close\r\n\r\n", out: HTTPCloseResponse, consumed: -1, err: ErrHTTPConnectionClose},
	{name: "connection close HEAD", in: "HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n", out: httpCloseHeadResponse, consumed: -1, err: ErrHTTPConnectionClose},
	{
		name:     "connection close after its body",
		in:       "POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc" + minimalGet,
		out:      HTTPCloseResponse,
		consumed: len("POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc"),
		err:      ErrHTTPConnectionClose,
	},
	{name: "connection close, body incomplete", in: "POST / HTTP/1.1\r\nConnection: close\r\nContent-Length: 3\r\n\r\nab", out: "", consumed: 0},

	// Errors.
	{name: "header section over limit", in: headerOfSize(MaxHTTPHeaderBytes + 1), consumed: 0, err: ErrHTTPHeaderTooLarge},
	{name: "unterminated header at limit", in: strings.Repeat("a", MaxHTTPHeaderBytes), consumed: 0, err: ErrHTTPHeaderTooLarge},
	{name: "error after good request", in: minimalGet + "GET /\r\n\r\n" + minimalGet, out: responses(1), consumed: len(minimalGet), err: ErrHTTPRequestLine},
	{name: "HTTP/0.9 request line", in: "GET /\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "no method", in: " / HTTP/1.1\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "bad method char", in: "G(T / HTTP/1.1\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "double space", in: "GET  / HTTP/1.1\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "empty target", in: "GET  HTTP/1.1\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "control byte in target", in: "GET /\x01 HTTP/1.1\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "extra field", in: "GET / HTTP/1.1 x\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "HTTP/2.0", in: "GET / HTTP/2.0\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "lower-case version", in: "GET / http/1.1\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "bad minor version", in: "GET / HTTP/1.x\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "h2 preface", in: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "bare LF in request line", in: "GET / HTTP/1.1\nHost: x\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "CR not followed by LF", in: "\rGET / HTTP/1.1\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "binary garbage", in: "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", consumed: 0, err: ErrHTTPRequestLine},
	{name: "header without colon", in: "GET / HTTP/1.1\r\nHost\r\n\r\n", consumed: 0, err: ErrHTTPHeaderLine},
	{name: "header empty name", in: "GET / HTTP/1.1\r\n: x\r\n\r\n", consumed: 0, err: ErrHTTPHeaderLine},
	{name: "space before colon", in: "GET / HTTP/1.1\r\nHost : x\r\n\r\n", consumed: 0, err: ErrHTTPHeaderLine},
	{name: "obs-fold", in: "GET / HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n", consumed: 0, err: ErrHTTPHeaderLine},
	{name: "bare LF in headers", in: "GET / HTTP/1.1\r\nA: b\nC: d\r\n\r\n", consumed: 0, err: ErrHTTPHeaderLine},
	{name: "content-length negative", in: "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", consumed: 0, err: ErrHTTPContentLength},
	{name: "content-length plus", in: "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", consumed: 0, err: ErrHTTPContentLength},
	{name: "content-length empty", in: "POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", consumed: 0, err: ErrHTTPContentLength},
	{name: "content-length letters", in: "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", consumed: 0, err: ErrHTTPContentLength},
	{name: "content-length hex", in: "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", consumed: 0, err: ErrHTTPContentLength},
	{name: "content-length inner space", in: "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", consumed: 0, err: ErrHTTPContentLength},
	{name: "content-length list", in: "POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc", consumed: 0, err: ErrHTTPContentLength},
	{name: "content-length fraction", in: "POST / HTTP/1.1\r\nContent-Length: 1.5\r\n\r\n", consumed: 0, err: ErrHTTPContentLength},
	{name: "content-length conflicting", in: "POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 4\r\n\r\nabcd", consumed: 0, err: ErrHTTPContentLength},
	{name: "content-length over limit", in: "POST / HTTP/1.1\r\nContent-Length: 1048577\r\n\r\n", consumed: 0, err: ErrHTTPBodyTooLarge},
	{name: "content-length overflows int64", in: "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n", consumed: 0, err: ErrHTTPBodyTooLarge},
	{name: "transfer-encoding", in: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", consumed: 0, err: ErrHTTPTransferEncoding},
	{name: "transfer-encoding any case", in: "POST / HTTP/1.1\r\ntransfer-ENCODING: chunked\r\n\r\n0\r\n\r\n", consumed: 0, err: ErrHTTPTransferEncoding},
}

func TestAppendHTTPResponses(t *testing.T) {
	runAppendCases(t, AppendHTTPResponses, httpCases)
}

// TestAppendHTTPResponsesStream feeds a long pipelined stream in chunks of
// every size from 1 to 64 bytes.
func TestAppendHTTPResponsesStream(t *testing.T) {
	body := "POST /x HTTP/1.1\r\nContent-Length: 7\r\n\r\n\r\n\r\nab\r"
	stream := strings.Repeat(wrkRequest+"\r\n"+body+minimalGet+"HEAD / HTTP/1.1\r\n\r\n", 8)
	want := strings.Repeat(HTTPResponse+HTTPResponse+HTTPResponse+httpHeadResponse, 8)
	requireChunkedStream(t, AppendHTTPResponses, stream, want)
}

func TestAppendHTTPResponsesAllocs(t *testing.T) {
	inputs := map[string]string{
		"one":         wrkRequest,
		"pipelined16": strings.Repeat(wrkRequest, 16),
		"body":        "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" + minimalGet,
		"partial":     wrkRequest + wrkRequest[:40],
		"head":        "HEAD / HTTP/1.1\r\n\r\n",
		"error":       minimalGet + "GET /\r\n\r\n",
		"close":       minimalGet + closeGet + minimalGet,
	}
	requireNoAllocs(t, AppendHTTPResponses, 16*len(HTTPResponse), inputs)
}

func FuzzHTTP(f *testing.F) {
	for _, tc := range httpCases {
		if len(tc.in) < 1000 {
			f.Add([]byte(tc.in), uint16(len(tc.in)/2))
		}
	}
	f.Add([]byte(strings.Repeat(wrkRequest, 3)), uint16(100))
	f.Fuzz(func(t *testing.T, in []byte, split uint16) {
		fuzzAppend(t, AppendHTTPResponses, in, int(split))
	})
}

// fuzzAppend checks the invariants shared by both protocols: no panic,
// consumed within [0, len(in)], dst kept as a prefix, and the input split at
// a fuzzed point giving the same result as the input fed whole.
func fuzzAppend(t *testing.T, f appendFunc, in []byte, split int) {
	out, n, err := f(nil, in)
	require.GreaterOrEqual(t, n, 0)
	require.LessOrEqual(t, n, len(in))

	prefixed, n2, err2 := f([]byte("prefix"), in)
	require.Equal(t, "prefix"+string(out), string(prefixed))
	require.Equal(t, n, n2)
	require.Equal(t, err, err2)

	k := split % (len(in) + 1)
	split1, splitN, splitErr := feed(f, in[:k], in[k:])
	require.Equal(t, string(out), string(split1))
	require.Equal(t, n, splitN)
	require.Equal(t, err, splitErr)
}

func BenchmarkHTTPPipelined16(b *testing.B) {
	in := []byte(strings.Repeat(wrkRequest, 16))
	dst := make([]byte, 0, 16*len(HTTPResponse))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	iters := 0
	for b.Loop() {
		var n int
		var err error
		dst, n, err = AppendHTTPResponses(dst[:0], in)
		if n != len(in) || err != nil {
			b.Fatal(n, err)
		}
		iters++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(iters*16), "ns/req")
}

func BenchmarkHTTPSingle(b *testing.B) {
	in := []byte(wrkRequest)
	dst := make([]byte, 0, len(HTTPResponse))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		var n int
		var err error
		dst, n, err = AppendHTTPResponses(dst[:0], in)
		if n != len(in) || err != nil {
			b.Fatal(n, err)
		}
	}
}
