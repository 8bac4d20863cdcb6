package web

// Information on request (依申请公开). The disclosure office's page lists the open
// requests of its jurisdictions with their reply due dates and enters requests received by letter,
// fax, e-mail or in person; the API does the same; staff attach the information a reply discloses
// through the case's upload address. The requests themselves are cases of the information-disclosure
// item, which the case pages and the case API handle like any other.

import (
	"context"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// disclosurePageData is what the disclosure office's page shows.
type disclosurePageData struct {
	Item *catalog.Item
	// Requests are the open requests of the viewer's jurisdictions, the earliest due first.
	Requests []disclosureRow
	// MayEnter shows the entry form to officers who enter requests somewhere.
	MayEnter      bool
	Jurisdictions []jurisdictions.Jurisdiction
	Jurisdiction  string
	Entry, Fields []formField
	Once          string
}

// disclosureRow is an open request with the names its row shows.
type disclosureRow struct {
	disclosure.OpenRequest
	StateName, TypeName, ChannelName string
	Overdue                          bool
}

// disclosureItem is the information-disclosure item, which a catalogue without it (an override
// directory that removes nothing cannot, but a test's may) answers 404 for.
func (s *Server) disclosureItem() (*catalog.Item, error) {
	it, ok := s.Catalog.Item(disclosure.ItemCode)
	if !ok || it.Entry == nil {
		return nil, errNotFound
	}
	return it, nil
}

func (s *Server) disclosurePage(c *fiber.Ctx) error {
	return s.renderDisclosure(c, nil, nil, "", nil, fiber.StatusOK)
}

// renderDisclosure shows the office's page; after a refused entry, what was typed shows again with
// the errors next to the fields.
func (s *Server) renderDisclosure(c *fiber.Ctx, data, entry map[string]any, jur string, formErr error, status int) error {
	ctx, uid := c.UserContext(), currentUser(c).ID
	it, err := s.disclosureItem()
	if err != nil {
		return err
	}
	v := s.view(c, "dr_title")
	v.Path = "/disclosure"
	if status, err = v.showProblem(formErr, status); err != nil {
		return err
	}
	open, err := disclosure.Open(ctx, s.DB, s.Enforcer.Scopes(uid, "disclosure", "read"))
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(open))
	for _, r := range open {
		codes = append(codes, r.Jurisdiction)
	}
	if v.names, err = s.loadNames(ctx, codes, nil); err != nil {
		return err
	}
	d := disclosurePageData{Item: it, Jurisdiction: jur, MayEnter: s.Enforcer.AllowedSomewhere(uid, "disclosure", "enter")}
	today := calendar.DateOf(s.Engine.Now()).String()
	form := it.Forms[it.Form]
	for _, r := range open {
		row := disclosureRow{OpenRequest: r, StateName: it.StateName(r.State, v.Locale),
			TypeName: optionLabel(form, "applicant_type", r.ApplicantType, v.Locale), ChannelName: v.T("dr_channel_" + r.Channel),
			Overdue: r.StatutoryDue != "" && r.StatutoryDue < today}
		d.Requests = append(d.Requests, row)
	}
	if d.MayEnter {
		if d.Jurisdictions, err = s.enterableJurisdictions(ctx, uid, it); err != nil {
			return err
		}
		v.noteInput("jurisdiction", v.T("apply_jurisdiction"), "jurisdiction")
		d.Entry = v.formFields(&forms.Form{Fields: it.Entry.Fields}, it, entry, formOptions{errPrefix: "entry."})
		d.Fields = v.formFields(form, it, data, formOptions{})
		d.Once = newOnce()
	}
	v.Data = d
	return s.renderStatus(c, status, "disclosure", v)
}

// optionLabel is the label of a select field's option, or the value itself.
func optionLabel(f *forms.Form, field, value, locale string) string {
	if f == nil {
		return value
	}
	fd, ok := f.Field(field)
	if !ok {
		return value
	}
	for _, o := range fd.Options {
		if o.Value == value {
			return o.Label.In(locale)
		}
	}
	return value
}

