package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/sequences"
)

// Every case's query code, which lets anyone holding the case number and the code look the case's
// progress up without logging in (workflow.Progress). New cases get one when they start; this
// migration gives one of the same length to each case already there.
func init() {
	all.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE cases ADD COLUMN query_code TEXT`); err != nil {
				return fmt.Errorf("adding cases.query_code: %w", err)
			}
			var ids []int64
			if err := tx.NewSelect().Table("cases").Column("id").Scan(ctx, &ids); err != nil {
				return fmt.Errorf("listing cases without a query code: %w", err)
			}
			for _, id := range ids {
				if _, err := tx.ExecContext(ctx, `UPDATE cases SET query_code = ? WHERE id = ?`, sequences.Code(6), id); err != nil {
					return fmt.Errorf("giving case %d a query code: %w", id, err)
				}
			}
			return nil
		})
	}, statements(
		`ALTER TABLE cases DROP COLUMN query_code`,
	))
}
