package catalog

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/forms"
)

// ErrUnknownVersion means that no definition with the hash was ever stored.
var ErrUnknownVersion = errors.New("unknown catalog version")

// definition is what a version holds: the item with every form it uses, so that a change in a shared
// form makes a new version of each item that uses it.
type definition struct {
	Item  Item                   `json:"item"`
	Forms map[string]*forms.Form `json:"forms"`
}

// hashItem returns the version hash of a resolved item (item and forms) and the canonical JSON it is
// computed from. encoding/json writes struct fields in order and map keys sorted, so equal
// definitions give equal bytes; positions (Line, Source) are not part of it.
func hashItem(it *Item) (string, []byte, error) {
	d := definition{Item: *it, Forms: it.Forms}
	d.Item.Hash = ""
	b, err := json.Marshal(d)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), b, nil
}

// versionRow is a row of catalog_versions.
type versionRow struct {
	bun.BaseModel `bun:"table:catalog_versions"`

	Hash       string    `bun:"hash,pk"`
	ItemCode   string    `bun:"item_code"`
	Source     string    `bun:"source"`
	Definition string    `bun:"definition"`
	LoadedAt   time.Time `bun:"loaded_at"`
}

// versionCache holds definitions read back by hash; versions never change, so entries never expire.
var versionCache sync.Map // hash → *Item

// Store records the definition of every item as a version, unless a version with the same hash is
// stored already, so that cases can be pinned to it. Call it at start-up after Load.
func (c *Catalog) Store(ctx context.Context, db bun.IDB) error {
	if len(c.codes) == 0 {
		return nil
	}
	now := time.Now().UTC()
	rows := make([]versionRow, 0, len(c.codes))
	for _, it := range c.Items() {
		_, b, err := hashItem(it)
		if err != nil {
			return fmt.Errorf("encoding item %s: %w", it.Code, err)
		}
		rows = append(rows, versionRow{Hash: it.Hash, ItemCode: it.Code, Source: it.Source, Definition: string(b), LoadedAt: now})
	}
	if _, err := db.NewInsert().Model(&rows).On("CONFLICT (hash) DO NOTHING").Exec(ctx); err != nil {
		return fmt.Errorf("storing catalog versions: %w", err)
	}
	for _, it := range c.Items() {
		versionCache.LoadOrStore(it.Hash, it)
	}
	return nil
}

// Version returns the definition stored under hash: the one a case pinned to it runs on, even after
// the file changed. The item is shared between callers and must not be changed.
func Version(ctx context.Context, db bun.IDB, hash string) (*Item, error) {
	if it, ok := versionCache.Load(hash); ok {
		return it.(*Item), nil
	}
	var row versionRow
	err := db.NewSelect().Model(&row).Where("hash = ?", hash).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("catalog version %s: %w", hash, ErrUnknownVersion)
	}
	if err != nil {
		return nil, fmt.Errorf("reading catalog version %s: %w", hash, err)
	}
	var d definition
	if err := json.Unmarshal([]byte(row.Definition), &d); err != nil {
		return nil, fmt.Errorf("decoding catalog version %s: %w", hash, err)
	}
	it := &d.Item
	it.Hash, it.Source, it.Forms = row.Hash, row.Source, d.Forms
	if it.Forms == nil {
		it.Forms = map[string]*forms.Form{}
	}
	actual, _ := versionCache.LoadOrStore(hash, it)
	return actual.(*Item), nil
}

// VersionInfo describes one stored version of an item.
type VersionInfo struct {
	Hash     string    `bun:"hash" json:"hash"`
	Source   string    `bun:"source" json:"source"`
	LoadedAt time.Time `bun:"loaded_at" json:"loaded_at"` // when this definition was first loaded
	// OpenCases counts the cases pinned to the version that are not closed.
	OpenCases int `bun:"open_cases" json:"open_cases"`
}

// Versions lists the stored versions of the item with the given code, oldest first, with the number
// of open cases on each, so that an administrator sees which old definitions are still in use.
func Versions(ctx context.Context, db bun.IDB, code string) ([]VersionInfo, error) {
	var out []VersionInfo
	err := db.NewRaw(`SELECT v.hash, v.source, v.loaded_at,
			(SELECT COUNT(*) FROM cases c WHERE c.version_hash = v.hash AND c.closed_at IS NULL) AS open_cases
		FROM catalog_versions v WHERE v.item_code = ? ORDER BY v.loaded_at, v.hash`, code).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("listing the versions of item %s: %w", code, err)
	}
	return out, nil
}
