package servers

import (
	"io"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
	"github.com/asyncnet/asyncnet/stream"
)

// loopServer is a Loop serving one server.
type loopServer struct {
	l    *core.Loop
	done chan error
}

func (ls *loopServer) Close() error {
	ls.l.Exit()
	return <-ls.done
}

// runLoop runs a Loop of loops reactors whose start function calls serve,
// and returns once serve has returned.
func runLoop(loops int, serve func(l *core.Loop) error) (Server, error) {
	ls := &loopServer{l: core.NewLoop(core.WithReactors(loops)), done: make(chan error, 1)}
	started := make(chan error, 1)
	go func() {
		ls.done <- ls.l.Run(func(l *core.Loop) { started <- serve(l) })
	}()
	select {
	case err := <-started:
		if err != nil {
			ls.l.Exit()
			<-ls.done
			return nil, err
		}
		return ls, nil
	case err := <-ls.done:
		return nil, err
	}
}

// startAsyncnet is asyncnet's callback API: the read callback answers.
func startAsyncnet(p, addr string, loops int) (Server, error) {
	return runLoop(loops, func(l *core.Loop) error {
		if p == Echo {
			_, err := server.TCPServer(l, addr, func(s *core.Socket, data []byte) {
				_, _ = s.Write(data)
			})
			return err
		}
		respond := responderFor(p)
		_, err := server.TCPServer(l, addr, func(s *core.Socket, data []byte) {
			ss := s.Data().(*session)
			out, err := ss.feed(data)
			_, _ = s.Write(out)
			if err != nil {
				_ = s.Close()
			}
		}, core.OnConnect(func(s *core.Socket) { s.SetData(&session{respond: respond}) }))
		return err
	})
}

// startAsyncnetStream is asyncnet's stream API (cl-async's :stream t):
// the callback copies the stream to itself.
func startAsyncnetStream(_, addr string, loops int) (Server, error) {
	return runLoop(loops, func(l *core.Loop) error {
		_, err := server.TCPServerStream(l, addr, func(_ *core.Socket, st *stream.AsyncIOStream) {
			_, _ = io.Copy(st, st) // st.WriteTo(st): the buffered bytes, in place
		})
		return err
	})
}
