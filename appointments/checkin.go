package appointments

import (
	"context"
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

// severalBookings is the answer to a check-in by an ID number that names several of the day's
// bookings, none of them (or more than one) with exactly the people present.
func severalBookings() error {
	var fe problem.Fields
	fe.Add("code", "several_bookings", "该身份证号出现在当天多个预约中，请输入预约码。",
		"That ID number is on several of today's bookings; enter the confirmation code.")
	return fe.Err()
}

// DaySheet is what an office expects on a day (appointment:read in its jurisdiction; a staff read of
// personal data, audited daysheet.read): its sessions and every booking not cancelled, by time, each
// with the other bookings naming one of its people (SamePerson).
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
	same, err := d.samePerson(ctx, officeID, day, bookings)
	if err != nil {
		return nil, err
	}
	for i, b := range bookings {
		sheet.Lines = append(sheet.Lines, SheetLine{Booking: b, Session: sessionOf(sessions, b.Start), SamePerson: same[i]})
	}
	if err := audit.RecordRead(ctx, d.db, actor, "daysheet.read", "office", strconv.FormatInt(officeID, 10), p.office.Jurisdiction,
		map[string]any{"day": day}); err != nil {
		return nil, err
	}
	return sheet, nil
}

// samePerson counts, for each of the day sheet's bookings, the other bookings naming its booker and
// its partner: the ones still booked anywhere and the ones not cancelled on the same sheet.
func (d *Desk) samePerson(ctx context.Context, officeID int64, day string, sheet []Booking) ([]SamePerson, error) {
	out := make([]SamePerson, len(sheet))
	if len(sheet) == 0 {
		return out, nil
	}
	var numbers []string
	for _, b := range sheet {
		numbers = append(numbers, b.BookerIDNumber, b.PartnerIDNumber)
	}
	var others []Booking
	if err := d.db.NewSelect().Model(&others).Column("id", "booker_id_number", "partner_id_number").
		Where("booker_id_number IN (?) OR partner_id_number IN (?)", bun.List(numbers), bun.List(numbers)).
		Where("status = ? OR office_id = ? AND day = ? AND status <> ?", StatusBooked, officeID, day, StatusCancelled).
		Scan(ctx); err != nil {
		return nil, fmt.Errorf("finding the bookings naming the people of office %d's day sheet: %w", officeID, err)
	}
	named := map[string][]int64{} // ID number → the bookings naming it
	for _, o := range others {
		named[o.BookerIDNumber] = append(named[o.BookerIDNumber], o.ID)
		named[o.PartnerIDNumber] = append(named[o.PartnerIDNumber], o.ID)
	}
	elsewhere := func(number string, id int64) int {
		return len(slices.DeleteFunc(slices.Clone(named[number]), func(o int64) bool { return o == id }))
	}
	for i, b := range sheet {
		out[i] = SamePerson{Booker: elsewhere(b.BookerIDNumber, b.ID), Partner: elsewhere(b.PartnerIDNumber, b.ID)}
	}
	return out, nil
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
// office's jurisdiction). It finds the booking by its code or by one of the ID numbers (see
// findForCheckIn), checks the business asked for (wrong_service) and the people present
// (people_mismatch: exactly the booking's two ID numbers), and then marks it checked in and frees its
// account and verified booker to book again. For a case's
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
	code, idNumber, present, err := readCheckIn(in, today)
	if err != nil {
		return nil, err
	}
	b, err := d.findForCheckIn(ctx, officeID, today, code, idNumber, present)
	if err != nil {
		return nil, err
	}
	if err := b.checkArrival(today, in.Service, present); err != nil {
		return nil, err
	}
	now := d.now()
	checkIn := func(ctx context.Context, tx bun.Tx) error {
		if ok, err := setStatus(ctx, tx, b, StatusCheckedIn, "checked_in_at", now); err != nil {
			return err
		} else if !ok {
			return errNotBooked
		}
		if err := release(ctx, tx, b); err != nil {
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

// readCheckIn checks what the clerk entered for today's check-in and returns the confirmation code
// and the ID number to find the booking by, in capitals, and the ID numbers of the people present,
// once each and sorted.
func readCheckIn(in CheckInInput, today calendar.Date) (code, idNumber string, present []string, err error) {
	var fe problem.Fields
	if in.Day != "" && in.Day != today.String() {
		fe.Add("day", "not_today", "只能为当天的预约签到。", "Only today's appointments can be checked in.")
	}
	code, idNumber = strings.ToUpper(strings.TrimSpace(in.Code)), strings.ToUpper(strings.TrimSpace(in.IDNumber))
	if code == "" && idNumber == "" {
		fe.Add("code", "required", "请输入预约码或身份证号。", "Enter the confirmation code or an ID number.")
	}
	if err := fe.Err(); err != nil {
		return "", "", nil, err
	}
	present = make([]string, 0, len(in.Present))
	for _, n := range in.Present {
		if n = strings.ToUpper(strings.TrimSpace(n)); !slices.Contains(present, n) {
			present = append(present, n)
		}
	}
	slices.Sort(present)
	return code, idNumber, present, nil
}

// checkArrival answers why the booking cannot be checked in today for service ("" for the booked one)
// with the people present (sorted): it is not booked, not today's, for another business, or for
// other people.
func (b *Booking) checkArrival(today calendar.Date, service Service, present []string) error {
	if b.Status != StatusBooked {
		return errNotBooked
	}
	if b.Day != today.String() {
		var fe problem.Fields
		fe.Add("day", "not_today", fmt.Sprintf("该预约的日期是 %s，不是今天。", b.Day), fmt.Sprintf("This appointment is on %s, not today.", b.Day))
		return fe.Err()
	}
	if service != "" && service != b.Service {
		return errWrongService
	}
	if !b.names(present) {
		return errPeopleMismatch
	}
	return nil
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

// names reports whether the booking's two people are exactly people (sorted).
func (b *Booking) names(people []string) bool {
	return slices.Equal(people, sortedPair([]string{b.BookerIDNumber, b.PartnerIDNumber}))
}

// findForCheckIn finds the booking of the office by its code, or today's active booking naming the ID
// number. Since anyone can type anyone's number, several may name it: then the one whose two people
// are those present (sorted) is hers, and without exactly one such the clerk is asked for the code.
func (d *Desk) findForCheckIn(ctx context.Context, officeID int64, today calendar.Date, code, idNumber string, present []string) (*Booking, error) {
	var found []Booking
	q := d.db.NewSelect().Model(&found).Where("office_id = ?", officeID)
	if code != "" {
		q = q.Where("code = ?", code)
	} else {
		q = q.Where("day = ? AND status = ? AND (booker_id_number = ? OR partner_id_number = ?)", today.String(), StatusBooked, idNumber, idNumber)
	}
	if err := q.OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("finding a booking to check in: %w", err)
	}
	if len(found) > 1 {
		found = slices.DeleteFunc(found, func(b Booking) bool { return !b.names(present) })
		if len(found) != 1 {
			return nil, severalBookings()
		}
	}
	if len(found) == 0 {
		return nil, problem.ErrNotFound
	}
	return &found[0], nil
}
