package web

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/problem"
)

// Sign-up, password reset, password change and sessions: the pages. The rules are accounts.Enrolment's
// and accounts' own; the handlers only parse, call and show.

// enrolment is where the public gets accounts, with the limits of the configuration. Wrong codes
// count like failed logins of the number.
func (s *Server) enrolment() *accounts.Enrolment {
	return &accounts.Enrolment{DB: s.DB, Enforcer: s.Enforcer, Cache: s.Auth, Limits: accounts.CodeLimits{
		PerNumber: s.Config.SMSCodesPerNumber, PerIP: s.Config.SMSCodesPerIP,
		WrongPerNumber: s.Config.LoginMaxFailuresPerAccount, Window: s.Config.LoginThrottleWindow}}
}

// signupView is a page of this part with its inputs labelled for the error summary (label ids
// "signup_<name>"), what was typed in them shown again (never a password), and err on it.
func (s *Server) signupView(c *fiber.Ctx, title, path string, err error, inputs ...string) (*view, int, error) {
	v := s.view(c, title)
	if c.Method() != fiber.MethodGet {
		v.Path = path
	}
	for _, name := range inputs {
		v.noteInput(name, v.T("signup_"+name), name)
		if name != "password" && name != "old_password" && name != "new_password" {
			v.Form[name] = c.FormValue(name, c.Query(name))
		}
	}
	status, err := v.showProblem(err, fiber.StatusOK)
	return v, status, err
}

// PasswordInput is Input for a password: never filled in again, and marked for password managers
// as the current or a new password.
func (v *view) PasswordInput(name, label, hint string, isNew bool) inputView {
	in := v.Input(name, label, hint, "")
	in.Type, in.Value, in.Auto = "password", "", "current-password"
	if isNew {
		in.Auto = "new-password"
	}
	return in
}

// kindOf reads the kind of account a page is about, citizen unless said otherwise.
func kindOf(c *fiber.Ctx) string {
	if k := c.FormValue("kind", c.Query("kind")); k == accounts.KindOrgApplicant {
		return k
	}
	return accounts.KindCitizen
}

// signupPage asks for the kind of account and the mobile number, or, to someone logged in, offers
// to add the other kind of account to their own.
func (s *Server) signupPage(c *fiber.Ctx) error { return s.renderSignup(c, nil) }

func (s *Server) renderSignup(c *fiber.Ctx, formErr error) error {
	v, status, err := s.signupView(c, "signup_title", "/signup", formErr, "kind", "phone", "password")
	if err != nil {
		return err
	}
	v.Form["kind"] = kindOf(c)
	data := map[string]any{"Kinds": []string{accounts.KindCitizen, accounts.KindOrgApplicant}}
	if u := v.User; u != nil {
		if data["Held"], err = s.enrolment().Kinds(c.UserContext(), u.ID); err != nil {
			return err
		}
	}
	v.Data = data
	return s.renderStatus(c, status, "signup", v)
}

func (s *Server) signupPost(c *fiber.Ctx) error {
	r := accounts.CodeRequest{Phone: c.FormValue("phone"), Kind: c.FormValue("kind"), IP: c.IP(), Locale: s.locale(c)}
	if err := s.enrolment().StartSignUp(c.UserContext(), r); err != nil {
		if _, ok := problem.As(err); ok {
			return s.renderSignup(c, err)
		}
		return err
	}
	return c.Redirect("/signup/confirm?"+url.Values{"phone": {r.Phone}, "kind": {r.Kind}}.Encode(), fiber.StatusSeeOther)
}

// signupConfirmPage asks for the code sent to the number and the new account's details.
func (s *Server) signupConfirmPage(c *fiber.Ctx) error { return s.renderSignupConfirm(c, nil) }

func (s *Server) renderSignupConfirm(c *fiber.Ctx, formErr error) error {
	v, status, err := s.signupView(c, "signup_title", "/signup/confirm", formErr,
		"code", "display_name", "password", "email", "phone", "kind")
	if err != nil {
		return err
	}
	v.Form["kind"] = kindOf(c)
	return s.renderStatus(c, status, "signup_confirm", v)
}

func (s *Server) signupConfirmPost(c *fiber.Ctx) error {
	u, err := s.enrolment().FinishSignUp(c.UserContext(), actor(c), accounts.SignUp{
		Phone: c.FormValue("phone"), Code: c.FormValue("code"), Kind: c.FormValue("kind"), Password: c.FormValue("password"),
		DisplayName: c.FormValue("display_name"), Email: c.FormValue("email"), Locale: s.locale(c)})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return s.renderSignupConfirm(c, err)
		}
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect("/account?welcome=1", fiber.StatusSeeOther)
}

