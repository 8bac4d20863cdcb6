package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/problem"
)

const (
	sessionCookie = "cf_session"
	anonCookie    = "cf_visitor" // binds CSRF tokens of visitors not logged in, such as the login form
	langCookie    = "cf_lang"
	// langChosenCookie marks, for the browser session only, that the language switch was used: the
	// choice of this visit, which the next login makes the account's.
	langChosenCookie = "cf_lang_chosen"
	// deviceCookie marks a browser where the account last logged in (accounts.DeviceToken): others
	// failing on the account cannot lock it out there.
	deviceCookie  = "cf_device"
	localUser     = "user"
	localViaToken = "via_token"
)

// LoadSecret returns the key that signs CSRF tokens: the configured one, or else the one generated once
// and kept in the database, so that every web process shares it.
func LoadSecret(ctx context.Context, db bun.IDB, configured string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	return accounts.Secret(ctx, db, "csrf_secret")
}

// authenticate finds the caller: a bearer API token, or else the session cookie.
func (s *Server) authenticate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		token, ok := bearerToken(h)
		if !ok {
			return problem.New(problem.Unauthenticated, "bad_authorization", "Authorization 头格式应为 Bearer 令牌。", "The Authorization header must be “Bearer <token>”.")
		}
		u, err := accounts.TokenUser(ctx, s.DB, s.Auth, token)
		if err != nil {
			return err
		}
		c.Locals(localUser, u)
		c.Locals(localViaToken, true)
		return c.Next()
	}
	if token := c.Cookies(sessionCookie); token != "" {
		u, err := accounts.SessionUser(ctx, s.DB, s.Auth, token, s.Config.SessionTTL)
		switch {
		case err == nil:
			c.Locals(localUser, u)
		case problem.Is(err, problem.Unauthenticated):
			s.clearCookie(c, sessionCookie) // expired or ended elsewhere: carry on as a visitor
		default:
			return err
		}
	}
	return c.Next()
}

// bearerToken is the token of an Authorization header "Bearer <token>"; false for another scheme or
// shape. Schemes are case-insensitive (RFC 7235).
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// csrfBinding is what a CSRF token is bound to: the session, or a visitor cookie set on first sight.
func (s *Server) csrfBinding(c *fiber.Ctx, create bool) string {
	if token := c.Cookies(sessionCookie); token != "" && currentUser(c) != nil {
		return "s:" + accounts.SessionBinding(token)
	}
	v := c.Cookies(anonCookie)
	if v == "" {
		if !create {
			return ""
		}
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		v = base64.RawURLEncoding.EncodeToString(b)
		s.setCookie(c, anonCookie, v, 0)
	}
	return "v:" + v
}

// csrfToken is the token a page embeds in its forms (signed double submit, bound to the session).
func (s *Server) csrfToken(c *fiber.Ctx) string {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(s.csrfBinding(c, true)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkCSRF refuses a state-changing request that carries ambient credentials (a cookie) or comes
// from a form without a valid token. Requests with a bearer token, and API or JSON requests carrying
// no session, have no ambient authority to abuse and pass.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if via, _ := c.Locals(localViaToken).(bool); via {
		return c.Next()
	}
	jsonBody := strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON)
	if (jsonBody || isAPI(c)) && c.Cookies(sessionCookie) == "" {
		return c.Next() // no session to ride on; the route's own checks answer 401 or 415
	}
	given := c.Get("X-CSRF-Token")
	switch {
	case given != "" || jsonBody:
	case strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm):
		given = multipartCSRF(c)
	default:
		given = c.FormValue("_csrf")
	}
	binding := s.csrfBinding(c, false)
	if given == "" || binding == "" {
		return errCSRF
	}
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte(binding))
	want := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(given), []byte(want)) {
		return errCSRF
	}
	return c.Next()
}

func (s *Server) secureCookies(c *fiber.Ctx) bool {
	return s.Config.SecureCookies || c.Protocol() == "https"
}

// setCookie sets an HttpOnly, SameSite=Lax cookie; maxAge 0 makes it last for the browser session.
func (s *Server) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: s.secureCookies(c)}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge.Seconds())
	}
	c.Cookie(ck)
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode,
		Secure: s.secureCookies(c), Expires: time.Unix(0, 0), MaxAge: -1})
}

