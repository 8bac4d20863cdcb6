package sequences_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/civicflow/civicflow/sequences"
	"github.com/civicflow/civicflow/stacktest"
)

func TestNextConcurrent(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		const n = 50
		values := make([]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tx, err := s.DB.BeginTx(ctx, nil)
				if err != nil {
					errs[i] = err
					return
				}
				v, err := sequences.Next(ctx, tx, "test:concurrent")
				if err != nil {
					tx.Rollback()
					errs[i] = err
					return
				}
				values[i] = v
				errs[i] = tx.Commit()
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		}
		sort.Slice(values, func(i, j int) bool { return values[i] < values[j] })
		for i, v := range values {
			if v != int64(i+1) {
				t.Fatalf("values are not 1..%d: %v", n, values)
			}
		}
	})
}

func TestNextNamesAndRollback(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		for want := int64(1); want <= 3; want++ {
			if v, err := sequences.Next(ctx, s.DB, "a"); err != nil || v != want {
				t.Fatalf("a: %d %v, want %d", v, err, want)
			}
		}
		if v, err := sequences.Next(ctx, s.DB, "b"); err != nil || v != 1 {
			t.Fatalf("b: %d %v", v, err)
		}
		tx, err := s.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := sequences.Next(ctx, tx, "a"); err != nil || v != 4 {
			t.Fatalf("a in tx: %d %v", v, err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if v, err := sequences.Next(ctx, s.DB, "a"); err != nil || v != 4 {
			t.Fatalf("a after rollback: %d %v, want 4", v, err)
		}
		if _, err := sequences.Next(ctx, s.DB, ""); err == nil {
			t.Fatal("empty name accepted")
		}
	})
}

// A derived code is Code's shape, the same for the same key and message, different otherwise.
func TestDerivedCode(t *testing.T) {
	a := sequences.DerivedCode([]byte("key"), "inquiry-secret:x", 12)
	if len(a) != 12 || strings.Trim(a, "23456789ABCDEFGHJKMNPQRSTUVWXYZ") != "" {
		t.Fatalf("derived code %q", a)
	}
	if b := sequences.DerivedCode([]byte("key"), "inquiry-secret:x", 12); b != a {
		t.Fatalf("the same key and message gave %q and %q", a, b)
	}
	if sequences.DerivedCode([]byte("key"), "inquiry-secret:y", 12) == a || sequences.DerivedCode([]byte("other"), "inquiry-secret:x", 12) == a {
		t.Fatal("another key or message gave the same code")
	}
	if long := sequences.DerivedCode([]byte("key"), "m", 100); len(long) != 100 {
		t.Fatalf("a long code has %d characters", len(long))
	}
}
