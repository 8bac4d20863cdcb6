package statistics_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/statistics"
	"github.com/civicflow/civicflow/statistics/statstest"
)

func addJurisdictions(t *testing.T, s *stacktest.Stack) {
	t.Helper()
	for _, j := range [][3]string{{"210000", "辽宁省", "Liaoning"}, {"210100", "沈阳市", "Shenyang"}, {"210200", "大连市", "Dalian"}, {"210102", "和平区", "Heping"}} {
		if err := jurisdictions.Add(context.Background(), s.DB, j[0], j[1], j[2]); err != nil {
			t.Fatal(err)
		}
	}
}

func day(s string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, time.FixedZone("CST", 8*3600))
	if err != nil {
		panic(err)
	}
	return d
}

func TestCompute(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s)
		const today = "2026-03-10"
		jan, feb := day("2026-01-05"), day("2026-02-02")
		statstest.Insert(t, s.DB,
			// Item A in Shenyang: four finished, two open.
			statstest.Case{Item: "A", Jurisdiction: "210100", Received: jan, Closed: true, Clocks: []statstest.Clock{
				{StatutoryDue: "2026-02-10", PromisedDue: "2026-01-20", Stopped: "2026-01-20"}}}, // on the last promised day: both on time
			statstest.Case{Item: "A", Jurisdiction: "210100", Received: jan, Closed: true, Clocks: []statstest.Clock{
				{StatutoryDue: "2026-02-10", PromisedDue: "2026-01-20", Stopped: "2026-02-10"}}}, // statutory only
			statstest.Case{Item: "A", Jurisdiction: "210100", Received: feb, Closed: true, Clocks: []statstest.Clock{
				{StatutoryDue: "2026-02-10", PromisedDue: "2026-01-20", Stopped: "2026-01-15"},
				{StatutoryDue: "2026-03-01", PromisedDue: "2026-02-20", Stopped: "2026-03-02"}}}, // the second clock is late
			statstest.Case{Item: "A", Jurisdiction: "210100", Received: feb, Closed: true, Clocks: []statstest.Clock{
				{Stopped: "2026-03-02"}}}, // no due dates: on time
			statstest.Case{Item: "A", Jurisdiction: "210100", Received: feb, Clocks: []statstest.Clock{
				{StatutoryDue: "2026-03-09"}}}, // running and past due
			statstest.Case{Item: "A", Jurisdiction: "210100", Received: feb, Clocks: []statstest.Clock{
				{StatutoryDue: "2026-03-10"}, {Status: "paused", StatutoryDue: "2026-03-01"}}}, // due today; paused clocks do not count
			// Item A in Heping: one open case whose clock has stopped (waiting for a decision, say).
			statstest.Case{Item: "A", Jurisdiction: "210102", Received: feb, Clocks: []statstest.Clock{
				{StatutoryDue: "2026-02-10", Stopped: "2026-02-11"}}},
			// Item B in Dalian: one late, one overdue.
			statstest.Case{Item: "B", Jurisdiction: "210200", Received: jan, Closed: true, Clocks: []statstest.Clock{
				{StatutoryDue: "2026-02-10", PromisedDue: "2026-02-01", Stopped: "2026-02-11"}}},
			statstest.Case{Item: "B", Jurisdiction: "210200", Received: jan, Clocks: []statstest.Clock{
				{StatutoryDue: "2026-02-10"}}},
		)

		rows, err := statistics.Compute(ctx, s.DB, statistics.Filter{Scopes: []string{"21*"}}, today)
		if err != nil {
			t.Fatal(err)
		}
		want := []statistics.Row{
			{ItemCode: "A", Jurisdiction: "210100", Received: 6, Finished: 4, WithinPromised: 2, WithinStatutory: 3, OverdueNow: 1, OnTimeRate: 0.75},
			{ItemCode: "A", Jurisdiction: "210102", Received: 1},
			{ItemCode: "B", Jurisdiction: "210200", Received: 2, Finished: 1, OverdueNow: 1},
		}
		checkRows(t, "province", rows, want)
		total := statistics.Total(rows)
		if total != (statistics.Row{Received: 9, Finished: 5, WithinPromised: 2, WithinStatutory: 3, OverdueNow: 2, OnTimeRate: 0.6}) {
			t.Errorf("total: %+v", total)
		}

		// Scopes: a city, a county, nothing.
		rows, err = statistics.Compute(ctx, s.DB, statistics.Filter{Scopes: []string{"2102*"}}, today)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, "Dalian", rows, want[2:])
		rows, err = statistics.Compute(ctx, s.DB, statistics.Filter{Scopes: []string{"210102", "2102*"}}, today)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, "Heping and Dalian", rows, want[1:])
		rows, err = statistics.Compute(ctx, s.DB, statistics.Filter{}, today)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, "no scopes", rows, nil)
		if total := statistics.Total(nil); total != (statistics.Row{}) {
			t.Errorf("total of nothing: %+v", total)
		}

		// Received between: February only; the item.
		rows, err = statistics.Compute(ctx, s.DB, statistics.Filter{Scopes: []string{"*"}, From: day("2026-02-01"), To: day("2026-03-01")}, today)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, "February", rows, []statistics.Row{
			{ItemCode: "A", Jurisdiction: "210100", Received: 4, Finished: 2, WithinPromised: 1, WithinStatutory: 1, OverdueNow: 1, OnTimeRate: 0.5},
			{ItemCode: "A", Jurisdiction: "210102", Received: 1},
		})
		rows, err = statistics.Compute(ctx, s.DB, statistics.Filter{Scopes: []string{"*"}, To: day("2026-02-02")}, today)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, "before February 2", rows, []statistics.Row{
			{ItemCode: "A", Jurisdiction: "210100", Received: 2, Finished: 2, WithinPromised: 1, WithinStatutory: 2, OnTimeRate: 1},
			{ItemCode: "B", Jurisdiction: "210200", Received: 2, Finished: 1, OverdueNow: 1},
		})
		rows, err = statistics.Compute(ctx, s.DB, statistics.Filter{Scopes: []string{"*"}, ItemCode: "B"}, today)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, "item B", rows, want[2:])

		// What is overdue depends on the day.
		rows, err = statistics.Compute(ctx, s.DB, statistics.Filter{Scopes: []string{"2101*"}}, "2026-03-11")
		if err != nil {
			t.Fatal(err)
		}
		if rows[0].OverdueNow != 2 {
			t.Errorf("overdue on 2026-03-11: %+v", rows[0])
		}
		if _, err := statistics.Compute(ctx, s.DB, statistics.Filter{}, "10.3.2026"); err == nil {
			t.Error("a malformed today is accepted")
		}
	})
}

