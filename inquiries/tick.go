package inquiries

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
)

// The worker's notices about open inquiries, as the legal clock sends them for cases
// (workflow/clock_notices.go).
const (
	// RemindBefore is how many working days before the due date the handlers are reminded.
	RemindBefore = 2
	// EscalateAfter is how many working days after the due date an inquiry still open is escalated
	// to the approvers of the jurisdiction above.
	EscalateAfter = 5
)

// The notification templates of the worker.
const (
	ReminderTemplate = "inquiry_reminder"
	OverdueTemplate  = "inquiry_overdue"
)

// notice is one notice an open inquiry is due to send: its kind (unique per inquiry), the recipients
// and the template data.
type notice struct {
	kind       string
	template   string
	recipients []int64
	data       map[string]any
}

// Tick sends the reminders and escalations due at now on open inquiries and returns how many it
// sent: a reminder (inquiry_reminder) once the due date is RemindBefore working days away or less,
// to the staff who reply to inquiries in the jurisdiction; once the due date has passed,
// inquiry_overdue (level 1) to the approvers of the jurisdiction, and once EscalateAfter more working
// days have passed, inquiry_overdue (level 2) to the approvers of the jurisdiction above. Each notice
// is recorded in inquiry_notices in the transaction that writes its outbox rows, under a unique key:
// it is sent once, whatever the number of workers or calls.
func (o *Office) Tick(ctx context.Context, now time.Time) (int, error) {
	today := calendar.DateOf(now)
	var open []Inquiry
	// The inquiries not yet sent everything they may send: level 2 is the last.
	err := o.db.NewSelect().Model(&open).Where("iq.status = ?", StatusOpen).
		Where("NOT EXISTS (SELECT 1 FROM inquiry_notices AS n WHERE n.inquiry_id = iq.id AND n.kind = ?)", "overdue2").
		OrderExpr("iq.id").Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading open inquiries: %w", err)
	}
	if len(open) == 0 {
		return 0, nil
	}
	grants, err := o.auth.AllGrants(ctx)
	if err != nil {
		return 0, err
	}
	schedules := map[string]*calendar.Schedule{}
	sent := 0
	var errs []error
	for i := range open {
		q := &open[i]
		s := schedules[q.Jurisdiction]
		if s == nil {
			if s, err = o.cal.For(ctx, q.Jurisdiction); err != nil {
				errs = append(errs, fmt.Errorf("inquiry %s: %w", q.Number, err))
				continue
			}
			schedules[q.Jurisdiction] = s
		}
		due, err := notices(o, s, q, today, grants)
		if err != nil {
			errs = append(errs, fmt.Errorf("inquiry %s: %w", q.Number, err))
			continue
		}
		for _, n := range due {
			ok, err := o.send(ctx, q, n, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("inquiry %s, notice %s: %w", q.Number, n.kind, err))
				break
			}
			if ok {
				sent++
			}
		}
	}
	return sent, errors.Join(errs...)
}

// notices are the notices q is due to send at today.
func notices(o *Office, s *calendar.Schedule, q *Inquiry, today calendar.Date, grants []policies.UserGrant) ([]notice, error) {
	d, err := calendar.ParseDate(q.DueOn)
	if err != nil {
		return nil, err
	}
	base := q.noticeData()
	base["due_on"], base["jurisdiction"], base["path"] = q.DueOn, q.Jurisdiction, fmt.Sprintf("/admin/inquiries/%d", q.ID)
	left, err := s.WorkingDaysBetween(today, d)
	if err != nil {
		return nil, err
	}
	var out []notice
	if left <= RemindBefore {
		out = append(out, notice{kind: "reminder", template: ReminderTemplate, data: base,
			recipients: holders(grants, q.Jurisdiction, func(g policies.UserGrant) bool {
				return o.MayReply(g.UserID, q.Jurisdiction)
			})})
	}
	if !today.After(d) {
		return out, nil
	}
	approvers := func(j string) []int64 {
		return holders(grants, j, func(g policies.UserGrant) bool { return g.Role == policies.Approver })
	}
	data := clone(base)
	data["level"], data["days_overdue"] = 1, today.Sub(d)
	out = append(out, notice{kind: "overdue1", template: OverdueTemplate, data: data, recipients: approvers(q.Jurisdiction)})
	parent := jurisdictions.ParentOf(q.Jurisdiction)
	if parent == "" || -left <= EscalateAfter {
		return out, nil
	}
	data = clone(base)
	data["level"], data["days_overdue"], data["escalated_to"] = 2, today.Sub(d), parent
	return append(out, notice{kind: "overdue2", template: OverdueTemplate, data: data, recipients: approvers(parent)}), nil
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+3)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// holders lists, once each, the users with a grant covering the jurisdiction for which ok holds,
// except the asker: nobody handles their own inquiry.
func holders(grants []policies.UserGrant, jurisdiction string, ok func(policies.UserGrant) bool) []int64 {
	var out []int64
	for _, g := range grants {
		if policies.Covers(g.Pattern, jurisdiction) && ok(g) && !slices.Contains(out, g.UserID) {
			out = append(out, g.UserID)
		}
	}
	slices.Sort(out)
	return out
}

// send records the notice and writes its outbox rows in one transaction, unless it was sent before.
func (o *Office) send(ctx context.Context, q *Inquiry, n notice, now time.Time) (bool, error) {
	sent := false
	err := o.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw("INSERT INTO inquiry_notices (inquiry_id, kind, sent_at) VALUES (?, ?, ?) ON CONFLICT (inquiry_id, kind) DO NOTHING",
			q.ID, n.kind, now.UTC().Truncate(time.Microsecond)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("recording notice %s: %w", n.kind, err)
		}
		if k, err := res.RowsAffected(); err != nil || k != 1 {
			return err // sent already
		}
		sent = true
		if len(n.recipients) == 0 {
			slog.WarnContext(ctx, "inquiries: nobody to send a notice to", "inquiry", q.Number, "kind", n.kind)
		}
		for _, uid := range n.recipients {
			if q.UserID != nil && *q.UserID == uid {
				continue
			}
			if err := notify.Send(ctx, tx, notify.Message{UserID: uid, Template: n.template, Data: n.data}); err != nil {
				return err
			}
		}
		return nil
	})
	return sent, err
}
