package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// recorder is the socket of the tests that feed a conn directly: it keeps
// what the conn writes.
type recorder struct {
	bytes.Buffer
	congested bool
}

func (r *recorder) Congested() bool { return r.congested }

// newConn returns a connection with a store of its own. The store has no
// Loop: its keys expire when read, not on timers (store_test.go and the
// tests with redis-cli check the timers).
func newConn() *conn { return &conn{store: newStore(nil), id: 1} }

// feedChunks feeds the chunks to c in turn, as reads of a socket, and
// returns what c wrote. Each chunk is overwritten once fed, as the
// transport reuses its read buffer: c must have copied what it keeps.
func feedChunks(c *conn, chunks ...string) string {
	var w recorder
	for _, chunk := range chunks {
		buf := []byte(chunk)
		c.feed(&w, buf)
		for i := range buf {
			buf[i] = '#'
		}
	}
	return w.String()
}

func arityErr(name string) string {
	return "-ERR wrong number of arguments for '" + name + "' command\r\n"
}

func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

const (
	pong    = "+PONG\r\n"
	ok      = "+OK\r\n"
	null    = "$-1\r\n"
	notInt  = "-ERR value is not an integer or out of range\r\n"
	pingArr = "*1\r\n$4\r\nPING\r\n"
)

func TestRequests(t *testing.T) {
	cases := []struct {
		name string
		in   string
		out  string
		stop bool // the connection closes after out
	}{
		// Inline commands.
		{name: "inline PING", in: "PING\r\n", out: pong},
		{name: "inline bare LF", in: "ping\n", out: pong},
		{name: "inline message", in: "PING hello\r\n", out: bulk("hello")},
		{name: "inline blanks", in: " \t ECHO \t  hi \r\n", out: bulk("hi")},
		{name: "inline empty lines", in: "\r\n\n  \r\nPING\r\n", out: pong},
		{name: "inline double quotes", in: `ECHO "a b"` + "\r\n", out: bulk("a b")},
		{name: "inline escapes", in: `ECHO "\x41\n\t\"\\z"` + "\r\n", out: bulk("A\n\t\"\\z")},
		{name: "inline single quotes", in: `ECHO 'it\'s \n'` + "\r\n", out: bulk(`it's \n`)},
		{name: "inline quote inside word", in: `ECHO a"b c"` + "\r\n", out: bulk("ab c")},
		{name: "inline empty quotes", in: `ECHO ""` + "\r\n", out: bulk("")},
		{name: "inline unbalanced", in: "PING\r\nECHO \"a\r\nPING\r\n", out: pong + "-ERR Protocol error: unbalanced quotes in request\r\n", stop: true},
		{name: "inline text after quote", in: `ECHO "a"b` + "\r\n", out: "-ERR Protocol error: unbalanced quotes in request\r\n", stop: true},
		{name: "inline too big", in: strings.Repeat("a", maxInlineBytes+1), out: "-ERR Protocol error: too big inline request\r\n", stop: true},
		{name: "inline at the limit", in: "ECHO " + strings.Repeat("a", maxInlineBytes-5) + "\n", out: bulk(strings.Repeat("a", maxInlineBytes-5))},

		// Arrays of bulk strings.
		{name: "array PING", in: pingArr, out: pong},
		{name: "array binary-safe", in: "*2\r\n$4\r\nECHO\r\n$6\r\na\r\n\x00\"b\r\n", out: bulk("a\r\n\x00\"b")},
		{name: "array empty and negative", in: "*0\r\n*-1\r\n" + pingArr, out: pong},
		{name: "array partial", in: "*2\r\n$4\r\nECHO\r\n$5\r\nhel", out: ""},
		{name: "array count not a number", in: "*x\r\n", out: "-ERR Protocol error: invalid multibulk length\r\n", stop: true},
		{name: "array count leading zero", in: "*01\r\n", out: "-ERR Protocol error: invalid multibulk length\r\n", stop: true},
		{name: "array too many", in: "*1048577\r\n", out: "-ERR Protocol error: invalid multibulk length\r\n", stop: true},
		{name: "array most allowed", in: "*1048576\r\n$4\r\nPING\r\n", out: ""},
		{name: "array element not bulk", in: "*1\r\n+PING\r\n", out: "-ERR Protocol error: expected '$', got '+'\r\n", stop: true},
		{name: "array bulk negative", in: "*1\r\n$-1\r\n", out: "-ERR Protocol error: invalid bulk length\r\n", stop: true},
		{name: "array bulk too big", in: "*1\r\n$67108865\r\n", out: "-ERR Protocol error: invalid bulk length\r\n", stop: true},
		{name: "array request too big", in: "*2\r\n$1\r\nx\r\n$67108855\r\n", out: "-ERR Protocol error: invalid bulk length\r\n", stop: true},
		{name: "array bulk without CRLF", in: "*1\r\n$4\r\nPINGxx", out: "-ERR Protocol error: expected CRLF after the bulk string\r\n", stop: true},
		{name: "array header CR without LF", in: "*1\rx", out: "-ERR Protocol error: expected CRLF after the bulk string\r\n", stop: true},
		{name: "array header too big", in: "*" + strings.Repeat("1", maxInlineBytes+1), out: "-ERR Protocol error: too big mbulk count string\r\n", stop: true},
		{name: "bulk header too big", in: "*1\r\n$" + strings.Repeat("1", maxInlineBytes+1), out: "-ERR Protocol error: too big bulk count string\r\n", stop: true},

		// Commands.
		{name: "PING arity", in: "PING a b\r\n", out: arityErr("ping")},
		{name: "ECHO arity", in: "ECHO\r\n", out: arityErr("echo")},
		{name: "SET GET", in: "SET k v\r\nGET k\r\nget K\r\n", out: ok + bulk("v") + null},
		{name: "SET empty value", in: "SET k \"\"\r\nGET k\r\n", out: ok + bulk("")},
		{name: "SET arity", in: "SET k\r\n", out: arityErr("set")},
		{name: "SET bad option", in: "SET k v NX\r\nSET k v EX\r\nSET k v EX 1 PX 1\r\n", out: strings.Repeat("-ERR syntax error\r\n", 3)},
		{name: "SET bad expiry", in: "SET k v EX x\r\nSET k v EX 0\r\nSET k v PX -1\r\nSET k v EX 9223372036854775\r\nGET k\r\n", out: notInt + strings.Repeat("-ERR invalid expire time in 'set' command\r\n", 3) + null},
		{name: "DEL", in: "SET a 1\r\nSET b 2\r\nDEL a b c a\r\nGET a\r\nDEL\r\n", out: ok + ok + ":2\r\n" + null + arityErr("del")},
		{name: "INCR", in: "INCR n\r\nINCR n\r\nSET n 41\r\nINCR n\r\nGET n\r\n", out: ":1\r\n:2\r\n" + ok + ":42\r\n" + bulk("42")},
		{name: "INCR negative", in: "SET n -5\r\nINCR n\r\n", out: ok + ":-4\r\n"},
		{name: "INCR not an integer", in: "SET s abc\r\nINCR s\r\nSET s 01\r\nINCR s\r\nSET s \" 1\"\r\nINCR s\r\n", out: ok + notInt + ok + notInt + ok + notInt},
		{name: "INCR overflow", in: "SET n 9223372036854775807\r\nINCR n\r\n", out: ok + "-ERR increment or decrement would overflow\r\n"},
		{name: "EXPIRE and TTL", in: "SET k v\r\nTTL k\r\nTTL nope\r\nEXPIRE nope 10\r\nEXPIRE k 100\r\nTTL k\r\n", out: ok + ":-1\r\n:-2\r\n:0\r\n:1\r\n:100\r\n"},
		{name: "EXPIRE in the past", in: "SET k v\r\nEXPIRE k -1\r\nGET k\r\nDBSIZE\r\n", out: ok + ":1\r\n" + null + ":0\r\n"},
		{name: "EXPIRE errors", in: "EXPIRE k x\r\nEXPIRE k 9223372036854776\r\nEXPIRE k 1 NX\r\nEXPIRE k\r\n", out: notInt + "-ERR invalid expire time in 'expire' command\r\n-ERR Unsupported option NX\r\n" + arityErr("expire")},
		{name: "SET clears the expiry", in: "SET k v EX 100\r\nSET k w\r\nTTL k\r\n", out: ok + ok + ":-1\r\n"},
		{name: "SET PX", in: "SET k v PX 100000\r\nTTL k\r\n", out: ok + ":100\r\n"},
		{name: "INCR keeps the expiry", in: "SET n 1 EX 100\r\nINCR n\r\nTTL n\r\n", out: ok + ":2\r\n:100\r\n"},
		{name: "DBSIZE", in: "SET a 1\r\nSET b 1\r\nDBSIZE\r\n", out: ok + ok + ":2\r\n"},
		{name: "SELECT", in: "SELECT 0\r\nSELECT 1\r\nSELECT x\r\n", out: ok + "-ERR DB index is out of range\r\n" + notInt},
		{name: "unknown", in: "FOO\r\n", out: "-ERR unknown command 'FOO', with args beginning with: \r\n"},
		{name: "unknown with args", in: "foo a \"b c\"\r\n", out: "-ERR unknown command 'foo', with args beginning with: 'a' 'b c' \r\n"},
		{
			name: "unknown long",
			in:   "*3\r\n$200\r\n" + strings.Repeat("n", 200) + "\r\n$120\r\n" + strings.Repeat("a", 120) + "\r\n$20\r\n" + strings.Repeat("b", 20) + "\r\n",
			out:  "-ERR unknown command '" + strings.Repeat("n", 128) + "', with args beginning with: '" + strings.Repeat("a", 120) + "' '" + strings.Repeat("b", 5) + "' \r\n",
		},
		{name: "unknown with CRLF", in: "*2\r\n$4\r\na\r\nb\r\n$2\r\n\r\n\r\n", out: "-ERR unknown command 'a  b', with args beginning with: '  ' \r\n"},
		{name: "QUIT", in: "PING\r\nQUIT\r\nPING\r\n", out: pong + ok, stop: true},
		{name: "CONFIG GET", in: "CONFIG GET save\r\nCONFIG GET appendonly\r\nCONFIG GET nope\r\nCONFIG SET save x\r\n", out: "*2\r\n" + bulk("save") + bulk("") + "*2\r\n" + bulk("appendonly") + bulk("no") + "*0\r\n" + "-ERR unknown subcommand 'SET'. Try CONFIG HELP.\r\n"},
		{name: "COMMAND", in: "COMMAND\r\nCOMMAND DOCS\r\nCOMMAND COUNT\r\n", out: "*0\r\n*0\r\n:16\r\n"},
		{name: "CLIENT", in: "CLIENT ID\r\nCLIENT GETNAME\r\nCLIENT SETNAME app\r\nCLIENT GETNAME\r\nCLIENT SETNAME \"a b\"\r\nCLIENT KILL\r\n", out: ":1\r\n" + null + ok + bulk("app") + "-ERR Client names cannot contain spaces, newlines or special characters.\r\n-ERR unknown subcommand 'KILL'. Try CLIENT HELP.\r\n"},
		{
			name: "HELLO",
			in:   "HELLO 3\r\nHELLO x\r\nHELLO 2 SETNAME app\r\n",
			out: "-NOPROTO unsupported protocol version\r\n-ERR Protocol version is not an integer or out of range\r\n" +
				"*14\r\n" + bulk("server") + bulk("asyncnet-resp") + bulk("version") + bulk("7.0.0") + bulk("proto") + ":2\r\n" +
				bulk("id") + ":1\r\n" + bulk("mode") + bulk("standalone") + bulk("role") + bulk("master") + bulk("modules") + "*0\r\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newConn()
			require.Equal(t, tc.out, feedChunks(c, tc.in))
			require.Equal(t, tc.stop, c.stop)
		})
	}
}

