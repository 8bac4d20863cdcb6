// Package worker runs CivicFlow's background work in one process: an asynq server that executes tasks
// (e-mail and SMS deliveries now, timers later) and the outbox relay that feeds it and delivers
// in-app messages itself, in batches. On shutdown it stops
// taking tasks, lets the ones in flight finish within the shutdown timeout and hands the rest back to
// Redis, so that a deploy loses nothing.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/tasks"
)

// abandonWait is how long Run waits, after the shutdown timeout, for handlers whose tasks went back
// to Redis to notice their cancelled context and record the interrupted attempt.
const abandonWait = 15 * time.Second

// Retry backoff of failed tasks: retryBase doubled per retry, plus up to a quarter of jitter, at most
// retryCap.
const (
	retryBase = 5 * time.Second
	retryCap  = 10 * time.Minute
)

// RetryDelay is the backoff between attempts of a failed task: exponential from retryBase so that a
// short outage is bridged quickly, capped at retryCap so that a long one is still retried often
// enough, with jitter so that tasks that failed together do not return together.
func RetryDelay(n int, _ error, _ *asynq.Task) time.Duration {
	d := retryCap
	if n >= 0 && n < 20 {
		d = min(retryBase<<n, retryCap)
	}
	d += rand.N(d/4 + 1)
	return min(d, retryCap)
}

// Option adjusts a Worker; the defaults suit production.
type Option func(*options)

type options struct {
	now          func() time.Time
	retryDelay   asynq.RetryDelayFunc
	pollInterval time.Duration
	logger       *slog.Logger
	tickers      []ticker
}

// ticker is periodic work of the worker besides tasks.
type ticker struct {
	name     string
	interval time.Duration
	fn       func(ctx context.Context) error
}

// WithTicker runs fn every interval while the worker runs (first after one interval), such as the
// legal clock's timers and reminders. An error is logged and the next tick comes as usual; the work
// itself must be safe with several workers (the database decides who does what).
func WithTicker(name string, interval time.Duration, fn func(ctx context.Context) error) Option {
	return func(o *options) { o.tickers = append(o.tickers, ticker{name, interval, fn}) }
}

// WithClock replaces the clock of the relay and the deliverer, for tests.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRetryDelay replaces RetryDelay, for tests that must not wait for backoffs.
func WithRetryDelay(f asynq.RetryDelayFunc) Option { return func(o *options) { o.retryDelay = f } }

// WithPollInterval sets how often an idle worker looks for new and for due retried tasks (asynq's
// defaults are 1s and 5s); tests shorten it.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.pollInterval = d } }

// WithLogger replaces slog.Default.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Worker is the background-task process: asynq server plus outbox relay.
type Worker struct {
	srv     *asynq.Server
	mux     *asynq.ServeMux
	relay   *notify.Relay
	log     *slog.Logger
	flight  inflight
	tickers []ticker

	// base is the context of every task. It outlives Run's context so that tasks in flight finish
	// during a graceful shutdown, and is cancelled once the shutdown timeout is over.
	base       context.Context
	cancelBase context.CancelFunc

	mu       sync.Mutex
	patterns map[string]bool
	started  bool
}

// New builds the worker for db and broker: the deliverer of notifications through senders and the
// relay, with concurrency, shutdown timeout and delivery settings from cfg. Register further task
// handlers with Handle, then call Run.
func New(db *bun.DB, broker *queue.Broker, cfg config.Config, senders notify.Senders, opts ...Option) *Worker {
	o := options{now: time.Now, retryDelay: RetryDelay, logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	w := &Worker{
		mux: asynq.NewServeMux(),
		log: o.logger,
		// Redis is pinged as often as the relay looks for messages, so that its outage log says when
		// an outage begins and ends: asynq's own complaints say only that it goes on.
		tickers:  append(o.tickers, ticker{"redis", cfg.RelayInterval, broker.Ping}),
		patterns: map[string]bool{},
	}
	w.base, w.cancelBase = context.WithCancel(context.Background())
	w.srv = asynq.NewServerFromRedisClient(broker.Redis(), asynq.Config{
		Concurrency:              cfg.WorkerConcurrency,
		BaseContext:              func() context.Context { return w.base },
		TaskCheckInterval:        o.pollInterval,
		DelayedTaskCheckInterval: o.pollInterval,
		RetryDelayFunc:           o.retryDelay,
		Queues:                   map[string]int{tasks.Queue: 1},
		ErrorHandler:             asynq.ErrorHandlerFunc(w.logFailure),
		Logger:                   slogLogger{l: o.logger.With("component", "asynq"), broker: broker},
		LogLevel:                 asynq.InfoLevel,
		ShutdownTimeout:          cfg.ShutdownTimeout,
	})
	w.mux.Use(w.track)
	deliverer := notify.NewDeliverer(db, senders, cfg.DeliveryMaxAttempts, o.now)
	// A fresh mux cannot refuse its first pattern.
	_ = w.Handle(tasks.TypeDeliver, deliverer)
	w.relay = notify.NewRelay(deliverer, asynq.NewClientFromRedisClient(broker.Redis()), cfg.RelayInterval,
		cfg.RedeliverAfter, notify.WithInspector(asynq.NewInspectorFromRedisClient(broker.Redis())))
	return w
}

// Handle registers the handler of the tasks whose type matches pattern (asynq's prefix matching). It
// must be called before Run; registering a pattern twice is an error rather than asynq's panic.
func (w *Worker) Handle(pattern string, h asynq.Handler) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.started:
		return fmt.Errorf("registering %q: the worker is already running", pattern)
	case pattern == "" || h == nil:
		return errors.New("registering a task handler: empty pattern or nil handler")
	case w.patterns[pattern]:
		return fmt.Errorf("registering %q: a handler is already registered", pattern)
	}
	w.patterns[pattern] = true
	w.mux.Handle(pattern, h)
	return nil
}

