package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
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

// DeliverBatch is how many e-mail and SMS rows one task delivers at most; sendConcurrency of them
// are sent at a time, since senders wait on SMTP and HTTP.
const (
	DeliverBatch    = 100
	sendConcurrency = 10
	// batchSendTime bounds the sending of one batch, so that its outcomes are recorded within the
	// claim: a row is never sent by two workers at once. It is at least sendTimeout.
	batchSendTime = claimLease - 2*recordTimeout
)

// Deliverer delivers outbox rows: in-app messages in batches (DeliverInbox, which the relay calls),
// e-mail and SMS in batches too, as the asynq handler of tasks.TypeDeliver. Redis may hand it a task
// twice, late, or after another worker died holding it; the outbox rows, claimed with a conditional
// update, decide who sends, so e-mail and SMS go out at least once.
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

// attempt is the outcome of sending one claimed row: err is nil when it went out; unsent rows were
// never handed to their sender (the batch was stopped first).
type attempt struct {
	row       *Outbox
	err       error
	permanent bool
	unsent    bool
}

// ProcessTask sends the e-mail and SMS outbox rows named by a tasks.TypeDeliver task: one UPDATE
// claims those still pending and not held by another worker (counting the attempt), they are sent
// sendConcurrency at a time, and one transaction records every outcome. It returns nil when every
// claimed row went out or failed for good (an error wrapping asynq.SkipRetry when some failed, for
// the log), and an error while some row failed for the time being or was not sent in the batch's
// time: asynq then retries the task with backoff, and the retry claims only the rows still pending.
func (d *Deliverer) ProcessTask(ctx context.Context, t *asynq.Task) error {
	p, err := tasks.ParseDeliver(t)
	if err != nil {
		return err
	}
	rows, err := d.claim(ctx, p.OutboxIDs)
	if err != nil || len(rows) == 0 {
		return err
	}
	attempts := d.sendAll(ctx, rows)
	if err := d.record(ctx, attempts); err != nil {
		// What went out is not recorded: a retry may send it again (at least once).
		return err
	}
	var retry, final []error
	for _, a := range attempts {
		switch {
		case a.unsent:
			// Given back when the batch's time ran out (a slow mail server): a retry sends them at
			// once rather than the relay in CIVICFLOW_REDELIVER_AFTER.
			retry = append(retry, fmt.Errorf("outbox row %d by %s: not sent within the batch's time: %w",
				a.row.ID, a.row.Channel, a.err))
		case a.err == nil:
		case a.permanent || a.row.Attempts >= d.maxAttempts:
			final = append(final, fmt.Errorf("outbox row %d by %s failed for good after %d attempts: %w",
				a.row.ID, a.row.Channel, a.row.Attempts, a.err))
		default:
			retry = append(retry, fmt.Errorf("outbox row %d by %s, attempt %d of %d: %w",
				a.row.ID, a.row.Channel, a.row.Attempts, d.maxAttempts, a.err))
		}
	}
	switch {
	case len(retry) > 0 || ctx.Err() != nil:
		return fmt.Errorf("delivering %d outbox rows: %w", len(rows), errors.Join(append(retry, append(final, ctx.Err())...)...))
	case len(final) > 0:
		return fmt.Errorf("delivering %d outbox rows: %w", len(rows), errors.Join(append(final, asynq.SkipRetry)...))
	}
	return nil
}

// claim takes those of e-mail and SMS rows ids that are pending and not held by a live claim, for
// one attempt each. Taking them counts the attempt, so an attempt that crashes the worker still
// counts.
func (d *Deliverer) claim(ctx context.Context, ids []int64) ([]Outbox, error) {
	now := d.now().UTC()
	var rows []Outbox
	err := d.db.NewUpdate().Model(&rows).
		Set("claimed_until = ?", now.Add(claimLease)).
		Set("attempts = attempts + 1").
		Where("id IN (?)", bun.List(ids)).
		Where("channel <> ?", Inbox).
		Where("status = ?", StatusPending).
		Where("(claimed_until IS NULL OR claimed_until < ?)", now).
		Returning("*").
		Scan(ctx)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("claiming %d outbox rows: %w", len(ids), err)
	}
	return rows, nil
}

