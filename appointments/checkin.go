package appointments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/problem"
)

var (
	errWrongService = problem.New(problem.Conflict, "wrong_service", "所办业务与预约的业务不符，请重新预约。",
		"The business asked for is not the one booked; book it separately.")
	errPeopleMismatch = problem.New(problem.Conflict, "people_mismatch", "到场人员与预约人员不符，须预约的双方本人到场。",
		"The people at the window are not the two people of the booking; both must come in person.")
)

// DaySheet is what an office expects on a day (appointment:read in its jurisdiction; a staff read of
// personal data, audited daysheet.read): its sessions and every booking not cancelled, by time.
func (d *Desk) DaySheet(ctx context.Context, actor audit.Actor, officeID int64, day string) (*DaySheet, error) {
	p, err := d.loadPlan(ctx, d.db, officeID)
	if err != nil {
		return nil, err
	}
	if !d.allowed(actor, p.office.Jurisdiction, "appointment", "read") {
		return nil, problem.ErrForbidden
	}
	date, err := calendar.ParseDate(day)
	if err != nil {
		var fe problem.Fields
		fe.Add("day", "invalid_date", "请按 YYYY-MM-DD 填写日期。", "Write the date as YYYY-MM-DD.")
		return nil, fe.Err()
	}
	sheet := &DaySheet{Office: p.office, Day: day, Sessions: []Session{}, Lines: []SheetLine{}}
	var sessions []Session
	sheet.Open, sessions = p.opening(date)
	if sessions != nil {
		sheet.Sessions = sessions
	}
	var bookings []Booking
	if err := d.db.NewSelect().Model(&bookings).Where("office_id = ? AND day = ? AND status <> ?", officeID, day, StatusCancelled).
		OrderExpr("start, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the day sheet of office %d: %w", officeID, err)
	}
	for _, b := range bookings {
		sheet.Lines = append(sheet.Lines, SheetLine{Booking: b, Session: sessionOf(sessions, b.Start)})
	}
	if err := audit.RecordRead(ctx, d.db, actor, "daysheet.read", "office", strconv.FormatInt(officeID, 10), p.office.Jurisdiction,
		map[string]any{"day": day}); err != nil {
		return nil, err
	}
	return sheet, nil
}

// sessionOf returns the index of the session a slot starting at start belongs to, or -1.
func sessionOf(sessions []Session, start string) int {
	for i, s := range sessions {
		if s.Start <= start && start < s.End {
			return i
		}
	}
	return -1
}

// CheckIn checks the people of a booking in at the office's window today (appointment:checkin in the
// office's jurisdiction). It finds the booking by its code or by one of the ID numbers, checks the
// business asked for (wrong_service) and the people present (people_mismatch: exactly the booking's
// two ID numbers), and then marks it checked in and frees both people to book again. For a case's
// confirmation booking the item's appearance action is taken on the case, as the clerk, in the same
// transaction.
func (d *Desk) CheckIn(ctx context.Context, actor audit.Actor, officeID int64, in CheckInInput) (*Booking, error) {
	o, err := d.Office(ctx, officeID)
	if err != nil {
		return nil, err
	}
	if !d.allowed(actor, o.Jurisdiction, "appointment", "checkin") {
		return nil, problem.ErrForbidden
	}
	today := d.Today()
	var fe problem.Fields
	if in.Day != "" && in.Day != today.String() {
		fe.Add("day", "not_today", "只能为当天的预约签到。", "Only today's appointments can be checked in.")
	}
	code, idNumber := strings.ToUpper(strings.TrimSpace(in.Code)), strings.ToUpper(strings.TrimSpace(in.IDNumber))
	if code == "" && idNumber == "" {
		fe.Add("code", "required", "请输入预约码或身份证号。", "Enter the confirmation code or an ID number.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	b, err := d.findForCheckIn(ctx, officeID, today, code, idNumber)
	if err != nil {
		return nil, err
	}
	if b.Status != StatusBooked {
		return nil, errNotBooked
	}
	if b.Day != today.String() {
		var fe problem.Fields
		fe.Add("day", "not_today", fmt.Sprintf("该预约的日期是 %s，不是今天。", b.Day), fmt.Sprintf("This appointment is on %s, not today.", b.Day))
		return nil, fe.Err()
	}
	if in.Service != "" && in.Service != b.Service {
		return nil, errWrongService
	}
	present := make([]string, 0, len(in.Present))
	for _, n := range in.Present {
		if n = strings.ToUpper(strings.TrimSpace(n)); !slices.Contains(present, n) {
			present = append(present, n)
		}
	}
	slices.Sort(present)
	if !slices.Equal(present, sortedPair([]string{b.BookerIDNumber, b.PartnerIDNumber})) {
		return nil, errPeopleMismatch
	}
	now := d.now()
	checkIn := func(ctx context.Context, tx bun.Tx) error {
		if ok, err := setStatus(ctx, tx, b, StatusCheckedIn, "checked_in_at", now); err != nil {
			return err
		} else if !ok {
			return errNotBooked
		}
		if err := releasePeople(ctx, tx, b); err != nil {
			return err
		}
		if err := bindBooker(ctx, tx, b); err != nil {
			return err
		}
		return record(ctx, tx, actor, "booking.checkin", o, b, nil)
	}
	if b.CaseID != nil {
		err = d.takeAppearance(ctx, actor, *b.CaseID, checkIn)
	} else {
		err = d.db.RunInTx(ctx, nil, checkIn)
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// bindBooker binds the booker's ID number to the account that booked, now that a clerk has seen the
// ID card, unless another account holds the number already (the same person's other account). Only
// numbers bound this way make an account a party to the cases opened from bookings naming it, so
// that nobody joins a stranger's case by typing the stranger's number first.
func bindBooker(ctx context.Context, tx bun.IDB, b *Booking) error {
	if _, taken, err := accounts.UserByIDNumber(ctx, tx, b.BookerIDNumber); err != nil || taken {
		return err
	}
	return accounts.BindIDNumber(ctx, tx, b.UserID, b.BookerIDNumber)
}

// findForCheckIn finds the booking of the office by its code, or today's active booking naming the ID
// number.
func (d *Desk) findForCheckIn(ctx context.Context, officeID int64, today calendar.Date, code, idNumber string) (*Booking, error) {
	b := new(Booking)
	q := d.db.NewSelect().Model(b).Where("office_id = ?", officeID)
	if code != "" {
		q = q.Where("code = ?", code)
	} else {
		q = q.Where("day = ? AND status = ? AND (booker_id_number = ? OR partner_id_number = ?)", today.String(), StatusBooked, idNumber, idNumber)
	}
	err := q.Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("finding a booking to check in: %w", err)
	}
	return b, nil
}
