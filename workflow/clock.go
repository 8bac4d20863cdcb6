package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// The statuses of a case's clock.
const (
	ClockRunning = "running"
	ClockPaused  = "paused"
	ClockStopped = "stopped"
)

// The notification templates of the legal clock.
const (
	ReminderTemplate = "clock_reminder"
	OverdueTemplate  = "clock_overdue"
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

// CaseTimer is a durable timer, a row of table timers: Action is taken by the system at DueAt unless
// the case left State before (CancelledAt). FiredAt is set in the transaction that takes the action.
type CaseTimer struct {
	bun.BaseModel `bun:"table:timers,alias:tm"`

	ID          int64      `bun:",pk,autoincrement" json:"id"`
	CaseID      int64      `json:"case_id"`
	State       string     `json:"state"`
	Action      string     `json:"action"`
	DueAt       time.Time  `json:"due_at"`
	CreatedAt   time.Time  `json:"created_at"`
	FiredAt     *time.Time `json:"fired_at,omitempty"`
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
}

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

// WithCalendar replaces the working-day calendar the clocks and timers reckon with (by default
// calendar.New over the engine's database).
func WithCalendar(c *calendar.Calendar) Option { return func(e *Engine) { e.cal = c } }

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
// to its timers and clocks, and records it in changes: it cancels the case's pending timers and
// schedules those of the new state; it starts the clocks the case enters, pauses those whose pause
// states it enters, resumes (or restarts) those it comes back to and stops those it leaves. timerDue
// is when the timer whose action makes the move was due (zero for a person's action): see
// periodStart.
func (e *Engine) moveClocks(ctx context.Context, tx bun.Tx, s *calendar.Schedule, c *Case, item *catalog.Item,
	from, to string, now, timerDue time.Time, changes map[string]any) error {
	today := calendar.DateOf(now)
	day := today.String()
	base, started := periodStart(now, timerDue)

	// Timers exist only for states that have them: leaving another state has none to cancel.
	if slices.ContainsFunc(item.Workflow.Timers, func(t catalog.Timer) bool { return t.State == from }) {
		res, err := tx.NewUpdate().Model((*CaseTimer)(nil)).Set("cancelled_at = ?", now).
			Where("case_id = ? AND fired_at IS NULL AND cancelled_at IS NULL", c.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("cancelling the timers of case %d: %w", c.ID, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changes["timers_cancelled"] = n
		}
	}
	var scheduled []map[string]any
	for _, t := range item.Workflow.Timers {
		if t.State != to {
			continue
		}
		d, err := s.Due(base, t.After.Days, t.After.Unit)
		if err != nil {
			return fmt.Errorf("item %s: timer of %s: %w", item.Code, t.State, err)
		}
		// The period's last day is a whole day: the timer fires when it is over.
		row := &CaseTimer{CaseID: c.ID, State: t.State, Action: t.Action, DueAt: d.AddDays(1).Time().UTC(), CreatedAt: now}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return fmt.Errorf("scheduling timer %s of case %d: %w", t.Action, c.ID, err)
		}
		scheduled = append(scheduled, map[string]any{"action": t.Action, "due_at": row.DueAt.Format(time.RFC3339)})
	}
	if len(scheduled) > 0 {
		changes["timers"] = scheduled
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
		running, paused := slices.Contains(k.States, to), slices.Contains(k.Pauses, to)
		row := active[k.ID]
		note := map[string]any{"clock": k.ID}
		closePause := true
		switch {
		case row == nil && running:
			row = &CaseClock{CaseID: c.ID, Clock: k.ID, Status: ClockRunning, StartedOn: started.String()}
			if row.StatutoryDue, err = due(s, base, k.Statutory); err != nil {
				return err
			}
			if row.PromisedDue, err = due(s, base, k.Promised); err != nil {
				return err
			}
			// A clock started again on the day it stopped takes its row back.
			_, err := tx.NewInsert().Model(row).
				On("CONFLICT (case_id, clock, started_on) DO UPDATE").
				Set("status = EXCLUDED.status, statutory_due = EXCLUDED.statutory_due, promised_due = EXCLUDED.promised_due").
				Set("paused_on = '', stopped_on = '', extended_days = 0").Exec(ctx)
			if err != nil {
				return fmt.Errorf("starting clock %s of case %d: %w", k.ID, c.ID, err)
			}
			note["started"] = row.StartedOn
		case row == nil:
			continue
		case row.Status == ClockRunning && paused:
			row.Status, row.PausedOn = ClockPaused, day
			if _, err := tx.NewInsert().Model(&ClockPause{ClockID: row.ID, State: to, PausedOn: day}).Exec(ctx); err != nil {
				return fmt.Errorf("pausing clock %s of case %d: %w", k.ID, c.ID, err)
			}
			note["paused"] = day
			closePause = false
		case row.Status == ClockPaused && running:
			if err := resume(s, k, row, today); err != nil {
				return err
			}
			note["resumed"] = day
			if k.Restarts {
				note["restarted"] = day
			}
		case !running && !paused:
			row.Status, row.StoppedOn, row.PausedOn = ClockStopped, day, ""
			note["stopped"] = day
		default:
			continue // running on, or from one pause state to another
		}
		if _, ok := note["started"]; !ok {
			if _, err := tx.NewUpdate().Model(row).Column("status", "statutory_due", "promised_due", "paused_on", "stopped_on").
				WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("updating clock %s of case %d: %w", k.ID, c.ID, err)
			}
			if !closePause {
				// the pause just began
			} else if _, err := tx.NewUpdate().Model((*ClockPause)(nil)).Set("resumed_on = ?", day).
				Where("clock_id = ? AND resumed_on = ''", row.ID).Exec(ctx); err != nil {
				return fmt.Errorf("ending the pause of clock %s of case %d: %w", k.ID, c.ID, err)
			}
		}
		note["status"], note["statutory_due"], note["promised_due"] = row.Status, row.StatutoryDue, row.PromisedDue
		moved = append(moved, note)
	}
	if len(moved) > 0 {
		changes["clocks"] = moved
	}
	return nil
}

