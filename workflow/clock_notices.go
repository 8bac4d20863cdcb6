package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// Reminders and escalations of the legal clock: notices to the staff who may act before a promised
// due date, and to the approvers (then those of the jurisdiction above) once a statutory due date
// has passed, each sent once.

// The notification templates of the legal clock.
const (
	ReminderTemplate = "clock_reminder"
	OverdueTemplate  = "clock_overdue"
)

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
//
// Only the clocks that may have a notice to send are read (dueClocks), and their cases a batch at a
// time: a tick costs a few queries, not two per running clock.
func (e *Engine) SendClockNotices(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	today := calendar.DateOf(now)
	rows, err := e.dueClocks(ctx, today)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	grants, err := e.enf.AllGrants(ctx)
	if err != nil {
		return 0, err
	}
	schedules := map[string]*calendar.Schedule{}
	sent := 0
	var errs []error
	for batch := range slices.Chunk(rows, clockBatch) {
		ids := make([]int64, len(batch))
		for i := range batch {
			ids[i] = batch[i].CaseID
		}
		cases, err := loadCases(ctx, e.db, ids)
		if err != nil {
			return sent, errors.Join(append(errs, err)...)
		}
		for i := range batch {
			row := &batch[i]
			n, err := e.clockNotices(ctx, row, cases[row.CaseID], today, now, grants, schedules)
			if err != nil {
				errs = append(errs, fmt.Errorf("clock %d of case %d: %w", row.ID, row.CaseID, err))
			}
			sent += n
		}
	}
	return sent, errors.Join(errs...)
}

// clockBatch is how many clocks' cases one query reads.
const clockBatch = 500

// dueClocks reads the running clocks of open cases that may have a notice to send today, in order
// of ID: those whose promised due date is near enough for a reminder of any catalogue version
// (reminderHorizon) and whose reminder for it is not recorded, and those past their statutory due
// date without both overdue notices recorded. clockNotices decides, by the clock's definition, what
// each of them sends. Indexes case_clocks_running_promised and case_clocks_status find them.
func (e *Engine) dueClocks(ctx context.Context, today calendar.Date) ([]CaseClock, error) {
	horizon, err := e.reminderHorizon(ctx, today)
	if err != nil {
		return nil, err
	}
	sent := func(kind, due string) string {
		return "EXISTS (SELECT 1 FROM clock_notices AS n WHERE n.clock_id = cc.id AND n.kind = '" + kind + ":' || cc." + due + ")"
	}
	var rows []CaseClock
	err = e.db.NewSelect().Model(&rows).Where("cc.status = ?", ClockRunning).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			if horizon != "" {
				q = q.Where("cc.promised_due <> '' AND cc.promised_due <= ? AND NOT "+sent("reminder", "promised_due"), horizon)
			}
			return q.WhereOr("cc.statutory_due <> '' AND cc.statutory_due < ? AND NOT ("+
				sent("overdue1", "statutory_due")+" AND "+sent("overdue2", "statutory_due")+")", today.String())
		}).
		Where("EXISTS (SELECT 1 FROM cases AS c WHERE c.id = cc.case_id AND c.closed_at IS NULL)").
		OrderExpr("cc.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the running clocks due a notice: %w", err)
	}
	return rows, nil
}

// reminderHorizon is the last promised due date ('YYYY-MM-DD') a reminder may be due for today:
// the longest RemindBefore of the catalogue versions of open cases from today, "" when none has one.
// A period of working days is bounded in calendar days: n working days end within 2n + 31 days, as
// weekends take 2 days of 7 and no run of holidays, national or local, lasts a month.
func (e *Engine) reminderHorizon(ctx context.Context, today calendar.Date) (string, error) {
	var hashes []string
	err := e.db.NewSelect().TableExpr("catalog_versions AS v").Column("v.hash").
		Where("EXISTS (SELECT 1 FROM cases AS c WHERE c.version_hash = v.hash AND c.closed_at IS NULL)").Scan(ctx, &hashes)
	if err != nil {
		return "", fmt.Errorf("listing the catalogue versions of open cases: %w", err)
	}
	days := -1
	for _, hash := range hashes {
		item, err := e.item(ctx, hash)
		if err != nil {
			return "", err
		}
		for _, k := range item.Workflow.Clocks {
			if p := k.RemindBefore; p != nil {
				days = max(days, p.Days)
				if p.Unit == catalog.WorkingDays {
					days = max(days, 2*p.Days+31)
				}
			}
		}
	}
	if days < 0 {
		return "", nil
	}
	return today.AddDays(days).String(), nil
}

