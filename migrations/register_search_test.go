package migrations_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// Upgrading indexes the names of the organisations registered before the index existed, so that
// the register finds them by two characters at once.
func TestRegisterSearchMigration(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		migrateBefore(t, s.DB, "20261207000002")
		now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		if _, err := s.DB.ExecContext(ctx, `INSERT INTO jurisdictions (code, name_zh, created_at) VALUES ('210100', '沈阳市', ?)`, now); err != nil {
			t.Fatal(err)
		}
		for i, name := range []string{"沈阳市围棋协会", "沈阳市象棋协会", "Shenyang Go Club"} {
			if _, err := s.DB.ExecContext(ctx, `INSERT INTO organisations (uscc, name, kind, jurisdiction, status, registered_at)
				VALUES (?, ?, 'social_group', '210100', 'active', ?)`, fmt.Sprintf("5121010050%08d", i), name, now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := migrations.Up(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{"围棋": 1, "棋协": 2, "go": 1, "象": 1, "桥牌": 0} {
			res, err := register.Search(ctx, s.DB, register.Query{Q: q})
			if err != nil || res.Total != want {
				t.Errorf("%s after the upgrade: %+v %v, want %d", q, res, err, want)
			}
		}
		// And back: the index goes with its migration.
		if _, err := migrations.Down(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.DB.NewRaw("SELECT count(*) FROM organisations").Scan(ctx, &n); err != nil || n != 3 {
			t.Errorf("organisations after rolling the index back: %d %v", n, err)
		}
	})
}
