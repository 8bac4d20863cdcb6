package appointments_test

import (
	"sync"

	"testing"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/stacktest"
)

// Anyone may type anyone's ID number, as partner or as booker from an account that is not verified
// for it: that never keeps the person from booking for herself, verified or not, nor gets her banned.
// The clerk sees on the day sheet every booking that names her, and the check-in by her ID number
// finds her own booking among them.
func TestStrangersCannotBlockAPerson(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		for _, verified := range []bool{false, true} {
			victim, groom := idNumber("19950310", false), idNumber("19930101", true)
			her := f.citizen()
			asPartner := f.couple("2026-11-04", "09:00")
			asPartner.PartnerIDNumber = victim
			f.book(f.citizen(), asPartner)
			squatter := f.citizen()
			asBooker := f.couple("2026-11-04", "09:30")
			asBooker.BookerIDNumber, asBooker.BookerName, asBooker.PartnerIDNumber = victim, "李娜", idNumber("19900101", true)
			f.book(squatter, asBooker)
			if verified {
				// Verified after the squatter typed her number: his booking claims nothing.
				if err := accounts.BindIDNumber(f.ctx, f.db, her.UserID, victim); err != nil {
					t.Fatal(err)
				}
				again := f.couple("2026-11-04", "09:00") // as partner anyone may still name her
				again.PartnerIDNumber = victim
				f.book(f.citizen(), again)
			}

			own := f.couple("2026-11-04", "10:00")
			own.BookerIDNumber, own.BookerName, own.PartnerIDNumber, own.PartnerName = victim, "李娜", groom, "张伟"
			b, err := f.desk.Book(f.ctx, her, own)
			if err != nil {
				t.Fatalf("verified %v: the person cannot book for herself: %v", verified, err)
			}

			// The day sheet counts, for each person of a booking, the other bookings naming her.
			sheet, err := f.desk.DaySheet(f.ctx, f.clerk, f.office.ID, "2026-11-04")
			if err != nil {
				t.Fatal(err)
			}
			flags := map[string]appointments.SamePerson{}
			for _, l := range sheet.Lines {
				if l.BookerIDNumber == victim || l.PartnerIDNumber == victim {
					flags[l.Start] = l.SamePerson
				}
			}
			named := 2 // the bookings naming her besides each one
			if verified {
				named = 3
			}
			if flags["09:00"] != (appointments.SamePerson{Partner: named}) || flags["09:30"] != (appointments.SamePerson{Booker: named}) ||
				flags["10:00"] != (appointments.SamePerson{Booker: named}) {
				t.Fatalf("verified %v: same person on the day sheet: %+v", verified, flags)
			}

			// At the window her ID number finds her own booking among them by the people present; alone,
			// it names several and the clerk is asked for the code.
			f.at("2026-11-04", 9, 5)
			if _, err := f.desk.CheckIn(f.ctx, f.clerk, f.office.ID, appointments.CheckInInput{IDNumber: victim}); fieldCodes(t, err)["code"] != "several_bookings" {
				t.Fatalf("verified %v: check-in by a number on several bookings: %v", verified, err)
			}
			got, err := f.desk.CheckIn(f.ctx, f.clerk, f.office.ID, appointments.CheckInInput{IDNumber: victim, Present: []string{groom, victim}})
			if err != nil || got.ID != b.ID {
				t.Fatalf("verified %v: checking her in by her ID number: %+v %v", verified, got, err)
			}

			// The check-in bound her number to her account: from now on no other account may name her
			// as booker, and nothing says whose the number is.
			f.at("2026-11-04", 18, 0)
			if _, err := f.desk.MarkNoShows(f.ctx, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			asBooker.Day = "2026-11-06"
			if c := fieldCodes(t, bookErr(f, squatter, asBooker)); c["booker_id_number"] != "booker_unavailable" {
				t.Fatalf("verified %v: another account booked for her once she was verified: %v", verified, c)
			}
			// The squatter misses the appointment he made in her name and another one: he is banned,
			// she is not.
			asBooker.BookerIDNumber = idNumber("19950310", false)
			f.book(squatter, asBooker)
			f.at("2026-11-06", 18, 0)
			if _, err := f.desk.MarkNoShows(f.ctx, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			if ban, err := f.desk.BanOf(f.ctx, squatter); err != nil || ban == nil || ban.Reason != "no_shows" {
				t.Fatalf("verified %v: the squatter's ban: %+v %v", verified, ban, err)
			}
			if ban, err := f.desk.BanOf(f.ctx, her); err != nil || ban != nil {
				t.Fatalf("verified %v: she is banned for the squatter's no-shows: %+v %v", verified, ban, err)
			}
			own.Day = f.openDay(3)
			if _, err := f.desk.Book(f.ctx, her, own); err != nil {
				t.Fatalf("verified %v: booking again after the squatter's no-shows: %v", verified, err)
			}
			asBooker.Day = f.openDay(3)
			if code(t, bookErr(f, squatter, asBooker)) != "banned" {
				t.Fatal("the banned squatter booked")
			}
			f.clock.Set(t0)
		}
	})
}

