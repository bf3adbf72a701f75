package proto

import (
	"bytes"
	"errors"
	"math"
	"strconv"
)

const (
	// MaxRESPLineBytes bounds an inline command line and the header line of
	// an array or bulk string, like redis' PROTO_INLINE_MAX_SIZE.
	MaxRESPLineBytes = 64 << 10
	// MaxRESPBulkBytes bounds a bulk string, like redis' default
	// proto-max-bulk-len.
	MaxRESPBulkBytes = 512 << 20
	// maxRESPArgs bounds the element count of an array, like redis (INT_MAX).
	maxRESPArgs = math.MaxInt32
	// maxRESPNameInError bounds the command name echoed in an unknown-command
	// error, like redis' "%.128s".
	maxRESPNameInError = 128
)

// Errors returned by AppendRESPReplies. Each means the input breaks the
// protocol and the connection should be closed. The messages follow redis'
// "Protocol error: ..." replies.
var (
	ErrRESPInlineTooBig      = errors.New("proto: RESP protocol error: too big inline request")
	ErrRESPMultibulkTooBig   = errors.New("proto: RESP protocol error: too big mbulk count string")
	ErrRESPMultibulkLength   = errors.New("proto: RESP protocol error: invalid multibulk length")
	ErrRESPBulkCountTooBig   = errors.New("proto: RESP protocol error: too big bulk count string")
	ErrRESPExpectedBulk      = errors.New("proto: RESP protocol error: expected '$'")
	ErrRESPBulkLength        = errors.New("proto: RESP protocol error: invalid bulk length")
	ErrRESPMissingLineEnding = errors.New("proto: RESP protocol error: expected CRLF")
)

// respCommand is a parsed command: its argument count and its first two
// arguments (all that PING and ECHO need), as sub-slices of the input.
type respCommand struct {
	argc       int
	name, arg1 []byte
}

// AppendRESPReplies answers every complete command at the start of in:
// inline commands ("PING\r\n", "PING hello\r\n", also terminated by a bare
// "\n") and RESP arrays of bulk strings ("*1\r\n$4\r\nPING\r\n",
// "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n"). PING -> "+PONG\r\n"; PING <msg> ->
// bulk string <msg>; ECHO <msg> -> bulk string <msg>; commands are
// case-insensitive; an unknown command -> "-ERR unknown command '<name>'\r\n"
// (the connection stays open); wrong argument count -> "-ERR wrong number of
// arguments for '<name>' command\r\n". It returns dst, the bytes consumed
// (whole commands only), and an error for input that breaks the protocol (bad
// array/bulk header, bulk string over 512 MiB, line over 64 KiB without
// terminator) — the server then closes the connection.
//
// Empty inline lines and arrays with a count of zero or less are consumed
// without a reply, as in redis. On error, out and consumed still cover the
// commands before the bad one, so a server may write out (and, like redis,
// an error reply) before it closes the connection.
func AppendRESPReplies(dst, in []byte) (out []byte, consumed int, err error) {
	pos := 0
	for pos < len(in) {
		var (
			cmd respCommand
			n   int
			err error
		)
		if in[pos] == '*' {
			n, cmd, err = parseMultibulk(in[pos:])
		} else {
			n, cmd, err = parseInline(in[pos:])
		}
		if err != nil {
			return dst, pos, err
		}
		if n == 0 {
			break // incomplete command
		}
		pos += n
		if cmd.argc > 0 {
			dst = appendRESPReply(dst, &cmd)
		}
	}
	return dst, pos, nil
}

func appendRESPReply(dst []byte, cmd *respCommand) []byte {
	switch {
	case equalFoldASCII(cmd.name, "ping"):
		switch cmd.argc {
		case 1:
			return append(dst, "+PONG\r\n"...)
		case 2:
			return appendBulk(dst, cmd.arg1)
		}
		return appendArityError(dst, "ping")
	case equalFoldASCII(cmd.name, "echo"):
		if cmd.argc != 2 {
			return appendArityError(dst, "echo")
		}
		return appendBulk(dst, cmd.arg1)
	}
	dst = append(dst, "-ERR unknown command '"...)
	name := cmd.name
	if len(name) > maxRESPNameInError {
		name = name[:maxRESPNameInError]
	}
	for _, c := range name {
		if c == '\r' || c == '\n' { // keep the reply one line, like redis
			c = ' '
		}
		dst = append(dst, c)
	}
	return append(dst, "'\r\n"...)
}

