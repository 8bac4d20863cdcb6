package stacktest

import (
	"sync"
	"time"
)

// Clock is a fake clock for tests that must control time (timers, redelivery, deadlines) without
// sleeping; it is safe for concurrent use and its Now fits every "now func() time.Time" option.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// AddDate moves the clock by calendar years, months and days.
func (c *Clock) AddDate(y, m, d int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.AddDate(y, m, d)
}
