package main

import (
	"math"
	"strings"
)

// The commands: what the server does with a request, and the reply it
// builds. Replies and errors are worded as redis 7 words them, so that
// clients (and people) see what they would see from redis.

// nameLen bounds the length of a known command or subcommand name.
const nameLen = len(conn{}.lower)

// commandCount is COMMAND COUNT's reply: the commands execute knows.
const commandCount = 16

// execute runs one command and appends its reply to c.out.
func (c *conn) execute(args [][]byte) {
	switch c.lowerName(args[0]) {
	case "ping":
		switch len(args) {
		case 1:
			c.out = appendSimple(c.out, "PONG")
		case 2:
			c.out = appendBulk(c.out, args[1])
		default:
			c.wrongArity("ping")
		}
	case "echo":
		if c.arity(args, 2, "echo") {
			c.out = appendBulk(c.out, args[1])
		}
	case "set":
		c.set(args)
	case "get":
		if c.arity(args, 2, "get") {
			if v, ok := c.store.get(args[1]); ok {
				c.out = appendBulk(c.out, v)
			} else {
				c.out = appendNull(c.out)
			}
		}
	case "del":
		if c.arity(args, -2, "del") {
			c.out = appendInt(c.out, c.store.del(args[1:]))
		}
	case "incr":
		if c.arity(args, 2, "incr") {
			if n, err := c.store.incr(args[1]); err != nil {
				c.out = appendError(c.out, err.Error())
			} else {
				c.out = appendInt(c.out, n)
			}
		}
	case "expire":
		c.expire(args)
	case "ttl":
		if c.arity(args, 2, "ttl") {
			ms := c.store.ttl(args[1])
			if ms >= 0 {
				ms = (ms + 500) / 1000 // rounded, as redis does
			}
			c.out = appendInt(c.out, ms)
		}
	case "dbsize":
		if c.arity(args, 1, "dbsize") {
			c.out = appendInt(c.out, c.store.size())
		}
	case "select": // one database, 0; redis-benchmark --dbnum selects it
		if c.arity(args, 2, "select") {
			switch n, ok := parseInt(args[1]); {
			case !ok:
				c.out = appendError(c.out, errNotInteger.Error())
			case n != 0:
				c.out = appendError(c.out, "ERR DB index is out of range")
			default:
				c.out = appendSimple(c.out, "OK")
			}
		}
	case "quit":
		c.out = appendSimple(c.out, "OK")
		c.stop = true // the connection closes once the replies are out
	case "command":
		c.command(args)
	case "client":
		c.client(args)
	case "hello":
		c.hello(args)
	case "config":
		c.config(args)
	case "info":
		c.info(args)
	default:
		c.unknown(args)
	}
}

// lowerName returns name in lower case, or "" if it is too long to be the
// name of a command; it uses c.lower, so that no request allocates for it.
func (c *conn) lowerName(name []byte) string {
	if len(name) > nameLen {
		return ""
	}
	b := c.lower[:len(name)]
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b[i] = ch
	}
	return string(b)
}

// arity checks the argument count (the name included) as redis does: n
// means exactly n, -n at least n. It replies with the error and returns
// false if the count is wrong.
func (c *conn) arity(args [][]byte, n int, name string) bool {
	if n >= 0 && len(args) == n || n < 0 && len(args) >= -n {
		return true
	}
	c.wrongArity(name)
	return false
}

func (c *conn) wrongArity(name string) {
	c.out = appendError(c.out, "ERR wrong number of arguments for '"+name+"' command")
}

// set is SET key value [EX seconds | PX milliseconds]. Redis has more
// options (NX, XX, GET, KEEPTTL, EXAT, PXAT); they are syntax errors here.
func (c *conn) set(args [][]byte) {
	if !c.arity(args, -3, "set") {
		return
	}
	// The options first, as redis checks them: ttl is the argument of EX
	// or PX, unit the milliseconds per unit of it.
	var ttl []byte
	var unit int64
	for i := 3; i < len(args); i += 2 {
		switch opt := c.lowerName(args[i]); {
		case ttl == nil && i+1 < len(args) && opt == "ex":
			unit = 1000
		case ttl == nil && i+1 < len(args) && opt == "px":
			unit = 1
		default:
			c.out = appendError(c.out, "ERR syntax error")
			return
		}
		ttl = args[i+1]
	}
	var expireAt int64
	if ttl != nil {
		n, ok := parseInt(ttl)
		if !ok {
			c.out = appendError(c.out, errNotInteger.Error())
			return
		}
		now := nowMillis()
		if n <= 0 || n > math.MaxInt64/unit || n*unit > math.MaxInt64-now {
			c.out = appendError(c.out, "ERR invalid expire time in 'set' command")
			return
		}
		expireAt = now + n*unit
	}
	c.store.set(args[1], args[2], expireAt)
	c.out = appendSimple(c.out, "OK")
}

// expire is EXPIRE key seconds: 1 if the key exists (a time in the past
// deletes it), 0 if not. Redis 7's options (NX, XX, GT, LT) are not
// supported.
func (c *conn) expire(args [][]byte) {
	if !c.arity(args, -3, "expire") {
		return
	}
	if len(args) > 3 {
		c.out = appendError(c.out, "ERR Unsupported option "+string(args[3]))
		return
	}
	secs, ok := parseInt(args[2])
	if !ok {
		c.out = appendError(c.out, errNotInteger.Error())
		return
	}
	now := nowMillis()
	if secs > math.MaxInt64/1000 || secs < math.MinInt64/1000 || secs*1000 > math.MaxInt64-now {
		c.out = appendError(c.out, "ERR invalid expire time in 'expire' command")
		return
	}
	if c.store.expire(args[1], now+secs*1000) {
		c.out = appendInt(c.out, 1)
	} else {
		c.out = appendInt(c.out, 0)
	}
}

