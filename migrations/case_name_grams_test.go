package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/stacktest"
)

// Upgrading indexes the organisation names of the cases filed before the cases' name index existed
// (and none for a case without one), so that the staff's search finds them by index at once.
func TestCaseNameGramsMigration(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		migrateBefore(t, s.DB, "20261211000800")
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
		names := []string{"沈阳市围棋协会", "Go Club", ""}
		for i, name := range names {
			if _, err := s.DB.ExecContext(ctx, `INSERT INTO cases (id, number, item_code, version_hash, jurisdiction,
					applicant_id, state, version, data, fields, created_at, updated_at, state_entered_at, org_name)
				VALUES (?, ?, 'item', 'h1', '210100', 1, 'submitted', 1, '{}', '{}', ?, ?, ?, ?)`,
				i+1, "N-"+name, now, now, now, name); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := migrations.Up(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		for i, name := range names {
			var n int
			if err := s.DB.NewRaw("SELECT count(*) FROM case_name_grams WHERE case_id = ?", i+1).Scan(ctx, &n); err != nil || n != len(nameindex.Grams(name)) {
				t.Errorf("grams of case %q after the upgrade: %d %v, want %d", name, n, err, len(nameindex.Grams(name)))
			}
		}
		var ids []int64
		if err := s.DB.NewRaw("SELECT case_id FROM case_name_grams WHERE bigram IN ('围棋', 'go') ORDER BY case_id").Scan(ctx, &ids); err != nil || len(ids) != 2 || ids[0] != 1 || ids[1] != 2 {
			t.Errorf("cases of 围棋 and go: %v %v, want [1 2]", ids, err)
		}
		if _, err := migrations.Down(ctx, s.DB); err != nil { // and back: the index goes with its migration
			t.Fatal(err)
		}
	})
}
