package web

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/problem"
)

// sheetSession is one session of the day sheet with the bookings in it.
type sheetSession struct {
	Session appointments.Session
	Lines   []appointments.SheetLine
	// Other marks the group of bookings outside the day's sessions (the day was closed or its
	// sessions changed after they were made): the people may still come, so they stay on the sheet.
	Other bool
}

func (s *Server) daySheetPage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	notice := ""
	if c.Query("checked_in") != "" {
		notice = "checkin_done"
	}
	return s.renderDaySheet(c, id, c.Query("day"), notice, nil)
}

// renderDaySheet shows what an office expects on a day, session by session, with the check-in form;
// formErr puts a refused check-in on the page together with what was entered.
func (s *Server) renderDaySheet(c *fiber.Ctx, officeID int64, day, notice string, formErr error) error {
	if day == "" {
		day = s.Desk.Today().String()
	}
	sheet, err := s.Desk.DaySheet(c.UserContext(), actor(c), officeID, day)
	if err != nil {
		return err
	}
	v := s.view(c, "day_sheet_title")
	v.Path = "/office/" + strconv.FormatInt(officeID, 10) + "/day?day=" + day
	if notice != "" {
		v.Notice = v.T(notice)
	}
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	present := []string{"", ""} // the ID numbers read from the two cards, kept after a refusal
	if formErr != nil {
		v.Form["code"], v.Form["id_number"], v.Form["service"] = c.FormValue("code"), c.FormValue("id_number"), c.FormValue("service")
		for i, p := range c.Request().PostArgs().PeekMulti("present") {
			if i < len(present) {
				present[i] = string(p)
			}
		}
	}
	v.Labels = map[string]string{"code": v.T("checkin_code"), "id_number": v.T("checkin_id_number"),
		"present": v.T("checkin_present"), "service": v.T("checkin_service")}
	sessions := make([]sheetSession, len(sheet.Sessions))
	for i, ss := range sheet.Sessions {
		sessions[i].Session = ss
	}
	other := sheetSession{Other: true}
	samePerson := false
	for _, l := range sheet.Lines {
		samePerson = samePerson || l.SamePerson != (appointments.SamePerson{})
		if l.Session >= 0 && l.Session < len(sessions) {
			sessions[l.Session].Lines = append(sessions[l.Session].Lines, l)
		} else {
			other.Lines = append(other.Lines, l)
		}
	}
	if len(other.Lines) > 0 {
		sessions = append(sessions, other)
	}
	u := currentUser(c)
	v.Data = map[string]any{"Sheet": sheet, "Sessions": sessions, "Services": sheet.Office.Offered(), "Present": present, "SamePerson": samePerson,
		"CanCheckIn": s.Enforcer.Allowed(u.ID, sheet.Office.Jurisdiction, "appointment", "checkin")}
	return s.renderStatus(c, status, "office_day", v)
}

// foldErrors puts the errors of the elements of a list input (sessions[1].end) on the input itself:
// the first element's, so that the same input always shows the same message.
func (v *view) foldErrors(name string) {
	paths := slices.Sorted(maps.Keys(v.Errors))
	for _, path := range paths {
		if strings.HasPrefix(path, name+"[") || strings.HasPrefix(path, name+".") {
			if _, seen := v.Errors[name]; !seen {
				v.Errors[name] = v.Errors[path]
			}
			delete(v.Errors, path)
		}
	}
}

// onPage reports whether a refused form's error belongs on the form's page: a problem the user can
// mend there, not an office or booking that is not there (an error page) or an internal error.
func onPage(err error) bool {
	p, ok := problem.As(err)
	return ok && p.Kind != problem.NotFound
}

// checkInPost checks a booking in at the window: found by its code or an ID number, with the ID
// numbers read from the cards of the people present.
func (s *Server) checkInPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var present []string
	for _, p := range c.Request().PostArgs().PeekMulti("present") {
		if p := strings.TrimSpace(string(p)); p != "" {
			present = append(present, p)
		}
	}
	in := appointments.CheckInInput{Code: c.FormValue("code"), IDNumber: c.FormValue("id_number"), Present: present,
		Service: appointments.Service(c.FormValue("service")), Day: c.FormValue("day")}
	b, err := s.Desk.CheckIn(c.UserContext(), actor(c), id, in)
	if err != nil {
		if onPage(err) {
			return s.renderDaySheet(c, id, in.Day, "", err)
		}
		return err
	}
	return c.Redirect("/office/"+strconv.FormatInt(id, 10)+"/day?day="+b.Day+"&checked_in="+strconv.FormatInt(b.ID, 10), fiber.StatusSeeOther)
}

