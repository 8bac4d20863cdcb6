package workflow_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/statistics"
	"github.com/civicflow/civicflow/statistics/closed"
	"github.com/civicflow/civicflow/workflow"
)

// The engine counts a case into statistics_closed (by its month of receipt) in the transaction that
// closes it, exactly as Rebuild counts it from the cases afterwards: closings by refusal and
// withdrawal, within the time limits or late, from a state where the clock runs or after it stopped.
// The statistics read from it count the open cases live.
func TestClosingCountsTheCaseIntoTheStatistics(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := clockFixture(t, s, false) // on 2026-09-24
		withdraw := workflow.ApplyRequest{Action: "withdraw"}
		september := []*workflow.Case{f.start(), f.start(), f.start()}
		approved := f.toPreparing() // its clock stops on the approval
		f.at("2026-10-09")
		october := []*workflow.Case{f.start(), f.start()}
		f.apply(september[0], f.acceptor, workflow.ApplyRequest{Action: "refuse", Fields: map[string]any{"reason": "不符合条件。"}})
		f.at("2026-12-21") // past the due dates of every running clock
		f.apply(september[1], f.applicant, withdraw)
		f.apply(october[0], f.applicant, withdraw)
		f.apply(approved, f.applicant, withdraw)

		want := []string{
			"210100 sg_test 2026-09: 3 finished, 2 within promised, 2 within statutory",
			"210100 sg_test 2026-10: 1 finished, 0 within promised, 0 within statutory",
		}
		if got := f.closedFigures(); !slices.Equal(got, want) {
			t.Fatalf("statistics_closed:\n%q\nwant\n%q", got, want)
		}
		rows, err := statistics.Compute(f.ctx, f.db, statistics.Filter{Scopes: []string{"*"}}, "2026-12-21")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0] != (statistics.Row{ItemCode: itemCode, Jurisdiction: shenyang, Received: 6, Finished: 4,
			WithinPromised: 2, WithinStatutory: 2, OverdueNow: 2, OnTimeRate: 0.5}) {
			t.Errorf("statistics %+v", rows)
		}
		if err := closed.Rebuild(f.ctx, f.db); err != nil {
			t.Fatal(err)
		}
		if got := f.closedFigures(); !slices.Equal(got, want) {
			t.Fatalf("statistics_closed rebuilt from the cases:\n%q\nwant\n%q", got, want)
		}
	})
}

// closedFigures reads the rows of statistics_closed.
func (f *fixture) closedFigures() []string {
	f.t.Helper()
	var rows []struct {
		Jurisdiction, ItemCode, Month             string
		Finished, WithinPromised, WithinStatutory int
	}
	if err := f.db.NewSelect().TableExpr("statistics_closed").Column("jurisdiction", "item_code", "month", "finished",
		"within_promised", "within_statutory").OrderExpr("jurisdiction, item_code, month").Scan(f.ctx, &rows); err != nil {
		f.t.Fatal(err)
	}
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = fmt.Sprintf("%s %s %s: %d finished, %d within promised, %d within statutory", r.Jurisdiction, r.ItemCode,
			r.Month, r.Finished, r.WithinPromised, r.WithinStatutory)
	}
	return out
}