// signupKindPost adds the other kind of account to the caller's own, after its password.
func (s *Server) signupKindPost(c *fiber.Ctx) error {
	err := s.enrolment().AddKind(c.UserContext(), s.throttle(), actor(c), currentUser(c), c.FormValue("kind"),
		c.FormValue("password"), c.IP(), c.Cookies(deviceCookie))
	if err != nil {
		if p, ok := problem.As(err); ok && p.Kind != problem.Forbidden {
			return s.renderSignup(c, err)
		}
		return err
	}
	return c.Redirect("/account", fiber.StatusSeeOther)
}

// resetPage asks for the number of the account whose password is forgotten.
func (s *Server) resetPage(c *fiber.Ctx) error { return s.renderReset(c, nil) }

func (s *Server) renderReset(c *fiber.Ctx, formErr error) error {
	v, status, err := s.signupView(c, "signup_reset_title", "/password/reset", formErr, "phone")
	if err != nil {
		return err
	}
	return s.renderStatus(c, status, "password_reset", v)
}

func (s *Server) resetPost(c *fiber.Ctx) error {
	r := accounts.CodeRequest{Phone: c.FormValue("phone"), IP: c.IP(), Locale: s.locale(c)}
	if err := s.enrolment().StartReset(c.UserContext(), r); err != nil {
		if _, ok := problem.As(err); ok {
			return s.renderReset(c, err)
		}
		return err
	}
	return c.Redirect("/password/reset/confirm?"+url.Values{"phone": {r.Phone}}.Encode(), fiber.StatusSeeOther)
}

// resetConfirmPage asks for the code sent to the number and the new password.
func (s *Server) resetConfirmPage(c *fiber.Ctx) error { return s.renderResetConfirm(c, nil) }

func (s *Server) renderResetConfirm(c *fiber.Ctx, formErr error) error {
	v, status, err := s.signupView(c, "signup_reset_title", "/password/reset/confirm", formErr, "code", "password", "phone")
	if err != nil {
		return err
	}
	return s.renderStatus(c, status, "password_reset_confirm", v)
}

func (s *Server) resetConfirmPost(c *fiber.Ctx) error {
	err := s.enrolment().FinishReset(c.UserContext(), actor(c), accounts.Reset{
		Phone: c.FormValue("phone"), Code: c.FormValue("code"), Password: c.FormValue("password")})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return s.renderResetConfirm(c, err)
		}
		return err
	}
	return c.Redirect("/login?reset=1", fiber.StatusSeeOther)
}

// sessionRow is a login session as the sessions list shows it.
type sessionRow struct {
	accounts.Session
	Current bool
}

// securityPage is My account's page of the password and the login sessions.
func (s *Server) securityPage(c *fiber.Ctx) error { return s.renderSecurity(c, nil) }

func (s *Server) renderSecurity(c *fiber.Ctx, formErr error) error {
	v, status, err := s.signupView(c, "signup_security_title", "/account/security", formErr, "old_password", "new_password")
	if err != nil {
		return err
	}
	sessions, err := accounts.ListSessions(c.UserContext(), s.DB, v.User.ID)
	if err != nil {
		return err
	}
	switch {
	case c.Query("changed") != "":
		v.Notice = v.T("signup_password_changed")
	case c.Query("ended") != "":
		n, _ := strconv.Atoi(c.Query("ended"))
		v.Notice = v.Tf("signup_sessions_ended", "Count", n)
	}
	rows := make([]sessionRow, len(sessions))
	for i, ss := range sessions {
		rows[i] = sessionRow{Session: ss, Current: ss.IsSession(c.Cookies(sessionCookie))}
	}
	v.Data = rows
	return s.renderStatus(c, status, "account_security", v)
}

func (s *Server) changePasswordPost(c *fiber.Ctx) error {
	err := accounts.ChangePassword(c.UserContext(), s.DB, s.Auth, s.throttle(), actor(c), currentUser(c), accounts.PasswordChange{
		Old: c.FormValue("old_password"), New: c.FormValue("new_password"), IP: c.IP(), Device: c.Cookies(deviceCookie),
		Session: c.Cookies(sessionCookie)})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return s.renderSecurity(c, err)
		}
		return err
	}
	return c.Redirect("/account/security?changed=1", fiber.StatusSeeOther)
}

func (s *Server) endOtherSessionsPost(c *fiber.Ctx) error {
	n, err := accounts.EndOtherSessions(c.UserContext(), s.DB, s.Auth, actor(c), currentUser(c).ID, c.Cookies(sessionCookie))
	if err != nil {
		return err
	}
	return c.Redirect("/account/security?ended="+strconv.Itoa(n), fiber.StatusSeeOther)
}
