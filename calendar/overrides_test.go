package calendar_test

import (
	"context"
	"strings"
	"testing"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/demo"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

// addJurisdictions adds Liaoning 210000, Shenyang 210100 with Heping 210102, and Dalian 210200.
func addJurisdictions(t *testing.T, db bun.IDB) {
	t.Helper()
	for _, j := range demo.Jurisdictions {
		if err := jurisdictions.Add(context.Background(), db, j.Code, j.NameZH, j.NameEN); err != nil {
			t.Fatal(err)
		}
	}
}

// set enters an override as the command line does, or fails the test.
func set(t *testing.T, db bun.IDB, jurisdiction, day, kind, note string) {
	t.Helper()
	if _, err := calendar.SetOverride(context.Background(), db, calendar.Operator, audit.Actor{Label: "test"}, jurisdiction, day, kind, note); err != nil {
		t.Fatal(err)
	}
}

// Local closures and working days apply to the jurisdiction and everything below it; the most
// specific override of a day wins.
func TestLocalOverrides(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		set(t, s.DB, "210100", "2026-10-12", "closed", "沈阳市停电，停止办公")
		set(t, s.DB, "210000", "2026-10-16", "closed", "全省停止办公")
		set(t, s.DB, "210102", "2026-10-16", "working", "和平区照常办公")
		set(t, s.DB, "210200", "2026-10-07", "working", "大连市照常办公")
		cal := calendar.New(s.DB)
		for _, tc := range []struct {
			name, jurisdiction, from string
			days                     int
			unit, want               string
		}{
			{"national", "", "2026-09-24", 20, calendar.WorkingDays, "2026-10-29"},
			{"province closure", "210000", "2026-09-24", 20, calendar.WorkingDays, "2026-10-30"},
			{"city closure and the province's", "210100", "2026-09-24", 20, calendar.WorkingDays, "2026-11-02"},
			{"county: the city's closure, its own working day over the province's closure", "210102", "2026-09-24", 20, calendar.WorkingDays, "2026-10-30"},
			{"other city: the province's closure and its own working day", "210200", "2026-09-24", 20, calendar.WorkingDays, "2026-10-29"},
			{"city closure on the last day moves a calendar-day period", "210102", "2026-09-12", 30, calendar.CalendarDays, "2026-10-13"},
			{"not in the other city", "210200", "2026-09-12", 30, calendar.CalendarDays, "2026-10-12"},
			{"a local working day ends a period inside 国庆", "210200", "2026-09-07", 30, calendar.CalendarDays, "2026-10-07"},
			{"where 国庆 holds it moves to 10-08", "210100", "2026-09-07", 30, calendar.CalendarDays, "2026-10-08"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				from := day(t, tc.from)
				got, err := cal.Due(ctx, from, tc.days, tc.unit, tc.jurisdiction)
				if err != nil {
					t.Fatal(err)
				}
				if got.String() != tc.want {
					t.Errorf("in %q: %s + %d %s = %s, want %s", tc.jurisdiction, tc.from, tc.days, tc.unit, got, tc.want)
				}
				if tc.unit == calendar.WorkingDays {
					if n, err := cal.WorkingDaysBetween(ctx, from, got, tc.jurisdiction); err != nil || n != tc.days {
						t.Errorf("WorkingDaysBetween = %d, %v", n, err)
					}
				}
			})
		}
		for _, tc := range []struct {
			jurisdiction, day string
			want              bool
		}{
			{"210102", "2026-10-12", false}, {"210200", "2026-10-12", true}, {"210102", "2026-10-16", true},
			{"210100", "2026-10-16", false}, {"210200", "2026-10-07", true}, {"210100", "2026-10-07", false},
		} {
			s, err := cal.For(ctx, tc.jurisdiction)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.IsWorkingDay(day(t, tc.day)); got != tc.want {
				t.Errorf("IsWorkingDay(%s) in %s = %v", tc.day, tc.jurisdiction, got)
			}
		}
		// One schedule answers many questions without the database.
		sched, err := cal.For(ctx, "210102")
		if err != nil || sched.IsWorkingDay(day(t, "2026-10-12")) || !sched.IsWorkingDay(day(t, "2026-10-16")) {
			t.Fatalf("schedule of 210102: %v", err)
		}
		// A code of the wrong form, or one no jurisdiction has, is refused.
		if _, err := cal.For(ctx, "2101"); !strings.Contains(fieldErrors(t, err), "jurisdiction:invalid_code") {
			t.Errorf("For(2101): %v", err)
		}
		if _, err := cal.For(ctx, "219900"); !strings.Contains(fieldErrors(t, err), "jurisdiction:unknown_jurisdiction") {
			t.Errorf("For(219900): %v", err)
		}
		if _, err := cal.Due(ctx, day(t, "2026-09-24"), 20, "weeks", "219900"); fieldErrors(t, err) != "unit:invalid_unit jurisdiction:unknown_jurisdiction" {
			t.Errorf("a bad unit in an unknown jurisdiction: %v", err)
		}
	})
}

