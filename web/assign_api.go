package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/workflow"
)

// apiAssign assigns a case to a reviewer (workflow.Engine.Assign) and answers the case after.
func (s *Server) apiAssign(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req workflow.AssignRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	cs, err := s.Engine.Assign(ctx, actor(c), id, req)
	if err != nil {
		return err
	}
	if cs, err = s.Engine.CaseInYuan(ctx, cs); err != nil {
		return err
	}
	return c.JSON(cs)
}

// apiReviewers lists whom the caller may assign the case to.
func (s *Server) apiReviewers(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	rs, err := s.Engine.Reviewers(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"reviewers": rs})
}

// noteJSON is an internal note in API answers, with its author's name.
type noteJSON struct {
	workflow.Note
	AuthorName string `json:"author_name,omitempty"`
}

func (s *Server) apiNotes(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	notes, err := s.Engine.Notes(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	ids := make([]*int64, len(notes))
	for i := range notes {
		ids[i] = &notes[i].AuthorID
	}
	n, err := s.loadNames(c.UserContext(), nil, ids)
	if err != nil {
		return err
	}
	out := make([]noteJSON, len(notes))
	for i, note := range notes {
		out[i] = noteJSON{Note: note, AuthorName: n.people[note.AuthorID]}
	}
	return c.JSON(fiber.Map{"notes": out})
}

type noteBody struct {
	Body string `json:"body"`
}

func (s *Server) apiAddNote(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var body noteBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	note, err := s.Engine.AddNote(c.UserContext(), actor(c), id, body.Body)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(noteJSON{Note: *note, AuthorName: currentUser(c).Name()})
}
