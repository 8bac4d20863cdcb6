package annualreport_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// benchOrganisations is the size of a province's register that the issue asks opening to handle in
// under a minute.
const benchOrganisations = 30000

// BenchmarkOpenCampaign opens the annual-report campaign of a province with 30,000 active
// organisations, each with one bound applicant who has an e-mail address (two outbox rows each), on
// SQLite and, when configured, PostgreSQL. Each iteration deletes what the last one wrote.
func BenchmarkOpenCampaign(b *testing.B) {
	stacktest.EachBench(b, benchOpen)
}

// benchUser is an account with only what the users table requires.
type benchUser struct {
	bun.BaseModel `bun:"table:users"`

	ID                   int64 `bun:",pk,autoincrement"`
	Login, Email         string
	PasswordHash         string
	CreatedAt, UpdatedAt time.Time
}

func benchOpen(b *testing.B, s *stacktest.Stack) {
	ctx := context.Background()
	for _, j := range [][2]string{{"210000", "辽宁省"}, {"210100", "沈阳市"}, {"210200", "大连市"}} {
		if err := jurisdictions.Add(ctx, s.DB, j[0], j[1], j[1]); err != nil {
			b.Fatal(err)
		}
	}
	registered := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
	const batch = 1000
	for start := 0; start < benchOrganisations; start += batch {
		var orgs []register.Organisation
		var users []benchUser
		for i := start; i < start+batch; i++ {
			jur := []string{"210100", "210200"}[i%2]
			orgs = append(orgs, register.Organisation{USCC: fmt.Sprintf("B%017d", i), Name: fmt.Sprintf("测试社会组织%05d", i),
				Kind: register.Kinds[i%3], Jurisdiction: jur, Status: register.StatusActive, RegisteredAt: registered})
			users = append(users, benchUser{Login: fmt.Sprintf("bench%05d", i), Email: fmt.Sprintf("bench%05d@example.org", i),
				PasswordHash: "x", CreatedAt: registered, UpdatedAt: registered})
		}
		if _, err := s.DB.NewInsert().Model(&orgs).Exec(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := s.DB.NewInsert().Model(&users).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.DB.NewRaw(`INSERT INTO organisation_bindings (organisation_id, user_id, how, status, created_at)
		SELECT o.id, u.id, ?, ?, ? FROM organisations AS o JOIN users AS u ON u.login = 'bench' || substr(o.uscc, 14, 5)`,
		register.HowRequest, register.BindingActive, registered).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2027, 1, 10, 2, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for range b.N {
		c, err := annualreport.Open(ctx, s.DB, nil, audit.Actor{Label: "bench"}, annualreport.Opening{Year: 2026, Jurisdiction: "210000"}, now)
		if err != nil {
			b.Fatal(err)
		}
		if c.Reports != benchOrganisations {
			b.Fatalf("%d reports, want %d", c.Reports, benchOrganisations)
		}
		b.StopTimer()
		for _, q := range []string{"DELETE FROM outbox", "DELETE FROM annual_reports", "DELETE FROM annual_campaigns"} {
			if _, err := s.DB.ExecContext(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
}
