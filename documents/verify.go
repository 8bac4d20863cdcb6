package documents

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// Verification is what anyone learns of a document from its verification code: nothing of the case
// and, for a private person, not the full name.
type Verification struct {
	Code     string    `json:"code"`
	Kind     string    `json:"kind"`
	Title    string    `json:"title"`
	Number   string    `json:"number"`
	IssuedAt time.Time `json:"issued_at"`
	Holder   string    `json:"holder"`
	Status   string    `json:"status"` // valid, superseded or revoked
	// SupersededBy is the number of the document that replaced this one.
	SupersededBy string `json:"superseded_by,omitempty"`
	SHA256       string `json:"sha256"`
	// SignatureValid reports whether the stored signature is the installation's over the particulars.
	SignatureValid bool `json:"signature_valid"`
	// Particulars is the canonical JSON the signature covers, for checking it with the public key.
	Particulars string `json:"particulars"`
	Signature   string `json:"signature"`
	PublicKey   string `json:"public_key"`
}

// Known reports whether a document has the (normalised) verification code: what the lookup form
// needs before it sends the reader to the code's page, which verifies it.
func Known(ctx context.Context, db bun.IDB, code string) (bool, error) {
	known, err := db.NewSelect().Model((*workflow.Document)(nil)).Where("verify_code = ?", code).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("looking up a verification code: %w", err)
	}
	return known, nil
}

// Verify looks the document up by its code (as typed: case and dashes do not matter) and checks its
// signature. An unknown or malformed code is problem.ErrNotFound. It costs one indexed read and one
// Ed25519 verification, cheap enough to answer bursts from a public page.
func (is *Issuer) Verify(ctx context.Context, db bun.IDB, code string) (*Verification, error) {
	code, ok := NormaliseCode(code)
	if !ok {
		return nil, problem.ErrNotFound
	}
	d := new(workflow.Document)
	err := db.NewSelect().Model(d).Where("verify_code = ?", code).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("looking up a verification code: %w", err)
	}
	p := Particulars(d)
	v := &Verification{Code: code, Kind: d.Kind, Title: d.Title, Number: d.Number, IssuedAt: d.IssuedAt,
		Holder: d.Holder, Status: d.Status, SHA256: d.SHA256, SignatureValid: is.seal.Verify(p, d.Signature),
		Particulars: string(p), Signature: d.Signature, PublicKey: is.seal.PublicKey()}
	if d.HolderIsPerson {
		v.Holder = MaskNames(d.Holder)
	}
	if d.SupersededBy != nil {
		if err := db.NewSelect().Model((*workflow.Document)(nil)).Column("number").Where("id = ?", *d.SupersededBy).
			Scan(ctx, &v.SupersededBy); err != nil {
			return nil, fmt.Errorf("reading the document superseding %s: %w", d.Number, err)
		}
	}
	return v, nil
}

// Matches reports whether what r reads is exactly the PDF issued under the code, hashing it as it
// streams (an upload is not held in memory twice).
func (v *Verification) Matches(r io.Reader) (bool, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return false, fmt.Errorf("reading the file to check: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)) == v.SHA256, nil
}

// MaskNames masks each name of a list (张三、李四 → 张*、李*): the surname stays, so that the holder
// recognises it, and nobody else learns the full name.
func MaskNames(s string) string {
	parts := strings.Split(s, "、")
	for i, p := range parts {
		r := []rune(strings.TrimSpace(p))
		if len(r) > 1 {
			parts[i] = string(r[0]) + strings.Repeat("*", len(r)-1)
		}
	}
	return strings.Join(parts, "、")
}

// RecordDownload writes a staff member's download of a document to the audit log, as material
// downloads are: documents carry applicants' particulars.
func RecordDownload(ctx context.Context, db bun.IDB, actor audit.Actor, d *workflow.Document, jurisdiction string) error {
	return audit.RecordRead(ctx, db, actor, "document.download", "document", strconv.FormatInt(d.ID, 10), jurisdiction,
		map[string]any{"case_id": d.CaseID, "number": d.Number})
}