// resume sets the due dates of a clock coming back from a pause: from today again when the clock
// restarts, else later by the paused days, counted in each limit's unit.
func resume(s *calendar.Schedule, k *catalog.Clock, row *CaseClock, today calendar.Date) error {
	var err error
	if k.Restarts {
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

// MaxExtension bounds the days one extend action adds.
const MaxExtension = 365

// errClockNotRunning is the conflict of an extension of a clock that does not run on the case.
var errClockNotRunning = problem.New(problem.Conflict, "clock_not_running",
	"该办件当前没有可延长的办理时限。", "The time limit to extend is not running on this case.")

// extensionDays reads the days field of an extend action, or reports why it is wrong.
func extensionDays(fields map[string]any, fe *problem.Fields) int {
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
	if n < 1 || n > MaxExtension {
		if slices.ContainsFunc(*fe, func(f problem.Field) bool { return f.Path == "fields.days" }) {
			return 0 // reported by the field's own validation
		}
		fe.Add("fields.days", "out_of_range", fmt.Sprintf("延长天数须在1到%d之间。", MaxExtension),
			fmt.Sprintf("Extend by 1 to %d days.", MaxExtension))
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
	if err := e.db.NewSelect().Model(&pauses).Where("clock_id IN (?)", bun.In(ids)).OrderExpr("id").Scan(ctx); err != nil {
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
	err := e.db.NewSelect().Model(&rows).Where("case_id IN (?)", bun.In(ids)).Where("status <> ?", ClockStopped).
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
			cases[i].Due = &CaseDue{Clock: r.Clock, Status: r.Status, Statutory: r.StatutoryDue, Promised: r.PromisedDue,
				PromisedOverdue:  r.PromisedDue != "" && r.PromisedDue < today,
				StatutoryOverdue: r.StatutoryDue != "" && r.StatutoryDue < today}
		}
	}
	return nil
}

// timerBatch bounds the timers one FireDueTimers call takes.
const timerBatch = 100

// errTimerGone aborts the transaction of a timer another process fired or cancelled first.
var errTimerGone = errors.New("timer already fired or cancelled")

// FireDueTimers takes the actions of the timers due at now, at most a batch per call, and returns
// how many it took. Each timer is claimed (fired_at set) in the same transaction as its action, so
// that of several workers exactly one takes it, and a failure leaves it to fire on a later call. A
// timer whose case has left its state (or whose action is no longer possible) is cancelled instead.
func (e *Engine) FireDueTimers(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	var due []CaseTimer
	err := e.db.NewSelect().Model(&due).Where("fired_at IS NULL AND cancelled_at IS NULL AND due_at <= ?", now).
		OrderExpr("due_at, id").Limit(timerBatch).Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading due timers: %w", err)
	}
	fired := 0
	var errs []error
	for i := range due {
		ok, err := e.fireTimer(ctx, &due[i], now)
		if err != nil {
			errs = append(errs, fmt.Errorf("timer %d (case %d, %s): %w", due[i].ID, due[i].CaseID, due[i].Action, err))
			continue
		}
		if ok {
			fired++
		}
	}
	return fired, errors.Join(errs...)
}

// fireTimer takes the timer's action, unless another process did or the case moved on.
func (e *Engine) fireTimer(ctx context.Context, t *CaseTimer, now time.Time) (bool, error) {
	c, err := loadCase(ctx, e.db, t.CaseID)
	if err != nil {
		return false, err
	}
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return false, err
	}
	a, ok := findAction(item, t.Action, c.State)
	if !ok || c.State != t.State || c.ClosedAt != nil || !slices.Contains(a.By, catalog.System) {
		return false, e.cancelTimer(ctx, t, now)
	}
	holds, err := e.guardHolds(item, a, e.env(audit.System, c, now))
	if err != nil {
		return false, err
	}
	if !holds {
		slog.WarnContext(ctx, "workflow: the guard of a timer's action does not hold; timer cancelled",
			"case", c.ID, "action", a.ID, "timer", t.ID)
		return false, e.cancelTimer(ctx, t, now)
	}
	claim := func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*CaseTimer)(nil)).Set("fired_at = ?", now).
			Where("id = ? AND fired_at IS NULL AND cancelled_at IS NULL", t.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("claiming timer %d: %w", t.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errTimerGone
		}
		return nil
	}
	_, err = e.commitIn(ctx, audit.System, c, item, a, "", &change{fields: map[string]any{}, timerDue: t.DueAt}, now, claim)
	switch {
	case errors.Is(err, errTimerGone):
		return false, nil
	case err != nil:
		if p, ok := problem.As(err); ok && p.Code == "stale_version" {
			return false, nil // the case changed meanwhile: look again on the next call
		}
		return false, err
	}
	return true, nil
}

