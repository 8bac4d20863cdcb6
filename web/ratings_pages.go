package web

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/ratings"
	"github.com/civicflow/civicflow/tables"
)

// 好差评: the rating form on a finished case and a checked-in booking, the staff pages of
// rectifications and of one's own ratings, and the public statistics with their CSV export; the rules
// are package ratings'.

// itemOf names the item a booked service applies for, for the statistics per item.
func (s *Server) itemOf(sv appointments.Service) string {
	if s.Desk == nil {
		return ""
	}
	if it, ok := s.Desk.ItemFor(sv); ok {
		return it.Code
	}
	return ""
}

// ratingPanel is the rating form or the rating given, on the case or booking page of the rater.
type ratingPanel struct {
	*ratings.Standing
	// Action is where the form posts.
	Action string
	Levels []int
	// Level and Comment are what was posted, shown again with its errors.
	Level   string
	Comment string
}

// ratingPanelOf is the panel of the case or booking (subject) id for the viewer, nil for anyone but
// its applicant or booker.
func (s *Server) ratingPanelOf(c *fiber.Ctx, subject string, id int64) (*ratingPanel, error) {
	var st *ratings.Standing
	var err error
	p := &ratingPanel{Levels: ratings.Levels}
	if subject == ratings.SubjectCase {
		st, err = ratings.OfCase(c.UserContext(), s.DB, actor(c), id)
		p.Action = fmt.Sprintf("/cases/%d/rating", id)
	} else {
		st, err = ratings.OfVisit(c.UserContext(), s.DB, s.itemOf, actor(c), id)
		p.Action = fmt.Sprintf("/appointments/mine/%d/rating", id)
	}
	if problem.Is(err, problem.NotFound) || problem.Is(err, problem.Unauthenticated) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p.Standing = st
	if c.Method() == fiber.MethodPost && strings.HasSuffix(c.Path(), "/rating") { // the rating refused, not another form
		p.Level, p.Comment = c.FormValue("level"), c.FormValue("comment")
	}
	return p, nil
}

// LevelName names a rating level in the page's language.
func (v *view) LevelName(level int) string { return ratings.LevelName(level, v.Locale) }

// readRating reads the rating form.
func readRating(c *fiber.Ctx) ratings.Input {
	level, _ := strconv.Atoi(strings.TrimSpace(c.FormValue("level")))
	return ratings.Input{Level: level, Comment: c.FormValue("comment")}
}

// ratingFormErr moves the field errors of a rating onto the inputs of the rating form (rating_level,
// rating_comment), apart from the action forms of a case page.
func ratingFormErr(err error) error {
	p, ok := problem.As(err)
	if !ok || len(p.Fields) == 0 {
		return err
	}
	q := *p
	q.Fields = make([]problem.Field, len(p.Fields))
	for i, f := range p.Fields {
		f.Path = "rating_" + f.Path
		q.Fields[i] = f
	}
	return &q
}

// shownOnPage reports whether the page shows err with the form again: bad input, a conflict.
func shownOnPage(err error) bool {
	p, ok := problem.As(err)
	return ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict)
}

// rateCasePost records the applicant's rating of a finished case.
func (s *Server) rateCasePost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	_, err = ratings.RateCase(c.UserContext(), s.DB, s.Enforcer, actor(c), id, readRating(c), s.Engine.Now())
	if shownOnPage(err) {
		return s.renderCase(c, id, ratingFormErr(err), "", nil)
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/cases/%d?rated=1#rating", id), fiber.StatusSeeOther)
}

// rateVisitPost records the booker's rating of a visit checked in.
func (s *Server) rateVisitPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	_, err = ratings.RateVisit(c.UserContext(), s.DB, s.Enforcer, s.itemOf, actor(c), id, readRating(c), s.Engine.Now())
	if shownOnPage(err) {
		return s.renderBooking(c, id, "", ratingFormErr(err))
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/appointments/mine/%d?rated=1#rating", id), fiber.StatusSeeOther)
}

