// Package web is CivicFlow's HTTP face: server-rendered pages in zh-CN and en, and the JSON API under
// /api/v1 described by openapi.json. Handlers only translate between HTTP and the operations of the
// domain packages; every route states its permission where it is registered.
package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/helmet"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/uptrace/bun"
	"golang.org/x/sync/singleflight"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/sso"
	"github.com/civicflow/civicflow/statistics"
	"github.com/civicflow/civicflow/workflow"
)

// Deps are what the web layer needs from the rest of the process.
type Deps struct {
	Config   config.Config
	DB       *bun.DB
	Broker   *queue.Broker
	Enforcer *policies.Enforcer
	Catalog  *catalog.Catalog
	Engine   *workflow.Engine
	// Documents issues and verifies documents (the engine issues through it too).
	Documents *documents.Issuer
	// Desk books citizens into the registration offices' opening hours.
	Desk *appointments.Desk
	// Materials stores uploaded application materials.
	Materials *materials.Store
	// Secret signs CSRF tokens (see LoadSecret).
	Secret []byte
	// Metrics serves Prometheus metrics; nil when they are served on a separate address.
	Metrics http.Handler
	// SSO signs people in through the unified identity platform; nil when single sign-on is off.
	SSO *sso.Client
	// Auth lets a repeat request in without reading its token from the database while its Listen
	// runs; nil when off (CIVICFLOW_AUTH_CACHE_TTL 0).
	Auth *accounts.Cache
}

// Server is the HTTP application.
type Server struct {
	Deps
	app   *fiber.App
	pages *pages
	tr    *translations
	// table is the route table in the order routes registers it.
	table []Route
	// readiness is the last answer of /readyz's checks.
	readiness readinessCache
	// exports and searches bound the public register's exports and searches this process serves at
	// once (see gate).
	exports, searches gate
	// statistics remembers the statistics' figures for statisticsAge.
	statistics *statistics.Cache
}

// statisticsAge is how old the figures of the statistics may be.
const statisticsAge = time.Minute

// New builds the application with every route and refuses a route registered without a permission.
func New(d Deps) (*Server, error) {
	tr, err := loadTranslations()
	if err != nil {
		return nil, err
	}
	pg, err := loadPages()
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, tr: tr, pages: pg, exports: newGate(exportSlots, exportWait, errExportBusy),
		searches: newGate(searchSlots, searchWait, errSearchBusy), statistics: statistics.NewCache(statisticsAge)}
	cfg := fiber.Config{
		AppName: "civicflow",
		// Values from the request outlive it (metric labels, audit rows, goroutines); Immutable makes
		// Fiber copy them instead of handing out views of reused buffers.
		Immutable:             true,
		BodyLimit:             d.Config.BodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           2 * time.Minute,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		// X-Forwarded-* are believed only from the configured proxies; the client address then comes
		// from X-Forwarded-For, checked to be an IP.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.Config.TrustedProxies,
		EnableIPValidation:      true,
		// The request line and headers must fit in this buffer, which every open connection holds:
		// 16 KiB takes a list URL with long filters and the cookies of a browser (4 KiB each at
		// most; this site sets three small ones) with room to spare, where Fiber's 4 KiB would not.
		ReadBufferSize: 16 << 10,
		// fasthttp would parse a multipart body, writing its files to disk, before any middleware
		// runs; checkMultipart reads it after authentication and CSRF instead, and a broken one is
		// answered by the error boundary of the routes, with the request's path.
		DisablePreParseMultipartForm: true,
	}
	if len(d.Config.TrustedProxies) > 0 {
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
	}
	s.app = fiber.New(cfg)
	s.app.Server().ErrorHandler = s.answerUnreadable(s.app.Server().ErrorHandler)
	s.app.Server().HeaderReceived = s.bodyLimit
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		slog.ErrorContext(c.UserContext(), "panic in handler", "request_id", requestID(c), "panic", fmt.Sprint(e))
	}}))
	s.app.Use(requestid.New())
	s.app.Use(s.accessLog)
	// Forms post to this site only, and through it to the identity platform, where the single sign-on
	// buttons' answers redirect (browsers hold those redirects to form-action too).
	formAction := "'self'"
	if d.SSO != nil {
		formAction += " " + d.SSO.Origin()
	}
	s.app.Use(helmet.New(helmet.Config{
		ContentSecurityPolicy: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
			"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action " + formAction,
		ReferrerPolicy:            "same-origin",
		CrossOriginEmbedderPolicy: "unsafe-none",
	}))
	s.app.Use(checkHeaders)
	s.app.Use(boundBodies)
	s.app.Use(rejectUnreadableText)
	s.app.Use(s.boundDatabaseWork)
	s.app.Use(s.authenticate)
	s.app.Use(s.checkCSRF)
	s.app.Use(checkMultipart)
	s.routes()
	if err := s.checkPermissions(); err != nil {
		return nil, err
	}
	return s, nil
}

