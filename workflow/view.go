package workflow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/problem"
)

// View is a case as a page or the API shows it to one viewer.
type View struct {
	Case *Case `json:"case"`
	// Item is the catalogue version the case runs on, not necessarily the current one.
	Item   *catalog.Item `json:"item"`
	Events []Event       `json:"events"`
	// Allowed are the actions the viewer may take now, guards evaluated.
	Allowed   []catalog.Action `json:"allowed"`
	Documents []Document       `json:"documents"`
	// Clocks are the case's time limits, oldest first, each with its pauses (what the timeline shows
	// besides the events, whose changes record each start, pause, resumption, stop and extension).
	Clocks []ClockView `json:"clocks"`
}

// Get returns the case with its history, documents and the viewer's possible actions. Anyone but
// the applicant, the other parties and staff with case:read in its jurisdiction gets problem.ErrNotFound. A staff read
// is written to the audit log (case.read), since cases hold applicants' personal data.
func (e *Engine) Get(ctx context.Context, viewer audit.Actor, caseID int64) (*View, error) {
	if viewer.UserID <= 0 {
		return nil, problem.ErrNotFound
	}
	c, err := loadCase(ctx, e.db, caseID)
	if err != nil {
		return nil, err
	}
	if !e.mayRead(viewer, c) {
		return nil, problem.ErrNotFound
	}
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return nil, err
	}
	v := &View{Case: c, Item: item, Events: []Event{}, Documents: []Document{}}
	if err := e.db.NewSelect().Model(&v.Events).Where("case_id = ?", c.ID).OrderExpr("seq").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the events of case %d: %w", c.ID, err)
	}
	if err := e.db.NewSelect().Model(&v.Documents).Where("case_id = ?", c.ID).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the documents of case %d: %w", c.ID, err)
	}
	if v.Clocks, err = e.clockViews(ctx, c, item); err != nil {
		return nil, err
	}
	if !c.isParty(viewer.UserID) {
		if err := audit.RecordRead(ctx, e.db, viewer, "case.read", "case", strconv.FormatInt(c.ID, 10), c.Jurisdiction,
			map[string]any{"number": c.Number}); err != nil {
			return nil, err
		}
	}
	v.Allowed = e.AllowedActions(viewer, c, item)
	c.hideQueryCode(viewer.UserID)
	if e.applicantOnly(viewer, c) {
		redactInternal(v)
	}
	return v, nil
}

// applicantOnly reports whether the viewer sees the case as its applicant (or another party) rather
// than as staff.
func (e *Engine) applicantOnly(viewer audit.Actor, c *Case) bool {
	return c.isParty(viewer.UserID) && !e.enf.Allowed(viewer.UserID, c.Jurisdiction, "case", "read")
}

// internalFieldNames are the fields that the item's internal actions enter: staff work the
// applicant does not see (a reviewer's opinion).
func internalFieldNames(item *catalog.Item) map[string]bool {
	names := map[string]bool{}
	for _, a := range item.Workflow.Actions {
		if a.Internal {
			for _, f := range a.Fields {
				names[f.Name] = true
			}
		}
	}
	return names
}

// PublicFields is a copy of a case's fields without those of internal actions, for the applicant's
// view and for documents the applicant receives.
func PublicFields(fields map[string]any, item *catalog.Item) map[string]any {
	internal := internalFieldNames(item)
	out := make(map[string]any, len(fields))
	for k, v := range fields {
		if !internal[k] {
			out[k] = v
		}
	}
	return out
}

// redactInternal leaves out of an applicant's view what the definition marks as staff work: the
// comments and changes of internal actions, and the fields those actions entered; and the
// assignment, its events included.
func redactInternal(v *View) {
	v.Case.Fields = PublicFields(v.Case.Fields, v.Item)
	v.Case.AssigneeID = nil
	v.Events = slices.DeleteFunc(v.Events, func(ev Event) bool { return ev.Action == EventAssign })
	for i := range v.Events {
		ev := &v.Events[i]
		action := ev.Action
		if cs, ok := ev.Changes["cosign"].(map[string]any); ok && action == "cosign" {
			action, _ = cs["action"].(string) // a signature short of the last belongs to its action
		}
		for _, a := range v.Item.Workflow.Actions {
			if a.Internal && a.ID == action {
				ev.Comment, ev.Changes = "", nil
			}
		}
	}
	for i := range v.Documents {
		if f, ok := v.Documents[i].Data["fields"].(map[string]any); ok {
			v.Documents[i].Data["fields"] = PublicFields(f, v.Item)
		}
	}
}

// AllowedActions lists the actions of item the viewer may take on the case now: from its current
// state, naming the viewer, with a true guard, not yet signed by the viewer when co-signed, and a
// resubmission only while a supplement notice is open. Pages offer exactly these; Apply checks the
// same again.
func (e *Engine) AllowedActions(viewer audit.Actor, c *Case, item *catalog.Item) []catalog.Action {
	out := []catalog.Action{}
	if !e.mayRead(viewer, c) {
		return out
	}
	now := e.now()
	var env *catalog.Env
	for i := range item.Workflow.Actions {
		a := &item.Workflow.Actions[i]
		if !slices.Contains(a.From, c.State) || !e.mayTake(viewer, c, a) {
			continue
		}
		if a.Kind == catalog.KindResubmit && c.Supplement == nil {
			continue
		}
		if a.Cosign > 1 && slices.Contains(c.Cosign[a.ID], viewer.UserID) {
			continue
		}
		if a.Guard != "" {
			if env == nil {
				en := e.env(viewer, c, now)
				env = &en
			}
			if ok, err := e.guardHolds(item, a, *env); err != nil || !ok {
				continue
			}
		}
		out = append(out, *a)
	}
	return out
}

