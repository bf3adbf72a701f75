package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseReply(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     Reply
	}{
		{name: "simple string", in: "+PONG\r\n", want: Reply{Kind: '+', Str: "PONG"}},
		{name: "error", in: "-ERR no\r\n", want: Reply{Kind: '-', Str: "ERR no"}},
		{name: "integer", in: ":-42\r\n", want: Reply{Kind: ':', Int: -42}},
		{name: "bulk string", in: "$5\r\nhe\r\no\r\n", want: Reply{Kind: '$', Str: "he\r\no"}},
		{name: "empty bulk string", in: "$0\r\n\r\n", want: Reply{Kind: '$'}},
		{name: "null bulk string", in: "$-1\r\n", want: Reply{Kind: '$', Null: true}},
		{name: "null array", in: "*-1\r\n", want: Reply{Kind: '*', Null: true}},
		{name: "array", in: "*2\r\n:1\r\n*1\r\n$1\r\nx\r\n", want: Reply{Kind: '*', Array: []Reply{
			{Kind: ':', Int: 1}, {Kind: '*', Array: []Reply{{Kind: '$', Str: "x"}}},
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n, err := parseReply([]byte(tc.in + "+next\r\n"))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Equal(t, len(tc.in), n)
			for cut := range len(tc.in) { // TCP may cut a reply anywhere
				_, _, err := parseReply([]byte(tc.in[:cut]))
				require.ErrorIs(t, err, errIncomplete, "cut after %d bytes", cut)
			}
		})
	}
}

func TestParseReplyRejects(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{name: "unknown type", in: "?x\r\n"},
		{name: "empty line", in: "\r\n"},
		{name: "bad integer", in: ":x\r\n"},
		{name: "bad length", in: "$-2\r\n"},
		{name: "bulk string too long", in: "$999999999999\r\n"},
		{name: "bulk string without CRLF", in: "$1\r\nxyz"},
		{name: "too deep", in: "*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parseReply([]byte(tc.in))
			require.Error(t, err)
			require.NotErrorIs(t, err, errIncomplete)
		})
	}
}

func TestEncodeCommand(t *testing.T) {
	cmd := encodeCommand("SET", "k", "")
	require.Equal(t, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", string(cmd))
	got, n, err := parseReply(cmd) // a command is an array of bulk strings
	require.NoError(t, err)
	require.Equal(t, len(cmd), n)
	require.Len(t, got.Array, 3)
}

// FuzzParseReply: whatever the backend sends, parsing neither panics nor
// claims more bytes than there are.
func FuzzParseReply(f *testing.F) {
	for _, seed := range []string{"+OK\r\n", ":1\r\n", "$3\r\nabc\r\n", "*2\r\n$1\r\na\r\n:2\r\n", "$-1\r\n", "-ERR x\r\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, n, err := parseReply(b)
		if err == nil && (n <= 0 || n > len(b)) {
			t.Fatalf("parsed %d bytes of %d", n, len(b))
		}
	})
}