// pipeline is a mix of requests of every form, and replies is what they
// get, in order.
var (
	pipeline = "PING\r\n" +
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\nhel\r\nlo\r\n" +
		"GET k\r\n" +
		"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n" +
		"incr n\n" +
		"\r\n" +
		"*0\r\n" +
		`ECHO "a b" 'c'` + "\r\n" +
		"*4\r\n$3\r\nDEL\r\n$1\r\nk\r\n$1\r\nn\r\n$1\r\nx\r\n" +
		"NOPE x\r\n" +
		"*2\r\n$4\r\nPING\r\n$0\r\n\r\n" +
		"GET k\r\n"
	replies = pong + ok + bulk("hel\r\nlo") + ":1\r\n" + ":2\r\n" +
		arityErr("echo") + ":2\r\n" +
		"-ERR unknown command 'NOPE', with args beginning with: 'x' \r\n" +
		bulk("") + null
)

// TestPipelineSplitEverywhere feeds the pipeline in two and in three
// pieces, cut at every pair of byte boundaries, and a byte at a time: the
// replies are always the same bytes.
func TestPipelineSplitEverywhere(t *testing.T) {
	for i := 0; i <= len(pipeline); i++ {
		for j := i; j <= len(pipeline); j++ {
			got := feedChunks(newConn(), pipeline[:i], pipeline[i:j], pipeline[j:])
			if got != replies {
				require.Equal(t, replies, got, "split at %d and %d", i, j)
			}
		}
	}
	var bytewise []string
	for i := range len(pipeline) {
		bytewise = append(bytewise, pipeline[i:i+1])
	}
	require.Equal(t, replies, feedChunks(newConn(), bytewise...))
}

