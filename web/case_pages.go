package web

import (
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/ratings"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// casePageData is what the case page shows.
type casePageData struct {
	View    *workflow.View
	Item    *catalog.Item
	Actions []actionForm
	Forms   []formSection // the forms submitted so far, read-only, in the order of the stages
	Uploads []uploadLink
	// Appearance invites a party of the case to book the visit in person the case waits for.
	Appearance *appearanceLink
	// Supplement lists what the open supplement notice asks to correct, by label.
	Supplement []string
	// Details are what each event recorded, by the event's place in View.Events.
	Details [][]workflow.EventDetail
	// RepeatedKinds are the kinds of document the case holds more than one of (the acceptance notices
	// of two stages), which the list tells apart by the stage that issued each.
	RepeatedKinds map[string]bool
	// USCC is the credit code the case entered in the register, linking to the organisation's page.
	USCC string
	// Assign is the assignment and the internal notes, for staff only.
	Assign *assignPanel
	// Changes are, for a case about an organisation, its particulars old → new (register.CaseChanges).
	Changes []register.Change
	// Rating is the applicant's rating form or rating (好差评), nil for anyone else.
	Rating *ratingPanel
}

// appearanceLink is the invitation to book a case's appearance at the office within its window.
type appearanceLink struct {
	From, To, Service string
}

// formSection is one submitted form on the case page.
type formSection struct {
	Title  string
	Fields []formField
}

// actionForm is one action the viewer may take, with the inputs it needs.
type actionForm struct {
	Action catalog.Action
	Fields []formField
	// EditURL leads to the form page for actions that take a form (submit, resubmit).
	EditURL string
	// Choices are what a supplement notice can list (workflow.SupplementChoices).
	Choices []formOption
	// Comment and Checked keep what the actor entered when the action was refused.
	Comment string
	Checked map[string]bool
	// Confirm asks the actor to tick that they understand before the action is taken (withdrawal).
	Confirm bool
	// Errors of the inputs besides the fields, when the action was refused: items, comment, confirm.
	Errors map[string]string
	// Multipart is set for an action with file fields (the information a reply discloses): its form
	// posts the files with it.
	Multipart bool
}

type uploadLink struct {
	ID       int64
	Filename string
	Slot     string // the material's name
}

func (s *Server) myCasesPage(c *fiber.Ctx) error {
	ctx, u := c.UserContext(), currentUser(c)
	cases, err := s.Engine.MyCases(ctx, u.ID, 200)
	if err != nil {
		return err
	}
	drafts, err := s.Engine.Drafts(ctx, u.ID)
	if err != nil {
		return err
	}
	v := s.view(c, "cases_title")
	if c.Query("discarded") != "" {
		v.Notice = v.T("draft_discarded")
	}
	if v.names, err = s.caseListNames(c.UserContext(), cases); err != nil {
		return err
	}
	v.Data = map[string]any{"Cases": s.caseRows(cases, v.Locale), "Drafts": s.draftRows(drafts, v.Locale)}
	return s.render(c, "cases", v)
}

// draftRow is a saved draft of an application in the list of the user's cases.
type draftRow struct {
	workflow.DraftInfo
	ItemName string
}

func (s *Server) draftRows(drafts []workflow.DraftInfo, locale string) []draftRow {
	out := make([]draftRow, 0, len(drafts))
	for _, d := range drafts {
		r := draftRow{DraftInfo: d, ItemName: d.ItemCode}
		if it, ok := s.Catalog.Item(d.ItemCode); ok {
			r.ItemName = it.Name.In(locale)
		}
		out = append(out, r)
	}
	return out
}

// discardDraftPage asks before a draft is thrown away; the button posts to discardDraftPost.
func (s *Server) discardDraftPage(c *fiber.Ctx) error {
	drafts, err := s.Engine.Drafts(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	v := s.view(c, "draft_discard_title")
	rows := s.draftRows(drafts, v.Locale)
	i := slices.IndexFunc(rows, func(r draftRow) bool { return r.ItemCode == c.Params("code") })
	if i < 0 {
		return errNotFound
	}
	v.Data = rows[i]
	return s.render(c, "draft_discard", v)
}

func (s *Server) discardDraftPost(c *fiber.Ctx) error {
	if err := s.Engine.DiscardDraft(c.UserContext(), currentUser(c).ID, c.Params("code")); err != nil {
		return err
	}
	return c.Redirect("/cases?discarded=1", fiber.StatusSeeOther)
}

// caseRow is a case in a list, with the names of its item and state.
type caseRow struct {
	Case      workflow.Case
	ItemName  string
	StateName string
}

func (s *Server) caseRows(cases []workflow.Case, locale string) []caseRow {
	out := make([]caseRow, 0, len(cases))
	for _, cs := range cases {
		r := caseRow{Case: cs, ItemName: cs.ItemCode, StateName: cs.State}
		if it, ok := s.Catalog.Item(cs.ItemCode); ok {
			r.ItemName = it.Name.In(locale)
			r.StateName = it.StateName(cs.State, locale)
		}
		out = append(out, r)
	}
	return out
}

func (s *Server) inboxPage(c *fiber.Ctx) error {
	cases, err := s.Engine.Inbox(c.UserContext(), currentUser(c).ID, inboxFilter(c))
	if err != nil {
		return err
	}
	v := s.view(c, "inbox_title")
	if v.names, err = s.caseListNames(c.UserContext(), cases); err != nil {
		return err
	}
	states := s.inboxStates(c)
	v.Form["item"], v.Form["state"], v.Form["sort"], v.Form["overdue"] = c.Query("item"), c.Query("state"), c.Query("sort"), c.Query("overdue")
	v.Form["mine"] = c.Query("mine")
	v.Data = map[string]any{"Cases": s.caseRows(cases, v.Locale), "Items": s.Catalog.Items(), "States": states}
	return s.render(c, "inbox", v)
}

func (s *Server) casePage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	notice := ""
	if c.Query("started") != "" {
		notice = s.view(c, "cases_title").T("case_started")
	}
	if c.Query("rated") != "" {
		notice = s.view(c, "cases_title").T("rate_done")
	}
	return s.renderCase(c, id, nil, notice, nil)
}

// renderCase shows a case with its timeline and the actions the viewer may take now; formErr puts
// the errors of a refused action on the page, and posted keeps what was entered for it.
func (s *Server) renderCase(c *fiber.Ctx, id int64, formErr error, notice string, posted *workflow.ApplyRequest) error {
	ctx := c.UserContext()
	vw, err := s.Engine.Get(ctx, actor(c), id)
	if err != nil {
		return err
	}
	v := s.view(c, "case_title")
	v.Path, v.Notice = "/cases/"+strconv.FormatInt(id, 10), notice
	if v.names, err = s.caseNames(ctx, vw); err != nil {
		return err
	}
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	it := vw.Item
	v.Title = it.Name.In(v.Locale) + " " + vw.Case.Number
	uploads, err := s.uploadsOf(c, it.Code, &vw.Case.ID)
	if err != nil {
		return err
	}
	d := casePageData{View: vw, Item: it, Uploads: caseUploads(vw, uploads, v.Locale), Supplement: supplementLabels(vw, v.Locale),
		Details: vw.EventDetails(), Forms: v.submittedForms(vw, uploads), RepeatedKinds: repeatedKinds(vw.Documents)}
	d.USCC, _ = vw.Case.Fields["uscc"].(string)
	if d.Changes, err = register.CaseChanges(ctx, s.DB, vw.Case, it); err != nil {
		return err
	}
	if d.Appearance, err = s.appearance(c, vw); err != nil {
		return err
	}
	if d.Assign, err = s.assignPanel(c, v, vw); err != nil {
		return err
	}
	if d.Rating, err = s.ratingPanelOf(c, ratings.SubjectCase, id); err != nil {
		return err
	}
	for _, a := range vw.Allowed {
		d.Actions = append(d.Actions, v.actionForm(vw, a, posted))
	}
	v.Data = d
	return s.renderStatus(c, status, "case", v)
}

// appearance is the invitation to book the visit in person that the case waits for, or nil when it
// waits for none or the viewer is not a party who books it.
func (s *Server) appearance(c *fiber.Ctx, vw *workflow.View) (*appearanceLink, error) {
	ap := vw.Item.Appointment
	if ap == nil || ap.Appearance == nil || vw.Case.State != ap.Appearance.State {
		return nil, nil
	}
	from, to, err := s.Desk.Window(c.UserContext(), actor(c), vw.Case.ID)
	if _, isProblem := problem.As(err); isProblem { // the viewer is not a party who books it
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &appearanceLink{From: from, To: to, Service: ap.Service}, nil
}

// caseUploads lists the files of the case in form order: the current ones, not those a supplement
// answer replaced.
func caseUploads(vw *workflow.View, uploads map[int64]materials.Material, locale string) []uploadLink {
	var out []uploadLink
	for _, id := range vw.Materials() {
		if m, ok := uploads[id]; ok {
			out = append(out, uploadLink{ID: m.ID, Filename: m.Filename, Slot: workflow.ItemLabel(vw.Item, "", m.Slot).In(locale)})
		}
	}
	return out
}

// supplementLabels names what the open supplement notice asks to correct, if one is open.
func supplementLabels(vw *workflow.View, locale string) []string {
	sup := vw.Case.Supplement
	if sup == nil {
		return nil
	}
	out := make([]string, 0, len(sup.Items))
	for _, item := range sup.Items {
		out = append(out, workflow.ItemLabel(vw.Item, sup.Form, item).In(locale))
	}
	return out
}

// submittedForms are the forms submitted so far, read-only, in the order of the stages.
func (v *view) submittedForms(vw *workflow.View, uploads map[int64]materials.Material) []formSection {
	var out []formSection
	for _, fid := range vw.Item.FormIDs() {
		data, ok := vw.Case.Data[fid].(map[string]any)
		if f := vw.Item.Forms[fid]; ok && f != nil {
			out = append(out, formSection{Title: f.Title.In(v.Locale),
				Fields: v.formFields(f, vw.Item, data, formOptions{uploads: uploads, locked: true, quiet: true})})
		}
	}
	return out
}

// actionForm is the form of action a on the case page, with what was entered for it when posted is
// the refused request of this action.
func (v *view) actionForm(vw *workflow.View, a catalog.Action, posted *workflow.ApplyRequest) actionForm {
	af := actionForm{Action: a, Checked: map[string]bool{}, Confirm: a.Kind == catalog.KindWithdraw,
		Multipart: slices.ContainsFunc(a.Fields, func(f forms.Field) bool { return f.Type == forms.TypeFile })}
	var entered map[string]any
	wasPosted := posted != nil && posted.Action == a.ID
	if wasPosted {
		af.Comment, entered, af.Errors = posted.Comment, posted.Fields, v.Errors
		for _, item := range posted.Items {
			af.Checked[item] = true
		}
	}
	switch a.Kind {
	case catalog.KindSubmit, catalog.KindResubmit:
		af.EditURL = "/cases/" + strconv.FormatInt(vw.Case.ID, 10) + "/edit?action=" + a.ID
	case catalog.KindSupplement:
		for _, ch := range workflow.SupplementChoices(vw.Item, vw.SupplementForm()) {
			af.Choices = append(af.Choices, formOption{Value: ch.ID, Label: ch.Label.In(v.Locale)})
		}
	}
	af.Fields = v.formFields(&forms.Form{Fields: a.Fields}, vw.Item, entered,
		formOptions{errPrefix: "fields.", idPrefix: a.ID + ".", quiet: !wasPosted})
	if wasPosted {
		v.noteActionInputs(&af)
	}
	return af
}

// noteActionInputs notes the inputs after an action's fields for the error summary: the items of a
// supplement notice, the comment, the confirmation.
func (v *view) noteActionInputs(af *actionForm) {
	comment := "comment"
	if len(af.Choices) > 0 {
		v.noteInput("items", v.T("supplement_items"), af.Action.ID+"-items")
		comment = "supplement_text"
	}
	v.noteInput("comment", v.T(comment), af.Action.ID+"-comment")
	if af.Confirm {
		v.noteInput("confirm", v.T("withdraw_confirm_short"), af.Action.ID+"-confirm")
	}
}

// actionPost applies an action from the case page.
func (s *Server) actionPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	name := c.Params("action")
	act, err := s.Engine.Action(ctx, actor(c), id, name)
	if err != nil {
		return err
	}
	values, uploadErrs, err := s.actionValues(c, id, act)
	if err != nil {
		return err
	}
	expected, _ := strconv.ParseInt(c.FormValue("expected_version"), 10, 64)
	req := workflow.ApplyRequest{Action: name, ExpectedVersion: expected, Comment: c.FormValue("comment"),
		Fields: forms.FromFormValues(&forms.Form{Fields: act.Fields}, values), Items: values["items"]}
	if len(uploadErrs) > 0 {
		return s.renderCase(c, id, uploadErrs.Err(), "", &req)
	}
	if act.Kind == catalog.KindWithdraw && c.FormValue("confirm") != "yes" { // the page asks before ending the case
		return s.renderCase(c, id, fieldProblem("confirm", "confirm_required", "请勾选确认后再撤回申请。",
			"Tick the box to confirm that you withdraw the application."), "", &req)
	}
	if _, err := s.Engine.Apply(ctx, actor(c), id, req); err != nil {
		if _, ok := problem.As(err); ok {
			return s.renderCase(c, id, err, "", &req)
		}
		return err
	}
	return c.Redirect("/cases/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

// actionValues reads the posted form of an action by HTML name. An action with file fields posts
// multipart: its files are stored first as the actor's uploads for their materials, once the engine
// agrees that the actor may upload them for this case now (workflow.Engine.UploadSlot); refused
// uploads come back as field errors under "fields.".
func (s *Server) actionValues(c *fiber.Ctx, id int64, act *catalog.Action) (map[string][]string, problem.Fields, error) {
	files := workflowFileFields(act.Fields)
	if len(files) == 0 || !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		values := map[string][]string{}
		c.Request().PostArgs().VisitAll(func(k, v []byte) { values[string(k)] = append(values[string(k)], string(v)) })
		if mf, err := c.MultipartForm(); err == nil { // a multipart post of an action without files
			for k, vs := range mf.Value {
				values[k] = vs
			}
		}
		return values, nil, nil
	}
	it, err := s.Engine.UploadSlot(c.UserContext(), actor(c), id, files[0].Material)
	if err != nil {
		return nil, nil, err
	}
	return s.postedForm(c, it, &forms.Form{Fields: act.Fields}, "fields.", false)
}

// workflowFileFields lists the file fields among an action's fields.
func workflowFileFields(fs []forms.Field) []forms.Field {
	var out []forms.Field
	for _, f := range fs {
		if f.Type == forms.TypeFile {
			out = append(out, f)
		}
	}
	return out
}

// repeatedKinds are the kinds of which docs hold more than one.
func repeatedKinds(docs []workflow.Document) map[string]bool {
	seen, out := map[string]bool{}, map[string]bool{}
	for _, d := range docs {
		out[d.Kind] = seen[d.Kind]
		seen[d.Kind] = true
	}
	return out
}
