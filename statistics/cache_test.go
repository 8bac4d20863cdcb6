package statistics_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/statistics"
	"github.com/civicflow/civicflow/statistics/statstest"
)

// The cache answers a filter's figures from memory within its ttl, renews them in the background
// when they are older, and never answers figures older than twice the ttl.
func TestCacheRemembersFiguresForAWhile(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s)
		const today = "2026-03-10"
		one := statstest.Case{Item: "A", Jurisdiction: "210100", Received: day("2026-02-02")}
		f := statistics.Filter{Scopes: []string{"2101*"}}
		received := func(c *statistics.Cache) int {
			t.Helper()
			rows, err := c.Compute(ctx, s.DB, f, today)
			if err != nil {
				t.Fatal(err)
			}
			return statistics.Total(rows).Received
		}
		statstest.Insert(t, s.DB, one)

		long := statistics.NewCache(time.Hour)
		if n := received(long); n != 1 {
			t.Fatalf("first answer: %d received, want 1", n)
		}
		statstest.Insert(t, s.DB, one)
		if n := received(long); n != 1 {
			t.Fatalf("within the ttl: %d received, want the remembered 1", n)
		}

		const ttl = 2 * time.Second
		c := statistics.NewCache(ttl)
		if n := received(c); n != 2 {
			t.Fatalf("a new cache: %d received, want 2", n)
		}
		statstest.Insert(t, s.DB, one)
		time.Sleep(ttl + 100*time.Millisecond)
		if n := received(c); n != 2 { // older than the ttl: still answered, renewed behind
			t.Fatalf("past the ttl: %d received, want the remembered 2 while it is renewed", n)
		}
		deadline := time.Now().Add(time.Minute)
		for received(c) != 3 {
			if time.Now().After(deadline) {
				t.Fatal("the figures were not renewed in the background")
			}
			time.Sleep(10 * time.Millisecond)
		}
		statstest.Insert(t, s.DB, one)
		time.Sleep(2*ttl + 50*time.Millisecond)
		if n := received(c); n != 4 { // older than twice the ttl: computed again at once
			t.Fatalf("past twice the ttl: %d received, want 4", n)
		}
	})
}
