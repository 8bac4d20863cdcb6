package web

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/ratings"
)

// officeChoice is an office on the appointments page with the services a citizen may book there.
type officeChoice struct {
	Office   appointments.Office
	Services []appointments.Service
}

// appointmentsPage lets anyone choose an office and a service, and explains the booking rules;
// ?service= narrows the choice (the guide's link), ?case= carries a confirmation booking along and
// offers only the offices of the case's jurisdiction.
func (s *Server) appointmentsPage(c *fiber.Ctx) error {
	caseID, err := queryCaseID(c)
	if err != nil {
		return err
	}
	if caseID != 0 && currentUser(c) == nil {
		return errLoginRequired
	}
	offices, err := s.Desk.BookingOffices(c.UserContext(), actor(c), caseID)
	if err != nil {
		return err
	}
	only := appointments.Service(c.Query("service"))
	var choices []officeChoice
	for _, o := range offices {
		services := o.Offered()
		if only != "" {
			services = slices.DeleteFunc(services, func(sv appointments.Service) bool { return sv != only })
		}
		if len(services) > 0 {
			choices = append(choices, officeChoice{Office: o, Services: services})
		}
	}
	v := s.view(c, "appointments_title")
	if c.Query("from") == "apply" { // sent here from the application page of a booked item
		v.Notice = v.T("appointments_booked_not_applied")
	}
	v.Data = map[string]any{"Offices": choices, "CaseID": caseID}
	return s.render(c, "appointments", v)
}

// slotLink is a slot of the office page with the address of its booking form.
type slotLink struct {
	appointments.Slot
	Link string
}

// dayLink is a day of the office page's date picker.
type dayLink struct {
	appointments.DayFree
	Link     string
	Selected bool
}

// bookingQuery is the query string that carries a chosen time from page to page.
func bookingQuery(officeID int64, service appointments.Service, day, start string, caseID int64) string {
	q := url.Values{"office": {strconv.FormatInt(officeID, 10)}, "service": {string(service)}}
	if day != "" {
		q.Set("day", day)
	}
	if start != "" {
		q.Set("start", start)
	}
	if caseID != 0 {
		q.Set("case", strconv.FormatInt(caseID, 10))
	}
	return q.Encode()
}

