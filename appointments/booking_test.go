package appointments_test

import (
	"sync"
	"testing"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

// 200 people race for a slot of 10 seats: exactly 10 bookings commit and every other request gets a
// clear "full", never an error.
func TestCapacityUnderConcurrency(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		const racers = 200
		actors := f.citizens(racers)
		inputs := make([]appointments.BookingInput, racers)
		for i := range inputs {
			inputs[i] = f.couple("2026-11-04", "09:00")
		}
		ok := won(t, f.race(actors, inputs), "slot_full")
		if ok != 10 {
			t.Fatalf("%d bookings succeeded, want 10", ok)
		}
		if n := f.booked("2026-11-04", "09:00", appointments.Marriage); n != 10 {
			t.Fatalf("slot counter %d, want 10", n)
		}
		if n := f.count("bookings", "status = ?", appointments.StatusBooked); n != 10 {
			t.Fatalf("%d booking rows, want 10", n)
		}
		if n := f.count("active_accounts", "booking_id > 0"); n != 10 {
			t.Fatalf("%d accounts hold a booking, want 10", n)
		}
	})
}

// Once a check-in bound the account to the booker's ID number, booking for someone else is refused:
// booking agents are banned.
func TestBoundAccountBooksForItself(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		me := f.citizen()
		in := f.couple("2026-11-04", "09:00")
		if err := accounts.BindIDNumber(f.ctx, f.db, me.UserID, in.BookerIDNumber); err != nil {
			t.Fatal(err)
		}
		agent := f.couple("2026-11-06", "10:00")
		if _, err := f.desk.Book(f.ctx, me, agent); fieldCodes(t, err)["booker_id_number"] != "id_mismatch" {
			t.Fatalf("booking agent: %v", err)
		}
		f.book(me, in)
	})
}

// Legal marriage age is reached on the birthday: a man of 22 and a woman of 20 on the appointment
// day may book it, the day before they may not.
func TestLegalAgeOnTheBoundaryDay(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		man, woman := idNumber("20041105", true), idNumber("20061106", false)
		in := appointments.BookingInput{OfficeID: f.office.ID, Service: appointments.Marriage, Start: "09:00",
			BookerName: "王强", BookerIDNumber: man, PartnerName: "赵敏", PartnerIDNumber: idNumber("19990101", false), Phone: "13912345678"}
		me := f.citizen()
		in.Day = "2026-11-04"
		if fc := fieldCodes(t, bookErr(f, me, in)); fc["booker_id_number"] != "under_age" {
			t.Fatalf("a man the day before his 22nd birthday: %v", fc)
		}
		in.PartnerIDNumber, in.BookerIDNumber = woman, idNumber("19900101", true)
		in.Day = "2026-11-05"
		if fc := fieldCodes(t, bookErr(f, f.citizen(), in)); fc["partner_id_number"] != "under_age" || len(fc) != 1 {
			t.Fatalf("a woman the day before her 20th birthday: %v", fc)
		}
		in.Day = "2026-11-06"
		f.book(f.citizen(), in)
		in2 := in
		in2.BookerIDNumber, in2.PartnerIDNumber, in2.Day = man, idNumber("19990101", false), "2026-11-05"
		f.book(me, in2)

		// Every error at once: same sex, an invalid check character, a bad phone.
		bad := f.couple("2026-11-10", "09:00")
		bad.PartnerIDNumber = idNumber("19960101", true)
		bad.Phone = "12345"
		fc := fieldCodes(t, bookErr(f, f.citizen(), bad))
		if fc["partner_id_number"] != "same_sex" || fc["phone"] != "invalid_phone" {
			t.Fatalf("errors: %v", fc)
		}
		bad = f.couple("2026-11-10", "09:05")
		bad.PartnerIDNumber = bad.BookerIDNumber[:17] + "0"
		if bad.PartnerIDNumber == bad.BookerIDNumber {
			bad.PartnerIDNumber = bad.BookerIDNumber[:17] + "1"
		}
		bad.PartnerName = ""
		fc = fieldCodes(t, bookErr(f, f.citizen(), bad))
		if fc["partner_id_number"] != "invalid_id_check" || fc["start"] != "no_such_slot" || fc["partner_name"] != "invalid_name" {
			t.Fatalf("errors: %v", fc)
		}
		lined := f.couple("2026-11-10", "09:00")
		lined.BookerName = "周伟\r\n李娜"
		if fc := fieldCodes(t, bookErr(f, f.citizen(), lined)); fc["booker_name"] != "invalid_name" {
			t.Fatalf("a name of two lines: %v", fc)
		}
		same := f.couple("2026-11-10", "09:00")
		same.PartnerIDNumber = same.BookerIDNumber
		if fc := fieldCodes(t, bookErr(f, f.citizen(), same)); fc["partner_id_number"] != "same_person" {
			t.Fatalf("same person: %v", fc)
		}
	})
}

