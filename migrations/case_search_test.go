package migrations_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/stacktest"
)

// Upgrading names the organisation of every case already there, for the staff search: the name answer
// of the latest form that has one and the credit code the register set, and nothing for a case of an
// item that serves people.
func TestCaseSearchMigrationNamesOrganisations(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		migrateBefore(t, s.DB, "20261208000400")
		now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		orgs := `{"item": {"audience": ["organisations"], "form": "prep", "workflow": {"states": [{"id": "a"}, {"id": "b", "form": "est"}]}}}`
		people := `{"item": {"audience": ["citizens"], "form": "f", "workflow": {"states": [{"id": "a"}]}}}`
		for _, q := range []string{
			`INSERT INTO jurisdictions (code, name_zh, created_at) VALUES ('210100', '沈阳市', ?)`,
			`INSERT INTO users (id, login, password_hash, created_at, updated_at) VALUES (1, 'a', 'x', ?, ?)`,
			`INSERT INTO catalog_versions (hash, item_code, source, definition, loaded_at) VALUES ('o', 'org', 's', '` + orgs + `', ?)`,
			`INSERT INTO catalog_versions (hash, item_code, source, definition, loaded_at) VALUES ('p', 'person', 's', '` + people + `', ?)`,
		} {
			if _, err := s.DB.ExecContext(ctx, q, now, now); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for i, c := range []struct{ hash, data, fields string }{
			{"o", `{"prep": {"name": "沈阳市旧名协会"}, "est": {"name": "沈阳市围棋协会"}}`, `{"uscc": "51210100MJ0000001X"}`},
			{"o", `{"prep": {"name": "沈阳市象棋协会"}, "est": "odd"}`, `{}`},
			{"p", `{"f": {"name": "张三"}}`, `{}`},
		} {
			if _, err := s.DB.ExecContext(ctx, `INSERT INTO cases (number, item_code, version_hash, jurisdiction, applicant_id,
				state, version, data, fields, created_at, updated_at, state_entered_at)
				VALUES (?, 'i', ?, '210100', 1, 's', 1, ?, ?, ?, ?, ?)`, fmt.Sprintf("210100-2026-%06d", i+1), c.hash, c.data, c.fields, now, now, now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := migrations.Up(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		var got []struct{ OrgName, CreditCode string }
		if err := s.DB.NewRaw("SELECT org_name, credit_code FROM cases ORDER BY id").Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		want := []struct{ OrgName, CreditCode string }{{"沈阳市围棋协会", "51210100MJ0000001X"}, {"沈阳市象棋协会", ""}, {"", ""}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the cases' organisations after the upgrade: %v, want %v", got, want)
		}
	})
}
