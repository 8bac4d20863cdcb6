package appointments_test

import (
	"slices"
	"testing"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// A marriage booking is checked in (people and business must match) and opens its case, with the
// partner's account as a party.
func TestCheckInAndOpenCase(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		me, partner := f.citizen(), f.citizen()
		in := f.couple("2026-11-03", "09:00")
		// The partner's account was bound to the partner's number at an earlier check-in; someone who
		// only typed the number in a booking of their own is no party.
		if err := accounts.BindIDNumber(f.ctx, f.db, partner.UserID, in.PartnerIDNumber); err != nil {
			t.Fatal(err)
		}
		squatter := f.citizen()
		sq := f.couple("2026-11-05", "09:00")
		sq.BookerIDNumber, sq.PartnerIDNumber = in.BookerIDNumber, idNumber("19900101", false)
		squat := f.book(squatter, sq)
		if _, err := f.desk.Cancel(f.ctx, squatter, squat.ID); err != nil {
			t.Fatal(err)
		}
		b := f.book(me, in)

		checkIn := appointments.CheckInInput{Code: b.Code, Present: []string{in.PartnerIDNumber, in.BookerIDNumber}, Service: appointments.Marriage}
		if _, err := f.desk.CheckIn(f.ctx, f.clerk, f.office.ID, checkIn); fieldCodes(t, err)["day"] != "not_today" {
			t.Fatalf("checking in the day before: %v", err)
		}
		f.at("2026-11-03", 9, 5)
		if _, err := f.desk.OpenCase(f.ctx, f.clerk, b.ID); code(t, err) != "not_checked_in" {
			t.Fatalf("opening a case before check-in: %v", err)
		}
		wrong := checkIn
		wrong.Service = appointments.Divorce
		if _, err := f.desk.CheckIn(f.ctx, f.clerk, f.office.ID, wrong); code(t, err) != "wrong_service" {
			t.Fatalf("wrong service: %v", err)
		}
		wrong = checkIn
		wrong.Present = []string{in.BookerIDNumber, idNumber("19950101", false)}
		if _, err := f.desk.CheckIn(f.ctx, f.clerk, f.office.ID, wrong); code(t, err) != "people_mismatch" {
			t.Fatalf("other people: %v", err)
		}
		if _, err := f.desk.CheckIn(f.ctx, me, f.office.ID, checkIn); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a citizen checked in: %v", err)
		}
		byID := appointments.CheckInInput{IDNumber: in.PartnerIDNumber, Present: checkIn.Present, Service: appointments.Marriage}
		got, err := f.desk.CheckIn(f.ctx, f.clerk, f.office.ID, byID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != b.ID || got.Status != appointments.StatusCheckedIn || f.count("active_people", "booking_id = ?", b.ID) != 0 {
			t.Fatalf("checked in %+v", got)
		}
		// The clerk saw the booker's card: the account that booked is bound to that number now, the
		// one that merely typed it is not.
		if n, err := accounts.IDNumberOf(f.ctx, f.db, me.UserID); err != nil || n != in.BookerIDNumber {
			t.Fatalf("after check-in the booker's account is bound to %q: %v", n, err)
		}
		if n, _ := accounts.IDNumberOf(f.ctx, f.db, squatter.UserID); n != "" {
			t.Fatal("an account was bound to a number it only typed")
		}
		if _, err := f.desk.CheckIn(f.ctx, f.clerk, f.office.ID, checkIn); code(t, err) != "not_booked" {
			t.Fatalf("checked in twice: %v", err)
		}
		c, err := f.desk.OpenCase(f.ctx, f.clerk, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		item, _ := f.desk.ItemFor(appointments.Marriage)
		if c.ItemCode != item.Code || c.ApplicantID != me.UserID || !slices.Contains(c.Parties, partner.UserID) || c.Jurisdiction != heping {
			t.Fatalf("case %+v", c)
		}
		if data := c.Data[item.Form].(map[string]any); data["booking_code"] != b.Code || data["partner_id_number"] != in.PartnerIDNumber {
			t.Fatalf("case data %v", data)
		}
		if _, err := f.desk.OpenCase(f.ctx, f.clerk, b.ID); code(t, err) != "case_open" {
			t.Fatalf("opened twice: %v", err)
		}
		sheet, err := f.desk.DaySheet(f.ctx, f.clerk, f.office.ID, "2026-11-03")
		if err != nil || len(sheet.Lines) != 1 || sheet.Lines[0].CaseID == nil || sheet.Lines[0].Session != 0 || len(sheet.Sessions) != 2 {
			t.Fatalf("day sheet %+v %v", sheet, err)
		}
	})
}