// denyAll is an authoriser that allows nothing.
type denyAll struct{}

func (denyAll) Allowed(int64, string, string, string) bool { return false }

// onlyIn allows calendar:write in one jurisdiction.
type onlyIn string

func (o onlyIn) Allowed(_ int64, jurisdiction, obj, act string) bool {
	return jurisdiction == string(o) && obj == "calendar" && act == "write"
}

func countAudit(t *testing.T, db bun.IDB, action string) int {
	t.Helper()
	n, err := db.NewSelect().Table("audit_log").Where("action = ?", action).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestSetAndRemoveOverrides(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s.DB)
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "shenyang.admin", Password: "shenyang.admin-password"})
		if err != nil {
			t.Fatal(err)
		}
		admin := audit.Actor{UserID: u.ID, Label: u.Login, RequestID: "req-1"}
		cal := calendar.New(s.DB)
		due := func(code string) string {
			t.Helper()
			d, err := cal.Due(ctx, day(t, "2026-09-24"), 20, calendar.WorkingDays, code)
			if err != nil {
				t.Fatal(err)
			}
			return d.String()
		}

		// Refused input changes nothing.
		for _, tc := range []struct {
			jurisdiction, day, kind, note string
			want                          string
		}{
			{"2101", "2026-10-12", "closed", "", "jurisdiction:invalid_code"},
			{"210100", "2026-13-01", "closed", "", "day:invalid_date"},
			{"210100", "2026-10-12", "holiday", "", "kind:invalid_kind"},
			{"210100", "2026-10-12", "closed", strings.Repeat("停", calendar.MaxNoteLength+1), "note:too_long"},
			{"219900", "2026-10-12", "closed", "", "jurisdiction:unknown_jurisdiction"},
			{"", "", "", "", "jurisdiction:invalid_code day:invalid_date kind:invalid_kind"},
		} {
			_, err := calendar.SetOverride(ctx, s.DB, calendar.Operator, admin, tc.jurisdiction, tc.day, tc.kind, tc.note)
			if got := fieldErrors(t, err); got != tc.want {
				t.Errorf("SetOverride(%q, %q, %q): %s, want %s", tc.jurisdiction, tc.day, tc.kind, got, tc.want)
			}
		}
		if _, err := calendar.SetOverride(ctx, s.DB, denyAll{}, admin, "210100", "2026-10-12", "closed", ""); err != problem.ErrForbidden {
			t.Errorf("without calendar:write: %v", err)
		}
		if _, err := calendar.SetOverride(ctx, s.DB, onlyIn("210200"), admin, "210100", "2026-10-12", "closed", ""); err != problem.ErrForbidden {
			t.Errorf("calendar:write elsewhere: %v", err)
		}
		if _, err := calendar.SetOverride(ctx, s.DB, nil, admin, "210100", "2026-10-12", "closed", ""); err != problem.ErrForbidden {
			t.Errorf("no authoriser: %v", err)
		}
		if n := countAudit(t, s.DB, "calendar.override.set"); n != 0 {
			t.Fatalf("%d audit entries after refusals", n)
		}

		o, err := calendar.SetOverride(ctx, s.DB, onlyIn("210100"), admin, "210100", " 2026-10-12 ", "closed", "  停电  ")
		if err != nil {
			t.Fatal(err)
		}
		if o.ID <= 0 || o.Jurisdiction != "210100" || o.Day.String() != "2026-10-12" || o.Kind != calendar.Closed ||
			o.Note != "停电" || o.CreatedBy != "shenyang.admin" || o.CreatedAt.IsZero() {
			t.Errorf("override: %+v", o)
		}
		if got := due("210102"); got != "2026-10-30" {
			t.Errorf("after the closure, due in 210102 %s", got)
		}
		if got := due("210200"); got != "2026-10-29" {
			t.Errorf("after the closure, due in 210200 %s", got)
		}
		// Setting it again changes nothing; changing it replaces it.
		if _, err := calendar.SetOverride(ctx, s.DB, calendar.Operator, admin, "210100", "2026-10-12", "closed", "停电"); err != nil {
			t.Fatal(err)
		}
		if n := countAudit(t, s.DB, "calendar.override.set"); n != 1 {
			t.Errorf("%d audit entries after setting the same twice", n)
		}
		o2, err := calendar.SetOverride(ctx, s.DB, calendar.Operator, audit.Actor{Label: "cli"}, "210100", "2026-10-12", "working", "")
		if err != nil || o2.ID != o.ID || o2.Kind != calendar.Working || o2.CreatedBy != "cli" {
			t.Fatalf("replacing: %+v %v", o2, err)
		}
		var entries []audit.Entry
		if err := s.DB.NewSelect().Model(&entries).Where("action = ?", "calendar.override.set").Order("id").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Fatalf("%d set entries", len(entries))
		}
		first, second := entries[0], entries[1]
		if first.ObjectType != "calendar_override" || first.ObjectID != "210100/2026-10-12" || first.Jurisdiction != "210100" ||
			first.ActorUserID == nil || *first.ActorUserID != u.ID || first.RequestID != "req-1" || first.Detail["kind"] != "closed" {
			t.Errorf("first audit entry: %+v", first)
		}
		if second.Detail["kind"] != "working" || second.Detail["previous_kind"] != "closed" || second.Detail["previous_note"] != "停电" {
			t.Errorf("second audit entry: %+v", second)
		}

		// Listing by the reader's grant patterns: what applies there, the levels above included.
		set(t, s.DB, "210000", "2026-12-31", "closed", "")
		set(t, s.DB, "210200", "2026-11-02", "closed", "")
		set(t, s.DB, "210200", "2025-11-03", "closed", "")
		for _, tc := range []struct {
			patterns []string
			year     int
			want     string
		}{
			{[]string{"*"}, 0, "210200/2025-11-03 210100/2026-10-12 210200/2026-11-02 210000/2026-12-31"},
			{[]string{"21*"}, 2026, "210100/2026-10-12 210200/2026-11-02 210000/2026-12-31"},
			{[]string{"2102*"}, 2026, "210200/2026-11-02 210000/2026-12-31"},
			{[]string{"210102"}, 0, "210100/2026-10-12 210000/2026-12-31"},
			{[]string{"2102*", "210102"}, 2025, "210200/2025-11-03"},
			{nil, 0, ""},
		} {
			list, err := calendar.Overrides(ctx, s.DB, tc.patterns, tc.year)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range list {
				got = append(got, o.Jurisdiction+"/"+o.Day.String())
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("Overrides(%v, %d) = %v, want %s", tc.patterns, tc.year, got, tc.want)
			}
		}

		// Removing.
		if err := calendar.RemoveOverride(ctx, s.DB, onlyIn("210200"), admin, "210100", "2026-10-12"); err != problem.ErrForbidden {
			t.Errorf("removing elsewhere: %v", err)
		}
		if err := calendar.RemoveOverride(ctx, s.DB, calendar.Operator, admin, "210100", "2026-10-13"); err != problem.ErrNotFound {
			t.Errorf("removing what is not there: %v", err)
		}
		if got := fieldErrors(t, calendar.RemoveOverride(ctx, s.DB, calendar.Operator, admin, "21010", "10/12/2026")); got != "jurisdiction:invalid_code day:invalid_date" {
			t.Errorf("removing with bad input: %s", got)
		}
		if err := calendar.RemoveOverride(ctx, s.DB, onlyIn("210100"), admin, "210100", "2026-10-12"); err != nil {
			t.Fatal(err)
		}
		if n := countAudit(t, s.DB, "calendar.override.remove"); n != 1 {
			t.Errorf("%d remove entries", n)
		}
		if got := due("210102"); got != "2026-10-29" {
			t.Errorf("after removing, due in 210102 %s", got)
		}
	})
}
