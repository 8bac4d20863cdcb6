package appointments

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/uptrace/bun"
)

// admissions lets the bookings of each slot run a few at a time and keeps the others waiting in
// memory, in arrival order, without a database connection. On a hot day thousands of people ask for
// the same slot at once: let in together, they would each take a connection and run the checks of a
// booking only to queue on the slot's row, most of them to be told the slot is full, and a request
// for another slot (a person refused the first one and trying the next) would queue behind them all.
// Bookings of different slots never wait for each other. The database still decides every seat: this
// only orders the requests of one process.
//
// A booking done passes its database connection on with its turn: the bookings of a hot slot do not
// queue for the pool again behind every other request (on a hot day, thousands reading their tokens).
type admissions struct {
	mu    sync.Mutex
	slots map[slotKey]*admission
	size  int // how many bookings of a slot run at once
}

// admission is one slot's line: the bookings running and those waiting, first come first.
type admission struct {
	running int
	waiting []chan turn
}

// turn is what a waiting booking gets: its turn, with the connection of the booking before it when
// that one could pass it on, or a refusal when the slot filled.
type turn struct {
	admitted bool
	conn     *bun.Conn
}

// slotAdmissions returns the line of each slot, letting size bookings of a slot (at least one) run at
// once. The desk lets a quarter of the database pool in: 8 of PostgreSQL's 32 connections, 2 of
// SQLite's 8. A booking holds the slot's row for two of its statements (the seat and the commit) out
// of about eighteen, so about nine at once keep the row busy while the others run their checks; more
// would hold connections only to wait for the row, and once the last seats are being taken each one
// more runs every check for nothing. With 4 of the pool's 32 a slot's 20 seats took seconds on a
// loaded machine, the turn holders' round trips being slow and the row mostly idle.
func slotAdmissions(size int) *admissions {
	return &admissions{slots: map[slotKey]*admission{}, size: max(1, size)}
}

// enter waits for the turn of a booking of slot k: it returns the connection passed on with the turn
// (nil when none was), errSlotFull when the slot fills while it waits (or full says it is full
// already) and the context's error when ctx ends first. Unless it returns an error, the booking
// calls leave once done.
func (a *admissions) enter(ctx context.Context, k slotKey, full func(slotKey) bool) (*bun.Conn, error) {
	a.mu.Lock()
	if full(k) { // under the lock, so that a fill (see refuse) cannot slip in between
		a.mu.Unlock()
		return nil, errSlotFull
	}
	s := a.slots[k]
	if s == nil {
		s = &admission{}
		a.slots[k] = s
	}
	if s.running < a.size {
		s.running++
		a.mu.Unlock()
		return nil, nil
	}
	wait := make(chan turn, 1)
	s.waiting = append(s.waiting, wait)
	a.mu.Unlock()
	select {
	case t := <-wait:
		if !t.admitted {
			return nil, errSlotFull
		}
		return t.conn, nil
	case <-ctx.Done():
	}
	a.mu.Lock()
	i := slices.Index(s.waiting, wait)
	if i >= 0 {
		s.waiting = slices.Delete(s.waiting, i, i+1)
	}
	a.mu.Unlock()
	if i < 0 { // its turn came as it gave up: pass it on
		if t := <-wait; t.admitted {
			a.leave(k, t.conn)
		}
	}
	return nil, fmt.Errorf("waiting for a turn to book a slot: %w", ctx.Err())
}

// leave ends a booking's turn and gives it, with conn (nil for none), to the first booking waiting;
// with none waiting, conn goes back to the pool.
func (a *admissions) leave(k slotKey, conn *bun.Conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.slots[k]
	if len(s.waiting) > 0 {
		s.waiting[0] <- turn{admitted: true, conn: conn}
		s.waiting = slices.Delete(s.waiting, 0, 1)
		return
	}
	if conn != nil {
		_ = conn.Close()
	}
	if s.running--; s.running == 0 {
		delete(a.slots, k)
	}
}

// refuse answers slot_full to every booking waiting for slot k, which just filled.
func (a *admissions) refuse(k slotKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.slots[k]
	if s == nil {
		return
	}
	for _, wait := range s.waiting {
		wait <- turn{}
	}
	s.waiting = nil
}
