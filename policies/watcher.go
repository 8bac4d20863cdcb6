package policies

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/casbin/casbin/v2/persist"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/database"
)

// DefaultWatchInterval is how often a watcher polls when given no usable interval.
const DefaultWatchInterval = 2 * time.Second

// Watcher tells a process that another one changed the policies, by polling the policy revision
// in the database: the database is the one thing every CivicFlow process shares for certain (Redis
// only carries tasks). It implements casbin's persist.Watcher; the callback gets the new revision.
type Watcher struct {
	db       bun.IDB
	interval time.Duration

	mu       sync.Mutex
	callback func(string)
	last     int64 // revision last passed to the callback; -1 before the first poll

	stop      chan struct{}
	closeOnce sync.Once
}

var _ persist.Watcher = (*Watcher)(nil)

// NewWatcher returns a watcher over db's policy revision that polls every interval once Run.
func NewWatcher(db bun.IDB, interval time.Duration) *Watcher {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	return &Watcher{db: db, interval: interval, last: -1, stop: make(chan struct{})}
}

// SetUpdateCallback sets the function called with the revision whenever it differs from the one
// seen before, and once on the first poll.
func (w *Watcher) SetUpdateCallback(fn func(string)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.callback = fn
	return nil
}

// Update bumps the policy revision so that every watching process reloads; casbin calls it after
// changing policies through its own API.
func (w *Watcher) Update() error {
	return bumpRevision(context.Background(), w.db)
}

// Close stops Run; the callback is not called any more.
func (w *Watcher) Close() {
	w.closeOnce.Do(func() { close(w.stop) })
}

// Run polls until ctx ends or the watcher is closed. A failed poll is logged and retried at the
// next tick.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		w.poll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-w.stop:
			return nil
		case <-t.C:
		}
	}
}

// poll reads the revision and calls the callback if it changed.
func (w *Watcher) poll(ctx context.Context) {
	rev, err := readRevision(ctx, w.db)
	if err != nil {
		if ctx.Err() == nil && !database.Unavailable(err) { // an outage: the database's outage log says it once
			slog.WarnContext(ctx, "policies: polling the policy revision", "err", err)
		}
		return
	}
	w.mu.Lock()
	fn := w.callback
	changed := rev != w.last
	w.last = rev
	w.mu.Unlock()
	if changed && fn != nil {
		fn(strconv.FormatInt(rev, 10))
	}
}

// forget makes the next poll call the callback even if the revision stays the same, for a
// callback that failed to act on the last one.
func (w *Watcher) forget() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = -1
}

// Watch keeps this process's policies current until ctx ends: it polls the policy revision every
// interval and reloads when another process changed the policies. Run it in its own goroutine.
func (e *Enforcer) Watch(ctx context.Context, interval time.Duration) error {
	w := NewWatcher(e.db, interval)
	defer w.Close()
	_ = w.SetUpdateCallback(func(s string) {
		rev, err := strconv.ParseInt(s, 10, 64)
		if err != nil || rev == e.loadedRevision() {
			return
		}
		if err := e.Reload(ctx); err != nil {
			if ctx.Err() == nil && !database.Unavailable(err) { // an outage: the database's outage log says it once
				slog.ErrorContext(ctx, "policies: reloading after a change elsewhere", "revision", rev, "err", err)
			}
			w.forget()
		}
	})
	return w.Run(ctx)
}
