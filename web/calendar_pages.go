package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
)

// The years the calendar pages and API answer for.
const minCalendarYear, maxCalendarYear = 1900, 2199

// calendarYear reads the year of a calendar query: the current year in China when absent.
func calendarYear(c *fiber.Ctx) (int, error) {
	s := c.Query("year")
	if s == "" {
		return calendar.Today().Year(), nil
	}
	y, err := strconv.Atoi(s)
	if err != nil || y < minCalendarYear || y > maxCalendarYear {
		var f problem.Fields
		f.Add("year", "out_of_range", "年份须在1900到2199之间。", "The year must be between 1900 and 2199.")
		return 0, f.Err()
	}
	return y, nil
}

// overrideLine is a local override with what the admin page shows beside it.
type overrideLine struct {
	calendar.Override
	JurisdictionName string
	CanRemove        bool
}

func (s *Server) calendarPage(c *fiber.Ctx) error {
	year, err := calendarYear(c)
	if err != nil {
		year = calendar.Today().Year()
	}
	return s.renderCalendar(c, year, "", nil)
}

// renderCalendar shows the local overrides of the year that apply in the user's jurisdictions, the
// form to add one where the user holds calendar:write, and the national schedule of the year.
func (s *Server) renderCalendar(c *fiber.Ctx, year int, notice string, formErr error) error {
	ctx := c.UserContext()
	u := currentUser(c)
	overrides, err := calendar.Overrides(ctx, s.DB, s.Enforcer.Scopes(u.ID, "calendar", "read"), year)
	if err != nil {
		return err
	}
	all, err := jurisdictions.List(ctx, s.DB)
	if err != nil {
		return err
	}
	v := s.view(c, "admin_calendar_title")
	names := map[string]string{}
	var writable []jurisdictions.Jurisdiction
	for _, j := range all {
		names[j.Code] = j.Name(v.Locale)
		if s.Enforcer.Allowed(u.ID, j.Code, "calendar", "write") {
			writable = append(writable, j)
		}
	}
	rows := make([]overrideLine, 0, len(overrides))
	for _, o := range overrides {
		rows = append(rows, overrideLine{Override: o, JurisdictionName: names[o.Jurisdiction],
			CanRemove: s.Enforcer.Allowed(u.ID, o.Jurisdiction, "calendar", "write")})
	}
	v.Notice = notice
	if c.Method() != fiber.MethodGet {
		v.Path = "/admin/calendar?year=" + strconv.Itoa(year)
	}
	status := fiber.StatusOK
	if formErr != nil {
		p, ok := problem.As(formErr)
		if !ok {
			return formErr
		}
		v.setErrors(p)
		status = statusByKind[p.Kind]
		for _, k := range []string{"jurisdiction", "day", "kind", "note"} {
			v.Form[k] = c.FormValue(k)
		}
		v.Labels = map[string]string{"jurisdiction": v.T("jurisdiction"), "day": v.T("calendar_day"),
			"kind": v.T("calendar_kind"), "note": v.T("calendar_note")}
	}
	v.Data = map[string]any{
		"Year": year, "PrevYear": year - 1, "NextYear": year + 1,
		"Overrides": rows, "Writable": writable,
		"Holidays": calendar.Holidays(year), "Known": calendar.HasSchedule(year),
	}
	return s.renderStatus(c, status, "admin_calendar", v)
}

// calendarFormYear is the year to show after a form: that of the day entered, else the current one.
func calendarFormYear(c *fiber.Ctx) int {
	if d, err := calendar.ParseDate(c.FormValue("day")); err == nil && d.Year() >= minCalendarYear && d.Year() <= maxCalendarYear {
		return d.Year()
	}
	return calendar.Today().Year()
}