func checkRows(t *testing.T, what string, got, want []statistics.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d: %+v", what, len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.Abs(g.OnTimeRate-w.OnTimeRate) > 1e-9 {
			t.Errorf("%s: row %d on-time rate %v, want %v", what, i, g.OnTimeRate, w.OnTimeRate)
		}
		g.OnTimeRate, w.OnTimeRate = 0, 0
		if g != w {
			t.Errorf("%s: row %d\n got %+v\nwant %+v", what, i, g, w)
		}
	}
}

func TestArrange(t *testing.T) {
	rows := []statistics.Row{
		{ItemCode: "a", OverdueNow: 0, OnTimeRate: 0.5},
		{ItemCode: "b", OverdueNow: 3, OnTimeRate: 0.9},
		{ItemCode: "c", OverdueNow: 1, OnTimeRate: 0.2},
	}
	codes := func(rs []statistics.Row) string {
		var s string
		for _, r := range rs {
			s += r.ItemCode
		}
		return s
	}
	for _, tc := range []struct {
		by      string
		overdue bool
		want    string
	}{
		{"", false, "abc"}, {statistics.ByOverdue, false, "bca"}, {statistics.ByOnTime, false, "cab"}, {statistics.ByOverdue, true, "bc"},
	} {
		if got := codes(statistics.Arrange(rows, tc.by, tc.overdue)); got != tc.want {
			t.Errorf("Arrange(%q, %v) = %s, want %s", tc.by, tc.overdue, got, tc.want)
		}
	}
}