// officeSlotsPage shows an office's bookable days for a service and the slots of the chosen day,
// each free slot a link to the booking form. Visitors' answers may be kept for a few seconds.
func (s *Server) officeSlotsPage(c *fiber.Ctx) error {
	id, caseID, err := officeAndCase(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	o, err := s.Desk.Office(ctx, id)
	if err != nil {
		return err
	}
	service := appointments.Service(c.Query("service"))
	if service == "" {
		if sv := o.Offered(); len(sv) > 0 {
			service = sv[0]
		}
	}
	v := s.view(c, "appointments_title")
	v.Title = o.Name.In(v.Locale)
	data := map[string]any{"Office": o, "Service": service, "Services": o.Offered(), "CaseID": caseID}
	v.Data = data
	days, err := s.Desk.BookableDays(ctx, id, service, caseID, actor(c))
	if err != nil {
		status, err := v.showProblem(err, fiber.StatusOK)
		if err != nil {
			return err
		}
		return s.renderStatus(c, status, "appointments_office", v)
	}
	day := c.Query("day")
	if day == "" {
		day = firstFreeDay(days)
	}
	var picker []dayLink
	for _, d := range days {
		picker = append(picker, dayLink{DayFree: d, Selected: d.Day == day,
			Link: "/appointments/offices/" + strconv.FormatInt(id, 10) + "?" + bookingQuery(id, service, d.Day, "", caseID)})
	}
	data["Days"], data["Day"] = picker, day
	if it, ok := s.Desk.ItemFor(service); ok {
		data["Item"] = it
	}
	status := fiber.StatusOK
	if day != "" {
		slots, err := s.Desk.Slots(ctx, id, day, service, caseID, actor(c))
		if status, err = v.showProblem(err, fiber.StatusOK); err != nil {
			return err
		}
		if slots != nil {
			var links []slotLink
			for _, sl := range slots.Slots {
				l := slotLink{Slot: sl}
				if sl.Bookable {
					l.Link = "/appointments/book?" + bookingQuery(id, service, day, sl.Start, caseID)
				}
				links = append(links, l)
			}
			data["Slots"], data["Open"], data["Final"] = links, slots.Open, slots.Bookable && !slots.ChangeableOnline
		}
	}
	if err := s.renderStatus(c, status, "appointments_office", v); err != nil {
		return err
	}
	if currentUser(c) == nil {
		// Visitors' pages carry a CSRF token bound to their own cookie: only their browser may keep them.
		c.Set(fiber.HeaderCacheControl, "private, max-age=5")
	}
	return nil
}

// firstFreeDay is the first day of the window with a free seat, else "".
func firstFreeDay(days []appointments.DayFree) string {
	for _, d := range days {
		if d.Open && d.Free > 0 {
			return d.Day
		}
	}
	return ""
}

// bookingFields are the inputs of the booking form that a citizen types, with their labels.
var bookingFields = []string{"booker_name", "booker_id_number", "partner_name", "partner_id_number", "phone"}

// bookPage shows the booking form for the time chosen on the office page.
func (s *Server) bookPage(c *fiber.Ctx) error {
	v := s.view(c, "book_title")
	u := currentUser(c)
	v.Form["booker_name"], v.Form["phone"] = u.DisplayName, u.Phone
	return s.renderBookForm(c, v, bookingFromQuery(c), nil)
}

// bookingFromQuery reads the chosen time of the booking form's address.
func bookingFromQuery(c *fiber.Ctx) appointments.BookingInput {
	officeID, _ := strconv.ParseInt(c.Query("office"), 10, 64)
	caseID, _ := strconv.ParseInt(c.Query("case"), 10, 64)
	return appointments.BookingInput{OfficeID: officeID, Service: appointments.Service(c.Query("service")),
		Day: c.Query("day"), Start: c.Query("start"), CaseID: caseID}
}

// bookPost books the time of the form. A second post of the form that booked (a double click, a
// reload) shows that booking; every refusal, that of the one-time token too, is shown on the form
// with what was typed.
func (s *Server) bookPost(c *fiber.Ctx) error {
	in := bookingFromForm(c)
	id, err := s.bookOnce(c, in)
	if err == nil {
		return c.Redirect(bookingAddress(id), fiber.StatusSeeOther)
	}
	if _, ok := problem.As(err); !ok {
		return err
	}
	v := s.view(c, "book_title")
	v.Path = "/appointments/book?" + bookingQuery(in.OfficeID, in.Service, in.Day, in.Start, in.CaseID)
	for _, k := range bookingFields {
		v.Form[k] = c.FormValue(k)
	}
	return s.renderBookForm(c, v, in, err)
}

// bookingFromForm reads the booking form.
func bookingFromForm(c *fiber.Ctx) appointments.BookingInput {
	officeID, _ := strconv.ParseInt(c.FormValue("office_id"), 10, 64)
	caseID, _ := strconv.ParseInt(c.FormValue("case_id"), 10, 64)
	return appointments.BookingInput{OfficeID: officeID, Service: appointments.Service(c.FormValue("service")),
		Day: c.FormValue("day"), Start: c.FormValue("start"), CaseID: caseID,
		BookerName: c.FormValue("booker_name"), BookerIDNumber: c.FormValue("booker_id_number"),
		PartnerName: c.FormValue("partner_name"), PartnerIDNumber: c.FormValue("partner_id_number"), Phone: c.FormValue("phone")}
}

// bookOnce books in under the form's one-time token and returns the booking's ID, or that of the
// booking an earlier post of the same form made.
func (s *Server) bookOnce(c *fiber.Ctx, in appointments.BookingInput) (int64, error) {
	once, booked, err := s.claimOnce(c)
	if err != nil || booked != 0 {
		return booked, err
	}
	defer s.releaseOnce(c, once)
	b, err := s.Desk.Book(c.UserContext(), actor(c), in, appointments.WithinBooking(func(ctx context.Context, tx bun.Tx, b *appointments.Booking) error {
		return bindOnce(once)(ctx, tx, b.ID)
	}))
	if err != nil {
		return 0, err
	}
	return b.ID, nil
}

// bookingAddress is the page of a booking just made.
func bookingAddress(id int64) string {
	return "/appointments/mine/" + strconv.FormatInt(id, 10) + "?booked=1"
}

// renderBookForm shows the booking form for the chosen time, with the errors of a refused booking:
// field errors next to their inputs (422), a full slot, a second booking or a ban on top (409).
func (s *Server) renderBookForm(c *fiber.Ctx, v *view, in appointments.BookingInput, formErr error) error {
	ctx := c.UserContext()
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	bound, err := accounts.IDNumberOf(ctx, s.DB, currentUser(c).ID)
	if err != nil {
		return err
	}
	if bound != "" {
		v.Form["booker_id_number"] = bound
	}
	for _, k := range bookingFields {
		v.Labels[k] = v.T("book_" + k)
	}
	v.Labels["day"], v.Labels["start"] = v.T("book_day"), v.T("book_time")
	d := map[string]any{"In": in, "Bound": bound != "", "Query": bookingQuery(in.OfficeID, in.Service, in.Day, "", in.CaseID), "Once": newOnce()}
	if o, err := s.Desk.Office(ctx, in.OfficeID); err == nil {
		d["Office"] = o
		if slots, err := s.Desk.Slots(ctx, in.OfficeID, in.Day, in.Service, in.CaseID, actor(c)); err == nil {
			d["Final"] = slots.Bookable && !slots.ChangeableOnline
			for _, sl := range slots.Slots {
				if sl.Start == in.Start {
					d["End"] = sl.End
				}
			}
		}
	}
	if in.CaseID != 0 {
		if from, to, err := s.Desk.Window(ctx, actor(c), in.CaseID); err == nil {
			d["WindowFrom"], d["WindowTo"] = from, to
		}
	}
	if it, ok := s.Desk.ItemFor(in.Service); ok {
		d["Item"] = it
	}
	v.Data = d
	return s.renderStatus(c, status, "appointments_book", v)
}

func (s *Server) myBookingsPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	bookings, err := s.Desk.MyBookings(ctx, actor(c))
	if err != nil {
		return err
	}
	ban, err := s.Desk.BanOf(ctx, actor(c))
	if err != nil {
		return err
	}
	v := s.view(c, "my_bookings_title")
	v.Data = map[string]any{"Bookings": bookings, "Ban": ban, "Offices": s.officeNames(c, v.Locale)}
	return s.render(c, "appointments_mine", v)
}

