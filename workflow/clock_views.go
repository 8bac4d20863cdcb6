package workflow

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/lang"
)

// What pages, lists and callers read of a case's clocks: each clock with its pauses and overdue
// flags, the due dates lists show and sort by, and one clock's dates for a booking window.

// ClockView is a clock of a case as pages show it: the row, the definition's name and every pause.
type ClockView struct {
	CaseClock
	Name   lang.Text    `json:"name"`
	Pauses []ClockPause `json:"pauses"`
	// Overdue flags, as of the moment the view was read.
	PromisedOverdue  bool `json:"promised_overdue"`
	StatutoryOverdue bool `json:"statutory_overdue"`
}

// CaseDue is what lists show of a case's time limits: its clock that is not stopped (running or
// paused), if it has one.
type CaseDue struct {
	Clock            string `json:"clock"`
	Status           string `json:"status"` // running or paused
	Statutory        string `json:"statutory"`
	Promised         string `json:"promised"`
	PromisedOverdue  bool   `json:"promised_overdue"`
	StatutoryOverdue bool   `json:"statutory_overdue"`
}

// dueOrder is the SQL expression that sorts cases by the earliest due date of their clocks that are
// not stopped (promised, else statutory), cases without one last.
const dueOrder = "COALESCE((SELECT MIN(COALESCE(NULLIF(cc.promised_due, ''), NULLIF(cc.statutory_due, ''))) " +
	"FROM case_clocks AS cc WHERE cc.case_id = c.id AND cc.status <> 'stopped'), '9999-12-31')"

// overdueCond is the SQL condition of a case with a clock that is not stopped and past a due date.
const overdueCond = "EXISTS (SELECT 1 FROM case_clocks AS cc WHERE cc.case_id = c.id AND cc.status <> 'stopped' " +
	"AND ((cc.promised_due <> '' AND cc.promised_due < ?) OR (cc.statutory_due <> '' AND cc.statutory_due < ?)))"

// clockViews reads the clocks of the case with their pauses, oldest first.
func (e *Engine) clockViews(ctx context.Context, c *Case, item *catalog.Item) ([]ClockView, error) {
	var rows []CaseClock
	if err := e.db.NewSelect().Model(&rows).Where("case_id = ?", c.ID).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the clocks of case %d: %w", c.ID, err)
	}
	out := make([]ClockView, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	for i := range rows {
		ids[i] = rows[i].ID
	}
	var pauses []ClockPause
	if err := e.db.NewSelect().Model(&pauses).Where("clock_id IN (?)", bun.List(ids)).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the pauses of case %d: %w", c.ID, err)
	}
	today := calendar.DateOf(e.now()).String()
	for _, r := range rows {
		v := ClockView{CaseClock: r, Name: lang.Text{ZH: r.Clock, EN: r.Clock}, Pauses: []ClockPause{}}
		for _, k := range item.Workflow.Clocks {
			if k.ID == r.Clock {
				v.Name = k.Name
			}
		}
		for _, p := range pauses {
			if p.ClockID == r.ID {
				v.Pauses = append(v.Pauses, p)
			}
		}
		if r.Status != ClockStopped {
			v.PromisedOverdue = r.PromisedDue != "" && r.PromisedDue < today
			v.StatutoryOverdue = r.StatutoryDue != "" && r.StatutoryDue < today
		}
		out = append(out, v)
	}
	return out, nil
}

// fillDue sets Due on each case that has a clock not stopped.
func (e *Engine) fillDue(ctx context.Context, cases []Case) error {
	if len(cases) == 0 {
		return nil
	}
	ids := make([]int64, len(cases))
	for i := range cases {
		ids[i] = cases[i].ID
	}
	var rows []CaseClock
	err := e.db.NewSelect().Model(&rows).Where("case_id IN (?)", bun.List(ids)).Where("status <> ?", ClockStopped).
		OrderExpr("id").Scan(ctx)
	if err != nil {
		return fmt.Errorf("reading the clocks of %d cases: %w", len(ids), err)
	}
	today := calendar.DateOf(e.now()).String()
	by := map[int64]*CaseClock{}
	for i := range rows {
		if by[rows[i].CaseID] == nil {
			by[rows[i].CaseID] = &rows[i]
		}
	}
	for i := range cases {
		if r := by[cases[i].ID]; r != nil {
			cases[i].Due = newCaseDue(r.Clock, r.Status, r.StatutoryDue, r.PromisedDue, today)
		}
	}
	return nil
}

// dueColumn selects with each case of a list the clock fillDue finds (the first not stopped) as one
// text column, "clock status statutory promised" (clock ids, statuses and dates hold no space; a
// date may be empty), which dueOf reads: the list and its due dates in one statement. PostgreSQL
// evaluates it only for the rows the list keeps, after its sort and limit.
const dueColumn = "(SELECT cc.clock || ' ' || cc.status || ' ' || cc.statutory_due || ' ' || cc.promised_due " +
	"FROM case_clocks AS cc WHERE cc.case_id = c.id AND cc.status <> 'stopped' ORDER BY cc.id LIMIT 1) AS due"

// dueOf reads a case's dueColumn as of today: nil when the case has no clock that is not stopped.
func dueOf(column, today string) *CaseDue {
	f := strings.Split(column, " ")
	if len(f) != 4 {
		return nil
	}
	return newCaseDue(f[0], f[1], f[2], f[3], today)
}

// newCaseDue is what a list shows of a clock with its due dates, overdue as of today (YYYY-MM-DD).
func newCaseDue(clock, status, statutory, promised, today string) *CaseDue {
	return &CaseDue{Clock: clock, Status: status, Statutory: statutory, Promised: promised,
		PromisedOverdue: promised != "" && promised < today, StatutoryOverdue: statutory != "" && statutory < today}
}

// Clock returns the latest row of the clock clockID (a clock ID of the case's definition) on the
// case, nil when it never ran there: for a caller that must know a window's dates, such as the
// booking of the divorce confirmation (from StartedOn to StatutoryDue). It checks no permission: the
// caller has.
func (e *Engine) Clock(ctx context.Context, caseID int64, clockID string) (*CaseClock, error) {
	var rows []CaseClock
	err := e.db.NewSelect().Model(&rows).Where("case_id = ? AND clock = ?", caseID, clockID).OrderExpr("id DESC").Limit(1).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading clock %s of case %d: %w", clockID, caseID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}