// An account holds one active booking, however many it sends at once and whoever they name, and
// makes at most the office's daily_bookings (2) a day.
func TestOneActiveBookingPerAccount(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		me := f.citizen()
		const racers = 20
		actors := make([]audit.Actor, racers)
		inputs := make([]appointments.BookingInput, racers)
		for i := range inputs {
			actors[i], inputs[i] = me, f.couple([]string{"2026-11-04", "2026-11-05"}[i%2], "09:00")
		}
		if n := won(t, f.race(actors, inputs), "already_booked"); n != 1 {
			t.Fatalf("%d bookings of one account at once succeeded, want 1", n)
		}
		if n := f.count("bookings", "user_id = ? AND status = ?", me.UserID, appointments.StatusBooked); n != 1 {
			t.Fatalf("%d active bookings, want 1", n)
		}
		// Two bookings made today; the third waits for tomorrow.
		mine, err := f.desk.MyBookings(f.ctx, me)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.desk.Cancel(f.ctx, me, mine[0].ID); err != nil {
			t.Fatal(err)
		}
		again := f.book(me, f.couple("2026-11-06", "09:00"))
		if _, err := f.desk.Cancel(f.ctx, me, again.ID); err != nil {
			t.Fatal(err)
		}
		if c := code(t, bookErr(f, me, f.couple("2026-11-06", "09:00"))); c != "daily_limit" {
			t.Fatalf("a third booking the same day: %s", c)
		}
		f.clock.AddDate(0, 0, 1)
		f.book(me, f.couple("2026-11-06", "09:00"))
	})
}

// A verified person holds one active booking: racing requests from the account verified for her end
// with one, and so do those of another account of hers that the verification moved to later (as the
// identity platform may move it), for as long as the first booking is active.
func TestOneActiveBookingPerVerifiedPerson(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		first, second := f.citizen(), f.citizen()
		person := idNumber("19920101", true)
		if err := accounts.BindIDNumber(f.ctx, f.db, first.UserID, person); err != nil {
			t.Fatal(err)
		}
		const racers = 10
		actors := make([]audit.Actor, 2*racers)
		inputs := make([]appointments.BookingInput, 2*racers)
		for i := range inputs {
			actors[i], inputs[i] = first, f.couple("2026-11-04", "09:00")
			inputs[i].BookerIDNumber = person
		}
		if n := won(t, f.race(actors[:racers], inputs[:racers]), "already_booked"); n != 1 {
			t.Fatalf("%d bookings of a verified person at once succeeded, want 1", n)
		}
		if _, err := f.db.NewUpdate().Table("users").Set("id_number = ''").Where("id = ?", first.UserID).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if err := accounts.BindIDNumber(f.ctx, f.db, second.UserID, person); err != nil {
			t.Fatal(err)
		}
		for i := racers; i < len(actors); i++ {
			actors[i] = second
		}
		if n := won(t, f.race(actors[racers:], inputs[racers:]), "already_booked"); n != 0 {
			t.Fatalf("a second account verified for the same person booked %d times while the first holds a booking", n)
		}
		mine, err := f.desk.MyBookings(f.ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.desk.Cancel(f.ctx, first, mine[0].ID); err != nil {
			t.Fatal(err)
		}
		f.book(second, inputs[racers])
	})
}

// A booking released by a cancellation, a check-in or a no-show passes the claim of its account on to
// another active booking of the account, if it still has one from before one active booking was the
// rule: the account books again only when it has none.
func TestReleasePassesTheClaimOn(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		me := f.citizen()
		first := f.book(me, f.couple("2026-11-04", "09:00"))
		older := *first // a second active booking, as migration 20261206000003 found some
		older.ID, older.Code, older.Start, older.End = 0, "LEGACY01", "10:00", "10:30"
		if _, err := f.db.NewInsert().Model(&older).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.desk.Cancel(f.ctx, me, first.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.count("active_accounts", "user_id = ? AND booking_id = ?", me.UserID, older.ID); n != 1 {
			t.Fatalf("the account's claim did not pass to its other active booking (%d rows)", n)
		}
		if c := code(t, bookErr(f, me, f.couple("2026-11-05", "09:00"))); c != "already_booked" {
			t.Fatalf("booking while another booking is active: %s", c)
		}
		if _, err := f.desk.Cancel(f.ctx, me, older.ID); err != nil {
			t.Fatal(err)
		}
		if n := f.count("active_accounts", "user_id = ?", me.UserID); n != 0 {
			t.Fatalf("%d claims left after the last active booking ended", n)
		}
	})
}

