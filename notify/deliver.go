package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/hibiken/asynq"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/tasks"
)

const (
	// claimLease is how long a claimed row belongs to one worker. It outlasts sendTimeout, so a row
	// is taken over only when its worker died, never while it is still sending.
	claimLease = time.Minute
	// sendTimeout bounds one call to a Sender.
	sendTimeout = 30 * time.Second
	// recordTimeout bounds the writes that record an attempt. They run even when the task's context
	// was cancelled (shutdown), so that an attempt that happened is never left unrecorded.
	recordTimeout = 10 * time.Second
	// maxErrorLen bounds the error text kept per attempt.
	maxErrorLen = 1000
)

// Delivery is one attempt to deliver an outbox row: the ledger admins read when a message did not
// arrive.
type Delivery struct {
	bun.BaseModel `bun:"table:deliveries"`

	ID       int64     `bun:",pk,autoincrement" json:"id"`
	OutboxID int64     `bun:"outbox_id" json:"outbox_id"`
	Attempt  int       `json:"attempt"`
	At       time.Time `json:"at"`
	OK       bool      `bun:"ok" json:"ok"`
	Error    string    `json:"error,omitempty"`
}

// Deliverer delivers outbox rows: in-app messages in batches (DeliverInbox, which the relay calls),
// e-mail and SMS one row per task as the asynq handler of tasks.TypeDeliver. Redis may hand it a task
// twice, late, or after another worker died holding it; the outbox row, claimed with a conditional
// update, decides who sends, so e-mail and SMS go out at least once.
type Deliverer struct {
	db          *bun.DB
	senders     Senders
	maxAttempts int
	now         func() time.Time
}

// NewDeliverer returns the handler that delivers outbox rows of db through senders, giving a message
// up as failed after maxAttempts attempts. now is the clock (time.Now when nil); tests pass a fake.
func NewDeliverer(db *bun.DB, senders Senders, maxAttempts int, now func() time.Time) *Deliverer {
	if senders.Email == nil {
		senders.Email = LogEmail{}
	}
	if senders.SMS == nil {
		senders.SMS = SMSSender{Provider: LogSMS{}}
	}
	if maxAttempts < 1 {
		maxAttempts = 1
	}
	if now == nil {
		now = time.Now
	}
	return &Deliverer{db: db, senders: senders, maxAttempts: maxAttempts, now: now}
}

// ProcessTask sends the e-mail or SMS outbox row named by a tasks.TypeDeliver task. It returns nil
// when the row needs nothing (already delivered or failed, being delivered by another worker, or an
// in-app message, which DeliverInbox delivers: only a task from an older version names one), an error for
// asynq to retry after a failed attempt, and an error wrapping asynq.SkipRetry once the row failed
// for good.
func (d *Deliverer) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.ParseDeliver(t)
	if err != nil {
		return err
	}
	o, ok, err := d.claim(ctx, p.OutboxID)
	if err != nil || !ok {
		return err
	}
	subject, body, err := renderRow(o)
	if err != nil {
		return d.fail(ctx, o, err, true)
	}
	var sender Sender
	switch o.Channel {
	case Email:
		sender = d.senders.Email
	case SMS:
		sender = d.senders.SMS
	default:
		return d.fail(ctx, o, fmt.Errorf("unknown channel %q", o.Channel), true)
	}
	if o.Address == "" {
		return d.fail(ctx, o, fmt.Errorf("no %s address", o.Channel), true)
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	err = sender.Send(sctx, o.Address, subject, body)
	cancel()
	if err != nil {
		return d.fail(ctx, o, err, false)
	}
	return d.markSent(ctx, o)
}

// claim takes e-mail or SMS row id for one attempt: it must be pending and not held by a live claim.
// Taking it counts the attempt, so an attempt that crashes the worker still counts.
func (d *Deliverer) claim(ctx context.Context, id int64) (*Outbox, bool, error) {
	now := d.now().UTC()
	o := new(Outbox)
	err := d.db.NewUpdate().Model(o).
		Set("claimed_until = ?", now.Add(claimLease)).
		Set("attempts = attempts + 1").
		Where("id = ?", id).
		Where("channel <> ?", Inbox).
		Where("status = ?", StatusPending).
		Where("(claimed_until IS NULL OR claimed_until < ?)", now).
		Returning("*").
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("claiming outbox row %d: %w", id, err)
	}
	return o, true, nil
}

