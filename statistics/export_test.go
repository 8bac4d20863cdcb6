package statistics

import (
	"context"

	"github.com/uptrace/bun"
)

// ComputeFromCases is Compute counting every case from table cases, statistics_closed unread: what
// the figures must equal.
var ComputeFromCases = func(ctx context.Context, db bun.IDB, f Filter, today string) ([]Row, error) {
	return figures(ctx, db, f, today, false)
}
