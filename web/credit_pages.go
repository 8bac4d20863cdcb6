package web

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/credit"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
)

// The credit lists (活动异常名录, 严重违法失信名单): public pages and API of each list and of an
// organisation's entries, staff listing and removing; the rules are credit's.

// readCreditQuery reads the search of list from the query string.
func readCreditQuery(c *fiber.Ctx) credit.Query {
	return credit.Query{List: c.Params("list"), Q: c.Query("q"), Jurisdiction: c.Query("jurisdiction"),
		Page: queryNumber(c, "page"), PerPage: queryNumber(c, "per_page")}
}

// creditValues is the query string of the search q on page, for links.
func creditValues(q credit.Query, page int) string {
	v := url.Values{}
	if s := strings.TrimSpace(q.Q); s != "" {
		v.Set("q", s)
	}
	if s := strings.TrimSpace(q.Jurisdiction); s != "" {
		v.Set("jurisdiction", s)
	}
	if q.PerPage > 0 && q.PerPage != credit.DefaultPerPage {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v.Encode()
}

// creditListPage is a public list: the search form and a page of the organisations standing on it.
func (s *Server) creditListPage(c *fiber.Ctx) error {
	q := readCreditQuery(c)
	if _, ok := credit.Reasons[q.List]; !ok {
		return problem.ErrNotFound
	}
	release, err := s.searches.enter(c.UserContext())
	if err != nil {
		return err
	}
	defer release()
	v := s.view(c, "credit_list_"+q.List)
	for k, val := range map[string]string{"q": q.Q, "jurisdiction": q.Jurisdiction} {
		v.Form[k] = strings.TrimSpace(val)
	}
	v.Labels = map[string]string{"q": v.T("credit_q"), "jurisdiction": v.T("register_jurisdiction"),
		"page": v.T("register_page"), "per_page": v.T("register_per_page")}
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	v.names = placesOf(all)
	res, err := credit.Search(c.UserContext(), s.DB, q)
	status, err := v.showProblem(err, fiber.StatusOK)
	if err != nil {
		return err
	}
	data := map[string]any{"List": q.List, "Jurisdictions": all, "Results": res}
	if res != nil {
		pager(data, res.Page, res.Pages(), func(page int) string { return "/credit/" + q.List + "?" + creditValues(q, page) })
	}
	v.Data = data
	return s.renderStatus(c, status, "credit_list", v)
}

// staffCreditPage lists the entries of the caller's jurisdictions (?removed=1: the removed ones
// too), with the listing form and, where the caller may, the removal of each.
func (s *Server) staffCreditPage(c *fiber.Ctx) error {
	return s.renderStaffCredit(c, fiber.StatusOK, c.Query("done"), 0, nil)
}

// renderStaffCredit shows the staff list; after a listing or the removal of entry failed was
// refused with formErr, what was typed shows again where the error points.
func (s *Server) renderStaffCredit(c *fiber.Ctx, status int, done string, failed int64, formErr error) error {
	uid := userID(c)
	removed := c.Query("removed") == "1"
	list, err := credit.ForStaff(c.UserContext(), s.DB, s.Enforcer, uid, removed)
	if err != nil {
		return err
	}
	v := s.view(c, "credit_staff_title")
	codes := make([]string, 0, len(list))
	for _, e := range list {
		codes = append(codes, e.Organisation.Jurisdiction, e.Authority)
	}
	if v.names, err = s.loadNames(c.UserContext(), codes, nil); err != nil {
		return err
	}
	rows := make([]map[string]any, 0, len(list))
	for _, e := range list {
		rows = append(rows, map[string]any{"Entry": e, "MayWrite": credit.MayWrite(s.Enforcer, uid, e.Organisation.Jurisdiction)})
	}
	if status, err = v.refill(c, formErr, status, "/admin/credit", "uscc", "list", "reason", "detail"); err != nil {
		return err
	}
	v.Labels = map[string]string{"uscc": v.T("register_uscc"), "list": v.T("credit_list"), "reason": v.T("credit_reason"),
		"detail": v.T("credit_detail")}
	if failed != 0 {
		v.Labels["reason"] = v.T("credit_removal_reason")
	}
	data := map[string]any{"Rows": rows, "Removed": removed, "Reasons": credit.Reasons, "Lists": []string{credit.ListAbnormal, credit.ListSerious},
		"MayList": s.Enforcer.AllowedSomewhere(uid, "credit", "write"), "Failed": failed}
	if done == "listed" || done == "removed" {
		data["Done"] = "credit_done_" + done
	}
	v.Data = data
	return s.renderStatus(c, status, "admin_credit", v)
}

// creditListPost lists an organisation by staff's decision from the posted form.
func (s *Server) creditListPost(c *fiber.Ctx) error {
	m := credit.Manual{USCC: c.FormValue("uscc"), List: c.FormValue("list"), Reason: c.FormValue("reason"), Detail: c.FormValue("detail")}
	_, err := credit.ListManually(c.UserContext(), s.DB, s.Enforcer, actor(c), m)
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict || p.Kind == problem.Forbidden) {
		return s.renderStaffCredit(c, statusByKind[p.Kind], "", 0, err)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/credit?done=listed", fiber.StatusSeeOther)
}

// creditRemovePost removes an entry by staff's decision with the posted reason.
func (s *Server) creditRemovePost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	_, err = credit.Remove(c.UserContext(), s.DB, s.Enforcer, actor(c), id, c.FormValue("reason"))
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
		return s.renderStaffCredit(c, statusByKind[p.Kind], "", id, err)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/credit?done=removed", fiber.StatusSeeOther)
}

