// Package materials keeps the documents applicants upload for their applications. Uploads are
// checked by content, never by name or declared type; each is stored once under the SHA-256 of its
// bytes, and a row per upload links it to its owner, the service item and material slot, and, once
// the application is submitted, the case. Whether a caller may see a case, and so its materials, is
// decided by the web layer; this package serves the bytes and records staff downloads.
package materials

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/problem"
)

// Material is one upload: who sent it, for which item and slot, and which stored blob holds it.
type Material struct {
	bun.BaseModel `bun:"table:materials"`

	ID       int64  `bun:",pk,autoincrement" json:"id"`
	OwnerID  int64  `json:"owner_id"`
	ItemCode string `json:"item_code"`
	Slot     string `json:"slot"`
	// CaseID is nil until the upload is submitted with an application.
	CaseID      *int64    `json:"case_id,omitempty"`
	SHA256      string    `bun:"sha256" json:"sha256"`
	Size        int64     `json:"size"`
	ContentType string    `json:"content_type"`
	Filename    string    `json:"filename"`
	CreatedAt   time.Time `json:"created_at"`
}

// Get returns the material with id, or problem.ErrNotFound. It does not check who may see it.
func Get(ctx context.Context, db bun.IDB, id int64) (*Material, error) {
	m := new(Material)
	err := db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading material %d: %w", id, err)
	}
	return m, nil
}

// ForCase returns the materials of a case by slot, oldest first within a slot.
func ForCase(ctx context.Context, db bun.IDB, caseID int64) ([]Material, error) {
	out := []Material{}
	if err := db.NewSelect().Model(&out).Where("case_id = ?", caseID).OrderExpr("slot, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the materials of case %d: %w", caseID, err)
	}
	return out, nil
}

// Unlinked returns what ownerID uploaded for itemCode that is not yet part of a case, oldest first,
// so that a draft application can be resumed with its files.
func Unlinked(ctx context.Context, db bun.IDB, ownerID int64, itemCode string) ([]Material, error) {
	out := []Material{}
	err := db.NewSelect().Model(&out).Where("owner_id = ? AND item_code = ? AND case_id IS NULL", ownerID, itemCode).
		OrderExpr("id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing unsubmitted materials of user %d for %s: %w", ownerID, itemCode, err)
	}
	return out, nil
}

// errUnknownMaterial is the answer for any material that is not the applicant's to submit: absent,
// someone else's, another item's or already in another case look alike, so as to reveal nothing.
func errUnknownMaterial(ids []int64) error {
	list := make([]string, len(ids))
	for i, id := range ids {
		list[i] = strconv.FormatInt(id, 10)
	}
	var fe problem.Fields
	fe.Add("materials", "unknown_material",
		fmt.Sprintf("材料 %s 不存在或不属于本申请，请重新上传。", strings.Join(list, "、")),
		fmt.Sprintf("Material %s does not exist or does not belong to this application; please upload it again.", strings.Join(list, ", ")))
	return fe.Err()
}

// Link attaches the materials ids to caseID. Each must belong to ownerID and itemCode and be either
// unsubmitted or already in caseID; otherwise nothing is linked and the answer is an Invalid problem
// on the field "materials" (code "unknown_material"). The workflow engine calls it in the
// transaction that starts a case or takes a resubmission; on PostgreSQL the rows stay locked until
// that transaction ends, so two cases cannot claim the same upload.
func Link(ctx context.Context, tx bun.IDB, ownerID, caseID int64, itemCode string, ids []int64) error {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	var found []Material
	q := tx.NewSelect().Model(&found).Column("id", "owner_id", "item_code", "case_id").Where("id IN (?)", bun.List(ids))
	if database.IsPostgres(tx) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		return fmt.Errorf("reading materials to link to case %d: %w", caseID, err)
	}
	ok := map[int64]bool{}
	for _, m := range found {
		ok[m.ID] = m.OwnerID == ownerID && m.ItemCode == itemCode && (m.CaseID == nil || *m.CaseID == caseID)
	}
	var bad []int64
	for _, id := range ids {
		if !ok[id] {
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return errUnknownMaterial(bad)
	}
	res, err := tx.NewUpdate().Model((*Material)(nil)).Set("case_id = ?", caseID).
		Where("id IN (?) AND owner_id = ? AND item_code = ? AND (case_id IS NULL OR case_id = ?)", bun.List(ids), ownerID, itemCode, caseID).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("linking materials to case %d: %w", caseID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n != int64(len(ids)) {
		// Only possible if the rows changed between the read and the update: the caller rolls back.
		return errUnknownMaterial(ids)
	}
	return nil
}

// RecordDownload writes the audit entry "material.download" for a staff member's download of m, in
// the jurisdiction of its case, so that reads of applicants' documents can be traced.
func RecordDownload(ctx context.Context, db bun.IDB, actor audit.Actor, m *Material) error {
	jurisdiction := ""
	var caseID any
	if m.CaseID != nil {
		caseID = *m.CaseID
		err := db.NewSelect().TableExpr("cases").Column("jurisdiction").Where("id = ?", *m.CaseID).Scan(ctx, &jurisdiction)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reading the jurisdiction of case %d: %w", *m.CaseID, err)
		}
	}
	return audit.RecordRead(ctx, db, actor, "material.download", "material", strconv.FormatInt(m.ID, 10), jurisdiction,
		map[string]any{"case_id": caseID, "slot": m.Slot})
}
