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
// as good for that page; a request that finds none waits for the one computation under way for the
// same filter instead of starting another.
type Cache struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[string]*cached
}

// cached is one filter's figures, or the computation of them while done is open.
type cached struct {
	done chan struct{}
	at   time.Time
	rows []Row
	err  error
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
	c.mu.Lock()
	e, ok := c.m[key]
	if !ok || (isDone(e) && (e.err != nil || time.Since(e.at) > c.ttl)) {
		c.forgetSome()
		e = &cached{done: make(chan struct{})}
		c.m[key] = e
		c.mu.Unlock()
		// Without the caller's cancellation: others may be waiting for these figures.
		e.rows, e.err = Compute(context.WithoutCancel(ctx), db, f, today)
		e.at = time.Now()
		close(e.done)
	} else {
		c.mu.Unlock()
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return slices.Clone(e.rows), e.err
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
