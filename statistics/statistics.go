// Package statistics counts the work of the service hall per service item and jurisdiction: cases
// received, cases finished, how many of those finished within the promised and within the statutory
// time limit, and how many open cases are past their statutory due date now (product C11).
//
// The figures come from table cases and the legal clocks of table case_clocks, those of closed cases
// also from table statistics_closed, which the engine keeps. A clock's dates are civil dates in
// China written 'YYYY-MM-DD', which compare correctly as text on both databases.
package statistics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/statistics/closed"
)

// Filter chooses the cases counted.
type Filter struct {
	// From and To bound the time a case was received (created): From inclusive, To exclusive. A zero
	// time leaves that side open.
	From, To time.Time
	// Scopes are the caller's grant patterns ("*", "21*", "2101*", "210102"); only cases of the
	// jurisdictions they cover are counted, none when there are no scopes.
	Scopes []string
	// ItemCode counts only the cases of one service item when set.
	ItemCode string
}

// Row holds the figures of one service item in one jurisdiction; the total of Total has neither.
type Row struct {
	ItemCode     string `json:"item_code,omitempty"`
	Jurisdiction string `json:"jurisdiction,omitempty"`
	// Received counts the cases received; Finished those of them closed (whatever the outcome).
	Received int `json:"received"`
	Finished int `json:"finished"`
	// WithinPromised and WithinStatutory count the finished cases none of whose clocks stopped after
	// its promised (statutory) due date; a clock without that due date does not make a case late.
	WithinPromised  int `json:"within_promised"`
	WithinStatutory int `json:"within_statutory"`
	// OverdueNow counts the open cases with a running clock whose statutory due date has passed.
	OverdueNow int `json:"overdue_now"`
	// OnTimeRate is WithinStatutory / Finished, between 0 and 1; 0 when nothing is finished.
	OnTimeRate float64 `json:"on_time_rate"`
}

// overdue is the SQL condition on a clock k that makes its case overdue now: running past its
// statutory due date.
const overdue = "k.status = 'running' AND k.statutory_due <> '' AND k.statutory_due < ?"

// Compute counts the cases chosen by f, one row per service item and jurisdiction that received a
// case, ordered by item code and jurisdiction. today ('YYYY-MM-DD', in China) decides what is
// overdue now.
//
// A closed case's figures never change (no action leaves a final state), so those of the cases
// received in a whole month (in China) of f's period are read from table statistics_closed, which
// keeps them per jurisdiction, item and month of receipt; only the open cases (one in twenty, read
// through the open-case index), whose figures depend on today, and the closed cases of the partial
// months at the ends of the period are counted from table cases. A city's figures thus add up a few
// thousand rows instead of its tens of thousands of cases. All in one round trip.
func Compute(ctx context.Context, db bun.IDB, f Filter, today string) ([]Row, error) {
	return figures(ctx, db, f, today, true)
}

// figures is Compute, with the closed cases counted from table cases only unless rolled.
func figures(ctx context.Context, db bun.IDB, f Filter, today string, rolled bool) ([]Row, error) {
	if _, err := time.Parse(time.DateOnly, today); err != nil {
		return nil, fmt.Errorf("statistics: today %q is not a YYYY-MM-DD date", today)
	}
	open := casesOf(db, f, f.From, f.To).ColumnExpr("c.item_code, c.jurisdiction").
		ColumnExpr("COUNT(*) AS received, 0 AS finished, 0 AS within_promised, 0 AS within_statutory").
		ColumnExpr("SUM(CASE WHEN "+closed.AnyClock(overdue)+" THEN 1 ELSE 0 END) AS overdue_now", today).
		Where("c.closed_at IS NULL")
	parts := []any{open}
	lo, hi, whole := wholeMonths(f)
	if !rolled || !whole {
		lo, hi = time.Time{}, time.Time{}
		parts = append(parts, closedCases(db, f, f.From, f.To))
	} else {
		if !lo.IsZero() {
			parts = append(parts, closedCases(db, f, f.From, lo))
		}
		if !hi.IsZero() {
			parts = append(parts, closedCases(db, f, hi, f.To))
		}
		parts = append(parts, closedMonths(db, f, lo, hi))
	}
	union := "?" + strings.Repeat(" UNION ALL ?", len(parts)-1)
	q := db.NewSelect().TableExpr("("+union+") AS t", parts...).
		ColumnExpr("t.item_code, t.jurisdiction").
		ColumnExpr("SUM(t.received) AS received, SUM(t.finished) AS finished").
		ColumnExpr("SUM(t.within_promised) AS within_promised, SUM(t.within_statutory) AS within_statutory").
		ColumnExpr("SUM(t.overdue_now) AS overdue_now").
		GroupExpr("t.item_code, t.jurisdiction").OrderExpr("t.item_code, t.jurisdiction")

	var rows []Row
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("computing statistics: %w", err)
	}
	for i := range rows {
		rows[i].OnTimeRate = rate(rows[i].WithinStatutory, rows[i].Finished)
	}
	return rows, nil
}

