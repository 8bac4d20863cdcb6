package appointments_test

import (
	"strings"
	"testing"

	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/stacktest"
)

// What a booking costs the database, which on a hot day is what decides how fast the seats go (see
// docs/benchmarks.md, "A hot booking day"): the early "full" check, the office's plan read afresh,
// the account's and the people's checks, then one transaction that takes the seat last, so that the
// slot's row, which every booking of the slot waits for, is locked only until the commit. A booking
// for a slot this process saw full, and the public slots within a second, cost nothing.
func TestBookingStatements(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := &stacktest.Statements{}
		counted := *s
		counted.DB = s.DB.WithQueryHook(st)
		f := newFixture(t, &counted, t0)
		const seats = 10 // the fixture's marriage seats per slot
		a := f.citizens(seats + 1)
		for i := range seats {
			var err error
			q := st.During(func() { _, err = f.desk.Book(f.ctx, a[i], f.couple("2026-11-04", "09:00")) })
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				continue // the first also reads the plan for the early check
			}
			// 8 checks (seats taken, the plan's 4, the account's ID number, bans, the booker's
			// number), BEGIN, 8 statements, COMMIT.
			if len(q) > 18 {
				t.Errorf("booking %d sent %d statements, want at most 18:\n  %s", i, len(q), strings.Join(q, "\n  "))
			}
			if n := len(q); n < 2 || !strings.Contains(q[n-2], "slot_counts") || q[n-1] != "COMMIT" {
				t.Errorf("booking %d does not take its seat right before COMMIT:\n  %s", i, strings.Join(q, "\n  "))
			}
		}
		var err error
		q := st.During(func() { _, err = f.desk.Book(f.ctx, a[seats], f.couple("2026-11-04", "09:00")) })
		if code(t, err) != "slot_full" || len(q) > 1 {
			t.Fatalf("the first booking of a full slot: %v after %d statements, want slot_full after at most 1", err, len(q))
		}
		q = st.During(func() { _, err = f.desk.Book(f.ctx, a[seats], f.couple("2026-11-04", "09:00")) })
		if code(t, err) != "slot_full" || len(q) != 0 {
			t.Fatalf("a booking of a slot seen full: %v after %d statements, want slot_full after none", err, len(q))
		}
		q = st.During(func() {
			for range 3 {
				ds, err := f.slots("2026-11-04", appointments.Marriage)
				if err != nil {
					t.Fatal(err)
				}
				if ds.Slots[0].Free != 0 || ds.Slots[0].Bookable {
					t.Fatalf("the full slot shows %d free", ds.Slots[0].Free)
				}
			}
		})
		if len(q) > 1 {
			t.Fatalf("three reads of the public slots sent %d statements, want at most 1:\n  %s", len(q), strings.Join(q, "\n  "))
		}
	})
}
