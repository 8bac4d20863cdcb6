package web

import (
	"context"
	"errors"
	"mime/multipart"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/idempotency"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// draftJurisdiction is where a page's draft keeps the chosen jurisdiction beside the form's values;
// form validation ignores keys that are not fields.
const draftJurisdiction = "_jurisdiction"

// applyForm is everything the application page shows.
type applyForm struct {
	Item          *catalog.Item
	Form          *forms.Form
	Fields        []formField
	Jurisdictions []jurisdictions.Jurisdiction
	Jurisdiction  string
	Action        string // where the form posts
	// ExpectedVersion is the case version the page was drawn from, for a form that acts on a case.
	ExpectedVersion int64
	// Once is the one-time token of a form that files a new application (see onceField).
	Once string
}

func (s *Server) applyPage(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	data, err := s.Engine.Draft(c.UserContext(), currentUser(c).ID, it.Code, 0)
	if err != nil {
		return err
	}
	return s.renderApply(c, it, data, nil, "", fiber.StatusOK)
}

// renderApply shows the application form filled with data, with errors by path and a notice.
func (s *Server) renderApply(c *fiber.Ctx, it *catalog.Item, data map[string]any, formErr error, notice string, status int) error {
	ctx := c.UserContext()
	v := s.view(c, "apply_title")
	v.Title = it.Name.In(v.Locale)
	v.Path, v.Notice = "/catalog/"+it.Code+"/apply", notice
	status, err := v.showProblem(formErr, status)
	if err != nil {
		return err
	}
	uploads, err := s.uploadsOf(c, it.Code, nil)
	if err != nil {
		return err
	}
	all, err := jurisdictions.List(ctx, s.DB)
	if err != nil {
		return err
	}
	var js []jurisdictions.Jurisdiction
	for _, j := range all {
		for _, lv := range it.Levels {
			if string(jurisdictions.LevelOf(j.Code)) == lv {
				js = append(js, j)
			}
		}
	}
	if data == nil {
		data = map[string]any{}
	}
	jur, _ := data[draftJurisdiction].(string)
	f := it.Forms[it.Form]
	v.Data = applyForm{Item: it, Form: f, Fields: v.formFields(f, it, data, "", uploads, nil), Jurisdictions: js,
		Jurisdiction: jur, Action: "/catalog/" + it.Code + "/apply", Once: newOnce()}
	return s.renderStatus(c, status, "apply", v)
}

// uploadsOf indexes the materials a page may show: the user's uploads not yet in a case, and those of
// the case with caseID.
func (s *Server) uploadsOf(c *fiber.Ctx, itemCode string, caseID *int64) (map[int64]materials.Material, error) {
	ctx := c.UserContext()
	list, err := materials.Unlinked(ctx, s.DB, currentUser(c).ID, itemCode)
	if err != nil {
		return nil, err
	}
	if caseID != nil {
		linked, err := materials.ForCase(ctx, s.DB, *caseID)
		if err != nil {
			return nil, err
		}
		list = append(list, linked...)
	}
	out := make(map[int64]materials.Material, len(list))
	for _, m := range list {
		out[m.ID] = m
	}
	return out, nil
}

// postedForm reads a posted application form: its values by HTML name, with files uploaded into their
// material slots and their ids added to the file fields. Upload problems are returned per field so
// that nothing else typed is lost.
func (s *Server) postedForm(c *fiber.Ctx, it *catalog.Item, f *forms.Form) (map[string][]string, problem.Fields, error) {
	values := map[string][]string{}
	var files map[string][]*multipart.FileHeader
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		mf, err := c.MultipartForm()
		if err != nil {
			return nil, nil, problem.New(problem.BadRequest, "bad_form", "表单内容无法读取。", "The form could not be read.")
		}
		for k, vs := range mf.Value {
			values[k] = vs
		}
		files = mf.File
	} else {
		c.Request().PostArgs().VisitAll(func(k, v []byte) { values[string(k)] = append(values[string(k)], string(v)) })
	}
	var uploadErrs problem.Fields
	for key, fhs := range files {
		path, ok := strings.CutPrefix(key, "upload:")
		if !ok {
			continue
		}
		slot := materialOf(f.Fields, path)
		for _, fh := range fhs {
			if fh.Size == 0 && fh.Filename == "" {
				continue // an empty file input
			}
			m, err := s.storeUpload(c, it, slot, fh)
			if p, ok := problem.As(err); ok {
				uploadErrs = append(uploadErrs, problem.Field{Path: path, Code: p.Code, Message: p.Message})
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			values[path] = append(values[path], strconv.FormatInt(m.ID, 10))
		}
	}
	dropBlankRows(f.Fields, values, "")
	return values, uploadErrs, nil
}

// dropBlankRows removes the rows of repeats in which nothing was entered or uploaded: the page always
// offers one empty row to fill in, and a browser posts its inputs blank, which would otherwise be
// read as a row with every required field missing.
func dropBlankRows(fs []forms.Field, values map[string][]string, prefix string) {
	for _, f := range fs {
		switch f.Type {
		case forms.TypeGroup:
			dropBlankRows(f.Fields, values, prefix+f.Name+".")
		case forms.TypeRepeat:
			head := prefix + f.Name + "["
			filled := map[string]bool{} // row prefix ("members[3].") → something was entered
			for k, vs := range values {
				rest, ok := strings.CutPrefix(k, head)
				if !ok {
					continue
				}
				index, _, ok := strings.Cut(rest, "].")
				if !ok {
					continue
				}
				row := head + index + "]."
				filled[row] = filled[row] || slices.ContainsFunc(vs, func(v string) bool { return strings.TrimSpace(v) != "" })
			}
			for row, ok := range filled {
				if ok {
					dropBlankRows(f.Fields, values, row)
					continue
				}
				for k := range values {
					if strings.HasPrefix(k, row) {
						delete(values, k)
					}
				}
			}
		}
	}
}

// storeUpload saves one uploaded file into the item's material slot.
func (s *Server) storeUpload(c *fiber.Ctx, it *catalog.Item, slot string, fh *multipart.FileHeader, opts ...materials.UploadOption) (*materials.Material, error) {
	var mat *catalog.Material
	for i := range it.Materials {
		if it.Materials[i].ID == slot {
			mat = &it.Materials[i]
		}
	}
	if mat == nil {
		return nil, fieldProblem("slot", "unknown_material", "该事项没有这项材料。", "The item has no such material.")
	}
	r, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return s.Materials.Upload(c.UserContext(), s.DB, currentUser(c).ID, it.Code, slot, fh.Filename, r, mat.Types, int64(mat.MaxSizeMB)<<20, opts...)
}

// materialOf finds the material slot of the file field at path ("members[2].photo" looks inside the
// repeat's fields).
func materialOf(fs []forms.Field, path string) string {
	head, rest, _ := strings.Cut(path, ".")
	name, _, _ := strings.Cut(head, "[")
	for _, f := range fs {
		if f.Name != name {
			continue
		}
		if rest == "" {
			return f.Material
		}
		return materialOf(f.Fields, rest)
	}
	return ""
}

// applyPost saves the draft, adds a row, or submits the application, as the pressed button says.
// Whatever happens, what the applicant typed is kept: in the draft and on the page. A second post of
// the form that filed an application (a double click, a reload) shows that application.
func (s *Server) applyPost(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	once, _ := requestKey(c, nil)
	if filed, err := s.toEarlier(c, once, false, caseAddress); filed || err != nil {
		return err
	}
	f := it.Forms[it.Form]
	values, uploadErrs, err := s.postedForm(c, it, f)
	if err != nil {
		return err
	}
	data := forms.FromFormValues(f, values)
	jur := c.FormValue("jurisdiction")
	data[draftJurisdiction] = jur
	ctx := c.UserContext()
	u := currentUser(c)
	if err := s.Engine.SaveDraft(ctx, u.ID, it.Code, 0, data); err != nil {
		return s.renderApply(c, it, data, err, "", fiber.StatusOK) // a problem shows on the form, nothing typed is lost
	}
	v := s.view(c, "apply_title")
	if len(uploadErrs) > 0 {
		return s.renderApply(c, it, data, uploadErrs.Err(), "", fiber.StatusOK)
	}
	if c.FormValue("intent") != "submit" {
		return s.renderApply(c, it, data, nil, v.T("draft_saved"), fiber.StatusOK)
	}
	delete(data, draftJurisdiction)
	cs, err := s.Engine.Start(ctx, actor(c), it.Code, jur, data, workflow.WithinStart(func(ctx context.Context, tx bun.Tx, cs *workflow.Case) error {
		return claimOf(once)(ctx, tx, cs.ID)
	}))
	if err != nil {
		if filed, err := s.toEarlier(c, once, errors.Is(err, idempotency.ErrTaken), caseAddress); filed || err != nil {
			return err
		}
		data[draftJurisdiction] = jur
		return s.renderApply(c, it, data, err, "", fiber.StatusOK)
	}
	return c.Redirect(caseAddress(cs.ID), fiber.StatusSeeOther)
}

// caseAddress is the page of a case just filed.
func caseAddress(id int64) string { return "/cases/" + strconv.FormatInt(id, 10) + "?started=1" }
