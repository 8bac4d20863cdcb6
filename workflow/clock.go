package workflow

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/problem"
)

// The clocks of a case: the time limits (statutory and promised) that start, pause, resume and stop
// as the case moves between states, and that an extend action lengthens, reckoned in working or
// plain days on the jurisdiction's calendar.

// The statuses of a case's clock.
const (
	ClockRunning = "running"
	ClockPaused  = "paused"
	ClockStopped = "stopped"
)

// CaseClock is one time limit running on a case, a row of table case_clocks. Dates are YYYY-MM-DD in
// China; a due date is "" when the definition gives no such limit.
type CaseClock struct {
	bun.BaseModel `bun:"table:case_clocks,alias:cc"`

	ID           int64  `bun:",pk,autoincrement" json:"id"`
	CaseID       int64  `json:"case_id"`
	Clock        string `json:"clock"`  // the ID of the definition's clock
	Status       string `json:"status"` // running, paused or stopped
	StartedOn    string `json:"started_on"`
	StatutoryDue string `json:"statutory_due"`
	PromisedDue  string `json:"promised_due"`
	PausedOn     string `json:"paused_on,omitempty"`  // while paused
	StoppedOn    string `json:"stopped_on,omitempty"` // once stopped
	ExtendedDays int    `json:"extended_days"`
}

// ClockPause is one stretch of time during which a clock stood still, a row of table case_pauses.
type ClockPause struct {
	bun.BaseModel `bun:"table:case_pauses,alias:cp"`

	ID        int64  `bun:",pk,autoincrement" json:"id"`
	ClockID   int64  `json:"clock_id"`
	State     string `json:"state"` // the state that stopped the clock
	PausedOn  string `json:"paused_on"`
	ResumedOn string `json:"resumed_on,omitempty"` // "" while the pause lasts
}

// needsDates reports whether action a, moving a case of item from one state to another, reckons
// dates: an extension, a timer of the state entered, or a clock starting or coming back from a pause.
// Only then is the jurisdiction's calendar read; most transitions (acceptance to review, say) keep
// their clock running and need no dates.
func needsDates(item *catalog.Item, a *catalog.Action, from, to string) bool {
	if a.Kind == catalog.KindExtend {
		return true
	}
	if from == to {
		return false
	}
	for _, t := range item.Workflow.Timers {
		if t.State == to {
			return true
		}
	}
	for _, k := range item.Workflow.Clocks {
		if slices.Contains(k.States, to) && !slices.Contains(k.States, from) {
			return true
		}
	}
	return false
}

// clocksChange reports whether a move from one state to another starts, pauses, resumes or stops a
// clock of item, so that the case's clocks must be read.
func clocksChange(item *catalog.Item, from, to string) bool {
	for _, k := range item.Workflow.Clocks {
		if slices.Contains(k.States, from) != slices.Contains(k.States, to) ||
			slices.Contains(k.Pauses, from) != slices.Contains(k.Pauses, to) {
			return true
		}
	}
	return false
}

// schedule reads the jurisdiction's calendar, outside any transaction (on SQLite a read on another
// connection while a transaction holds the write lock could wait behind it).
func (e *Engine) schedule(ctx context.Context, item *catalog.Item, jurisdiction string) (*calendar.Schedule, error) {
	s, err := e.cal.For(ctx, jurisdiction)
	if err != nil {
		return nil, fmt.Errorf("reading the calendar of %s: %w", jurisdiction, err)
	}
	return s, nil
}