// officeNames names every office by id, for lists of bookings.
func (s *Server) officeNames(c *fiber.Ctx, locale string) map[int64]string {
	names := map[int64]string{}
	offices, err := s.Desk.Offices(c.UserContext(), false)
	if err != nil {
		return names // the names are a convenience; the booking page shows the office itself
	}
	for _, o := range offices {
		names[o.ID] = o.Name.In(locale)
	}
	return names
}

func (s *Server) bookingPage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	notice := ""
	switch {
	case c.Query("booked") != "":
		notice = "booking_done"
	case c.Query("moved") != "":
		notice = "booking_moved"
	case c.Query("cancelled") != "":
		notice = "booking_cancelled"
	case c.Query("rated") != "":
		notice = "rate_done"
	}
	return s.renderBooking(c, id, notice, nil)
}

// renderBooking shows one booking with what to bring and, while it may still change, the forms to
// move and cancel it; formErr puts a refused change on the page.
func (s *Server) renderBooking(c *fiber.Ctx, id int64, notice string, formErr error) error {
	ctx := c.UserContext()
	b, err := s.Desk.Booking(ctx, actor(c), id)
	if err != nil {
		return err
	}
	o, err := s.Desk.Office(ctx, b.OfficeID)
	if err != nil {
		return err
	}
	v := s.view(c, "booking_title")
	v.Path = "/appointments/mine/" + strconv.FormatInt(id, 10)
	if notice != "" {
		v.Notice = v.T(notice)
	}
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	mine := b.UserID == currentUser(c).ID
	d := map[string]any{"Booking": b, "Office": o, "Mine": mine, "LastChange": appointments.ChangeDeadline(o.Rules, b.Day)}
	if it, ok := s.Desk.ItemFor(b.Service); ok {
		d["Item"] = it
	}
	if mine {
		if d["Rating"], err = s.ratingPanelOf(c, ratings.SubjectVisit, id); err != nil {
			return err
		}
	}
	if mine && s.Desk.Changeable(b, o.Rules) {
		d["Changeable"] = true
		caseID := int64(0)
		if b.CaseID != nil {
			caseID = *b.CaseID
		}
		days, err := s.Desk.BookableDays(ctx, b.OfficeID, b.Service, caseID, actor(c))
		if err == nil {
			d["Days"] = days
		}
		moveDay := c.Query("day", c.FormValue("day"))
		v.Form["day"], v.Form["start"] = moveDay, c.FormValue("start")
		if moveDay != "" {
			if slots, err := s.Desk.Slots(ctx, b.OfficeID, moveDay, b.Service, caseID, actor(c)); err == nil {
				d["MoveSlots"] = slots.Slots
			}
		}
	}
	v.Data = d
	return s.renderStatus(c, status, "appointments_booking", v)
}

