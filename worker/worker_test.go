package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/tasks"
)

const (
	redeliverAfter = 2 * time.Minute
	maxAttempts    = 3
	waitLimit      = 10 * time.Second
)

// newFakeClock is the clock the worker tests start from.
func newFakeClock() *stacktest.Clock {
	return stacktest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
}

type testUser struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64 `bun:",pk,autoincrement"`
	Login        string
	PasswordHash string
	Locale       string
	Email        string
	Phone        string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func addUser(t *testing.T, db bun.IDB, login, email string) int64 {
	t.Helper()
	now := time.Now().UTC()
	u := &testUser{Login: login, PasswordHash: "x", Locale: "zh-CN", Email: email, CreatedAt: now, UpdatedAt: now}
	if _, err := db.NewInsert().Model(u).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// send writes a role_granted notification to user on channels and returns its outbox rows by channel.
func send(t *testing.T, db *bun.DB, user int64, channels ...notify.Channel) map[notify.Channel]int64 {
	t.Helper()
	ctx := context.Background()
	m := notify.Message{UserID: user, Template: "role_granted", Channels: channels,
		Data: map[string]any{"jurisdiction": "东城区", "role": "审核员"}}
	if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return notify.Send(ctx, tx, m) }); err != nil {
		t.Fatal(err)
	}
	var rows []notify.Outbox
	if err := db.NewSelect().Model(&rows).Where("user_id = ?", user).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	out := map[notify.Channel]int64{}
	for _, r := range rows {
		out[r.Channel] = r.ID
	}
	if len(out) != len(channels) {
		t.Fatalf("outbox rows %v, want one per channel of %v", out, channels)
	}
	return out
}

func outbox(t *testing.T, db bun.IDB, id int64) notify.Outbox {
	t.Helper()
	var o notify.Outbox
	if err := db.NewSelect().Model(&o).Where("id = ?", id).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return o
}

func count(t *testing.T, db bun.IDB, table string, outboxID int64) int {
	t.Helper()
	n, err := db.NewSelect().TableExpr(table).Where("outbox_id = ?", outboxID).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// waitFor polls cond until it holds, failing the test after waitLimit.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitForStatus(t *testing.T, db bun.IDB, id int64, status string) notify.Outbox {
	t.Helper()
	var o notify.Outbox
	waitFor(t, "outbox row to become "+status, func() bool {
		o = outbox(t, db, id)
		return o.Status == status
	})
	return o
}

// waitQueueIdle waits until no task is pending, running or waiting for a retry.
func waitQueueIdle(t *testing.T, insp *asynq.Inspector) {
	t.Helper()
	waitFor(t, "an idle queue", func() bool {
		q, err := insp.GetQueueInfo(tasks.Queue)
		return err == nil && q.Pending+q.Active+q.Retry+q.Scheduled == 0
	})
}

func testConfig() config.Config {
	return config.Config{
		WorkerConcurrency:   4,
		ShutdownTimeout:     10 * time.Second,
		RelayInterval:       20 * time.Millisecond,
		RedeliverAfter:      redeliverAfter,
		DeliveryMaxAttempts: maxAttempts,
	}
}

func newWorker(t *testing.T, b *queue.Broker, s *stacktest.Stack, cfg config.Config, senders notify.Senders, clock *stacktest.Clock) *Worker {
	return New(s.DB, b, cfg, senders,
		WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))),
		WithClock(clock.Now),
		WithPollInterval(20*time.Millisecond),
		WithRetryDelay(func(int, error, *asynq.Task) time.Duration { return 20 * time.Millisecond }))
}

// start runs w until the returned stop is called or the test ends; stop waits for Run to return.
func start(t *testing.T, w *Worker) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitLimit):
				t.Errorf("Run did not return within %s of its context being cancelled", waitLimit)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// fakeSender records what it sends and fails with err while err is set.
type fakeSender struct {
	mu   sync.Mutex
	to   []string
	err  error
	hook func(ctx context.Context) error
}

func (f *fakeSender) Send(ctx context.Context, address, _, _ string) error {
	f.mu.Lock()
	f.to = append(f.to, address)
	hook, err := f.hook, f.err
	f.mu.Unlock()
	if hook != nil {
		return hook(ctx)
	}
	return err
}

func (f *fakeSender) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.to)
}

