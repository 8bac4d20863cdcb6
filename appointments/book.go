package appointments

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
)

// Legal marriage ages (民法典 art. 1047), reached on the day of registration.
const (
	marriageAgeMen   = 22
	marriageAgeWomen = 20
)

var mobilePattern = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

// The conflicts of booking.
var (
	errSlotFull      = problem.New(problem.Conflict, "slot_full", "该时段已约满。", "This time is fully booked.")
	errAlreadyBooked = problem.New(problem.Conflict, "already_booked", "您已有一个尚未办理的预约，请先取消或办理该预约。",
		"You already have an active appointment; cancel it or attend it first.")
	// bookerUnavailable is the answer, on booker_id_number, to an account not verified for the
	// booker's ID number when that number is a verified person's (bound to another account) or under
	// her ban: she books only from her own account. It says nothing of who holds the number, nor why.
	bookerUnavailable = problem.Field{Path: "booker_id_number", Code: "booker_unavailable",
		Message: problem.Text{ZH: "该身份证号目前不能由本账户预约，请由本人预约。",
			EN: "This ID number cannot be booked from this account; the person must book herself."}}
	// partnerUnavailable is the answer, on partner_id_number, to naming as partner a verified person
	// under a ban: it says no more about the partner, whom anyone can name, than that they cannot be
	// booked now, not why nor until when. A verified partner not under a ban may be named by anyone.
	partnerUnavailable = problem.Field{Path: "partner_id_number", Code: "partner_unavailable",
		Message: problem.Text{ZH: "另一方当事人目前不能预约，请与其本人确认。", EN: "The partner cannot be booked at present; check with them."}}
)

// dailyLimitProblem is the answer to an account that made the office's limit of bookings today.
func dailyLimitProblem(limit int) error {
	p := problem.New(problem.Conflict, "daily_limit", fmt.Sprintf("您今天已预约%d次，达到每日上限，请明天再预约。", limit),
		fmt.Sprintf("You have made %d bookings today, the most allowed in a day; book again tomorrow.", limit))
	p.Detail = map[string]any{"limit": limit}
	return p
}

// normalise trims the input and writes ID numbers with a capital X.
func (in *BookingInput) normalise() {
	in.Day, in.Start = strings.TrimSpace(in.Day), strings.TrimSpace(in.Start)
	in.BookerName, in.PartnerName = strings.TrimSpace(in.BookerName), strings.TrimSpace(in.PartnerName)
	in.BookerIDNumber = strings.ToUpper(strings.TrimSpace(in.BookerIDNumber))
	in.PartnerIDNumber = strings.ToUpper(strings.TrimSpace(in.PartnerIDNumber))
	in.Phone = strings.TrimSpace(in.Phone)
}

// person checks one person's name and ID number (path prefix "booker" or "partner") and returns what
// the number tells, or false when it is wrong.
func person(fe *problem.Fields, prefix, name, idNumber string, today calendar.Date) (forms.IDInfo, bool) {
	if n := utf8.RuneCountInString(name); n < 1 || n > 50 || !forms.OneLine(name) {
		fe.Add(prefix+"_name", "invalid_name", "请填写姓名（1至50个字，一行）。", "Enter the name (1 to 50 characters, one line).")
	}
	path := prefix + "_id_number"
	info, err := forms.ParseIDCard(idNumber)
	switch {
	case errors.Is(err, forms.ErrIDCheck):
		fe.Add(path, "invalid_id_check", "身份证号校验位不正确，请核对。", "The check character of the ID number is wrong; check the number.")
	case errors.Is(err, forms.ErrIDBirthDate):
		fe.Add(path, "invalid_id_birth_date", "身份证号中的出生日期不存在。", "The birth date in the ID number does not exist.")
	case err != nil:
		fe.Add(path, "invalid_id", "请填写18位居民身份证号码。", "Enter the 18-character resident ID number.")
	case calendar.DateOf(info.BirthDate).After(today):
		fe.Add(path, "invalid_id_birth_date", "身份证号中的出生日期在今天之后。", "The birth date in the ID number is in the future.")
	default:
		return info, true
	}
	return forms.IDInfo{}, false
}