func bookErr(f *fixture, actor audit.Actor, in appointments.BookingInput) error {
	_, err := f.desk.Book(f.ctx, actor, in)
	if err == nil {
		f.t.Fatal("booking succeeded, want an error")
	}
	return err
}

// Booking is from tomorrow to 30 days ahead; cancelling and moving stop 2 days before.
func TestCutoffs(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		for _, day := range []string{f.day(0), f.day(31)} {
			if fc := fieldCodes(t, bookErr(f, f.citizen(), f.couple(day, "09:00"))); fc["day"] != "outside_window" {
				t.Fatalf("booking %s: %v", day, fc)
			}
		}
		tomorrow := f.book(f.citizen(), f.couple(f.day(1), "09:00"))
		f.book(f.citizen(), f.couple(f.day(30), "09:00"))
		me := f.citizen()
		inTwo := f.book(me, f.couple(f.day(2), "09:00"))

		if _, err := f.desk.Cancel(f.ctx, f.actorOf(tomorrow), tomorrow.ID); code(t, err) != "too_late_to_change" {
			t.Fatalf("cancel 1 day before: %v", err)
		}
		if _, err := f.desk.Move(f.ctx, f.actorOf(tomorrow), tomorrow.ID, f.day(5), "09:00"); code(t, err) != "too_late_to_change" {
			t.Fatalf("move 1 day before: %v", err)
		}
		// Someone else's booking is not found.
		if _, err := f.desk.Cancel(f.ctx, f.citizen(), inTwo.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("cancelling another's booking: %v", err)
		}
		if _, err := f.desk.Move(f.ctx, me, inTwo.ID, f.day(1), "09:30"); code(t, err) != "too_late_to_change" {
			t.Fatalf("move to tomorrow: %v", err)
		}
		moved, err := f.desk.Move(f.ctx, me, inTwo.ID, f.day(3), "10:00")
		if err != nil {
			t.Fatal(err)
		}
		if moved.Day != f.day(3) || moved.End != "10:30" || f.booked(f.day(2), "09:00", appointments.Marriage) != 0 ||
			f.booked(f.day(3), "10:00", appointments.Marriage) != 1 {
			t.Fatalf("moved %+v; counters old %d new %d", moved, f.booked(f.day(2), "09:00", appointments.Marriage),
				f.booked(f.day(3), "10:00", appointments.Marriage))
		}
		f.clock.AddDate(0, 0, 1) // the booking is now 2 days ahead: still cancellable
		c, err := f.desk.Cancel(f.ctx, me, inTwo.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Status != appointments.StatusCancelled || f.booked(f.day(2), "10:00", appointments.Marriage) != 0 ||
			f.count("active_people", "booking_id = ?", c.ID) != 0 {
			t.Fatalf("cancel left %+v", c)
		}
		if n := f.count("outbox", "template = ? AND user_id = ?", "appointment_cancelled", me.UserID); n == 0 {
			t.Fatal("no cancellation notice")
		}
		// The people are free again: the same couple books anew.
		again := f.couple(f.openDay(5), "09:00")
		again.BookerIDNumber, again.PartnerIDNumber = c.BookerIDNumber, c.PartnerIDNumber
		f.book(me, again)
	})
}

