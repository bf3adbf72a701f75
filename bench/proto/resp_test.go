package proto

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	pingMbulk = "*1\r\n$4\r\nPING\r\n"
	echoHello = "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n"
	pong      = "+PONG\r\n"
)

func unknown(name string) string { return "-ERR unknown command '" + name + "'\r\n" }

func arity(name string) string {
	return "-ERR wrong number of arguments for '" + name + "' command\r\n"
}

var respCases = []appendCase{
	// Inline commands.
	{name: "inline PING", in: "PING\r\n", out: pong, consumed: -1},
	{name: "inline PING bare LF", in: "PING\n", out: pong, consumed: -1},
	{name: "inline ping lower case", in: "ping\r\n", out: pong, consumed: -1},
	{name: "inline PiNg mixed case", in: "PiNg\r\n", out: pong, consumed: -1},
	{name: "inline PING message", in: "PING hello\r\n", out: "$5\r\nhello\r\n", consumed: -1},
	{name: "inline ECHO", in: "ECHO hello\r\n", out: "$5\r\nhello\r\n", consumed: -1},
	{name: "inline eChO mixed case", in: "eChO HeLLo\n", out: "$5\r\nHeLLo\r\n", consumed: -1},
	{name: "inline extra blanks", in: " \t PING \t  hello\t \r\n", out: "$5\r\nhello\r\n", consumed: -1},
	{name: "inline leading isspace", in: "\f\vPING\r\n", out: pong, consumed: -1},
	{name: "inline vertical tab inside argument", in: "PING\vx\r\n", out: unknown("PING\vx"), consumed: -1},
	{name: "inline vertical tab between arguments", in: "PING \vx\r\n", out: "$1\r\nx\r\n", consumed: -1},
	{name: "inline CR separates arguments", in: "ECHO a\rb\r\n", out: arity("echo"), consumed: -1},
	{name: "inline CR before CRLF", in: "PING\r\r\n", out: pong, consumed: -1},
	{name: "inline quotes are ordinary bytes", in: "ECHO \"a b\"\r\n", out: arity("echo"), consumed: -1},
	{name: "inline quoted single argument", in: "ECHO \"ab\"\r\n", out: "$4\r\n\"ab\"\r\n", consumed: -1},
	{name: "inline empty line", in: "\r\n", out: "", consumed: -1},
	{name: "inline bare LF line", in: "\n", out: "", consumed: -1},
	{name: "inline blank line", in: " \t \r\n", out: "", consumed: -1},
	{name: "inline empty lines between", in: "\r\n\nPING\r\n\r\nPING\n", out: pong + pong, consumed: -1},
	{name: "inline partial", in: "PIN", out: "", consumed: 0},
	{name: "inline partial CR", in: "PING\r", out: "", consumed: 0},
	{name: "inline unknown", in: "GET foo\r\n", out: unknown("GET"), consumed: -1},
	{name: "inline unknown keeps case", in: "FooBar\r\n", out: unknown("FooBar"), consumed: -1},
	{name: "inline PING arity", in: "PING a b\r\n", out: arity("ping"), consumed: -1},
	{name: "inline ECHO no argument", in: "ECHO\r\n", out: arity("echo"), consumed: -1},
	{name: "inline ECHO two arguments", in: "ECHO a b\r\n", out: arity("echo"), consumed: -1},
	{name: "inline line at limit", in: "ECHO " + strings.Repeat("a", MaxRESPLineBytes-5) + "\n", out: "$65531\r\n" + strings.Repeat("a", MaxRESPLineBytes-5) + "\r\n", consumed: -1},
	{name: "inline unterminated at limit", in: strings.Repeat("a", MaxRESPLineBytes), out: "", consumed: 0},

	// Arrays of bulk strings.
	{name: "mbulk PING", in: pingMbulk, out: pong, consumed: -1},
	{name: "mbulk ping lower case", in: "*1\r\n$4\r\nping\r\n", out: pong, consumed: -1},
	{name: "mbulk PING message", in: "*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n", out: "$2\r\nhi\r\n", consumed: -1},
	{name: "mbulk ECHO", in: echoHello, out: "$5\r\nhello\r\n", consumed: -1},
	{name: "mbulk ECHO empty", in: "*2\r\n$4\r\nEcHo\r\n$0\r\n\r\n", out: "$0\r\n\r\n", consumed: -1},
	{
		name:     "mbulk ECHO binary-safe",
		in:       "*2\r\n$4\r\nECHO\r\n$13\r\na\r\n\x00b\r\n\r\n*1\r\n\r\n",
		out:      "$13\r\na\r\n\x00b\r\n\r\n*1\r\n\r\n",
		consumed: -1,
	},
	{name: "mbulk zero count", in: "*0\r\n" + pingMbulk, out: pong, consumed: -1},
	{name: "mbulk negative count", in: "*-1\r\n*-5\r\n" + pingMbulk, out: pong, consumed: -1},
	{name: "mbulk min int64 count", in: "*-9223372036854775808\r\n", out: "", consumed: -1},
	{name: "mbulk INT_MAX count waits", in: "*2147483647\r\n$4\r\nPING\r\n", out: "", consumed: 0},
	{name: "mbulk bulk at limit waits", in: "*1\r\n$536870912\r\nPING", out: "", consumed: 0},
	{name: "mbulk partial count", in: "*1", out: "", consumed: 0},
	{name: "mbulk partial count CR", in: "*1\r", out: "", consumed: 0},
	{name: "mbulk partial bulk header", in: "*1\r\n$4", out: "", consumed: 0},
	{name: "mbulk partial bulk", in: "*2\r\n$4\r\nECHO\r\n$5\r\nhel", out: "", consumed: 0},
	{name: "mbulk partial bulk CR", in: "*1\r\n$4\r\nPING\r", out: "", consumed: 0},
	{name: "mbulk partial missing element", in: "*2\r\n$4\r\nECHO\r\n", out: "", consumed: 0},
	{name: "mbulk unknown", in: "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", out: unknown("GET"), consumed: -1},
	{name: "mbulk unknown with CRLF in name", in: "*1\r\n$5\r\na\r\nbc\r\n", out: unknown("a  bc"), consumed: -1},
	{name: "mbulk unknown empty name", in: "*1\r\n$0\r\n\r\n", out: unknown(""), consumed: -1},
	{name: "mbulk unknown long name", in: "*1\r\n$200\r\n" + strings.Repeat("x", 200) + "\r\n", out: unknown(strings.Repeat("x", 128)), consumed: -1},
	{name: "mbulk PING arity", in: "*3\r\n$4\r\nping\r\n$1\r\na\r\n$1\r\nb\r\n", out: arity("ping"), consumed: -1},
	{name: "mbulk ECHO arity", in: "*1\r\n$4\r\nECHO\r\n", out: arity("echo"), consumed: -1},

	// Pipelines.
	{name: "pipelined inline", in: strings.Repeat("PING\r\n", 16), out: strings.Repeat(pong, 16), consumed: -1},
	{name: "pipelined mbulk", in: strings.Repeat(pingMbulk, 16), out: strings.Repeat(pong, 16), consumed: -1},
	{
		name:     "pipelined mixed",
		in:       "PING\r\n" + echoHello + "FOO\n" + "*0\r\n" + "ECHO x\r\n" + pingMbulk + "ECHO\r\n" + "PING",
		out:      pong + "$5\r\nhello\r\n" + unknown("FOO") + "$1\r\nx\r\n" + pong + arity("echo"),
		consumed: len("PING\r\n" + echoHello + "FOO\n" + "*0\r\n" + "ECHO x\r\n" + pingMbulk + "ECHO\r\n"),
	},

	// Protocol errors.
	{name: "error after good commands", in: "PING\r\n" + pingMbulk + "*x\r\n" + pingMbulk, out: pong + pong, consumed: len("PING\r\n" + pingMbulk), err: ErrRESPMultibulkLength},
	{name: "inline too long", in: strings.Repeat("a", MaxRESPLineBytes+1), consumed: 0, err: ErrRESPInlineTooBig},
	{name: "inline too long terminated", in: "ECHO " + strings.Repeat("a", MaxRESPLineBytes-4) + "\r\n", consumed: 0, err: ErrRESPInlineTooBig},
	{name: "mbulk count not a number", in: "*x\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk count empty", in: "*\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk count leading zero", in: "*01\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk count plus", in: "*+1\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk count space", in: "* 1\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk count minus zero", in: "*-0\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk count over INT_MAX", in: "*2147483648\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk count overflows int64", in: "*9223372036854775808\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk count below int64", in: "*-9223372036854775809\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk count line too long", in: "*" + strings.Repeat("1", MaxRESPLineBytes), consumed: 0, err: ErrRESPMultibulkTooBig},
	{name: "mbulk count CR without LF", in: "*1\rx", consumed: 0, err: ErrRESPMissingLineEnding},
	{name: "mbulk count bare LF", in: "*1\n$4\r\nPING\r\n", consumed: 0, err: ErrRESPMultibulkLength},
	{name: "mbulk element not bulk", in: "*1\r\n+PING\r\n", consumed: 0, err: ErrRESPExpectedBulk},
	{name: "mbulk element is array", in: "*1\r\n*1\r\n$4\r\nPING\r\n", consumed: 0, err: ErrRESPExpectedBulk},
	{name: "mbulk bulk length negative", in: "*1\r\n$-1\r\n", consumed: 0, err: ErrRESPBulkLength},
	{name: "mbulk bulk length empty", in: "*1\r\n$\r\n", consumed: 0, err: ErrRESPBulkLength},
	{name: "mbulk bulk length not a number", in: "*1\r\n$4x\r\nPING\r\n", consumed: 0, err: ErrRESPBulkLength},
	{name: "mbulk bulk over 512 MiB", in: "*1\r\n$536870913\r\n", consumed: 0, err: ErrRESPBulkLength},
	{name: "mbulk bulk header too long", in: "*1\r\n$" + strings.Repeat("1", MaxRESPLineBytes), consumed: 0, err: ErrRESPBulkCountTooBig},
	{name: "mbulk bulk header CR without LF", in: "*1\r\n$4\rxPING\r\n", consumed: 0, err: ErrRESPMissingLineEnding},
	{name: "mbulk bulk not followed by CRLF", in: "*1\r\n$4\r\nPINGxx", consumed: 0, err: ErrRESPMissingLineEnding},
	{name: "mbulk bulk longer than declared", in: "*1\r\n$3\r\nPING\r\n", consumed: 0, err: ErrRESPMissingLineEnding},
}

