package web

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
)

// Organisations and the people who act for them: an applicant's "My organisations" with its binding
// requests, staff deciding the requests of their jurisdictions; the rules are register's.

// bindingLetter stores the file posted as "letter" (multipart) as the caller's authorisation letter
// and returns its id, 0 when none was sent; a refused file is an Invalid problem on "letter".
func (s *Server) bindingLetter(c *fiber.Ctx) (int64, error) {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return 0, nil
	}
	fh, err := c.FormFile("letter")
	if err != nil || fh.Size == 0 && fh.Filename == "" {
		return 0, nil // no file: RequestBinding says the letter is required
	}
	r, err := fh.Open()
	if err != nil {
		return 0, fmt.Errorf("opening the upload %q: %w", fh.Filename, err)
	}
	defer r.Close()
	m, err := s.Materials.Upload(c.UserContext(), s.DB, userID(c), register.LetterItem, register.LetterSlot, fh.Filename, r,
		materials.Limits{Types: register.LetterTypes, MaxPixels: int64(s.Config.UploadMaxPixels)})
	if p, ok := problem.As(err); ok {
		return 0, problem.Fields{uploadField("letter", fh.Filename, p)}.Err()
	}
	if err != nil {
		return 0, err
	}
	return m.ID, nil
}

// requestBinding files the caller's binding request from the posted credit code and letter.
func (s *Server) requestBinding(c *fiber.Ctx) (*register.Binding, error) {
	letter, err := s.bindingLetter(c)
	if err != nil {
		return nil, err
	}
	return register.RequestBinding(c.UserContext(), s.DB, s.Enforcer, actor(c), c.FormValue("uscc"), letter)
}

// myOrganisationsPage is "My organisations": the caller's bindings and requests, and the request form.
func (s *Server) myOrganisationsPage(c *fiber.Ctx) error {
	return s.renderMyOrganisations(c, fiber.StatusOK, c.Query("done"), nil)
}

func (s *Server) renderMyOrganisations(c *fiber.Ctx, status int, done string, formErr error) error {
	uid := userID(c)
	list, err := register.BindingsOf(c.UserContext(), s.DB, uid)
	if err != nil {
		return err
	}
	v := s.view(c, "binding_mine_title")
	if status, err = v.refill(c, formErr, status, "/account/organisations", "uscc"); err != nil {
		return err
	}
	v.Labels = map[string]string{"uscc": v.T("binding_uscc"), "letter": v.T("binding_letter"), "reason": v.T("binding_reason")}
	data := map[string]any{"Bindings": list, "MayRequest": s.Enforcer.AllowedSomewhere(uid, "binding", "request"),
		"Accept": materials.Accept(register.LetterTypes), "Types": strings.Join(materials.TypeNames(register.LetterTypes), "、"),
		"Procedures": s.proceduresFor(list)}
	if data["AnnualDue"], err = s.annualDue(c, v); err != nil {
		return err
	}
	if slices.Contains([]string{"requested", "unbound"}, done) {
		data["Done"] = "binding_done_" + done
	}
	v.Data = data
	return s.renderStatus(c, status, "account_organisations", v)
}

// requestBindingPost files a binding request; bad input shows the page again with the errors.
func (s *Server) requestBindingPost(c *fiber.Ctx) error {
	_, err := s.requestBinding(c)
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
		return s.renderMyOrganisations(c, statusByKind[p.Kind], "", err)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/account/organisations?done=requested", fiber.StatusSeeOther)
}

// unbindOwnPost ends the caller's own binding, or withdraws its request.
func (s *Server) unbindOwnPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	_, err = register.Unbind(c.UserContext(), s.DB, s.Enforcer, actor(c), id, c.FormValue("reason"))
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
		return s.renderMyOrganisations(c, statusByKind[p.Kind], "", err)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/account/organisations?done=unbound", fiber.StatusSeeOther)
}

