package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/civicflow/civicflow/queue"
)

// InboxBatch is how many in-app messages one call of DeliverInbox delivers at most: the rows of one
// INSERT, under SQLite's limit on bound parameters.
const InboxBatch = batchSize

// DeliverInbox delivers up to limit pending in-app messages, oldest first, in one transaction: one
// UPDATE takes the rows and marks them delivered, one INSERT writes the messages and one the
// delivery ledger. A row is delivered exactly when its message commits, so any number of callers in
// any number of processes deliver each row once, and one that dies before its commit leaves its
// rows pending for the next. A row that cannot be rendered, or lost its recipient, fails for good on
// its own; a batch the database refuses is delivered again row by row, so that one row it refuses
// holds up no other. It returns how many rows it took (delivered or failed).
func (d *Deliverer) DeliverInbox(ctx context.Context, limit int) (int, error) {
	taken, err := d.deliverInbox(ctx, 0, min(max(limit, 1), InboxBatch))
	if err == nil || len(taken) == 0 || ctx.Err() != nil || queue.Unavailable(err) {
		return len(taken), err
	}
	var errs []error
	for _, o := range taken {
		if _, err := d.deliverInbox(ctx, o.ID, 1); err != nil {
			if ctx.Err() != nil || queue.Unavailable(err) {
				return 0, err
			}
			errs = append(errs, d.refuseInbox(ctx, o.ID, err))
		}
	}
	return len(taken), errors.Join(errs...)
}

// deliverInbox is one batch of DeliverInbox: the oldest limit pending inbox rows, or only row id
// when it is not 0. It returns the rows it took even when the transaction failed.
func (d *Deliverer) deliverInbox(ctx context.Context, id int64, limit int) ([]Outbox, error) {
	now := d.now().UTC()
	var taken []Outbox
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		taken = taken[:0]
		due := tx.NewSelect().Model((*Outbox)(nil)).Column("id").
			Where("status = ?", StatusPending).
			Where("channel = ?", Inbox).
			Where("(claimed_until IS NULL OR claimed_until < ?)", now).
			OrderExpr("id").
			Limit(int64(limit))
		if id != 0 {
			due = due.Where("id = ?", id)
		}
		if tx.Dialect().Name() == dialect.PG {
			due = due.For("UPDATE SKIP LOCKED") // concurrent batches take different rows instead of waiting
		}
		// SQLite takes its write lock at BEGIN (_txlock=immediate), so batches there run one after another.
		// A CTE, not a subquery in the WHERE: PostgreSQL may run such a subquery more than once, and
		// with SKIP LOCKED each run may find other rows, beyond the limit.
		if err := tx.NewUpdate().With("due", due).Model((*Outbox)(nil)).
			Set("status = ?", StatusDelivered).
			Set("delivered_at = ?", now).
			Set("attempts = attempts + 1").
			Set("claimed_until = NULL").
			Set("last_error = ''").
			Where("id IN (SELECT id FROM due)").
			Where("status = ?", StatusPending).
			Returning("*").
			Scan(ctx, &taken); err != nil {
			return fmt.Errorf("taking pending inbox rows: %w", err)
		}
		return d.writeInbox(ctx, tx, taken, now)
	})
	return taken, err
}

// writeInbox writes the messages of the rows a batch took and their ledger, and marks the rows that
// cannot be rendered failed.
func (d *Deliverer) writeInbox(ctx context.Context, tx bun.Tx, rows []Outbox, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	msgs := make([]InboxMessage, 0, len(rows))
	ledger := make([]Delivery, 0, len(rows))
	for _, o := range rows {
		subject, body, err := renderRow(&o)
		ledger = append(ledger, Delivery{OutboxID: o.ID, Attempt: o.Attempts, At: now, OK: err == nil})
		if err == nil {
			msgs = append(msgs, InboxMessage{UserID: *o.UserID, OutboxID: o.ID, Subject: subject, Body: body, CreatedAt: now})
			continue
		}
		msg := truncate(err.Error(), maxErrorLen)
		ledger[len(ledger)-1].Error = msg
		if _, err := tx.NewUpdate().Model((*Outbox)(nil)).
			Set("status = ?", StatusFailed).
			Set("delivered_at = NULL").
			Set("last_error = ?", msg).
			Where("id = ?", o.ID).
			Exec(ctx); err != nil {
			return fmt.Errorf("recording the failure of outbox row %d: %w", o.ID, err)
		}
	}
	if len(msgs) > 0 {
		if _, err := tx.NewInsert().Model(&msgs).Exec(ctx); err != nil {
			return fmt.Errorf("writing %d inbox messages: %w", len(msgs), err)
		}
	}
	if _, err := tx.NewInsert().Model(&ledger).Exec(ctx); err != nil {
		return fmt.Errorf("writing the delivery ledger of %d inbox rows: %w", len(ledger), err)
	}
	return nil
}

// refuseInbox counts a failed attempt at inbox row id, which the database refused to deliver even
// alone, and keeps it from the next batches for claimLease; it fails for good once its attempts are
// used up. It returns the refusal, for the log.
func (d *Deliverer) refuseInbox(ctx context.Context, id int64, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := d.now().UTC()
	msg := truncate(cause.Error(), maxErrorLen)
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		o := new(Outbox)
		// A row another deliverer took meanwhile (sql.ErrNoRows) is no failure to record.
		if err := tx.NewUpdate().Model(o).
			Set("attempts = attempts + 1").
			Set("status = CASE WHEN attempts + 1 >= ? THEN ? ELSE status END", d.maxAttempts, StatusFailed).
			Set("claimed_until = ?", now.Add(claimLease)).
			Set("last_error = ?", msg).
			Where("id = ?", id).
			Where("status = ?", StatusPending).
			Returning("*").
			Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			return fmt.Errorf("counting the attempt: %w", err)
		}
		return insertDelivery(ctx, tx, o, now, cause)
	})
	if err != nil {
		return fmt.Errorf("delivering inbox row %d: %w (and recording that failed: %w)", id, cause, err)
	}
	return fmt.Errorf("delivering inbox row %d: %w", id, cause)
}