// Run processes tasks and relays the outbox until ctx is cancelled, then shuts down gracefully: the
// relay stops, the server takes no new task, tasks in flight get the configured shutdown timeout to
// finish, and those that do not are pushed back to Redis for another worker. A Worker runs once.
// Redis need not answer when Run starts: asynq's Server.Start does not reach it (its processor,
// heartbeat and subscriber retry until it answers), and the relay tries again each pass while the
// outbox keeps the messages.
func (w *Worker) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.started {
		w.mu.Unlock()
		return errors.New("the worker has already run")
	}
	w.started = true
	w.mu.Unlock()

	if err := w.srv.Start(w.mux); err != nil {
		w.cancelBase()
		return fmt.Errorf("starting the task server: %w", err)
	}
	w.log.InfoContext(ctx, "worker started")
	relayCtx, stopRelay := context.WithCancel(ctx)
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		w.relay.Run(relayCtx)
	}()
	var ticking sync.WaitGroup
	for _, t := range w.tickers {
		ticking.Add(1)
		go func() {
			defer ticking.Done()
			w.tick(relayCtx, t)
		}()
	}

	<-ctx.Done()
	w.log.InfoContext(ctx, "worker shutting down")
	stopRelay()
	<-relayDone
	ticking.Wait()
	w.srv.Shutdown()
	// Tasks still running were handed back to Redis: stop them and let them record the attempt.
	w.cancelBase()
	select {
	case <-w.flight.drain():
	case <-time.After(abandonWait):
		w.log.WarnContext(ctx, "task handlers still running after shutdown; their tasks are back in the queue")
	}
	w.log.InfoContext(ctx, "worker stopped")
	return nil
}

// tick runs one ticker until ctx ends.
func (w *Worker) tick(ctx context.Context, t ticker) {
	interval := max(t.interval, time.Millisecond)
	tk := time.NewTicker(interval)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			if err := t.fn(ctx); err != nil && ctx.Err() == nil && !queue.Unavailable(err) {
				w.log.ErrorContext(ctx, "periodic work failed", "ticker", t.name, "error", err)
			}
		}
	}
}

// track counts running handlers, so that Run can wait for them.
func (w *Worker) track(h asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		w.flight.begin()
		defer w.flight.end()
		return h.ProcessTask(ctx, t)
	})
}

// logFailure is the one log line of a failed task: a warning while asynq will retry, an error once it
// gives up.
func (w *Worker) logFailure(ctx context.Context, t *asynq.Task, err error) {
	id, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	final := errors.Is(err, asynq.SkipRetry) || retried >= maxRetry
	level := slog.LevelWarn
	if final {
		level = slog.LevelError
	}
	w.log.Log(ctx, level, "background task failed", "type", t.Type(), "task_id", id,
		"retried", retried, "max_retry", maxRetry, "final", final, "error", err)
}

// inflight counts running task handlers. Unlike a sync.WaitGroup it tolerates a handler starting
// while Run waits, which asynq allows for a task dequeued just as the shutdown began.
type inflight struct {
	mu       sync.Mutex
	n        int
	draining bool
	idle     chan struct{}
}

func (f *inflight) begin() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
}

func (f *inflight) end() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if f.n == 0 && f.draining {
		close(f.idle)
		f.draining = false
	}
}

// drain returns a channel closed once no handler runs.
func (f *inflight) drain() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	if f.n == 0 {
		close(ch)
		return ch
	}
	f.idle, f.draining = ch, true
	return ch
}