func TestOutboxToInboxAndEmail(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		b := s.Broker(t)
		email := &fakeSender{}
		uid := addUser(t, s.DB, "citizen", "citizen@example.org")
		rows := send(t, s.DB, uid, notify.Inbox, notify.Email)

		start(t, newWorker(t, b, s, testConfig(), notify.Senders{Email: email}, newFakeClock()))
		for ch, id := range rows {
			o := waitForStatus(t, s.DB, id, notify.StatusDelivered)
			if o.Attempts != 1 || o.DeliveredAt == nil {
				t.Errorf("%s row: %+v", ch, o)
			}
			dl, err := notify.ListDeliveries(ctx, s.DB, id)
			if err != nil || len(dl) != 1 || !dl[0].OK {
				t.Errorf("%s deliveries: %+v, %v", ch, dl, err)
			}
		}
		msgs, err := notify.ListMessages(ctx, s.DB, uid, 10)
		if err != nil || len(msgs) != 1 || msgs[0].OutboxID != rows[notify.Inbox] || msgs[0].Subject != "您获得了新的角色" {
			t.Fatalf("inbox: %+v, %v", msgs, err)
		}
		if email.calls() != 1 || email.to[0] != "citizen@example.org" {
			t.Fatalf("e-mails sent to %v", email.to)
		}
	})
}

func TestEnqueuedTwiceDeliveredOnce(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		b := s.Broker(t)
		clock := newFakeClock()
		insp := asynq.NewInspectorFromRedisClient(b.Redis())
		relay := notify.NewRelay(notify.NewDeliverer(s.DB, notify.Senders{}, maxAttempts, clock.Now),
			asynq.NewClientFromRedisClient(b.Redis()), time.Hour, redeliverAfter)
		email := &fakeSender{}
		uid := addUser(t, s.DB, "twice", "twice@example.org")
		rows := send(t, s.DB, uid, notify.Inbox, notify.Email)

		for pass := range 2 {
			if n, err := relay.RelayOnce(ctx); err != nil || n != 1 {
				t.Fatalf("relay pass %d: %d, %v; want the e-mail (in-app messages are not enqueued)", pass, n, err)
			}
			clock.Advance(redeliverAfter + time.Second) // due again: the second pass re-enqueues
		}
		if q, err := insp.GetQueueInfo(tasks.Queue); err != nil || q.Pending != 1 {
			t.Fatalf("queue after enqueueing twice: %+v, %v; want 1 pending task", q, err)
		}

		start(t, newWorker(t, b, s, testConfig(), notify.Senders{Email: email}, clock))
		for _, id := range rows {
			waitForStatus(t, s.DB, id, notify.StatusDelivered)
		}
		waitQueueIdle(t, insp)
		for ch, id := range rows {
			if o := outbox(t, s.DB, id); o.Attempts != 1 {
				t.Errorf("%s row attempts = %d, want 1", ch, o.Attempts)
			}
			if n := count(t, s.DB, "deliveries", id); n != 1 {
				t.Errorf("%s row has %d deliveries, want 1", ch, n)
			}
		}
		if n := count(t, s.DB, "messages", rows[notify.Inbox]); n != 1 {
			t.Errorf("%d inbox messages, want 1", n)
		}
		if email.calls() != 1 {
			t.Errorf("%d e-mails, want 1", email.calls())
		}
	})
}

func TestTaskLostInRedisIsDeliveredAnyway(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		b := s.Broker(t)
		clock := newFakeClock()
		insp := asynq.NewInspectorFromRedisClient(b.Redis())
		relay := notify.NewRelay(notify.NewDeliverer(s.DB, notify.Senders{}, maxAttempts, clock.Now),
			asynq.NewClientFromRedisClient(b.Redis()), time.Hour, redeliverAfter)
		email := &fakeSender{}
		uid := addUser(t, s.DB, "lost", "lost@example.org")
		id := send(t, s.DB, uid, notify.Email)[notify.Email]

		if n, err := relay.RelayOnce(ctx); err != nil || n != 1 {
			t.Fatalf("relay: %d, %v", n, err)
		}
		if err := insp.DeleteTask(tasks.Queue, tasks.DeliverTaskID(id)); err != nil {
			t.Fatalf("deleting the task: %v", err)
		}
		if n, err := relay.RelayOnce(ctx); err != nil || n != 0 {
			t.Fatalf("relay before redeliverAfter: %d, %v; want 0", n, err)
		}
		clock.Advance(redeliverAfter + time.Second)
		if n, err := relay.RelayOnce(ctx); err != nil || n != 1 {
			t.Fatalf("relay after redeliverAfter: %d, %v; want 1", n, err)
		}

		start(t, newWorker(t, b, s, testConfig(), notify.Senders{Email: email}, clock))
		waitForStatus(t, s.DB, id, notify.StatusDelivered)
		waitQueueIdle(t, insp)
		if email.calls() != 1 {
			t.Fatalf("%d e-mails, want 1", email.calls())
		}
		if n := count(t, s.DB, "deliveries", id); n != 1 {
			t.Fatalf("%d deliveries, want 1", n)
		}
	})
}

