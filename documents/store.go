package documents

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// file is a row of document_files: a rendered PDF, stored once by its SHA-256 and never changed.
type file struct {
	bun.BaseModel `bun:"table:document_files"`

	SHA256    string `bun:"sha256,pk"`
	Content   []byte
	Size      int64
	CreatedAt time.Time
}

// storeFile stores the PDF in tx under its SHA-256 (once: the same bytes again are the same row) and
// returns the hash.
func storeFile(ctx context.Context, tx bun.IDB, pdf []byte, now time.Time) (string, error) {
	sum := sha256.Sum256(pdf)
	h := hex.EncodeToString(sum[:])
	f := &file{SHA256: h, Content: pdf, Size: int64(len(pdf)), CreatedAt: now}
	if _, err := tx.NewInsert().Model(f).On("CONFLICT (sha256) DO NOTHING").Exec(ctx); err != nil {
		return "", fmt.Errorf("storing document file %s: %w", h, err)
	}
	return h, nil
}

// File returns the stored PDF with the hash.
func File(ctx context.Context, db bun.IDB, sha string) ([]byte, error) {
	if sha == "" {
		return nil, ErrNoFile
	}
	var content []byte
	err := db.NewSelect().Model((*file)(nil)).Column("content").Where("sha256 = ?", sha).Scan(ctx, &content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoFile
	}
	if err != nil {
		return nil, fmt.Errorf("reading document file %s: %w", sha, err)
	}
	return content, nil
}
