package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/workflow"
)

// Progress lookup (办件进度查询): anyone with a case number and its query code reads the case's
// stage and dates without logging in, on a page and in the API. workflow.Progress holds every rule.

// progressQuery is the lookup the request asks for.
func (s *Server) progressQuery(c *fiber.Ctx) workflow.ProgressQuery {
	return workflow.ProgressQuery{Number: c.Query("number"), Code: c.Query("code"), Address: c.IP(),
		Limit: accounts.GuessLimit{Max: s.Config.ProgressMaxFailuresPerIP, Window: s.Config.LoginThrottleWindow}}
}

// progressPage is the lookup form and, once it is sent, its answer. A link with the case number
// alone (from the site search) fills the number in and asks for nothing yet: the form, which always
// sends the code, is what is checked.
func (s *Server) progressPage(c *fiber.Ctx) error {
	v := s.view(c, "progress_title")
	v.Labels = map[string]string{"number": v.T("progress_number"), "code": v.T("progress_code")}
	q := s.progressQuery(c)
	v.Form["number"], v.Form["code"] = q.Number, q.Code
	status := fiber.StatusOK
	if c.Context().QueryArgs().Has("code") {
		p, err := s.Engine.Progress(c.UserContext(), q)
		if status, err = v.showProblem(err, status); err != nil {
			return err
		}
		v.Data = p
	}
	return s.renderStatus(c, status, "progress", v)
}

// apiProgress answers a progress lookup.
func (s *Server) apiProgress(c *fiber.Ctx) error {
	p, err := s.Engine.Progress(c.UserContext(), s.progressQuery(c))
	if err != nil {
		return err
	}
	return c.JSON(p)
}
