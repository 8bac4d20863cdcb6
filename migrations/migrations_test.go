package migrations_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/stacktest"
)

func TestUpDownUp(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		pending, err := migrations.Pending(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		if len(pending) != 0 {
			t.Fatalf("pending after up: %v", pending)
		}
		// Every table must be gone after down and back after up again.
		downAll(t, s.DB)
		var n int
		if err := s.DB.NewSelect().ColumnExpr("count(*)").TableExpr("users").Scan(ctx, &n); err == nil {
			t.Fatal("users table still exists after migrating down")
		}
		st, err := migrations.List(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range st {
			if m.Applied {
				t.Fatalf("%s still applied after down", m.Name)
			}
		}
		applied, err := migrations.Up(ctx, s.DB)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != len(st) {
			t.Fatalf("applied %v, want all %d", applied, len(st))
		}
		if err := s.DB.NewSelect().ColumnExpr("count(*)").TableExpr("users").Scan(ctx, &n); err != nil {
			t.Fatalf("users after up again: %v", err)
		}
		again, err := migrations.Up(ctx, s.DB)
		if err != nil || len(again) != 0 {
			t.Fatalf("second up: %v %v", again, err)
		}
	})
}

// Several processes starting at once on one database all come up: those that find the migrations
// applied take no lock, and those that find another migrating wait for it.
func TestConcurrentUp(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		if _, err := migrations.Down(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 6)
		for i := 0; i < cap(errs); i++ {
			go func() {
				_, err := migrations.Up(ctx, s.DB)
				errs <- err
			}()
		}
		for i := 0; i < cap(errs); i++ {
			if err := <-errs; err != nil {
				t.Errorf("concurrent up: %v", err)
			}
		}
		if pending, err := migrations.Pending(ctx, s.DB); err != nil || len(pending) != 0 {
			t.Fatalf("pending after concurrent up: %v %v", pending, err)
		}
	})
}

// downAll rolls every migration back.
func downAll(t *testing.T, db *bun.DB) {
	t.Helper()
	for {
		names, err := migrations.Down(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if len(names) == 0 {
			return
		}
	}
}

// migrateBefore brings db down to nothing and up to the migration before name: the schema an upgrade
// to name starts from.
func migrateBefore(t *testing.T, db *bun.DB, name string) {
	t.Helper()
	ctx := context.Background()
	downAll(t, db)
	before := migrate.NewMigrations()
	for _, m := range migrations.All.Sorted() {
		if m.Name < name {
			before.Add(m)
		}
	}
	older := migrate.NewMigrator(db, before, migrate.WithMarkAppliedOnSuccess(true))
	if err := older.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := older.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}
