// Package proto holds the protocol logic of two minimal benchmark servers,
// an HTTP "plaintext" server and a RESP (redis) PING/ECHO server, as pure
// functions over byte slices, so that several server implementations can
// share it and differ only in their networking.
//
// # Calling convention
//
// AppendHTTPResponses and AppendRESPReplies are meant for event-loop
// callbacks that get whatever bytes have arrived so far: possibly a partial
// request, possibly several pipelined requests at once. Each call answers
// every complete request at the start of its input, appends the answers to
// dst and reports how many input bytes it consumed (whole requests only).
// The caller keeps the unconsumed rest and passes it again, followed by the
// bytes that arrive next:
//
//	out, n, err := proto.AppendHTTPResponses(out[:0], in)
//	// write out; discard in[:n]; close the connection if err != nil
//
// The functions keep no state between calls: a partial request is parsed
// again from its start once more bytes arrive. Feeding a stream in any split
// gives the same output as feeding it whole, and errors are reported at the
// same request. On error, out and consumed still cover the requests before
// the bad one, so the server may write out before closing the connection.
//
// Neither function allocates: answers are appended to dst, so a caller that
// reuses dst's capacity allocates nothing per request in the steady state.
// Parsed arguments are sub-slices of the input.
//
// # HTTP
//
// Every request gets the same response, HTTPResponse, as in the TechEmpower
// "plaintext" test loaded by wrk (with or without pipelining). The response
// deliberately has no Date header: TechEmpower's rules require one, but it
// would force formatting (or at least caching and copying) a time per
// response, and a constant response keeps the comparison between the
// server implementations here about networking. Numbers measured with it
// are therefore not strictly comparable with published TechEmpower results.
//
// Parsing is deliberately minimal but not sloppy: the header section must end
// with "\r\n\r\n" within MaxHTTPHeaderBytes; the request line must be
// "method SP target SP HTTP/1.x" with a token method; header lines must end
// with CRLF and have a token name directly followed by ':' (so obs-fold
// continuation lines are rejected); names are matched case-insensitively.
// A Content-Length body is skipped (up to MaxHTTPBodyBytes; repeated
// Content-Length fields must agree). Empty lines before a request line are
// ignored, as RFC 9112 recommends. A HEAD request gets the response without
// its content. A request whose Connection field has the "close" option gets
// the response with "Connection: close" (HTTPCloseResponse) and is the last
// one answered: the function returns ErrHTTPConnectionClose, and the server
// writes out and closes the connection, as it does on errors.
//
// Not supported, deliberately:
//   - Transfer-Encoding (chunked request bodies): the request is rejected
//     with ErrHTTPTransferEncoding rather than misparsed.
//   - HTTP/1.0's non-persistent default: an HTTP/1.0 request without
//     "Connection: close" gets a persistent answer (its Content-Length still
//     tells the client where the response ends).
//   - "Expect: 100-continue": no interim response is sent, so such a client
//     waits for its own timeout before sending the body.
//   - Validation of header field values (other than Content-Length) and of
//     the request target beyond "no spaces or control bytes"; the Host field
//     is not required.
//   - Bare LF as a line terminator, which RFC 9112 allows a server to accept.
//
// # RESP
//
// AppendRESPReplies serves PING and ECHO, enough for
// "redis-benchmark -t ping_inline,ping_mbulk" and manual checks. It follows
// redis' networking.c where it matters for these commands:
//
//   - A command starting with '*' is an array of bulk strings
//     (processMultibulkBuffer); anything else is an inline command
//     (processInlineBuffer).
//   - An inline command ends at the first '\n'; a '\r' just before it is
//     dropped. Arguments are separated as by sdssplitargs without quotes:
//     runs of isspace bytes separate them, and an argument ends at ' ', '\t',
//     '\r' or '\n'. An empty or blank line is consumed without a reply.
//     A line longer than MaxRESPLineBytes is a protocol error.
//   - Array and bulk string lengths are parsed as strictly as string2ll (no
//     '+', no leading zeros, no spaces). An array count above INT_MAX is an
//     error; a count of zero or less is an empty command, consumed without a
//     reply. A bulk length must be within [0, MaxRESPBulkBytes] (redis'
//     default proto-max-bulk-len, 512 MiB). An element that does not start
//     with '$' is an error, and so is a header line with no '\r' within
//     MaxRESPLineBytes.
//   - Command names are case-insensitive. An unknown command gets
//     "-ERR unknown command '<name>'\r\n" with the name as given, truncated to
//     128 bytes and with CR and LF replaced by spaces so that the reply stays
//     one line (redis 7 adds ", with args beginning with: ..."; the short
//     form is what this package promises). An arity error names the command
//     in lower case, as redis does: "-ERR wrong number of arguments for
//     'ping' command\r\n".
//
// Deliberate differences from redis:
//   - Quoting in inline commands ("..." and '...' with escapes) is not
//     supported: quotes are ordinary bytes, so `PING "a b"` has two
//     arguments. NUL bytes are ordinary bytes too (redis' C-string handling
//     stops at them).
//   - Redis trusts the byte after each '\r' of a header line and the two
//     bytes after a bulk string to be "\r\n" and skips them unseen; here
//     anything else is a protocol error (ErrRESPMissingLineEnding).
//   - RESP3 (HELLO), and every command other than PING and ECHO, including
//     QUIT, CONFIG, AUTH, SELECT and CLIENT, are not supported: they get the
//     unknown-command error. redis-benchmark starts with "CONFIG GET save"
//     and "CONFIG GET appendonly"; current versions only print a warning
//     when those fail and go on.
//   - Redis closes the connection, without a reply, on the commands POST and
//     "Host:" (a defense against cross-protocol attacks from browsers); here
//     they are just unknown commands.
//   - No authentication limits (redis restricts array and bulk sizes before
//     AUTH when a password is set).
//
// Errors are sentinel values (ErrHTTP..., ErrRESP...) for errors.Is. The
// RESP ones carry redis' "Protocol error: ..." wording, so a server that
// wants to imitate redis can reply "-ERR Protocol error: ..." before closing.
package proto