// due reckons a period from day; "" for a limit the definition does not give.
func due(s *calendar.Schedule, day calendar.Date, p catalog.Period) (string, error) {
	if p.Days <= 0 || p.Unit == "" {
		return "", nil
	}
	d, err := s.Due(day, p.Days, p.Unit)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

// shift moves a due date n days later in unit: working days counted on, or plain days and then the
// next working day (民法典 art. 203).
func shift(s *calendar.Schedule, dueOn string, n int, unit string) (string, error) {
	if dueOn == "" || n == 0 {
		return dueOn, nil
	}
	d, err := calendar.ParseDate(dueOn)
	if err != nil {
		return "", err
	}
	if unit == catalog.WorkingDays {
		d, err = s.AddWorkingDays(d, n)
		if err != nil {
			return "", err
		}
		return d.String(), nil
	}
	return s.NextWorkingDay(d.AddDays(n)).String(), nil
}

// activeClocks reads the case's clocks that are not stopped, by clock ID.
func activeClocks(ctx context.Context, db bun.IDB, caseID int64) (map[string]*CaseClock, error) {
	var rows []CaseClock
	err := db.NewSelect().Model(&rows).Where("case_id = ?", caseID).Where("status <> ?", ClockStopped).OrderExpr("id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the clocks of case %d: %w", caseID, err)
	}
	out := map[string]*CaseClock{}
	for i := range rows {
		if out[rows[i].Clock] == nil {
			out[rows[i].Clock] = &rows[i]
		}
	}
	return out, nil
}

// periodStart returns the day from which the periods of the clocks and timers a move starts are
// counted (that day not counted, 民法典 art. 201) and the day the clocks are recorded as started on.
// A person acts during a day: both are that day. A timer (timerDue not zero) acts at the very start
// of the day it was due, the first day after the period it ended, and that day counts: the next
// period runs on from the last day of the one before without a gap (the divorce confirmation window
// after the cooling-off), however late a worker took the action.
func periodStart(now, timerDue time.Time) (base, started calendar.Date) {
	if timerDue.IsZero() {
		today := calendar.DateOf(now)
		return today, today
	}
	started = calendar.DateOf(timerDue)
	return started.AddDays(-1), started
}

// moveClocks does, in tx, what the case's move from state from ("" at the start) to state to does
// to its timers and clocks, and records it in changes: see moveTimers for the timers; of the clocks,
// it starts those the case enters, pauses those whose pause states it enters, resumes (or restarts)
// those it comes back to and stops those it leaves. timerDue is when the timer whose action makes the
// move was due (zero for a person's action): see periodStart.
func (e *Engine) moveClocks(ctx context.Context, tx bun.Tx, s *calendar.Schedule, c *Case, item *catalog.Item,
	from, to string, now, timerDue time.Time, changes map[string]any) error {
	base, started := periodStart(now, timerDue)
	return e.moveClocksFrom(ctx, tx, s, c, item, from, to, now, base, started, changes)
}

