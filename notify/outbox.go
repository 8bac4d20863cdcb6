// Package notify delivers notifications that are never lost. A change that causes a message writes
// outbox rows in its own transaction (Send). The relay delivers in-app messages itself, a batch per
// transaction, exactly once (Deliverer.DeliverInbox); it enqueues an asynq task per batch of e-mail
// and SMS rows, with a task id derived from the rows so that enqueueing twice is harmless, and the
// worker claims the batch, sends it and records the deliveries in one transaction. Rows still unsent after a while are enqueued again, so a Redis that
// loses a task loses no message: the outbox is the truth.
package notify

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Channel is a way of reaching a user.
type Channel string

// The channels CivicFlow delivers to.
const (
	Inbox Channel = "inbox" // the in-app "my messages" page
	Email Channel = "email"
	SMS   Channel = "sms"
)

// Status of an outbox row.
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
)

// Outbox is one message to deliver on one channel.
type Outbox struct {
	bun.BaseModel `bun:"table:outbox"`

	ID           int64          `bun:",pk,autoincrement" json:"id"`
	CreatedAt    time.Time      `json:"created_at"`
	Channel      Channel        `json:"channel"`
	UserID       *int64         `json:"user_id,omitempty"`
	Address      string         `json:"address,omitempty"`
	Locale       string         `json:"locale"`
	Template     string         `json:"template"`
	Data         map[string]any `json:"data,omitempty"`
	Status       string         `json:"status"`
	Attempts     int            `json:"attempts"`
	EnqueuedAt   *time.Time     `json:"enqueued_at,omitempty"`
	ClaimedUntil *time.Time     `json:"-"`
	DeliveredAt  *time.Time     `json:"delivered_at,omitempty"`
	LastError    string         `json:"last_error,omitempty"`
}

// Message is a notification to one user, rendered from a template in the user's language.
type Message struct {
	UserID   int64
	Template string         // a template name of this package, e.g. "role_granted"
	Data     map[string]any // values the template uses
	// Channels to use; empty means the inbox plus e-mail and SMS where the user has an address.
	Channels []Channel
	// Phone, when set, receives the SMS instead of the user's own number: the mobile number given for
	// one matter (the one an appointment was booked with).
	Phone string
}

type recipient struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64
	Locale        string
	Email         string
	Phone         string
}

// Send writes the outbox rows of m inside tx, the transaction of the change that causes the message,
// so that the message exists exactly when the change does. A channel the user has no address for is
// left out. One INSERT … SELECT reads the user's locale and addresses and writes the rows, the same
// rows outboxRows makes for SendMany.
func Send(ctx context.Context, tx bun.IDB, m Message) error {
	if s, ok := templates[m.Template]; !ok || s.ToNumber {
		return fmt.Errorf("notification template %q does not exist or is for text messages to a number", m.Template)
	}
	channels := m.Channels
	if len(channels) == 0 {
		channels = []Channel{Inbox, Email, SMS}
	}
	each := make([]string, len(channels))
	args := []any{time.Now().UTC(), m.Phone, m.Template, m.Data, StatusPending}
	for i, ch := range channels {
		each[i] = "SELECT CAST(? AS TEXT) AS channel"
		args = append(args, string(ch))
	}
	args = append(args, m.UserID, m.Phone)
	// The address of each channel: none for the inbox, which every user has.
	address := `CASE ch.channel WHEN 'email' THEN u.email WHEN 'sms' THEN COALESCE(NULLIF(?, ''), u.phone) ELSE '' END`
	res, err := tx.NewRaw(`INSERT INTO outbox (created_at, channel, user_id, address, locale, template, data, status, attempts)
		SELECT ?, ch.channel, u.id, `+address+`, u.locale, ?, ?, ?, 0
		FROM users AS u CROSS JOIN (`+strings.Join(each, " UNION ALL ")+`) AS ch
		WHERE u.id = ? AND (ch.channel = 'inbox' OR `+address+` <> '')`, args...).Exec(ctx)
	if err != nil {
		return fmt.Errorf("writing outbox for user %d: %w", m.UserID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 && slices.Contains(channels, Inbox) {
		return fmt.Errorf("writing outbox for user %d: no such user", m.UserID)
	}
	return nil
}

// outboxRows are the rows of m to u: one per channel of the message (the inbox, e-mail and SMS when
// it names none) that the user has an address for.
func outboxRows(u recipient, m Message, now time.Time) []Outbox {
	channels := m.Channels
	if len(channels) == 0 {
		channels = []Channel{Inbox, Email, SMS}
	}
	var rows []Outbox
	for _, ch := range channels {
		addr := ""
		switch ch {
		case Email:
			addr = u.Email
		case SMS:
			addr = cmp.Or(m.Phone, u.Phone)
		}
		if ch != Inbox && addr == "" {
			continue
		}
		uid := u.ID
		rows = append(rows, Outbox{CreatedAt: now, Channel: ch, UserID: &uid, Address: addr, Locale: u.Locale,
			Template: m.Template, Data: m.Data, Status: StatusPending})
	}
	return rows
}

// SendSMS writes, inside tx, a text message to a mobile number that need not belong to an account
// (the code that confirms a number at sign-up), rendered in locale, with a template marked ToNumber.
// It has no inbox copy.
func SendSMS(ctx context.Context, tx bun.IDB, phone, locale, template string, data map[string]any) error {
	return sendTo(ctx, tx, SMS, phone, locale, template, data)
}

// SendEmail writes, inside tx, an e-mail to an address that need not belong to an account (the
// contact an asker without one gave), like SendSMS.
func SendEmail(ctx context.Context, tx bun.IDB, address, locale, template string, data map[string]any) error {
	return sendTo(ctx, tx, Email, address, locale, template, data)
}

// sendTo writes the outbox row of a message on ch to an address that need not belong to an account.
func sendTo(ctx context.Context, tx bun.IDB, ch Channel, address, locale, template string, data map[string]any) error {
	if !templates[template].ToNumber {
		return fmt.Errorf("notification template %q does not exist or is not for messages to an address", template)
	}
	row := &Outbox{CreatedAt: time.Now().UTC(), Channel: ch, Address: address, Locale: templateLocale(locale),
		Template: template, Data: data, Status: StatusPending}
	if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
		return fmt.Errorf("writing outbox for a message to an address: %w", err)
	}
	return nil
}
