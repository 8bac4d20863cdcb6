package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/register"
)

// The API of organisation bindings: the same operations as the pages (bindings_pages.go).

// bindingList is the answer listing bindings.
type bindingList struct {
	Bindings []register.Binding `json:"bindings"`
}

// apiMyBindings lists the caller's bindings and requests, the newest first.
func (s *Server) apiMyBindings(c *fiber.Ctx) error {
	list, err := register.BindingsOf(c.UserContext(), s.DB, userID(c))
	if err != nil {
		return err
	}
	return c.JSON(bindingList{Bindings: list})
}

// apiRequestBinding files a binding request: a multipart form with uscc and the letter file.
func (s *Server) apiRequestBinding(c *fiber.Ctx) error {
	b, err := s.requestBinding(c)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(b)
}

// apiBindingsToReview lists the bindings of a status (pending by default) in the caller's jurisdictions.
func (s *Server) apiBindingsToReview(c *fiber.Ctx) error {
	list, err := register.BindingsToReview(c.UserContext(), s.DB, s.Enforcer, userID(c), c.Query("status", register.BindingPending))
	if err != nil {
		return err
	}
	return c.JSON(bindingList{Bindings: list})
}

// apiBinding answers a binding the caller may see: its own, or staff's of the jurisdiction.
func (s *Server) apiBinding(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	b, err := register.VisibleBinding(c.UserContext(), s.DB, s.Enforcer, userID(c), id)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

// bindingStepBody is the body of a decision on a binding.
type bindingStepBody struct {
	Reason string `json:"reason"`
}

// apiBindingStep approves or refuses a request, or ends a binding (staff of the jurisdiction, or the
// applicant for its own), with the JSON body's reason.
func (s *Server) apiBindingStep(step string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		var body bindingStepBody
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
		b, err := s.bindingStep(c, step, id, body.Reason)
		if err != nil {
			return err
		}
		return c.JSON(b)
	}
}
