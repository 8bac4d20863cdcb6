package register

import (
	"context"

	"github.com/uptrace/bun"
)

// SearchSQL is the statement Search runs for q, for tests that explain its plan.
func SearchSQL(ctx context.Context, db bun.IDB, q Query) (string, error) {
	if err := q.check(); err != nil {
		return "", err
	}
	grams, err := rarestGrams(ctx, db, queryGrams(q.Q))
	if err != nil {
		return "", err
	}
	return searchQuery(db, q, grams, &[]Organisation{}).String(), nil
}