// maxList bounds the lists of cases.
const maxList = 500

func clampLimit(limit int) int64 {
	switch {
	case limit <= 0:
		return 50
	case limit > maxList:
		return maxList
	}
	return int64(limit)
}

// MyCases returns the user's own cases, those the user applied for or is another party of, newest
// first, at most limit (default 50, at most 500).
func (e *Engine) MyCases(ctx context.Context, userID int64, limit int) ([]Case, error) {
	out := []Case{}
	err := e.db.NewSelect().Model(&out).
		Where("c.applicant_id = ? OR EXISTS (SELECT 1 FROM case_parties AS pt WHERE pt.case_id = c.id AND pt.user_id = ?)", userID, userID).
		OrderExpr("c.created_at DESC, c.id DESC").Limit(clampLimit(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the cases of user %d: %w", userID, err)
	}
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	parties, err := partiesOf(ctx, e.db, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Parties = parties[out[i].ID]
		item, err := e.item(ctx, out[i].VersionHash)
		if err != nil {
			return nil, err
		}
		out[i].Fields = PublicFields(out[i].Fields, item) // the list is the applicant's own view
		out[i].AssigneeID = nil
	}
	if err := e.fillDue(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Action returns the definition of an action of the case's item version, for a caller that must know
// an action's fields before it can read a request for it (a page form). Unlike Get it reads no history
// and writes no audit row; Apply checks everything again.
func (e *Engine) Action(ctx context.Context, viewer audit.Actor, caseID int64, actionID string) (*catalog.Action, error) {
	if viewer.UserID <= 0 {
		return nil, problem.ErrNotFound
	}
	c, err := loadCase(ctx, e.db, caseID)
	if err != nil {
		return nil, err
	}
	if !e.mayRead(viewer, c) {
		return nil, problem.ErrNotFound
	}
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return nil, err
	}
	for i := range item.Workflow.Actions {
		if item.Workflow.Actions[i].ID == actionID {
			return &item.Workflow.Actions[i], nil
		}
	}
	return nil, problem.ErrNotFound
}

// Document returns an issued document with its case, when the viewer may read the case (the same
// rule as Get: the applicant, the other parties, staff with case:read in its jurisdiction); anyone
// else gets problem.ErrNotFound, as for a document that does not exist.
func (e *Engine) Document(ctx context.Context, viewer audit.Actor, id int64) (*Document, *Case, error) {
	d := new(Document)
	err := e.db.NewSelect().Model(d).Where("d.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("reading document %d: %w", id, err)
	}
	c, err := loadCase(ctx, e.db, d.CaseID)
	if err != nil {
		return nil, nil, err
	}
	if !e.mayRead(viewer, c) {
		return nil, nil, problem.ErrNotFound
	}
	return d, c, nil
}

// ReadsAsParty reports whether the viewer reads the case as one of its people rather than as staff,
// whose reads are audited.
func (c *Case) ReadsAsParty(viewer audit.Actor) bool { return c.isParty(viewer.UserID) }

// UploadSlot checks that the viewer may upload a file for the material slot of the case now: one of
// the actions the viewer may take (AllowedActions) has a file field of that material, as the reply
// of a disclosure request takes the information it discloses. It returns the catalogue version of
// the case, whose material gives the upload's limits; problem.ErrNotFound when the viewer may not
// read the case, Conflict "upload_not_available" when no such action is open to them.
func (e *Engine) UploadSlot(ctx context.Context, viewer audit.Actor, caseID int64, slot string) (*catalog.Item, error) {
	c, err := e.readableCase(ctx, viewer, caseID)
	if err != nil {
		return nil, err
	}
	item, err := e.item(ctx, c.VersionHash)
	if err != nil {
		return nil, err
	}
	for _, a := range e.AllowedActions(viewer, c, item) {
		for _, ref := range fileFieldsOf(a.Fields) {
			if ref.Material == slot {
				return item, nil
			}
		}
	}
	return nil, errUploadNotAvailable
}

var errUploadNotAvailable = problem.New(problem.Conflict, "upload_not_available",
	"您当前不能为该办件上传这项材料。", "You cannot upload this material for the case now.")

// fileFieldsOf lists the file fields among fields, those of groups and repeats included.
func fileFieldsOf(fields []forms.Field) []*forms.Field {
	var out []*forms.Field
	for i := range fields {
		f := &fields[i]
		switch f.Type {
		case forms.TypeFile:
			out = append(out, f)
		case forms.TypeGroup, forms.TypeRepeat:
			out = append(out, fileFieldsOf(f.Fields)...)
		}
	}
	return out
}
