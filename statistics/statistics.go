// Package statistics counts the work of the service hall per service item and jurisdiction: cases
// received, cases finished, how many of those finished within the promised and within the statutory
// time limit, and how many open cases are past their statutory due date now (product C11).
//
// The figures come from table cases and the legal clocks of table case_clocks. A clock's dates are
// civil dates in China written 'YYYY-MM-DD', which compare correctly as text on both databases.
package statistics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/policies"
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

// The SQL conditions on a clock k that make its case late (it stopped after its promised or
// statutory due date) or overdue now (running past its statutory due date). A clock without that due
// date does not make a case late.
const (
	latePromised  = "k.promised_due <> '' AND k.stopped_on <> '' AND k.stopped_on > k.promised_due"
	lateStatutory = "k.statutory_due <> '' AND k.stopped_on <> '' AND k.stopped_on > k.statutory_due"
	overdue       = "k.status = 'running' AND k.statutory_due <> '' AND k.statutory_due < ?"
)

// Compute counts the cases chosen by f, one row per service item and jurisdiction that received a
// case, ordered by item code and jurisdiction. today ('YYYY-MM-DD', in China) decides what is
// overdue now.
//
// One grouped scan of the cases (index cases_statistics covers it), joined to the few clocks that
// are late or overdue, one row per case (indexes case_clocks_late and case_clocks_status find them):
// no probe of every case's clocks, which cost seconds for a city of a province.
func Compute(ctx context.Context, db bun.IDB, f Filter, today string) ([]Row, error) {
	if _, err := time.Parse(time.DateOnly, today); err != nil {
		return nil, fmt.Errorf("statistics: today %q is not a YYYY-MM-DD date", today)
	}
	flagged := db.NewSelect().TableExpr("case_clocks AS k").Column("k.case_id").
		ColumnExpr("MAX(CASE WHEN "+latePromised+" THEN 1 ELSE 0 END) AS late_promised").
		ColumnExpr("MAX(CASE WHEN "+lateStatutory+" THEN 1 ELSE 0 END) AS late_statutory").
		ColumnExpr("MAX(CASE WHEN "+overdue+" THEN 1 ELSE 0 END) AS overdue", today).
		Where("("+latePromised+") OR ("+lateStatutory+")").WhereOr(overdue, today).
		GroupExpr("k.case_id")
	finished := "c.closed_at IS NOT NULL"
	q := db.NewSelect().TableExpr("cases AS c").
		Join("LEFT JOIN (?) AS k ON k.case_id = c.id", flagged).
		ColumnExpr("c.item_code, c.jurisdiction").
		ColumnExpr("COUNT(*) AS received").
		ColumnExpr("SUM(CASE WHEN " + finished + " THEN 1 ELSE 0 END) AS finished").
		ColumnExpr("SUM(CASE WHEN " + finished + " AND COALESCE(k.late_promised, 0) = 0 THEN 1 ELSE 0 END) AS within_promised").
		ColumnExpr("SUM(CASE WHEN " + finished + " AND COALESCE(k.late_statutory, 0) = 0 THEN 1 ELSE 0 END) AS within_statutory").
		ColumnExpr("SUM(CASE WHEN c.closed_at IS NULL AND k.overdue = 1 THEN 1 ELSE 0 END) AS overdue_now")
	where, args := policies.ScopeFilter("c.jurisdiction", f.Scopes)
	q = q.Where(where, args...)
	if !f.From.IsZero() {
		q = q.Where("c.created_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("c.created_at < ?", f.To.UTC())
	}
	if f.ItemCode != "" {
		q = q.Where("c.item_code = ?", f.ItemCode)
	}
	q = q.GroupExpr("c.item_code, c.jurisdiction").OrderExpr("c.item_code, c.jurisdiction")

	var rows []Row
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("computing statistics: %w", err)
	}
	for i := range rows {
		rows[i].OnTimeRate = rate(rows[i].WithinStatutory, rows[i].Finished)
	}
	return rows, nil
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
