package web

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// A route added without stating its permission must stop the server from starting.
func TestRouteWithoutPermissionRefusesStart(t *testing.T) {
	s := &Server{app: fiber.New()}
	s.route(fiber.MethodGet, "/fine", Public, func(c *fiber.Ctx) error { return nil })
	if err := s.checkPermissions(); err != nil {
		t.Fatalf("all routes have permissions: %v", err)
	}
	s.app.Post("/sneaky", func(c *fiber.Ctx) error { return nil })
	err := s.checkPermissions()
	if err == nil || !strings.Contains(err.Error(), "POST /sneaky") {
		t.Fatalf("want refusal naming POST /sneaky, got %v", err)
	}
}

// A request fasthttp could not read in time (Fiber's ErrRequestTimeout) is a 408 for the client, not
// an internal error: on a hot day slow clients are expected.
func TestRequestTimeoutIsNotAnInternalError(t *testing.T) {
	s := &Server{}
	app := fiber.New(fiber.Config{ErrorHandler: s.handleError})
	app.Get("/api/v1/slow", func(c *fiber.Ctx) error { return fiber.ErrRequestTimeout })
	resp, err := app.Test(httptest.NewRequest(fiber.MethodGet, "/api/v1/slow", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != fiber.StatusRequestTimeout || !strings.Contains(string(body), `"code":"request_timeout"`) {
		t.Fatalf("status %d, body %s", resp.StatusCode, body)
	}
}
