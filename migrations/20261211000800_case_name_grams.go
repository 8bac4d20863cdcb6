package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/nameindex"
)

// The cases' name index: each character and each pair of adjacent characters of the organisation's
// name of every case (cases.org_name), so that the staff's case search finds a case by two characters
// of the name without reading every case of its scope (see nameindex). The engine adds a case's grams
// in the transaction that starts the case or changes its name; this migration builds them for the
// cases already there. Each row repeats the case's jurisdiction (which never changes) after the gram,
// so that a search within a city reads only the city's grams. Cases are never deleted: no index by
// case_id.
func init() {
	all.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			s := `CREATE TABLE case_name_grams (
				bigram       TEXT NOT NULL,
				jurisdiction TEXT NOT NULL,
				case_id      BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
				PRIMARY KEY (bigram, jurisdiction, case_id)
			)`
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", firstLine(s), err)
			}
			return nameindex.Cases.Rebuild(ctx, tx)
		})
	}, statements(
		`DROP TABLE case_name_grams`,
	))
}
