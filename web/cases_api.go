package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// itemSummary is an entry of the catalogue list.
type itemSummary struct {
	Code         string    `json:"code"`
	Name         lang.Text `json:"name"`
	Category     string    `json:"category"`
	CategoryName lang.Text `json:"category_name"`
	Levels       []string  `json:"levels"`
	Version      string    `json:"version"`
}

func (s *Server) apiCatalog(c *fiber.Ctx) error {
	items := s.Catalog.Items()
	out := make([]itemSummary, 0, len(items))
	for _, it := range items {
		out = append(out, itemSummary{Code: it.Code, Name: it.Name, Category: it.Category, CategoryName: catalog.CategoryName(it.Category),
			Levels: it.Levels, Version: it.Hash})
	}
	return c.JSON(fiber.Map{"items": out})
}

// item is the current definition of the item named in the route.
func (s *Server) item(c *fiber.Ctx) (*catalog.Item, error) {
	it, ok := s.Catalog.Item(c.Params("code"))
	if !ok {
		return nil, errNotFound
	}
	return it, nil
}

func (s *Server) apiCatalogItem(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	return c.JSON(it)
}

// apiFormSchema publishes the JSON Schema of the item's application form, or of another of its
// forms with ?form=ID (a later stage's form).
func (s *Server) apiFormSchema(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	id := c.Query("form", it.Form)
	f, ok := it.Forms[id]
	if !ok {
		return errNotFound
	}
	return c.JSON(forms.JSONSchema(f))
}

type draftBody struct {
	CaseID int64          `json:"case_id"`
	Data   map[string]any `json:"data"`
}