// checkPeople adds the errors of the booking's two people and their phone: names, ID numbers, two
// distinct people and, for a marriage, a man and a woman both of legal age on day.
func checkPeople(fe *problem.Fields, in *BookingInput, day calendar.Date, today calendar.Date) {
	booker, okBooker := person(fe, "booker", in.BookerName, in.BookerIDNumber, today)
	partner, okPartner := person(fe, "partner", in.PartnerName, in.PartnerIDNumber, today)
	if okBooker && okPartner && in.BookerIDNumber == in.PartnerIDNumber {
		fe.Add("partner_id_number", "same_person", "双方不能是同一人。", "The two people must be different people.")
		okPartner = false
	}
	if !mobilePattern.MatchString(in.Phone) {
		fe.Add("phone", "invalid_phone", "请填写 11 位手机号码。", "Enter an 11-digit mainland mobile number.")
	}
	if in.Service != Marriage || !okBooker || !okPartner {
		return
	}
	if booker.Sex == partner.Sex {
		fe.Add("partner_id_number", "same_sex", "结婚登记须为一男一女（民法典第一千零四十九条）。",
			"Marriage registration is for a man and a woman (Civil Code art. 1049).")
	}
	if !day.IsZero() {
		for _, p := range []struct {
			path string
			info forms.IDInfo
		}{{"booker_id_number", booker}, {"partner_id_number", partner}} {
			age := marriageAgeWomen
			if p.info.Sex == "male" {
				age = marriageAgeMen
			}
			if forms.Age(p.info.BirthDate, day.Time()) < age {
				reached := calendar.DateOf(p.info.BirthDate.AddDate(age, 0, 0))
				fe.Add(p.path, "under_age", fmt.Sprintf("预约当天未达法定婚龄（男22周岁、女20周岁），最早可预约 %s。", reached),
					fmt.Sprintf("Below the legal age of marriage (men 22, women 20) on that day; the earliest day is %s.", reached))
			}
		}
	}
}

// checkTime adds the errors of a booking's day and start: a date of the window w the office opens on,
// and one of that day's slots. It returns the slot when both are right.
func checkTime(fe *problem.Fields, p *plan, day, start string, w window) (calendar.Date, timedSlot, bool) {
	date, err := calendar.ParseDate(day)
	if err != nil {
		fe.Add("day", "invalid_date", "请按 YYYY-MM-DD 填写日期。", "Write the date as YYYY-MM-DD.")
		return calendar.Date{}, timedSlot{}, false
	}
	if !w.contains(date) {
		fe.Add("day", "outside_window", fmt.Sprintf("只能预约 %s 至 %s 之间的日期。", w.from, w.to),
			fmt.Sprintf("You can book a day from %s to %s.", w.from, w.to))
		return date, timedSlot{}, false
	}
	open, sessions := p.opening(date)
	if !open {
		fe.Add("day", "office_closed", "登记处当天不办公。", "The office is closed that day.")
		return date, timedSlot{}, false
	}
	slot, ok := slotAt(cut(sessions, p.office.SlotMinutes), start)
	if !ok {
		fe.Add("start", "no_such_slot", "请选择当天的一个预约时段。", "Choose one of the day's times.")
		return date, timedSlot{}, false
	}
	return date, slot, true
}

// activeBans returns the bans in force on today on the account or on any of the (verified people's)
// ID numbers, the longest first.
func activeBans(ctx context.Context, db bun.IDB, today calendar.Date, userID int64, idNumbers ...string) ([]Ban, error) {
	var bans []Ban
	q := db.NewSelect().Model(&bans).Where("until >= ?", today.String()).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("user_id = ?", userID)
		if len(idNumbers) > 0 {
			q = q.WhereOr("id_number IN (?)", bun.List(idNumbers))
		}
		return q
	})
	if err := q.OrderExpr("until DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading booking bans: %w", err)
	}
	return bans, nil
}

