package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/semaphore"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/tables"
)

// The public register (社会组织登记信息): anyone may search it and read an organisation's
// particulars, on pages, in the API and as CSV, without logging in.

// readRegisterQuery reads the search of the register from the query string. A number that does not
// parse becomes -1, which register.Search reports on its field with the other invalid filters.
func readRegisterQuery(c *fiber.Ctx) register.Query {
	number := func(name string) int { return queryNumber(c, name) }
	return register.Query{Q: c.Query("q"), USCC: c.Query("uscc"), Kind: c.Query("kind"), Status: c.Query("status"),
		Jurisdiction: c.Query("jurisdiction"), Year: number("year"), Page: number("page"), PerPage: number("per_page")}
}

// queryNumber reads a non-negative number from the query string: 0 when absent, -1 when it does not
// parse, for the search to report on its field with the other invalid filters.
func queryNumber(c *fiber.Ctx, name string) int {
	s := strings.TrimSpace(c.Query(name))
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// registerValues is the query string of the search q on page (0 for none), for links.
func registerValues(q register.Query, page int) string {
	v := url.Values{}
	for k, s := range map[string]string{"q": q.Q, "uscc": q.USCC, "kind": q.Kind, "status": q.Status, "jurisdiction": q.Jurisdiction} {
		if s = strings.TrimSpace(s); s != "" {
			v.Set(k, s)
		}
	}
	if q.Year > 0 {
		v.Set("year", strconv.Itoa(q.Year))
	}
	if q.PerPage > 0 && q.PerPage != register.DefaultPerPage {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v.Encode()
}

// registerPage is the search form and a page of its results.
func (s *Server) registerPage(c *fiber.Ctx) error {
	release, err := s.searches.enter(c.UserContext())
	if err != nil {
		return err
	}
	defer release()
	q := readRegisterQuery(c)
	v := s.view(c, "register_title")
	for k, val := range map[string]string{"q": q.Q, "uscc": q.USCC, "kind": q.Kind, "status": q.Status, "jurisdiction": q.Jurisdiction,
		"year": c.Query("year")} {
		v.Form[k] = strings.TrimSpace(val)
	}
	v.Labels = map[string]string{"q": v.T("register_q"), "uscc": v.T("register_uscc"), "kind": v.T("register_kind"),
		"status": v.T("register_status"), "jurisdiction": v.T("register_jurisdiction"), "year": v.T("register_year"),
		"page": v.T("register_page"), "per_page": v.T("register_per_page")}
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	v.names = placesOf(all)
	res, err := register.Search(c.UserContext(), s.DB, q)
	status, err := v.showProblem(err, fiber.StatusOK)
	if err != nil {
		return err
	}
	data := map[string]any{"Jurisdictions": all, "Kinds": register.Kinds, "Statuses": register.Statuses,
		"Results": res, "CSV": "/register.csv", "MaxExport": register.MaxExport}
	if res != nil {
		qs := registerValues(q, 0)
		if qs != "" {
			data["CSV"] = "/register.csv?" + qs
		}
		pager(data, res.Page, res.Pages(), func(page int) string { return "/register?" + registerValues(q, page) })
	}
	v.Data = data
	return s.renderStatus(c, status, "register", v)
}

// organisationPage shows an organisation's public particulars and history, with the notices its
// registration published (成立公告, 双公示).
func (s *Server) organisationPage(c *fiber.Ctx) error {
	o, err := register.ByUSCC(c.UserContext(), s.DB, c.Params("uscc"))
	if err != nil {
		return err
	}
	v := s.view(c, "register_title")
	v.Title = o.Name
	if v.names, err = s.loadNames(c.UserContext(), []string{o.Jurisdiction}, nil); err != nil {
		return err
	}
	e, err := s.organisationEntry(c.UserContext(), o)
	if err != nil {
		return err
	}
	published, err := notices.ForOrganisation(c.UserContext(), s.DB, o)
	if err != nil {
		return err
	}
	listings, err := s.creditOfOrganisation(c, o)
	if err != nil {
		return err
	}
	v.Data = map[string]any{"Org": o.Public(), "Particulars": o.Particulars(), "History": e.History, "Certificate": e.Certificate,
		"Notices": published, "Term": e.Term, "Credit": listings, "Evaluation": e.Evaluation}
	return s.render(c, "register_organisation", v)
}

// organisationEntry is what the register tells of an organisation beyond its particulars, on its page
// and in the API alike.
type organisationEntry struct {
	Certificate *documents.Certificate
	History     []register.Event
	Evaluation  *register.Evaluation
	Term        *register.Term
}

func (s *Server) organisationEntry(ctx context.Context, o *register.Organisation) (organisationEntry, error) {
	var e organisationEntry
	var err error
	if e.Certificate, err = s.Documents.Certificate(ctx, s.DB, o.ID); err != nil {
		return e, err
	}
	if e.History, err = register.HistoryOf(ctx, s.DB, o); err != nil {
		return e, err
	}
	if e.Evaluation, err = register.EvaluationOf(ctx, s.DB, o.ID, time.Now()); err != nil {
		return e, err
	}
	e.Term, err = register.TermOf(ctx, s.DB, o.ID)
	return e, err
}

// apiRegister answers a page of the search of the register.
func (s *Server) apiRegister(c *fiber.Ctx) error {
	release, err := s.searches.enter(c.UserContext())
	if err != nil {
		return err
	}
	defer release()
	res, err := register.Search(c.UserContext(), s.DB, readRegisterQuery(c))
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(res.Organisations))
	for _, o := range res.Organisations {
		codes = append(codes, o.Jurisdiction)
	}
	n, err := s.loadNames(c.UserContext(), codes, nil)
	if err != nil {
		return err
	}
	out := make([]namedOrganisation, 0, len(res.Organisations))
	for _, o := range res.Organisations {
		out = append(out, n.organisation(o))
	}
	return c.JSON(fiber.Map{"organisations": out, "total": res.Total, "page": res.Page, "per_page": res.PerPage})
}

// organisationAnswer is an organisation of the register as the API answers it.
type organisationAnswer struct {
	namedOrganisation
	Particulars register.Particulars `json:"particulars"`
	History     []register.Event     `json:"history"`
	// Certificate is the current certificate, absent when there is none (an entry from paper).
	Certificate *documents.Certificate `json:"certificate,omitempty"`
	// Evaluation is the latest evaluation level (评估等级), absent when never evaluated.
	Evaluation *register.Evaluation `json:"evaluation,omitempty"`
	// TermEndsOn is the last day of the current term as the latest 换届 filing gave it, absent when none.
	TermEndsOn string `json:"term_ends_on,omitempty"`
}

func (s *Server) apiOrganisation(c *fiber.Ctx) error {
	o, err := register.ByUSCC(c.UserContext(), s.DB, c.Params("uscc"))
	if err != nil {
		return err
	}
	n, err := s.loadNames(c.UserContext(), []string{o.Jurisdiction}, nil)
	if err != nil {
		return err
	}
	e, err := s.organisationEntry(c.UserContext(), o)
	if err != nil {
		return err
	}
	answer := organisationAnswer{namedOrganisation: n.organisation(*o), Particulars: o.Particulars(), History: e.History,
		Certificate: e.Certificate, Evaluation: e.Evaluation}
	if e.Term != nil {
		answer.TermEndsOn = e.Term.EndsOn
	}
	return c.JSON(answer)
}

// registerCSVHeader names the columns of the export in both languages.
var registerCSVHeader = []string{
	"统一社会信用代码 Credit code", "名称 Name", "类型 Kind", "登记状态 Status", "登记管理机关代码 Jurisdiction code",
	"登记管理机关 Registration authority", "住所 Domicile", "法定代表人 Legal representative", "成立登记日期 Registered on",
}

// The public register is open to anyone, without login: a burst of its heavier requests could hold
// the database from everybody else (logged-in staff and applicants included). A process serves
// exportSlots exports (each reads up to register.MaxExport organisations) and searchSlots searches at
// once; a request waits for a slot and is then asked to come back (503 with Retry-After).
const (
	exportSlots = 2
	exportWait  = 5 * time.Second
	searchSlots = 4
	searchWait  = 3 * time.Second
)

// gate lets requests in while a slot is free, waiting for one until wait has passed.
type gate struct {
	slots *semaphore.Weighted
	wait  time.Duration
	busy  error // the answer when no slot came free in time
}

func newGate(slots int64, wait time.Duration, busy error) gate {
	return gate{slots: semaphore.NewWeighted(slots), wait: wait, busy: busy}
}

// enter takes a slot, waiting at most g.wait, and returns its release; g.busy when none came free
// in time.
func (g gate) enter(ctx context.Context) (release func(), err error) {
	ctx, cancel := context.WithTimeout(ctx, g.wait)
	defer cancel()
	if err := g.slots.Acquire(ctx, 1); err != nil {
		return nil, g.busy
	}
	return func() { g.slots.Release(1) }, nil
}

var (
	errExportBusy = problem.New(problem.Unavailable, "export_busy",
		"当前导出请求较多，请稍后再试。", "Many exports are being made just now: try again in a moment.")
	errSearchBusy = problem.New(problem.Unavailable, "search_busy",
		"当前查询人数较多，请稍后再试。", "Many searches are being made just now: try again in a moment.")
)

// registerCSV exports the search as CSV in UTF-8 with a byte order mark, which Excel needs to read
// Chinese correctly: the first register.MaxExport matches, in the order of the page. The
// X-Total-Count header says how many match in all, so that a cut export can be told from a whole.
func (s *Server) registerCSV(c *fiber.Ctx) error {
	release, err := s.exports.enter(c.UserContext())
	if err != nil {
		return err
	}
	defer release()
	res, err := register.Export(c.UserContext(), s.DB, readRegisterQuery(c))
	if err != nil {
		return err
	}
	v := s.view(c, "register_title")
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	v.names = placesOf(all)
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	_ = w.Write(registerCSVHeader)
	for _, o := range res.Organisations {
		_ = w.Write([]string{o.USCC, tables.Guard(o.Name), v.OrgKind(o.Kind), v.OrgStatus(o.Status), o.Jurisdiction,
			tables.Guard(v.Authority(o.Jurisdiction)), tables.Guard(o.Domicile), tables.Guard(o.LegalRepresentative),
			calendar.DateOf(o.RegisteredAt).String()})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="register-%s.csv"`, calendar.Today()))
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Total-Count", strconv.Itoa(res.Total))
	return c.Send(buf.Bytes())
}
