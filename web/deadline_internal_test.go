package web

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/config"
)

// Opening a campaign, whose work grows with the register, gets the bulk deadline; every other request
// CIVICFLOW_DATABASE_TIMEOUT.
func TestBulkRequestsGetTheBulkDeadline(t *testing.T) {
	s := &Server{Deps: Deps{Config: config.Config{DatabaseTimeout: time.Second}}}
	app := fiber.New()
	app.Use(s.boundDatabaseWork)
	app.All("/*", func(c *fiber.Ctx) error {
		d, _ := c.UserContext().Deadline()
		c.Set("X-Left", time.Until(d).Round(time.Second).String())
		return nil
	})
	for _, tc := range []struct{ method, path, want string }{
		{"POST", "/api/v1/campaigns", bulkDatabaseTimeout.String()},
		{"POST", "/admin/campaigns", bulkDatabaseTimeout.String()},
		{"GET", "/api/v1/campaigns", "1s"},
		{"POST", "/api/v1/campaigns/1/results", "1s"},
	} {
		resp, err := app.Test(httptest.NewRequest(tc.method, tc.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("X-Left"); got != tc.want {
			t.Errorf("%s %s: deadline in %s, want %s", tc.method, tc.path, got, tc.want)
		}
	}
}