// refuseBanned answers a booking by the account userID for in when one of bans stands in its way:
// the account's own ban, or its verified booker's, with its reason and end (banned); the ban of a
// verified person typed by another account as booker (booker_unavailable) or as partner
// (partner_unavailable), field errors without a word about someone else's ban.
func refuseBanned(bans []Ban, userID int64, in *BookingInput, verified bool) error {
	for i := range bans {
		if bans[i].UserID == userID || verified && bans[i].IDNumber == in.BookerIDNumber {
			return bannedProblem(&bans[i])
		}
	}
	var fe problem.Fields
	for _, b := range bans {
		switch {
		case b.IDNumber == in.BookerIDNumber && !slices.Contains(fe, bookerUnavailable):
			fe = append(fe, bookerUnavailable)
		case b.IDNumber == in.PartnerIDNumber && !slices.Contains(fe, partnerUnavailable):
			fe = append(fe, partnerUnavailable)
		}
	}
	return fe.Err()
}

// banReasons are the reasons of a ban in both languages.
var banReasons = map[string]lang.Text{
	"no_shows":             {ZH: "预约后多次未到场", EN: "repeated missed appointments"},
	"cancellations":        {ZH: "多次取消预约", EN: "repeated cancellations"},
	"recent_cancellations": {ZH: "短期内多次取消预约", EN: "repeated cancellations within a short time"},
}

// bannedProblem is the answer to a booking by or for someone under a ban.
func bannedProblem(b *Ban) error {
	r := banReasons[b.Reason]
	p := problem.New(problem.Conflict, "banned",
		fmt.Sprintf("因%s（%d次），预约资格暂停至 %s（含）。", r.ZH, b.Count, b.Until),
		fmt.Sprintf("Because of %s (%d), booking is suspended until %s (inclusive).", r.EN, b.Count, b.Until))
	p.Detail = map[string]any{"until": b.Until, "reason": b.Reason, "count": b.Count}
	return p
}

// claim records that the booking's account, and its booker when the account is verified for the
// booker's ID number, hold the active booking b (inserted already, so that the rows name it): of
// requests racing for the same account or person, exactly one inserts each row (its primary key
// decides; on PostgreSQL the others wait for it and then find it), and all others get
// already_booked. The partner's number, which anyone can type, claims nothing.
func claim(ctx context.Context, tx bun.Tx, b *Booking, verified bool) error {
	if err := claimRow(ctx, tx, "INSERT INTO active_accounts (user_id, booking_id) VALUES (?, ?) ON CONFLICT DO NOTHING", b.UserID, b.ID); err != nil {
		return err
	}
	if verified {
		return claimRow(ctx, tx, "INSERT INTO active_people (id_number, booking_id) VALUES (?, ?) ON CONFLICT DO NOTHING", b.BookerIDNumber, b.ID)
	}
	return nil
}

