package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
)

// The pages of annual-report campaigns: the list, the opening form and a campaign with its
// statistics and the publication of its results. They call the operations of the API
// (campaigns_api.go); the rules are annualreport's.

// campaignsPage lists the campaigns of the caller's jurisdictions, each with its totals.
func (s *Server) campaignsPage(c *fiber.Ctx) error {
	ctx, uid := c.UserContext(), userID(c)
	list, err := annualreport.Campaigns(ctx, s.DB, s.Enforcer, uid)
	if err != nil {
		return err
	}
	totals, err := annualreport.Totals(ctx, s.DB, list)
	if err != nil {
		return err
	}
	v := s.view(c, "annual_campaigns_title")
	codes := make([]string, len(list))
	for i, cp := range list {
		codes[i] = cp.Jurisdiction
	}
	if v.names, err = s.loadNames(ctx, codes, nil); err != nil {
		return err
	}
	v.Data = map[string]any{"Campaigns": list, "Totals": totals, "MayOpen": s.Enforcer.AllowedSomewhere(uid, "campaign", "open")}
	return s.render(c, "admin_campaigns", v)
}

// newCampaignPage is the form that opens a campaign, filled with the defaults: last year, the
// first jurisdiction the caller opens campaigns in, the default reminder days.
func (s *Server) newCampaignPage(c *fiber.Ctx) error {
	return s.renderNewCampaign(c, fiber.StatusOK, nil)
}

// campaignKind is a kind of organisation as the campaign pages show it: the name of its deadline's
// input and the default deadline of the year the form shows, or the campaign's deadline.
type campaignKind struct {
	Kind, Name, Default string
}

// renderNewCampaign shows the opening form; after an opening was refused with formErr, what was
// typed shows again with the errors next to their fields.
func (s *Server) renderNewCampaign(c *fiber.Ctx, status int, formErr error) error {
	ctx, uid := c.UserContext(), userID(c)
	all, err := jurisdictions.List(ctx, s.DB)
	if err != nil {
		return err
	}
	js := jurisdictionsWhere(all, func(code string) bool { return annualreport.MayOpen(s.Enforcer, uid, code) })
	v := s.view(c, "annual_open_title")
	keys := []string{"year", "jurisdiction", "remind_days"}
	for _, k := range register.Kinds {
		keys = append(keys, "deadline_"+k)
	}
	if status, err = v.refill(c, formErr, status, "/admin/campaigns/new", keys...); err != nil {
		return err
	}
	if formErr == nil {
		v.Form["year"] = strconv.Itoa(calendar.DateOf(s.Engine.Now()).Year() - 1)
		v.Form["remind_days"] = strconv.Itoa(annualreport.DefaultRemindDays)
	}
	year, err := strconv.Atoi(strings.TrimSpace(v.Form["year"]))
	if err != nil || year < 2000 || year > 9998 {
		year = calendar.DateOf(s.Engine.Now()).Year() - 1
	}
	v.noteInput("year", v.T("annual_year"), "year")
	v.noteInput("jurisdiction", v.T("annual_jurisdiction"), "jurisdiction")
	kinds := make([]campaignKind, len(register.Kinds))
	for i, k := range register.Kinds {
		kinds[i] = campaignKind{Kind: k, Name: "deadline_" + k, Default: annualreport.DefaultDeadline(year, k)}
		v.noteInput("deadlines."+k, v.Tf("annual_deadline_of", "Kind", v.OrgKind(k)), "deadline_"+k)
	}
	v.noteInput("remind_days", v.T("annual_remind_days"), "remind_days")
	v.Data = map[string]any{"Jurisdictions": js, "Kinds": kinds, "DefaultRemind": annualreport.DefaultRemindDays}
	return s.renderStatus(c, status, "admin_campaign_new", v)
}