// command answers COMMAND, which clients send to learn the server's
// commands (redis-cli asks for COMMAND DOCS for its hints): no
// documentation here, and the count.
func (c *conn) command(args [][]byte) {
	if len(args) == 1 {
		c.out = appendArray(c.out, 0)
		return
	}
	switch c.lowerName(args[1]) {
	case "docs", "info", "list":
		c.out = appendArray(c.out, 0)
	case "count":
		c.out = appendInt(c.out, commandCount)
	default:
		c.unknownSubcommand(args[1], "COMMAND")
	}
}

// client answers the CLIENT subcommands that client libraries send when
// they connect.
func (c *conn) client(args [][]byte) {
	if !c.arity(args, -2, "client") {
		return
	}
	switch sub := c.lowerName(args[1]); sub {
	case "id":
		if c.arity(args, 2, "client|id") {
			c.out = appendInt(c.out, c.id)
		}
	case "getname":
		switch {
		case !c.arity(args, 2, "client|getname"):
		case c.name == nil:
			c.out = appendNull(c.out)
		default:
			c.out = appendBulk(c.out, c.name)
		}
	case "setname":
		if c.arity(args, 3, "client|setname") && c.setName(args[2]) {
			c.out = appendSimple(c.out, "OK")
		}
	case "info":
		if c.arity(args, 2, "client|info") {
			c.clientInfo()
		}
	case "setinfo": // redis 7.2's client libraries send their name and version
		if c.arity(args, 4, "client|setinfo") {
			c.out = appendSimple(c.out, "OK")
		}
	default:
		c.unknownSubcommand(args[1], "CLIENT")
	}
}

// setName sets the connection's name, or replies with redis' error and
// returns false if the name has a space or a byte that is not printable.
func (c *conn) setName(name []byte) bool {
	for _, ch := range name {
		if ch <= ' ' || ch > '~' {
			c.out = appendError(c.out, "ERR Client names cannot contain spaces, newlines or special characters.")
			return false
		}
	}
	c.name = append(c.name[:0], name...)
	return true
}

// hello is HELLO [protover [AUTH username password] [SETNAME name]], the
// handshake of RESP3 clients. The server speaks RESP2 only: HELLO 3 gets
// redis' NOPROTO error, and clients fall back to RESP2.
func (c *conn) hello(args [][]byte) {
	if len(args) >= 2 {
		v, ok := parseInt(args[1])
		switch {
		case !ok:
			c.out = appendError(c.out, "ERR Protocol version is not an integer or out of range")
			return
		case v != 2:
			c.out = appendError(c.out, "NOPROTO unsupported protocol version")
			return
		}
	}
	for i := 2; i < len(args); i++ {
		left := len(args) - 1 - i
		switch opt := c.lowerName(args[i]); {
		case opt == "auth" && left >= 2: // no password is set: any is fine
			i += 2
		case opt == "setname" && left >= 1:
			if !c.setName(args[i+1]) {
				return
			}
			i++
		default:
			c.out = appendError(c.out, "ERR Syntax error in HELLO option '"+string(args[i])+"'")
			return
		}
	}
	c.out = appendArray(c.out, 14) // RESP2's form of a map: keys and values in turn
	for _, kv := range []string{"server", "asyncnet-resp", "version", "7.0.0", "proto"} {
		c.out = appendBulkString(c.out, kv)
	}
	c.out = appendInt(c.out, 2)
	c.out = appendBulkString(c.out, "id")
	c.out = appendInt(c.out, c.id)
	for _, kv := range []string{"mode", "standalone", "role", "master", "modules"} {
		c.out = appendBulkString(c.out, kv)
	}
	c.out = appendArray(c.out, 0)
}

// config answers CONFIG GET for the parameters redis-benchmark asks about
// when it starts (save and appendonly: no persistence here); other
// parameters are not listed, as redis does for unknown ones.
func (c *conn) config(args [][]byte) {
	if !c.arity(args, -2, "config") {
		return
	}
	if c.lowerName(args[1]) != "get" {
		c.unknownSubcommand(args[1], "CONFIG")
		return
	}
	if !c.arity(args, -3, "config|get") {
		return
	}
	n := 0
	for _, p := range args[2:] {
		if _, ok := configValue(c.lowerName(p)); ok {
			n++
		}
	}
	c.out = appendArray(c.out, 2*n)
	for _, p := range args[2:] {
		name := c.lowerName(p)
		if v, ok := configValue(name); ok {
			c.out = appendBulkString(c.out, name)
			c.out = appendBulkString(c.out, v)
		}
	}
}

// configValue returns the value of a parameter CONFIG GET lists.
func configValue(name string) (string, bool) {
	switch name {
	case "save":
		return "", true // no snapshots
	case "appendonly":
		return "no", true
	}
	return "", false
}

func (c *conn) unknownSubcommand(sub []byte, command string) {
	c.out = appendError(c.out, "ERR unknown subcommand '"+string(truncate(sub, 128))+"'. Try "+command+" HELP.")
}

// unknown replies to a command the server does not know, as redis 7 does:
// the name and the start of the arguments, at most 128 bytes of each.
func (c *conn) unknown(args [][]byte) {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.Write(truncate(args[0], 128))
	b.WriteString("', with args beginning with: ")
	n := 0 // the bytes of the arguments' part, as redis counts them
	for _, a := range args[1:] {
		if n >= 128 {
			break
		}
		a = truncate(a, 128-n)
		b.WriteString("'")
		b.Write(a)
		b.WriteString("' ")
		n += len(a) + 3
	}
	c.out = appendError(c.out, b.String())
}

func truncate(b []byte, n int) []byte { return b[:min(len(b), n)] }
