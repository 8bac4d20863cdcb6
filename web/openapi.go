package web

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// OpenAPIDocument describes the JSON API under /api/v1; a test checks real responses against it.
//
//go:embed openapi.json
var OpenAPIDocument []byte

func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(OpenAPIDocument)
}
