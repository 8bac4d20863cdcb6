package web

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
)

// The annual government-information-disclosure report (package disclosure): the page with its tables,
// the forms where the disclosure office keeps what the product does not count, the exports, and the
// API. The rules are disclosure's.

// disclosureScope reads the year and jurisdiction of a report from the query (or the form, for a
// post): the year defaults to last year, the jurisdiction to the first where the caller reads
// reports. A year that does not read, or reads 0, is -1, which the operation refuses on its field.
func (s *Server) disclosureScope(c *fiber.Ctx, js []jurisdictions.Jurisdiction) (int, string) {
	yearText, jurisdiction := c.Query("year"), c.Query("jurisdiction")
	if c.Method() == fiber.MethodPost {
		yearText, jurisdiction = c.FormValue("year"), c.FormValue("jurisdiction")
	}
	year := formNumber(yearText)
	switch {
	case strings.TrimSpace(yearText) == "":
		year = calendar.DateOf(s.Engine.Now()).Year() - 1
	case year == 0:
		year = -1 // year 0 is a bad year like any other, not "last year"
	}
	jurisdiction = strings.TrimSpace(jurisdiction)
	if jurisdiction == "" && len(js) > 0 {
		jurisdiction = js[0].Code
	}
	return year, jurisdiction
}

// reportJurisdictions are the jurisdictions where the caller reads reports, for the picker.
func (s *Server) reportJurisdictions(c *fiber.Ctx) ([]jurisdictions.Jurisdiction, error) {
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return nil, err
	}
	return jurisdictionsWhere(all, func(code string) bool { return disclosure.MayReport(s.Enforcer, userID(c), code) }), nil
}

// reportQuery is the query string of a report's page or export.
func reportQuery(year int, jurisdiction, format string) string {
	v := url.Values{"year": {strconv.Itoa(year)}, "jurisdiction": {jurisdiction}}
	if format != "" {
		v.Set("format", format)
	}
	return v.Encode()
}

// disclosureReportPage shows the report of the year and jurisdiction asked for, with the forms of
// what staff keep beside it.
func (s *Server) disclosureReportPage(c *fiber.Ctx) error {
	return s.renderDisclosureReport(c, fiber.StatusOK, c.Query("done"), 0, nil)
}

// remedyRow is a review or lawsuit as the page lists it.
type remedyRow struct {
	disclosure.Remedy
	Failed bool // the change of this row was refused: the error summary says why
}

// renderDisclosureReport shows the page; after a refused post (formErr), what was typed shows again
// with the errors, and failed names the record whose change was refused.
func (s *Server) renderDisclosureReport(c *fiber.Ctx, status int, done string, failed int64, formErr error) error {
	ctx, uid := c.UserContext(), userID(c)
	js, err := s.reportJurisdictions(c)
	if err != nil {
		return err
	}
	year, jurisdiction := s.disclosureScope(c, js)
	v := s.view(c, "ar13_title")
	if formErr != nil {
		v.Path = "/admin/disclosure/report?" + reportQuery(year, jurisdiction, "")
	}
	v.noteInput("year", v.T("ar13_year"), "year")
	v.noteInput("jurisdiction", v.T("ar13_jurisdiction"), "jurisdiction")
	data := map[string]any{"Jurisdictions": js, "Year": year, "Jurisdiction": jurisdiction, "Figures": disclosure.Figures,
		"Sections": disclosure.Sections, "Kinds": disclosure.RemedyKinds, "Results": disclosure.RemedyResults, "Failed": failed}
	v.Form["year"], v.Form["jurisdiction"] = strconv.Itoa(year), jurisdiction
	if year < 0 {
		v.Form["year"] = c.Query("year")
	}
	r, err := disclosure.ReportFor(ctx, s.DB, s.Enforcer, uid, year, jurisdiction)
	if err == nil {
		err = r.NameAuthority(ctx, s.DB, s.Catalog)
	}
	if p, ok := problem.As(err); ok && p.Kind == problem.Forbidden {
		return err
	}
	if status, err = v.showProblem(err, status); err != nil {
		return err
	}
	valid := status == fiber.StatusOK || (formErr != nil && r != nil)
	if r != nil {
		data["Report"], data["Blocks"] = r, r.Blocks()
		for _, f := range disclosure.Formats {
			data["Export_"+f] = "/api/v1/disclosure/report?" + reportQuery(year, jurisdiction, f)
		}
	}
	if valid && disclosure.MayKeep(s.Enforcer, uid, jurisdiction) {
		data["MayKeep"] = true
		figures, err := disclosure.FiguresOf(ctx, s.DB, year, jurisdiction)
		if err != nil {
			return err
		}
		sections, err := disclosure.SectionsOf(ctx, s.DB, year, jurisdiction)
		if err != nil {
			return err
		}
		for k, val := range figures {
			v.Form[k] = val
		}
		for _, sec := range sections {
			v.Form[sec.Key] = sec.Body
		}
		remedies, err := disclosure.Remedies(ctx, s.DB, year, jurisdiction)
		if err != nil {
			return err
		}
		rows := make([]remedyRow, len(remedies))
		for i, rm := range remedies {
			rows[i] = remedyRow{Remedy: rm, Failed: rm.ID == failed}
		}
		data["Remedies"] = rows
	}
	for _, k := range disclosure.Figures {
		v.noteInput(k, v.T("ar13_figure_"+k), k)
	}
	for _, k := range disclosure.Sections {
		v.noteInput(k, v.T("ar13_section_"+k), k)
	}
	for _, k := range []string{"kind", "result", "reference"} {
		v.noteInput(k, v.T("ar13_remedy_"+k), k)
	}
	if formErr != nil {
		for _, k := range append(append(slices.Clone(disclosure.Figures), disclosure.Sections...), "kind", "result", "reference") {
			if val := c.FormValue(k); c.Request().PostArgs().Has(k) || val != "" {
				v.Form[k] = val
			}
		}
		if status, err = v.showProblem(formErr, status); err != nil {
			return err
		}
	}
	if slices.Contains([]string{"figures", "sections", "remedy_added", "remedy_changed", "remedy_deleted"}, done) {
		v.Notice = v.T("ar13_done_" + done)
	}
	v.Data = data
	return s.renderStatus(c, status, "admin_disclosure_report", v)
}

