package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"
	"github.com/uptrace/bun"
	"golang.org/x/sync/errgroup"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/consultations"
	"github.com/civicflow/civicflow/credit"
	"github.com/civicflow/civicflow/demo"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/effects"
	"github.com/civicflow/civicflow/idempotency"
	"github.com/civicflow/civicflow/inquiries"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/ratings"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/sso"
	"github.com/civicflow/civicflow/web"
	"github.com/civicflow/civicflow/worker"
	"github.com/civicflow/civicflow/workflow"
)

// serveOptions are the flags of serve and worker.
type serveOptions struct {
	role    string // web, worker or all
	demo    bool
	migrate bool
	listen  string
}

func serveCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the web server, the task worker and the outbox relay (all in one process by default)",
		Long: "Run CivicFlow. --role all (the default) runs the web server, the task worker and the outbox relay\n" +
			"in one process. To scale out, run any number of `serve --role web` and `worker` processes against\n" +
			"one PostgreSQL and one Redis (CIVICFLOW_DATABASE_URL, CIVICFLOW_REDIS_URL).\n\n" +
			"On SQLite, pending migrations are applied at start; on PostgreSQL, serve refuses to start with\n" +
			"pending migrations unless given --migrate (or run `civicflow migrate up` first).",
		Example: "  civicflow serve --demo\n  CIVICFLOW_DATABASE_URL=postgres://… CIVICFLOW_REDIS_URL=redis://… civicflow serve --role web --listen :8080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd, o)
		},
	}
	cmd.Flags().StringVar(&o.role, "role", "all", "what this process runs: web, worker or all")
	cmd.Flags().BoolVar(&o.demo, "demo", false, "create demo jurisdictions and one account per role (passwords printed once)")
	cmd.Flags().BoolVar(&o.migrate, "migrate", false, "apply pending migrations before starting (PostgreSQL)")
	cmd.Flags().StringVar(&o.listen, "listen", "", "HTTP listen address (overrides CIVICFLOW_LISTEN)")
	return cmd
}

func workerCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run the task worker and the outbox relay only (the same as serve --role worker)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.role = "worker"
			return serve(cmd, o)
		},
	}
	cmd.Flags().BoolVar(&o.migrate, "migrate", false, "apply pending migrations before starting (PostgreSQL)")
	return cmd
}

// serve runs the parts of CivicFlow that o.role asks for until SIGINT or SIGTERM, then lets requests and
// tasks in flight finish within CIVICFLOW_SHUTDOWN_TIMEOUT.
func serve(cmd *cobra.Command, o serveOptions) error {
	cfg, err := serveConfig(o)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepareData(ctx, cmd, db, cfg, o); err != nil {
		return err
	}
	broker, err := queue.Open(ctx, cfg.RedisURL)
	if err != nil {
		return err
	}
	defer broker.Close()
	parts, err := build(ctx, db, broker, cfg, o)
	if err != nil {
		return err
	}
	// Start-up's garbage (the catalogue's YAML, the templates' parsing, the migrations) would stay in
	// an idle process until the runtime's forced collection two minutes on; return it now.
	debug.FreeOSMemory()
	return parts.run(ctx, cfg, o.role, broker.Embedded)
}

// serveConfig is the configuration with serve's flags applied, refused when the role is unknown or
// split roles have no Redis to share.
func serveConfig(o serveOptions) (config.Config, error) {
	if o.role != "web" && o.role != "worker" && o.role != "all" {
		return config.Config{}, fmt.Errorf("--role must be web, worker or all, not %q", o.role)
	}
	cfg, err := loadConfig()
	if err != nil {
		return config.Config{}, err
	}
	if o.listen != "" {
		cfg.ListenAddr = o.listen
	}
	if o.role != "all" && cfg.RedisURL == "" {
		return config.Config{}, errors.New("--role web and worker run as separate processes, which must share one Redis: set CIVICFLOW_REDIS_URL " +
			"(the in-process Redis serves only --role all)")
	}
	return cfg, nil
}

