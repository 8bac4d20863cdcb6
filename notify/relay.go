package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/tasks"
)

// relayBatch is how many e-mail and SMS rows one pass of the relay enqueues, in tasks of
// DeliverBatch rows; Run goes on at once while passes come back full.
const relayBatch = batchSize

// Relay moves outbox rows on: it delivers in-app messages itself, in batches (Deliverer.DeliverInbox),
// and enqueues an asynq task per batch of e-mail and SMS rows: rows never enqueued, and rows still pending
// redeliverAfter after their last enqueue, because Redis may have lost the task. Both are safe with
// any number of relays in any number of processes: a batch takes its rows in its own transaction,
// and enqueueing is idempotent by task id.
type Relay struct {
	db             *bun.DB
	deliverer      *Deliverer
	client         *asynq.Client
	inspector      *asynq.Inspector
	interval       time.Duration
	redeliverAfter time.Duration
	now            func() time.Time
}

// RelayOption adjusts a Relay.
type RelayOption func(*Relay)

// WithInspector lets the relay replace the task of a pending row that asynq archived or kept as
// completed. Such a task holds the row's task id, so without an inspector the row could not be
// enqueued again until Redis forgets it.
func WithInspector(i *asynq.Inspector) RelayOption {
	return func(r *Relay) { r.inspector = i }
}

// NewRelay returns a relay that runs every interval, delivers in-app messages through d and enqueues
// e-mail and SMS rows of d's database to client, a pending one again redeliverAfter after its last
// enqueue. It uses d's clock; a duration that is not positive means the default of its CIVICFLOW_*
// setting.
func NewRelay(d *Deliverer, client *asynq.Client, interval, redeliverAfter time.Duration, opts ...RelayOption) *Relay {
	if interval <= 0 {
		interval = time.Second
	}
	if redeliverAfter <= 0 {
		redeliverAfter = 2 * time.Minute
	}
	r := &Relay{db: d.db, deliverer: d, client: client, interval: interval, redeliverAfter: redeliverAfter, now: d.now}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Run relays at once and then every interval until ctx is cancelled. A failed pass is tried again on
// the next tick: the rows wait in the outbox. It is logged unless the database or Redis is out,
// which their outage logs report once (see queue.Unavailable).
func (r *Relay) Run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		for r.pass(ctx) && ctx.Err() == nil {
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// pass delivers one batch of in-app messages and enqueues one batch of e-mail and SMS rows, logging
// a failure, and reports whether either batch came back full (more may wait).
func (r *Relay) pass(ctx context.Context) (more bool) {
	delivered, err := r.deliverer.DeliverInbox(ctx, InboxBatch)
	r.logFailure(ctx, "delivering in-app messages", err)
	enqueued, err := r.RelayOnce(ctx)
	r.logFailure(ctx, "enqueueing e-mail and SMS", err)
	return delivered == InboxBatch || enqueued == relayBatch
}

func (r *Relay) logFailure(ctx context.Context, what string, err error) {
	if err != nil && ctx.Err() == nil && !queue.Unavailable(err) {
		slog.WarnContext(ctx, "outbox relay pass failed", "step", what, "error", err)
	}
}

// RelayOnce enqueues one batch of due e-mail and SMS rows, oldest first, and returns how many it
// enqueued (a task already in the queue counts as enqueued).
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	now := r.now().UTC()
	var rows []Outbox
	err := r.db.NewSelect().Model(&rows).Column("id", "enqueued_at").
		Where("status = ?", StatusPending).
		Where("channel <> ?", Inbox).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("enqueued_at IS NULL").WhereOr("enqueued_at < ?", now.Add(-r.redeliverAfter))
		}).
		OrderExpr("id").
		Limit(relayBatch).
		Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("selecting outbox rows to enqueue: %w", err)
	}
	ids := make([]int64, 0, len(rows))
	var enqErr error
	for batch := range slices.Chunk(rows, DeliverBatch) {
		if err := r.enqueue(ctx, batch); err != nil {
			enqErr = err
			break
		}
		for _, o := range batch {
			ids = append(ids, o.ID)
		}
	}
	if len(ids) > 0 {
		if _, err := r.db.NewUpdate().Model((*Outbox)(nil)).
			Set("enqueued_at = ?", now).
			Where("id IN (?)", bun.List(ids)).
			Exec(ctx); err != nil {
			// The tasks are queued; the rows will merely be enqueued again (harmlessly) later.
			return len(ids), errors.Join(enqErr, fmt.Errorf("marking %d outbox rows enqueued: %w", len(ids), err))
		}
	}
	return len(ids), enqErr
}

// enqueue queues the delivery task of batch. A task with its id already in Redis is fine, unless it
// is a dead one (archived or completed) while the rows still wait: that one is replaced.
func (r *Relay) enqueue(ctx context.Context, batch []Outbox) error {
	ids := make([]int64, len(batch))
	for i, o := range batch {
		ids[i] = o.ID
	}
	_, err := r.client.EnqueueContext(ctx, tasks.NewDeliver(ids...))
	if err == nil {
		return nil
	}
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueueing outbox rows %d–%d: %w", ids[0], ids[len(ids)-1], err)
	}
	if r.inspector == nil || !slices.ContainsFunc(batch, func(o Outbox) bool { return o.EnqueuedAt != nil }) {
		return nil
	}
	id := tasks.DeliverTaskID(ids...)
	info, err := r.inspector.GetTaskInfo(tasks.Queue, id)
	if err != nil || (info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted) {
		return nil // alive (or gone since): it will run, or the next pass enqueues it
	}
	if err := r.inspector.DeleteTask(tasks.Queue, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
		return fmt.Errorf("removing the dead task of outbox rows %d–%d: %w", ids[0], ids[len(ids)-1], err)
	}
	if _, err := r.client.EnqueueContext(ctx, tasks.NewDeliver(ids...)); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueueing outbox rows %d–%d again: %w", ids[0], ids[len(ids)-1], err)
	}
	slog.InfoContext(ctx, "outbox rows enqueued again after their task died", "task_id", id, "task_state", info.State.String())
	return nil
}
