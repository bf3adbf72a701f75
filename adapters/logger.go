package adapters

import (
	"context"
	"fmt"
	"log/slog"
)

// slogLogger passes gnet's log lines to the Loop's slog.Logger. gnet's
// Fatalf is logged as an error: a library must not end the process.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(level slog.Level, format string, args []any) {
	if !s.l.Enabled(context.Background(), level) {
		return
	}
	s.l.Log(context.Background(), level, "gnet: "+fmt.Sprintf(format, args...))
}

func (s slogLogger) Debugf(format string, args ...any) { s.log(slog.LevelDebug, format, args) }
func (s slogLogger) Infof(format string, args ...any)  { s.log(slog.LevelInfo, format, args) }
func (s slogLogger) Warnf(format string, args ...any)  { s.log(slog.LevelWarn, format, args) }
func (s slogLogger) Errorf(format string, args ...any) { s.log(slog.LevelError, format, args) }
func (s slogLogger) Fatalf(format string, args ...any) { s.log(slog.LevelError, format, args) }