// moveClocksFrom is moveClocks with the day the periods count from (base) and the day the clocks
// started given: an application entered by staff counts from its day of receipt.
func (e *Engine) moveClocksFrom(ctx context.Context, tx bun.Tx, s *calendar.Schedule, c *Case, item *catalog.Item,
	from, to string, now time.Time, base, started calendar.Date, changes map[string]any) error {
	if err := moveTimers(ctx, tx, s, c, item, from, to, base, now, changes); err != nil {
		return err
	}
	if !clocksChange(item, from, to) {
		return nil
	}
	active, err := activeClocks(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	var moved []map[string]any
	for i := range item.Workflow.Clocks {
		k := &item.Workflow.Clocks[i]
		note, err := moveClock(ctx, tx, s, c, k, active[k.ID], from, to, calendar.DateOf(now), base, started)
		if err != nil {
			return err
		}
		if note != nil {
			moved = append(moved, note)
		}
	}
	if len(moved) > 0 {
		changes["clocks"] = moved
	}
	return nil
}

// moveClock does to clock k of the case, whose row is nil when it does not run, what entering state
// to does to it on today, and returns what the event records of it: nil when the clock is not
// concerned (not running, running on, or moving from one pause state to another).
func moveClock(ctx context.Context, tx bun.Tx, s *calendar.Schedule, c *Case, k *catalog.Clock, row *CaseClock,
	from, to string, today, base, started calendar.Date) (map[string]any, error) {
	running, paused := slices.Contains(k.States, to), slices.Contains(k.Pauses, to)
	day := today.String()
	note := map[string]any{"clock": k.ID}
	var err error
	switch {
	case row == nil && running:
		if row, err = startClock(ctx, tx, s, c, k, base, started); err != nil {
			return nil, err
		}
		note["started"] = row.StartedOn
	case row == nil:
		return nil, nil
	case row.Status == ClockRunning && paused:
		row.Status, row.PausedOn = ClockPaused, day
		if _, err := tx.NewInsert().Model(&ClockPause{ClockID: row.ID, State: to, PausedOn: day}).Exec(ctx); err != nil {
			return nil, fmt.Errorf("pausing clock %s of case %d: %w", k.ID, c.ID, err)
		}
		err = saveClock(ctx, tx, c, row, "")
		note["paused"] = day
	case row.Status == ClockPaused && running:
		restarts := k.RestartsOn(from)
		if err := resume(s, k, row, today, restarts); err != nil {
			return nil, err
		}
		err = saveClock(ctx, tx, c, row, day)
		note["resumed"] = day
		if restarts {
			note["restarted"] = day
		}
	case !running && !paused:
		ends := "" // only a paused clock has a pause to end
		if row.Status == ClockPaused {
			ends = day
		}
		row.Status, row.StoppedOn, row.PausedOn = ClockStopped, day, ""
		err = saveClock(ctx, tx, c, row, ends)
		note["stopped"] = day
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	note["status"], note["statutory_due"], note["promised_due"] = row.Status, row.StatutoryDue, row.PromisedDue
	return note, nil
}

// startClock inserts a running row of clock k on the case, started on started with its periods
// counted from base. A clock started again on the day it stopped takes its row back.
func startClock(ctx context.Context, tx bun.Tx, s *calendar.Schedule, c *Case, k *catalog.Clock,
	base, started calendar.Date) (*CaseClock, error) {
	row := &CaseClock{CaseID: c.ID, Clock: k.ID, Status: ClockRunning, StartedOn: started.String()}
	var err error
	if row.StatutoryDue, err = due(s, base, k.Statutory); err != nil {
		return nil, err
	}
	if row.PromisedDue, err = due(s, base, k.Promised); err != nil {
		return nil, err
	}
	_, err = tx.NewInsert().Model(row).
		On("CONFLICT (case_id, clock, started_on) DO UPDATE").
		Set("status = EXCLUDED.status, statutory_due = EXCLUDED.statutory_due, promised_due = EXCLUDED.promised_due").
		Set("paused_on = '', stopped_on = '', extended_days = 0").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting clock %s of case %d: %w", k.ID, c.ID, err)
	}
	return row, nil
}

// saveClock writes the clock row's status and due dates and, unless pauseEnds is "" (a pause just
// began, or the clock was running), ends on that day the pause the clock was in.
func saveClock(ctx context.Context, tx bun.Tx, c *Case, row *CaseClock, pauseEnds string) error {
	_, err := tx.NewUpdate().Model(row).Column("status", "statutory_due", "promised_due", "paused_on", "stopped_on").
		WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("updating clock %s of case %d: %w", row.Clock, c.ID, err)
	}
	if pauseEnds == "" {
		return nil
	}
	_, err = tx.NewUpdate().Model((*ClockPause)(nil)).Set("resumed_on = ?", pauseEnds).
		Where("clock_id = ? AND resumed_on = ''", row.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("ending the pause of clock %s of case %d: %w", row.Clock, c.ID, err)
	}
	return nil
}

