package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/queue"
	"github.com/civicflow/civicflow/tasks"
)

// relayBatch is how many rows one pass of the relay enqueues; Run goes on at once while passes come
// back full.
const relayBatch = 100

// Relay moves outbox rows into asynq: rows never enqueued, and rows still pending redeliverAfter
// after their last enqueue, because Redis may have lost the task. Enqueueing is idempotent by task id,
// so any number of relays may run in any number of processes.
type Relay struct {
	db             *bun.DB
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

// NewRelay returns a relay from db to client that runs every interval and enqueues a pending row
// again redeliverAfter after its last enqueue. now is the clock (time.Now when nil); a duration that
// is not positive means the default of its CIVICFLOW_* setting.
func NewRelay(db *bun.DB, client *asynq.Client, interval, redeliverAfter time.Duration, now func() time.Time, opts ...RelayOption) *Relay {
	if now == nil {
		now = time.Now
	}
	if interval <= 0 {
		interval = time.Second
	}
	if redeliverAfter <= 0 {
		redeliverAfter = 2 * time.Minute
	}
	r := &Relay{db: db, client: client, interval: interval, redeliverAfter: redeliverAfter, now: now}
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
		for {
			n, err := r.RelayOnce(ctx)
			if err != nil {
				if ctx.Err() == nil && !queue.Unavailable(err) {
					slog.WarnContext(ctx, "outbox relay pass failed", "error", err)
				}
				break
			}
			if n < relayBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RelayOnce enqueues one batch of due rows, oldest first, and returns how many it enqueued (a task
// already in the queue counts as enqueued).
func (r *Relay) RelayOnce(ctx context.Context) (int, error) {
	now := r.now().UTC()
	var rows []Outbox
	err := r.db.NewSelect().Model(&rows).Column("id", "enqueued_at").
		Where("status = ?", StatusPending).
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
	for _, o := range rows {
		if err := r.enqueue(ctx, o); err != nil {
			enqErr = err
			break
		}
		ids = append(ids, o.ID)
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

// enqueue queues the delivery task of o. A task with its id already in Redis is fine, unless it is a
// dead one (archived or completed) while the row still waits: that one is replaced.
func (r *Relay) enqueue(ctx context.Context, o Outbox) error {
	_, err := r.client.EnqueueContext(ctx, tasks.NewDeliver(o.ID))
	if err == nil {
		return nil
	}
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueueing outbox row %d: %w", o.ID, err)
	}
	if r.inspector == nil || o.EnqueuedAt == nil {
		return nil
	}
	id := tasks.DeliverTaskID(o.ID)
	info, err := r.inspector.GetTaskInfo(tasks.Queue, id)
	if err != nil || (info.State != asynq.TaskStateArchived && info.State != asynq.TaskStateCompleted) {
		return nil // alive (or gone since): it will run, or the next pass enqueues it
	}
	if err := r.inspector.DeleteTask(tasks.Queue, id); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
		return fmt.Errorf("removing the dead task of outbox row %d: %w", o.ID, err)
	}
	if _, err := r.client.EnqueueContext(ctx, tasks.NewDeliver(o.ID)); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueueing outbox row %d again: %w", o.ID, err)
	}
	slog.InfoContext(ctx, "outbox row enqueued again after its task died", "outbox_id", o.ID, "task_state", info.State.String())
	return nil
}
