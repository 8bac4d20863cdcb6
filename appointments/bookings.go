package appointments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
)

var errTooLate = problem.New(problem.Conflict, "too_late_to_change", "距预约日期太近，已不能取消或改期。",
	"It is too close to the appointment to cancel or move it.")

// loadBooking reads a booking; one that does not exist is problem.ErrNotFound.
func (d *Desk) loadBooking(ctx context.Context, db bun.IDB, id int64) (*Booking, error) {
	b := new(Booking)
	err := db.NewSelect().Model(b).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading booking %d: %w", id, err)
	}
	return b, nil
}

// ownBooking reads a booking of the actor's; anyone else's is problem.ErrNotFound.
func (d *Desk) ownBooking(ctx context.Context, actor audit.Actor, id int64) (*Booking, error) {
	b, err := d.loadBooking(ctx, d.db, id)
	if err != nil {
		return nil, err
	}
	if actor.UserID <= 0 || b.UserID != actor.UserID {
		return nil, problem.ErrNotFound
	}
	return b, nil
}

// Booking returns a booking to its owner, or to staff with appointment:read in the office's
// jurisdiction (a staff read of personal data, audited booking.read); to anyone else it is
// problem.ErrNotFound.
func (d *Desk) Booking(ctx context.Context, actor audit.Actor, id int64) (*Booking, error) {
	b, err := d.loadBooking(ctx, d.db, id)
	if err != nil {
		return nil, err
	}
	if actor.UserID > 0 && b.UserID == actor.UserID {
		return b, nil
	}
	o, err := d.Office(ctx, b.OfficeID)
	if err != nil {
		return nil, err
	}
	if !d.allowed(actor, o.Jurisdiction, "appointment", "read") {
		return nil, problem.ErrNotFound
	}
	if err := audit.RecordRead(ctx, d.db, actor, "booking.read", "booking", strconv.FormatInt(b.ID, 10), o.Jurisdiction, nil); err != nil {
		return nil, err
	}
	return b, nil
}

// MyBookings lists the actor's bookings, newest first.
func (d *Desk) MyBookings(ctx context.Context, actor audit.Actor) ([]Booking, error) {
	out := []Booking{}
	if actor.UserID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	if err := d.db.NewSelect().Model(&out).Where("user_id = ?", actor.UserID).OrderExpr("created_at DESC, id DESC").
		Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the bookings of user %d: %w", actor.UserID, err)
	}
	return out, nil
}

// ChangeDeadline is the last day on which a booking for day may still be cancelled or moved under
// the rules ("" for a day that is no date).
func ChangeDeadline(r Rules, day string) string {
	d, err := calendar.ParseDate(day)
	if err != nil {
		return ""
	}
	return d.AddDays(-r.ChangeCutoffDays).String()
}

// Changeable reports whether the booking can still be cancelled or moved today under the rules of
// its office: it is booked and its change deadline has not passed.
func (d *Desk) Changeable(b *Booking, r Rules) bool {
	return b.Status == StatusBooked && checkCutoff(r, d.Today(), b.Day) == nil
}

// checkCutoff answers too_late_to_change once today is past the change deadline of day.
func checkCutoff(r Rules, today calendar.Date, day string) error {
	if last := ChangeDeadline(r, day); last == "" || today.String() > last {
		return errTooLate
	}
	return nil
}

