package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// batchSize bounds the rows of one INSERT and the users of one lookup, under SQLite's limit on
// bound parameters (an outbox row binds nine).
const batchSize = 500

// SendMany writes the outbox rows of many messages inside tx, as Send does for one, but reading the
// recipients and inserting the rows a batch at a time: what a campaign notifying thousands of
// organisations at once needs to stay within a transaction of seconds. Messages to users that no
// longer exist are left out.
func SendMany(ctx context.Context, tx bun.IDB, msgs []Message) error {
	for start := 0; start < len(msgs); start += batchSize {
		batch := msgs[start:min(start+batchSize, len(msgs))]
		ids := make([]int64, 0, len(batch))
		for _, m := range batch {
			if s, ok := templates[m.Template]; !ok || s.ToNumber {
				return fmt.Errorf("notification template %q does not exist or is for text messages to a number", m.Template)
			}
			ids = append(ids, m.UserID)
		}
		var users []recipient
		if err := tx.NewSelect().Model(&users).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
			return fmt.Errorf("reading %d recipients: %w", len(ids), err)
		}
		byID := make(map[int64]recipient, len(users))
		for _, u := range users {
			byID[u.ID] = u
		}
		now := time.Now().UTC()
		rows := make([]Outbox, 0, 2*len(batch))
		for _, m := range batch {
			u, ok := byID[m.UserID]
			if !ok {
				continue
			}
			rows = append(rows, outboxRows(u, m, now)...)
		}
		for i := 0; i < len(rows); i += batchSize {
			chunk := rows[i:min(i+batchSize, len(rows))]
			if _, err := tx.NewInsert().Model(&chunk).Exec(ctx); err != nil {
				return fmt.Errorf("writing %d outbox rows: %w", len(chunk), err)
			}
		}
	}
	return nil
}