// clockNotices sends what one running clock of case c (nil when it was not found) is due to send.
func (e *Engine) clockNotices(ctx context.Context, row *CaseClock, c *Case, today calendar.Date, now time.Time,
	grants []policies.UserGrant, schedules map[string]*calendar.Schedule) (int, error) {
	if c == nil {
		return 0, fmt.Errorf("reading case %d: %w", row.CaseID, problem.ErrNotFound)
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
	base := noticeData(c, item, nil, "")
	base["clock"], base["clock_name"] = k.ID, nonEmpty(k.Name.ZH, k.ID)
	base["clock_name_en"] = nonEmpty(k.Name.EN, nonEmpty(k.Name.ZH, k.ID))
	base["promised_due"], base["statutory_due"] = row.PromisedDue, row.StatutoryDue
	reminders, err := reminder(s, k, row, today, base, grants, item, c)
	if err != nil {
		return 0, err
	}
	escalations, err := overdue(s, k, row, today, base, grants, c)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, n := range append(reminders, escalations...) {
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

// within reports whether to is at most p away from from on s (negative when to is before from).
func within(s *calendar.Schedule, from, to calendar.Date, p catalog.Period) (bool, error) {
	if p.Unit == catalog.WorkingDays {
		n, err := s.WorkingDaysBetween(from, to)
		return n <= p.Days, err
	}
	return to.Sub(from) <= p.Days, nil
}

// reminder is the reminder a clock with RemindBefore is due to send once its promised due date is
// that near, to the staff who may act in the case's state; none otherwise.
func reminder(s *calendar.Schedule, k *catalog.Clock, row *CaseClock, today calendar.Date, data map[string]any,
	grants []policies.UserGrant, item *catalog.Item, c *Case) ([]clockNotice, error) {
	if k.RemindBefore == nil || row.PromisedDue == "" {
		return nil, nil
	}
	d, err := calendar.ParseDate(row.PromisedDue)
	if err != nil {
		return nil, err
	}
	near, err := within(s, today, d, *k.RemindBefore)
	if err != nil || !near {
		return nil, err
	}
	return []clockNotice{{kind: "reminder:" + row.PromisedDue, template: ReminderTemplate,
		recipients: actingUsers(grants, item, c), data: data}}, nil
}

// overdue is what a clock with EscalateAfter is due to send once its statutory due date has passed:
// clock_overdue (level 1) to the approvers of the case's jurisdiction, and once EscalateAfter more
// has passed, clock_overdue (level 2) to those of the jurisdiction above.
func overdue(s *calendar.Schedule, k *catalog.Clock, row *CaseClock, today calendar.Date, base map[string]any,
	grants []policies.UserGrant, c *Case) ([]clockNotice, error) {
	if row.StatutoryDue == "" || k.EscalateAfter == nil {
		return nil, nil
	}
	d, err := calendar.ParseDate(row.StatutoryDue)
	if err != nil || !today.After(d) {
		return nil, err
	}
	data := maps.Clone(base)
	data["level"], data["days_overdue"] = 1, today.Sub(d)
	out := []clockNotice{{kind: "overdue1:" + row.StatutoryDue, template: OverdueTemplate,
		recipients: holders(grants, policies.Approver, c.Jurisdiction, c), data: data}}
	parent := jurisdictions.ParentOf(c.Jurisdiction)
	if parent == "" {
		return out, nil
	}
	inTime, err := within(s, d, today, *k.EscalateAfter)
	if err != nil || inTime {
		return out, err
	}
	data = maps.Clone(base)
	data["level"], data["days_overdue"], data["escalated_to"] = 2, today.Sub(d), parent
	return append(out, clockNotice{kind: "overdue2:" + row.StatutoryDue, template: OverdueTemplate,
		recipients: holders(grants, policies.Approver, parent, c), data: data}), nil
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
