package ratings

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/jurisdictions"
)

// The notification templates of rectifications.
const (
	templateOpened   = "rating_rectification_opened"
	templateReminder = "rating_rectification_reminder"
	templateOverdue  = "rating_rectification_overdue"
)

// taskData is what the notices about a task say: the rating's level and subject, the case number or
// booking code, the dates and the task's page.
func taskData(t *Rectification, r *Rating, label string) map[string]any {
	return map[string]any{"level": r.Level, "level_name": levelNames[r.Level].ZH, "level_name_en": levelNames[r.Level].EN,
		"subject": r.Subject, "label": label, "jurisdiction": t.Jurisdiction, "opened_on": t.OpenedOn, "due_on": t.DueOn,
		"path": "/admin/ratings/" + strconv.FormatInt(t.ID, 10)}
}

// Tick sends the reminders and escalations of open rectifications due at now, each once, and returns
// how many tasks it sent one for:
//   - a reminder (rating_rectification_reminder) to the holders of rating:rectify in the task's
//     jurisdiction once its due date is remindDays working days away or less;
//   - once the due date has passed, rating_rectification_overdue to them and to those of the
//     jurisdiction above (督办).
//
// Each is claimed by a conditional UPDATE (reminded_at, escalated_at) in the transaction that
// writes its outbox rows: several workers running it at once send each notice once.
func Tick(ctx context.Context, db *bun.DB, auth Authorizer, at time.Time, remindDays int) (int, error) {
	at = now(at)
	today := calendar.DateOf(at)
	var tasks []Rectification
	err := db.NewSelect().Model(&tasks).Relation("Rating").Where("rr.stage <> ?", StageClosed).
		Where("rr.escalated_at IS NULL OR (rr.reminded_at IS NULL AND rr.due_on >= ?)", today.String()).
		OrderExpr("rr.due_on, rr.id").Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading open rectifications: %w", err)
	}
	schedules := map[string]*calendar.Schedule{}
	sent := 0
	var errs []error
	for i := range tasks {
		n, err := tick(ctx, db, auth, &tasks[i], today, at, remindDays, schedules)
		if err != nil {
			errs = append(errs, fmt.Errorf("rectification %d: %w", tasks[i].ID, err))
		}
		sent += n
	}
	return sent, errors.Join(errs...)
}

// tick sends what one open task is due to send.
func tick(ctx context.Context, db *bun.DB, auth Authorizer, t *Rectification, today calendar.Date, at time.Time, remindDays int,
	schedules map[string]*calendar.Schedule) (int, error) {
	due, err := calendar.ParseDate(t.DueOn)
	if err != nil {
		return 0, err
	}
	sent := 0
	if today.After(due) {
		if t.EscalatedAt != nil {
			return 0, nil
		}
		recipients, err := Handlers(ctx, auth, t.Jurisdiction, t.Rating.RaterID)
		if err != nil {
			return 0, err
		}
		if parent := jurisdictions.ParentOf(t.Jurisdiction); parent != "" {
			above, err := Handlers(ctx, auth, parent, t.Rating.RaterID)
			if err != nil {
				return 0, err
			}
			for _, u := range above {
				if !slices.Contains(recipients, u) {
					recipients = append(recipients, u)
				}
			}
		}
		ok, err := claim(ctx, db, t, "escalated_at", at, recipients, templateOverdue, today.Sub(due))
		if ok {
			sent++
		}
		return sent, err
	}
	if t.RemindedAt != nil {
		return 0, nil
	}
	s := schedules[t.Jurisdiction]
	if s == nil {
		if s, err = calendar.New(db).For(ctx, t.Jurisdiction); err != nil {
			return 0, err
		}
		schedules[t.Jurisdiction] = s
	}
	left, err := s.WorkingDaysBetween(today, due)
	if err != nil || left > remindDays {
		return 0, err
	}
	recipients, err := Handlers(ctx, auth, t.Jurisdiction, t.Rating.RaterID)
	if err != nil {
		return 0, err
	}
	ok, err := claim(ctx, db, t, "reminded_at", at, recipients, templateReminder, left)
	if ok {
		sent++
	}
	return sent, err
}

// claim marks the task's notice sent (column from NULL to at) and writes its outbox rows, in one
// transaction; false when another worker claimed it first or the task closed meanwhile.
func claim(ctx context.Context, db *bun.DB, t *Rectification, column string, at time.Time, recipients []int64, template string, days int) (bool, error) {
	sent := false
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*Rectification)(nil)).Set("? = ?", bun.Ident(column), at).
			Where("id = ? AND ? IS NULL AND stage <> ?", t.ID, bun.Ident(column), StageClosed).Exec(ctx)
		if err != nil {
			return fmt.Errorf("claiming the %s of rectification %d: %w", template, t.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return err
		}
		sent = true
		if len(recipients) == 0 {
			slog.WarnContext(ctx, "ratings: nobody holds rating:rectify to notify", "rectification", t.ID, "jurisdiction", t.Jurisdiction, "template", template)
		}
		l, err := label(ctx, tx, t.Rating)
		if err != nil {
			return err
		}
		data := taskData(t, t.Rating, l)
		data["days"] = days
		return tell(ctx, tx, recipients, template, data)
	})
	return sent, err
}
