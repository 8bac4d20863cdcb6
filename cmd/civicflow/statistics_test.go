package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/demo"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/statistics/statstest"
)

// statistics rebuild counts again the closed cases the figures kept per month had missed (written
// without the engine), and gives the same rows as the engine's own counting.
func TestStatisticsRebuild(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		if _, err := demo.Seed(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		march := time.Date(2026, 3, 10, 4, 0, 0, 0, time.UTC)
		statstest.Insert(t, s.DB,
			statstest.Case{Item: "establishment", Jurisdiction: "210100", Received: march, Closed: true},
			statstest.Case{Item: "establishment", Jurisdiction: "210100", Received: march, Closed: true,
				Clocks: []statstest.Clock{{StatutoryDue: "2026-03-11", Stopped: "2026-03-20"}}},
			statstest.Case{Item: "establishment", Jurisdiction: "210102", Received: march.AddDate(0, 1, 0), Closed: true},
			statstest.Case{Item: "establishment", Jurisdiction: "210100", Received: march})
		kept := figuresKept(t, s)
		if len(kept) != 2 {
			t.Fatalf("the engine's counting kept %v, want two rows", kept)
		}
		if _, err := s.DB.ExecContext(ctx, "DELETE FROM statistics_closed WHERE month = '2026-03'"); err != nil {
			t.Fatal(err)
		}
		out, err := run(t, s, "", "statistics", "rebuild")
		if err != nil || !strings.Contains(out, "2 rows") {
			t.Fatalf("statistics rebuild: %v\n%s", err, out)
		}
		if again := figuresKept(t, s); strings.Join(again, ";") != strings.Join(kept, ";") {
			t.Fatalf("rebuilt %v, the engine had kept %v", again, kept)
		}
	})
}

// figuresKept lists the rows of statistics_closed.
func figuresKept(t *testing.T, s *stacktest.Stack) []string {
	t.Helper()
	var rows []string
	if err := s.DB.NewSelect().TableExpr("statistics_closed").
		ColumnExpr("jurisdiction || ' ' || item_code || ' ' || month || ' ' || finished || ' ' || within_promised || ' ' || within_statutory").
		OrderExpr("jurisdiction, item_code, month").Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}
