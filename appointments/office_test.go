package appointments_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

// Slots come from the office's sessions and slot length; free seats from the counters.
func TestSlotsFromRules(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		f.book(f.citizen(), f.couple("2026-11-04", "13:30"))
		ds, err := f.slots("2026-11-04", appointments.Marriage)
		if err != nil {
			t.Fatal(err)
		}
		// 09:00–11:30 gives 5 slots, 13:30–17:00 gives 7.
		if !ds.Open || !ds.Bookable || len(ds.Slots) != 12 || ds.Slots[4].Start != "11:00" || ds.Slots[4].End != "11:30" ||
			ds.Slots[5].Start != "13:30" || ds.Slots[5].Free != 9 || ds.Slots[0].Free != 10 || !ds.Slots[5].Bookable {
			t.Fatalf("slots: %+v", ds)
		}
		// A day outside the window shows its slots but takes no booking; a Sunday is closed.
		if ds, _ := f.slots("2026-11-02", appointments.Marriage); ds.Bookable || ds.Slots[0].Bookable {
			t.Fatalf("today is bookable: %+v", ds)
		}
		if ds, _ := f.slots("2026-11-08", appointments.Marriage); ds.Open || len(ds.Slots) != 0 {
			t.Fatalf("Sunday: %+v", ds)
		}
		if _, err := f.slots("2026-11-04", appointments.Replacement); fieldCodes(t, err)["service"] != "not_bookable" {
			t.Fatalf("a service not offered: %v", err)
		}
		days, err := f.desk.BookableDays(f.ctx, f.office.ID, appointments.Marriage, 0, f.citizen())
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 30 || days[0].Day != "2026-11-03" || days[1].Free != 119 || !days[1].Open || days[5].Open {
			t.Fatalf("bookable days: %+v", days[:6])
		}

		// Validation reports every error at once, with the input's paths.
		bad := officeInput()
		bad.Sessions = []appointments.Session{{Start: "09:00", End: "12:00"}, {Start: "11:00", End: "13:00"}, {Start: "9:00", End: "08:00"}}
		bad.SlotMinutes = 300
		bad.Capacity = map[appointments.Service]int{appointments.Marriage: 1001, "funeral": 3}
		bad.Jurisdiction = "999999"
		bad.Rules.MaxDaysAhead = -1
		_, err = f.desk.CreateOffice(f.ctx, f.admin, bad)
		fc := fieldCodes(t, err)
		for path, want := range map[string]string{"sessions[1].start": "overlap", "sessions[2].start": "invalid_time",
			"slot_minutes": "out_of_range", "capacity.marriage": "out_of_range", "capacity.funeral": "unknown_service",
			"capacity": "no_service", "jurisdiction": "not_found", "rules.max_days_ahead": "out_of_range"} {
			if fc[path] != want {
				t.Errorf("%s: %q, want %q (all: %v)", path, fc[path], want, fc)
			}
		}
		if _, err := f.desk.CreateOffice(f.ctx, f.clerk, officeInput()); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a clerk created an office: %v", err)
		}
		if f.office.Rules != appointments.DefaultRules {
			t.Fatalf("zero rules did not take the defaults: %+v", f.office.Rules)
		}
		if f.count("audit_log", "action = ?", "office.create") != 1 {
			t.Fatal("office creation not audited")
		}
		// A change shows at once; an inactive office leaves the public list and takes no booking.
		changed := officeInput()
		changed.Capacity[appointments.Marriage] = 4
		changed.Active = false
		if _, err := f.desk.UpdateOffice(f.ctx, f.admin, f.office.ID, changed); err != nil {
			t.Fatal(err)
		}
		if ds, _ := f.slots("2026-11-04", appointments.Marriage); ds.Slots[5].Free != 3 || ds.Bookable {
			t.Fatalf("slots after the change: %+v", ds.Slots[5])
		}
		if list, err := f.desk.Offices(f.ctx, true); err != nil || len(list) != 0 {
			t.Fatalf("public list: %v %v", list, err)
		}
		if list, err := f.desk.Offices(f.ctx, false); err != nil || len(list) != 1 || list[0].Capacity[appointments.Marriage] != 4 {
			t.Fatalf("admin list: %v %v", list, err)
		}
		if fc := fieldCodes(t, bookErr(f, f.citizen(), f.couple("2026-11-04", "09:00"))); fc["office_id"] != "inactive" {
			t.Fatalf("booking an inactive office: %v", fc)
		}
	})
}

