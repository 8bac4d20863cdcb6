package web

import (
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// A route added without stating its permission must stop the server from starting.
func TestRouteWithoutPermissionRefusesStart(t *testing.T) {
	s := &Server{app: fiber.New(), perms: map[string]Permission{}}
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