// cancelTimer marks a timer that can no longer fire.
func (e *Engine) cancelTimer(ctx context.Context, t *CaseTimer, now time.Time) error {
	_, err := e.db.NewUpdate().Model((*CaseTimer)(nil)).Set("cancelled_at = ?", now).
		Where("id = ? AND fired_at IS NULL AND cancelled_at IS NULL", t.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("cancelling timer %d: %w", t.ID, err)
	}
	return nil
}

// clockNotice is a notice a clock is due to send: its kind (unique per clock row, with the due date it
// is about, so that a new due date after a restart or an extension gets its own notices), the
// recipients and the template data.
type clockNotice struct {
	kind       string
	template   string
	recipients []int64
	data       map[string]any
}

// SendClockNotices sends the reminders and escalations due at now on running clocks and returns how
// many notices it sent (one notice may reach several people). Both are opt-in, per clock:
//   - with RemindBefore, a reminder (clock_reminder) once the promised due date is RemindBefore away
//     or less, to everyone holding, in a grant that covers the case's jurisdiction, a role that may
//     act in its state;
//   - with EscalateAfter, once the statutory due date has passed, clock_overdue (level 1) to the
//     approvers of the case's jurisdiction, and once EscalateAfter more has passed, clock_overdue
//     (level 2) to the approvers of the jurisdiction above.
//
// A clock without them is a period the people, not the office, must keep (the divorce cooling-off),
// whose end a timer handles: nothing is overdue for the office.
//
// Each notice is recorded in clock_notices in the transaction that writes its outbox rows, under a
// unique key: it is sent once, whatever the number of workers or calls.
func (e *Engine) SendClockNotices(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	today := calendar.DateOf(now)
	var rows []CaseClock
	err := e.db.NewSelect().Model(&rows).Where("cc.status = ?", ClockRunning).
		Where("EXISTS (SELECT 1 FROM cases AS c WHERE c.id = cc.case_id AND c.closed_at IS NULL)").
		OrderExpr("cc.id").Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading running clocks: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	grants, err := e.enf.AllGrants(ctx)
	if err != nil {
		return 0, err
	}
	schedules := map[string]*calendar.Schedule{}
	sent := 0
	var errs []error
	for i := range rows {
		n, err := e.clockNotices(ctx, &rows[i], today, now, grants, schedules)
		if err != nil {
			errs = append(errs, fmt.Errorf("clock %d of case %d: %w", rows[i].ID, rows[i].CaseID, err))
		}
		sent += n
	}
	return sent, errors.Join(errs...)
}

