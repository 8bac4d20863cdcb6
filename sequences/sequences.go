// Package sequences hands out numbers from named counters kept in the table sequences: case numbers,
// organisation codes and anything else that must be unique and gap-free within the installation.
package sequences

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
)

// Next increments the counter called name and returns its new value, starting at 1 for a name never
// used. Call it inside the transaction whose rows carry the number: the counter row stays locked
// until that transaction ends, so concurrent callers get distinct values in order, and a rollback
// gives the number back (no gaps). Keep such transactions short, since they queue behind each other.
// The single upsert works on PostgreSQL and on SQLite ≥ 3.35.
func Next(ctx context.Context, db bun.IDB, name string) (int64, error) {
	if name == "" {
		return 0, errors.New("sequences: empty sequence name")
	}
	var value int64
	err := db.NewRaw(`INSERT INTO sequences (name, value) VALUES (?, 1)
		ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1
		RETURNING value`, name).Scan(ctx, &value)
	if err != nil {
		return 0, fmt.Errorf("advancing sequence %s: %w", name, err)
	}
	return value, nil
}
