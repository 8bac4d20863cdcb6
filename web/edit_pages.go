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
// the answer to a supplement notice (resubmit).
type caseEdit struct {
	view   *workflow.View
	action catalog.Action
	form   *forms.Form
	answer *workflow.Supplement // the notice a resubmission answers; nil for a submit
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
		ed := &caseEdit{view: vw, action: a, form: vw.Item.Forms[workflow.FormFor(vw.Item, vw.Case, &a)]}
		if a.Kind == catalog.KindResubmit {
			ed.answer = vw.Case.Supplement
		}
		if ed.form == nil {
			return nil, errNotFound
		}
		return ed, nil
	}
	return nil, problem.New(problem.Conflict, "action_not_available", "该操作当前不可办理。", "This action is not available now.")
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
	it, casePath := ed.view.Item, "/cases/"+strconv.FormatInt(cs.ID, 10)
	v := s.view(c, "apply_title")
	v.Title = ed.action.Name.In(v.Locale) + " " + cs.Number
	v.Path, v.Notice = casePath, notice
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	uploads, err := s.uploadsOf(c, cs.ItemCode, &cs.ID)
	if err != nil {
		return err
	}
	action := casePath + "/edit?action=" + ed.action.ID
	d := applyForm{Item: it, Form: ed.form, Action: action, ExpectedVersion: cs.Version,
		Back: casePath, BackLabel: v.T("back_to_case"), Submit: v.T("apply_submit"),
		Fields: v.formFields(ed.form, it, data, formOptions{errPrefix: "data.", uploads: uploads, answer: ed.answer,
			action: action, table: tableImportOf(c)})}
	if sup := ed.answer; sup != nil {
		d.Submit = v.T("answer_submit")
		d.Notice = &noticeView{Text: sup.Notice}
		for _, item := range sup.Items {
			d.Notice.Items = append(d.Notice.Items, workflow.ItemLabel(it, sup.Form, item).In(v.Locale))
		}
	}
	v.Data = d
	return s.renderStatus(c, status, "apply", v)
}

// editPost saves the stage form as a draft or submits it through the action; an answer to a
// supplement notice takes from the post only what the notice lists, the rest stays as submitted.
func (s *Server) editPost(c *fiber.Ctx) error {
	ed, err := s.loadEdit(c)
	if err != nil {
		return err
	}
	cs := ed.view.Case
	values, uploadErrs, err := s.postedForm(c, ed.view.Item, ed.form, "data.", ed.answer != nil)
	if err != nil {
		return err
	}
	var data map[string]any
	if ed.answer != nil {
		submitted, _ := cs.Data[ed.form.ID].(map[string]any)
		data = ed.answer.Answer(ed.form, submitted, values)
	} else {
		data = forms.FromFormValues(ed.form, values)
	}
	ctx := c.UserContext()
	if err := s.Engine.SaveDraft(ctx, currentUser(c).ID, cs.ItemCode, cs.ID, data); err != nil {
		return s.renderEdit(c, ed, data, err, "") // a problem shows on the form, nothing typed is lost
	}
	submit := c.FormValue("intent") == "submit"
	expected, _ := strconv.ParseInt(c.FormValue("expected_version"), 10, 64) // the version the applicant saw
	req := workflow.ApplyRequest{Action: ed.action.ID, ExpectedVersion: expected, Data: data}
	if len(uploadErrs) > 0 {
		var check error
		if submit {
			check = s.Engine.CheckApply(ctx, actor(c), cs.ID, req)
		}
		return s.renderEdit(c, ed, data, allErrors(uploadErrs, check), "")
	}
	if !submit {
		return s.renderEdit(c, ed, data, nil, s.view(c, "apply_title").T("draft_saved"))
	}
	_, err = s.Engine.Apply(ctx, actor(c), cs.ID, req)
	if _, ok := problem.As(err); ok {
		return s.renderEdit(c, ed, data, err, "")
	}
	if err != nil {
		return err
	}
	return c.Redirect("/cases/"+strconv.FormatInt(cs.ID, 10), fiber.StatusSeeOther)
}
