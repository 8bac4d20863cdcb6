// Package statstest puts cases and their legal clocks straight into the database, for tests of the
// statistics without running cases through the workflow engine; it counts the closed ones into
// statistics_closed as the engine does.
package statstest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/statistics/closed"
)

// Clock is a row of case_clocks; dates are 'YYYY-MM-DD', "" for none.
type Clock struct {
	Status                    string // running, paused or stopped; stopped when Stopped is set, else running, when empty
	Started                   string // 2026-01-05 when empty
	StatutoryDue, PromisedDue string
	Stopped                   string
}

// Case is a case to insert. The jurisdiction must exist.
type Case struct {
	Item, Jurisdiction string
	// Received is when the case was created; now when zero.
	Received time.Time
	// Closed closes the case a day after it was received.
	Closed bool
	Clocks []Clock
}

var seq atomic.Int64

// Insert adds the cases with an applicant of their own and a catalogue version per item, and returns
// their ids.
func Insert(t testing.TB, db bun.IDB, cases ...Case) []int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	n := seq.Add(1)
	var applicant int64
	if err := db.NewRaw(`INSERT INTO users (login, password_hash, created_at, updated_at) VALUES (?, 'x', ?, ?) RETURNING id`,
		fmt.Sprintf("statstest-%d-%d", n, now.UnixNano()), now, now).Scan(ctx, &applicant); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, 0, len(cases))
	for i, c := range cases {
		hash := "statstest-" + c.Item
		if _, err := db.NewRaw(`INSERT INTO catalog_versions (hash, item_code, source, definition, loaded_at)
			VALUES (?, ?, 'test', '{}', ?) ON CONFLICT DO NOTHING`, hash, c.Item, now).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		received := c.Received.UTC()
		if c.Received.IsZero() {
			received = now
		}
		var closedAt any
		state := "review"
		if c.Closed {
			closedAt, state = received.Add(24*time.Hour), "done"
		}
		var id int64
		if err := db.NewRaw(`INSERT INTO cases (number, item_code, version_hash, jurisdiction, applicant_id, state, version,
			data, fields, created_at, updated_at, state_entered_at, closed_at)
			VALUES (?, ?, ?, ?, ?, ?, 1, '{}', '{}', ?, ?, ?, ?) RETURNING id`,
			fmt.Sprintf("ST-%d-%d-%d", n, i, now.UnixNano()), c.Item, hash, c.Jurisdiction, applicant, state,
			received, received, received, closedAt).Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		for j, k := range c.Clocks {
			status := k.Status
			if status == "" {
				status = "running"
				if k.Stopped != "" {
					status = "stopped"
				}
			}
			started := k.Started
			if started == "" {
				started = "2026-01-05"
			}
			if _, err := db.NewRaw(`INSERT INTO case_clocks (case_id, clock, status, started_on, statutory_due, promised_due, stopped_on)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, id, fmt.Sprintf("clock%d", j), status, started, k.StatutoryDue, k.PromisedDue, k.Stopped).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if c.Closed { // as the engine does in the transaction that closes a case
			if err := closed.Add(ctx, db, id, received); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, id)
	}
	return ids
}
