package appointments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/notify"
)

// RunTimers does the desk's timed work as of now: it marks the no-shows and sends the reminders. The
// worker calls it every CIVICFLOW_CLOCK_INTERVAL.
func (d *Desk) RunTimers(ctx context.Context, now time.Time) error {
	_, errShows := d.MarkNoShows(ctx, now)
	_, errReminders := d.SendReminders(ctx, now)
	return errors.Join(errShows, errReminders)
}

// MarkNoShows marks as missed every booking still booked after the end of the session its slot
// belongs to (in China's time), frees its account and verified booker, tells the booker and counts
// the no-show toward a ban of the account that booked. Each booking is claimed by a conditional UPDATE in its own
// transaction, so that any number of workers mark it once. It returns how many it marked.
func (d *Desk) MarkNoShows(ctx context.Context, now time.Time) (int, error) {
	var due []Booking
	if err := d.db.NewSelect().Model(&due).Where("status = ? AND day <= ?", StatusBooked, calendar.DateOf(now).String()).
		OrderExpr("id").Scan(ctx); err != nil {
		return 0, fmt.Errorf("finding missed bookings: %w", err)
	}
	plans := map[int64]*plan{}
	marked := 0
	for i := range due {
		b := &due[i]
		p, ok := plans[b.OfficeID]
		if !ok {
			var err error
			if p, err = d.loadPlan(ctx, d.db, b.OfficeID); err != nil {
				return marked, err
			}
			plans[b.OfficeID] = p
		}
		if now.Before(sessionEnd(p, b)) {
			continue
		}
		ok, err := d.markNoShow(ctx, p, b, now.UTC().Truncate(time.Microsecond))
		if err != nil {
			return marked, err
		}
		if ok {
			marked++
		}
	}
	if marked > 0 {
		slog.InfoContext(ctx, "appointments: no-shows marked", "count", marked)
	}
	return marked, nil
}

// sessionEnd is when the session of a booking's slot ends on its day; a slot outside the day's
// sessions (they changed since it was booked) ends at its own end.
func sessionEnd(p *plan, b *Booking) time.Time {
	day, err := calendar.ParseDate(b.Day)
	if err != nil {
		return time.Time{}
	}
	_, sessions := p.opening(day)
	if i := sessionOf(sessions, b.Start); i >= 0 {
		return at(day, sessions[i].End)
	}
	return at(day, b.End)
}

func (d *Desk) markNoShow(ctx context.Context, p *plan, b *Booking, now time.Time) (bool, error) {
	var marked bool
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		ok, err := setStatus(ctx, tx, b, StatusNoShow, "no_show_at", now)
		if err != nil || !ok {
			return err
		}
		marked = true
		if err := release(ctx, tx, b); err != nil {
			return err
		}
		if err := record(ctx, tx, audit.System, "booking.no_show", &p.office, b, nil); err != nil {
			return err
		}
		if err := d.send(ctx, tx, b.UserID, "appointment_no_show", &p.office, b, []notify.Channel{notify.Inbox, notify.SMS}, nil); err != nil {
			return err
		}
		// The account's alone (and its verified booker's): anyone can type anyone's ID number, and a
		// stranger must not be banned for appointments they never made.
		return d.countNoShows(ctx, tx, &p.office, b, now)
	})
	return marked && err == nil, err
}

// reminderHour is the hour of the day (China's time) from which the reminders of tomorrow's
// appointments go out: not in the middle of the night.
const reminderHour = 9

// SendReminders sends appointment_reminder (inbox and SMS) for every booking of tomorrow, China's
// date, that has not had one, from reminderHour on. Each booking is claimed by a conditional UPDATE in the transaction that
// writes the notice, so that any number of workers send it once. It returns how many it sent.
func (d *Desk) SendReminders(ctx context.Context, now time.Time) (int, error) {
	if now.In(calendar.Zone).Hour() < reminderHour {
		return 0, nil
	}
	var due []Booking
	tomorrow := calendar.DateOf(now).AddDays(1).String()
	if err := d.db.NewSelect().Model(&due).Where("status = ? AND day = ? AND reminder_sent_at IS NULL", StatusBooked, tomorrow).
		OrderExpr("id").Scan(ctx); err != nil {
		return 0, fmt.Errorf("finding bookings to remind: %w", err)
	}
	sent := 0
	for i := range due {
		b := &due[i]
		o, err := d.Office(ctx, b.OfficeID)
		if err != nil {
			return sent, err
		}
		claimed := false
		err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.NewUpdate().Model((*Booking)(nil)).Set("reminder_sent_at = ?", now.UTC().Truncate(time.Microsecond)).
				Where("id = ? AND status = ? AND day = ? AND reminder_sent_at IS NULL", b.ID, StatusBooked, tomorrow).Exec(ctx)
			if err != nil {
				return fmt.Errorf("claiming the reminder of booking %d: %w", b.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			claimed = true
			return d.send(ctx, tx, b.UserID, "appointment_reminder", o, b, []notify.Channel{notify.Inbox, notify.SMS}, nil)
		})
		if err != nil {
			return sent, err
		}
		if claimed {
			sent++
		}
	}
	return sent, nil
}
