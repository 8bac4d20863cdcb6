package migrations

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/nameindex"
)

// The register's name index: each character and each pair of adjacent characters of every
// organisation's name, so that the public register finds a name by two characters of it without
// reading the whole table (see register/search.go for why not trigrams). The application keeps it in
// the transaction that writes a name; this migration builds it for the organisations already there.
func init() {
	all.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, s := range []string{
				`CREATE TABLE org_name_bigrams (
					bigram          TEXT NOT NULL,
					organisation_id BIGINT NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,
					PRIMARY KEY (bigram, organisation_id)
				)`,
				`CREATE INDEX org_name_bigrams_organisation ON org_name_bigrams (organisation_id)`,
			} {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return fmt.Errorf("%s: %w", firstLine(s), err)
				}
			}
			return nameindex.Organisations.Rebuild(ctx, tx)
		})
	}, statements(
		`DROP TABLE org_name_bigrams`,
	))
}
