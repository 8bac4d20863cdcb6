package appointments_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/stacktest"
)

// The bookings of a slot beyond its turns wait in memory, first come first served, without a
// database connection: one whose request is cancelled leaves the line at once, and when the slot
// fills the others are told slot_full without a statement.
func TestBookingsWaitForTheirTurn(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := &stacktest.Statements{}
		counted := *s
		counted.DB = s.DB.WithQueryHook(st)
		f := newFixture(t, &counted, t0)
		f.desk.LetInPerSlot(1)
		const day, start = "2026-11-04", "09:00"
		a := f.citizens(12)
		for i := range 8 { // 2 of the 10 seats left
			f.book(a[i], f.couple(day, start))
		}
		waiting := func(n int) {
			t.Helper()
			for f.desk.Waiting(f.office.ID, day, start, appointments.Marriage) != n {
				time.Sleep(time.Millisecond) // the requests under test start in goroutines
			}
		}

		// The slot's one turn is held by a booking inside its transaction, before its seat.
		entered, release := make(chan struct{}), make(chan struct{})
		hold := appointments.WithinBooking(func(context.Context, bun.Tx, *appointments.Booking) error {
			close(entered)
			<-release
			return nil
		})
		done := make([]chan error, 4)
		for i := range done {
			done[i] = make(chan error, 1)
		}
		go func() { _, err := f.desk.Book(f.ctx, a[8], f.couple(day, start), hold); done[0] <- err }()
		<-entered
		st.Take()

		// Three more line up in this order; the second will give up.
		ctx, cancel := context.WithCancel(f.ctx)
		for i, c := range []context.Context{f.ctx, ctx, f.ctx} {
			go func() { _, err := f.desk.Book(c, a[9+i], f.couple(day, start)); done[1+i] <- err }()
			waiting(i + 1)
		}
		if q := st.Take(); len(q) != 0 {
			t.Fatalf("bookings waiting for their turn sent %d statements: %v", len(q), q)
		}
		if n := s.DB.Stats().InUse; n != 1 {
			t.Fatalf("%d database connections in use, want only the one of the booking holding the turn", n)
		}
		cancel()
		if err := <-done[2]; !errors.Is(err, context.Canceled) {
			t.Fatalf("a waiting booking whose request ended: %v, want context.Canceled", err)
		}
		waiting(2)

		// The turn passes to the first in line, who takes the last seat: the last in line is refused.
		close(release)
		if err := <-done[0]; err != nil {
			t.Fatalf("the booking holding the turn: %v", err)
		}
		if err := <-done[1]; err != nil {
			t.Fatalf("the first in line: %v", err)
		}
		if err := <-done[3]; code(t, err) != "slot_full" {
			t.Fatalf("the last in line, once the slot filled: %v, want slot_full", err)
		}
		if n := f.booked(day, start, appointments.Marriage); n != 10 {
			t.Fatalf("slot counter %d, want 10", n)
		}
	})
}

// A seat freed in this process, by a cancellation or a move, is offered and bookable again at once,
// although the slot was known full.
func TestFreedSeatIsBookableAtOnce(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		const day, start = "2026-11-04", "09:00"
		a := f.citizens(12)
		var booked []*appointments.Booking
		for i := range 10 {
			booked = append(booked, f.book(a[i], f.couple(day, start)))
		}
		late := f.couple(day, start)
		if _, err := f.desk.Book(f.ctx, a[10], late); code(t, err) != "slot_full" {
			t.Fatalf("a booking of the full slot: %v", err)
		}
		free := func(want int) {
			t.Helper()
			ds, err := f.slots(day, appointments.Marriage)
			if err != nil {
				t.Fatal(err)
			}
			if ds.Slots[0].Free != want || ds.Slots[0].Bookable != (want > 0) {
				t.Fatalf("the public slots show %d free (bookable %v), want %d", ds.Slots[0].Free, ds.Slots[0].Bookable, want)
			}
		}
		free(0)
		if _, err := f.desk.Cancel(f.ctx, a[0], booked[0].ID); err != nil {
			t.Fatal(err)
		}
		free(1)
		f.book(a[10], late)
		free(0)
		if _, err := f.desk.Move(f.ctx, a[1], booked[1].ID, day, "09:30"); err != nil {
			t.Fatal(err)
		}
		free(1)
		f.book(a[11], f.couple(day, start))
	})
}
