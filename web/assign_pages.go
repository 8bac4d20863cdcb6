package web

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// assignPanel is what the case page shows staff about the case's assignment (承办人) and its
// internal notes; the case's people never get one.
type assignPanel struct {
	// AssigneeName names the assignee; empty when the case is not assigned.
	AssigneeName string
	// Warn tells a viewer who may act on the case that someone else is assigned to it.
	Warn bool
	// CanAssign says the viewer may assign the case, open, to one of Reviewers.
	CanAssign bool
	Reviewers []workflow.Reviewer
	Notes     []noteRow
	CanNote   bool
	// Posted holds what was entered in a refused assignment or note form, to show it again.
	Posted struct {
		AssigneeID int64
		Reason     string
		Body       string
	}
}

// noteRow is an internal note with its author's name.
type noteRow struct {
	workflow.Note
	AuthorName string
}

// assignPanel builds the panel for the viewer of vw, or nil when the viewer reads the case as one of
// its people.
func (s *Server) assignPanel(c *fiber.Ctx, v *view, vw *workflow.View) (*assignPanel, error) {
	ctx, a := c.UserContext(), actor(c)
	notes, err := s.Engine.Notes(ctx, a, vw.Case.ID)
	if errors.Is(err, problem.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cs := vw.Case
	p := &assignPanel{CanNote: s.Enforcer.Allowed(a.UserID, cs.Jurisdiction, "case", "note")}
	if cs.ClosedAt == nil {
		p.Reviewers, err = s.Engine.Reviewers(ctx, a, cs.ID)
		p.CanAssign = err == nil
		if err != nil && !errors.Is(err, problem.ErrForbidden) {
			return nil, err
		}
	}
	ids := make([]*int64, 0, len(notes)+1)
	ids = append(ids, cs.AssigneeID)
	for i := range notes {
		ids = append(ids, &notes[i].AuthorID)
	}
	n, err := s.loadNames(ctx, nil, ids)
	if err != nil {
		return nil, err
	}
	if cs.AssigneeID != nil {
		p.AssigneeName = n.people[*cs.AssigneeID]
		p.Warn = *cs.AssigneeID != a.UserID && len(vw.Allowed) > 0
	}
	for _, note := range notes {
		p.Notes = append(p.Notes, noteRow{Note: note, AuthorName: n.people[note.AuthorID]})
	}
	switch c.Route().Path {
	case "/cases/:id/assignment":
		p.Posted.AssigneeID, _ = strconv.ParseInt(c.FormValue("assignee_id"), 10, 64)
		p.Posted.Reason = c.FormValue("reason")
		v.noteInput("assignee_id", v.T("assign_assignee"), "assign-assignee")
		v.noteInput("reason", v.T("assign_reason"), "assign-reason")
	case "/cases/:id/notes":
		p.Posted.Body = c.FormValue("body")
		v.noteInput("body", v.T("assign_note_body"), "note-body")
	}
	return p, nil
}

// assignPost assigns the case from its page; a refused assignment shows the page again with the errors.
func (s *Server) assignPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	assignee, _ := strconv.ParseInt(c.FormValue("assignee_id"), 10, 64)
	expected, _ := strconv.ParseInt(c.FormValue("expected_version"), 10, 64)
	req := workflow.AssignRequest{AssigneeID: assignee, Reason: c.FormValue("reason"), ExpectedVersion: expected}
	if _, err := s.Engine.Assign(c.UserContext(), actor(c), id, req); err != nil {
		return s.renderCaseOr(c, id, err)
	}
	return c.Redirect("/cases/"+strconv.FormatInt(id, 10)+"#assignment", fiber.StatusSeeOther)
}

// notePost adds an internal note from the case page.
func (s *Server) notePost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.Engine.AddNote(c.UserContext(), actor(c), id, c.FormValue("body")); err != nil {
		return s.renderCaseOr(c, id, err)
	}
	return c.Redirect("/cases/"+strconv.FormatInt(id, 10)+"#notes", fiber.StatusSeeOther)
}

// renderCaseOr shows the case page again with a problem the person can fix (a field error, a
// conflict); a missing case, a refusal or an internal error goes to the error boundary.
func (s *Server) renderCaseOr(c *fiber.Ctx, id int64, err error) error {
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
		return s.renderCase(c, id, err, "", nil)
	}
	return err
}
