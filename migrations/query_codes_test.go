package migrations_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/stacktest"
)

// Upgrading gives every case already there a query code of its own, so that its progress can be
// looked up like that of a new case.
func TestQueryCodesMigration(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		migrateBefore(t, s.DB, "20261207000030")
		now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		for _, q := range []string{
			`INSERT INTO jurisdictions (code, name_zh, created_at) VALUES ('210100', '沈阳市', ?)`,
			`INSERT INTO users (id, login, password_hash, created_at, updated_at) VALUES (1, 'a', 'x', ?, ?)`,
			`INSERT INTO catalog_versions (hash, item_code, source, definition, loaded_at) VALUES ('h', 'i', 's', '{}', ?)`,
		} {
			if _, err := s.DB.ExecContext(ctx, q, now, now); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for i := range 3 {
			if _, err := s.DB.ExecContext(ctx, `INSERT INTO cases (number, item_code, version_hash, jurisdiction, applicant_id,
				state, version, data, fields, created_at, updated_at, state_entered_at)
				VALUES (?, 'i', 'h', '210100', 1, 's', 1, '{}', '{}', ?, ?, ?)`, fmt.Sprintf("210100-2026-%06d", i+1), now, now, now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := migrations.Up(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		var codes []string
		if err := s.DB.NewRaw("SELECT query_code FROM cases ORDER BY id").Scan(ctx, &codes); err != nil {
			t.Fatal(err)
		}
		if len(codes) != 3 || len(codes[0]) != 6 || len(codes[1]) != 6 || len(codes[2]) != 6 || codes[0] == codes[1] {
			t.Errorf("the query codes after the upgrade: %q", codes)
		}
	})
}
