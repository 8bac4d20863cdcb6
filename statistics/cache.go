package statistics

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Cache remembers the figures of each filter for a while. Compute reads every case of the caller's
// jurisdictions: tens of thousands of rows for a city, a million for a province, far more than a
// page that a department opens again and again during the day should cost. Figures a minute old are
// as good for that page. Figures older than the cache's ttl but younger than twice that are still
// answered while one computation renews them in the background; older ones, or none, are computed
// while the request waits, and a request that finds a computation under way for the same filter
// waits for it instead of starting another. So no answer is older than twice the ttl.
type Cache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]*cached
}

// cached is one filter's figures, or the computation of them while done is open.
type cached struct {
	done     chan struct{}
	at       time.Time
	rows     []Row
	err      error
	renewing bool // a computation in the background will replace it (guarded by Cache.mu)
}

// maxCached bounds the filters remembered: past it, the expired ones are forgotten, and if none
// expired, all of them.
const maxCached = 1000

// NewCache returns a cache that keeps figures for ttl.
func NewCache(ttl time.Duration) *Cache { return &Cache{ttl: ttl, m: map[string]*cached{}} }

// Compute returns Compute's figures for f and today, computed at most once per ttl. The rows are the
// caller's to change.
func (c *Cache) Compute(ctx context.Context, db bun.IDB, f Filter, today string) ([]Row, error) {
	key := cacheKey(f, today)
	// Without the caller's cancellation: others may be waiting for these figures.
	caller := ctx
	ctx = context.WithoutCancel(ctx)
	c.mu.Lock()
	e, ok := c.m[key]
	switch {
	case !ok || (isDone(e) && (e.err != nil || time.Since(e.at) > 2*c.ttl)):
		e = c.start(key)
		c.mu.Unlock()
		compute(ctx, e, db, f, today)
	case isDone(e) && time.Since(e.at) > c.ttl && !e.renewing:
		e.renewing = true
		next := &cached{done: make(chan struct{})}
		c.mu.Unlock()
		go func() {
			compute(ctx, next, db, f, today)
			if next.err == nil {
				c.mu.Lock()
				c.m[key] = next
				c.mu.Unlock()
			}
		}()
	default:
		c.mu.Unlock()
	}
	select {
	case <-e.done:
	case <-caller.Done():
		return nil, caller.Err()
	}
	return slices.Clone(e.rows), e.err
}

// start records the computation of key's figures under way; the caller holds c.mu.
func (c *Cache) start(key string) *cached {
	c.forgetSome()
	e := &cached{done: make(chan struct{})}
	c.m[key] = e
	return e
}

// compute computes e's figures and ends e's computation.
func compute(ctx context.Context, e *cached, db bun.IDB, f Filter, today string) {
	e.rows, e.err = Compute(ctx, db, f, today)
	e.at = time.Now()
	close(e.done)
}

func isDone(e *cached) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// forgetSome makes room when the cache is full; the caller holds c.mu.
func (c *Cache) forgetSome() {
	if len(c.m) < maxCached {
		return
	}
	for k, e := range c.m {
		if isDone(e) && time.Since(e.at) > c.ttl {
			delete(c.m, k)
		}
	}
	if len(c.m) >= maxCached {
		clear(c.m)
	}
}

// cacheKey names the figures of f on today.
func cacheKey(f Filter, today string) string {
	scopes := slices.Sorted(slices.Values(f.Scopes))
	return fmt.Sprintf("%s|%d|%d|%s|%s", today, f.From.UnixNano(), f.To.UnixNano(), f.ItemCode, strings.Join(scopes, ","))
}