// clockNotices sends what one running clock is due to send.
func (e *Engine) clockNotices(ctx context.Context, row *CaseClock, today calendar.Date, now time.Time,
	grants []policies.UserGrant, schedules map[string]*calendar.Schedule) (int, error) {
	c, err := loadCase(ctx, e.db, row.CaseID)
	if err != nil {
		return 0, err
	}
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return 0, err
	}
	var k *catalog.Clock
	for i := range item.Workflow.Clocks {
		if item.Workflow.Clocks[i].ID == row.Clock {
			k = &item.Workflow.Clocks[i]
		}
	}
	if k == nil {
		return 0, nil
	}
	s := schedules[c.Jurisdiction]
	if s == nil {
		if s, err = e.cal.For(ctx, c.Jurisdiction); err != nil {
			return 0, err
		}
		schedules[c.Jurisdiction] = s
	}
	// within reports whether to is at most p away from from (negative when to is before from).
	within := func(from, to calendar.Date, p catalog.Period) (bool, int, error) {
		if p.Unit == catalog.WorkingDays {
			n, err := s.WorkingDaysBetween(from, to)
			return n <= p.Days, n, err
		}
		n := to.Sub(from)
		return n <= p.Days, n, nil
	}
	base := noticeData(c, item, nil, "")
	base["clock"], base["clock_name"] = k.ID, nonEmpty(k.Name.ZH, k.ID)
	base["clock_name_en"] = nonEmpty(k.Name.EN, nonEmpty(k.Name.ZH, k.ID))
	base["promised_due"], base["statutory_due"] = row.PromisedDue, row.StatutoryDue
	var notices []clockNotice

	if k.RemindBefore != nil && row.PromisedDue != "" {
		d, err := calendar.ParseDate(row.PromisedDue)
		if err != nil {
			return 0, err
		}
		near, _, err := within(today, d, *k.RemindBefore)
		if err != nil {
			return 0, err
		}
		if near {
			notices = append(notices, clockNotice{kind: "reminder:" + row.PromisedDue, template: ReminderTemplate,
				recipients: actingUsers(grants, item, c), data: base})
		}
	}
	if row.StatutoryDue != "" && k.EscalateAfter != nil {
		d, err := calendar.ParseDate(row.StatutoryDue)
		if err != nil {
			return 0, err
		}
		if today.After(d) {
			data := clone(base)
			data["level"], data["days_overdue"] = 1, today.Sub(d)
			notices = append(notices, clockNotice{kind: "overdue1:" + row.StatutoryDue, template: OverdueTemplate,
				recipients: holders(grants, policies.Approver, c.Jurisdiction, c), data: data})
			parent := jurisdictions.ParentOf(c.Jurisdiction)
			if parent != "" {
				inTime, _, err := within(d, today, *k.EscalateAfter)
				if err != nil {
					return 0, err
				}
				if !inTime {
					data := clone(base)
					data["level"], data["days_overdue"], data["escalated_to"] = 2, today.Sub(d), parent
					notices = append(notices, clockNotice{kind: "overdue2:" + row.StatutoryDue, template: OverdueTemplate,
						recipients: holders(grants, policies.Approver, parent, c), data: data})
				}
			}
		}
	}
	sent := 0
	for _, n := range notices {
		ok, err := e.sendNotice(ctx, row, n, now)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// sendNotice records the notice and writes its outbox rows in one transaction, unless it was sent
// before.
func (e *Engine) sendNotice(ctx context.Context, row *CaseClock, n clockNotice, now time.Time) (bool, error) {
	sent := false
	err := e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw("INSERT INTO clock_notices (clock_id, kind, sent_at) VALUES (?, ?, ?) ON CONFLICT (clock_id, kind) DO NOTHING",
			row.ID, n.kind, now).Exec(ctx)
		if err != nil {
			return fmt.Errorf("recording notice %s: %w", n.kind, err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return nil // sent already
		}
		sent = true
		if len(n.recipients) == 0 {
			slog.WarnContext(ctx, "workflow: nobody to send a clock notice to", "case", row.CaseID, "clock", row.Clock, "kind", n.kind)
		}
		for _, uid := range n.recipients {
			if err := notify.Send(ctx, tx, notify.Message{UserID: uid, Template: n.template, Data: n.data}); err != nil {
				return err
			}
		}
		return nil
	})
	return sent, err
}

