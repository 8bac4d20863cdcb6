package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/workflow"
)

// The staff desk: the search of the cases of the caller's jurisdictions, finished ones included, on
// a page and in the API (workflow.Engine.Search).

// deskFilters are the query parameters of the desk's search that are text, in the form's order.
var deskFilters = []string{"number", "name", "credit_code", "item", "state", "status", "received_from", "received_to"}

// readCaseSearch reads the desk's search from the query string. A page number that does not parse
// becomes -1, which the search reports on its field with the other invalid filters.
func readCaseSearch(c *fiber.Ctx) workflow.SearchQuery {
	return workflow.SearchQuery{Number: c.Query("number"), Name: c.Query("name"), CreditCode: c.Query("credit_code"),
		ItemCode: c.Query("item"), State: c.Query("state"), Status: c.Query("status"),
		ReceivedFrom: c.Query("received_from"), ReceivedTo: c.Query("received_to"), Overdue: c.QueryBool("overdue"),
		Page: queryNumber(c, "page"), PerPage: queryNumber(c, "per_page")}
}

// deskLink is the desk's address for the search of c's query string on page.
func deskLink(c *fiber.Ctx, page int) string {
	v := url.Values{}
	for _, k := range deskFilters {
		if s := strings.TrimSpace(c.Query(k)); s != "" {
			v.Set(k, s)
		}
	}
	if c.QueryBool("overdue") {
		v.Set("overdue", "1")
	}
	if pp := c.Query("per_page"); pp != "" {
		v.Set("per_page", pp)
	}
	v.Set("page", strconv.Itoa(page))
	return "/desk?" + v.Encode()
}

// deskPage shows the search form and a page of the cases found; invalid filters are shown on their
// fields (422). With no filter at all it lists the newest cases of the caller's scope.
func (s *Server) deskPage(c *fiber.Ctx) error {
	v := s.view(c, "desk_title")
	for _, k := range deskFilters {
		v.Form[k] = strings.TrimSpace(c.Query(k))
	}
	v.Form["overdue"] = c.Query("overdue")
	v.Labels = map[string]string{"number": v.T("case_number"), "name": v.T("desk_name"), "credit_code": v.T("desk_credit_code"),
		"item": v.T("case_item"), "state": v.T("case_state"), "status": v.T("desk_status"), "received_from": v.T("desk_received_from"),
		"received_to": v.T("desk_received_to"), "page": v.T("desk_page"), "per_page": v.T("desk_per_page")}
	res, err := s.Engine.Search(c.UserContext(), currentUser(c).ID, readCaseSearch(c))
	status, err := v.showProblem(err, fiber.StatusOK)
	if err != nil {
		return err
	}
	data := map[string]any{"Items": s.Catalog.Items(), "States": workflow.SearchStates(s.Catalog.Items()),
		"Statuses": []string{workflow.StatusOpen, workflow.StatusClosed}, "Results": res}
	if res != nil {
		if v.names, err = s.caseListNames(c.UserContext(), res.Cases); err != nil {
			return err
		}
		data["Cases"] = s.caseRows(res.Cases, v.Locale)
		pager(data, res.Page, res.Pages(), func(page int) string { return deskLink(c, page) })
	}
	v.Data = data
	return s.renderStatus(c, status, "desk", v)
}

// apiDeskCases answers a page of the desk's search, each case with the names of its jurisdiction
// and its applicant.
func (s *Server) apiDeskCases(c *fiber.Ctx) error {
	res, err := s.Engine.Search(c.UserContext(), currentUser(c).ID, readCaseSearch(c))
	if err != nil {
		return err
	}
	n, err := s.caseListNames(c.UserContext(), res.Cases)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cases": n.cases(res.Cases), "total": res.Total, "capped": res.Capped, "page": res.Page, "per_page": res.PerPage})
}

// dueCell is what the case_due template shows: a case's due dates, in the words of the page.
type dueCell struct {
	V   *view
	Due *workflow.CaseDue
}

// DueCell pairs a case's due dates with the page, for the case_due template.
func (v *view) DueCell(due *workflow.CaseDue) dueCell { return dueCell{V: v, Due: due} }