// TestPipelinePausesWhenCongested: a conn stops serving at the first flush
// that finds its socket congested and keeps the rest; once the socket has
// drained, what was kept is served.
func TestPipelinePausesWhenCongested(t *testing.T) {
	big := strings.Repeat("v", flushBytes)
	c := newConn()
	w := recorder{congested: true}
	c.feed(&w, []byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n"+bulk(big)+strings.Repeat("GET k\r\n", 10)))
	require.True(t, w.String() == ok+bulk(big), "one flush, then the pause: got %d bytes", w.Len())
	require.Equal(t, strings.Repeat("GET k\r\n", 9), string(c.pending))

	w.Reset()
	w.congested = false
	c.feed(&w, nil)
	require.Equal(t, strings.Repeat(bulk(big), 9), w.String())
	require.Empty(t, c.pending)
}

// TestLargeRequestInPieces: a request of many arguments, arriving in
// pieces of a read's size, is parsed once, not again from its start at
// every read (which would take minutes for a million arguments).
func TestLargeRequestInPieces(t *testing.T) {
	const n = maxArgs - 1 // the keys; DEL is the last argument
	var req strings.Builder
	req.WriteString("*" + strconv.Itoa(n+1) + "\r\n$3\r\nDEL\r\n")
	for range n {
		req.WriteString("$1\r\nk\r\n")
	}
	var chunks []string
	for s := req.String(); len(s) > 0; s = s[min(len(s), 64<<10):] {
		chunks = append(chunks, s[:min(len(s), 64<<10)])
	}
	require.Equal(t, ":0\r\n", feedChunks(newConn(), chunks...))
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1": 1, "-1": -1, "1234567890": 1234567890,
		"9223372036854775807": 9223372036854775807, "-9223372036854775808": -9223372036854775808,
	} {
		got, ok := parseInt([]byte(in))
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-", "+1", "01", "-0", " 1", "1 ", "1a", "9223372036854775808", "-9223372036854775809", "99999999999999999999"} {
		_, ok := parseInt([]byte(in))
		require.False(t, ok, in)
	}
}

// FuzzPipeline: any input, fed in two pieces cut anywhere, gets the same
// replies as fed whole, and the connection stops at the same point.
func FuzzPipeline(f *testing.F) {
	f.Add([]byte(pipeline), uint16(17))
	f.Add([]byte("ECHO \"a\\x4"), uint16(3))
	f.Add([]byte("*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nQUIT\r\nPING\r\n"), uint16(9))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		i := int(cut) % (len(in) + 1)
		whole, split := newConn(), newConn()
		want := feedChunks(whole, string(in))
		require.Equal(t, want, feedChunks(split, string(in[:i]), string(in[i:])))
		require.Equal(t, whole.stop, split.stop)
	})
}