func TestAppendRESPReplies(t *testing.T) {
	runAppendCases(t, AppendRESPReplies, respCases)
}

// TestAppendRESPRepliesStream feeds a long pipelined stream in chunks of
// every size from 1 to 64 bytes.
func TestAppendRESPRepliesStream(t *testing.T) {
	binary := "*2\r\n$4\r\necho\r\n$6\r\n\r\n$1\r\n\r\n"
	stream := strings.Repeat("PING\r\n"+pingMbulk+binary+"\n"+"ECHO hi\n"+"*0\r\n"+"NOPE\r\n", 8)
	want := strings.Repeat(pong+pong+"$6\r\n\r\n$1\r\n\r\n"+"$2\r\nhi\r\n"+unknown("NOPE"), 8)
	requireChunkedStream(t, AppendRESPReplies, stream, want)
}

func TestAppendRESPRepliesAllocs(t *testing.T) {
	inputs := map[string]string{
		"ping inline":   "PING\r\n",
		"ping mbulk":    pingMbulk,
		"echo":          echoHello,
		"pipelined16":   strings.Repeat("PING\r\n"+pingMbulk, 8),
		"echo inline":   "ECHO " + strings.Repeat("x", 1000) + "\r\n",
		"unknown arity": "FOO\r\nECHO\r\n",
		"partial":       echoHello[:20],
		"error":         "PING\r\n*1\r\n$x\r\n",
	}
	requireNoAllocs(t, AppendRESPReplies, 2048, inputs)
}