func (s *Server) movePost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	_, err = s.Desk.Move(c.UserContext(), actor(c), id, c.FormValue("day"), c.FormValue("start"))
	return s.afterChange(c, id, "moved", err)
}

func (s *Server) cancelPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if c.FormValue("confirm") == "" {
		return s.afterChange(c, id, "cancelled", fieldProblem("confirm", "required",
			"请勾选确认后再取消预约。", "Tick the box to confirm that you want to cancel."))
	}
	_, err = s.Desk.Cancel(c.UserContext(), actor(c), id)
	return s.afterChange(c, id, "cancelled", err)
}

// afterChange answers a move or a cancellation: back to the booking with a notice, or the booking
// page with the reason it was refused.
func (s *Server) afterChange(c *fiber.Ctx, id int64, done string, err error) error {
	if err == nil {
		return c.Redirect("/appointments/mine/"+strconv.FormatInt(id, 10)+"?"+done+"=1", fiber.StatusSeeOther)
	}
	if !onPage(err) {
		return err
	}
	return s.renderBooking(c, id, "", err)
}

// ServiceName names an appointment service in the page's language.
func (v *view) ServiceName(sv appointments.Service) string { return sv.Label(v.Locale) }

// MaskID shows only the last four characters of a resident ID number.
func (v *view) MaskID(id string) string {
	if len(id) <= 4 {
		return id
	}
	return strings.Repeat("*", len(id)-4) + id[len(id)-4:]
}

// DayLabel words a YYYY-MM-DD day with its day of the week.
func (v *view) DayLabel(day string) string {
	d, err := calendar.ParseDate(day)
	if err != nil {
		return day
	}
	return day + " " + v.Weekday(d)
}

// StatusName names a booking status.
func (v *view) StatusName(status string) string { return v.T("booking_status_" + status) }

// RulesText words an office's booking rules, one sentence each.
func (v *view) RulesText(r appointments.Rules) []string {
	return []string{
		v.Tf("rules_window", "Min", r.MinDaysAhead, "Max", r.MaxDaysAhead),
		v.Tf("rules_change", "Days", r.ChangeCutoffDays),
		v.T("rules_in_person"),
		v.Tf("rules_ban", "Lookback", r.LookbackDays, "NoShows", r.NoShowLimit, "Cancels", r.CancelLimit,
			"ShortLookback", r.ShortLookbackDays, "ShortCancels", r.ShortCancelLimit, "BanDays", r.BanDays),
		v.Tf("rules_one_booking", "N", r.DailyBookings),
	}
}

// inputView is what the appt_input template draws: one input of the appointment and office forms.
type inputView struct {
	Name, Label, Type, Hint, Error, ErrorWord, Value, Mode, Auto string
	ReadOnly                                                     bool
}

// Input describes an input of the page's form by name, with the message ids of its label and hint
// ("" for none); kind is text, name, id (a resident ID number), id_locked (the account's own, shown
// read-only), tel, number or date.
func (v *view) Input(name, label, hint, kind string) inputView {
	in := inputView{Name: name, Label: v.T(label), Type: "text", Error: v.Errors[name], ErrorWord: v.T("error_title") + v.T("label_sep"), Value: v.Form[name]}
	if hint != "" {
		in.Hint = v.T(hint)
	}
	switch kind {
	case "name":
		in.Auto = "name"
	case "id", "id_locked":
		in.Mode, in.Auto, in.ReadOnly = "text", "off", kind == "id_locked"
	case "tel":
		in.Type, in.Auto = "tel", "tel"
	case "number":
		in.Mode = "numeric"
	case "date":
		in.Type = "date"
	}
	return in
}
