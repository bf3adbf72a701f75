// Package metrics publishes a Loop's Stats (what it holds, and its
// Counters) for monitoring: to expvar here, and to Prometheus with package
// github.com/asyncnet/asyncnet/metrics/prom, a module of its own so that a
// program that does not want the Prometheus client does not pull it in.
//
// Reading Stats takes no lock shared with the reactors: each reactor counts
// its own sockets' events in counters only it writes, and a reader sums
// them. A scrape costs a few atomic loads per reactor.
package metrics

import (
	"expvar"
	"fmt"
	"sync"

	"github.com/asyncnet/asyncnet/core"
)

// publishMu makes PublishExpvar's check-then-publish one step, so that two
// callers racing for a name get an error, not expvar's panic.
var publishMu sync.Mutex

// PublishExpvar publishes l's Stats under name in expvar (served at
// /debug/vars by expvar's handler), as a JSON object with the fields of
// core.Stats, read afresh at each request. expvar names are process-wide:
// publishing a name twice is an error (not expvar's panic).
func PublishExpvar(l *core.Loop, name string) error {
	if l == nil {
		return &core.ArgError{Call: "metrics.PublishExpvar", Arg: "l", Reason: "nil Loop"}
	}
	if name == "" {
		return &core.ArgError{Call: "metrics.PublishExpvar", Arg: "name", Reason: "empty name"}
	}
	publishMu.Lock()
	defer publishMu.Unlock()
	if expvar.Get(name) != nil {
		return fmt.Errorf("metrics.PublishExpvar: expvar name %q is taken", name)
	}
	expvar.Publish(name, expvar.Func(func() any { return l.Stats() }))
	return nil
}