// openCasePost starts the case of a checked-in booking and leads to the case page, where the office
// takes the engine's actions as usual.
func (s *Server) openCasePost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	cs, err := s.Desk.OpenCase(ctx, actor(c), id)
	if err != nil {
		if onPage(err) {
			if b, berr := s.Desk.Booking(ctx, actor(c), id); berr == nil {
				return s.renderDaySheet(c, b.OfficeID, b.Day, "", err)
			}
		}
		return err
	}
	return c.Redirect("/cases/"+strconv.FormatInt(cs.ID, 10), fiber.StatusSeeOther)
}

// officeRow is an office on the admin list with what the viewer may do with it.
type officeRow struct {
	Office              appointments.Office
	CanWrite, CanSheets bool
}

func (s *Server) officesPage(c *fiber.Ctx) error {
	return s.renderOffices(c, nil)
}

// renderOffices lists the offices of the viewer's jurisdictions with the form to add one; formErr
// shows a refused new office with what was typed.
func (s *Server) renderOffices(c *fiber.Ctx, formErr error) error {
	ctx := c.UserContext()
	u := currentUser(c)
	offices, err := s.Desk.Offices(ctx, false)
	if err != nil {
		return err
	}
	var rows []officeRow
	for _, o := range offices {
		if s.Enforcer.Allowed(u.ID, o.Jurisdiction, "office", "read") {
			rows = append(rows, officeRow{Office: o, CanWrite: s.Enforcer.Allowed(u.ID, o.Jurisdiction, "office", "write"),
				CanSheets: s.Enforcer.Allowed(u.ID, o.Jurisdiction, "appointment", "read")})
		}
	}
	all, err := jurisdictions.List(ctx, s.DB)
	if err != nil {
		return err
	}
	writable := jurisdictionsWhere(all, func(code string) bool { return s.Enforcer.Allowed(u.ID, code, "office", "write") })
	v := s.view(c, "admin_offices_title")
	v.Path, v.names = "/admin/offices", placesOf(all)
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	if formErr != nil {
		v.keepOfficeForm(c)
	} else {
		v.fillOfficeForm(&appointments.Office{Sessions: []appointments.Session{{Start: "09:00", End: "11:30"}, {Start: "13:30", End: "17:00"}},
			SlotMinutes: 30, Rules: appointments.DefaultRules, Active: true,
			Capacity: map[appointments.Service]int{appointments.Marriage: 4, appointments.Divorce: 2, appointments.Replacement: 1}})
	}
	v.Data = map[string]any{"Offices": rows, "Writable": writable, "NumberFields": officeNumberFields}
	return s.renderStatus(c, status, "admin_offices", v)
}

func (s *Server) createOfficePost(c *fiber.Ctx) error {
	in, err := officeInputFromForm(c)
	if err == nil {
		var o *appointments.Office
		if o, err = s.Desk.CreateOffice(c.UserContext(), actor(c), in); err == nil {
			return c.Redirect("/admin/offices/"+strconv.FormatInt(o.ID, 10)+"?saved=1", fiber.StatusSeeOther)
		}
	}
	if onPage(err) {
		return s.renderOffices(c, err)
	}
	return err
}

func (s *Server) officePage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	notice := ""
	if c.Query("saved") != "" {
		notice = "office_saved"
	}
	return s.renderOffice(c, id, notice, nil)
}

