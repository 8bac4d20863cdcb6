package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/problem"
)

// maxList bounds every list this package returns.
const maxList = 500

// InboxMessage is one message in a user's in-app inbox ("my messages").
type InboxMessage struct {
	bun.BaseModel `bun:"table:messages"`

	ID        int64      `bun:",pk,autoincrement" json:"id"`
	UserID    int64      `json:"-"`
	OutboxID  int64      `bun:"outbox_id" json:"-"`
	Subject   string     `json:"subject"`
	Body      string     `json:"body"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

func clampLimit(limit int) int64 {
	if limit <= 0 || limit > maxList {
		return maxList
	}
	return int64(limit)
}

// ListMessages returns the newest limit messages of userID's inbox, newest first.
func ListMessages(ctx context.Context, db bun.IDB, userID int64, limit int) ([]InboxMessage, error) {
	var out []InboxMessage
	if err := db.NewSelect().Model(&out).
		Where("user_id = ?", userID).
		OrderExpr("created_at DESC, id DESC").
		Limit(clampLimit(limit)).
		Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the messages of user %d: %w", userID, err)
	}
	return out, nil
}

// UnreadCount is the number of unread messages in userID's inbox, for the badge on every page.
func UnreadCount(ctx context.Context, db bun.IDB, userID int64) (int, error) {
	n, err := db.NewSelect().Model((*InboxMessage)(nil)).
		Where("user_id = ?", userID).
		Where("read_at IS NULL").
		Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("counting the unread messages of user %d: %w", userID, err)
	}
	return int(n), nil
}

// MarkRead marks message messageID of userID read; marking it again keeps the first time. A message
// that is not userID's is reported as problem.ErrNotFound, the same as one that does not exist, so
// that ids of other users' messages reveal nothing.
func MarkRead(ctx context.Context, db bun.IDB, userID, messageID int64) error {
	res, err := db.NewUpdate().Model((*InboxMessage)(nil)).
		Set("read_at = COALESCE(read_at, ?)", time.Now().UTC()).
		Where("id = ?", messageID).
		Where("user_id = ?", userID).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("marking message %d of user %d read: %w", messageID, userID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("marking message %d of user %d read: %w", messageID, userID, err)
	}
	if n == 0 {
		return problem.ErrNotFound
	}
	return nil
}

// ListFailed returns the newest limit messages that failed for good, for the administrators' view of
// undelivered notifications.
func ListFailed(ctx context.Context, db bun.IDB, limit int) ([]Outbox, error) {
	var out []Outbox
	if err := db.NewSelect().Model(&out).
		Where("status = ?", StatusFailed).
		OrderExpr("id DESC").
		Limit(clampLimit(limit)).
		Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing failed notifications: %w", err)
	}
	return out, nil
}

// ListDeliveries returns every delivery attempt of outbox row outboxID, in order.
func ListDeliveries(ctx context.Context, db bun.IDB, outboxID int64) ([]Delivery, error) {
	var out []Delivery
	if err := db.NewSelect().Model(&out).
		Where("outbox_id = ?", outboxID).
		OrderExpr("attempt, id").
		Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the deliveries of outbox row %d: %w", outboxID, err)
	}
	return out, nil
}