// claimRow runs one claim's INSERT … ON CONFLICT DO NOTHING: already_booked when the row was there.
func claimRow(ctx context.Context, tx bun.Tx, insert string, key any, bookingID int64) error {
	res, err := tx.ExecContext(ctx, insert, key, bookingID)
	if err != nil {
		return fmt.Errorf("claiming an active booking: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errAlreadyBooked
	}
	return nil
}

// release frees the booking's account and, if it claimed it, its booker to book again. An account or
// person may still hold another active booking made before one active booking was the rule
// (migration 20261206000003 kept those and claimed the earliest): the claim then passes to the
// earliest other one, so that nobody books again while a booking of theirs is still active.
func release(ctx context.Context, tx bun.IDB, b *Booking) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM active_accounts WHERE user_id = ? AND booking_id = ?", b.UserID, b.ID); err != nil {
		return fmt.Errorf("releasing the account of booking %d: %w", b.ID, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO active_accounts (user_id, booking_id)
		SELECT user_id, MIN(id) FROM bookings WHERE user_id = ? AND status = ? GROUP BY user_id
		ON CONFLICT DO NOTHING`, b.UserID, StatusBooked); err != nil {
		return fmt.Errorf("passing the account's claim on from booking %d: %w", b.ID, err)
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM active_people WHERE id_number = ? AND booking_id = ?", b.BookerIDNumber, b.ID)
	if err != nil {
		return fmt.Errorf("releasing the booker of booking %d: %w", b.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // the booking claimed no person
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO active_people (id_number, booking_id)
		SELECT b.booker_id_number, MIN(b.id) FROM bookings b JOIN users u ON u.id = b.user_id AND u.id_number = b.booker_id_number
		WHERE b.booker_id_number = ? AND b.status = ? GROUP BY b.booker_id_number
		ON CONFLICT DO NOTHING`, b.BookerIDNumber, StatusBooked); err != nil {
		return fmt.Errorf("passing the booker's claim on from booking %d: %w", b.ID, err)
	}
	return nil
}

// countBooking counts a booking the account makes on today unless it made limit already: like a
// slot's seats, with one conditional UPDATE, so that the limit holds under any concurrency. The count
// is the account's on the day (China's date) at all offices together, and the office booked sets the
// limit: an account cannot get round a strict office by booking at others first. A cancellation does
// not give a booking back, nor does a move take one.
func countBooking(ctx context.Context, tx bun.Tx, userID int64, today calendar.Date, limit int) error {
	raised, err := raise(ctx, tx, `INSERT INTO account_days (user_id, day, booked) VALUES (?, ?, 1)
		ON CONFLICT (user_id, day) DO UPDATE SET booked = account_days.booked + 1 WHERE account_days.booked < ?`,
		limit, userID, today.String(), limit)
	if err != nil {
		return fmt.Errorf("counting a booking of user %d: %w", userID, err)
	}
	if !raised {
		return dailyLimitProblem(limit)
	}
	return nil
}

// raise runs the upsert of a counter that stops at limit, its last argument: it inserts the counter
// at 1 or raises it unless it reached limit, in one statement whose row count says whether it did.
// Under any concurrency on both databases the counter never passes limit: on PostgreSQL a racer
// waits for the row's lock and then sees the count of the one before it.
func raise(ctx context.Context, tx bun.Tx, upsert string, limit int, args ...any) (bool, error) {
	if limit <= 0 {
		return false, nil // the upsert would insert 1
	}
	res, err := tx.ExecContext(ctx, upsert, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Purge deletes the daily booking counts of the days before now's (China's date): only today's
// decide a booking. The worker's hourly clean-up runs it.
func Purge(ctx context.Context, db bun.IDB, now time.Time) error {
	if _, err := db.NewDelete().Table("account_days").Where("day < ?", calendar.DateOf(now).String()).Exec(ctx); err != nil {
		return fmt.Errorf("purging past daily booking counts: %w", err)
	}
	return nil
}

// sortedPair returns the two ID numbers in order, to compare the people of a booking as a set.
func sortedPair(n []string) []string {
	if n[1] < n[0] {
		return []string{n[1], n[0]}
	}
	return []string{n[0], n[1]}
}

// takeSeat raises a slot's counter unless the slot is full. The conditional upsert is what keeps a
// slot from ever having more bookings than seats, under any concurrency on both databases. The row
// is the hottest of a booking day: a transaction holds its lock from here to its end, so callers take
// the seat last.
func takeSeat(ctx context.Context, tx bun.Tx, k slotKey, capacity int) error {
	raised, err := raise(ctx, tx, `INSERT INTO slot_counts (office_id, day, start, service, booked) VALUES (?, ?, ?, ?, 1)
		ON CONFLICT (office_id, day, start, service) DO UPDATE SET booked = slot_counts.booked + 1 WHERE slot_counts.booked < ?`,
		capacity, k.office, k.day, k.start, k.service, capacity)
	if err != nil {
		return fmt.Errorf("taking a seat: %w", err)
	}
	if !raised {
		return errSlotFull
	}
	return nil
}

// freeSeat lowers a slot's counter when a booking leaves it.
func freeSeat(ctx context.Context, tx bun.IDB, k slotKey) error {
	if _, err := tx.ExecContext(ctx, "UPDATE slot_counts SET booked = booked - 1 WHERE office_id = ? AND day = ? AND start = ? AND service = ? AND booked > 0",
		k.office, k.day, k.start, k.service); err != nil {
		return fmt.Errorf("freeing a seat: %w", err)
	}
	return nil
}

// seatsTaken reads a slot's counter without locking it, for the early "full" answer.
func seatsTaken(ctx context.Context, db bun.IDB, k slotKey) (int, error) {
	var n []int
	if err := db.NewSelect().Table("slot_counts").Column("booked").
		Where("office_id = ? AND day = ? AND start = ? AND service = ?", k.office, k.day, k.start, k.service).
		Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("reading the seats of a slot: %w", err)
	}
	if len(n) == 0 {
		return 0, nil
	}
	return n[0], nil
}