// afterReportPost answers a post of the report's page: the page with the refusal's errors, or back
// to the page with what was done.
func (s *Server) afterReportPost(c *fiber.Ctx, err error, done string, failed int64) error {
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Forbidden || p.Kind == problem.Conflict) {
		return s.renderDisclosureReport(c, statusByKind[p.Kind], "", failed, err)
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/admin/disclosure/report?%s&done=%s", reportQuery(formNumber(c.FormValue("year")),
		strings.TrimSpace(c.FormValue("jurisdiction")), ""), done), fiber.StatusSeeOther)
}

// disclosureFiguresPost saves the figures of table 二 that staff typed.
func (s *Server) disclosureFiguresPost(c *fiber.Ctx) error {
	typed := map[string]string{}
	for _, k := range disclosure.Figures {
		if c.Request().PostArgs().Has(k) {
			typed[k] = c.FormValue(k)
		}
	}
	err := disclosure.SaveFigures(c.UserContext(), s.DB, s.Enforcer, actor(c), formNumber(c.FormValue("year")), c.FormValue("jurisdiction"), typed)
	return s.afterReportPost(c, err, "figures", 0)
}

// disclosureSectionsPost saves the narrative sections staff wrote.
func (s *Server) disclosureSectionsPost(c *fiber.Ctx) error {
	texts := map[string]string{}
	for _, k := range disclosure.Sections {
		if c.Request().PostArgs().Has(k) {
			texts[k] = c.FormValue(k)
		}
	}
	err := disclosure.SaveSections(c.UserContext(), s.DB, s.Enforcer, actor(c), formNumber(c.FormValue("year")), c.FormValue("jurisdiction"), texts)
	return s.afterReportPost(c, err, "sections", 0)
}

// disclosureRemedyAddPost records a review or lawsuit.
func (s *Server) disclosureRemedyAddPost(c *fiber.Ctx) error {
	_, err := disclosure.AddRemedy(c.UserContext(), s.DB, s.Enforcer, actor(c), disclosure.Remedy{Year: formNumber(c.FormValue("year")),
		Jurisdiction: c.FormValue("jurisdiction"), Kind: c.FormValue("kind"), Result: c.FormValue("result"), Reference: c.FormValue("reference")})
	return s.afterReportPost(c, err, "remedy_added", 0)
}

// disclosureRemedyUpdatePost changes a record's result and reference.
func (s *Server) disclosureRemedyUpdatePost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	_, err = disclosure.UpdateRemedy(c.UserContext(), s.DB, s.Enforcer, actor(c), id, c.FormValue("result"), c.FormValue("reference"))
	return s.afterReportPost(c, err, "remedy_changed", id)
}

// disclosureRemedyDeletePost removes a record entered by mistake.
func (s *Server) disclosureRemedyDeletePost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	err = disclosure.DeleteRemedy(c.UserContext(), s.DB, s.Enforcer, actor(c), id)
	return s.afterReportPost(c, err, "remedy_deleted", id)
}

// apiDisclosureReport answers the report of ?year= (default last year) for ?jurisdiction= (default
// the first where the caller reads reports): JSON, or with ?format= csv, xlsx or pdf the export as
// an attachment.
func (s *Server) apiDisclosureReport(c *fiber.Ctx) error {
	format := strings.TrimSpace(c.Query("format"))
	if format != "" && format != "json" && !slices.Contains(disclosure.Formats, format) {
		var fe problem.Fields
		fe.Add("format", "invalid", "格式须为json、csv、xlsx或pdf。", "The format must be json, csv, xlsx or pdf.")
		return fe.Err()
	}
	js, err := s.reportJurisdictions(c)
	if err != nil {
		return err
	}
	year, jurisdiction := s.disclosureScope(c, js)
	ctx := c.UserContext()
	r, err := disclosure.ReportFor(ctx, s.DB, s.Enforcer, userID(c), year, jurisdiction)
	if err != nil {
		return err
	}
	if err := r.NameAuthority(ctx, s.DB, s.Catalog); err != nil {
		return err
	}
	if format == "" || format == "json" {
		return c.JSON(r)
	}
	body, mediaType, err := r.Export(format, s.Engine.Now())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, mediaType)
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, r.FileName(format)))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(body)
}