func appendBulk(dst, b []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(b)), 10)
	dst = append(dst, '\r', '\n')
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// appendArityError uses the lower-case command name, like redis.
func appendArityError(dst []byte, name string) []byte {
	dst = append(dst, "-ERR wrong number of arguments for '"...)
	dst = append(dst, name...)
	return append(dst, "' command\r\n"...)
}

// parseInline parses one inline command at the start of b, following redis'
// processInlineBuffer and sdssplitargs without quoting: the line ends at the
// first '\n' (a '\r' before it is dropped); arguments are separated by runs
// of isspace bytes and end at ' ', '\t', '\r' or '\n'. It returns n == 0 if
// the line is incomplete.
func parseInline(b []byte) (n int, cmd respCommand, err error) {
	nl := indexByteWithin(b, '\n', MaxRESPLineBytes+1)
	if nl < 0 {
		if len(b) > MaxRESPLineBytes {
			return 0, cmd, ErrRESPInlineTooBig
		}
		return 0, cmd, nil
	}
	line := b[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			break
		}
		start := i
		for i < len(line) && !endsInlineArg(line[i]) {
			i++
		}
		switch cmd.argc {
		case 0:
			cmd.name = line[start:i]
		case 1:
			cmd.arg1 = line[start:i]
		}
		cmd.argc++
	}
	return nl + 1, cmd, nil
}

// isSpace is C's isspace in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r')
}

func endsInlineArg(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// parseMultibulk parses one array of bulk strings at the start of b, which
// begins with '*', following redis' processMultibulkBuffer. Unlike redis, it
// checks that the byte after each '\r' it relies on is '\n' and that every
// bulk string is followed by "\r\n", instead of skipping two bytes unseen. It
// returns n == 0 if the command is incomplete.
func parseMultibulk(b []byte) (n int, cmd respCommand, err error) {
	end, err := respLine(b, ErrRESPMultibulkTooBig)
	if end < 0 || err != nil {
		return 0, cmd, err
	}
	count, ok := parseRedisInt(b[1:end])
	if !ok || count > maxRESPArgs {
		return 0, cmd, ErrRESPMultibulkLength
	}
	pos := end + 2
	if count <= 0 {
		return pos, cmd, nil // an empty command, consumed without a reply
	}
	for i := int64(0); i < count; i++ {
		if pos == len(b) {
			return 0, cmd, nil
		}
		end, err := respLine(b[pos:], ErrRESPBulkCountTooBig)
		if end < 0 || err != nil {
			return 0, cmd, err
		}
		if b[pos] != '$' {
			return 0, cmd, ErrRESPExpectedBulk
		}
		size, ok := parseRedisInt(b[pos+1 : pos+end])
		if !ok || size < 0 || size > MaxRESPBulkBytes {
			return 0, cmd, ErrRESPBulkLength
		}
		pos += end + 2
		if int64(len(b)-pos) < size+2 {
			return 0, cmd, nil
		}
		arg := b[pos : pos+int(size)]
		pos += int(size)
		if b[pos] != '\r' || b[pos+1] != '\n' {
			return 0, cmd, ErrRESPMissingLineEnding
		}
		pos += 2
		switch i {
		case 0:
			cmd.name = arg
		case 1:
			cmd.arg1 = arg
		}
	}
	cmd.argc = int(count)
	return pos, cmd, nil
}

// respLine finds the '\r' that ends the header line at the start of b, like
// redis (which looks for '\r' only), and checks that '\n' follows it. It
// returns -1 if the line is incomplete, and tooBig if no '\r' comes within
// MaxRESPLineBytes.
func respLine(b []byte, tooBig error) (int, error) {
	cr := indexByteWithin(b, '\r', MaxRESPLineBytes+1)
	if cr < 0 {
		if len(b) > MaxRESPLineBytes {
			return -1, tooBig
		}
		return -1, nil
	}
	if cr+1 == len(b) {
		return -1, nil
	}
	if b[cr+1] != '\n' {
		return -1, ErrRESPMissingLineEnding
	}
	return cr, nil
}

// indexByteWithin is bytes.IndexByte over at most the first limit bytes of b.
func indexByteWithin(b []byte, c byte, limit int) int {
	if len(b) > limit {
		b = b[:limit]
	}
	return bytes.IndexByte(b, c)
}

// parseRedisInt parses a decimal int64 as strictly as redis' string2ll: an
// optional '-', no '+', no leading zeros (but "0"), no spaces, at most 20
// bytes, no overflow.
func parseRedisInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true // -(1<<63) wraps to math.MinInt64, as wanted
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