func (s *Server) apiSaveDraft(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	var body draftBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.Engine.SaveDraft(c.UserContext(), currentUser(c).ID, it.Code, body.CaseID, body.Data); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiDraft(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	caseID, err := strconv.ParseInt(c.Query("case_id", "0"), 10, 64)
	if err != nil || caseID < 0 {
		return fieldProblem("case_id", "invalid", "case_id 应为办件编号（数字）。", "case_id must be a case's numeric id.")
	}
	data, err := s.Engine.Draft(c.UserContext(), currentUser(c).ID, it.Code, caseID)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	return c.JSON(fiber.Map{"data": data})
}

func (s *Server) apiUpload(c *fiber.Ctx) error {
	it, ok := s.Catalog.Item(c.FormValue("item"))
	if !ok {
		return fieldProblem("item", "unknown_item", "没有这个事项。", "There is no such service item.")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return fieldProblem("file", "required", "请选择要上传的文件。", "Choose a file to upload.")
	}
	slot := c.FormValue("slot")
	// The file is read for the fingerprint of the request only when a retry may need it: with a key.
	var content *upload
	if c.Get(idempotencyKeyHeader) != "" {
		if content, err = uploadContent(it.Code, slot, fh); err != nil {
			return err
		}
	}
	load := func(ctx context.Context, id int64) (any, error) { return materials.Get(ctx, s.DB, id) }
	return s.createOnce(c, content, load, func(claim claimFunc) (any, error) {
		return s.storeUpload(c, it, slot, fh, materials.WithinUpload(func(ctx context.Context, tx bun.Tx, m *materials.Material) error {
			return claim(ctx, tx, m.ID)
		}))
	})
}

// upload is what identifies an upload for an idempotent retry: its item, slot, file name and content.
type upload struct {
	Item, Slot, Filename string
	SHA256               string
}

// uploadContent reads the uploaded file of fh to identify the upload.
func uploadContent(item, slot string, fh *multipart.FileHeader) (*upload, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("opening an upload to fingerprint it: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("reading an upload to fingerprint it: %w", err)
	}
	return &upload{Item: item, Slot: slot, Filename: fh.Filename, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// download serves a material to its owner or to whoever may see its case, as an attachment; staff
// downloads are audited.
func (s *Server) download(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	m, err := materials.Get(ctx, s.DB, id)
	if err != nil {
		return err
	}
	u := currentUser(c)
	if m.OwnerID != u.ID {
		if m.CaseID == nil {
			return errNotFound
		}
		if _, err := s.Engine.Get(ctx, actor(c), *m.CaseID); err != nil {
			return err
		}
		if err := materials.RecordDownload(ctx, s.DB, actor(c), m); err != nil {
			return err
		}
	}
	return s.sendMaterial(c, m)
}

// sendMaterial answers the stored file of m as an attachment (materials.DownloadHeaders).
func (s *Server) sendMaterial(c *fiber.Ctx, m *materials.Material) error {
	r, err := s.Materials.Open(m)
	if err != nil {
		return err
	}
	for k, v := range m.DownloadHeaders() {
		c.Set(k, v)
	}
	// fasthttp reads the stream after the handler returns and closes it then; closing it here
	// would cut the download off.
	return c.SendStream(r, int(m.Size))
}

type startBody struct {
	Item         string         `json:"item"`
	Jurisdiction string         `json:"jurisdiction"`
	Data         map[string]any `json:"data"`
}

func (s *Server) apiStart(c *fiber.Ctx) error {
	var body startBody
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
		cs, err := s.Engine.Start(ctx, actor(c), body.Item, body.Jurisdiction, body.Data,
			workflow.WithinStart(func(ctx context.Context, tx bun.Tx, cs *workflow.Case) error { return claim(ctx, tx, cs.ID) }))
		if err != nil {
			return nil, err
		}
		return s.Engine.CaseInYuan(ctx, cs)
	})
}

func (s *Server) apiMyCases(c *fiber.Ctx) error {
	cases, err := s.Engine.MyCases(c.UserContext(), currentUser(c).ID, 200)
	if err != nil {
		return err
	}
	return s.caseListJSON(c, cases)
}

func (s *Server) apiCase(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	v, err := s.Engine.Get(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	n, err := s.caseNames(c.UserContext(), v)
	if err != nil {
		return err
	}
	answer := caseJSON(v, n)
	changes, err := register.CaseChanges(c.UserContext(), s.DB, v.Case, v.Item)
	if err != nil {
		return err
	}
	if changes != nil {
		answer["changes"] = changes
	}
	return c.JSON(answer)
}

// caseJSON is the API's view of a case: the case, its timeline with what each event recorded, the
// actions the caller may take now and its time limits, with the names of its jurisdiction and of the
// people in its history.
func caseJSON(v *workflow.View, n names) fiber.Map {
	details := v.EventDetails()
	named := n.events(v.Events)
	events := make([]eventJSON, len(named))
	for i := range named {
		events[i] = eventJSON{namedEvent: named[i], Details: details[i]}
	}
	cs := *v.Case
	cs.Data = workflow.DataInYuan(v.Item, cs.Data)
	return fiber.Map{"case": n.namedCase(cs), "events": events, "allowed_actions": nonNil(v.Allowed), "documents": nonNil(v.Documents),
		"clocks": nonNil(v.Clocks)}
}

// eventJSON is an event of a case with what it recorded, labelled as the case page shows it.
type eventJSON struct {
	namedEvent
	Details []workflow.EventDetail `json:"details,omitempty"`
}

func (s *Server) apiApply(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req workflow.ApplyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	cs, err := s.Engine.Apply(ctx, actor(c), id, req)
	if err != nil {
		return err
	}
	if cs, err = s.Engine.CaseInYuan(ctx, cs); err != nil {
		return err
	}
	return c.JSON(cs)
}

func (s *Server) apiInbox(c *fiber.Ctx) error {
	cases, err := s.Engine.Inbox(c.UserContext(), currentUser(c).ID, inboxFilter(c))
	if err != nil {
		return err
	}
	return s.caseListJSON(c, cases)
}

// caseListJSON answers a list of cases, each with the name of its jurisdiction.
func (s *Server) caseListJSON(c *fiber.Ctx, cases []workflow.Case) error {
	n, err := s.caseListNames(c.UserContext(), cases)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cases": n.cases(cases)})
}

func fieldProblem(path, code, zh, en string) error {
	var fe problem.Fields
	fe.Add(path, code, zh, en)
	return fe.Err()
}

// inboxFilter reads the staff inbox's filters from the query: item, state, overdue=1 for cases past a
// due date, sort=due for the earliest due date first, mine=1 for the cases assigned to the caller.
func inboxFilter(c *fiber.Ctx) workflow.InboxFilter {
	f := workflow.InboxFilter{ItemCode: c.Query("item"), State: c.Query("state"), Overdue: c.QueryBool("overdue"), Limit: 200}
	f.Mine = c.QueryBool("mine") // only the cases assigned to the caller
	if c.Query("sort") == workflow.SortDue {
		f.Sort = workflow.SortDue
	}
	return f
}

// inboxStates are the choices of the inbox page's state filter: the states where the caller acts,
// and the state the query names if it is none of them (a state of an older catalogue version, a link
// from elsewhere), so that the filter the list obeys is the one the form shows.
func (s *Server) inboxStates(c *fiber.Ctx) []workflow.InboxState {
	states := workflow.InboxStates(s.Catalog.Items(), s.Enforcer.LoadedGrants(currentUser(c).ID)) // as the list's
	state := c.Query("state")
	if state != "" && !slices.ContainsFunc(states, func(st workflow.InboxState) bool { return st.ID == state }) {
		states = append(states, workflow.InboxState{ID: state, Name: lang.Text{ZH: state, EN: state}})
	}
	return states
}
