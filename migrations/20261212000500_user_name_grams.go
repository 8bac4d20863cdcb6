package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/nameindex"
)

// The users' name index: each character and each pair of adjacent characters of the name people read
// for each user (nameindex.Users), so that the staff's case search finds the cases of an applicant by
// two characters of their name without reading every user. Accounts add a user's grams in the
// statement after the one that writes the user; this migration builds them, in SQL, for the users
// already there. Users are not deleted by the service, and no name is changed: no index by user_id.
func init() {
	all.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			s := `CREATE TABLE user_name_grams (
				bigram  TEXT NOT NULL,
				user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
				PRIMARY KEY (bigram, user_id)
			)`
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", firstLine(s), err)
			}
			return nameindex.Users.Rebuild(ctx, tx)
		})
	}, statements(
		`DROP TABLE user_name_grams`,
	))
}
