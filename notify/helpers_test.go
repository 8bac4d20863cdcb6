package notify

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/stacktest"
)

// newFakeClock is the clock the notification tests start from.
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

// addUser inserts a user and returns its id.
func addUser(t testing.TB, db bun.IDB, login, locale, email, phone string) int64 {
	t.Helper()
	now := time.Now().UTC()
	u := &testUser{Login: login, PasswordHash: "x", Locale: locale, Email: email, Phone: phone, CreatedAt: now, UpdatedAt: now}
	if _, err := db.NewInsert().Model(u).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// sendMessage writes the outbox rows of m in a transaction and returns them, by channel.
func sendMessage(t *testing.T, db *bun.DB, m Message) map[Channel]Outbox {
	t.Helper()
	ctx := context.Background()
	var before int64
	if err := db.NewSelect().Model((*Outbox)(nil)).ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &before); err != nil {
		t.Fatal(err)
	}
	if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return Send(ctx, tx, m) }); err != nil {
		t.Fatal(err)
	}
	var rows []Outbox
	if err := db.NewSelect().Model(&rows).Where("id > ?", before).OrderExpr("id").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	out := make(map[Channel]Outbox, len(rows))
	for _, r := range rows {
		out[r.Channel] = r
	}
	return out
}

func roleGranted(userID int64, channels ...Channel) Message {
	return Message{UserID: userID, Template: "role_granted", Channels: channels,
		Data: map[string]any{"jurisdiction": "东城区", "role": "reviewer"}}
}

func getOutbox(t *testing.T, db bun.IDB, id int64) Outbox {
	t.Helper()
	var o Outbox
	if err := db.NewSelect().Model(&o).Where("id = ?", id).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return o
}

func count(t testing.TB, db bun.IDB, table, where string, args ...any) int {
	t.Helper()
	n, err := db.NewSelect().TableExpr(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// fakeSender records what it is asked to send and fails with err while err is set.
type fakeSender struct {
	mu   sync.Mutex
	sent []sentMessage
	err  error
}

type sentMessage struct{ Address, Subject, Body string }

func (f *fakeSender) Send(_ context.Context, address, subject, body string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, sentMessage{address, subject, body})
	return f.err
}

func (f *fakeSender) calls() []sentMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentMessage(nil), f.sent...)
}

var errSMTPDown = errors.New("421 service not available")