// prepareData brings the schema up to date (see prepareSchema) and seeds the demo data when asked.
func prepareData(ctx context.Context, cmd *cobra.Command, db *bun.DB, cfg config.Config, o serveOptions) error {
	if err := prepareSchema(ctx, db, cfg, o.migrate); err != nil {
		return err
	}
	if !o.demo {
		return nil
	}
	return seedDemo(ctx, db, cmd, cfg)
}

// parts are the components of a serve process, built and with their addresses taken, not yet running.
type parts struct {
	enforcer *policies.Enforcer
	worker   *worker.Worker // nil for --role web
	site     *listeners     // nil for --role worker
}

// build builds everything o.role runs and takes every address before anything runs, so that a
// failure so far ends serve at once.
func build(ctx context.Context, db *bun.DB, broker *queue.Broker, cfg config.Config, o serveOptions) (*parts, error) {
	enforcer, err := policies.New(ctx, db)
	if err != nil {
		return nil, err
	}
	cat, engine, issuer, err := loadEngine(ctx, db, enforcer, cfg)
	if err != nil {
		return nil, err
	}
	desk := appointments.New(db, enforcer, engine, cat.Items)
	if o.demo {
		if err := demo.SeedOffice(ctx, db, desk); err != nil {
			return nil, err
		}
	}
	p := &parts{enforcer: enforcer}
	if o.role != "web" {
		if p.worker, err = newWorker(db, broker, cfg, enforcer, engine, desk,
			inquiries.New(db, enforcer, inquiries.Options{Limits: cfg.InquiryLimits})); err != nil {
			return nil, err
		}
	}
	if o.role != "worker" {
		deps, err := webDeps(ctx, db, broker, enforcer, cfg, cat, engine, issuer, desk)
		if err != nil {
			return nil, err
		}
		if p.site, err = listenWeb(deps, cfg); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// run runs the parts until ctx ends or one of them fails, which stops the others; it returns that
// failure once all have stopped.
func (p *parts) run(ctx context.Context, cfg config.Config, role string, embeddedRedis bool) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(named("policy watcher", func() error { return p.enforcer.Watch(gctx, cfg.PolicyReloadInterval) }))
	if p.worker != nil {
		g.Go(named("worker", func() error { return p.worker.Run(gctx) }))
	}
	if p.site != nil {
		p.site.serve(gctx, g, cfg)
	}
	slog.InfoContext(ctx, "civicflow started", "role", role, "version", buildVersion(), "postgres", cfg.IsPostgres(), "embedded_redis", embeddedRedis)
	if cfg.PublicURL == "" {
		slog.WarnContext(ctx, "CIVICFLOW_PUBLIC_URL is not set: the QR codes of issued documents and the links of the feeds "+
			"point at the listen address; set it to the address the public reaches this installation at", "used", cfg.PublicBase())
	}
	<-gctx.Done()
	slog.Info("shutting down: finishing requests and tasks in flight", "timeout", cfg.ShutdownTimeout)
	return g.Wait()
}

// named prefixes the error of fn with the name of the component it runs.
func named(name string, fn func() error) func() error {
	return func() error {
		if err := fn(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
}

// newWorker builds the task worker with its periodic work: the legal clock, the appointments' timers,
// the 换届 reminders, the hourly move of organisations two years on the abnormal list to the serious
// list, the hourly reminders of evaluation levels about to expire, the time limits of the public's
// questions, complaints and suggestions and of the rectifications of 差评, the close of comment periods
// on drafts, and the hourly clean-up of login records, expired idempotency keys and past daily booking
// counts.
func newWorker(db *bun.DB, broker *queue.Broker, cfg config.Config, enforcer *policies.Enforcer, engine *workflow.Engine,
	desk *appointments.Desk, inquiryOffice *inquiries.Office) (*worker.Worker, error) {
	senders, err := notify.SendersFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.SMSProvider == "log" {
		slog.Warn("CIVICFLOW_SMS_PROVIDER is log: text messages, sign-up and password reset codes included, are written " +
			"to the log and not sent; for development only (set http and CIVICFLOW_SMS_HTTP_URL in production)")
	}
	return worker.New(db, broker, cfg, senders,
		worker.WithTicker("legal clock", cfg.ClockInterval,
			func(ctx context.Context) error { return engine.RunClock(ctx, time.Now()) }),
		worker.WithTicker("appointments", cfg.ClockInterval,
			func(ctx context.Context) error { return desk.RunTimers(ctx, time.Now()) }),
		worker.WithTicker("credit lists", time.Hour, func(ctx context.Context) error {
			_, err := credit.Escalate(ctx, db, time.Now())
			return err
		}),
		worker.WithTicker("evaluation reminders", time.Hour,
			func(ctx context.Context) error { return register.RemindEvaluations(ctx, db, time.Now()) }),
		worker.WithTicker("term reminders", cfg.ClockInterval,
			func(ctx context.Context) error { return register.RemindTerms(ctx, db, time.Now()) }),
		worker.WithTicker("annual reports", cfg.ClockInterval,
			func(ctx context.Context) error { return annualreport.Tick(ctx, db, time.Now()) }),
		worker.WithTicker("inquiry deadlines", cfg.ClockInterval, func(ctx context.Context) error {
			_, err := inquiryOffice.Tick(ctx, time.Now())
			return err
		}),
		worker.WithTicker("consultations", cfg.ClockInterval, func(ctx context.Context) error {
			_, err := consultations.Tick(ctx, db, time.Now())
			return err
		}),
		worker.WithTicker("ratings", cfg.ClockInterval, func(ctx context.Context) error {
			_, err := ratings.Tick(ctx, db, enforcer, time.Now(), cfg.RatingRemindDays)
			return err
		}),
		worker.WithTicker("clean-up", time.Hour, func(ctx context.Context) error {
			now := time.Now()
			return errors.Join(accounts.Purge(ctx, db, now, cfg.LoginThrottleWindow), idempotency.Purge(ctx, db, now),
				appointments.Purge(ctx, db, now))
		})), nil
}

// prepareSchema migrates SQLite by itself; PostgreSQL, shared by many processes and upgraded with
// care, migrates only when asked.
func prepareSchema(ctx context.Context, db *bun.DB, cfg config.Config, migrate bool) error {
	if cfg.IsPostgres() && !migrate {
		if err := requireSchema(ctx, db); err != nil {
			return fmt.Errorf("%w or start with --migrate", err)
		}
		return nil
	}
	applied, err := migrations.Up(ctx, db)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		slog.InfoContext(ctx, "migrations applied", "names", applied)
	}
	return nil
}

// seedDemo creates the demo data and prints new accounts' passwords on the console, never to the log.
func seedDemo(ctx context.Context, db *bun.DB, cmd *cobra.Command, cfg config.Config) error {
	created, err := demo.Seed(ctx, db)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if len(created) == 0 {
		fmt.Fprintln(out, "Demo accounts exist already; their passwords were printed when they were created.")
		return nil
	}
	fmt.Fprintln(out, "Demo accounts (passwords are shown only this once; write them down):")
	fmt.Fprintf(out, "  %-18s %-18s %-20s %s\n", "LOGIN", "PASSWORD", "ROLE", "SCOPE")
	for _, c := range created {
		fmt.Fprintf(out, "  %-18s %-18s %-20s %s\n", c.Login, c.Password, c.Role, c.Pattern)
	}
	fmt.Fprintf(out, "Log in at http://%s/login\n", cfg.ListenAddr)
	return nil
}

// loadEngine loads the catalogue (a broken built-in definition stops start-up; a broken override
// file is skipped, logged and shown to admins), stores its versions and builds the workflow engine
// with its Go effects: what both the web side and the worker (timers, reminders) work with.
func loadEngine(ctx context.Context, db *bun.DB, enforcer *policies.Enforcer, cfg config.Config) (*catalog.Catalog, *workflow.Engine, *documents.Issuer, error) {
	cat, warnings, err := catalog.Load(catalog.Builtin, cfg.CatalogDir, workflow.CatalogNames())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("the service catalogue: %w", err)
	}
	for _, w := range warnings {
		slog.ErrorContext(ctx, "catalog: skipped a broken definition", "problem", w.String())
	}
	if err := cat.Store(ctx, db); err != nil {
		return nil, nil, nil, err
	}
	seal, err := documents.LoadSeal(ctx, db, cfg.SealKeyFile)
	if err != nil {
		return nil, nil, nil, err
	}
	issuer := documents.New(cat, cfg.PublicBase(), seal)
	engine := workflow.New(db, enforcer, func(ctx context.Context, hash string) (*catalog.Item, error) {
		return catalog.Version(ctx, db, hash)
	}, cat.Item)
	effects.Wire(engine, issuer, cat)
	return cat, engine, issuer, nil
}

// webDeps gathers what the web side works with: the catalogue and the engine (loadEngine), the
// booking desk, the material store, the session secret and the cache of sign-ins.
func webDeps(ctx context.Context, db *bun.DB, broker *queue.Broker, enforcer *policies.Enforcer, cfg config.Config,
	cat *catalog.Catalog, engine *workflow.Engine, issuer *documents.Issuer, desk *appointments.Desk) (web.Deps, error) {
	store, err := materials.NewStore(cfg.MaterialsPath(), int64(cfg.UploadMaxMB)<<20)
	if err != nil {
		return web.Deps{}, err
	}
	secret, err := web.LoadSecret(ctx, db, cfg.SecretKey)
	if err != nil {
		return web.Deps{}, err
	}
	deps := web.Deps{Config: cfg, DB: db, Broker: broker, Enforcer: enforcer, Catalog: cat, Engine: engine, Documents: issuer, Desk: desk, Materials: store, Secret: secret,
		SSO: sso.New(cfg.OIDC, cfg.PublicBase()+"/login/sso/callback"), Auth: accounts.NewCache(cfg.AuthCacheTTL, broker)}
	if cfg.MetricsAddr == "" {
		deps.Metrics = promhttp.Handler()
	}
	return deps, nil
}

// listeners are the web server and the addresses it serves, taken but not yet served.
type listeners struct {
	srv     *web.Server
	web     net.Listener
	metrics net.Listener // nil unless CIVICFLOW_METRICS_LISTEN is set
}

// listenWeb builds the web server and takes its address (and the metrics address when configured),
// so that a taken address is an error before anything runs.
func listenWeb(deps web.Deps, cfg config.Config) (*listeners, error) {
	srv, err := web.New(deps)
	if err != nil {
		return nil, err
	}
	l := &listeners{srv: srv}
	if l.web, err = net.Listen("tcp", cfg.ListenAddr); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if cfg.MetricsAddr != "" {
		if l.metrics, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			l.web.Close()
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return l, nil
}

// serve serves the addresses in g until ctx ends, then shuts the web server down gracefully within
// the shutdown timeout.
func (l *listeners) serve(ctx context.Context, g *errgroup.Group, cfg config.Config) {
	g.Go(named("web", func() error {
		slog.InfoContext(ctx, "listening", "address", "http://"+l.web.Addr().String())
		return serveUntil(ctx, l.web, l.srv.Serve)
	}))
	g.Go(named("sign-in cache", func() error { return l.srv.Auth.Listen(ctx) }))
	g.Go(named("web shutdown", func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		err := l.srv.Shutdown(sctx)
		l.web.Close() // in case Shutdown came before Serve took the listener: Serve then ends at once
		return err
	}))
	if l.metrics == nil {
		return
	}
	// The separate address is the operators' own: besides the metrics it serves Go's profiles, which
	// is how the benchmarks in docs/benchmarks.md find where a running server spends its time.
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ms := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	g.Go(named("metrics", func() error {
		slog.InfoContext(ctx, "metrics listening", "address", "http://"+l.metrics.Addr().String()+"/metrics")
		return serveUntil(ctx, l.metrics, ms.Serve)
	}))
	g.Go(named("metrics shutdown", func() error {
		<-ctx.Done()
		return ms.Close()
	}))
}

// serveUntil serves ln until ctx ends: an error after that is the listener closing, not a failure.
func serveUntil(ctx context.Context, ln net.Listener, serve func(net.Listener) error) error {
	err := serve(ln)
	if ctx.Err() != nil || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