func (f *fixture) actorOf(b *appointments.Booking) audit.Actor { return f.actor(b.UserID) }

// 5 cancellations in 180 days, or 3 in 30, ban the account for 180 days, and so do 2 no-shows; the
// ban of an account verified for its booker is that person's too. The partner, whom anyone can name,
// is never banned for the booker's doings.
func TestBans(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		// Five cancellations 40 days apart: never 3 within 30 days.
		me := f.citizen()
		in := f.couple("", "09:00")
		if err := accounts.BindIDNumber(f.ctx, f.db, me.UserID, in.BookerIDNumber); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if i > 0 {
				f.clock.AddDate(0, 0, 40)
			}
			if ban, err := f.desk.BanOf(f.ctx, me); err != nil || ban != nil {
				t.Fatalf("banned after %d cancellations: %+v %v", i, ban, err)
			}
			in.Day = f.openDay(3)
			b := f.book(me, in)
			if _, err := f.desk.Cancel(f.ctx, me, b.ID); err != nil {
				t.Fatal(err)
			}
		}
		ban, err := f.desk.BanOf(f.ctx, me)
		if err != nil || ban == nil || ban.Reason != "cancellations" || ban.Count != 5 || ban.Until != f.day(179) {
			t.Fatalf("ban after 5 cancellations: %+v %v", ban, err)
		}
		in.Day = f.openDay(3)
		err = bookErr(f, me, in)
		p, _ := problem.As(err)
		if p == nil || p.Code != "banned" || p.Detail.(map[string]any)["until"] != f.day(179) {
			t.Fatalf("booking while banned: %v", err)
		}
		if f.count("outbox", "template = ? AND user_id = ?", "appointment_banned", me.UserID) == 0 {
			t.Fatal("no ban notice")
		}
		// The verified person under a ban cannot be booked from another account either, as partner or
		// as booker, and that account does not learn why.
		withBanned := f.couple(f.openDay(3), "09:00")
		withBanned.BookerIDNumber, withBanned.PartnerIDNumber = idNumber("19970101", false), in.BookerIDNumber
		if c := fieldCodes(t, bookErr(f, f.citizen(), withBanned)); c["partner_id_number"] != "partner_unavailable" {
			t.Fatalf("booked with a banned person: %v", c)
		}
		asBooker := f.couple(f.openDay(3), "09:00")
		asBooker.BookerIDNumber = in.BookerIDNumber
		if c := fieldCodes(t, bookErr(f, f.citizen(), asBooker)); c["booker_id_number"] != "booker_unavailable" {
			t.Fatalf("a banned person booked from another account: %v", c)
		}

		// Three cancellations within 30 days.
		quick := f.citizen()
		in = f.couple("", "10:00")
		for range 3 {
			in.Day = f.openDay(5)
			b := f.book(quick, in)
			if _, err := f.desk.Cancel(f.ctx, quick, b.ID); err != nil {
				t.Fatal(err)
			}
			f.clock.AddDate(0, 0, 9)
		}
		if ban, _ := f.desk.BanOf(f.ctx, quick); ban == nil || ban.Reason != "recent_cancellations" || ban.Count != 3 {
			t.Fatalf("ban after 3 quick cancellations: %+v", ban)
		}

		// Two no-shows ban the booker, not the partner.
		late := f.citizen()
		in = f.couple("", "09:00")
		for range 2 {
			in.Day = f.openDay(1)
			f.book(late, in)
			f.at(in.Day, 12, 0)
			if n, err := f.desk.MarkNoShows(f.ctx, f.clock.Now()); err != nil || n != 1 {
				t.Fatalf("no-shows marked %d: %v", n, err)
			}
		}
		if ban, _ := f.desk.BanOf(f.ctx, late); ban == nil || ban.Reason != "no_shows" || ban.Count != 2 {
			t.Fatalf("ban after 2 no-shows: %+v", ban)
		}
		if f.count("booking_bans", "id_number = ?", in.PartnerIDNumber) != 0 {
			t.Fatal("the partner is banned for the booker's no-shows")
		}
	})
}