// A divorce: the booking opens the case, the receipt starts the cooling-off period, and after it the
// couple books the confirmation inside the window only; checking that booking in takes the confirm
// action.
func TestDivorceConfirmationBooking(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		me, spouse := f.citizen(), f.citizen()
		in := f.couple("2026-11-03", "09:00")
		in.Service = appointments.Divorce
		b := f.book(me, in)
		if err := accounts.BindIDNumber(f.ctx, f.db, spouse.UserID, in.PartnerIDNumber); err != nil {
			t.Fatal(err)
		}
		f.at("2026-11-03", 9, 10)
		present := []string{in.BookerIDNumber, in.PartnerIDNumber}
		if _, err := f.desk.CheckIn(f.ctx, f.clerk, f.office.ID, appointments.CheckInInput{Code: b.Code, Present: present}); err != nil {
			t.Fatal(err)
		}
		c, err := f.desk.OpenCase(f.ctx, f.clerk, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.desk.Window(f.ctx, me, c.ID); code(t, err) != "no_appearance" {
			t.Fatalf("window before the cooling-off period: %v", err)
		}
		if c, err = f.engine.Apply(f.ctx, f.clerk, c.ID, workflow.ApplyRequest{Action: "issue_receipt", ExpectedVersion: c.Version}); err != nil {
			t.Fatal(err)
		}
		// The cooling-off period ends; its timer opens the confirmation window.
		f.clock.AddDate(0, 0, 32)
		if _, err := f.engine.FireDueTimers(f.ctx, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
		from, to, err := f.desk.Window(f.ctx, spouse, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.desk.Window(f.ctx, f.citizen(), c.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("a stranger saw the window: %v", err)
		}
		days, err := f.desk.BookableDays(f.ctx, f.office.ID, appointments.Divorce, c.ID, me)
		if err != nil || len(days) == 0 || days[0].Day < from || days[len(days)-1].Day > to {
			t.Fatalf("bookable days %v in window %s–%s: %v", days, from, to, err)
		}
		// A day's slots are bookable for the case exactly when they are for anyone and the day is in
		// the case's window, which ends before the booking window five days on.
		f.clock.AddDate(0, 0, 5)
		for n := 1; n <= 30; n++ {
			day := f.day(n)
			public, err := f.slots(day, appointments.Divorce)
			if err != nil {
				t.Fatal(err)
			}
			forCase, err := f.desk.Slots(f.ctx, f.office.ID, day, appointments.Divorce, c.ID, me)
			if err != nil {
				t.Fatal(err)
			}
			if want := public.Bookable && day >= from && day <= to; forCase.Bookable != want {
				t.Fatalf("slots of %s for the case (window %s–%s): bookable %v", day, from, to, forCase.Bookable)
			}
		}
		if _, err := f.desk.Slots(f.ctx, f.office.ID, f.day(3), appointments.Divorce, c.ID, f.citizen()); !problem.Is(err, problem.NotFound) {
			t.Fatalf("a stranger's slots for the case: %v", err)
		}
		confirm := in
		confirm.CaseID = c.ID
		confirm.Day = f.openDay(3)
		// The people must be the case's, in either order, and the day inside the window.
		strangers := confirm
		strangers.PartnerIDNumber = idNumber("19900101", false)
		if fc := fieldCodes(t, bookErr(f, me, strangers)); fc["partner_id_number"] != "people_mismatch" {
			t.Fatalf("strangers: %v", fc)
		}
		// Only an office of the case's jurisdiction, whose clerks may confirm it, is offered.
		elsewhere := officeInput()
		elsewhere.Jurisdiction = shenyang
		other, err := f.desk.CreateOffice(f.ctx, f.admin, elsewhere)
		if err != nil {
			t.Fatal(err)
		}
		atOther := confirm
		atOther.OfficeID = other.ID
		if fc := fieldCodes(t, bookErr(f, me, atOther)); fc["office_id"] != "not_case_office" {
			t.Fatalf("confirmation at an office of another jurisdiction: %v", fc)
		}
		if _, err := f.desk.BookableDays(f.ctx, other.ID, appointments.Divorce, c.ID, me); fieldCodes(t, err)["office_id"] != "not_case_office" {
			t.Fatalf("days offered at an office of another jurisdiction: %v", err)
		}
		swapped := confirm
		swapped.BookerIDNumber, swapped.PartnerIDNumber = confirm.PartnerIDNumber, confirm.BookerIDNumber
		swapped.BookerName, swapped.PartnerName = confirm.PartnerName, confirm.BookerName
		cb := f.book(spouse, swapped)
		if cb.CaseID == nil || *cb.CaseID != c.ID {
			t.Fatalf("confirmation booking %+v", cb)
		}
		f.at(cb.Day, 9, 5)
		if _, err := f.desk.CheckIn(f.ctx, f.clerk, f.office.ID, appointments.CheckInInput{Code: cb.Code, Present: present}); err != nil {
			t.Fatal(err)
		}
		v, err := f.engine.Get(f.ctx, f.clerk, c.ID)
		if err != nil || v.Case.State != "review" {
			t.Fatalf("case after the appearance: %+v %v", v.Case, err)
		}
	})
}