// creditOfOrganisation is the organisation's entries as the caller may see them: with staff's texts
// for staff reading credit entries in its jurisdiction, else as the public sees them.
func (s *Server) creditOfOrganisation(c *fiber.Ctx, o *register.Organisation) ([]credit.Entry, error) {
	list, err := credit.Of(c.UserContext(), s.DB, o.ID)
	if err != nil || credit.MayRead(s.Enforcer, userID(c), o.Jurisdiction) {
		return list, err
	}
	for i := range list {
		list[i] = list[i].Public()
	}
	return list, nil
}

// apiCreditList answers a page of the search of a public list.
func (s *Server) apiCreditList(c *fiber.Ctx) error {
	release, err := s.searches.enter(c.UserContext())
	if err != nil {
		return err
	}
	defer release()
	res, err := credit.Search(c.UserContext(), s.DB, readCreditQuery(c))
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// creditEntries is the answer listing an organisation's entries.
type creditEntries struct {
	Entries []credit.Entry `json:"entries"`
}

// apiOrganisationCredit answers every entry of an organisation, the removed ones too.
func (s *Server) apiOrganisationCredit(c *fiber.Ctx) error {
	o, err := register.ByUSCC(c.UserContext(), s.DB, c.Params("uscc"))
	if err != nil {
		return err
	}
	list, err := s.creditOfOrganisation(c, o)
	if err != nil {
		return err
	}
	return c.JSON(creditEntries{Entries: list})
}

// apiCreditListing lists an organisation by staff's decision (JSON body: credit.Manual).
func (s *Server) apiCreditListing(c *fiber.Ctx) error {
	var body credit.Manual
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	e, err := credit.ListManually(c.UserContext(), s.DB, s.Enforcer, actor(c), body)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

// creditRemoveBody is the body of a removal by staff.
type creditRemoveBody struct {
	Reason string `json:"reason"`
}

// apiCreditRemove removes an entry by staff's decision with the body's reason.
func (s *Server) apiCreditRemove(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var body creditRemoveBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	e, err := credit.Remove(c.UserContext(), s.DB, s.Enforcer, actor(c), id, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(e)
}