func TestFailingSenderEndsFailed(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		b := s.Broker(t)
		email := &fakeSender{err: errors.New("550 mailbox unavailable")}
		uid := addUser(t, s.DB, "bounce", "bounce@example.org")
		id := send(t, s.DB, uid, notify.Email)[notify.Email]

		start(t, newWorker(t, b, s, testConfig(), notify.Senders{Email: email}, newFakeClock()))
		o := waitForStatus(t, s.DB, id, notify.StatusFailed)
		if o.Attempts != maxAttempts || o.LastError == "" || o.ClaimedUntil != nil {
			t.Fatalf("failed row: %+v", o)
		}
		dl, err := notify.ListDeliveries(ctx, s.DB, id)
		if err != nil || len(dl) != maxAttempts {
			t.Fatalf("deliveries: %+v, %v", dl, err)
		}
		for _, d := range dl {
			if d.OK || d.Error == "" {
				t.Errorf("delivery %+v", d)
			}
		}
		failed, err := notify.ListFailed(ctx, s.DB, 10)
		if err != nil || len(failed) != 1 || failed[0].ID != id {
			t.Fatalf("ListFailed: %+v, %v", failed, err)
		}
		insp := asynq.NewInspectorFromRedisClient(b.Redis())
		waitFor(t, "the task to be archived", func() bool {
			info, err := insp.GetTaskInfo(tasks.Queue, tasks.DeliverTaskID(id))
			return err == nil && info.State == asynq.TaskStateArchived
		})
		if email.calls() != maxAttempts {
			t.Fatalf("sender called %d times, want %d", email.calls(), maxAttempts)
		}
	})
}

// blockingSender blocks each send until released (or its context ends), and reports each start.
func blockingSender() (s *fakeSender, started chan struct{}, release chan struct{}) {
	started, release = make(chan struct{}, 10), make(chan struct{})
	s = &fakeSender{hook: func(ctx context.Context) error {
		started <- struct{}{}
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}
	return s, started, release
}

func waitStarted(t *testing.T, started <-chan struct{}) {
	t.Helper()
	select {
	case <-started:
	case <-time.After(waitLimit):
		t.Fatal("the task never started")
	}
}

func TestShutdownFinishesTaskInFlight(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		b := s.Broker(t)
		email, started, release := blockingSender()
		uid := addUser(t, s.DB, "inflight", "inflight@example.org")
		id := send(t, s.DB, uid, notify.Email)[notify.Email]

		w := newWorker(t, b, s, testConfig(), notify.Senders{Email: email}, newFakeClock())
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		waitStarted(t, started)
		cancel()
		// Run must wait for the task; give a premature return a moment to show.
		select {
		case <-done:
			t.Fatal("Run returned while a task was in flight")
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(waitLimit):
			t.Fatal("Run did not return after the task finished")
		}
		if o := outbox(t, s.DB, id); o.Status != notify.StatusDelivered || o.Attempts != 1 {
			t.Fatalf("row after shutdown: %+v", o)
		}
		q, err := asynq.NewInspectorFromRedisClient(b.Redis()).GetQueueInfo(tasks.Queue)
		if err != nil || q.Pending+q.Active+q.Retry != 0 {
			t.Fatalf("queue after shutdown: %+v, %v; want the task done", q, err)
		}
	})
}

