package worker

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/civicflow/civicflow/queue"
)

// slogLogger makes asynq log through slog, so that its lines share the format and destination of
// the rest of CivicFlow. Its complaints that Redis cannot be reached, which asynq repeats every pass
// of its dequeuing, heartbeat and recovery loops while Redis is down, go to the broker's outage
// log instead: one line when the outage starts, one when it ends.
type slogLogger struct {
	l      *slog.Logger
	broker *queue.Broker
}

func (s slogLogger) log(level slog.Level, args []any) {
	ctx := context.Background()
	msg := fmt.Sprint(args...)
	if level >= slog.LevelWarn && s.broker.ObserveLogged(ctx, msg) {
		level = slog.LevelDebug
	}
	if s.l.Enabled(ctx, level) {
		s.l.Log(ctx, level, msg)
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
