package accounts_test

import (
	"context"
	"sync"
	"testing"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

// An account's ID number is bound once: the same number again is fine, another number is
// id_mismatch, and a number another account holds is id_taken, also when both bind at once.
func TestBindIDNumber(t *testing.T) {
	const mine, other = "110101200001011232", "11010519491231002X"
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		a, b, c, d := newUser(t, s.DB, "anna"), newUser(t, s.DB, "bob"), newUser(t, s.DB, "chen"), newUser(t, s.DB, "daisy")
		if n, err := accounts.IDNumberOf(ctx, s.DB, a); err != nil || n != "" {
			t.Fatalf("unbound account: %q %v", n, err)
		}
		if _, ok, _ := accounts.UserByIDNumber(ctx, s.DB, mine); ok {
			t.Fatal("found an account for an unbound number")
		}
		for range 2 {
			if err := accounts.BindIDNumber(ctx, s.DB, a, mine); err != nil {
				t.Fatal(err)
			}
		}
		if id, ok, err := accounts.UserByIDNumber(ctx, s.DB, mine); err != nil || !ok || id != a {
			t.Fatalf("account of the number: %d %v %v", id, ok, err)
		}
		err := accounts.BindIDNumber(ctx, s.DB, a, other)
		if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || p.Fields[0].Path != "booker_id_number" || p.Fields[0].Code != "id_mismatch" {
			t.Fatalf("another number: %v", err)
		}
		if p, ok := problem.As(accounts.BindIDNumber(ctx, s.DB, b, mine)); !ok || p.Code != "id_taken" {
			t.Fatalf("a taken number: %v", p)
		}
		// Two accounts binding one number at once, each in a transaction: one wins, the other gets
		// id_taken and not an internal error.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, user := range []int64{c, d} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					return accounts.BindIDNumber(ctx, tx, user, other)
				})
			}()
		}
		wg.Wait()
		taken := 0
		for _, err := range errs {
			if p, ok := problem.As(err); ok && p.Code == "id_taken" {
				taken++
			} else if err != nil {
				t.Fatalf("racing bind: %v", err)
			}
		}
		if taken != 1 {
			t.Fatalf("racing binds: %v", errs)
		}
	})
}

func newUser(t *testing.T, db *bun.DB, login string) int64 {
	t.Helper()
	u, err := accounts.Create(context.Background(), db, audit.System, accounts.NewUser{Login: login, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