func (b *Booking) slot() slotKey { return slotKey{b.OfficeID, b.Day, b.Start, b.Service} }

// BookOption changes how Book files a booking.
type BookOption func(*bookOptions)

type bookOptions struct {
	within func(ctx context.Context, tx bun.Tx, b *Booking) error
}

// WithinBooking runs fn in the transaction that books, once the booking row exists, so that what the
// caller records about the booking (an idempotency key) commits or rolls back with it; an error from
// fn is returned as it is.
func WithinBooking(fn func(ctx context.Context, tx bun.Tx, b *Booking) error) BookOption {
	return func(o *bookOptions) { o.within = fn }
}

// Book books a time for the actor (appointment:book). Every error of the input is reported at once
// (see BookingInput and the problem codes of the package): an account whose ID number is bound books
// only for that number. Then one transaction inserts the booking with its confirmation code, claims
// the account and its verified booker for it (see the package comment), counts the day's bookings of
// the account, writes the appointment_booked notice and takes a seat (see fileBooking).
func (d *Desk) Book(ctx context.Context, actor audit.Actor, in BookingInput, opts ...BookOption) (*Booking, error) {
	if actor.UserID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	in.normalise()
	k := slotKey{in.OfficeID, in.Day, in.Start, in.Service}
	if d.seenFull(k) {
		return nil, errSlotFull
	}
	conn, done, err := d.bookingConn(ctx, in.CaseID)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := d.fullNow(ctx, conn, k); err != nil {
		return nil, err
	}
	p, b, verified, err := d.prepareBooking(ctx, conn, actor, &in)
	if err != nil {
		return nil, err
	}
	if !verified {
		if err := d.refuseHeldBooker(ctx, conn, p, b); err != nil {
			return nil, err
		}
	}
	var o bookOptions
	for _, opt := range opts {
		opt(&o)
	}
	// The only unique constraint the transaction can meet is the confirmation code's: with 40 random
	// bits, codes start to collide after about a million bookings. Another code, another try.
	for range 3 {
		err = conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return d.fileBooking(ctx, tx, actor, p, b, verified, o) })
		if !database.IsUniqueViolation(err) {
			break
		}
		b.Code = newCode()
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// bookingConn returns the connection a booking runs on, and what to call when it is done.
//
// One connection for the whole booking, checks and transaction: on a hot day every request waits in
// line for a connection, and a booking that had to queue for each of its reads again would take its
// seat seconds later. A case's appearance booking (caseID > 0) asks the engine, which takes
// connections of its own, so it keeps to the pool: holding one while waiting for another could leave
// a full pool waiting on itself.
func (d *Desk) bookingConn(ctx context.Context, caseID int64) (bun.IDB, func(), error) {
	if caseID != 0 {
		return d.db, func() {}, nil
	}
	c, err := d.db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("taking a database connection for a booking: %w", err)
	}
	return c, func() { _ = c.Close() }, nil
}

