// Package calendar reckons statutory periods in China. Working days (工作日) follow the State
// Council's holiday schedules, make-up working days (调休) counting as working days, corrected by the
// local closures and extra working days that administrators enter per jurisdiction; periods of
// plain days follow 民法典 arts. 201–203. Every reckoning is in civil dates of China Standard Time,
// whatever the server's own zone.
//
// The conventions, shared by every operation so that they agree with each other:
//   - the start day is never counted: a period runs from the day after from;
//   - AddWorkingDays(from, n) is the n-th working day after from (from itself for n = 0);
//   - WorkingDaysBetween(from, to) counts the working days d with from < d ≤ to, so that
//     WorkingDaysBetween(from, AddWorkingDays(from, n)) == n; it is negative, counting the working
//     days of (to, from], when to is before from;
//   - AddCalendarDays(from, n) is the day n days after from or, when that is not a working day
//     (a weekend, a public holiday or a local closure), the next working day (民法典 art. 203).
//
// The national schedules come from github.com/6tail/lunar-go. A year it does not know (before 2002,
// or after the last schedule it ships) counts weekends only: see HasSchedule.
package calendar

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
)

// MaxDays bounds the periods and spans the calendar reckons (about ten years), so that no request
// can keep it counting for long.
const MaxDays = 3660

// The units of a period, as service items state their time limits.
const (
	WorkingDays  = "working_days"
	CalendarDays = "calendar_days"
)

// Calendar answers questions about working days, reading the local overrides from its database
// afresh for each question (two small queries, never one per day), so that a change made by any
// process counts at once. It holds no other state: making one per request costs nothing.
type Calendar struct {
	db bun.IDB
}

// New returns the calendar over db. With a nil db it knows the national schedule only and refuses
// no jurisdiction code of the right form.
func New(db bun.IDB) *Calendar { return &Calendar{db: db} }

// Schedule is the working-day calendar of one jurisdiction: the national schedule with the local
// overrides of the jurisdiction and of those above it, as read at one moment. Its methods touch no
// database, for reckoning many periods at once.
type Schedule struct {
	// Jurisdiction is the six-digit code the schedule is for, or "" for the national schedule alone.
	Jurisdiction string
	// local are the overrides that apply, the most specific for each day.
	local map[Date]OverrideKind
}

