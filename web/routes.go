package web

import "github.com/gofiber/fiber/v2"

// routes is the one table of CivicFlow's HTTP routes, each with the permission it needs.
func (s *Server) routes() {
	const get, post, put, del = fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodDelete

	// Operations.
	s.route(get, "/healthz", Public, s.health)
	s.route(get, "/readyz", Public, s.ready)
	if s.Metrics != nil {
		s.route(get, "/metrics", Need("metrics", "read"), s.metrics)
	}
	s.route(get, "/static/*", Public, s.static)

	// Pages.
	s.route(get, "/", Public, s.home)
	s.route(get, "/login", Public, s.loginPage)
	s.route(post, "/login", Public, s.login)
	s.route(post, "/logout", LoggedIn, s.logout)
	s.route(post, "/lang", Public, s.setLanguage)
	s.route(get, "/messages", LoggedIn, s.messagesPage)
	s.route(post, "/messages/:id/read", LoggedIn, s.markReadPage)
	s.route(get, "/account", LoggedIn, s.accountPage)
	s.route(post, "/account/tokens", LoggedIn, s.createTokenPage)
	s.route(post, "/account/tokens/:id/revoke", LoggedIn, s.revokeTokenPage)
	s.route(get, "/admin/users", Need("user", "read"), s.usersPage)
	s.route(post, "/admin/users", Need("user", "write"), s.createUserPage)
	s.route(post, "/admin/grants", Need("role", "grant"), s.grantPage)
	s.route(post, "/admin/grants/revoke", Need("role", "grant"), s.revokePage)
	s.route(get, "/admin/deliveries", Need("delivery", "read"), s.deliveriesPage)
	s.route(get, "/admin/audit", Need("audit", "read"), s.auditPage)
	s.route(get, "/admin/catalog", Need("catalog", "read"), s.adminCatalogPage)
	s.route(get, "/admin/calendar", Need("calendar", "read"), s.calendarPage)
	s.route(get, "/admin/statistics", Need("statistics", "read"), s.statisticsPage)
	s.route(get, "/admin/statistics.csv", Need("statistics", "read"), s.statisticsCSV)
	s.route(post, "/admin/calendar/overrides", Need("calendar", "write"), s.setOverridePage)
	s.route(post, "/admin/calendar/overrides/remove", Need("calendar", "write"), s.removeOverridePage)
	s.route(get, "/catalog", Public, s.catalogPage)
	s.route(get, "/catalog/:code", Public, s.guidePage)
	s.route(get, "/catalog/:code/apply", Need("case", "apply"), s.applyPage)
	s.route(post, "/catalog/:code/apply", Need("case", "apply"), s.applyPost)
	s.route(get, "/cases", LoggedIn, s.myCasesPage)
	s.route(get, "/cases/:id", LoggedIn, s.casePage)
	s.route(get, "/cases/:id/edit", LoggedIn, s.editPage)
	s.route(post, "/cases/:id/edit", LoggedIn, s.editPost)
	s.route(post, "/cases/:id/actions/:action", LoggedIn, s.actionPost)
	s.route(get, "/inbox", Need("case", "read"), s.inboxPage)
	s.route(get, "/materials/:id", LoggedIn, s.download)

	// JSON API, described by openapi.json.
	s.route(get, "/api/v1/openapi.json", Public, s.openAPI)
	s.route(post, "/api/v1/tokens", Public, s.apiCreateToken)
	s.route(get, "/api/v1/me", LoggedIn, s.apiMe)
	s.route(get, "/api/v1/me/messages", LoggedIn, s.apiMessages)
	s.route(post, "/api/v1/me/messages/:id/read", LoggedIn, s.apiMarkRead)
	s.route(get, "/api/v1/jurisdictions", Public, s.apiJurisdictions)
	s.route(get, "/api/v1/calendar/holidays", Public, s.apiHolidays)
	s.route(get, "/api/v1/calendar/due", Public, s.apiDue)
	s.route(get, "/api/v1/calendar/overrides", Need("calendar", "read"), s.apiOverrides)
	s.route(post, "/api/v1/calendar/overrides", Need("calendar", "write"), s.apiSetOverride)
	s.route(del, "/api/v1/calendar/overrides", Need("calendar", "write"), s.apiRemoveOverride)
	s.route(get, "/api/v1/users", Need("user", "read"), s.apiUsers)
	s.route(post, "/api/v1/users", Need("user", "write"), s.apiCreateUser)
	s.route(get, "/api/v1/users/:id/grants", Need("role", "read"), s.apiGrants)
	s.route(post, "/api/v1/users/:id/grants", Need("role", "grant"), s.apiGrant)
	s.route(del, "/api/v1/users/:id/grants", Need("role", "grant"), s.apiRevoke)
	s.route(get, "/api/v1/deliveries/failed", Need("delivery", "read"), s.apiFailedDeliveries)
	s.route(get, "/api/v1/audit", Need("audit", "read"), s.apiAudit)
	s.route(get, "/api/v1/statistics", Need("statistics", "read"), s.apiStatistics)
	s.route(get, "/api/v1/catalog", Public, s.apiCatalog)
	s.route(get, "/api/v1/catalog/:code", Public, s.apiCatalogItem)
	s.route(get, "/api/v1/catalog/:code/form-schema", Public, s.apiFormSchema)
	s.route(get, "/api/v1/drafts/:code", Need("case", "apply"), s.apiDraft)
	s.route(put, "/api/v1/drafts/:code", Need("case", "apply"), s.apiSaveDraft)
	s.route(post, "/api/v1/materials", Need("case", "apply"), s.apiUpload)
	s.route(get, "/api/v1/materials/:id", LoggedIn, s.download)
	s.route(post, "/api/v1/cases", Need("case", "apply"), s.apiStart)
	s.route(get, "/api/v1/cases", LoggedIn, s.apiMyCases)
	s.route(get, "/api/v1/cases/:id", LoggedIn, s.apiCase)
	s.route(post, "/api/v1/cases/:id/actions", LoggedIn, s.apiApply)
	s.route(get, "/api/v1/inbox", Need("case", "read"), s.apiInbox)
}