// prepareBooking reads the plan of the booking's office, checks that the actor may book there and
// validates the input: it returns the plan, the booking to insert and whether the account is
// verified for its booker.
func (d *Desk) prepareBooking(ctx context.Context, conn bun.IDB, actor audit.Actor, in *BookingInput) (*plan, *Booking, bool, error) {
	p, err := d.loadPlan(ctx, conn, in.OfficeID)
	if problem.Is(err, problem.NotFound) {
		var fe problem.Fields
		fe.Add("office_id", "not_found", "没有这个婚姻登记处。", "There is no such registration office.")
		return nil, nil, false, fe.Err()
	}
	if err != nil {
		return nil, nil, false, err
	}
	if !d.allowed(actor, p.office.Jurisdiction, "appointment", "book") {
		return nil, nil, false, problem.ErrForbidden
	}
	b, verified, err := d.checkBooking(ctx, conn, actor, p, in)
	return p, b, verified, err
}

// fileBooking is the transaction of a booking: it inserts the booking, claims the account and its
// verified booker for it, counts the account's booking of the day, audits it, runs the caller's
// WithinBooking, writes the appointment_booked notice and, last, takes a seat (remembering a full
// slot): on a hot day every booking of a slot waits for that row's lock, held until the commit.
func (d *Desk) fileBooking(ctx context.Context, tx bun.Tx, actor audit.Actor, p *plan, b *Booking, verified bool, o bookOptions) error {
	if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
		return fmt.Errorf("inserting a booking: %w", err)
	}
	if err := claim(ctx, tx, b, verified); err != nil {
		return err
	}
	if err := countBooking(ctx, tx, b.UserID, d.Today(), p.office.Rules.DailyBookings); err != nil {
		return err
	}
	if err := record(ctx, tx, actor, "booking.create", &p.office, b, map[string]any{"service": b.Service}); err != nil {
		return err
	}
	if o.within != nil {
		if err := o.within(ctx, tx, b); err != nil {
			return err
		}
	}
	if err := d.send(ctx, tx, b.UserID, "appointment_booked", &p.office, b, []notify.Channel{notify.Inbox, notify.SMS}, nil); err != nil {
		return err
	}
	err := takeSeat(ctx, tx, b.slot(), p.office.Capacity[b.Service])
	if errors.Is(err, errSlotFull) {
		d.full.Store(b.slot(), time.Now())
	}
	return err
}

// fullMemo is how long a process answers slot_full from memory for a slot it saw full (Book checks
// it first) and shows it full in the public slot answers: on a hot day most requests are for slots
// taken by then, and they get their answer without touching the database, and the people refreshing
// the slots move on to the next one at once. A seat freed by a cancellation is offered again after at
// most this long. Only refusals come from memory: a booking is always decided by the database.
const fullMemo = time.Second

// seenFull reports whether this process saw the slot k full less than fullMemo ago.
func (d *Desk) seenFull(k slotKey) bool {
	seen, ok := d.full.Load(k)
	return ok && time.Since(seen.(time.Time)) < fullMemo
}

// fullNow answers slot_full, before any other check, for the slot k when its counter says it is
// full (the seats from the office's cached plan), and remembers it for fullMemo. Anything else, input
// naming no slot included, it leaves to the checks and the transaction, which alone decide a booking.
func (d *Desk) fullNow(ctx context.Context, db bun.IDB, k slotKey) error {
	p, err := d.cachedPlan(ctx, db, k.office)
	if err != nil || p.office.Capacity[k.service] <= 0 {
		return nil // the checks say what is wrong
	}
	n, err := seatsTaken(ctx, db, k)
	if err != nil {
		return err
	}
	if n >= p.office.Capacity[k.service] {
		d.full.Store(k, time.Now())
		return errSlotFull
	}
	return nil
}

