package servers

import (
	"github.com/asyncnet/asyncnet/bench/proto"
)

func responderFor(p string) responder {
	switch p {
	case HTTP:
		return proto.AppendHTTPResponses
	case RESP:
		return proto.AppendRESPReplies
	}
	return nil
}

// session is one connection's request state, for servers whose read
// callback gets bytes it must consume: the start of a request that has not
// all arrived, and the buffer answers are built in.
type session struct {
	respond responder
	pending []byte
	out     []byte
}

// feed answers what data completes; it returns the answers (valid until the
// next call) and an error if the peer broke the protocol.
func (ss *session) feed(data []byte) ([]byte, error) {
	in := data
	if len(ss.pending) > 0 {
		ss.pending = append(ss.pending, data...)
		in = ss.pending
	}
	out, n, err := ss.respond(ss.out[:0], in)
	ss.out = out
	if err != nil {
		return out, err
	}
	rest := in[n:]
	if len(ss.pending) > 0 {
		ss.pending = ss.pending[:copy(ss.pending, rest)]
	} else if len(rest) > 0 {
		ss.pending = append(ss.pending, rest...)
	}
	return out, nil
}
