package accounts

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/uptrace/bun"
)

// Secret returns the random secret kept in the settings table under name, generating it on first
// use, so that every process on the database shares it. Two processes generating one at once agree
// on whichever was stored first.
func Secret(ctx context.Context, db bun.IDB, name string) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generating secret %s: %w", name, err)
	}
	fresh := base64.RawStdEncoding.EncodeToString(b)
	if _, err := db.NewInsert().Model(&map[string]any{"name": name, "value": fresh}).TableExpr("settings").
		On("CONFLICT (name) DO NOTHING").Exec(ctx); err != nil {
		return nil, fmt.Errorf("storing secret %s: %w", name, err)
	}
	var stored string
	if err := db.NewSelect().TableExpr("settings").Column("value").Where("name = ?", name).Scan(ctx, &stored); err != nil {
		return nil, fmt.Errorf("reading secret %s: %w", name, err)
	}
	return []byte(stored), nil
}