func (s *Server) setOverridePage(c *fiber.Ctx) error {
	year := calendarFormYear(c)
	_, err := calendar.SetOverride(c.UserContext(), s.DB, s.Enforcer, actor(c),
		c.FormValue("jurisdiction"), c.FormValue("day"), c.FormValue("kind"), c.FormValue("note"))
	if problem.Is(err, problem.Invalid) || problem.Is(err, problem.Forbidden) {
		return s.renderCalendar(c, year, "", err)
	}
	if err != nil {
		return err
	}
	return s.renderCalendar(c, year, s.view(c, "admin_calendar_title").T("calendar_set_done"), nil)
}

func (s *Server) removeOverridePage(c *fiber.Ctx) error {
	year := calendarFormYear(c)
	err := calendar.RemoveOverride(c.UserContext(), s.DB, s.Enforcer, actor(c), c.FormValue("jurisdiction"), c.FormValue("day"))
	if problem.Is(err, problem.Invalid) || problem.Is(err, problem.Forbidden) || problem.Is(err, problem.NotFound) {
		return s.renderCalendar(c, year, "", err)
	}
	if err != nil {
		return err
	}
	return s.renderCalendar(c, year, s.view(c, "admin_calendar_title").T("calendar_removed_done"), nil)
}

// weekdaysZH name the days of the week in Chinese, Sunday first as time.Weekday counts.
var weekdaysZH = [...]string{"星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"}

// Weekday names the day of the week of a date in the page's language.
func (v *view) Weekday(d calendar.Date) string {
	if v.Locale == "en" {
		return d.Weekday().String()
	}
	return weekdaysZH[d.Weekday()]
}

// apiHolidays answers the national schedule of a year.
func (s *Server) apiHolidays(c *fiber.Ctx) error {
	year, err := calendarYear(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"year": year, "known": calendar.HasSchedule(year), "days": calendar.Holidays(year)})
}

// apiDue reckons the last day of a period, for anyone: citizens may check their deadlines.
func (s *Server) apiDue(c *fiber.Ctx) error {
	var fields problem.Fields
	from, err := calendar.ParseDate(c.Query("from"))
	if err != nil {
		fields.Add("from", "invalid_date", "请按 YYYY-MM-DD 格式填写起算日期。", "Enter the start date as YYYY-MM-DD.")
	}
	days, err := strconv.Atoi(c.Query("days"))
	if err != nil {
		fields.Add("days", "invalid_number", "请填写天数。", "Enter the number of days.")
	}
	unit := c.Query("unit", calendar.WorkingDays)
	jurisdiction := c.Query("jurisdiction")
	if err := fields.Err(); err != nil {
		return err
	}
	due, err := calendar.New(s.DB).Due(c.UserContext(), from, days, unit, jurisdiction)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"from": from, "days": days, "unit": unit, "jurisdiction": jurisdiction, "due": due})
}

// apiOverrides lists the local overrides that apply in the caller's jurisdictions, of one year if
// asked.
func (s *Server) apiOverrides(c *fiber.Ctx) error {
	year := 0
	if c.Query("year") != "" {
		var err error
		if year, err = calendarYear(c); err != nil {
			return err
		}
	}
	overrides, err := calendar.Overrides(c.UserContext(), s.DB, s.Enforcer.Scopes(currentUser(c).ID, "calendar", "read"), year)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"overrides": nonNil(overrides)})
}

type overrideRequest struct {
	Jurisdiction string `json:"jurisdiction"`
	Day          string `json:"day"`
	Kind         string `json:"kind"`
	Note         string `json:"note"`
}

func (s *Server) apiSetOverride(c *fiber.Ctx) error {
	var req overrideRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	o, err := calendar.SetOverride(c.UserContext(), s.DB, s.Enforcer, actor(c), req.Jurisdiction, req.Day, req.Kind, req.Note)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(o)
}

type removeOverrideRequest struct {
	Jurisdiction string `json:"jurisdiction"`
	Day          string `json:"day"`
}

func (s *Server) apiRemoveOverride(c *fiber.Ctx) error {
	var req removeOverrideRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := calendar.RemoveOverride(c.UserContext(), s.DB, s.Enforcer, actor(c), req.Jurisdiction, req.Day); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