// openCampaignPost opens the campaign the form asks for: the same operation as the API's, with the
// deadlines left blank taking their defaults.
func (s *Server) openCampaignPost(c *fiber.Ctx) error {
	o := annualreport.Opening{Jurisdiction: c.FormValue("jurisdiction"), Deadlines: map[string]string{}}
	// A number that does not read is out of range, so that the operation reports it on its field.
	o.Year = formNumber(c.FormValue("year"))
	o.RemindDays = formNumber(c.FormValue("remind_days"))
	for _, k := range register.Kinds {
		if d := strings.TrimSpace(c.FormValue("deadline_" + k)); d != "" {
			o.Deadlines[k] = d
		}
	}
	cp, err := annualreport.Open(c.UserContext(), s.DB, s.Enforcer, actor(c), o, s.Engine.Now())
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict || p.Kind == problem.Forbidden) {
		return s.renderNewCampaign(c, statusByKind[p.Kind], err)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/campaigns/"+strconv.FormatInt(cp.ID, 10)+"?done=opened", fiber.StatusSeeOther)
}

// formNumber reads a whole number typed in a form: 0 for nothing, -1 for what is no number.
func formNumber(s string) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// campaignPage shows a campaign with its statistics per jurisdiction and kind and, for approvers,
// the publication of its results.
func (s *Server) campaignPage(c *fiber.Ctx) error {
	return s.renderCampaign(c, fiber.StatusOK, c.Query("done"), nil)
}

// renderCampaign shows the campaign with the message of done ("opened", "published") or the
// problem formErr of a refused publication.
func (s *Server) renderCampaign(c *fiber.Ctx, status int, done string, formErr error) error {
	cv, err := s.campaign(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	totals, err := annualreport.Totals(ctx, s.DB, []annualreport.Campaign{*cv.Campaign})
	if err != nil {
		return err
	}
	v := s.view(c, "annual_campaign_title")
	if status, err = v.refill(c, formErr, status, "/admin/campaigns/"+strconv.FormatInt(cv.ID, 10)); err != nil {
		return err
	}
	codes := []string{cv.Jurisdiction}
	for _, st := range cv.Statistics {
		codes = append(codes, st.Jurisdiction)
	}
	if v.names, err = s.loadNames(ctx, codes, nil); err != nil {
		return err
	}
	v.Title = v.Tf("annual_campaign_heading", "Year", cv.Year, "Place", v.Place(cv.Jurisdiction))
	kinds := make([]campaignKind, len(register.Kinds))
	for i, k := range register.Kinds {
		kinds[i] = campaignKind{Kind: k, Default: cv.Deadline(k)}
	}
	data := map[string]any{"Campaign": cv.Campaign, "Statistics": cv.Statistics, "Total": totals[cv.ID], "Kinds": kinds,
		"MayPublish": annualreport.MayPublish(s.Enforcer, userID(c), cv.Jurisdiction)}
	if done == "opened" || done == "published" {
		data["Done"] = "annual_done_" + done
	}
	v.Data = data
	return s.renderStatus(c, status, "admin_campaign", v)
}

// publishResultsPost publishes the campaign's results as a notice, as the API does; a refusal
// (nothing reviewed, published already) shows on the campaign's page.
func (s *Server) publishResultsPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	_, err = annualreport.PublishResults(c.UserContext(), s.DB, s.Enforcer, actor(c), id)
	if p, ok := problem.As(err); ok && (p.Kind == problem.Conflict || p.Kind == problem.Forbidden) {
		return s.renderCampaign(c, statusByKind[p.Kind], "", err)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/campaigns/"+strconv.FormatInt(id, 10)+"?done=published", fiber.StatusSeeOther)
}

// annualDue lists the annual reports the caller's organisations have to file, for My organisations,
// with the names of the jurisdictions they are filed in.
func (s *Server) annualDue(c *fiber.Ctx, v *view) ([]annualreport.Due, error) {
	due, err := annualreport.DueFor(c.UserContext(), s.DB, userID(c))
	if err != nil || len(due) == 0 {
		return due, err
	}
	codes := make([]string, len(due))
	for i, d := range due {
		codes[i] = d.Jurisdiction
	}
	v.names, err = s.loadNames(c.UserContext(), codes, nil)
	return due, err
}