// ratingNames loads the names of the jurisdictions of rated work and of the staff who recorded steps.
func (s *Server) ratingNames(c *fiber.Ctx, v *view, codes []string, people []*int64) error {
	var err error
	v.names, err = s.loadNames(c.UserContext(), codes, people)
	return err
}

// ItemName names a service item of the catalogue, or shows its code.
func (s *Server) itemName(code, locale string) string {
	if s.Catalog != nil {
		if it, ok := s.Catalog.Item(code); ok {
			return it.Name.In(locale)
		}
	}
	if code == "" {
		return "—"
	}
	return code
}

// staffRatingsPage lists the rectifications of the caller's jurisdictions, the open ones by due date
// (?closed=1: all), and the latest ratings with their comments.
func (s *Server) staffRatingsPage(c *fiber.Ctx) error {
	uid := userID(c)
	closed := c.Query("closed") == "1"
	tasks, err := ratings.Open(c.UserContext(), s.DB, s.Enforcer, uid, closed)
	if err != nil {
		return err
	}
	recent, err := ratings.Recent(c.UserContext(), s.DB, s.Enforcer, uid)
	if err != nil {
		return err
	}
	v := s.view(c, "rate_staff_title")
	var codes []string
	for _, t := range tasks {
		codes = append(codes, t.Jurisdiction)
	}
	for _, r := range recent {
		codes = append(codes, r.Jurisdiction)
	}
	if err := s.ratingNames(c, v, codes, nil); err != nil {
		return err
	}
	v.Data = map[string]any{"Tasks": tasks, "Ratings": s.listedLines(recent, v.Locale), "Closed": closed,
		"Today": calendar.DateOf(s.Engine.Now())}
	return s.render(c, "admin_ratings", v)
}

// ratingLine is a listed rating with its item's name.
type ratingLine struct {
	ratings.Listed
	ItemName string
}

func (s *Server) listedLines(list []ratings.Listed, locale string) []ratingLine {
	out := make([]ratingLine, 0, len(list))
	for _, r := range list {
		out = append(out, ratingLine{Listed: r, ItemName: s.itemName(r.ItemCode, locale)})
	}
	return out
}

// ownRatingsPage lists the ratings of the caller's own work: cases they acted on or were assigned,
// visits they checked in.
func (s *Server) ownRatingsPage(c *fiber.Ctx) error {
	list, err := ratings.OwnWork(c.UserContext(), s.DB, userID(c))
	if err != nil {
		return err
	}
	v := s.view(c, "rate_own_title")
	codes := make([]string, 0, len(list))
	for _, r := range list {
		codes = append(codes, r.Jurisdiction)
	}
	if err := s.ratingNames(c, v, codes, nil); err != nil {
		return err
	}
	v.Data = map[string]any{"Ratings": s.listedLines(list, v.Locale)}
	return s.render(c, "staff_ratings", v)
}

// rectificationPage shows one rectification with its steps and the form of the step due.
func (s *Server) rectificationPage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	return s.renderRectification(c, id, c.Query("done"), nil)
}

// renderRectification shows task id; done names the step just recorded, formErr a refused one.
func (s *Server) renderRectification(c *fiber.Ctx, id int64, done string, formErr error) error {
	t, err := ratings.Get(c.UserContext(), s.DB, s.Enforcer, actor(c), id)
	if err != nil {
		return err
	}
	v := s.view(c, "rate_task_title")
	path := fmt.Sprintf("/admin/ratings/%d", id)
	status, err := v.refill(c, formErr, fiber.StatusOK, path, "on", "reached", "summary", "founded", "finding", "measures", "result")
	if err != nil {
		return err
	}
	v.Labels = map[string]string{"on": v.T("rate_callback_on"), "reached": v.T("rate_callback_reached"), "summary": v.T("rate_callback_summary"),
		"founded": v.T("rate_founded"), "finding": v.T("rate_finding"), "measures": v.T("rate_measures"), "result": v.T("rate_result")}
	if err := s.ratingNames(c, v, []string{t.Jurisdiction}, []*int64{t.CallbackBy, t.FindingBy, t.MeasuresBy, t.ResultBy}); err != nil {
		return err
	}
	data := map[string]any{"Task": t, "ItemName": s.itemName(t.Rating.ItemCode, v.Locale), "Today": calendar.DateOf(s.Engine.Now()),
		"MayRectify": ratings.MayRectify(s.Enforcer, userID(c), t.Jurisdiction)}
	if done != "" && (done == ratings.StageCallback || done == ratings.StageFinding || done == ratings.StageRectification || done == ratings.StageResult) {
		v.Notice = v.T("rate_done_" + done)
	}
	v.Data = data
	return s.renderStatus(c, status, "admin_rating", v)
}