// checkBooker adds the errors of the booker's ID number for the account userID and reports whether
// the account is verified for it. A verified account books only for its own number (id_mismatch).
// Whether a number is bound to another account is asked only once everything else passed
// (refuseHeldBooker), so that a refused form does not tell it for free.
func checkBooker(ctx context.Context, db bun.IDB, fe *problem.Fields, userID int64, idNumber string) (bool, error) {
	bound, err := accounts.IDNumberOf(ctx, db, userID)
	if err != nil || bound == "" {
		return false, err
	}
	if bound != idNumber {
		fe.Add("booker_id_number", accounts.ErrIDMismatch.Code, accounts.ErrIDMismatch.Message.ZH, accounts.ErrIDMismatch.Message.EN)
	}
	return true, nil
}

// refuseHeldBooker refuses, for an account not verified for its booker, a number bound to another
// account (booker_unavailable), so that one active booking per verified person holds whoever types
// her number. It runs once every other check has passed, and the refusal counts against the
// account's bookings of the day like a booking: trying numbers costs what booking would. The
// partner is not checked so: naming a verified person as partner claims nothing and never blocks her
// own booking.
func (d *Desk) refuseHeldBooker(ctx context.Context, conn bun.IDB, p *plan, b *Booking) error {
	_, held, err := accounts.UserByIDNumber(ctx, conn, b.BookerIDNumber)
	if err != nil || !held {
		return err
	}
	if err := conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return countBooking(ctx, tx, b.UserID, d.Today(), p.office.Rules.DailyBookings)
	}); err != nil {
		return err
	}
	fe := problem.Fields{bookerUnavailable}
	return fe.Err()
}

// checkBooking validates a booking's input for the office of p and returns the booking to insert and
// whether the account is verified for its booker's ID number.
func (d *Desk) checkBooking(ctx context.Context, db bun.IDB, actor audit.Actor, p *plan, in *BookingInput) (*Booking, bool, error) {
	today := d.Today()
	var fe problem.Fields
	w := p.office.Rules.bookingWindow(today)
	if !p.office.Active {
		fe.Add("office_id", "inactive", "该登记处暂停网上预约。", "This office takes no bookings at present.")
	}
	p.checkService(&fe, in.Service)
	if in.CaseID > 0 {
		cw, err := d.checkAppearance(ctx, actor, &p.office, in)
		if p, ok := problem.As(err); ok && p.Kind == problem.Invalid {
			fe = append(fe, p.Fields...)
		} else if err != nil {
			return nil, false, err
		}
		w = w.intersect(cw)
	}
	date, slot, _ := checkTime(&fe, p, in.Day, in.Start, w)
	checkPeople(&fe, in, date, today)
	verified, err := checkBooker(ctx, db, &fe, actor.UserID, in.BookerIDNumber)
	if err != nil {
		return nil, false, err
	}
	if err := fe.Err(); err != nil {
		return nil, false, err
	}
	bans, err := activeBans(ctx, db, today, actor.UserID, in.BookerIDNumber, in.PartnerIDNumber)
	if err != nil {
		return nil, false, err
	}
	if err := refuseBanned(bans, actor.UserID, in, verified); err != nil {
		return nil, false, err
	}
	now := d.now()
	b := &Booking{Code: newCode(), OfficeID: p.office.ID, Service: in.Service, Day: in.Day, Start: slot.Start, End: slot.End,
		UserID: actor.UserID, BookerName: in.BookerName, BookerIDNumber: in.BookerIDNumber, PartnerName: in.PartnerName,
		PartnerIDNumber: in.PartnerIDNumber, Phone: in.Phone, Status: StatusBooked, CreatedAt: now, UpdatedAt: now}
	if in.CaseID > 0 {
		b.CaseID = &in.CaseID
	}
	return b, verified, nil
}