// A booking not checked in by the end of its session is marked missed once, however many workers
// run; before the end nothing happens.
func TestNoShowTimer(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		me := f.citizen()
		in := f.couple("2026-11-03", "10:30") // the morning session ends at 11:30
		b := f.book(me, in)
		if n, err := f.desk.MarkNoShows(f.ctx, f.at("2026-11-03", 11, 29)); err != nil || n != 0 {
			t.Fatalf("before the session's end: %d %v", n, err)
		}
		now := f.at("2026-11-03", 11, 31)
		var wg sync.WaitGroup
		marked := make([]int, 2)
		for i := range marked {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := f.desk.MarkNoShows(f.ctx, now)
				if err != nil {
					t.Error(err)
				}
				marked[i] = n
			}()
		}
		wg.Wait()
		if marked[0]+marked[1] != 1 {
			t.Fatalf("marked %v, want once", marked)
		}
		if n, _ := f.desk.MarkNoShows(f.ctx, now.Add(time.Hour)); n != 0 {
			t.Fatalf("marked again: %d", n)
		}
		got, err := f.desk.Booking(f.ctx, me, b.ID)
		if err != nil || got.Status != appointments.StatusNoShow || got.NoShowAt == nil {
			t.Fatalf("booking after the timer: %+v %v", got, err)
		}
		if f.count("outbox", "template = ? AND user_id = ?", "appointment_no_show", me.UserID) != 2 {
			t.Fatal("want one no-show notice by inbox and SMS")
		}
		if f.count("active_people", "booking_id = ?", b.ID) != 0 {
			t.Fatal("the people still hold the missed booking")
		}
	})
}

// The reminder goes out once, the day before from nine in the morning, by inbox and SMS.
func TestReminders(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		me := f.citizen()
		f.book(me, f.couple("2026-11-04", "09:00"))
		if n, _ := f.desk.SendReminders(f.ctx, f.at("2026-11-02", 20, 0)); n != 0 {
			t.Fatalf("reminded 2 days before: %d", n)
		}
		if n, _ := f.desk.SendReminders(f.ctx, f.at("2026-11-03", 8, 59)); n != 0 {
			t.Fatalf("reminded before nine in the morning: %d", n)
		}
		now := f.at("2026-11-03", 9, 0)
		var wg sync.WaitGroup
		sent := make([]int, 3)
		for i := range sent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := f.desk.SendReminders(f.ctx, now)
				if err != nil {
					t.Error(err)
				}
				sent[i] = n
			}()
		}
		wg.Wait()
		if sent[0]+sent[1]+sent[2] != 1 {
			t.Fatalf("sent %v, want once", sent)
		}
		if n := f.count("outbox", "template = ? AND user_id = ?", "appointment_reminder", me.UserID); n != 2 {
			t.Fatalf("%d reminder rows, want inbox + SMS", n)
		}
		if n := f.count("outbox", "template = ? AND user_id = ? AND channel = ? AND address = ?", "appointment_reminder", me.UserID, "sms", "13800138000"); n != 1 {
			t.Fatalf("%d SMS reminders to the booking's mobile number", n)
		}
		// The worker's tick (RunTimers) finds nothing more to send.
		if err := f.desk.RunTimers(f.ctx, now); err != nil {
			t.Fatal(err)
		}
		if n := f.count("outbox", "template = ?", "appointment_reminder"); n != 2 {
			t.Fatalf("%d reminder rows after another tick", n)
		}
	})
}
