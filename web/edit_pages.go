package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// caseEdit is a form the applicant fills in on an open case: the form of a later stage (submit) or
// the corrections a supplement notice asks for (resubmit).
type caseEdit struct {
	view     *workflow.View
	action   catalog.Action
	form     *forms.Form
	editable []string // nil: everything; else the paths a supplement notice lists
}

// loadEdit finds the action of the ?action= query among those the viewer may take now.
func (s *Server) loadEdit(c *fiber.Ctx) (*caseEdit, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	vw, err := s.Engine.Get(c.UserContext(), actor(c), id)
	if err != nil {
		return nil, err
	}
	for _, a := range vw.Allowed {
		if a.ID != c.Query("action") || (a.Kind != catalog.KindSubmit && a.Kind != catalog.KindResubmit) {
			continue
		}
		ed := &caseEdit{view: vw, action: a}
		formID := vw.Item.Form
		if st, ok := vw.Item.State(vw.Case.State); ok && st.Form != "" {
			formID = st.Form
		}
		if a.Kind == catalog.KindResubmit && vw.Case.Supplement != nil {
			formID = vw.Case.Supplement.Form
			ed.editable = editablePaths(vw.Item, vw.Item.Forms[formID], vw.Case.Supplement.Items)
		}
		ed.form = vw.Item.Forms[formID]
		if ed.form == nil {
			return nil, errNotFound
		}
		return ed, nil
	}
	return nil, problem.New(problem.Conflict, "action_not_available", "该操作当前不可办理。", "This action is not available now.")
}

// editablePaths turns the items of a supplement notice into form paths: field paths stay, material
// IDs become the file fields that upload them.
func editablePaths(it *catalog.Item, f *forms.Form, items []string) []string {
	out := []string{}
	for _, item := range items {
		out = append(out, item)
		for _, fl := range f.Fields {
			if fl.Type == forms.TypeFile && fl.Material == item {
				out = append(out, fl.Name)
			}
		}
	}
	return out
}

func (s *Server) editPage(c *fiber.Ctx) error {
	ed, err := s.loadEdit(c)
	if err != nil {
		return err
	}
	cs := ed.view.Case
	data, err := s.Engine.Draft(c.UserContext(), currentUser(c).ID, cs.ItemCode, cs.ID)
	if err != nil {
		return err
	}
	if data == nil {
		data, _ = cs.Data[ed.form.ID].(map[string]any)
	}
	return s.renderEdit(c, ed, data, nil, "")
}

func (s *Server) renderEdit(c *fiber.Ctx, ed *caseEdit, data map[string]any, formErr error, notice string) error {
	cs := ed.view.Case
	v := s.view(c, "apply_title")
	v.Title = ed.action.Name.In(v.Locale) + " " + cs.Number
	v.Path, v.Notice = "/cases/"+strconv.FormatInt(cs.ID, 10), notice
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	uploads, err := s.uploadsOf(c, cs.ItemCode, &cs.ID)
	if err != nil {
		return err
	}
	v.Data = applyForm{Item: ed.view.Item, Form: ed.form, Fields: v.formFields(ed.form, ed.view.Item, data, "data.", uploads, ed.editable),
		Action: "/cases/" + strconv.FormatInt(cs.ID, 10) + "/edit?action=" + ed.action.ID, ExpectedVersion: cs.Version}
	return s.renderStatus(c, status, "apply", v)
}

// editPost saves the stage form as a draft or submits it through the action; during 补正 only the
// listed parts are taken from the post, the rest stays as submitted before.
func (s *Server) editPost(c *fiber.Ctx) error {
	ed, err := s.loadEdit(c)
	if err != nil {
		return err
	}
	cs := ed.view.Case
	values, uploadErrs, err := s.postedForm(c, ed.view.Item, ed.form)
	if err != nil {
		return err
	}
	data := forms.FromFormValues(ed.form, values)
	if ed.editable != nil {
		stored, _ := cs.Data[ed.form.ID].(map[string]any)
		b := formBuilder{editable: ed.editable}
		for _, fl := range ed.form.Fields {
			if !b.mayEdit(fl.Name) {
				if v, ok := stored[fl.Name]; ok {
					data[fl.Name] = v
				} else {
					delete(data, fl.Name)
				}
			}
		}
	}
	ctx := c.UserContext()
	if err := s.Engine.SaveDraft(ctx, currentUser(c).ID, cs.ItemCode, cs.ID, data); err != nil {
		return s.renderEdit(c, ed, data, err, "") // a problem shows on the form, nothing typed is lost
	}
	if len(uploadErrs) > 0 {
		return s.renderEdit(c, ed, data, uploadErrs.Err(), "")
	}
	if c.FormValue("intent") != "submit" {
		return s.renderEdit(c, ed, data, nil, s.view(c, "apply_title").T("draft_saved"))
	}
	expected, _ := strconv.ParseInt(c.FormValue("expected_version"), 10, 64) // the version the applicant saw
	_, err = s.Engine.Apply(ctx, actor(c), cs.ID, workflow.ApplyRequest{Action: ed.action.ID, ExpectedVersion: expected, Data: data})
	if _, ok := problem.As(err); ok {
		return s.renderEdit(c, ed, data, err, "")
	}
	if err != nil {
		return err
	}
	return c.Redirect("/cases/"+strconv.FormatInt(cs.ID, 10), fiber.StatusSeeOther)
}
