package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/statistics/closed"
)

// The figures of closed cases per jurisdiction, service item and month of receipt in China
// ('YYYY-MM', issue 14): a closed case's figures never change, so the statistics add up these rows
// and count only the open cases, and the ends of a period that are not whole months, from table
// cases. The engine adds a case in the transaction that closes it; this migration counts the cases
// already closed. The rest is read from indexes alone: the open cases by jurisdiction, item and
// receipt (with the id that finds their clocks), and the running clocks by statutory due date (with
// their case), overdue when it is before today.
func init() {
	all.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, s := range []string{
				`CREATE TABLE statistics_closed (
					jurisdiction     TEXT NOT NULL,
					item_code        TEXT NOT NULL,
					month            TEXT NOT NULL,
					finished         INTEGER NOT NULL,
					within_promised  INTEGER NOT NULL,
					within_statutory INTEGER NOT NULL,
					PRIMARY KEY (jurisdiction, item_code, month)
				)`,
				`CREATE INDEX cases_open_statistics ON cases (jurisdiction, item_code, created_at, id) WHERE closed_at IS NULL`,
				`CREATE INDEX case_clocks_running_due ON case_clocks (statutory_due, case_id) WHERE status = 'running' AND statutory_due <> ''`,
			} {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return fmt.Errorf("%s: %w", firstLine(s), err)
				}
			}
			return closed.Rebuild(ctx, tx)
		})
	}, statements(
		`DROP INDEX case_clocks_running_due`,
		`DROP INDEX cases_open_statistics`,
		`DROP TABLE statistics_closed`,
	))
}