// Move moves the actor's booking to another time of the same office and service: the cut-off holds
// for the booked day and the new one, and the new time must be one the booking could be made for.
// One transaction frees the old seat and takes the new one.
func (d *Desk) Move(ctx context.Context, actor audit.Actor, id int64, day, start string) (*Booking, error) {
	b, err := d.ownBooking(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if b.Status != StatusBooked {
		return nil, errNotBooked
	}
	p, err := d.loadPlan(ctx, d.db, b.OfficeID)
	if err != nil {
		return nil, err
	}
	today := d.Today()
	if err := checkCutoff(p.office.Rules, today, b.Day); err != nil {
		return nil, err
	}
	in := BookingInput{OfficeID: b.OfficeID, Service: b.Service, Day: day, Start: start, BookerName: b.BookerName,
		BookerIDNumber: b.BookerIDNumber, PartnerName: b.PartnerName, PartnerIDNumber: b.PartnerIDNumber, Phone: b.Phone}
	if b.CaseID != nil {
		in.CaseID = *b.CaseID
	}
	in.normalise()
	moved, _, err := d.checkBooking(ctx, d.db, actor, p, &in)
	if err != nil {
		return nil, err
	}
	if err := checkCutoff(p.office.Rules, today, moved.Day); err != nil {
		return nil, err
	}
	old := b.slot()
	if moved.Day != b.Day {
		b.ReminderSentAt = nil // a reminder for the new day is due
	}
	b.Day, b.Start, b.End, b.UpdatedAt = moved.Day, moved.Start, moved.End, d.now()
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Compare with the booking as read, so that of two moves at once only one applies.
		res, err := tx.NewUpdate().Model(b).Column("day", "start", "end_time", "updated_at", "reminder_sent_at").
			Where("id = ? AND status = ? AND day = ? AND start = ?", b.ID, StatusBooked, old.day, old.start).Exec(ctx)
		if err != nil {
			return fmt.Errorf("moving booking %d: %w", b.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNotBooked
		}
		if err := moveSeat(ctx, tx, old, b.slot(), p.office.Capacity[b.Service]); err != nil {
			return err
		}
		if err := record(ctx, tx, actor, "booking.move", &p.office, b, map[string]any{"from_day": old.day, "from_start": old.start}); err != nil {
			return err
		}
		return d.send(ctx, tx, b.UserID, "appointment_moved", &p.office, b, []notify.Channel{notify.Inbox, notify.SMS}, nil)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// moveSeat frees the seat of slot from and takes one of slot to, touching the two counters in key
// order, so that two moves in opposite directions at once cannot deadlock.
func moveSeat(ctx context.Context, tx bun.Tx, from, to slotKey, capacity int) error {
	if to.less(from) {
		if err := takeSeat(ctx, tx, to, capacity); err != nil {
			return err
		}
		return freeSeat(ctx, tx, from)
	}
	if err := freeSeat(ctx, tx, from); err != nil {
		return err
	}
	return takeSeat(ctx, tx, to, capacity)
}

// Cancel cancels the actor's booking up to the office's cut-off: the seat, the account and its
// verified booker are free again, and the cancellation counts toward a booking ban of the account.
func (d *Desk) Cancel(ctx context.Context, actor audit.Actor, id int64) (*Booking, error) {
	b, err := d.ownBooking(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if b.Status != StatusBooked {
		return nil, errNotBooked
	}
	o, err := d.Office(ctx, b.OfficeID)
	if err != nil {
		return nil, err
	}
	now := d.now()
	if err := checkCutoff(o.Rules, calendar.DateOf(now), b.Day); err != nil {
		return nil, err
	}
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if ok, err := setStatus(ctx, tx, b, StatusCancelled, "cancelled_at", now); err != nil {
			return err
		} else if !ok {
			return errNotBooked
		}
		if err := release(ctx, tx, b); err != nil {
			return err
		}
		if err := freeSeat(ctx, tx, b.slot()); err != nil {
			return err
		}
		if err := record(ctx, tx, actor, "booking.cancel", o, b, nil); err != nil {
			return err
		}
		if err := d.send(ctx, tx, b.UserID, "appointment_cancelled", o, b, []notify.Channel{notify.Inbox, notify.SMS}, nil); err != nil {
			return err
		}
		return d.countCancellations(ctx, tx, o, b, now)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// setStatus moves a booked booking to status, stamping column with now, and reports whether it was
// still booked: of several transactions (or workers) doing so at once exactly one succeeds.
func setStatus(ctx context.Context, tx bun.IDB, b *Booking, status, column string, now time.Time) (bool, error) {
	res, err := tx.NewUpdate().Model((*Booking)(nil)).Set("status = ?", status).Set("? = ?", bun.Ident(column), now).
		Set("updated_at = ?", now).Where("id = ? AND status = ?", b.ID, StatusBooked).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("setting booking %d %s: %w", b.ID, status, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	b.Status, b.UpdatedAt = status, now
	switch column {
	case "cancelled_at":
		b.CancelledAt = &now
	case "checked_in_at":
		b.CheckedInAt = &now
	case "no_show_at":
		b.NoShowAt = &now
	}
	return true, nil
}

// BanOf returns the ban in force on the actor, or nil: on the account, or on the verified person the
// account is bound to (a ban she earned from another account of hers).
func (d *Desk) BanOf(ctx context.Context, actor audit.Actor) (*Ban, error) {
	if actor.UserID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	bound, err := accounts.IDNumberOf(ctx, d.db, actor.UserID)
	if err != nil {
		return nil, err
	}
	var numbers []string
	if bound != "" {
		numbers = append(numbers, bound)
	}
	bans, err := activeBans(ctx, d.db, d.Today(), actor.UserID, numbers...)
	if err != nil || len(bans) == 0 {
		return nil, err
	}
	return &bans[0], nil
}

// countCancellations bans the account of b when its cancellations reach the office's rules: in
// LookbackDays (reason cancellations) or in ShortLookbackDays (recent_cancellations). Only
// cancellations since the account's last ban count, so that the ones that led to it do not ban again.
func (d *Desk) countCancellations(ctx context.Context, tx bun.IDB, o *Office, b *Booking, now time.Time) error {
	r := o.Rules
	for _, limit := range []struct {
		reason string
		count  int
		days   int
	}{{"cancellations", r.CancelLimit, r.LookbackDays}, {"recent_cancellations", r.ShortCancelLimit, r.ShortLookbackDays}} {
		since, err := countSince(ctx, tx, b.UserID, now.AddDate(0, 0, -limit.days))
		if err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*Booking)(nil)).
			Where("user_id = ? AND status = ? AND cancelled_at > ?", b.UserID, StatusCancelled, since).Count(ctx)
		if err != nil {
			return fmt.Errorf("counting cancellations: %w", err)
		}
		if int(n) >= limit.count {
			return d.ban(ctx, tx, o, b, limit.reason, int(n), now)
		}
	}
	return nil
}

// countNoShows bans the account of b once its missed bookings reach the office's NoShowLimit within
// LookbackDays since its last ban.
func (d *Desk) countNoShows(ctx context.Context, tx bun.IDB, o *Office, b *Booking, now time.Time) error {
	since, err := countSince(ctx, tx, b.UserID, now.AddDate(0, 0, -o.Rules.LookbackDays))
	if err != nil {
		return err
	}
	n, err := tx.NewSelect().Model((*Booking)(nil)).
		Where("user_id = ? AND status = ? AND no_show_at > ?", b.UserID, StatusNoShow, since).
		Count(ctx)
	if err != nil {
		return fmt.Errorf("counting no-shows: %w", err)
	}
	if int(n) >= o.Rules.NoShowLimit {
		return d.ban(ctx, tx, o, b, "no_shows", int(n), now)
	}
	return nil
}

// countSince returns the start of the counting period: from, or the creation of the account's last
// ban when that is later.
func countSince(ctx context.Context, tx bun.IDB, userID int64, from time.Time) (time.Time, error) {
	var last []time.Time
	if err := tx.NewSelect().Model((*Ban)(nil)).Column("created_at").Where("user_id = ?", userID).
		OrderExpr("created_at DESC").Limit(1).Scan(ctx, &last); err != nil {
		return time.Time{}, fmt.Errorf("reading the last ban: %w", err)
	}
	if len(last) > 0 && last[0].After(from) {
		return last[0], nil
	}
	return from, nil
}

// ban stops the account that made booking from booking for the office's BanDays days, today the
// first of them (so Until is today + BanDays - 1), unless a ban of the account is in force already,
// and tells it. When the account is verified for the booking's booker, the ban is that person's too:
// she cannot escape it with another account. A number the account merely typed is never banned, so
// that nobody gets a stranger banned by missing appointments in her name.
func (d *Desk) ban(ctx context.Context, tx bun.IDB, o *Office, booking *Booking, reason string, count int, now time.Time) error {
	today := calendar.DateOf(now)
	if bans, err := activeBans(ctx, tx, today, booking.UserID); err != nil || len(bans) > 0 {
		return err
	}
	bound, err := accounts.IDNumberOf(ctx, tx, booking.UserID)
	if err != nil {
		return err
	}
	b := &Ban{UserID: booking.UserID, Reason: reason, Count: count, Until: today.AddDays(o.Rules.BanDays - 1).String(), CreatedAt: now}
	if bound == booking.BookerIDNumber {
		b.IDNumber = bound
	}
	if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
		return fmt.Errorf("inserting a booking ban: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.System, "booking.ban", "user", strconv.FormatInt(booking.UserID, 10), o.Jurisdiction,
		map[string]any{"reason": reason, "count": count, "until": b.Until}); err != nil {
		return err
	}
	r := banReasons[reason]
	return d.send(ctx, tx, booking.UserID, "appointment_banned", o, nil, nil, map[string]any{"until": b.Until,
		"reason_text": lang.Text{ZH: fmt.Sprintf("%s（%d次）", r.ZH, count), EN: fmt.Sprintf("%s (%d)", r.EN, count)}})
}