func TestShutdownTimeoutHandsTaskBack(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		b := s.Broker(t)
		clock := newFakeClock()
		blocking, started, _ := blockingSender()
		uid := addUser(t, s.DB, "timeout", "timeout@example.org")
		id := send(t, s.DB, uid, notify.Email)[notify.Email]

		cfg := testConfig()
		cfg.ShutdownTimeout = 300 * time.Millisecond
		stop := start(t, newWorker(t, b, s, cfg, notify.Senders{Email: blocking}, clock))
		waitStarted(t, started)
		stop()
		o := outbox(t, s.DB, id)
		if o.Status != notify.StatusPending || o.DeliveredAt != nil || o.Attempts != 1 || o.ClaimedUntil != nil {
			t.Fatalf("row after a shutdown that cut the task short: %+v; want pending and unclaimed", o)
		}
		info, err := asynq.NewInspectorFromRedisClient(b.Redis()).GetTaskInfo(tasks.Queue, tasks.DeliverTaskID(id))
		if err != nil || info.State != asynq.TaskStatePending {
			t.Fatalf("task after shutdown: %+v, %v; want it back in the queue", info, err)
		}

		email := &fakeSender{}
		start(t, newWorker(t, b, s, testConfig(), notify.Senders{Email: email}, clock))
		o = waitForStatus(t, s.DB, id, notify.StatusDelivered)
		if o.Attempts != 2 || email.calls() != 1 {
			t.Fatalf("after the second worker: %+v, %d e-mails", o, email.calls())
		}
		dl, err := notify.ListDeliveries(ctx, s.DB, id)
		if err != nil || len(dl) != 2 || dl[0].OK || !dl[1].OK {
			t.Fatalf("deliveries: %+v, %v; want the interrupted attempt and the successful one", dl, err)
		}
	})
}

func TestHandle(t *testing.T) {
	s := stacktest.SQLite(t)
	w := newWorker(t, s.Broker(t), s, testConfig(), notify.Senders{}, newFakeClock())
	noop := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })
	if err := w.Handle("timer:", noop); err != nil {
		t.Fatal(err)
	}
	if err := w.Handle("timer:", noop); err == nil {
		t.Error("a pattern was registered twice")
	}
	if err := w.Handle(tasks.TypeDeliver, noop); err == nil {
		t.Error("the delivery handler was replaced")
	}
	if err := w.Handle("", noop); err == nil {
		t.Error("an empty pattern was accepted")
	}
}

func TestHandlerRegisteredWithHandleRuns(t *testing.T) {
	t.Parallel()
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		b := s.Broker(t)
		w := newWorker(t, b, s, testConfig(), notify.Senders{}, newFakeClock())
		ran := make(chan string, 1)
		if err := w.Handle("timer:", asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
			ran <- string(t.Payload())
			return nil
		})); err != nil {
			t.Fatal(err)
		}
		if _, err := asynq.NewClientFromRedisClient(b.Redis()).Enqueue(asynq.NewTask("timer:deadline", []byte("42"))); err != nil {
			t.Fatal(err)
		}
		start(t, w)
		select {
		case got := <-ran:
			if got != "42" {
				t.Fatalf("payload %q", got)
			}
		case <-time.After(waitLimit):
			t.Fatal("the handler registered with Handle never ran")
		}
		if err := w.Handle("late:", asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })); err == nil {
			t.Error("Handle after Run was accepted")
		}
	})
}

func TestRetryDelay(t *testing.T) {
	prev := time.Duration(0)
	for n := range 30 {
		d := RetryDelay(n, nil, nil)
		if d <= 0 || d > retryCap {
			t.Fatalf("retry %d: delay %s out of (0, %s]", n, d, retryCap)
		}
		if lo := min(retryBase<<min(n, 20), retryCap); n < 20 && d < lo {
			t.Fatalf("retry %d: delay %s below %s", n, d, lo)
		}
		if n > 0 && n < 6 && d <= prev {
			t.Fatalf("retry %d: delay %s does not grow from %s", n, d, prev)
		}
		prev = d
	}
	if RetryDelay(1000, nil, nil) != retryCap {
		t.Fatal("a late retry is not capped")
	}
}

func TestRunTwice(t *testing.T) {
	s := stacktest.SQLite(t)
	w := newWorker(t, s.Broker(t), s, testConfig(), notify.Senders{}, newFakeClock())
	stop := start(t, w)
	stop()
	if err := w.Run(context.Background()); err == nil {
		t.Fatal("a worker ran twice")
	}
}
