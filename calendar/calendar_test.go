package calendar_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/problem"
)

// day parses a YYYY-MM-DD date or fails the test.
func day(t *testing.T, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The national schedule alone, with no database: the cases of domain.md §7.
func TestNationalSchedule(t *testing.T) {
	ctx := context.Background()
	cal := calendar.New(nil)
	for _, tc := range []struct {
		name string
		from string
		days int
		unit string
		want string
	}{
		{"worked example: disclosure request received 2026-09-24", "2026-09-24", 20, calendar.WorkingDays, "2026-10-29"},
		{"zero working days is the start day", "2026-09-24", 0, calendar.WorkingDays, "2026-09-24"},
		{"Sunday 09-20 is a make-up working day for 国庆", "2026-09-18", 1, calendar.WorkingDays, "2026-09-20"},
		{"across 中秋 and 国庆 with the 09-20 make-up day", "2026-09-18", 10, calendar.WorkingDays, "2026-10-09"},
		{"Saturday 10-10 is a make-up working day for 国庆", "2026-09-30", 3, calendar.WorkingDays, "2026-10-10"},
		{"after 10-10 the Sunday is off again", "2026-09-30", 4, calendar.WorkingDays, "2026-10-12"},
		{"Saturday 02-14 is a make-up working day for 春节", "2026-02-13", 1, calendar.WorkingDays, "2026-02-14"},
		{"春节 02-15 to 02-23 is off", "2026-02-13", 2, calendar.WorkingDays, "2026-02-24"},
		{"Saturday 02-28 is a make-up working day for 春节", "2026-02-13", 6, calendar.WorkingDays, "2026-02-28"},
		{"after 02-28 the next is Monday", "2026-02-13", 7, calendar.WorkingDays, "2026-03-02"},
		{"元旦 make-up day 01-04", "2025-12-31", 1, calendar.WorkingDays, "2026-01-04"},
		{"across the turn of the year", "2026-12-30", 3, calendar.WorkingDays, "2027-01-05"},
		{"calendar days ending on a weekday", "2026-03-02", 10, calendar.CalendarDays, "2026-03-12"},
		{"calendar days ending on a Sunday move to Monday", "2026-03-01", 14, calendar.CalendarDays, "2026-03-16"},
		{"calendar days ending inside 国庆 move to 10-08", "2026-09-01", 30, calendar.CalendarDays, "2026-10-08"},
		{"calendar days ending on the make-up Sunday 09-20 stay", "2026-09-10", 10, calendar.CalendarDays, "2026-09-20"},
		{"calendar days ending inside 春节 move to 02-24", "2026-01-20", 30, calendar.CalendarDays, "2026-02-24"},
		{"zero calendar days from a Sunday", "2026-03-15", 0, calendar.CalendarDays, "2026-03-16"},
		{"a year lunar-go does not know counts weekends only", "2030-09-30", 1, calendar.WorkingDays, "2030-10-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := day(t, tc.from)
			got, err := cal.Due(ctx, from, tc.days, tc.unit, "")
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("%s + %d %s = %s, want %s", tc.from, tc.days, tc.unit, got, tc.want)
			}
			if tc.unit == calendar.WorkingDays {
				n, err := cal.WorkingDaysBetween(ctx, from, got, "")
				if err != nil || n != tc.days {
					t.Errorf("WorkingDaysBetween(%s, %s) = %d, %v; want %d", from, got, n, err, tc.days)
				}
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	sched, err := calendar.New(nil).For(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for d, want := range map[string]bool{
		"2026-09-18": true, "2026-09-19": false, "2026-09-20": true, "2026-09-25": false, "2026-09-28": true,
		"2026-10-01": false, "2026-10-07": false, "2026-10-08": true, "2026-10-10": true, "2026-10-11": false,
		"2026-02-14": true, "2026-02-16": false, "2026-02-23": false, "2026-02-28": true, "2026-03-01": false,
		"2026-01-04": true, "2026-05-09": true, "2026-05-05": false, "2026-06-19": false,
		"2030-10-01": true, "2030-10-05": false,
	} {
		if got := sched.IsWorkingDay(day(t, d)); got != want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", d, got, want)
		}
	}
}

// WorkingDaysBetween counts the days after from up to and including to, so that it undoes
// AddWorkingDays; backwards it is negative.
func TestWorkingDaysBetweenRoundTrip(t *testing.T) {
	ctx := context.Background()
	cal := calendar.New(nil)
	sched, err := cal.For(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for from := day(t, "2025-12-20"); from.Before(day(t, "2027-01-10")); from = from.AddDays(3) {
		for _, n := range []int{0, 1, 2, 5, 15, 20, 60} {
			due, err := cal.Due(ctx, from, n, calendar.WorkingDays, "")
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				if !sched.IsWorkingDay(due) {
					t.Errorf("AddWorkingDays(%s, %d) = %s, not a working day", from, n, due)
				}
			}
			got, err := cal.WorkingDaysBetween(ctx, from, due, "")
			if err != nil || got != n {
				t.Fatalf("WorkingDaysBetween(%s, AddWorkingDays(%s, %d) = %s) = %d, %v", from, from, n, due, got, err)
			}
			back, _ := cal.WorkingDaysBetween(ctx, due, from, "")
			if back != -n {
				t.Fatalf("WorkingDaysBetween(%s, %s) = %d, want %d", due, from, back, -n)
			}
		}
	}
	// A span of non-working days counts nothing.
	if n, _ := cal.WorkingDaysBetween(ctx, day(t, "2026-09-30"), day(t, "2026-10-07"), ""); n != 0 {
		t.Errorf("WorkingDaysBetween over 国庆 = %d", n)
	}
}

func TestHolidays(t *testing.T) {
	hs := calendar.Holidays(2026)
	if len(hs) != 39 {
		t.Fatalf("%d days in the 2026 schedule: %v", len(hs), hs)
	}
	if hs[0].Date.String() != "2026-01-01" || hs[0].Kind != calendar.Off || hs[0].Name.ZH != "元旦节" || hs[0].Name.EN != "New Year's Day" {
		t.Errorf("first day of 2026: %+v", hs[0])
	}
	byDate := map[string]calendar.Day{}
	for i, h := range hs {
		byDate[h.Date.String()] = h
		if i > 0 && !hs[i-1].Date.Before(h.Date) {
			t.Errorf("not in date order at %s", h.Date)
		}
	}
	for d, want := range map[string]calendar.DayKind{
		"2026-01-04": calendar.Makeup, "2026-02-14": calendar.Makeup, "2026-02-15": calendar.Off, "2026-02-23": calendar.Off,
		"2026-02-28": calendar.Makeup, "2026-09-20": calendar.Makeup, "2026-10-01": calendar.Off, "2026-10-07": calendar.Off,
		"2026-10-10": calendar.Makeup, "2026-05-09": calendar.Makeup,
	} {
		if byDate[d].Kind != want {
			t.Errorf("%s: %+v, want %s", d, byDate[d], want)
		}
	}
	if byDate["2026-10-10"].Name.ZH != "国庆节" {
		t.Errorf("10-10 named %+v", byDate["2026-10-10"].Name)
	}
	if !calendar.HasSchedule(2026) || !calendar.HasSchedule(2027) || calendar.HasSchedule(2030) || len(calendar.Holidays(2030)) != 0 {
		t.Error("HasSchedule: 2026 and 2027 known, 2030 not")
	}
}

// The Chinese date of an instant decides, whatever the zone of the instant or of the server.
func TestTimeZoneOfTheServerIsIrrelevant(t *testing.T) {
	ny := time.FixedZone("EDT", -4*3600) // New York in September, without depending on a zone database
	saved := time.Local
	time.Local = ny
	t.Cleanup(func() { time.Local = saved })

	// 00:30 on 24 September in Shanghai is still 23 September in New York and in UTC.
	received := time.Date(2026, 9, 23, 12, 30, 0, 0, ny)
	if got := calendar.DateOf(received); got.String() != "2026-09-24" {
		t.Fatalf("DateOf(%s) = %s, want 2026-09-24", received, got)
	}
	if got := calendar.DateOf(received.UTC()); got.String() != "2026-09-24" {
		t.Fatalf("DateOf(%s) = %s", received.UTC(), got)
	}
	due, err := calendar.New(nil).Due(context.Background(), calendar.DateOf(received), 20, calendar.WorkingDays, "")
	if err != nil || due.String() != "2026-10-29" {
		t.Fatalf("due %s, %v", due, err)
	}
	if got := due.Time(); got.In(calendar.Zone).Format("2006-01-02 15:04") != "2026-10-29 00:00" || got.Location() != calendar.Zone {
		t.Errorf("Time() = %s", got)
	}
	if d := day(t, "2026-10-29"); d.Weekday() != time.Thursday {
		t.Errorf("2026-10-29 is a %s", d.Weekday())
	}
}

func TestDate(t *testing.T) {
	for _, bad := range []string{"", "2026-9-24", "2026-02-30", "24.09.2026", "2026-09-24T00:00:00Z", " 2026-09-24"} {
		if _, err := calendar.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	d := calendar.NewDate(2026, 2, 29)
	if d.String() != "2026-03-01" || d.Sub(calendar.NewDate(2026, 2, 28)) != 1 || d.AddDays(-1).String() != "2026-02-28" {
		t.Errorf("NewDate(2026, 2, 29) = %s", d)
	}
	if calendar.NewDate(2027, 1, 1).Sub(calendar.NewDate(2026, 1, 1)) != 365 {
		t.Error("Sub over a year")
	}
	b, err := json.Marshal(map[string]calendar.Date{"due": d})
	if err != nil || string(b) != `{"due":"2026-03-01"}` {
		t.Errorf("JSON: %s %v", b, err)
	}
	var back struct{ Due calendar.Date }
	if err := json.Unmarshal(b, &back); err != nil || back.Due != d {
		t.Errorf("JSON back: %+v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`{"due":"soon"}`), &back); err == nil {
		t.Error("JSON accepted a bad date")
	}
	if !(calendar.Date{}).IsZero() || (calendar.Date{}).String() != "" {
		t.Error("zero Date")
	}
}

// fieldErrors returns "path:code" of every field error of a problem, or fails the test.
func fieldErrors(t *testing.T, err error) string {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Invalid {
		t.Fatalf("want an Invalid problem, got %v", err)
	}
	var out []string
	for _, f := range p.Fields {
		out = append(out, f.Path+":"+f.Code)
	}
	return strings.Join(out, " ")
}

func TestInvalidPeriods(t *testing.T) {
	ctx := context.Background()
	cal := calendar.New(nil)
	from := calendar.NewDate(2026, 9, 24)
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"negative days", func() error { _, err := cal.Due(ctx, from, -1, calendar.WorkingDays, ""); return err }, "days:out_of_range"},
		{"too many days", func() error { _, err := cal.Due(ctx, from, calendar.MaxDays+1, calendar.CalendarDays, ""); return err }, "days:out_of_range"},
		{"no start", func() error { _, err := cal.Due(ctx, calendar.Date{}, 1, calendar.WorkingDays, ""); return err }, "from:required"},
		{"bad unit", func() error { _, err := cal.Due(ctx, from, -5, "weeks", ""); return err }, "days:out_of_range unit:invalid_unit"},
		{"bad jurisdiction", func() error { _, err := cal.Due(ctx, from, 5, calendar.WorkingDays, "2101"); return err }, "jurisdiction:invalid_code"},
		{"everything wrong at once", func() error { _, err := cal.Due(ctx, calendar.Date{}, -1, "weeks", "2101"); return err },
			"from:required days:out_of_range unit:invalid_unit jurisdiction:invalid_code"},
		{"span too long", func() error {
			_, err := cal.WorkingDaysBetween(ctx, from, from.AddDays(calendar.MaxDays+1), "")
			return err
		}, "to:out_of_range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fieldErrors(t, tc.err()); got != tc.want {
				t.Errorf("field errors %q, want %q", got, tc.want)
			}
		})
	}
}
