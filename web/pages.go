package web

import (
	"cmp"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

func (s *Server) unreadCount(c *fiber.Ctx, userID int64) int {
	n, err := notify.UnreadCount(c.UserContext(), s.DB, userID)
	if err != nil {
		return 0 // the badge is a convenience; the messages page reports real errors
	}
	return n
}

func (s *Server) messagesPage(c *fiber.Ctx) error {
	msgs, err := notify.ListMessages(c.UserContext(), s.DB, currentUser(c).ID, 200)
	if err != nil {
		return err
	}
	v := s.view(c, "messages_title")
	v.Data = map[string]any{"Messages": msgs}
	return s.render(c, "messages", v)
}

func (s *Server) markReadPage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := notify.MarkRead(c.UserContext(), s.DB, currentUser(c).ID, id); err != nil {
		return err
	}
	return c.Redirect("/messages", fiber.StatusSeeOther)
}

// accountPage shows the user's roles and API tokens; newToken is shown once after creation.
func (s *Server) accountPage(c *fiber.Ctx) error { return s.renderAccount(c, "", nil) }

func (s *Server) renderAccount(c *fiber.Ctx, newToken string, formErr error) error {
	u := currentUser(c)
	grants, err := s.Enforcer.Grants(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	tokens, err := accounts.ListTokens(c.UserContext(), s.DB, u.ID)
	if err != nil {
		return err
	}
	v := s.view(c, "account_title")
	v.Path = "/account"
	if v.names, err = s.loadNames(c.UserContext(), scopeCodes(grants), nil); err != nil {
		return err
	}
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	v.Data = map[string]any{"Grants": grants, "Tokens": tokens, "NewToken": newToken, "Welcome": c.Query("welcome") != ""}
	return s.renderStatus(c, status, "account", v)
}

func (s *Server) createTokenPage(c *fiber.Ctx) error {
	secret, _, err := accounts.CreateToken(c.UserContext(), s.DB, actor(c), currentUser(c).ID, c.FormValue("name"), 0)
	if err != nil {
		if _, ok := problem.As(err); ok {
			return s.renderAccount(c, "", err)
		}
		return err
	}
	return s.renderAccount(c, secret, nil)
}

func (s *Server) revokeTokenPage(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := accounts.RevokeToken(c.UserContext(), s.DB, s.Auth, actor(c), currentUser(c).ID, id); err != nil {
		return err
	}
	return c.Redirect("/account", fiber.StatusSeeOther)
}

// userRow is a user with their grants, for the admin list.
type userRow struct {
	User   accounts.User
	Grants []policies.Grant
}

// newUserFields are the inputs of the new-user form.
var newUserFields = []struct{ Name, Label, Type, Help string }{
	{"login", "admin_user_login", "text", ""},
	{"display_name", "admin_user_name", "text", ""},
	{"email", "admin_user_email", "email", ""},
	{"phone", "admin_user_phone", "tel", ""},
	{"password", "admin_user_password", "password", "admin_user_password_help"},
}

func (s *Server) usersPage(c *fiber.Ctx) error { return s.renderUsers(c, "", nil) }

// renderUsers shows the users-and-roles page, with a notice after a change or the errors of a form
// together with what was typed.
func (s *Server) renderUsers(c *fiber.Ctx, notice string, formErr error) error {
	ctx := c.UserContext()
	rows, err := s.readUsers(c)
	if err != nil {
		return err
	}
	js, err := jurisdictions.List(ctx, s.DB)
	if err != nil {
		return err
	}
	v := s.view(c, "admin_users_title")
	v.Path, v.Notice, v.names = "/admin/users", notice, placesOf(js)
	status, err := v.showProblem(formErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	if formErr != nil {
		for _, k := range []string{"login", "display_name", "email", "phone", "user_id", "role", "jurisdiction", "subtree"} {
			v.Form[k] = c.FormValue(k)
		}
	}
	v.Data = map[string]any{"Users": rows, "Roles": policies.Roles, "Jurisdictions": js, "UserFields": newUserFields}
	return s.renderStatus(c, status, "admin_users", v)
}

func (s *Server) createUserPage(c *fiber.Ctx) error {
	u, err := accounts.Create(c.UserContext(), s.DB, actor(c), accounts.NewUser{
		Login: c.FormValue("login"), Password: c.FormValue("password"), DisplayName: c.FormValue("display_name"),
		Email: c.FormValue("email"), Phone: c.FormValue("phone"), Locale: s.locale(c)})
	if err != nil {
		return s.renderUsers(c, "", err)
	}
	return s.renderUsers(c, s.view(c, "admin_users_title").Tf("admin_user_created", "Login", u.Login), nil)
}

func (s *Server) grantPage(c *fiber.Ctx) error {
	userID, _ := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
	err := s.Enforcer.Grant(c.UserContext(), actor(c), userID, c.FormValue("role"), c.FormValue("jurisdiction"), c.FormValue("subtree") != "")
	if problem.Is(err, problem.Invalid) || problem.Is(err, problem.Forbidden) {
		return s.renderUsers(c, "", err)
	}
	if err != nil {
		return err
	}
	return s.renderUsers(c, s.view(c, "admin_users_title").T("admin_grant_done"), nil)
}

func (s *Server) revokePage(c *fiber.Ctx) error {
	userID, _ := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
	err := s.Enforcer.Revoke(c.UserContext(), actor(c), userID, c.FormValue("role"), c.FormValue("pattern"))
	if problem.Is(err, problem.Invalid) || problem.Is(err, problem.Forbidden) {
		return s.renderUsers(c, "", err)
	}
	if err != nil {
		return err
	}
	return s.renderUsers(c, s.view(c, "admin_users_title").T("admin_revoke_done"), nil)
}

func (s *Server) deliveriesPage(c *fiber.Ctx) error {
	failed, err := notify.ListFailed(c.UserContext(), s.DB, 200)
	if err != nil {
		return err
	}
	ids := make([]*int64, 0, len(failed))
	for _, m := range failed {
		ids = append(ids, m.UserID)
	}
	v := s.view(c, "admin_deliveries_title")
	if v.names, err = s.loadNames(c.UserContext(), nil, ids); err != nil {
		return err
	}
	v.Data = map[string]any{"Failed": failed}
	return s.render(c, "admin_deliveries", v)
}

func (s *Server) auditPage(c *fiber.Ctx) error {
	entries, err := s.auditEntries(c, "")
	if err != nil {
		return err
	}
	codes, ids := make([]string, 0, len(entries)), make([]*int64, 0, len(entries))
	for _, e := range entries {
		codes, ids = append(codes, e.Jurisdiction), append(ids, e.ActorUserID)
	}
	v := s.view(c, "admin_audit_title")
	if v.names, err = s.loadNames(c.UserContext(), codes, ids); err != nil {
		return err
	}
	v.Data = map[string]any{"Entries": entries}
	return s.render(c, "admin_audit", v)
}

// showProblem puts err on the page when it is a problem and returns the page's status then (else
// status); any other error is returned for the error boundary.
func (v *view) showProblem(err error, status int) (int, error) {
	if err == nil {
		return status, nil
	}
	p, ok := problem.As(err)
	if !ok {
		return 0, err
	}
	v.setErrors(p)
	return statusByKind[p.Kind], nil
}

// setErrors puts a problem on the page: field errors next to their fields, anything else, such as
// the count of errors not listed (a field error without a path), on top.
func (v *view) setErrors(p *problem.Error) {
	for _, f := range p.Fields {
		path := cmp.Or(f.Path, "_")
		if _, seen := v.Errors[path]; !seen {
			v.Errors[path] = f.Message.In(v.Locale)
			v.reported = append(v.reported, path)
		}
	}
	if len(p.Fields) == 0 {
		v.Errors["_"] = p.Message.In(v.Locale)
	}
}

// pathID reads the numeric :id of a route.
func pathID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}