// casesOf selects the cases c of f's scopes and item received in [from, to), grouped by item and
// jurisdiction; a zero time leaves that side open.
func casesOf(db bun.IDB, f Filter, from, to time.Time) *bun.SelectQuery {
	q := db.NewSelect().TableExpr("cases AS c")
	where, args := policies.ScopeFilter("c.jurisdiction", f.Scopes)
	q = q.Where(where, args...)
	if !from.IsZero() {
		q = q.Where("c.created_at >= ?", from.UTC())
	}
	if !to.IsZero() {
		q = q.Where("c.created_at < ?", to.UTC())
	}
	if f.ItemCode != "" {
		q = q.Where("c.item_code = ?", f.ItemCode)
	}
	return q.GroupExpr("c.item_code, c.jurisdiction")
}

// closedCases counts the closed cases of f received in [from, to) from table cases.
func closedCases(db bun.IDB, f Filter, from, to time.Time) *bun.SelectQuery {
	return closed.Figures(casesOf(db, f, from, to).ColumnExpr("c.item_code, c.jurisdiction").
		ColumnExpr("COUNT(*) AS received")).ColumnExpr("0 AS overdue_now")
}

// closedMonths adds up the figures statistics_closed keeps of f's closed cases received in the
// months from lo to hi (exclusive), each the instant a month begins; a zero time leaves that side
// open.
func closedMonths(db bun.IDB, f Filter, lo, hi time.Time) *bun.SelectQuery {
	q := db.NewSelect().TableExpr("statistics_closed AS s").ColumnExpr("s.item_code, s.jurisdiction").
		ColumnExpr("SUM(s.finished) AS received, SUM(s.finished) AS finished").
		ColumnExpr("SUM(s.within_promised) AS within_promised, SUM(s.within_statutory) AS within_statutory").
		ColumnExpr("0 AS overdue_now")
	where, args := policies.ScopeFilter("s.jurisdiction", f.Scopes)
	q = q.Where(where, args...)
	if !lo.IsZero() {
		q = q.Where("s.month >= ?", closed.Month(lo))
	}
	if !hi.IsZero() {
		q = q.Where("s.month < ?", closed.Month(hi))
	}
	if f.ItemCode != "" {
		q = q.Where("s.item_code = ?", f.ItemCode)
	}
	return q.GroupExpr("s.item_code, s.jurisdiction")
}

// wholeMonths returns the whole months (in China) of f's period, from the instant the first begins
// to the instant the one after the last begins, a zero time for an open side; whole is false when
// the period holds no whole month.
func wholeMonths(f Filter) (lo, hi time.Time, whole bool) {
	if !f.From.IsZero() {
		if lo = closed.MonthStart(f.From); lo.Before(f.From) {
			lo = lo.AddDate(0, 1, 0)
		}
	}
	if !f.To.IsZero() {
		hi = closed.MonthStart(f.To)
	}
	return lo, hi, lo.IsZero() || hi.IsZero() || lo.Before(hi)
}

// Total adds up rows into one row without item or jurisdiction, its on-time rate over all of them.
func Total(rows []Row) Row {
	var t Row
	for _, r := range rows {
		t.Received += r.Received
		t.Finished += r.Finished
		t.WithinPromised += r.WithinPromised
		t.WithinStatutory += r.WithinStatutory
		t.OverdueNow += r.OverdueNow
	}
	t.OnTimeRate = rate(t.WithinStatutory, t.Finished)
	return t
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// The orders a statistics table can be shown in besides item and jurisdiction.
const (
	ByOverdue = "overdue" // most cases overdue now first
	ByOnTime  = "on_time" // lowest on-time rate first: where handling is slowest
)

// Arrange keeps only the rows with cases overdue now when overdueOnly is set, and orders them by one
// of ByOverdue and ByOnTime (anything else keeps the order of Compute).
func Arrange(rows []Row, by string, overdueOnly bool) []Row {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		if !overdueOnly || r.OverdueNow > 0 {
			out = append(out, r)
		}
	}
	switch by {
	case ByOverdue:
		slices.SortStableFunc(out, func(a, b Row) int { return b.OverdueNow - a.OverdueNow })
	case ByOnTime:
		slices.SortStableFunc(out, func(a, b Row) int { return cmp.Compare(a.OnTimeRate, b.OnTimeRate) })
	}
	return out
}