// App exposes the Fiber application, for tests and the server loop.
func (s *Server) App() *fiber.App { return s.app }

// Serve serves HTTP on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for requests in flight, up to the context's deadline.
func (s *Server) Shutdown(ctx context.Context) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		return s.app.Shutdown()
	}
	return s.app.ShutdownWithTimeout(time.Until(deadline))
}

// Permission is what a route requires of the caller.
type Permission struct {
	kind           permissionKind
	Object, Action string
}

type permissionKind int

const (
	permPublic     permissionKind = iota + 1 // anyone, logged in or not
	permLoggedIn                             // any logged-in user; the operation checks ownership
	permPolicy                               // a casbin permission held in at least one jurisdiction
	permEverywhere                           // a casbin permission held over the whole installation
)

// The permissions a route can state.
var (
	Public   = Permission{kind: permPublic}
	LoggedIn = Permission{kind: permLoggedIn}
)

// Need is the permission to do act on obj somewhere; the operation checks the jurisdiction at hand.
func Need(obj, act string) Permission { return Permission{kind: permPolicy, Object: obj, Action: act} }

// NeedEverywhere is the permission to do act on obj over the whole installation
// (policies.Enforcer.AllowedEverywhere), for what belongs to no jurisdiction.
func NeedEverywhere(obj, act string) Permission {
	return Permission{kind: permEverywhere, Object: obj, Action: act}
}

func (p Permission) String() string {
	switch p.kind {
	case permPublic:
		return "public"
	case permLoggedIn:
		return "logged-in"
	case permPolicy:
		return p.Object + ":" + p.Action
	case permEverywhere:
		return p.Object + ":" + p.Action + " everywhere"
	}
	return "none"
}

// Route is one line of the route table: a method, a path pattern in Fiber's syntax and the
// permission the route requires.
type Route struct {
	Method, Path string
	Permission   Permission
}

// Routes lists the route table in the order of routes.go, for tests that must visit every route. A
// GET route also answers HEAD, which the table does not list separately.
func (s *Server) Routes() []Route { return slices.Clone(s.table) }

// route registers a handler with the permission it requires; the permission check runs first. A GET
// route answers HEAD too, as HTTP asks of every resource.
func (s *Server) route(method, path string, perm Permission, h fiber.Handler) {
	s.table = append(s.table, Route{Method: method, Path: path, Permission: perm})
	s.app.Add(method, path, s.require(perm), h)
	if method == fiber.MethodGet {
		s.app.Add(fiber.MethodHead, path, s.require(perm), h)
	}
}

// require enforces a route's permission.
func (s *Server) require(p Permission) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p.kind == permPublic {
			return c.Next()
		}
		u := currentUser(c)
		if u == nil {
			return errLoginRequired // the error boundary sends people with a browser to the login page
		}
		ok, err := s.holds(c.UserContext(), u.ID, p)
		if err != nil {
			return err
		}
		if !ok {
			return errForbidden
		}
		return c.Next()
	}
}

// holds reports whether the logged-in user has the permission.
func (s *Server) holds(ctx context.Context, userID int64, p Permission) (bool, error) {
	switch p.kind {
	case permPublic, permLoggedIn:
		return true, nil
	case permPolicy:
		return s.Enforcer.AllowedSomewhere(userID, p.Object, p.Action), nil
	case permEverywhere:
		return s.Enforcer.AllowedEverywhere(ctx, userID, p.Object, p.Action)
	}
	return false, nil
}

