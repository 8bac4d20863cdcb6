package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// decodeJSON reads a JSON request body into dst, refusing other content types, unknown fields, data
// after the JSON value, and bodies too deeply nested or too full to decode cheaply (checkJSONShape).
var errJSONObject = problem.New(problem.BadRequest, "json_object_required", "请求内容须为一个 JSON 对象。", "The request body must be a JSON object.")

func decodeJSON(c *fiber.Ctx, dst any) error {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		return problem.New(problem.Unsupported, "json_required", "请求内容类型须为 application/json。", "The request body must be application/json.")
	}
	body := c.Request().Body() // decoding copies what it keeps
	if err := checkJSONShape(body); err != nil {
		return err
	}
	if !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
		return errJSONObject // null, a list or a scalar would leave every field unset
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber() // a number in form data is checked, at its path, by the form (1e5000 is no float64)
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			var fe problem.Fields
			zh, en := jsonKind(typeErr.Type)
			fe.Add(typeErr.Field, "wrong_type", "类型不正确，应为"+zh+"。", "Wrong type; expected "+en+".")
			return fe.Err()
		}
		return errBadJSON
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errBadJSON // more after the value: a body is one JSON value
	}
	return nil
}

// jsonKind names the JSON type a Go type decodes from, for people.
func jsonKind(t reflect.Type) (zh, en string) {
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "对象", "an object"
	case reflect.Slice, reflect.Array:
		return "数组", "an array"
	case reflect.String:
		return "字符串", "a string"
	case reflect.Bool:
		return "布尔值", "true or false"
	default:
		return "数字", "a number"
	}
}

type tokenRequest struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// apiCreateToken exchanges a login name and password for an API token, under the same throttle as
// the login page.
func (s *Server) apiCreateToken(c *fiber.Ctx) error {
	var req tokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.UserContext()
	u, err := accounts.Authenticate(ctx, s.DB, s.throttle(), accounts.Credentials{Login: req.Login, Password: req.Password, IP: c.IP()})
	if err != nil {
		return err
	}
	a := actor(c)
	a.UserID, a.Label = u.ID, u.Login
	secret, t, err := accounts.CreateToken(ctx, s.DB, a, u.ID, req.Name, 0)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"token": secret, "id": t.ID, "name": t.Name, "created_at": t.CreatedAt})
}

func (s *Server) apiMe(c *fiber.Ctx) error {
	u := currentUser(c)
	grants, err := s.Enforcer.Grants(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"user": u, "grants": nonNil(grants)})
}

func (s *Server) apiMessages(c *fiber.Ctx) error {
	msgs, err := notify.ListMessages(c.UserContext(), s.DB, currentUser(c).ID, 200)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"messages": nonNil(msgs)})
}

func (s *Server) apiMarkRead(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := notify.MarkRead(c.UserContext(), s.DB, currentUser(c).ID, id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiJurisdictions(c *fiber.Ctx) error {
	js, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"jurisdictions": nonNil(js)})
}

func (s *Server) apiUsers(c *fiber.Ctx) error {
	rows, err := s.readUsers(c)
	if err != nil {
		return err
	}
	users := make([]accounts.User, 0, len(rows))
	for _, r := range rows {
		users = append(users, r.User)
	}
	return c.JSON(fiber.Map{"users": users})
}

func (s *Server) apiCreateUser(c *fiber.Ctx) error {
	var nu accounts.NewUser
	if err := decodeJSON(c, &nu); err != nil {
		return err
	}
	u, err := accounts.Create(c.UserContext(), s.DB, actor(c), nu)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (s *Server) apiGrants(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	grants, err := s.Enforcer.GrantsSeenBy(c.UserContext(), currentUser(c).ID, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"grants": grants})
}

type grantRequest struct {
	Role         string `json:"role"`
	Jurisdiction string `json:"jurisdiction"`
	Subtree      bool   `json:"subtree"`
}

func (s *Server) apiGrant(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req grantRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.Enforcer.Grant(c.UserContext(), actor(c), id, req.Role, req.Jurisdiction, req.Subtree); err != nil {
		return err
	}
	return s.apiGrants(c)
}

type revokeRequest struct {
	Role    string `json:"role"`
	Pattern string `json:"pattern"`
}

func (s *Server) apiRevoke(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req revokeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.Enforcer.Revoke(c.UserContext(), actor(c), id, req.Role, req.Pattern); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiFailedDeliveries(c *fiber.Ctx) error {
	failed, err := notify.ListFailed(c.UserContext(), s.DB, 200)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deliveries": nonNil(failed)})
}

func (s *Server) apiAudit(c *fiber.Ctx) error {
	entries, err := s.auditEntries(c, c.Query("object_type"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"entries": nonNil(entries)})
}

// nonNil makes an empty list encode as [] rather than null, as the API document promises.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// readUsers lists the accounts the caller may see under user:read (policies.Visibility), each with
// the grants the caller may see under role:read. Reading others' contact details is audited.
func (s *Server) readUsers(c *fiber.Ctx) ([]userRow, error) {
	ctx := c.UserContext()
	uid := currentUser(c).ID
	users, err := accounts.List(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	all, err := s.Enforcer.AllGrants(ctx)
	if err != nil {
		return nil, err
	}
	byUser := map[int64][]policies.Grant{}
	for _, g := range all {
		byUser[g.UserID] = append(byUser[g.UserID], g.Grant)
	}
	seeUsers, err := s.Enforcer.VisibilityOf(ctx, uid, "user", "read")
	if err != nil {
		return nil, err
	}
	seeGrants, err := s.Enforcer.VisibilityOf(ctx, uid, "role", "read")
	if err != nil {
		return nil, err
	}
	rows := []userRow{}
	for _, u := range users {
		if seeUsers.Holder(byUser[u.ID]) {
			rows = append(rows, userRow{User: u, Grants: seeGrants.Grants(byUser[u.ID])})
		}
	}
	if err := audit.RecordRead(ctx, s.DB, actor(c), "user.list", "user", "*", "", map[string]any{"count": len(rows)}); err != nil {
		return nil, err
	}
	return rows, nil
}

// auditEntries lists the audit log entries of the jurisdictions the caller may read.
func (s *Server) auditEntries(c *fiber.Ctx, objectType string) ([]audit.Entry, error) {
	where, args := policies.ScopeFilter("jurisdiction", s.Enforcer.Scopes(currentUser(c).ID, "audit", "read"))
	return audit.List(c.UserContext(), s.DB, objectType, 200, where, args...)
}
