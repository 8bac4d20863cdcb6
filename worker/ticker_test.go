package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/stacktest"
)

// A ticker runs while the worker runs, goes on after an error and stops with the worker.
func TestTickerRunsUntilShutdown(t *testing.T) {
	s := stacktest.SQLite(t)
	b := s.Broker(t)
	var calls atomic.Int64
	w := New(s.DB, b, testConfig(), notify.Senders{},
		WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))),
		WithPollInterval(20*time.Millisecond),
		WithTicker("test", 5*time.Millisecond, func(ctx context.Context) error {
			if calls.Add(1) == 1 {
				return errors.New("first tick fails")
			}
			return nil
		}))
	stop := start(t, w)
	waitFor(t, "three ticks", func() bool { return calls.Load() >= 3 })
	stop()
	// Run returned only after the ticker's goroutine ended: nothing calls it any more.
	n := calls.Load()
	if calls.Load() != n {
		t.Fatalf("the ticker ran after Run returned")
	}
}