// renderOffice shows one office to those who may read its jurisdiction's offices: its settings
// (a form for those who may change them) and its closures and extra openings of the coming year.
func (s *Server) renderOffice(c *fiber.Ctx, id int64, notice string, formErr error) error {
	ctx := c.UserContext()
	u := currentUser(c)
	o, err := s.Desk.Office(ctx, id)
	if err != nil {
		return err
	}
	if !s.Enforcer.Allowed(u.ID, o.Jurisdiction, "office", "read") {
		return errNotFound
	}
	today := s.Desk.Today()
	days, err := s.Desk.Days(ctx, id, today.String(), today.AddDays(366).String())
	if err != nil {
		return err
	}
	v := s.view(c, "admin_office_title")
	v.Title = o.Name.In(v.Locale)
	if v.names, err = s.loadNames(ctx, []string{o.Jurisdiction}, nil); err != nil {
		return err
	}
	v.Path = "/admin/offices/" + strconv.FormatInt(id, 10)
	if notice != "" {
		v.Notice = v.T(notice)
	}
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	// The page has two forms: what was posted is shown again in the one posted, the office's settings
	// in the other.
	v.fillOfficeForm(o)
	if formErr != nil && c.FormValue("day") != "" {
		v.Form["day"], v.Form["kind"], v.Form["day_sessions"], v.Form["note"] = c.FormValue("day"), c.FormValue("kind"), c.FormValue("day_sessions"), c.FormValue("note")
		v.labelOfficeForm()
	} else if formErr != nil {
		v.keepOfficeForm(c)
	}
	v.Data = map[string]any{"Office": o, "Days": days, "NumberFields": officeNumberFields,
		"CanWrite":  s.Enforcer.Allowed(u.ID, o.Jurisdiction, "office", "write"),
		"CanSheets": s.Enforcer.Allowed(u.ID, o.Jurisdiction, "appointment", "read")}
	return s.renderStatus(c, status, "admin_office", v)
}

func (s *Server) updateOfficePost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	in, err := officeInputFromForm(c)
	if err == nil {
		_, err = s.Desk.UpdateOffice(c.UserContext(), actor(c), id, in)
	}
	return s.afterOfficeChange(c, id, err)
}

func (s *Server) setOfficeDayPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	sessions, err := parseSessions("day_sessions", c.FormValue("day_sessions"))
	if err == nil {
		_, err = s.Desk.SetDay(c.UserContext(), actor(c), id, appointments.OfficeDay{Day: c.FormValue("day"), Kind: c.FormValue("kind"),
			Sessions: sessions, Note: c.FormValue("note")})
	}
	if p, ok := problem.As(err); ok {
		p = renamePaths(p, "sessions", "day_sessions")
		err = p
	}
	return s.afterOfficeChange(c, id, err)
}

func (s *Server) removeOfficeDayPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.afterOfficeChange(c, id, s.Desk.RemoveDay(c.UserContext(), actor(c), id, c.FormValue("day")))
}

// afterOfficeChange answers a change of an office: back to the office with a notice, or the office
// page with the reason the change was refused.
func (s *Server) afterOfficeChange(c *fiber.Ctx, id int64, err error) error {
	if err == nil {
		return c.Redirect("/admin/offices/"+strconv.FormatInt(id, 10)+"?saved=1", fiber.StatusSeeOther)
	}
	if onPage(err) {
		return s.renderOffice(c, id, "", err)
	}
	return err
}

// renamePaths moves the field errors under one input name onto another, where a page names an input
// differently from the operation (the sessions of a day are day_sessions beside the office's own).
func renamePaths(p *problem.Error, from, to string) *problem.Error {
	out := *p
	out.Fields = make([]problem.Field, len(p.Fields))
	for i, f := range p.Fields {
		if f.Path == from || strings.HasPrefix(f.Path, from+"[") {
			f.Path = to
		}
		out.Fields[i] = f
	}
	return &out
}

// officeNumbers are the number fields of an office input by their form names (their paths in
// OfficeInput, so that the operation's field errors land on them), in the order the form shows them,
// to read and fill them alike. Capacities are read per service beside them.
func officeNumbers(in *appointments.OfficeInput) []appointments.RuleNumber {
	out := []appointments.RuleNumber{{Name: "slot_minutes", Value: &in.SlotMinutes}}
	for _, n := range in.Rules.Numbers() {
		out = append(out, appointments.RuleNumber{Name: "rules." + n.Name, Value: n.Value})
	}
	return out
}

// officeNumberFields are the names of the number inputs of the office form.
var officeNumberFields = func() []string {
	names := []string{}
	for _, sv := range appointments.Services {
		names = append(names, "capacity."+string(sv))
	}
	for _, n := range officeNumbers(&appointments.OfficeInput{}) {
		names = append(names, n.Name)
	}
	return names
}()

