package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/accounts"
)

// Sign-up, password reset, password change and sessions: the API, the same operations as the pages.

type codeRequestBody struct {
	Phone string `json:"phone"`
	Kind  string `json:"kind"`
}

// codeSent is the one answer to a request for a code, whatever the number.
func codeSent(c *fiber.Ctx) error {
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sent": true, "expires_in": int(accounts.CodeTTL.Seconds())})
}

func (s *Server) apiSignupCode(c *fiber.Ctx) error {
	var req codeRequestBody
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.enrolment().StartSignUp(c.UserContext(), accounts.CodeRequest{Phone: req.Phone, Kind: req.Kind, IP: c.IP(), Locale: s.locale(c)}); err != nil {
		return err
	}
	return codeSent(c)
}

type signupBody struct {
	Phone       string `json:"phone"`
	Code        string `json:"code"`
	Kind        string `json:"kind"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	Locale      string `json:"locale"`
}

func (s *Server) apiSignup(c *fiber.Ctx) error {
	var req signupBody
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.enrolment().FinishSignUp(c.UserContext(), actor(c), accounts.SignUp{Phone: req.Phone, Code: req.Code, Kind: req.Kind,
		Password: req.Password, DisplayName: req.DisplayName, Email: req.Email, Locale: req.Locale})
	if err != nil {
		return err
	}
	grants, err := s.Enforcer.Grants(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"user": u, "grants": nonNil(grants)})
}

func (s *Server) apiResetCode(c *fiber.Ctx) error {
	var req struct {
		Phone string `json:"phone"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.enrolment().StartReset(c.UserContext(), accounts.CodeRequest{Phone: req.Phone, IP: c.IP(), Locale: s.locale(c)}); err != nil {
		return err
	}
	return codeSent(c)
}

func (s *Server) apiReset(c *fiber.Ctx) error {
	var req accounts.Reset
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.enrolment().FinishReset(c.UserContext(), actor(c), req); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiChangePassword(c *fiber.Ctx) error {
	var req struct {
		OldPassword string `json:"old_password"`
		NewPassword string `json:"new_password"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	err := accounts.ChangePassword(c.UserContext(), s.DB, s.Auth, s.throttle(), actor(c), currentUser(c), accounts.PasswordChange{
		Old: req.OldPassword, New: req.NewPassword, IP: c.IP(), Session: c.Cookies(sessionCookie)})
	if err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// sessionJSON is a login session as the API lists it.
type sessionJSON struct {
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

func (s *Server) apiSessions(c *fiber.Ctx) error {
	sessions, err := accounts.ListSessions(c.UserContext(), s.DB, currentUser(c).ID)
	if err != nil {
		return err
	}
	out := make([]sessionJSON, len(sessions))
	for i, ss := range sessions {
		out[i] = sessionJSON{CreatedAt: ss.CreatedAt, LastSeenAt: ss.LastSeenAt, ExpiresAt: ss.ExpiresAt, IP: ss.IP, UserAgent: ss.UserAgent,
			Current: ss.IsSession(c.Cookies(sessionCookie))}
	}
	return c.JSON(fiber.Map{"sessions": out})
}

func (s *Server) apiEndOtherSessions(c *fiber.Ctx) error {
	n, err := accounts.EndOtherSessions(c.UserContext(), s.DB, s.Auth, actor(c), currentUser(c).ID, c.Cookies(sessionCookie))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ended": n})
}
