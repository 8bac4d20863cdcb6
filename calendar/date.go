package calendar

import (
	"fmt"
	"time"

	"github.com/civicflow/civicflow/calendar/china"
)

// Zone is China Standard Time (see china.Zone), in which every deadline is reckoned.
var Zone = china.Zone

// dateLayout is how a Date is written: in the API, the database, forms and the command line.
const dateLayout = "2006-01-02"

// Date is a day of the civil calendar, without a time of day or a zone. The zero Date is no day;
// Dates compare with ==.
type Date struct {
	year  int
	month time.Month
	day   int
}

// NewDate returns the date; out-of-range months and days normalise as time.Date does (January 32
// is February 1).
func NewDate(year int, month time.Month, day int) Date {
	return dateOfUTC(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date written YYYY-MM-DD", s)
	}
	return dateOfUTC(t), nil
}

// DateOf returns the day on which the instant t falls in China, whatever t's own location: 23:30
// UTC on 1 October is already 2 October.
func DateOf(t time.Time) Date { return dateOfUTC(t.In(Zone)) }

// Today is the current day in China.
func Today() Date { return DateOf(time.Now()) }

func dateOfUTC(t time.Time) Date {
	y, m, d := t.Date()
	return Date{year: y, month: m, day: d}
}

// utc is the date at midnight UTC, for arithmetic free of daylight saving.
func (d Date) utc() time.Time { return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, time.UTC) }

// Time returns the start of the day in China.
func (d Date) Time() time.Time { return time.Date(d.year, d.month, d.day, 0, 0, 0, 0, Zone) }

// Year, Month and Day are the parts of the date.
func (d Date) Year() int { return d.year }

// Month is the month of the date.
func (d Date) Month() time.Month { return d.month }

// Day is the day of the month.
func (d Date) Day() int { return d.day }

// Weekday is the day of the week.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// AddDays returns the date n days later (earlier for negative n).
func (d Date) AddDays(n int) Date { return dateOfUTC(d.utc().AddDate(0, 0, n)) }

// Sub returns the number of days from e to d: positive when d is later.
func (d Date) Sub(e Date) int { return int((d.utc().Unix() - e.utc().Unix()) / 86400) }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int { return d.utc().Compare(e.utc()) }

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// String writes the date YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.utc().Format(dateLayout)
}

// MarshalText writes the date YYYY-MM-DD, as JSON and forms carry it.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a date written YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
