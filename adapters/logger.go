package adapters

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

// slogLogger passes gnet's log lines to the Loop's slog.Logger. gnet's
// Infof lines (an engine starting, its log level) are asyncnet's business,
// not the application's: they go out at Debug. gnet's Fatalf is logged as
// an error: a library must not end the process.
//
// gnet calls its default logger while holding a process-wide lock that a
// panic would leave held (hanging every gnet engine started later), so a
// panic of the slog.Handler is recovered here and reported on stderr.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(level slog.Level, format string, args []any) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(os.Stderr, "asyncnet: the Loop's slog.Handler panicked on a gnet log line: %v\n", v)
		}
	}()
	l := s.l
	if l == nil {
		l = slog.Default()
	}
	if !l.Enabled(context.Background(), level) {
		return
	}
	l.Log(context.Background(), level, "gnet: "+fmt.Sprintf(format, args...))
}

func (s slogLogger) Debugf(format string, args ...any) { s.log(slog.LevelDebug, format, args) }
func (s slogLogger) Infof(format string, args ...any)  { s.log(slog.LevelDebug, format, args) }
func (s slogLogger) Warnf(format string, args ...any)  { s.log(slog.LevelWarn, format, args) }
func (s slogLogger) Errorf(format string, args ...any) { s.log(slog.LevelError, format, args) }
func (s slogLogger) Fatalf(format string, args ...any) { s.log(slog.LevelError, format, args) }

// gnetGlobals serializes the engines asyncnet starts around gnet's
// process-wide default logger (see startClient).
var gnetGlobals sync.Mutex

// startClient creates and starts a gnet.Client with opts, and leaves gnet's
// process-wide default logger as it found it. gnet.NewClient makes the
// engine's logger (gnet.WithLogger) the default of the whole process, which
// would silence, or redirect, every other gnet engine of the application;
// asyncnet puts the previous one back once its engine has started. (gnet
// reads the default while it starts: an application engine started at
// that very moment could still see asyncnet's logger. gnet offers no way
// to start an engine without touching the default.)
func startClient(h gnet.EventHandler, opts []gnet.Option) (*gnet.Client, error) {
	gnetGlobals.Lock()
	defer gnetGlobals.Unlock()
	logger, flusher := logging.GetDefaultLogger(), logging.GetDefaultFlusher()
	defer logging.SetDefaultLoggerAndFlusher(logger, flusher)
	cli, err := gnet.NewClient(h, opts...)
	if err != nil {
		return nil, err
	}
	if err := cli.Start(); err != nil {
		return nil, err
	}
	return cli, nil
}