// bindingLetterDownload serves the authorisation letter of a binding the caller may see.
func (s *Server) bindingLetterDownload(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	b, err := register.VisibleBinding(c.UserContext(), s.DB, s.Enforcer, userID(c), id)
	if err != nil {
		return err
	}
	m, err := register.Letter(c.UserContext(), s.DB, actor(c), b)
	if err != nil {
		return err
	}
	return s.sendMaterial(c, m)
}

// staffBindingsPage lists the bindings of one status (the requests waiting by default) of the
// organisations in the caller's jurisdictions, with the decisions it may take.
func (s *Server) staffBindingsPage(c *fiber.Ctx) error {
	return s.renderStaffBindings(c, fiber.StatusOK, c.Query("done"), 0, nil)
}

// renderStaffBindings shows the list of ?status=; after a decision on binding failed was refused
// with formErr, that row's reason shows again, typed as it was, where the error points.
func (s *Server) renderStaffBindings(c *fiber.Ctx, status int, done string, failed int64, formErr error) error {
	uid := userID(c)
	filter := c.Query("status", register.BindingPending)
	list, err := register.BindingsToReview(c.UserContext(), s.DB, s.Enforcer, uid, filter)
	if p, ok := problem.As(err); ok && p.Kind == problem.Invalid {
		filter, formErr, status = register.BindingPending, err, fiber.StatusUnprocessableEntity
		list, err = register.BindingsToReview(c.UserContext(), s.DB, s.Enforcer, uid, filter)
	}
	if err != nil {
		return err
	}
	v := s.view(c, "binding_staff_title")
	codes := make([]string, 0, len(list))
	users := make([]*int64, 0, len(list))
	for i := range list {
		codes, users = append(codes, list[i].Organisation.Jurisdiction), append(users, &list[i].UserID)
	}
	if v.names, err = s.loadNames(c.UserContext(), codes, users); err != nil {
		return err
	}
	rows := make([]map[string]any, 0, len(list))
	for i, b := range list {
		rows = append(rows, map[string]any{"Binding": b, "Applicant": v.Person(&list[i].UserID, ""),
			"MayReview": register.MayReviewBindings(s.Enforcer, uid, b.Organisation.Jurisdiction)})
	}
	if status, err = v.refill(c, formErr, status, "/admin/bindings", "reason"); err != nil {
		return err
	}
	v.Labels = map[string]string{"reason": v.T("binding_reason"), "status": v.T("binding_status")}
	data := map[string]any{"Rows": rows, "Status": filter, "Statuses": register.BindingStatuses, "Failed": failed}
	if slices.Contains([]string{"approve", "refuse", "unbind"}, done) {
		data["Done"] = "binding_done_" + done
	}
	v.Data = data
	return s.renderStatus(c, status, "admin_bindings", v)
}

// bindingStepPost takes a staff decision on a binding: approve or refuse a request, or end a binding.
// Invalid input (a refusal without a reason) and conflicts show the list again with the error.
func (s *Server) bindingStepPost(step string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		if _, err = s.bindingStep(c, step, id, c.FormValue("reason")); err != nil {
			if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
				return s.renderStaffBindings(c, statusByKind[p.Kind], "", id, err)
			}
			return err
		}
		return c.Redirect("/admin/bindings?"+url.Values{"status": {c.Query("status", register.BindingPending)}, "done": {step}}.Encode(), fiber.StatusSeeOther)
	}
}

// bindingStep is the register operation of a step on binding id, for the pages and the API.
func (s *Server) bindingStep(c *fiber.Ctx, step string, id int64, reason string) (*register.Binding, error) {
	ctx, db, enf, a := c.UserContext(), s.DB, s.Enforcer, actor(c)
	switch step {
	case "approve":
		return register.ApproveBinding(ctx, db, enf, a, id, reason)
	case "refuse":
		return register.RefuseBinding(ctx, db, enf, a, id, reason)
	}
	return register.Unbind(ctx, db, enf, a, id, reason)
}