// readStep reads the form of a rectification's step.
func readStep(c *fiber.Ctx) ratings.Step {
	in := ratings.Step{Callback: ratings.Callback{On: strings.TrimSpace(c.FormValue("on")), Reached: c.FormValue("reached"), Summary: c.FormValue("summary")},
		Measures: c.FormValue("measures"), Result: c.FormValue("result")}
	in.Finding.Finding = c.FormValue("finding")
	switch c.FormValue("founded") {
	case "yes":
		in.Founded = new(bool)
		*in.Founded = true
	case "no":
		in.Founded = new(bool)
	}
	return in
}

// rectificationStepPost records the posted step of a rectification.
func (s *Server) rectificationStepPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	step := c.Params("step")
	_, err = ratings.Record(c.UserContext(), s.DB, s.Enforcer, actor(c), id, step, readStep(c), s.Engine.Now())
	if shownOnPage(err) || problem.Is(err, problem.Forbidden) {
		return s.renderRectification(c, id, "", err)
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/admin/ratings/%d?done=%s", id, url.QueryEscape(step)), fiber.StatusSeeOther)
}

// ratingsQuery reads the year (default: this year in China) and jurisdiction prefix of the statistics.
func (s *Server) ratingsQuery(c *fiber.Ctx) (year int, prefix string, err error) {
	prefix = strings.TrimSpace(c.Query("jurisdiction"))
	y := strings.TrimSpace(c.Query("year"))
	if y == "" {
		return calendar.DateOf(s.Engine.Now()).Year(), prefix, nil
	}
	year, convErr := strconv.Atoi(y)
	if convErr != nil {
		var fe problem.Fields
		fe.Add("year", "invalid", "请填写年份，如 2026。", "Enter a year such as 2026.")
		return 0, prefix, fe.Err()
	}
	return year, prefix, nil
}

// ratingStats reads the statistics the request asks for.
func (s *Server) ratingStats(c *fiber.Ctx) (*ratings.Statistics, error) {
	year, prefix, err := s.ratingsQuery(c)
	if err != nil {
		return nil, err
	}
	return ratings.Stats(c.UserContext(), s.DB, year, prefix)
}

// ratingsPage is the public statistics: counts per level and 好评率 per item and per department.
func (s *Server) ratingsPage(c *fiber.Ctx) error {
	v := s.view(c, "rate_public_title")
	v.Form["year"], v.Form["jurisdiction"] = strings.TrimSpace(c.Query("year")), strings.TrimSpace(c.Query("jurisdiction"))
	v.Labels = map[string]string{"year": v.T("rate_year"), "jurisdiction": v.T("register_jurisdiction")}
	st, err := s.ratingStats(c)
	status, err := v.showProblem(err, fiber.StatusOK)
	if err != nil {
		return err
	}
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	v.names = placesOf(all)
	data := map[string]any{"Stats": st, "Jurisdictions": all, "Levels": ratings.Levels}
	if st != nil {
		if v.Form["year"] == "" {
			v.Form["year"] = strconv.Itoa(st.Year)
		}
		q := url.Values{"year": {strconv.Itoa(st.Year)}}
		if st.Jurisdiction != "" {
			q.Set("jurisdiction", st.Jurisdiction)
		}
		data["CSV"] = "/ratings/statistics.csv?" + q.Encode()
		data["ItemNames"] = s.itemNames(st, v.Locale)
		data["Tables"] = []ratingTable{{Kind: "items", Rows: st.Items}, {Kind: "departments", Rows: withUnrated(st, all)}}
	}
	v.Data = data
	return s.renderStatus(c, status, "ratings", v)
}

