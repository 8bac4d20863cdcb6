package web

import (
	"context"
	"fmt"
	"maps"
	"mime/multipart"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
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
	// Back leads to the page the form belongs to: the item's guide, or the case.
	Back, BackLabel string
	Submit          string // the label of the submit button
	// Notice is the supplement notice that the form answers, if it does.
	Notice *noticeView
	// Once is the one-time token of a form that files a new application (see onceField).
	Once string
}

// noticeView is a supplement notice as a page shows it: its text and what it asks to correct.
type noticeView struct {
	Text  string
	Items []string
}

func (s *Server) applyPage(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	if workflow.ApplyOnline(it) != nil {
		return toBooking(c, it)
	}
	data, err := s.Engine.Draft(c.UserContext(), currentUser(c).ID, it.Code, 0)
	if err != nil {
		return err
	}
	if data == nil {
		if data, err = s.applyPrefill(c, it); err != nil {
			return err
		}
	}
	return s.renderApply(c, it, data, nil, "", fiber.StatusOK)
}

// toBooking sends the application page of an item booked at a registration office to the offices
// that book it, where a notice says that it is booked, not applied for online.
func toBooking(c *fiber.Ctx, it *catalog.Item) error {
	return c.Redirect("/appointments?service="+url.QueryEscape(it.Appointment.Service)+"&from=apply", fiber.StatusSeeOther)
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
	v.noteInput("jurisdiction", v.T("apply_jurisdiction"), "jurisdiction") // first on the page
	action := "/catalog/" + it.Code + "/apply"
	v.Data = applyForm{Item: it, Form: f, Fields: v.formFields(f, it, data, formOptions{uploads: uploads, action: action, table: tableImportOf(c)}), Jurisdictions: js,
		Jurisdiction: jur, Action: action, Back: "/catalog/" + it.Code, BackLabel: v.T("back_to_guide"),
		Submit: v.T("apply_submit"), Once: newOnce()}
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

// postedForm reads a posted form: its values by HTML name, with files uploaded into their material
// slots and their ids added to the file fields, or put in place of the files posted with them when
// replace is set (a supplement answer replaces an unclear file). Rows left blank are dropped, and a
// row removed or a list imported as the pressed button asks (formIntent). Upload and import
// problems are returned per field, under errPrefix, so that nothing else typed is lost.
func (s *Server) postedForm(c *fiber.Ctx, it *catalog.Item, f *forms.Form, errPrefix string, replace bool) (map[string][]string, problem.Fields, error) {
	values := map[string][]string{}
	var files map[string][]*multipart.FileHeader
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		mf, err := c.MultipartForm()
		if err != nil {
			return nil, nil, errBadForm
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
		var slot string
		if fd, ok := f.Field(path); ok {
			slot = fd.Material
		}
		replaced := false
		for _, fh := range fhs {
			if fh.Size == 0 && fh.Filename == "" {
				continue // an empty file input
			}
			m, err := s.storeUpload(c, it, slot, fh)
			if p, ok := problem.As(err); ok {
				uploadErrs = append(uploadErrs, problem.Field{Path: errPrefix + path, Code: p.Code, Message: p.Message})
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			if replace && !replaced {
				values[path], replaced = nil, true
			}
			if id := strconv.FormatInt(m.ID, 10); !slices.Contains(values[path], id) { // a file attached again is the same material
				values[path] = append(values[path], id)
			}
		}
	}
	forms.DropBlankRows(f, values)
	intentErrs, err := s.formIntent(c, f, values, files, errPrefix)
	if err != nil {
		return nil, nil, err
	}
	return values, append(uploadErrs, intentErrs...), nil
}

// allErrors joins the refused uploads with the errors that submitting the rest meets (check, the
// answer of a dry run), so that a page shows every error at once rather than one kind per try.
func allErrors(uploads problem.Fields, check error) error {
	fe := slices.Clone(uploads)
	p, ok := problem.As(check)
	switch {
	case check != nil && !ok:
		return check
	case ok && len(p.Fields) > 0:
		fe = append(fe, p.Fields...)
	case ok:
		fe = append(fe, problem.Field{Path: "_", Code: p.Code, Message: p.Message})
	}
	return fe.Err()
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
		return nil, fmt.Errorf("opening the upload %q for %s/%s: %w", fh.Filename, it.Code, slot, err)
	}
	defer r.Close()
	return s.Materials.Upload(c.UserContext(), s.DB, currentUser(c).ID, it.Code, slot, fh.Filename, r,
		materials.Limits{Types: mat.Types, MaxBytes: int64(mat.MaxSizeMB) << 20, MaxPixels: int64(s.Config.UploadMaxPixels)}, opts...)
}

// applyPost saves the draft, adds a row, or submits the application, as the pressed button says.
// Whatever happens, what the applicant typed is kept: in the draft and on the page. The form's
// one-time token is claimed before anything is written, so that a second post of the form that filed
// an application (a double click, a reload) writes nothing and shows that application. A submit
// saves no draft unless the application is refused: filing it deletes the draft.
func (s *Server) applyPost(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	if workflow.ApplyOnline(it) != nil {
		return toBooking(c, it)
	}
	once, filed, err := s.claimOnce(c)
	if err != nil {
		return err
	}
	if filed != 0 {
		return c.Redirect(caseAddress(filed), fiber.StatusSeeOther)
	}
	defer s.releaseOnce(c, once)
	f := it.Forms[it.Form]
	values, uploadErrs, err := s.postedForm(c, it, f, "", false)
	if err != nil {
		return err
	}
	data := forms.FromFormValues(f, values)
	jur := c.FormValue("jurisdiction")
	ctx := c.UserContext()
	if c.FormValue("intent") != "submit" {
		if len(uploadErrs) > 0 {
			return s.keepDraft(c, it, data, jur, uploadErrs.Err(), "")
		}
		return s.keepDraft(c, it, data, jur, nil, s.view(c, "apply_title").T("draft_saved"))
	}
	if len(uploadErrs) > 0 {
		return s.keepDraft(c, it, data, jur, allErrors(uploadErrs, s.Engine.CheckStart(ctx, actor(c), it.Code, jur, data)), "")
	}
	cs, err := s.Engine.Start(ctx, actor(c), it.Code, jur, data, workflow.WithinStart(func(ctx context.Context, tx bun.Tx, cs *workflow.Case) error {
		return bindOnce(once)(ctx, tx, cs.ID)
	}))
	if err != nil {
		return s.keepDraft(c, it, data, jur, err, "")
	}
	return c.Redirect(caseAddress(cs.ID), fiber.StatusSeeOther)
}

// keepDraft saves what the applicant posted as the draft of the application and shows the form again
// with formErr (nil for none) and notice. A draft that cannot be saved shows its own problem.
func (s *Server) keepDraft(c *fiber.Ctx, it *catalog.Item, data map[string]any, jur string, formErr error, notice string) error {
	draft := maps.Clone(data)
	draft[draftJurisdiction] = jur
	if err := s.Engine.SaveDraft(c.UserContext(), currentUser(c).ID, it.Code, 0, draft); err != nil {
		return s.renderApply(c, it, draft, err, "", fiber.StatusOK)
	}
	return s.renderApply(c, it, draft, formErr, notice, fiber.StatusOK)
}

// caseAddress is the page of a case just filed.
func caseAddress(id int64) string { return "/cases/" + strconv.FormatInt(id, 10) + "?started=1" }