// The office is closed on a national holiday and on a day it closes; it opens on a make-up working
// Saturday with its usual sessions, and on another Saturday with the extra sessions of its office day.
func TestOfficeDays(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, time.Date(2026, 9, 21, 9, 0, 0, 0, calendar.Zone))
		if _, err := f.desk.SetDay(f.ctx, f.admin, f.office.ID, appointments.OfficeDay{Day: "2026-10-08", Kind: appointments.DayClosed, Note: "内部培训"}); err != nil {
			t.Fatal(err)
		}
		extra := []appointments.Session{{Start: "08:30", End: "12:00"}, {Start: "13:00", End: "18:00"}}
		if _, err := f.desk.SetDay(f.ctx, f.admin, f.office.ID, appointments.OfficeDay{Day: "2026-10-17", Kind: appointments.DayOpen, Sessions: extra}); err != nil {
			t.Fatal(err)
		}
		open := func(day string) (bool, int) {
			ds, err := f.slots(day, appointments.Marriage)
			if err != nil {
				t.Fatal(err)
			}
			return ds.Open, len(ds.Slots)
		}
		for day, want := range map[string]struct {
			open  bool
			slots int
		}{"2026-10-01": {false, 0}, "2026-10-08": {false, 0}, "2026-10-10": {true, 12}, "2026-10-17": {true, 17}, "2026-10-09": {true, 12}} {
			if o, n := open(day); o != want.open || n != want.slots {
				t.Errorf("%s: open %v with %d slots, want %v with %d", day, o, n, want.open, want.slots)
			}
		}
		if fc := fieldCodes(t, bookErr(f, f.citizen(), f.couple("2026-10-01", "09:00"))); fc["day"] != "office_closed" {
			t.Fatalf("booking a holiday: %v", fc)
		}
		f.book(f.citizen(), f.couple("2026-10-17", "17:30"))
		days, err := f.desk.Days(f.ctx, f.office.ID, "2026-10-01", "2026-10-31")
		if err != nil || len(days) != 2 || days[0].Note != "内部培训" || len(days[1].Sessions) != 2 {
			t.Fatalf("days: %+v %v", days, err)
		}
		if err := f.desk.RemoveDay(f.ctx, f.admin, f.office.ID, "2026-10-08"); err != nil {
			t.Fatal(err)
		}
		if o, _ := open("2026-10-08"); !o {
			t.Fatal("the day stays closed after its exception was removed")
		}
		if _, err := f.desk.SetDay(f.ctx, f.admin, f.office.ID, appointments.OfficeDay{Day: "2026-10-20", Kind: appointments.DayOpen,
			Sessions: []appointments.Session{{Start: "10:00", End: "09:00"}}}); fieldCodes(t, err)["sessions[0].end"] != "end_before_start" {
			t.Fatalf("a session ending before it starts: %v", err)
		}
		if f.count("audit_log", "action IN (?, ?)", "office.day.set", "office.day.remove") != 3 {
			t.Fatal("office days not audited")
		}
	})
}

// The iCalendar file parses, has CRLF line ends and says when, where and what to bring.
func TestICS(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s, t0)
		me := f.citizen()
		b := f.book(me, f.couple("2026-11-04", "09:30"))
		out, err := f.desk.ICS(f.ctx, me, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Count(out, []byte("\n")) != bytes.Count(out, []byte("\r\n")) {
			t.Fatal("a line does not end with CRLF")
		}
		for _, line := range strings.Split(string(out), "\r\n") {
			if len(line) > 75 {
				t.Fatalf("line of %d octets: %q", len(line), line)
			}
		}
		cal, err := ics.ParseCalendar(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		ev := cal.Events()
		if len(ev) != 1 || ev[0].Id() != b.Code+"@civicflow" {
			t.Fatalf("events: %d", len(ev))
		}
		start, err := ev[0].GetStartAt()
		if err != nil || !start.Equal(time.Date(2026, 11, 4, 9, 30, 0, 0, calendar.Zone)) {
			t.Fatalf("start %v %v", start, err)
		}
		desc := ev[0].GetProperty(ics.ComponentPropertyDescription).Value
		item, _ := f.desk.ItemFor(appointments.Marriage)
		if !strings.Contains(desc, b.Code) || !strings.Contains(desc, item.Materials[0].Name.ZH) {
			t.Fatalf("description: %q", desc)
		}
		if loc := ev[0].GetProperty(ics.ComponentPropertyLocation).Value; !strings.Contains(loc, "南京北街") {
			t.Fatalf("location: %q", loc)
		}
		if _, err := f.desk.ICS(f.ctx, f.citizen(), b.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("another's calendar file: %v", err)
		}
	})
}