// checkPermissions refuses to start when a route of the application was registered without stating
// its permission through route (for example with app.Get directly).
func (s *Server) checkPermissions() error {
	stated := map[string]bool{}
	for _, r := range s.table {
		stated[r.Method+" "+r.Path] = true
	}
	var missing []string
	for _, r := range s.app.GetRoutes(true) {
		method := r.Method
		if method == fiber.MethodHead {
			method = fiber.MethodGet
		}
		if !stated[method+" "+r.Path] {
			missing = append(missing, r.Method+" "+r.Path)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("routes without a permission (register them with route): %s", strings.Join(missing, ", "))
	}
	return nil
}

// accessLog writes one structured line per request.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = statusOf(err)
	}
	attrs := []any{"method", c.Method(), "path", c.Path(), "status", status,
		"duration_ms", time.Since(start).Milliseconds(), "request_id", requestID(c), "ip", c.IP()}
	if u := currentUser(c); u != nil {
		attrs = append(attrs, "user_id", u.ID)
	}
	slog.LogAttrs(c.UserContext(), slog.LevelInfo, "http request", argsToAttrs(attrs)...)
	// The route pattern, not the concrete path, keeps the label set small.
	route := c.Route().Path
	httpRequests.WithLabelValues(c.Method(), route, strconv.Itoa(status)).Inc()
	httpDuration.WithLabelValues(c.Method(), route).Observe(time.Since(start).Seconds())
	return err
}

// HTTP metrics for Prometheus, by route pattern.
var (
	httpRequests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "civicflow_http_requests_total", Help: "HTTP requests by method, route and status.",
	}, []string{"method", "route", "status"})
	httpDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "civicflow_http_request_duration_seconds", Help: "HTTP request duration by method and route.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"method", "route"})
)

func argsToAttrs(args []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		out = append(out, slog.Any(args[i].(string), args[i+1]))
	}
	return out
}

func requestID(c *fiber.Ctx) string {
	if v, ok := c.Locals(requestid.ConfigDefault.ContextKey).(string); ok {
		return v
	}
	return ""
}

func isAPI(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/") }

// boundDatabaseWork gives the work of a request a deadline, CIVICFLOW_DATABASE_TIMEOUT from here: a
// database that stops answering without closing its connections (packets dropped, no reset) would
// otherwise hold the request for as long as TCP takes to give up, minutes. Past the deadline its
// queries fail with context.DeadlineExceeded, which answers 503 unavailable. Bulk requests get
// bulkDatabaseTimeout instead.
func (s *Server) boundDatabaseWork(c *fiber.Ctx) error {
	timeout := s.Config.DatabaseTimeout
	if bulkRequests[c.Method()+" "+c.Path()] {
		timeout = max(timeout, bulkDatabaseTimeout)
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), timeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// bulkRequests are the requests whose database work grows with the register, not with the request:
// opening a campaign gives every organisation of the jurisdiction its report and notifies its
// applicants in one transaction, which for a province's 30,000 organisations takes well over
// CIVICFLOW_DATABASE_TIMEOUT (issue 14 allows it a minute). They get bulkDatabaseTimeout.
var bulkRequests = map[string]bool{"POST /api/v1/campaigns": true, "POST /admin/campaigns": true}

const bulkDatabaseTimeout = 2 * time.Minute

// health answers whether the process is up.
func (s *Server) health(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) }

// The budgets of /readyz's checks, and how long their outcome is the answer. Each check has its own
// budget, so that a Redis that does not answer does not use up the database's, and they run at once.
const (
	readyDatabaseBudget = 2 * time.Second
	readyRedisBudget    = time.Second
	readyCacheFor       = time.Second
)

// readinessCache keeps the outcome of /readyz's checks for readyCacheFor: a burst of probes (a load
// balancer's, a monitor's, a client's) writes to the database once, not once each.
type readinessCache struct {
	flight singleflight.Group
	mu     sync.Mutex
	at     time.Time
	checks map[string]string
}

// ready answers whether the database answers and takes writes (database.Probe) and whether Redis
// answers. Each check is "ok", "unreachable", "read-only" (the database answers but refuses writes) or
// "error" (a failure that is no outage: a bug, logged). Outages are logged once each by the
// database's and the broker's OutageLog, not once per check.
func (s *Server) ready(c *fiber.Ctx) error {
	checks := s.checkReadiness(c.UserContext())
	status := "ok"
	for _, state := range checks {
		if state != "ok" {
			status = "unavailable"
			c.Status(fiber.StatusServiceUnavailable)
		}
	}
	return c.JSON(fiber.Map{"status": status, "checks": checks})
}

// checkReadiness returns the outcome of the checks of the last readyCacheFor, or runs them: once for
// all the probes that ask meanwhile, whichever of them goes away.
func (s *Server) checkReadiness(ctx context.Context) map[string]string {
	r := &s.readiness
	r.mu.Lock()
	checks, fresh := r.checks, time.Since(r.at) < readyCacheFor
	r.mu.Unlock()
	if fresh {
		return checks
	}
	v, _, _ := r.flight.Do("checks", func() (any, error) {
		checks := s.runReadinessChecks(context.WithoutCancel(ctx))
		r.mu.Lock()
		r.at, r.checks = time.Now(), checks
		r.mu.Unlock()
		return checks, nil
	})
	return v.(map[string]string)
}

// runReadinessChecks checks the database and Redis at once, each within its budget.
func (s *Server) runReadinessChecks(ctx context.Context) map[string]string {
	var db, redis string
	var wg sync.WaitGroup
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, readyDatabaseBudget)
		defer cancel()
		db = readiness(ctx, "database", database.Probe(ctx, s.DB), database.Classify)
	})
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(ctx, readyRedisBudget)
		defer cancel()
		redis = readiness(ctx, "redis", s.Broker.Ping(ctx), queue.Classify)
	})
	wg.Wait()
	return map[string]string{"database": db, "redis": redis}
}

