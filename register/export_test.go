package register

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/nameindex"
)

// SearchSQL is the statement Search runs for the first page of q, for tests that explain its plan.
func SearchSQL(ctx context.Context, db bun.IDB, q Query) (string, error) {
	if err := q.check(); err != nil {
		return "", err
	}
	grams, err := nameindex.Lookup(ctx, db, q.Q)
	if err != nil {
		return "", err
	}
	return searchPage(db, q, grams, &[]searchRow{}, DefaultPerPage, 0).String(), nil
}
