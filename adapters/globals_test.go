package adapters_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/core"
	"github.com/asyncnet/asyncnet/internal/testutil"
)

// capture is a gnet logging.Logger that records what it is given.
type capture struct {
	mu    sync.Mutex
	lines []string
}

func (c *capture) add(format string, args ...any) {
	c.mu.Lock()
	c.lines = append(c.lines, fmt.Sprintf(format, args...))
	c.mu.Unlock()
}

func (c *capture) Debugf(format string, args ...any) { c.add(format, args...) }
func (c *capture) Infof(format string, args ...any)  { c.add(format, args...) }
func (c *capture) Warnf(format string, args ...any)  { c.add(format, args...) }
func (c *capture) Errorf(format string, args ...any) { c.add(format, args...) }
func (c *capture) Fatalf(format string, args ...any) { c.add(format, args...) }

func (c *capture) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

// stopAtBoot is a gnet application that stops as soon as it boots.
type stopAtBoot struct{ gnet.BuiltinEventEngine }

func (*stopAtBoot) OnBoot(gnet.Engine) gnet.Action { return gnet.Shutdown }

// TestGnetDefaultLoggerUntouched: running a Loop leaves gnet's process-wide
// default logger as it was, so an application's own gnet.Run in the same
// process logs where it did before.
func TestGnetDefaultLoggerUntouched(t *testing.T) {
	logger, flusher := logging.GetDefaultLogger(), logging.GetDefaultFlusher()
	t.Cleanup(func() { logging.SetDefaultLoggerAndFlusher(logger, flusher) })
	app := &capture{}
	logging.SetDefaultLoggerAndFlusher(app, nil)

	testutil.Run(t, func(l *core.Loop) {
		l.Delay(0, func() {})
	}, core.WithLogger(slog.New(slog.DiscardHandler)))
	require.Same(t, app, logging.GetDefaultLogger(), "a Loop replaced gnet's default logger")

	require.NoError(t, gnet.Run(&stopAtBoot{}, "tcp://127.0.0.1:0"))
	require.Contains(t, app.text(), "Launching gnet", "the application's engine logged elsewhere")
}

// panicky is a slog.Handler that panics on everything.
type panicky struct{}

func (panicky) Enabled(context.Context, slog.Level) bool  { panic("handler broken") }
func (panicky) Handle(context.Context, slog.Record) error { panic("handler broken") }
func (panicky) WithAttrs([]slog.Attr) slog.Handler        { return panicky{} }
func (panicky) WithGroup(string) slog.Handler             { return panicky{} }

// TestPanickyLoggerLeavesNoLockHeld: gnet calls its logger under a
// process-wide lock; a Loop whose logger panics must not leave it held, or
// every later engine in the process would hang.
func TestPanickyLoggerLeavesNoLockHeld(t *testing.T) {
	testutil.Run(t, func(l *core.Loop) {
		l.Delay(0, func() {})
	}, core.WithLogger(slog.New(panicky{})))
	testutil.Run(t, func(l *core.Loop) { // would hang on gnet's logging lock
		l.Delay(0, func() {})
	}, core.WithLogger(slog.New(slog.DiscardHandler)))
}