// officeInputFromForm reads the office form; numbers and session lines that cannot be read are field errors.
func officeInputFromForm(c *fiber.Ctx) (appointments.OfficeInput, error) {
	in := appointments.OfficeInput{Jurisdiction: c.FormValue("jurisdiction"),
		Name:    lang.Text{ZH: c.FormValue("name.zh"), EN: c.FormValue("name.en")},
		Address: lang.Text{ZH: c.FormValue("address.zh"), EN: c.FormValue("address.en")},
		Phone:   c.FormValue("phone"), Active: c.FormValue("active") != "", Capacity: map[appointments.Service]int{}}
	var fe problem.Fields
	number := func(name string) int {
		v := strings.TrimSpace(c.FormValue(name))
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			fe.Add(name, "invalid_number", "请填写整数。", "Enter a whole number.")
		}
		return n
	}
	for _, sv := range appointments.Services {
		if n := number("capacity." + string(sv)); n > 0 {
			in.Capacity[sv] = n
		}
	}
	for _, n := range officeNumbers(&in) {
		*n.Value = number(n.Name)
	}
	sessions, err := parseSessions("sessions", c.FormValue("sessions"))
	if p, ok := problem.As(err); ok {
		fe = append(fe, p.Fields...)
	}
	in.Sessions = sessions
	return in, fe.Err()
}

// parseSessions reads opening sessions written one a line as "09:00-11:30"; the operation checks the times.
func parseSessions(name, text string) ([]appointments.Session, error) {
	var out []appointments.Session
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		start, end, ok := strings.Cut(strings.NewReplacer("–", "-", "—", "-", "~", "-").Replace(line), "-")
		if !ok {
			return nil, fieldProblem(name, "invalid_session", "每行写一个时段，如 09:00-11:30。", "Write one session a line, like 09:00-11:30.")
		}
		out = append(out, appointments.Session{Start: strings.TrimSpace(start), End: strings.TrimSpace(end)})
	}
	return out, nil
}

// sessionLines writes sessions one a line, as the office form reads them.
func sessionLines(sessions []appointments.Session) string {
	lines := make([]string, len(sessions))
	for i, ss := range sessions {
		lines[i] = ss.Start + "-" + ss.End
	}
	return strings.Join(lines, "\n")
}

// fillOfficeForm shows an office's settings in the office form.
func (v *view) fillOfficeForm(o *appointments.Office) {
	v.Form["jurisdiction"], v.Form["phone"] = o.Jurisdiction, o.Phone
	v.Form["name.zh"], v.Form["name.en"], v.Form["address.zh"], v.Form["address.en"] = o.Name.ZH, o.Name.EN, o.Address.ZH, o.Address.EN
	v.Form["sessions"] = sessionLines(o.Sessions)
	if o.Active {
		v.Form["active"] = "1"
	}
	in := appointments.OfficeInput{SlotMinutes: o.SlotMinutes, Rules: o.Rules}
	for _, n := range officeNumbers(&in) {
		v.Form[n.Name] = strconv.Itoa(*n.Value)
	}
	for _, sv := range appointments.Services {
		v.Form["capacity."+string(sv)] = strconv.Itoa(o.Capacity[sv])
	}
}

// officeTextFields are the office form's inputs besides its numbers.
var officeTextFields = []string{"jurisdiction", "phone", "name.zh", "name.en", "address.zh", "address.en", "sessions"}

// keepOfficeForm shows again what was typed into the office form, and labels its inputs for the
// error summary.
func (v *view) keepOfficeForm(c *fiber.Ctx) {
	for _, k := range append(append([]string{"active"}, officeTextFields...), officeNumberFields...) {
		v.Form[k] = c.FormValue(k)
	}
	v.labelOfficeForm()
}

// labelOfficeForm names the inputs of the office page's forms for the error summary.
func (v *view) labelOfficeForm() {
	v.foldErrors("sessions")
	for _, k := range append(append([]string{"day_sessions", "day", "kind"}, officeTextFields...), officeNumberFields...) {
		v.Labels[k] = v.T(officeLabel(k))
	}
	v.Labels["note"] = v.T("calendar_note")
}

// officeLabel is the message id of an office form input's label.
func officeLabel(name string) string {
	return "office_" + strings.NewReplacer(".", "_").Replace(name)
}

// OfficeLabelID is the message id of the label of an office form input, for the appt_input template.
func (v *view) OfficeLabelID(name string) string { return officeLabel(name) }
