package calendar

import (
	"sort"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"github.com/civicflow/civicflow/lang"
)

// DayKind says how the national schedule departs from the working week on a day.
type DayKind string

// The kinds of day in the State Council's holiday schedule.
const (
	Off    DayKind = "off"    // a day off of a public holiday, weekday or not
	Makeup DayKind = "makeup" // a weekend day worked in exchange (调休), a working day
)

// Day is one day of the national holiday schedule.
type Day struct {
	Date Date    `json:"date"`
	Kind DayKind `json:"kind"`
	// Name is the holiday the day belongs to, as the State Council names it, with an English name.
	Name lang.Text `json:"name"`
}

// holidayNamesEN are the English names of the holidays lunar-go knows.
var holidayNamesEN = map[string]string{
	"元旦节":   "New Year's Day",
	"春节":    "Spring Festival",
	"清明节":   "Qingming Festival",
	"劳动节":   "Labour Day",
	"端午节":   "Dragon Boat Festival",
	"中秋节":   "Mid-Autumn Festival",
	"国庆节":   "National Day",
	"国庆中秋":  "National Day and Mid-Autumn Festival",
	"抗战胜利日": "Victory Day of the War of Resistance",
}

// nationalYears caches the schedule of each year read from lunar-go: year → map[Date]Day.
var nationalYears sync.Map

// nationalYear returns the State Council's schedule of year by date; empty for a year lunar-go does
// not know.
func nationalYear(year int) map[Date]Day {
	if m, ok := nationalYears.Load(year); ok {
		return m.(map[Date]Day)
	}
	m := map[Date]Day{}
	for e := HolidayUtil.GetHolidaysByYear(year).Front(); e != nil; e = e.Next() {
		h := e.Value.(*HolidayUtil.Holiday)
		d, err := ParseDate(h.GetDay())
		if err != nil || d.Year() != year {
			continue
		}
		kind := Off
		if h.IsWork() {
			kind = Makeup
		}
		en := holidayNamesEN[h.GetName()]
		if en == "" {
			en = h.GetName()
		}
		m[d] = Day{Date: d, Kind: kind, Name: lang.Text{ZH: h.GetName(), EN: en}}
	}
	actual, _ := nationalYears.LoadOrStore(year, m)
	return actual.(map[Date]Day)
}

// Holidays returns the days off and the make-up working days of the State Council's schedule for
// year, in date order, from the schedules that github.com/6tail/lunar-go ships (from the end of 2001
// to 2027 in v1.4.7). It is empty for a year the module does not know; see HasSchedule.
func Holidays(year int) []Day {
	m := nationalYear(year)
	out := make([]Day, 0, len(m))
	for _, d := range m {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// HasSchedule reports whether the State Council's holiday schedule of year is known. In a year
// without one every weekday is a working day and every weekend day a day off, until a release of
// lunar-go brings the schedule (published each November for the next year) or administrators enter
// the days as local overrides.
func HasSchedule(year int) bool { return len(nationalYear(year)) > 0 }

// nationalWorkingDay reports whether d is a working day by the national schedule alone.
func nationalWorkingDay(d Date) bool {
	if h, ok := nationalYear(d.Year())[d]; ok {
		return h.Kind == Makeup
	}
	return !isWeekend(d)
}

func isWeekend(d Date) bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}