// renderRow renders the message of o; an error means o can never be delivered.
func renderRow(o *Outbox) (subject, body string, err error) {
	// A text message to a number (SendSMS) has no account; any other message lost its recipient.
	if o.UserID == nil && !templates[o.Template].ToNumber {
		return "", "", errors.New("the recipient's account was deleted")
	}
	return render(o.Template, o.Locale, o.Data)
}

// markSent records a message that left through e-mail or SMS. It runs even if ctx was cancelled in
// the meantime: the message is out, and saying so prevents a second copy.
func (d *Deliverer) markSent(ctx context.Context, o *Outbox) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := d.now().UTC()
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Only status is checked: whoever sent first marks the row, even after losing the claim.
		if _, err := tx.NewUpdate().Model((*Outbox)(nil)).
			Set("status = ?", StatusDelivered).
			Set("delivered_at = ?", now).
			Set("claimed_until = NULL").
			Set("last_error = ''").
			Where("id = ?", o.ID).
			Where("status = ?", StatusPending).
			Exec(ctx); err != nil {
			return fmt.Errorf("marking outbox row %d delivered: %w", o.ID, err)
		}
		return insertDelivery(ctx, tx, o, now, nil)
	})
	if err != nil {
		// The message went out but is not recorded: a retry may send it again (at least once).
		return fmt.Errorf("recording the delivery of outbox row %d by %s: %w", o.ID, o.Channel, err)
	}
	return nil
}

// fail records a failed attempt and releases the claim so that the retry can take the row at once.
// The row fails for good when cause is permanent or the attempts are used up; the returned error then
// wraps asynq.SkipRetry so that asynq stops too. A row another worker has taken over meanwhile is
// left alone and the task ends quietly.
func (d *Deliverer) fail(ctx context.Context, o *Outbox, cause error, permanent bool) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := d.now().UTC()
	status := StatusPending
	if permanent || o.Attempts >= d.maxAttempts {
		status = StatusFailed
	}
	msg := truncate(cause.Error(), maxErrorLen)
	var superseded bool
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := insertDelivery(ctx, tx, o, now, cause); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*Outbox)(nil)).
			Set("status = ?", status).
			Set("last_error = ?", msg).
			Set("claimed_until = NULL").
			Where("id = ?", o.ID).
			Where("status = ?", StatusPending).
			Where("attempts = ?", o.Attempts).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("recording the failure of outbox row %d: %w", o.ID, err)
		}
		n, err := res.RowsAffected()
		superseded = n == 0
		return err
	})
	switch {
	case err != nil:
		return fmt.Errorf("delivering outbox row %d: %w (and recording that failed: %w)", o.ID, cause, err)
	case superseded:
		return nil
	case status == StatusFailed:
		return fmt.Errorf("delivering outbox row %d by %s failed for good after %d attempts: %w",
			o.ID, o.Channel, o.Attempts, errors.Join(cause, asynq.SkipRetry))
	default:
		return fmt.Errorf("delivering outbox row %d by %s, attempt %d of %d: %w",
			o.ID, o.Channel, o.Attempts, d.maxAttempts, cause)
	}
}

func insertDelivery(ctx context.Context, tx bun.Tx, o *Outbox, at time.Time, cause error) error {
	dl := &Delivery{OutboxID: o.ID, Attempt: o.Attempts, At: at, OK: cause == nil}
	if cause != nil {
		dl.Error = truncate(cause.Error(), maxErrorLen)
	}
	if _, err := tx.NewInsert().Model(dl).Exec(ctx); err != nil {
		return fmt.Errorf("writing the delivery ledger of outbox row %d: %w", o.ID, err)
	}
	return nil
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