// actor describes the caller for the audit log.
func actor(c *fiber.Ctx) audit.Actor {
	a := audit.Actor{RequestID: requestID(c), IP: c.IP()}
	if u := currentUser(c); u != nil {
		a.UserID, a.Label = u.ID, u.Login
	}
	return a
}

func (s *Server) throttle() accounts.Throttle {
	return accounts.Throttle{MaxPerAccount: s.Config.LoginMaxFailuresPerAccount, MaxPerIP: s.Config.LoginMaxFailuresPerIP,
		Window: s.Config.LoginThrottleWindow, DeviceSecret: s.Secret}
}

// safeNext keeps post-login redirects on this site: a path of its own, nothing a browser could read
// as another host (control characters and backslashes are dropped by browsers, so they are refused).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	v := s.view(c, "login_title")
	v.Data = map[string]string{"Next": safeNext(c.Query("next")), "Login": ""}
	if c.Query("reset") != "" {
		v.Notice = v.T("signup_reset_done")
	}
	return s.render(c, "login", v)
}

func (s *Server) login(c *fiber.Ctx) error {
	login, next := c.FormValue("login"), safeNext(c.FormValue("next"))
	th := s.throttle()
	u, err := accounts.Authenticate(c.UserContext(), s.DB, th, accounts.Credentials{
		Login: login, Password: c.FormValue("password"), IP: c.IP(), Device: c.Cookies(deviceCookie)})
	if err != nil {
		p, ok := problem.As(err)
		if !ok {
			return err
		}
		v := s.view(c, "login_title")
		v.Path = "/login"
		v.Errors["login"] = p.Message.In(v.Locale)
		if len(p.Fields) > 0 { // a name or password too long
			v.Errors["login"] = p.Fields[0].Message.In(v.Locale)
		}
		v.Data = map[string]string{"Next": next, "Login": login}
		return s.renderStatus(c, statusByKind[p.Kind], "login", v)
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	s.setCookie(c, deviceCookie, accounts.DeviceToken(th, u.Login, time.Now()), accounts.DeviceTokenAge)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// startSession logs u in on this browser, by password, through the identity platform or at sign-up alike.
func (s *Server) startSession(c *fiber.Ctx, u *accounts.User) error {
	token, err := accounts.StartSession(c.UserContext(), s.DB, u.ID, s.Config.SessionTTL, c.IP(), c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	// A language chosen in this visit before logging in stays, and becomes the account's: its
	// messages and its pages on other devices follow it. One remembered from an earlier visit (the
	// long-lived cookie alone) does not: the account's language wins, so that a shared or old browser
	// never changes it unasked.
	if lang := c.Cookies(langCookie); c.Cookies(langChosenCookie) != "" && isLocale(lang) && lang != u.Locale {
		if err := accounts.SetLocale(c.UserContext(), s.DB, s.Auth, u.ID, lang); err != nil {
			return err
		}
	}
	s.clearCookie(c, langChosenCookie) // the choice is the account's now, not the next person's to log in
	s.setCookie(c, sessionCookie, token, 0)
	return nil
}

func (s *Server) logout(c *fiber.Ctx) error {
	if token := c.Cookies(sessionCookie); token != "" {
		if err := accounts.EndSession(c.UserContext(), s.DB, s.Auth, token); err != nil {
			return err
		}
	}
	s.clearCookie(c, sessionCookie)
	return c.Redirect("/", fiber.StatusSeeOther)
}

// setLanguage remembers the chosen interface language: for a visitor in the browser (and, at the next
// login in this visit, in the account), for a logged-in user in the account, which their pages and
// messages follow.
func (s *Server) setLanguage(c *fiber.Ctx) error {
	lang := c.FormValue("lang")
	if !isLocale(lang) {
		return problem.New(problem.BadRequest, "bad_language", "不支持的语言。", "Unsupported language.")
	}
	s.setCookie(c, langCookie, lang, 365*24*time.Hour)
	if u := currentUser(c); u == nil {
		s.setCookie(c, langChosenCookie, "1", 0)
	} else if err := accounts.SetLocale(c.UserContext(), s.DB, s.Auth, u.ID, lang); err != nil {
		return err
	}
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}
