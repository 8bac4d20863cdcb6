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
	"github.com/civicflow/civicflow/problem"
)

// Durable timers: a state's timer is scheduled when a case enters it and cancelled when it leaves;
// the worker fires the due ones, each exactly once, as the system's action. RunClock is the worker's
// periodic run of the whole legal clock.

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

// moveTimers does to the case's timers what its move from state from to state to does, in tx, and
// records it in changes: it cancels the pending timers when the case leaves a state that has timers
// (another state has none to cancel) and schedules those of the state it enters, counted from base.
func moveTimers(ctx context.Context, tx bun.Tx, s *calendar.Schedule, c *Case, item *catalog.Item, from, to string,
	base calendar.Date, now time.Time, changes map[string]any) error {
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
