package main

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// RESP2, the protocol of Redis: how requests are framed and replies
// written. A request is either an array of bulk strings (what every client
// library sends: "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"), or an inline command,
// a line of words (what a person types into telnet: "GET k\r\n"). The
// parser follows redis' networking.c (processMultibulkBuffer and
// processInlineBuffer), with two differences: the CRLF after each bulk
// string and header line is checked rather than skipped unseen, and a NUL
// byte in an inline command is an ordinary byte.

// The bounds of a request. Past them the request is a protocol error and
// the connection is closed: they are what keeps a peer from making the
// server hold unbounded memory for a request that never ends.
const (
	// maxInlineBytes bounds an inline command line and the header line of
	// an array or a bulk string, like redis' PROTO_INLINE_MAX_SIZE.
	maxInlineBytes = 64 << 10
	// maxRequestBytes bounds one request, its arguments and their framing
	// together (and so one bulk string). Redis allows 512 MiB per bulk
	// string; a connection holds a request until it has all arrived, so
	// the bound is also what one connection may make the server hold.
	maxRequestBytes = 64 << 20
	// maxArgs bounds the elements of an array.
	maxArgs = 1024 * 1024
)

// protocolError is input that breaks RESP. The server replies
// "-ERR Protocol error: ..." and closes the connection, as redis does.
type protocolError string

func (e protocolError) Error() string { return "Protocol error: " + string(e) }

// The protocol errors, worded as redis words them.
const (
	errInlineTooBig     protocolError = "too big inline request"
	errCountTooBig      protocolError = "too big mbulk count string"
	errMultibulkLength  protocolError = "invalid multibulk length"
	errBulkCountTooBig  protocolError = "too big bulk count string"
	errBulkLength       protocolError = "invalid bulk length"
	errUnbalancedQuotes protocolError = "unbalanced quotes in request"
	errMissingCRLF      protocolError = "expected CRLF after the bulk string"
)

// parser splits a connection's input into requests. Each connection has
// its own. A request that arrives in pieces is parsed as far as its bytes
// go, and the next call resumes there rather than starting over, so that a
// request of a million small arguments costs one pass, not one per read.
type parser struct {
	// An array under way: its element count (0 when none is), the offset
	// of its next element from the start of the request, and where the
	// elements parsed so far lie.
	count int
	pos   int
	spans []span

	args [][]byte // the arguments of the last request, reused
	buf  []byte   // the unquoted arguments of an inline command, reused
}

// span locates an argument: in the request for an array, in parser.buf for
// an inline command.
type span struct{ off, len int }

// next parses the request at the start of in. It returns the request's
// arguments, valid until the next call (they point into in, or into the
// parser), and the bytes the request took. n == 0 means the request has not
// all arrived: call next again with the same bytes at the start of in,
// followed by more. A request with no argument (an empty line, an array of
// no element) takes bytes and gets no reply. err is a protocolError.
func (p *parser) next(in []byte) (args [][]byte, n int, err error) {
	if len(in) == 0 {
		return nil, 0, nil
	}
	if in[0] == '*' {
		args, n, err = p.array(in)
	} else {
		args, n, err = p.inline(in)
	}
	if err != nil {
		p.count = 0 // the connection closes; leave the parser clean all the same
	}
	return args, n, err
}

// array parses an array of bulk strings, resuming where the last call
// stopped if it is under way.
func (p *parser) array(in []byte) ([][]byte, int, error) {
	if p.count == 0 {
		end, err := headerLine(in, errCountTooBig)
		if end < 0 || err != nil {
			return nil, 0, err
		}
		count, ok := parseInt(in[1:end])
		if !ok || count > maxArgs {
			return nil, 0, errMultibulkLength
		}
		if count <= 0 {
			return nil, end + 2, nil // an empty request, as in redis
		}
		p.count, p.pos, p.spans = int(count), end+2, p.spans[:0]
	}
	for len(p.spans) < p.count {
		rest := in[p.pos:]
		if len(rest) == 0 {
			return nil, 0, nil
		}
		end, err := headerLine(rest, errBulkCountTooBig)
		if end < 0 || err != nil {
			return nil, 0, err
		}
		if rest[0] != '$' {
			return nil, 0, protocolError(fmt.Sprintf("expected '$', got '%c'", rest[0]))
		}
		size, ok := parseInt(rest[1:end])
		start := p.pos + end + 2
		if !ok || size < 0 || size > maxRequestBytes || start+int(size)+2 > maxRequestBytes {
			return nil, 0, errBulkLength
		}
		stop := start + int(size)
		if len(in) < stop+2 {
			return nil, 0, nil // the bulk string has not all arrived
		}
		if in[stop] != '\r' || in[stop+1] != '\n' {
			return nil, 0, errMissingCRLF
		}
		p.spans = append(p.spans, span{off: start, len: int(size)})
		p.pos = stop + 2
	}
	p.count = 0
	return p.collect(in), p.pos, nil
}

