package web

import (
	"bytes"
	"cmp"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"mime"
	"path"
	"slices"
	"strings"
	"text/template/parse"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/policies"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// pages are the parsed page templates by name, each joined with the layout.
type pages struct{ byName map[string]*template.Template }

// loadPages parses every page at start-up, so a broken template stops the process, not a request.
// Files named _*.html hold partials that every page may use; each page is parsed with the layout and
// only the partials it calls (directly or through another partial): a parsed template takes about ten
// times its source in memory, and every page with every partial came to 27 MB, most of an idle
// server's heap.
func loadPages() (*pages, error) {
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	files := map[string]templateFile{}
	definedIn := map[string]string{} // template name → the partial or layout file that defines it
	for _, n := range names {
		f, err := readTemplateFile(n)
		if err != nil {
			return nil, err
		}
		files[n] = f
		if base := path.Base(n); base == "layout.html" || strings.HasPrefix(base, "_") {
			for _, d := range f.defines {
				definedIn[d] = n
			}
		}
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(templateFiles, pageFiles(n, files, definedIn)...)
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", n, err)
		}
		p.byName[name] = t
	}
	return p, nil
}

// templateFile is what a template file defines and which templates it calls.
type templateFile struct{ defines, calls []string }

// readTemplateFile parses a template file only to learn its definitions and calls (functions are not
// checked here; the page's own parse does that).
func readTemplateFile(name string) (templateFile, error) {
	src, err := fs.ReadFile(templateFiles, name)
	if err != nil {
		return templateFile{}, err
	}
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(string(src), "", "", trees); err != nil {
		return templateFile{}, fmt.Errorf("parsing template %s: %w", name, err)
	}
	var f templateFile
	calls := map[string]bool{}
	for d, tree := range trees {
		if d != name {
			f.defines = append(f.defines, d)
		}
		templateCalls(tree.Root, calls)
	}
	f.calls = slices.Sorted(maps.Keys(calls))
	return f, nil
}

// templateCalls adds the names of the templates that node calls to calls.
func templateCalls(node parse.Node, calls map[string]bool) {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			templateCalls(c, calls)
		}
	case *parse.IfNode:
		templateCalls(n.List, calls)
		templateCalls(n.ElseList, calls)
	case *parse.RangeNode:
		templateCalls(n.List, calls)
		templateCalls(n.ElseList, calls)
	case *parse.WithNode:
		templateCalls(n.List, calls)
		templateCalls(n.ElseList, calls)
	case *parse.TemplateNode:
		calls[n.Name] = true
	}
}