// readiness is the state of one store after a use of it that ended with err, which classify tells.
func readiness(ctx context.Context, name string, err error, classify func(error) database.Outage) string {
	if err == nil {
		return "ok"
	}
	if o := classify(err); o != database.NoOutage {
		return o.String()
	}
	slog.ErrorContext(ctx, "readiness: check failed", "check", name, "error", err)
	return "error"
}

func (s *Server) metrics(c *fiber.Ctx) error {
	if s.Metrics == nil {
		return errNotFound
	}
	return adaptor.HTTPHandler(s.Metrics)(c)
}

// currentUser is the logged-in user of the request, or nil.
func currentUser(c *fiber.Ctx) *accounts.User {
	u, _ := c.Locals(localUser).(*accounts.User)
	return u
}

var (
	errUnreadableText = problem.New(problem.BadRequest, "unreadable_text",
		"请求中含有无法识别的字符（如空字符或非 UTF-8 编码）。", "The request contains characters that cannot be read (a NUL character or text that is not UTF-8).")
	errBadForm = problem.New(problem.BadRequest, "bad_form", "表单内容无法读取。", "The form could not be read.")
)

// rejectUnreadableText refuses, with one clear 400, query strings and form or JSON bodies carrying NUL
// characters or invalid UTF-8: neither database stores them, so they would otherwise fail deep inside
// an operation. Multipart forms are checked by checkMultipart; uploaded files are checked by type.
func rejectUnreadableText(c *fiber.Ctx) error {
	bad := func(values map[string][]string) bool {
		for _, vs := range values {
			if slices.ContainsFunc(vs, func(s string) bool { return !utf8.ValidString(s) || strings.ContainsRune(s, 0) }) {
				return true
			}
		}
		return false
	}
	if q := string(c.Request().URI().QueryString()); q != "" {
		values, err := url.ParseQuery(q)
		if err != nil {
			return problem.New(problem.BadRequest, "bad_query", "查询参数格式不正确。", "The query string is malformed.")
		}
		if bad(values) {
			return errUnreadableText
		}
	}
	switch ct := c.Get(fiber.HeaderContentType); {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		values, err := url.ParseQuery(string(c.Request().Body()))
		if err != nil {
			return errBadForm // what a browser never sends, and fasthttp would read otherwise than checked here
		}
		if bad(values) {
			return errUnreadableText
		}
	case strings.HasPrefix(ct, fiber.MIMEApplicationJSON):
		body := c.Request().Body()
		if !utf8.Valid(body) || bytes.Contains(body, []byte(`\u0000`)) {
			return errUnreadableText
		}
		if loneSurrogate(body) {
			return errLoneSurrogate
		}
	}
	return c.Next()
}