// collect makes the arguments out of the spans, as sub-slices of b.
func (p *parser) collect(b []byte) [][]byte {
	p.args = p.args[:0]
	for _, s := range p.spans {
		p.args = append(p.args, b[s.off:s.off+s.len:s.off+s.len])
	}
	return p.args
}

// headerLine finds the '\r' that ends the header line at the start of b
// and checks that '\n' follows. It returns -1 if the line has not all
// arrived, and tooBig if no '\r' comes within maxInlineBytes.
func headerLine(b []byte, tooBig protocolError) (int, error) {
	cr := bytes.IndexByte(b[:min(len(b), maxInlineBytes+1)], '\r')
	switch {
	case cr < 0 && len(b) > maxInlineBytes:
		return -1, tooBig
	case cr < 0 || cr+1 == len(b):
		return -1, nil
	case b[cr+1] != '\n':
		return -1, errMissingCRLF
	}
	return cr, nil
}

// inline parses an inline command: a line ending with '\n' (a '\r' before
// it is dropped), split into arguments as redis' sdssplitargs does.
func (p *parser) inline(in []byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(in[:min(len(in), maxInlineBytes+1)], '\n')
	if nl < 0 {
		if len(in) > maxInlineBytes {
			return nil, 0, errInlineTooBig
		}
		return nil, 0, nil
	}
	line := bytes.TrimSuffix(in[:nl], []byte{'\r'})
	if err := p.split(line); err != nil {
		return nil, 0, err
	}
	return p.collect(p.buf), nl + 1, nil
}

// split splits an inline command line into arguments, unquoting them into
// p.buf and recording their spans, like redis' sdssplitargs: runs of
// spaces separate arguments; "double quotes" take the escapes \n \r \t \b
// \a \xHH and \<any byte>; 'single quotes' take \' only; a closing quote
// must be followed by a space or the end of the line.
func (p *parser) split(line []byte) error {
	p.buf, p.spans = p.buf[:0], p.spans[:0]
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return nil
		}
		start := len(p.buf)
		var double, single bool
	arg:
		for ; i < len(line); i++ {
			c := line[i]
			switch {
			case double && c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
				p.buf = append(p.buf, unhex(line[i+2])<<4|unhex(line[i+3]))
				i += 3
			case double && c == '\\' && i+1 < len(line):
				i++
				p.buf = append(p.buf, unescape(line[i]))
			case single && c == '\\' && i+1 < len(line) && line[i+1] == '\'':
				i++
				p.buf = append(p.buf, '\'')
			case double && c == '"', single && c == '\'':
				if i+1 < len(line) && !isSpace(line[i+1]) {
					return errUnbalancedQuotes
				}
				double, single = false, false
				i++
				break arg
			case double || single:
				p.buf = append(p.buf, c)
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
				break arg
			case c == '"':
				double = true
			case c == '\'':
				single = true
			default:
				p.buf = append(p.buf, c)
			}
		}
		if double || single {
			return errUnbalancedQuotes
		}
		p.spans = append(p.spans, span{off: start, len: len(p.buf) - start})
	}
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool { return c == ' ' || '\t' <= c && c <= '\r' }

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// unescape is the byte a backslash escape in double quotes stands for.
func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// parseInt parses a decimal int64 as strictly as redis' string2ll: an
// optional '-', no '+', no leading zeros (but "0" itself), no spaces, no
// overflow. Redis uses it for lengths and for the values of INCR and
// EXPIRE, so "value is not an integer" means the same here as there.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' || v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	switch {
	case neg && v <= 1<<63:
		return int64(-v), true // -(1<<63) wraps to math.MinInt64, as wanted
	case !neg && v <= math.MaxInt64:
		return int64(v), true
	}
	return 0, false
}

// Replies. Each appends one RESP2 reply to dst and returns the extended
// slice, as strconv.AppendInt does, so that the replies to a read's worth
// of requests are built in one buffer and written at once.

func appendSimple(dst []byte, s string) []byte {
	dst = append(dst, '+')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// appendError appends an error reply. msg starts with its code ("ERR ...",
// "NOPROTO ..."); a CR or LF in it becomes a space, as in redis, so that the
// reply stays one line whatever the client sent.
func appendError(dst []byte, msg string) []byte {
	dst = append(dst, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return append(dst, '\r', '\n')
}

func appendInt(dst []byte, n int64) []byte {
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, '\r', '\n')
}

func appendBulk(dst, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

func appendBulkString(dst []byte, s string) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

// appendNull appends RESP2's null bulk string: GET of a missing key.
func appendNull(dst []byte) []byte { return append(dst, "$-1\r\n"...) }

// appendArray appends the header of an array of n elements; the elements
// follow.
func appendArray(dst []byte, n int) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}
