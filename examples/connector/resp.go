package main

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Redis's protocol, RESP (version 2), as much as a client needs: commands
// go out as arrays of bulk strings; replies are parsed as they come in,
// possibly cut anywhere by TCP.

// Reply is one RESP reply.
type Reply struct {
	Kind  byte    // '+' simple string, '-' error, ':' integer, '$' bulk string, '*' array
	Str   string  // the text of a simple string, an error or a bulk string
	Int   int64   // the value of an integer
	Array []Reply // the elements of an array
	Null  bool    // a null bulk string or array (a missing key, say)
}

// String returns the reply as redis-cli shows it, roughly.
func (r Reply) String() string {
	switch {
	case r.Null:
		return "(nil)"
	case r.Kind == ':':
		return strconv.FormatInt(r.Int, 10)
	case r.Kind == '*':
		parts := make([]string, len(r.Array))
		for i, e := range r.Array {
			parts[i] = e.String()
		}
		return "[" + strings.Join(parts, " ") + "]"
	case r.Kind == '-':
		return "(error) " + r.Str
	}
	return r.Str
}

// encodeCommand returns args as a RESP command: an array of bulk strings.
func encodeCommand(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// errIncomplete: the bytes so far are the start of a reply, not all of it.
var errIncomplete = errors.New("incomplete reply")

// Limits on what parseReply accepts, so that a broken or hostile backend
// cannot make the client hold or recurse without bound.
const (
	maxBulk  = 64 << 20 // bytes in a bulk string
	maxArray = 1 << 20  // elements in an array
	maxDepth = 16       // arrays within arrays
)

// parseReply parses the reply at the start of b and returns it with its
// length in bytes. It returns errIncomplete if b holds only the start of a
// reply (wait for more bytes, and parse again from the start), or another
// error if b is not RESP.
func parseReply(b []byte) (Reply, int, error) { return parseDepth(b, 0) }

// parseDepth is parseReply for a reply nested depth arrays deep.
func parseDepth(b []byte, depth int) (Reply, int, error) {
	end := bytes.Index(b, []byte("\r\n"))
	if end < 0 {
		return Reply{}, 0, errIncomplete
	}
	if end == 0 {
		return Reply{}, 0, errors.New("resp: empty line")
	}
	kind, line, n := b[0], string(b[1:end]), end+2
	switch kind {
	case '+', '-':
		return Reply{Kind: kind, Str: line}, n, nil
	case ':':
		i, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			return Reply{}, 0, fmt.Errorf("resp: integer %q", line)
		}
		return Reply{Kind: kind, Int: i}, n, nil
	case '$':
		size, err := length(line, maxBulk)
		if err != nil {
			return Reply{}, 0, err
		}
		if size < 0 {
			return Reply{Kind: kind, Null: true}, n, nil
		}
		if len(b) < n+size+2 {
			return Reply{}, 0, errIncomplete
		}
		if string(b[n+size:n+size+2]) != "\r\n" {
			return Reply{}, 0, errors.New("resp: bulk string without its CRLF")
		}
		return Reply{Kind: kind, Str: string(b[n : n+size])}, n + size + 2, nil
	case '*':
		count, err := length(line, maxArray)
		if err != nil {
			return Reply{}, 0, err
		}
		if count < 0 {
			return Reply{Kind: kind, Null: true}, n, nil
		}
		if depth == maxDepth {
			return Reply{}, 0, fmt.Errorf("resp: arrays nested more than %d deep", maxDepth)
		}
		r := Reply{Kind: kind, Array: make([]Reply, 0, min(count, 64))}
		for range count {
			e, m, err := parseDepth(b[n:], depth+1)
			if err != nil {
				return Reply{}, 0, err
			}
			r.Array = append(r.Array, e)
			n += m
		}
		return r, n, nil
	}
	return Reply{}, 0, fmt.Errorf("resp: unknown reply type %q", kind)
}

// length parses the length of a bulk string or an array: -1 (null) up to
// limit.
func length(s string, limit int) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < -1 || n > limit {
		return 0, fmt.Errorf("resp: length %q", s)
	}
	return n, nil
}