func TestParseRedisInt(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1": 1, "-1": -1, "1234567890": 1234567890,
		"9223372036854775807": 9223372036854775807, "-9223372036854775808": -9223372036854775808,
	} {
		got, ok := parseRedisInt([]byte(in))
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{
		"", "-", "+1", "01", "-01", "-0", "00", " 1", "1 ", "1a", "a",
		"9223372036854775808", "-9223372036854775809", "18446744073709551616",
		"99999999999999999999", "123456789012345678901",
	} {
		_, ok := parseRedisInt([]byte(in))
		require.False(t, ok, in)
	}
}

func FuzzRESP(f *testing.F) {
	for _, tc := range respCases {
		if len(tc.in) < 1000 {
			f.Add([]byte(tc.in), uint16(len(tc.in)/2))
		}
	}
	f.Add([]byte(strings.Repeat("PING\r\n"+echoHello, 3)), uint16(17))
	f.Fuzz(func(t *testing.T, in []byte, split uint16) {
		fuzzAppend(t, AppendRESPReplies, in, int(split))
	})
}

func BenchmarkRESPPingInline(b *testing.B) {
	in := []byte("PING\r\n")
	dst := make([]byte, 0, 64)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		var n int
		var err error
		dst, n, err = AppendRESPReplies(dst[:0], in)
		if n != len(in) || err != nil {
			b.Fatal(n, err)
		}
	}
}

func BenchmarkRESPPingMbulkPipelined16(b *testing.B) {
	in := []byte(strings.Repeat(pingMbulk, 16))
	dst := make([]byte, 0, 16*len(pong))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		var n int
		var err error
		dst, n, err = AppendRESPReplies(dst[:0], in)
		if n != len(in) || err != nil {
			b.Fatal(n, err)
		}
	}
}