// pageFiles lists the files a page is parsed from: the layout, the page, and the partials that define
// the templates these call, transitively.
func pageFiles(page string, files map[string]templateFile, definedIn map[string]string) []string {
	out := []string{"templates/layout.html", page}
	seen := map[string]bool{out[0]: true, page: true}
	for i := 0; i < len(out); i++ {
		for _, c := range files[out[i]].calls {
			if f, ok := definedIn[c]; ok && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// templateFuncs are the few helpers templates need beyond the view's methods.
var templateFuncs = template.FuncMap{
	// inputType is the HTML input type of a form field type, so phones show the right keyboard.
	"inputType": func(fieldType string) string {
		switch fieldType {
		case "phone":
			return "tel"
		case "email":
			return "email"
		case "date":
			return "date"
		}
		return "text"
	},
	// rowButton and importOf hand a repeat's row and list import to their templates (forms_pages.go).
	"rowButton": rowButton,
	"importOf":  importOf,
	// inc numbers rows from 1 for people.
	"inc": func(i int) int { return i + 1 },
	// svg marks a flowchart drawn by the catalog package from a definition as safe to inline.
	"svg": func(b []byte) template.HTML { return template.HTML(b) }, //nolint:gosec // our own renderer escapes every text
}

// view is what every page template receives.
type view struct {
	tr        *translations
	Locale    string
	Title     string
	Path      string
	CSRF      string
	RequestID string
	User      *accounts.User
	Unread    int
	Can       navPermissions
	// SSO says that single sign-on through the unified identity platform is on.
	SSO    bool
	Notice string
	// Errors are field errors by field name; Form holds what the user typed, to show it again.
	Errors map[string]string
	Form   map[string]string
	// Labels name the form inputs on the page by path, for the error summary.
	Labels map[string]string
	Data   any
	// inputs are the inputs drawn from form definitions, by error path, in the order of the page;
	// reported are the paths of the errors in the order the problem listed them.
	inputs   map[string]pageInput
	reported []string
	// names are the names of the jurisdictions and people the page shows (Place, Person).
	names names
}

// pageInput is an input of a page that an error summary links to.
type pageInput struct {
	ID  string
	Pos int
}

// noteInput records the label and HTML id of the input at an error path, in the order of the page.
func (v *view) noteInput(path, label, id string) {
	if v.inputs == nil {
		v.inputs = map[string]pageInput{}
	}
	if _, seen := v.inputs[path]; !seen {
		v.inputs[path] = pageInput{ID: id, Pos: len(v.inputs)}
	}
	v.Labels[path] = label
}

// summaryError is one entry of a page's error summary: the message, and where it links.
type summaryError struct {
	ID, Label, Message string
}

// ErrorList is the page's error summary: a message that belongs to no field first, then the errors
// of the inputs in the order the page shows them (form order), then any others in the order they were
// reported.
func (v *view) ErrorList() []summaryError {
	paths := slices.Collect(maps.Keys(v.Errors))
	rank := func(path string) int {
		if path == "_" {
			return -1
		}
		if in, ok := v.inputs[path]; ok {
			return in.Pos
		}
		if i := slices.Index(v.reported, path); i >= 0 {
			return len(v.inputs) + i
		}
		return len(v.inputs) + len(v.reported)
	}
	slices.SortFunc(paths, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
	out := make([]summaryError, 0, len(paths))
	for _, p := range paths {
		e := summaryError{Message: v.Errors[p]}
		if p != "_" {
			e.ID, e.Label = v.FieldID(p), v.Labels[p]
		}
		out = append(out, e)
	}
	return out
}

// navPermissions decide which menu entries the layout shows.
type navPermissions struct {
	UserRead, UserWrite, RoleGrant, DeliveryRead, AuditRead, CaseRead, CatalogRead, CalendarRead, StatisticsRead, OfficeRead, NoticeRead bool

	// BindingRead shows the staff list of organisation bindings.
	BindingRead bool
	// CreditRead shows the staff list of the credit lists' entries.
	CreditRead bool
	// CampaignRead shows the annual-report campaigns.
	CampaignRead bool
	// InquiryRead and InquiryPublish show the staff list of consultations and complaints and the
	// publisher's review of replies for the Q&A list.
	InquiryRead, InquiryPublish bool
	// DisclosureReport shows the annual disclosure report.
	DisclosureReport bool
	// ConsultationRead shows the staff's page of drafts put to public comment (征求意见).
	ConsultationRead bool
	// RatingRead shows the rectifications of 差评; RatingOwn (staff handling cases or checking people
	// in) the ratings of one's own work.
	RatingRead, RatingOwn bool
	// DisclosureRead shows the disclosure office's requests for government information (依申请公开).
	DisclosureRead bool

	// CatalogWarnings counts the catalogue files skipped at start-up, shown to those who read the catalogue.
	CatalogWarnings int
}

// T translates a message id.
func (v *view) T(id string) string { return v.tr.text(v.Locale, id, nil) }

// Tf translates a message id with named values: {{.Tf "id" "Name" .x}}.
func (v *view) Tf(id string, kv ...any) string {
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return v.tr.text(v.Locale, id, data)
}

// Value is what the user typed into a field, for showing the form again.
func (v *view) Value(name string) string { return v.Form[name] }

// fieldView is what the field_error template receives: one field of a page.
type fieldView struct {
	*view
	Name string
}

// Field pairs the view with a field name for the field_error template.
func (v *view) Field(name string) fieldView { return fieldView{view: v, Name: name} }

// When formats an instant in China Standard Time, which is how staff and citizens read it.
func (v *view) When(t any) string {
	var tm time.Time
	switch x := t.(type) {
	case time.Time:
		tm = x
	case *time.Time:
		if x == nil {
			return ""
		}
		tm = *x
	default:
		return ""
	}
	return tm.In(calendar.Zone).Format("2006-01-02 15:04")
}

// RoleLabel names a role in the page's language, or who else an action of a workflow may be given
// to: the applicant, or the system (a timer).
func (v *view) RoleLabel(role string) string {
	switch role {
	case catalog.Applicant:
		return v.T("by_applicant")
	case catalog.System:
		return v.T("by_system")
	}
	r, ok := policies.RoleByName(role)
	if !ok {
		return role
	}
	return r.Label(v.Locale)
}

// FieldID is the HTML id of the input an error path belongs to, for links from the error summary:
// form inputs drawn from a definition have ids derived from their path, other inputs their name.
func (v *view) FieldID(path string) string {
	if in, ok := v.inputs[path]; ok {
		return in.ID
	}
	return path
}

// StateName names a state of an item's workflow.
func (v *view) StateName(it *catalog.Item, id string) string { return it.StateName(id, v.Locale) }

// ActionName names an action of an item's workflow ("start" is the application itself).
func (v *view) ActionName(it *catalog.Item, id string) string {
	for _, a := range it.Workflow.Actions {
		if a.ID == id {
			return a.Name.In(v.Locale)
		}
	}
	return v.T("action_" + id)
}

// AuditAction names the action of an audit log entry ("role.grant": "Role granted"), from the
// locale's audit_<code with dots as underscores>; an action without a name shows as its code.
func (v *view) AuditAction(code string) string {
	if s, ok := v.tr.lookup(v.Locale, auditActionID(code), nil); ok {
		return s
	}
	return code
}

// auditActionID is the message id of an audit action's name.
func auditActionID(code string) string { return "audit_" + strings.ReplaceAll(code, ".", "_") }

// Period words a time limit: "60 working days" / "60个工作日".
func (v *view) Period(p catalog.Period) string {
	if p.Days == 0 {
		return v.T("none")
	}
	return v.Tf("period_"+p.Unit, "Days", p.Days)
}

// view starts the data of a page for the request.
func (s *Server) view(c *fiber.Ctx, titleID string) *view {
	v := &view{tr: s.tr, Locale: s.locale(c), Path: "/", CSRF: s.csrfToken(c), RequestID: requestID(c),
		User: currentUser(c), SSO: s.SSO != nil, Errors: map[string]string{}, Form: map[string]string{}, Labels: map[string]string{}}
	if c.Method() == fiber.MethodGet {
		v.Path = c.OriginalURL() // the language switch comes back here; after a POST, handlers set it
	}
	v.Title = v.T(titleID)
	if u := v.User; u != nil {
		e := s.Enforcer
		// A menu entry is a convenience: an error deciding it hides the entry, and the page reports it.
		deliveries, _ := s.holds(c.UserContext(), u.ID, NeedEverywhere("delivery", "read"))
		v.Can = navPermissions{
			UserRead: e.AllowedSomewhere(u.ID, "user", "read"), UserWrite: e.AllowedSomewhere(u.ID, "user", "write"),
			RoleGrant: e.AllowedSomewhere(u.ID, "role", "grant"), DeliveryRead: deliveries,
			AuditRead: e.AllowedSomewhere(u.ID, "audit", "read"), CaseRead: e.AllowedSomewhere(u.ID, "case", "read"),
			CatalogRead: e.AllowedSomewhere(u.ID, "catalog", "read"), CalendarRead: e.AllowedSomewhere(u.ID, "calendar", "read"),
			StatisticsRead: e.AllowedSomewhere(u.ID, "statistics", "read"), OfficeRead: e.AllowedSomewhere(u.ID, "office", "read"),
			NoticeRead:   e.AllowedSomewhere(u.ID, "notice", "read"),
			BindingRead:  e.AllowedSomewhere(u.ID, "binding", "read"),
			CreditRead:   e.AllowedSomewhere(u.ID, "credit", "read"),
			CampaignRead: e.AllowedSomewhere(u.ID, "campaign", "read"),

			InquiryRead: e.AllowedSomewhere(u.ID, "inquiry", "read"), InquiryPublish: e.AllowedSomewhere(u.ID, "inquiry", "publish"),
			DisclosureReport: e.AllowedSomewhere(u.ID, "disclosure", "report"),
			ConsultationRead: e.AllowedSomewhere(u.ID, "consultation", "read"),
			RatingRead:       e.AllowedSomewhere(u.ID, "rating", "read"),
			RatingOwn:        e.AllowedSomewhere(u.ID, "case", "read") || e.AllowedSomewhere(u.ID, "appointment", "checkin"),
		}
		v.Can.DisclosureRead = e.AllowedSomewhere(u.ID, "disclosure", "read")
		if v.Can.CatalogRead && s.Catalog != nil {
			v.Can.CatalogWarnings = len(s.Catalog.Warnings())
		}
		v.Unread = s.unreadCount(c, u.ID)
	}
	return v
}

func (s *Server) render(c *fiber.Ctx, name string, v *view) error {
	return s.renderStatus(c, fiber.StatusOK, name, v)
}

func (s *Server) renderStatus(c *fiber.Ctx, status int, name string, v *view) error {
	t, ok := s.pages.byName[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentLanguage, v.Locale)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Type("html", "utf-8")
	return c.Status(status).Send(buf.Bytes())
}

// locale is the language of the answer. Pages follow the account's language (which the switch in
// their header sets for someone logged in), else the visitor's choice (the cf_lang cookie), else the
// browser's. The API follows the request's Accept-Language, as HTTP clients expect, else the
// account's language.
func (s *Server) locale(c *fiber.Ctx) string {
	account := ""
	if u := currentUser(c); u != nil {
		account = u.Locale
	}
	accept := acceptedLocale(c.Get(fiber.HeaderAcceptLanguage))
	if isAPI(c) {
		return pickLocale(accept, account, c.Cookies(langCookie))
	}
	return pickLocale(account, c.Cookies(langCookie), accept)
}

// static serves the embedded CSS and images with long caching; they change only with the binary.
func (s *Server) static(c *fiber.Ctx) error {
	name := path.Clean("/" + c.Params("*"))
	b, err := staticFiles.ReadFile("static" + name)
	if err != nil {
		return errNotFound
	}
	c.Set(fiber.HeaderContentType, mime.TypeByExtension(path.Ext(name)))
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(b)
}

// pager puts on a page's data what the "pagination" template shows: the page of pages, and the
// links to the pages before and after it, as link writes them (with the page's own query).
func pager(data map[string]any, page, pages int, link func(page int) string) {
	data["Page"], data["Pages"] = page, pages
	if page > 1 {
		data["Prev"] = link(page - 1)
	}
	if page < pages {
		data["Next"] = link(page + 1)
	}
}