// For reads the schedule of the jurisdiction with code ("" for the national schedule alone): it
// checks that the jurisdiction exists and reads the overrides of it and of those above it. An override of a province applies to its cities and counties, one of a city to its
// counties; on a day with overrides at several levels the most specific wins.
func (c *Calendar) For(ctx context.Context, code string) (*Schedule, error) {
	s := &Schedule{Jurisdiction: code, local: map[Date]OverrideKind{}}
	if code == "" {
		return s, nil
	}
	var fields problem.Fields
	if !jurisdictions.ValidCode(code) {
		invalidCode(&fields)
		return nil, fields.Err()
	}
	if c.db == nil {
		return s, nil
	}
	if err := checkJurisdiction(ctx, c.db, code, &fields); err != nil {
		return nil, err
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	levels := ancestry(code)
	var rows []overrideRow
	if err := c.db.NewSelect().Model(&rows).Column("jurisdiction", "day", "kind").
		Where("jurisdiction IN (?)", bun.List(levels)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the calendar overrides of %s: %w", code, err)
	}
	// From the top down, so that the more specific override of a day replaces the broader one.
	for i := len(levels) - 1; i >= 0; i-- {
		for _, r := range rows {
			if r.Jurisdiction != levels[i] {
				continue
			}
			d, err := ParseDate(r.Day)
			if err != nil {
				return nil, fmt.Errorf("calendar override %s of %s: %w", r.Day, r.Jurisdiction, err)
			}
			s.local[d] = OverrideKind(r.Kind)
		}
	}
	return s, nil
}

// ancestry returns code and the codes above it, most specific first: 210102, 210100, 210000.
func ancestry(code string) []string {
	out := []string{code}
	for p := jurisdictions.ParentOf(code); p != ""; p = jurisdictions.ParentOf(p) {
		out = append(out, p)
	}
	return out
}

// WorkingDaysBetween returns the number of working days after from up to and including to.
func (c *Calendar) WorkingDaysBetween(ctx context.Context, from, to Date, jurisdiction string) (int, error) {
	var fields problem.Fields
	checkSpan(&fields, from, to)
	s, err := c.schedule(ctx, jurisdiction, fields)
	if err != nil {
		return 0, err
	}
	return s.WorkingDaysBetween(from, to)
}

// Due returns the last day of a period of n days in unit (WorkingDays or CalendarDays) from from.
func (c *Calendar) Due(ctx context.Context, from Date, n int, unit, jurisdiction string) (Date, error) {
	var fields problem.Fields
	checkPeriod(&fields, from, n)
	checkUnit(&fields, unit)
	s, err := c.schedule(ctx, jurisdiction, fields)
	if err != nil {
		return Date{}, err
	}
	return s.Due(from, n, unit)
}

// schedule reads the jurisdiction's schedule unless the input is invalid: fields are the errors
// found so far, reported together with those of the jurisdiction.
func (c *Calendar) schedule(ctx context.Context, jurisdiction string, fields problem.Fields) (*Schedule, error) {
	s, err := c.For(ctx, jurisdiction)
	if p, ok := problem.As(err); ok && p.Kind == problem.Invalid {
		fields = append(fields, p.Fields...)
	} else if err != nil {
		return nil, err
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// IsWorkingDay reports whether d is a working day: a local override decides if there is one, then
// the national schedule, then the day of the week.
func (s *Schedule) IsWorkingDay(d Date) bool {
	if k, ok := s.local[d]; ok {
		return k == Working
	}
	return nationalWorkingDay(d)
}

// NextWorkingDay returns d if it is a working day, else the first working day after it.
func (s *Schedule) NextWorkingDay(d Date) Date {
	// Overrides are finite and every week has weekdays, so this ends; MaxDays is a safety net.
	for i := 0; i < MaxDays && !s.IsWorkingDay(d); i++ {
		d = d.AddDays(1)
	}
	return d
}

// AddWorkingDays returns the n-th working day after from; from itself for n = 0.
func (s *Schedule) AddWorkingDays(from Date, n int) (Date, error) {
	var fields problem.Fields
	checkPeriod(&fields, from, n)
	if err := fields.Err(); err != nil {
		return Date{}, err
	}
	d := from
	for counted := 0; counted < n; {
		d = d.AddDays(1)
		if s.IsWorkingDay(d) {
			counted++
		}
	}
	return d, nil
}

// WorkingDaysBetween counts the working days d with from < d ≤ to, or minus those with
// to < d ≤ from when to is before from.
func (s *Schedule) WorkingDaysBetween(from, to Date) (int, error) {
	var fields problem.Fields
	checkSpan(&fields, from, to)
	if err := fields.Err(); err != nil {
		return 0, err
	}
	sign := 1
	if to.Before(from) {
		from, to, sign = to, from, -1
	}
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		if s.IsWorkingDay(d) {
			n++
		}
	}
	return sign * n, nil
}

// AddCalendarDays returns the last day of a period of n days by 民法典 arts. 201–203: the start day
// is not counted, and a period whose last day is not a working day ends on the next working day.
func (s *Schedule) AddCalendarDays(from Date, n int) (Date, error) {
	var fields problem.Fields
	checkPeriod(&fields, from, n)
	if err := fields.Err(); err != nil {
		return Date{}, err
	}
	return s.NextWorkingDay(from.AddDays(n)), nil
}

// Due returns the last day of a period of n days in unit (WorkingDays or CalendarDays) from from.
func (s *Schedule) Due(from Date, n int, unit string) (Date, error) {
	var fields problem.Fields
	checkPeriod(&fields, from, n)
	checkUnit(&fields, unit)
	if err := fields.Err(); err != nil {
		return Date{}, err
	}
	if unit == WorkingDays {
		return s.AddWorkingDays(from, n)
	}
	return s.AddCalendarDays(from, n)
}

// checkPeriod validates the start and length of a period.
func checkPeriod(fields *problem.Fields, from Date, n int) {
	if from.IsZero() {
		fields.Add("from", "required", "请填写起算日期。", "Enter the date the period starts from.")
	}
	if n < 0 || n > MaxDays {
		fields.Add("days", "out_of_range", fmt.Sprintf("天数须在0到%d之间。", MaxDays),
			fmt.Sprintf("The number of days must be between 0 and %d.", MaxDays))
	}
}

// checkUnit validates the unit of a period.
func checkUnit(fields *problem.Fields, unit string) {
	if unit != WorkingDays && unit != CalendarDays {
		fields.Add("unit", "invalid_unit", "期间单位须为 working_days（工作日）或 calendar_days（日）。",
			"The unit must be working_days or calendar_days.")
	}
}

// checkSpan validates the two ends of a span.
func checkSpan(fields *problem.Fields, from, to Date) {
	if from.IsZero() {
		fields.Add("from", "required", "请填写起算日期。", "Enter the date the period starts from.")
	}
	if to.IsZero() {
		fields.Add("to", "required", "请填写截止日期。", "Enter the date the period ends on.")
	} else if !from.IsZero() && abs(to.Sub(from)) > MaxDays {
		fields.Add("to", "out_of_range", fmt.Sprintf("两个日期相隔不能超过%d日。", MaxDays),
			fmt.Sprintf("The dates may be at most %d days apart.", MaxDays))
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// invalidCode adds the error of a jurisdiction code of the wrong form.
func invalidCode(fields *problem.Fields) {
	fields.Add("jurisdiction", "invalid_code", "请填写六位行政区划代码。", "Enter a six-digit division code.")
}

// checkJurisdiction adds a field error when no jurisdiction has the (well-formed) code.
func checkJurisdiction(ctx context.Context, db bun.IDB, code string, fields *problem.Fields) error {
	ok, err := db.NewSelect().Table("jurisdictions").Where("code = ?", code).Exists(ctx)
	if err != nil {
		return fmt.Errorf("looking up jurisdiction %s: %w", code, err)
	}
	if !ok {
		fields.Add("jurisdiction", "unknown_jurisdiction", "没有这个行政区划。", "There is no such jurisdiction.")
	}
	return nil
}