// holders lists the users holding role in a grant that covers the jurisdiction, except the parties of
// the case: nobody handles their own case.
func holders(grants []policies.UserGrant, role, jurisdiction string, c *Case) []int64 {
	var out []int64
	for _, g := range grants {
		if g.Role == role && !c.isParty(g.UserID) && policies.Covers(g.Pattern, jurisdiction) && !slices.Contains(out, g.UserID) {
			out = append(out, g.UserID)
		}
	}
	return out
}

// actingUsers lists the staff who may take an action of the case's current state.
func actingUsers(grants []policies.UserGrant, item *catalog.Item, c *Case) []int64 {
	var out []int64
	for _, a := range item.Workflow.Actions {
		if !slices.Contains(a.From, c.State) {
			continue
		}
		for _, by := range a.By {
			if by == catalog.Applicant || by == catalog.System {
				continue
			}
			for _, id := range holders(grants, by, c.Jurisdiction, c) {
				if !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// dueOrder is the SQL expression that sorts cases by the earliest due date of their clocks that are
// not stopped (promised, else statutory), cases without one last.
const dueOrder = "COALESCE((SELECT MIN(COALESCE(NULLIF(cc.promised_due, ''), NULLIF(cc.statutory_due, ''))) " +
	"FROM case_clocks AS cc WHERE cc.case_id = c.id AND cc.status <> 'stopped'), '9999-12-31')"

// overdueCond is the SQL condition of a case with a clock that is not stopped and past a due date.
const overdueCond = "EXISTS (SELECT 1 FROM case_clocks AS cc WHERE cc.case_id = c.id AND cc.status <> 'stopped' " +
	"AND ((cc.promised_due <> '' AND cc.promised_due < ?) OR (cc.statutory_due <> '' AND cc.statutory_due < ?)))"

// RunClock is the worker's periodic work of the legal clock at now: it fires the due timers, then
// sends the due reminders and escalations.
func (e *Engine) RunClock(ctx context.Context, now time.Time) error {
	fired, err1 := e.FireDueTimers(ctx, now)
	sent, err2 := e.SendClockNotices(ctx, now)
	if fired > 0 || sent > 0 {
		slog.InfoContext(ctx, "workflow: legal clock", "timers_fired", fired, "notices_sent", sent)
	}
	return errors.Join(err1, err2)
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
