// Command proxy is a TCP proxy on asyncnet that keeps its memory flat when
// one side is slower than the other: it stops reading the fast side while
// the slow side is congested (Socket.Disable) and resumes when it has
// drained (core.OnDrain). Disable pauses at the TCP level, so the fast peer
// is held back by TCP flow control rather than by the proxy's memory.
//
//	go run ./examples/proxy -listen 127.0.0.1:7008 -backend 127.0.0.1:7007
//	go run ./examples/proxy -demo    # a fast source, this proxy, a slow sink; prints the proxy's memory
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/asyncnet/asyncnet/client"
	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/server"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:7008", "address to accept clients on")
	backend := flag.String("backend", "127.0.0.1:7007", "address to forward them to")
	demo := flag.Bool("demo", false, "run a fast source and a slow sink through the proxy and report its memory")
	size := flag.Int("mib", 256, "demo: MiB to move")
	rate := flag.Int("rate", 32, "demo: the sink's speed, MB/s")
	flag.Parse()
	if *demo {
		if _, err := runDemo(*size<<20, *rate<<20, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}
	err := core.StartEventLoop(func(l *core.Loop) {
		srv, err := Proxy(l, *listen, *backend)
		if err != nil {
			log.Print(err)
			return
		}
		log.Printf("proxying %s -> %s", srv.Addr(), *backend)
	})
	if err != nil {
		log.Fatal(err)
	}
}

// Proxy serves listen on l, forwarding every client to backend.
func Proxy(l *core.Loop, listen, backend string) (*server.Server, error) {
	return server.TCPServer(l, listen, forward,
		core.OnConnect(func(front *core.Socket) {
			back, err := client.TCPConnect(l, backend, forward,
				core.OnEvent(closePeer),
				core.OnDrain(resumePeer))
			if err != nil {
				_ = front.Close()
				return
			}
			front.SetData(back)
			back.SetData(front)
		}),
		core.OnEvent(closePeer),
		core.OnDrain(resumePeer))
}

// pauses counts how often forward stopped reading a side.
var pauses atomic.Int64

// forward copies what one side reads to the other. When the other side is
// congested, it stops reading this side until the other drains.
func forward(s *core.Socket, data []byte) {
	peer, _ := s.Data().(*core.Socket)
	if peer == nil {
		return
	}
	if _, err := peer.Write(data); err != nil {
		_ = s.Close() // the other side is gone: so is this one
		return
	}
	if peer.Congested() {
		pauses.Add(1)
		_ = s.Disable(true, false)
		// The peer may have drained between Write and Disable; its OnDrain
		// would then have come too early to resume us. Check again.
		if !peer.Congested() {
			_ = s.Enable(true, false)
		}
	}
}

// resumePeer runs when s has drained: the other side may be read again.
func resumePeer(s *core.Socket) {
	if peer, _ := s.Data().(*core.Socket); peer != nil {
		_ = peer.Enable(true, false)
	}
}

// closePeer closes the other side once this side has ended (gracefully:
// what it was sent still arrives).
func closePeer(s *core.Socket, _ error) {
	if peer, _ := s.Data().(*core.Socket); peer != nil {
		_ = peer.Close()
	}
}

// demoReport is what runDemo measured.
type demoReport struct {
	Moved       int   // bytes the sink received
	MaxBuffered int64 // the most the proxy held at once (Stats.BytesBufferedIn + BytesBufferedOut)
	Intact      bool  // the sink got exactly what the source sent
	Pauses      int64 // how often the proxy stopped reading the fast side
}

// runDemo moves size bytes from a fast source through a proxy to a sink
// that reads rate bytes a second, printing the proxy's memory as it goes.
func runDemo(size, rate int, out io.Writer) (demoReport, error) {
	return runDemoEvery(size, rate, 250*time.Millisecond, out)
}

// runDemoEvery is runDemo, measuring every period.
func runDemoEvery(size, rate int, period time.Duration, out io.Writer) (demoReport, error) {
	var rep demoReport
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return rep, err
	}
	defer sink.Close()
	sum := make(chan [32]byte, 1)
	go func() { // the slow sink
		c, err := sink.Accept()
		if err != nil {
			sum <- [32]byte{}
			return
		}
		defer c.Close()
		h := sha256.New()
		buf := make([]byte, 64<<10)
		start := time.Now()
		for {
			n, err := c.Read(buf)
			h.Write(buf[:n])
			rep.Moved += n
			if err != nil {
				break
			}
			if ahead := time.Duration(rep.Moved)*time.Second/time.Duration(rate) - time.Since(start); ahead > 0 {
				time.Sleep(ahead) // read at rate bytes a second
			}
		}
		sum <- [32]byte(h.Sum(nil))
	}()

	var want, got [32]byte
	pausesBefore := pauses.Load()
	err = core.StartEventLoop(func(l *core.Loop) {
		srv, err := Proxy(l, "127.0.0.1:0", sink.Addr().String())
		if err != nil {
			fmt.Fprintln(out, err)
			return
		}
		fmt.Fprintf(out, "source -> proxy %s -> sink (%d MB/s): moving %d MiB\n", srv.Addr(), rate>>20, size>>20)
		report := l.Interval(period, func() {
			st := l.Stats()
			buffered := st.BytesBufferedIn + st.BytesBufferedOut
			rep.MaxBuffered = max(rep.MaxBuffered, buffered)
			var ms runtime.MemStats
			runtime.GC() // so that the heap figure is what is live
			runtime.ReadMemStats(&ms)
			fmt.Fprintf(out, "  proxy holds %6.2f MiB (in %5.2f, out %5.2f), heap %6.1f MiB\n",
				mib(buffered), mib(st.BytesBufferedIn), mib(st.BytesBufferedOut), mib(int64(ms.HeapAlloc)))
		})
		go func() { // the fast source: writes as fast as TCP lets it
			c, err := net.Dial("tcp", srv.Addr().String())
			if err == nil {
				want = source(c, size)
				_ = c.Close()
			}
			got = <-sum // the sink is done
			report.Stop()
			_ = srv.Close()
		}()
	})
	rep.Intact = rep.Moved == size && got == want
	rep.Pauses = pauses.Load() - pausesBefore
	fmt.Fprintf(out, "moved %d MiB; the proxy paused the fast side %d times and never held more than %.2f MiB; intact: %v\n",
		rep.Moved>>20, rep.Pauses, mib(rep.MaxBuffered), rep.Intact)
	return rep, err
}

// source writes size generated bytes to w, 1 MiB at a time, and returns
// their SHA-256.
func source(w io.Writer, size int) [32]byte {
	h := sha256.New()
	chunk := make([]byte, 1<<20)
	for sent := 0; sent < size; sent += len(chunk) {
		for i := range chunk {
			chunk[i] = byte((sent + i) * 7)
		}
		n := min(len(chunk), size-sent)
		h.Write(chunk[:n])
		if _, err := w.Write(chunk[:n]); err != nil {
			break
		}
	}
	return [32]byte(h.Sum(nil))
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
