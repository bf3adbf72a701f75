package core

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asyncnet/asyncnet/core/transport"
)

// LoopOption configures a Loop (see NewLoop and StartEventLoop).
type LoopOption interface {
	Name() string // the option's name, such as "core.WithReactors"
	applyLoop(ls *loopSettings) error
}

// HostedLoopOption is a LoopOption that also applies to a Loop hosted on
// an application's gnet engine (adapters.WithLoopOptions): every one but
// WithReactors and WithTransport, which choose the engine.
type HostedLoopOption interface {
	LoopOption
	hosted()
}

// loopOpt is a LoopOption.
type loopOpt struct {
	name  string
	apply func(*loopSettings) error
}

func (o loopOpt) Name() string                     { return o.name }
func (o loopOpt) applyLoop(ls *loopSettings) error { return o.apply(ls) }

// hostedOpt is a HostedLoopOption.
type hostedOpt struct{ loopOpt }

func (hostedOpt) hosted() {}

// DefaultTickInterval is the default of WithTickInterval.
const DefaultTickInterval = 10 * time.Millisecond

type loopSettings struct {
	numLoops     int                 // 0: runtime.GOMAXPROCS(0)
	catchApp     bool                // recover callback panics into event callbacks
	logger       *slog.Logger        // never nil after NewLoop
	tickInterval time.Duration       // > 0
	transport    transport.Transport // nil: the default transport
	defaultEvent EventFunc           // events of sockets without an OnEvent
	stayRunning  bool                // Run ends only after Exit or Shutdown
}

// WithReactors sets how many reactors (gnet event loops) the Loop runs.
// Every server and every connection of the Loop shares them. The default,
// 0, means runtime.GOMAXPROCS(0). With 1, no two callbacks of the Loop ever
// run at the same time: cl-async's single-threaded model.
func WithReactors(n int) LoopOption {
	return loopOpt{name: "core.WithReactors", apply: func(ls *loopSettings) error {
		if n < 0 {
			return fmt.Errorf("negative count %d", n)
		}
		ls.numLoops = n
		return nil
	}}
}

// WithNumLoops sets how many reactors the Loop runs.
//
// Deprecated: use WithReactors (a Loop runs reactors; "loop" is the Loop).
func WithNumLoops(n int) LoopOption { return WithReactors(n) }

// WithCatchAppErrors decides what a panic in a callback does (cl-async's
// :catch-app-errors). With true, it is recovered and delivered to the
// socket's event callback as a conditions.EventError wrapping a
// *PanicError, the socket stays open and the loop goes on; panics outside a
// socket's callbacks are logged. With false, the default, the panic stops
// the Loop and Run returns the *PanicError, stack included.
func WithCatchAppErrors(catch bool) HostedLoopOption {
	return hostedOpt{loopOpt{name: "core.WithCatchAppErrors", apply: func(ls *loopSettings) error {
		ls.catchApp = catch
		return nil
	}}}
}

// WithLogger sets where the Loop (and its transport) log. The default is
// slog.Default(). The Loop logs what would otherwise be lost: the error
// conditions of sockets that have no event callback (see
// WithDefaultEventHandler), accept errors of servers without one, panics
// caught by WithCatchAppErrors that have nowhere to go, at Warn or Error;
// gnet's own messages at Debug (its errors at Error).
func WithLogger(l *slog.Logger) HostedLoopOption {
	return hostedOpt{loopOpt{name: "core.WithLogger", apply: func(ls *loopSettings) error {
		if l == nil {
			return fmt.Errorf("nil logger")
		}
		ls.logger = l
		return nil
	}}}
}

// WithTickInterval sets how often the Loop's clock ticks: the resolution of
// timers and timeouts, and how soon a write callback or a graceful close
// notices that a backlog the kernel could not take at once has drained.
// The default is DefaultTickInterval (10ms).
func WithTickInterval(d time.Duration) HostedLoopOption {
	return hostedOpt{loopOpt{name: "core.WithTickInterval", apply: func(ls *loopSettings) error {
		if d <= 0 {
			return fmt.Errorf("duration %v is not positive", d)
		}
		ls.tickInterval = d
		return nil
	}}}
}

// WithTransport runs the Loop on t instead of the default transport (a new
// gnet engine). Package adapters uses it to run a Loop on the event loops of
// an existing gnet application.
func WithTransport(t transport.Transport) LoopOption {
	return loopOpt{name: "core.WithTransport", apply: func(ls *loopSettings) error {
		if t == nil {
			return fmt.Errorf("nil transport")
		}
		ls.transport = t
		return nil
	}}
}

// WithDefaultEventHandler sets the event callback of every socket and
// server of the Loop that has none of its own (no OnEvent): it receives
// their conditions, end of file included, and the accept errors of such
// servers (with a nil socket). It is the equivalent of cl-async's
// *default-event-handler*. Without it, those conditions are logged at Warn
// through the Loop's logger (see WithLogger), except end of file, which is
// not an error: nothing is dropped without a trace.
func WithDefaultEventHandler(fn EventFunc) HostedLoopOption {
	return hostedOpt{loopOpt{name: "core.WithDefaultEventHandler", apply: func(ls *loopSettings) error {
		if fn == nil {
			return fmt.Errorf("nil callback")
		}
		ls.defaultEvent = fn
		return nil
	}}}
}

// WithStayRunning keeps the Loop running until Exit or Shutdown, even when
// it has nothing left: no server, socket, pending connect or timer. A
// service's Loop (a client connector that connects and reconnects, timers
// started from other goroutines) needs it; without it a Loop ends, like
// cl-async's, as soon as nothing is left, and later calls fail with
// ErrLoopNotRunning.
func WithStayRunning() HostedLoopOption {
	return hostedOpt{loopOpt{name: "core.WithStayRunning", apply: func(ls *loopSettings) error {
		ls.stayRunning = true
		return nil
	}}}
}
