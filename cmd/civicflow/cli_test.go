package main

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/credit"
	"github.com/civicflow/civicflow/demo"
	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
)

// run executes the CLI with args and standard input, against the stack's database.
func run(t *testing.T, s *stacktest.Stack, stdin string, args ...string) (string, error) {
	t.Helper()
	t.Setenv("CIVICFLOW_DATABASE_URL", s.DatabaseURL)
	t.Setenv("CIVICFLOW_DATA_DIR", t.TempDir())
	cmd := rootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestUserAddWithRoles(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		if _, err := demo.Seed(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		out, err := run(t, s, "a long enough password\n", "user", "add", "li.ming", "--name", "李明",
			"--role", "acceptor@2101*", "--role", "citizen", "--password-stdin")
		if err != nil {
			t.Fatalf("user add: %v\n%s", err, out)
		}
		u, err := accounts.GetByLogin(ctx, s.DB, "li.ming")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := accounts.Authenticate(ctx, s.DB, accounts.Throttle{MaxPerAccount: 5, MaxPerIP: 5, Window: time.Minute}, accounts.Credentials{Login: "li.ming", Password: "a long enough password", IP: "cli"}); err != nil {
			t.Fatalf("password from stdin: %v", err)
		}
		enf, err := policies.New(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		if !enf.Allowed(u.ID, "210102", "jurisdiction", "read") || enf.Allowed(u.ID, "210200", "jurisdiction", "read") {
			t.Fatal("acceptor@2101* must hold in 210102 and not in 210200")
		}
		// A bad role or a jurisdiction that does not exist creates nothing.
		if _, err := run(t, s, "another good password\n", "user", "add", "wang", "--role", "boss@210100", "--password-stdin"); err == nil {
			t.Fatal("unknown role accepted")
		}
		out, err = run(t, s, "another good password\n", "user", "add", "wang", "--role", "acceptor@990100", "--password-stdin")
		if err == nil || !strings.Contains(err.Error(), "jurisdiction") {
			t.Fatalf("unknown jurisdiction: %v %s", err, out)
		}
		if _, err := accounts.GetByLogin(ctx, s.DB, "wang"); err == nil {
			t.Fatal("a refused user add left the user behind")
		}
		if _, err := run(t, s, "short\n", "user", "add", "zhao", "--password-stdin"); err == nil || !strings.Contains(err.Error(), "password") {
			t.Fatalf("short password: %v", err)
		}
	})
}

func TestDemoSeedingTwiceDuplicatesNothing(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		first, err := demo.Seed(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		if len(first) != len(policies.Roles) {
			t.Fatalf("want one demo account per role (%d), got %d", len(policies.Roles), len(first))
		}
		roles := map[string]bool{}
		for _, c := range first {
			roles[c.Role] = true
			if len(c.Password) < accounts.MinPasswordLength {
				t.Errorf("weak demo password for %s", c.Login)
			}
		}
		for _, r := range policies.Roles {
			if !roles[r.Name] {
				t.Errorf("no demo account for role %s", r.Name)
			}
		}
		second, err := demo.Seed(ctx, s.DB)
		if err != nil || len(second) != 0 {
			t.Fatalf("second seeding created %d accounts: %v", len(second), err)
		}
		users, _ := accounts.List(ctx, s.DB)
		if len(users) != len(first) {
			t.Fatalf("%d users after seeding twice", len(users))
		}
		var grants int
		if err := s.DB.NewSelect().TableExpr("casbin_rule").ColumnExpr("count(*)").Where("ptype = 'g'").Scan(ctx, &grants); err != nil || grants != len(first) {
			t.Fatalf("%d grants after seeding twice: %v", grants, err)
		}

		// The demo registration office, created once, as the demo administrator, with slots to book.
		enf, err := policies.New(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		cat, engine, _, err := loadEngine(ctx, s.DB, enf, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// The engine's set-up also hands the annual reports' non-filers to the 活动异常名录.
		if annualreport.OnMissed == nil || reflect.ValueOf(annualreport.OnMissed).Pointer() != reflect.ValueOf(credit.ListForMissedReport).Pointer() {
			t.Error("loadEngine leaves annualreport.OnMissed unwired to credit.ListForMissedReport")
		}
		desk := appointments.New(s.DB, enf, engine, cat.Items)
		for range 2 {
			if err := demo.SeedOffice(ctx, s.DB, desk); err != nil {
				t.Fatal(err)
			}
		}
		offices, err := desk.Offices(ctx, true)
		if err != nil || len(offices) != 1 || offices[0].Jurisdiction != demo.Office.Jurisdiction {
			t.Fatalf("demo offices after seeding twice: %+v, %v", offices, err)
		}
		monday := calendar.NewDate(2027, time.March, 1).String() // a working day
		slots, err := desk.Slots(ctx, offices[0].ID, monday, appointments.Marriage, 0, audit.Actor{})
		if err != nil || !slots.Open || len(slots.Slots) != 12 || slots.Slots[0].Capacity != 6 {
			t.Fatalf("demo office on %s: %+v, %v", monday, slots, err)
		}
	})
}

func TestPostgresRefusesPendingMigrationsUnlessAsked(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		if _, err := migrations.Down(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		cfg := config.Config{DatabaseURL: s.DatabaseURL}
		err := prepareSchema(ctx, s.DB, cfg, false)
		if s.Name == "postgres" {
			if err == nil || !strings.Contains(err.Error(), "pending migrations") || !strings.Contains(err.Error(), "--migrate") {
				t.Fatalf("PostgreSQL with pending migrations: %v", err)
			}
			if err := prepareSchema(ctx, s.DB, cfg, true); err != nil {
				t.Fatalf("--migrate: %v", err)
			}
		} else if err != nil {
			t.Fatalf("SQLite migrates by itself: %v", err)
		}
		if pending, err := migrations.Pending(ctx, s.DB); err != nil || len(pending) != 0 {
			t.Fatalf("pending after start: %v %v", pending, err)
		}
		out, err := run(t, s, "", "migrate", "status")
		if err != nil || !strings.Contains(out, "0 pending") {
			t.Fatalf("migrate status: %v\n%s", err, out)
		}
	})
}