// enterableJurisdictions are the jurisdictions, at a level the item is handled at, where the user
// may enter requests.
func (s *Server) enterableJurisdictions(ctx context.Context, uid int64, it *catalog.Item) ([]jurisdictions.Jurisdiction, error) {
	all, err := jurisdictions.List(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	return jurisdictionsWhere(all, func(code string) bool {
		return slices.Contains(it.Levels, string(jurisdictions.LevelOf(code))) && s.Enforcer.Allowed(uid, code, "disclosure", "enter")
	}), nil
}

// disclosureEnterPost enters a request from the office's form and opens its case page.
func (s *Server) disclosureEnterPost(c *fiber.Ctx) error {
	it, err := s.disclosureItem()
	if err != nil {
		return err
	}
	once, filed, err := s.claimOnce(c)
	if err != nil {
		return err
	}
	if filed != 0 {
		return c.Redirect(caseAddress(filed), fiber.StatusSeeOther)
	}
	defer s.releaseOnce(c, once)
	values := map[string][]string{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) { values[string(k)] = append(values[string(k)], string(v)) })
	data := forms.FromFormValues(it.Forms[it.Form], values)
	entry := forms.FromFormValues(&forms.Form{Fields: it.Entry.Fields}, values)
	jur := c.FormValue("jurisdiction")
	cs, err := disclosure.Enter(c.UserContext(), s.Engine, actor(c), jur, data, entry,
		func(ctx context.Context, tx bun.Tx, cs *workflow.Case) error { return bindOnce(once)(ctx, tx, cs.ID) })
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict || p.Kind == problem.Forbidden) {
		return s.renderDisclosure(c, data, entry, jur, err, statusByKind[p.Kind])
	}
	if err != nil {
		return err
	}
	return c.Redirect(caseAddress(cs.ID), fiber.StatusSeeOther)
}

// enterBody is a request entered through the API.
type enterBody struct {
	Jurisdiction string         `json:"jurisdiction"`
	Data         map[string]any `json:"data"`
	Entry        map[string]any `json:"entry"`
}

// apiDisclosureEnter enters a request received outside the service; a retry with the same
// Idempotency-Key answers the request entered the first time.
func (s *Server) apiDisclosureEnter(c *fiber.Ctx) error {
	if _, err := s.disclosureItem(); err != nil {
		return err
	}
	var body enterBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	load := func(ctx context.Context, id int64) (any, error) {
		v, err := s.Engine.Get(ctx, actor(c), id)
		if err != nil {
			return nil, err
		}
		return s.Engine.CaseInYuan(ctx, v.Case)
	}
	return s.createOnce(c, body, load, func(claim claimFunc) (any, error) {
		ctx := c.UserContext()
		cs, err := disclosure.Enter(ctx, s.Engine, actor(c), body.Jurisdiction, body.Data, body.Entry,
			func(ctx context.Context, tx bun.Tx, cs *workflow.Case) error { return claim(ctx, tx, cs.ID) })
		if err != nil {
			return nil, err
		}
		return s.Engine.CaseInYuan(ctx, cs)
	})
}

// apiDisclosureRequests lists the open requests of the caller's jurisdictions with their due dates.
func (s *Server) apiDisclosureRequests(c *fiber.Ctx) error {
	open, err := disclosure.Open(c.UserContext(), s.DB, s.Enforcer.Scopes(currentUser(c).ID, "disclosure", "read"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"requests": open})
}

// apiCaseUpload stores a file that staff attach to an action of the case (the information a reply
// discloses): the engine must agree that the caller may take, now, an action with a file field of the
// material (workflow.Engine.UploadSlot). The answer is the upload, to name in the action's field.
func (s *Server) apiCaseUpload(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	slot := c.FormValue("slot")
	it, err := s.Engine.UploadSlot(c.UserContext(), actor(c), id, slot)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fieldProblem("file", "required", "请选择要上传的文件。", "Choose a file to upload.")
	}
	m, err := s.storeUpload(c, it, slot, fh)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}