// ratingTable is one ranking of the public statistics: per item or per department.
type ratingTable struct {
	Kind string
	Rows []ratings.Row
}

// withUnrated is the ranking of departments followed by the jurisdictions (within the statistics'
// prefix) that nobody rated that year, whose 好评率 is shown as "—".
func withUnrated(st *ratings.Statistics, all []jurisdictions.Jurisdiction) []ratings.Row {
	out := slices.Clone(st.Departments)
	for _, j := range all {
		if strings.HasPrefix(j.Code, st.Jurisdiction) && !slices.ContainsFunc(out, func(r ratings.Row) bool { return r.Key == j.Code }) {
			out = append(out, ratings.Row{Key: j.Code})
		}
	}
	return out
}

// itemNames names the items of the statistics.
func (s *Server) itemNames(st *ratings.Statistics, locale string) map[string]string {
	out := map[string]string{}
	for _, r := range st.Items {
		out[r.Key] = s.itemName(r.Key, locale)
	}
	return out
}

// ratingsCSVHeader names the columns of the export in both languages.
var ratingsCSVHeader = []string{"类别 Kind", "代码 Code", "名称 Name", "非常满意 Very satisfied", "满意 Satisfied",
	"基本满意 Fairly satisfied", "不满意 Dissatisfied", "非常不满意 Very dissatisfied", "合计 Total", "好评率 Rate of good ratings"}

// ratingsCSV exports the public statistics as CSV in UTF-8 with a byte order mark.
func (s *Server) ratingsCSV(c *fiber.Ctx) error {
	st, err := s.ratingStats(c)
	if err != nil {
		return err
	}
	locale := s.locale(c)
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	places := placesOf(all)
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(ratingsCSVHeader)
	line := func(kind, code, name string, t ratings.Tally) {
		rec := []string{kind, tables.Guard(code), tables.Guard(name)}
		for _, l := range ratings.Levels {
			rec = append(rec, strconv.Itoa(t.Of(l)))
		}
		rate := ""
		if t.GoodRate != nil {
			rate = strconv.FormatFloat(*t.GoodRate*100, 'f', 1, 64) + "%"
		}
		_ = w.Write(append(rec, strconv.Itoa(t.Total), rate))
	}
	for _, r := range st.Items {
		line("事项 Item", r.Key, s.itemName(r.Key, locale), r.Tally)
	}
	for _, r := range withUnrated(st, all) {
		name := r.Key
		if t, ok := places.places[r.Key]; ok {
			name = t.In(locale)
		}
		line("部门 Department", r.Key, name, r.Tally)
	}
	line("合计 Total", "", "", st.Total)
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="ratings-%d.csv"`, st.Year))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}

// The API of 好差评.

// apiCaseRating answers the applicant's standing of a case: the rating given, or whether it may be
// rated now.
func (s *Server) apiCaseRating(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	st, err := ratings.OfCase(c.UserContext(), s.DB, actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// apiRateCase records the applicant's rating of a finished case.
func (s *Server) apiRateCase(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in ratings.Input
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := ratings.RateCase(c.UserContext(), s.DB, s.Enforcer, actor(c), id, in, s.Engine.Now())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// apiVisitRating answers the booker's standing of a visit.
func (s *Server) apiVisitRating(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	st, err := ratings.OfVisit(c.UserContext(), s.DB, s.itemOf, actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// apiRateVisit records the booker's rating of a visit checked in.
func (s *Server) apiRateVisit(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in ratings.Input
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	r, err := ratings.RateVisit(c.UserContext(), s.DB, s.Enforcer, s.itemOf, actor(c), id, in, s.Engine.Now())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

// apiRatingStatistics answers the public statistics of a year.
func (s *Server) apiRatingStatistics(c *fiber.Ctx) error {
	st, err := s.ratingStats(c)
	if err != nil {
		return err
	}
	return c.JSON(st)
}