// sendAll sends the claimed rows, sendConcurrency at a time, within batchSendTime. Once ctx ends
// (shutdown) no further row is handed to a sender.
func (d *Deliverer) sendAll(ctx context.Context, rows []Outbox) []attempt {
	ctx, cancel := context.WithTimeout(ctx, batchSendTime)
	defer cancel()
	out := make([]attempt, len(rows))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(sendConcurrency, len(rows)) {
		wg.Go(func() {
			for i := range next {
				out[i] = d.send(ctx, &rows[i])
			}
		})
	}
	for i := range rows {
		if ctx.Err() != nil {
			out[i] = attempt{row: &rows[i], err: ctx.Err(), unsent: true}
			continue
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// send renders and sends one claimed row.
func (d *Deliverer) send(ctx context.Context, o *Outbox) attempt {
	subject, body, err := renderRow(o)
	if err != nil {
		return attempt{row: o, err: err, permanent: true}
	}
	var sender Sender
	switch o.Channel {
	case Email:
		sender = d.senders.Email
	case SMS:
		sender = d.senders.SMS
	default:
		return attempt{row: o, err: fmt.Errorf("unknown channel %q", o.Channel), permanent: true}
	}
	if o.Address == "" {
		return attempt{row: o, err: fmt.Errorf("no %s address", o.Channel), permanent: true}
	}
	sctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	return attempt{row: o, err: sender.Send(sctx, o.Address, subject, body)}
}

// renderRow renders the message of o; an error means o can never be delivered.
func renderRow(o *Outbox) (subject, body string, err error) {
	// A text message to a number (SendSMS) has no account; any other message lost its recipient.
	if o.UserID == nil && !templates[o.Template].ToNumber {
		return "", "", errors.New("the recipient's account was deleted")
	}
	return render(o.Template, o.Locale, o.Data)
}

// record writes the outcomes of a batch in one transaction: one UPDATE marks the rows that went out
// delivered, one per failed row records its error (failed for good when permanent or out of
// attempts, else pending with the claim released for the retry), one gives the unsent rows back
// uncounted, and one INSERT writes the ledger of the attempts. It runs even if ctx was cancelled
// meanwhile: a message that went out must be recorded, or it would be sent again.
func (d *Deliverer) record(ctx context.Context, attempts []attempt) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	now := d.now().UTC()
	var sent, unsent []int64
	ledger := make([]Delivery, 0, len(attempts))
	for _, a := range attempts {
		switch {
		case a.unsent:
			unsent = append(unsent, a.row.ID)
			continue
		case a.err == nil:
			sent = append(sent, a.row.ID)
		}
		dl := Delivery{OutboxID: a.row.ID, Attempt: a.row.Attempts, At: now, OK: a.err == nil}
		if a.err != nil {
			dl.Error = truncate(a.err.Error(), maxErrorLen)
		}
		ledger = append(ledger, dl)
	}
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// Only status is checked: whoever sent first marks the row, even after losing the claim.
		if len(sent) > 0 {
			if _, err := tx.NewUpdate().Model((*Outbox)(nil)).
				Set("status = ?", StatusDelivered).
				Set("delivered_at = ?", now).
				Set("claimed_until = NULL").
				Set("last_error = ''").
				Where("id IN (?)", bun.List(sent)).
				Where("status = ?", StatusPending).
				Exec(ctx); err != nil {
				return fmt.Errorf("marking %d outbox rows delivered: %w", len(sent), err)
			}
		}
		for _, a := range attempts {
			if a.err == nil || a.unsent {
				continue
			}
			status := StatusPending
			if a.permanent || a.row.Attempts >= d.maxAttempts {
				status = StatusFailed
			}
			// A row another worker has taken over meanwhile (attempts moved on) is left alone.
			if _, err := tx.NewUpdate().Model((*Outbox)(nil)).
				Set("status = ?", status).
				Set("last_error = ?", truncate(a.err.Error(), maxErrorLen)).
				Set("claimed_until = NULL").
				Where("id = ?", a.row.ID).
				Where("status = ?", StatusPending).
				Where("attempts = ?", a.row.Attempts).
				Exec(ctx); err != nil {
				return fmt.Errorf("recording the failure of outbox row %d: %w", a.row.ID, err)
			}
		}
		// The claim of unsent rows is still ours (batchSendTime ends within it): no one else took them.
		if len(unsent) > 0 {
			if _, err := tx.NewUpdate().Model((*Outbox)(nil)).
				Set("attempts = attempts - 1").
				Set("claimed_until = NULL").
				Where("id IN (?)", bun.List(unsent)).
				Where("status = ?", StatusPending).
				Exec(ctx); err != nil {
				return fmt.Errorf("giving back %d unsent outbox rows: %w", len(unsent), err)
			}
		}
		if len(ledger) == 0 {
			return nil
		}
		if _, err := tx.NewInsert().Model(&ledger).Exec(ctx); err != nil {
			return fmt.Errorf("writing the delivery ledger of %d outbox rows: %w", len(ledger), err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording the delivery of %d outbox rows: %w", len(attempts), err)
	}
	return nil
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