// A cancellation racing with a new booking of the same account leaves the claims and the seats
// matching the bookings, whichever wins: at most one active booking, claimed by its account, and every
// slot's counter equal to its active bookings.
func TestCancelRacingWithBook(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		for round := range 8 {
			me := f.citizen()
			old := f.book(me, f.couple("2026-11-04", "09:00"))
			var wg sync.WaitGroup
			var cancelErr, bookErr error
			start := make(chan struct{})
			wg.Add(2)
			go func() {
				defer wg.Done()
				<-start
				_, cancelErr = f.desk.Cancel(f.ctx, me, old.ID)
			}()
			go func() {
				defer wg.Done()
				<-start
				_, bookErr = f.desk.Book(f.ctx, me, f.couple("2026-11-05", "09:00"))
			}()
			close(start)
			wg.Wait()
			if cancelErr != nil {
				t.Fatalf("round %d: cancelling: %v", round, cancelErr)
			}
			if bookErr != nil && code(t, bookErr) != "already_booked" {
				t.Fatalf("round %d: booking: %v", round, bookErr)
			}
			active := f.count("bookings", "user_id = ? AND status = ?", me.UserID, appointments.StatusBooked)
			claimed := f.count("active_accounts a JOIN bookings b ON b.id = a.booking_id", "a.user_id = ? AND b.status = ?", me.UserID, appointments.StatusBooked)
			if active != (map[bool]int{true: 0, false: 1})[bookErr != nil] || claimed != active || f.count("active_accounts", "user_id = ?", me.UserID) != active {
				t.Fatalf("round %d: %d active bookings, %d claimed (booking: %v)", round, active, claimed, bookErr)
			}
		}
		for _, day := range []string{"2026-11-04", "2026-11-05"} {
			if n, want := f.booked(day, "09:00", appointments.Marriage), f.count("bookings", "day = ? AND status = ?", day, appointments.StatusBooked); n != want {
				t.Fatalf("%s: counter %d, %d active bookings", day, n, want)
			}
		}
	})
}

// The daily limit counts the bookings an account makes on a day (China's date) at all offices
// together; the office booked sets the limit.
func TestDailyLimitCountsEveryOffice(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		strict := officeInput()
		strict.Rules.DailyBookings = 1
		other, err := f.desk.CreateOffice(f.ctx, f.admin, strict)
		if err != nil {
			t.Fatal(err)
		}
		me := f.citizen()
		b := f.book(me, f.couple("2026-11-04", "09:00"))
		if _, err := f.desk.Cancel(f.ctx, me, b.ID); err != nil {
			t.Fatal(err)
		}
		there := f.couple("2026-11-04", "09:00")
		there.OfficeID = other.ID
		if c := code(t, bookErr(f, me, there)); c != "daily_limit" {
			t.Fatalf("a second booking today at an office allowing one a day: %s", c)
		}
		f.book(me, f.couple("2026-11-04", "09:00")) // the first office allows two
		// Past days' counts are purged; today's stays.
		if err := appointments.Purge(f.ctx, f.db, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if n := f.count("account_days", "user_id = ?", me.UserID); n != 1 {
			t.Fatalf("%d daily counts of today after the purge", n)
		}
		if err := appointments.Purge(f.ctx, f.db, f.clock.Now().AddDate(0, 0, 1)); err != nil {
			t.Fatal(err)
		}
		if n := f.count("account_days", "user_id = ?", me.UserID); n != 0 {
			t.Fatalf("%d past daily counts left after the purge", n)
		}
	})
}

// Whether an ID number is bound to a verified account is not told for free: a form refused for
// anything else does not say it, and each refusal of a number bound to another account counts
// against the day's bookings like a booking.
func TestTryingNumbersCostsBookings(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		her, person := f.citizen(), idNumber("19960412", true)
		if err := accounts.BindIDNumber(f.ctx, f.db, her.UserID, person); err != nil {
			t.Fatal(err)
		}
		prober := f.citizen()
		probe := f.couple("2026-11-04", "09:00")
		probe.BookerIDNumber = person
		badDay := probe
		badDay.Day = f.day(0)
		if c := fieldCodes(t, bookErr(f, prober, badDay)); c["booker_id_number"] != "" || c["day"] == "" {
			t.Fatalf("a form refused for its day also says about the number: %v", c)
		}
		for range 2 { // the office allows two bookings a day
			if c := fieldCodes(t, bookErr(f, prober, probe)); c["booker_id_number"] != "booker_unavailable" {
				t.Fatalf("a number bound to another account: %v", c)
			}
		}
		if c := code(t, bookErr(f, prober, probe)); c != "daily_limit" {
			t.Fatalf("a third try of the day: %s, want daily_limit", c)
		}
	})
}