// resume sets the due dates of a clock coming back from a pause: from today again when the clock
// restarts after it, else later by the paused days, counted in each limit's unit.
func resume(s *calendar.Schedule, k *catalog.Clock, row *CaseClock, today calendar.Date, restarts bool) error {
	var err error
	if restarts {
		if row.StatutoryDue, err = due(s, today, k.Statutory); err != nil {
			return err
		}
		row.PromisedDue, err = due(s, today, k.Promised)
		row.Status, row.PausedOn = ClockRunning, ""
		return err
	}
	pausedOn, err := calendar.ParseDate(row.PausedOn)
	if err != nil {
		return fmt.Errorf("clock %d: paused on %w", row.ID, err)
	}
	working, err := s.WorkingDaysBetween(pausedOn, today)
	if err != nil {
		return err
	}
	plain := today.Sub(pausedOn)
	for _, lim := range []struct {
		due *string
		p   catalog.Period
	}{{&row.StatutoryDue, k.Statutory}, {&row.PromisedDue, k.Promised}} {
		n := plain
		if lim.p.Unit == catalog.WorkingDays {
			n = working
		}
		if *lim.due, err = shift(s, *lim.due, n, lim.p.Unit); err != nil {
			return err
		}
	}
	row.Status, row.PausedOn = ClockRunning, ""
	return nil
}

// MaxExtension bounds the days one extend action adds, unless its max_days is lower.
const MaxExtension = catalog.MaxExtensionDays

// errExtensionsUsed is the conflict of an extension beyond the times its action may be taken.
var errExtensionsUsed = problem.New(problem.Conflict, "extensions_used",
	"该办件的期限已经延长过，不能再次延长。", "The time limit of this case has already been extended as often as it may be.")

// errClockNotRunning is the conflict of an extension of a clock that does not run on the case.
var errClockNotRunning = problem.New(problem.Conflict, "clock_not_running",
	"该办件当前没有可延长的办理时限。", "The time limit to extend is not running on this case.")

// extensionDays reads the days field of an extend action, from 1 to max, or reports why it is wrong.
func extensionDays(fields map[string]any, max int, fe *problem.Fields) int {
	var n int
	switch v := fields["days"].(type) {
	case int:
		n = v
	case int64:
		n = int(v)
	case float64:
		n = int(v)
		if float64(n) != v {
			n = 0
		}
	}
	if n < 1 || n > max {
		if hasPath(*fe, "fields.days") {
			return 0 // reported by the field's own validation
		}
		fe.Add("fields.days", "out_of_range", fmt.Sprintf("延长天数须在1到%d之间。", max),
			fmt.Sprintf("Extend by 1 to %d days.", max))
		return 0
	}
	return n
}

// extendClock adds days to the due dates of the clock the extend action names, in tx.
func (e *Engine) extendClock(ctx context.Context, tx bun.Tx, s *calendar.Schedule, c *Case, item *catalog.Item,
	a *catalog.Action, days int, reason string, changes map[string]any) error {
	var k *catalog.Clock
	for i := range item.Workflow.Clocks {
		if item.Workflow.Clocks[i].ID == a.Clock {
			k = &item.Workflow.Clocks[i]
		}
	}
	if k == nil || s == nil {
		return fmt.Errorf("item %s action %s: no clock %q", item.Code, a.ID, a.Clock)
	}
	if a.Times > 0 {
		n, err := tx.NewSelect().Model((*Event)(nil)).Where("case_id = ? AND action = ?", c.ID, a.ID).Count(ctx)
		if err != nil {
			return fmt.Errorf("counting the extensions of case %d: %w", c.ID, err)
		}
		if int(n) >= a.Times {
			return errExtensionsUsed
		}
	}
	active, err := activeClocks(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	row := active[k.ID]
	if row == nil {
		return errClockNotRunning
	}
	if row.StatutoryDue, err = shift(s, row.StatutoryDue, days, k.Statutory.Unit); err != nil {
		return err
	}
	if row.PromisedDue, err = shift(s, row.PromisedDue, days, k.Promised.Unit); err != nil {
		return err
	}
	row.ExtendedDays += days
	if _, err := tx.NewUpdate().Model(row).Column("statutory_due", "promised_due", "extended_days").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("extending clock %s of case %d: %w", k.ID, c.ID, err)
	}
	changes["extension"] = map[string]any{"clock": k.ID, "days": days, "reason": reason,
		"statutory_due": row.StatutoryDue, "promised_due": row.PromisedDue, "extended_days": row.ExtendedDays}
	return nil
}
