package statistics_test

import (
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/statistics"
	"github.com/civicflow/civicflow/statistics/closed"
	"github.com/civicflow/civicflow/statistics/statstest"
)

// The figures read from statistics_closed for the whole months of a period are exactly those counted
// from every case, over random cases, clocks and filters (periods that start or end on a month's first
// day or inside a month, open on one side or both, scopes of a county, a city, several, the province,
// an item or none), and Rebuild counts the same rows into statistics_closed as the closings did.
func TestComputeFromClosedMonthsEqualsCountingCases(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s)
		r := mathrand.New(mathrand.NewPCG(14, 400))
		first := day("2025-11-01")
		date := func() string { return first.AddDate(0, 0, r.IntN(200)).Format(time.DateOnly) }
		var cases []statstest.Case
		for range 400 {
			c := statstest.Case{Item: []string{"A", "B", "C"}[r.IntN(3)], Jurisdiction: []string{"210100", "210102", "210200"}[r.IntN(3)],
				Received: first.Add(time.Duration(r.Int64N(int64(180 * 24 * time.Hour)))), Closed: r.IntN(4) > 0}
			if r.IntN(10) == 0 { // received on the first instant of a month
				c.Received = day(fmt.Sprintf("2026-%02d-01", 1+r.IntN(4)))
			}
			for range r.IntN(3) {
				k := statstest.Clock{Started: date()}
				if r.IntN(4) > 0 {
					k.StatutoryDue = date()
				}
				if r.IntN(2) == 0 {
					k.PromisedDue = date()
				}
				switch {
				case c.Closed || r.IntN(3) == 0:
					k.Stopped = date()
				case r.IntN(4) == 0:
					k.Status = "paused"
				}
				c.Clocks = append(c.Clocks, k)
			}
			cases = append(cases, c)
		}
		statstest.Insert(t, s.DB, cases...)

		scopes := [][]string{{"*"}, {"21*"}, {"2101*"}, {"210102"}, {"210102", "2102*"}, {"2102*"}, {"22*"}, nil}
		bound := func() time.Time {
			switch r.IntN(4) {
			case 0:
				return time.Time{}
			case 1:
				return day(fmt.Sprintf("2025-%02d-01", 10+r.IntN(3))).AddDate(0, r.IntN(8), 0)
			default:
				return first.AddDate(0, 0, r.IntN(220)-10)
			}
		}
		counted := 0 // filters that count some case
		for i := range 300 {
			f := statistics.Filter{From: bound(), To: bound(), Scopes: scopes[r.IntN(len(scopes))], ItemCode: []string{"", "A", "C", "Z"}[r.IntN(4)]}
			today := date()
			want, err := statistics.ComputeFromCases(ctx, s.DB, f, today)
			if err != nil {
				t.Fatal(err)
			}
			got, err := statistics.Compute(ctx, s.DB, f, today)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) > 0 {
				counted++
			}
			checkRows(t, fmt.Sprintf("filter %d %+v today %s", i, f, today), got, want)
		}

		if counted < 80 {
			t.Fatalf("only %d filters of 300 count a case", counted)
		}
		kept := closedRows(t, s)
		if len(kept) == 0 {
			t.Fatal("statistics_closed is empty")
		}
		if err := closed.Rebuild(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		if rebuilt := closedRows(t, s); !slices.Equal(rebuilt, kept) {
			t.Errorf("rebuilt statistics_closed\n%v\nkept by the closings\n%v", rebuilt, kept)
		}
	})
}

// closedRows reads statistics_closed in order.
func closedRows(t *testing.T, s *stacktest.Stack) []string {
	t.Helper()
	var rows []struct {
		Jurisdiction, ItemCode, Month             string
		Finished, WithinPromised, WithinStatutory int
	}
	if err := s.DB.NewSelect().TableExpr("statistics_closed").Column("jurisdiction", "item_code", "month", "finished",
		"within_promised", "within_statutory").OrderExpr("jurisdiction, item_code, month").Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%+v", r)
	}
	return out
}

// A case closed while the figures are being counted again waits for the rebuild and is added after
// it commits, so that it is counted once: without the rebuild's lock, a closing that inserted a row
// after the table was emptied was counted by the rebuild's month as well. (PostgreSQL: on SQLite the
// rebuild's transaction holds the database's one write lock.)
func TestClosingWaitsForARebuild(t *testing.T) {
	s := stacktest.PostgresOnly(t)
	ctx := context.Background()
	addJurisdictions(t, s)
	statstest.Insert(t, s.DB, statstest.Case{Item: "A", Jurisdiction: "210100", Received: day("2026-03-10"), Closed: true})
	april := day("2026-04-10")
	open := statstest.Insert(t, s.DB, statstest.Case{Item: "A", Jurisdiction: "210100", Received: april})[0]

	rebuild, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rebuild.Rollback() // once committed, a no-op
	if err := closed.Rebuild(ctx, rebuild); err != nil {
		t.Fatal(err)
	}
	closing := make(chan error, 1)
	go func() { // April's row does not exist yet: the closing inserts it
		closing <- s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "UPDATE cases SET closed_at = ?, state = 'done' WHERE id = ?", april.Add(time.Hour), open); err != nil {
				return err
			}
			return closed.Add(ctx, tx, open, april)
		})
	}()
	select {
	case err := <-closing:
		t.Fatalf("a closing went through a rebuild in progress (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := rebuild.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-closing; err != nil {
		t.Fatal(err)
	}
	var rows []string
	if err := s.DB.NewSelect().TableExpr("statistics_closed").ColumnExpr("month || ' ' || finished").
		OrderExpr("month").Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows, ", ") != "2026-03 1, 2026-04 1" {
		t.Fatalf("kept %q, want each case counted once", rows)
	}
}
