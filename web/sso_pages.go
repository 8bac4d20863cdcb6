package web

import (
	"crypto/subtle"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/sso"
)

// ssoCookie binds a sign-in at the identity platform to the browser that started it: the callback
// must come back with the state this cookie holds, so that nobody can finish, in someone else's
// browser, a sign-in they started (logging the victim in to their account, or linking their identity
// to the victim's).
const ssoCookie = "cf_sso"

// errSSOCancelled is the problem of a person who came back from the platform without signing in.
var errSSOCancelled = problem.New(problem.BadRequest, "sso_cancelled",
	"未在统一身份认证平台完成登录。", "You did not sign in at the unified identity platform.")

// ssoStart sends the browser to the identity platform to log in; its answer comes to ssoCallback.
func (s *Server) ssoStart(c *fiber.Ctx) error {
	return s.ssoBegin(c, sso.ForLogin, 0, safeNext(c.FormValue("next")))
}

// ssoLinkPost sends the logged-in person to the identity platform to link the identity there to
// this account.
func (s *Server) ssoLinkPost(c *fiber.Ctx) error {
	return s.ssoBegin(c, sso.ForLink, currentUser(c).ID, "/account/sso")
}

func (s *Server) ssoBegin(c *fiber.Ctx, purpose sso.Purpose, userID int64, next string) error {
	if s.SSO == nil {
		return errNotFound
	}
	state, authURL, err := s.SSO.Start(c.UserContext(), s.DB, purpose, userID, next)
	if err != nil {
		return err
	}
	s.setCookie(c, ssoCookie, state, 0)
	return c.Redirect(authURL, fiber.StatusSeeOther)
}

// ssoCallback is where the identity platform sends the browser back: it logs in (creating the
// account on the first sign-in) or links the identity, as the sign-in was started for.
func (s *Server) ssoCallback(c *fiber.Ctx) error {
	if s.SSO == nil {
		return errNotFound
	}
	ctx := c.UserContext()
	state, bound := c.Query("state"), c.Cookies(ssoCookie)
	s.clearCookie(c, ssoCookie)
	if bound == "" || subtle.ConstantTimeCompare([]byte(bound), []byte(state)) != 1 {
		slog.WarnContext(ctx, "sso: sign-in refused", "step", "checking the state", "error", "not the state of this browser's sign-in")
		return s.ssoRefused(c, sso.ErrFailed)
	}
	if c.Query("error") != "" {
		return s.ssoRefused(c, errSSOCancelled)
	}
	a, id, err := s.SSO.Finish(ctx, s.DB, state, c.Query("code"))
	if err != nil {
		return s.ssoRefused(c, err)
	}
	if a.Purpose == sso.ForLink {
		u := currentUser(c)
		if u == nil || u.ID != a.UserID {
			slog.WarnContext(ctx, "sso: link refused", "error", "the callback is not the session of the person who started the link")
			return sso.ErrFailed
		}
		if err := sso.LinkAccount(ctx, s.DB, actor(c), u.ID, id); err != nil {
			return s.renderSSOAccount(c, err)
		}
		return c.Redirect("/account/sso?linked=1", fiber.StatusSeeOther)
	}
	u, err := sso.SignIn(ctx, s.DB, s.Enforcer, actor(c), id, s.locale(c))
	if err != nil {
		return s.ssoRefused(c, err)
	}
	if token := c.Cookies(sessionCookie); token != "" && currentUser(c) != nil { // another account's session ends here
		if err := accounts.EndSession(ctx, s.DB, s.Auth, token); err != nil {
			return err
		}
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(safeNext(a.Next), fiber.StatusSeeOther)
}

// ssoRefused shows the login page with the reason a sign-in through the platform failed.
func (s *Server) ssoRefused(c *fiber.Ctx, err error) error {
	p, ok := problem.As(err)
	if !ok {
		return err
	}
	v := s.view(c, "login_title")
	v.Path = "/login"
	v.Errors["_"] = p.Message.In(v.Locale)
	v.Data = map[string]string{"Next": "/", "Login": ""}
	return s.renderStatus(c, statusByKind[p.Kind], "login", v)
}

// ssoAccountPage shows whether the account is linked to the identity platform, with the button that
// links or unlinks it.
func (s *Server) ssoAccountPage(c *fiber.Ctx) error { return s.renderSSOAccount(c, nil) }

// renderSSOAccount shows the link page, with the problem of a link that failed.
func (s *Server) renderSSOAccount(c *fiber.Ctx, linkErr error) error {
	if s.SSO == nil {
		return errNotFound
	}
	link, err := sso.LinkOf(c.UserContext(), s.DB, currentUser(c).ID, s.SSO.Issuer())
	if err != nil {
		return err
	}
	v := s.view(c, "sso_title")
	v.Path = "/account/sso"
	status, err := v.showProblem(linkErr, fiber.StatusOK)
	if err != nil {
		return err
	}
	switch {
	case c.Query("linked") != "":
		v.Notice = v.T("sso_linked")
	case c.Query("unlinked") != "":
		v.Notice = v.T("sso_unlinked")
	}
	v.Data = map[string]any{"Link": link}
	return s.renderStatus(c, status, "sso_account", v)
}

// ssoUnlinkPost removes the account's link to the identity platform.
func (s *Server) ssoUnlinkPost(c *fiber.Ctx) error {
	if s.SSO == nil {
		return errNotFound
	}
	if err := sso.UnlinkAccount(c.UserContext(), s.DB, actor(c), currentUser(c).ID, s.SSO.Issuer()); err != nil {
		return err
	}
	return c.Redirect("/account/sso?unlinked=1", fiber.StatusSeeOther)
}
