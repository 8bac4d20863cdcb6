package migrations_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/stacktest"
)

// Upgrading counts the cases closed before statistics_closed existed, by month of receipt in China
// (a case received on 31 October at 23:30 there, 15:30 in UTC, is October's), each late by its clocks;
// open cases stay out.
func TestStatisticsClosedMigration(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		migrateBefore(t, s.DB, "20261212000400")
		now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		for _, q := range []string{
			`INSERT INTO jurisdictions (code, name_zh, created_at) VALUES ('210100', '沈阳市', ?)`,
			`INSERT INTO catalog_versions (hash, item_code, source, definition, loaded_at) VALUES ('h1', 'item', 'test', '{}', ?)`,
			`INSERT INTO users (id, login, display_name, password_hash, created_at, updated_at) VALUES (1, 'a', '', '!', ?, ?)`,
		} {
			if _, err := s.DB.ExecContext(ctx, q, now, now); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		lastOfOctober := time.Date(2026, 10, 31, 15, 30, 0, 0, time.UTC)
		for i, c := range []struct {
			received time.Time
			closed   bool
			stopped  string // the clock stopped on, after its due date 2026-11-20 when late
		}{{now, true, "2026-11-10"}, {now, true, "2026-11-21"}, {lastOfOctober, true, "2026-11-01"}, {now, false, ""}} {
			var closed any
			if c.closed {
				closed = c.received.Add(time.Hour)
			}
			if _, err := s.DB.ExecContext(ctx, `INSERT INTO cases (id, number, item_code, version_hash, jurisdiction,
					applicant_id, state, version, data, fields, created_at, updated_at, state_entered_at, closed_at)
				VALUES (?, ?, 'item', 'h1', '210100', 1, 'done', 1, '{}', '{}', ?, ?, ?, ?)`,
				i+1, fmt.Sprint("N-", i), c.received, c.received, c.received, closed); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB.ExecContext(ctx, `INSERT INTO case_clocks (case_id, clock, status, started_on, statutory_due, promised_due, stopped_on)
				VALUES (?, 'k', 'stopped', '2026-10-31', '2026-11-20', '2026-11-20', ?)`, i+1, c.stopped); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := migrations.Up(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := s.DB.NewRaw(`SELECT jurisdiction || ' ' || item_code || ' ' || month || ': ' || finished || ' ' || within_promised || ' ' || within_statutory
			FROM statistics_closed ORDER BY month`).Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		if want := []string{"210100 item 2026-10: 1 1 1", "210100 item 2026-11: 2 1 1"}; !slices.Equal(got, want) {
			t.Errorf("statistics_closed after the upgrade: %q, want %q", got, want)
		}
		if _, err := migrations.Down(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
	})
}
