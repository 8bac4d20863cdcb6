package worker

import (
	"context"
	"fmt"
	"log/slog"
)

// slogLogger makes asynq log through slog, so that its lines share the format and destination of
// the rest of CivicFlow.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(level slog.Level, args []any) {
	ctx := context.Background()
	if s.l.Enabled(ctx, level) {
		s.l.Log(ctx, level, fmt.Sprint(args...))
	}
}

// Debug logs at debug level.
func (s slogLogger) Debug(args ...any) { s.log(slog.LevelDebug, args) }

// Info logs at info level.
func (s slogLogger) Info(args ...any) { s.log(slog.LevelInfo, args) }

// Warn logs at warning level.
func (s slogLogger) Warn(args ...any) { s.log(slog.LevelWarn, args) }

// Error logs at error level.
func (s slogLogger) Error(args ...any) { s.log(slog.LevelError, args) }

// Fatal logs at error level. Unlike asynq's own logger it does not exit: ending the process is left
// to Run's caller.
func (s slogLogger) Fatal(args ...any) { s.log(slog.LevelError, append([]any{"fatal: "}, args...)) }
