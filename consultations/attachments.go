package consultations

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/problem"
)

// Attachments of a draft are uploads of the materials store under this item code and slot, checked
// by content as the notices' are (notices.AttachmentTypes): the code has a character no catalogue
// item's code may have, so that no application ever lists them.
const (
	AttachmentItem = "consultations:attachments"
	AttachmentSlot = "attachment"
)

// AttachmentTypes are the file types a draft may attach: those of notices.
var AttachmentTypes = notices.AttachmentTypes

// MaxAttachments bounds the files of one draft.
const MaxAttachments = 10

// attachment links a material to the consultation it was attached to.
type attachment struct {
	bun.BaseModel `bun:"table:consultation_attachments"`

	ConsultationID int64 `bun:",pk"`
	MaterialID     int64 `bun:",pk"`
}

// attach links the owner's unattached uploads ids to c, in tx; an id that is no such upload is an
// Invalid problem on "attachments".
func attach(ctx context.Context, tx bun.IDB, ownerID int64, c *Consultation, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var ms []materials.Material
	if err := tx.NewSelect().Model(&ms).Where("id IN (?)", bun.List(ids)).Where("owner_id = ? AND item_code = ? AND slot = ? AND case_id IS NULL",
		ownerID, AttachmentItem, AttachmentSlot).Scan(ctx); err != nil {
		return fmt.Errorf("reading attachments: %w", err)
	}
	var have []int64
	if err := tx.NewSelect().Model((*attachment)(nil)).Column("material_id").Where("consultation_id = ?", c.ID).Scan(ctx, &have); err != nil {
		return fmt.Errorf("reading attachments: %w", err)
	}
	var fe problem.Fields
	if len(ms) != len(ids) {
		fe.Add("attachments", "unknown", "附件不存在。", "An attachment does not exist.")
	}
	added := 0
	for _, m := range ms {
		if !slices.Contains(have, m.ID) {
			added++
		}
	}
	if len(have)+added > MaxAttachments {
		fe.Add("attachments", "too_many", fmt.Sprintf("最多%d个附件。", MaxAttachments), fmt.Sprintf("At most %d attachments.", MaxAttachments))
	}
	if err := fe.Err(); err != nil {
		return err
	}
	for _, m := range ms {
		if slices.Contains(have, m.ID) {
			continue
		}
		if _, err := tx.NewInsert().Model(&attachment{ConsultationID: c.ID, MaterialID: m.ID}).Exec(ctx); err != nil {
			return fmt.Errorf("attaching material %d to consultation %d: %w", m.ID, c.ID, err)
		}
	}
	return nil
}

// detach takes the materials ids off c; an id not attached to it is an Invalid problem on "remove".
func detach(ctx context.Context, tx bun.IDB, c *Consultation, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	res, err := tx.NewDelete().Model((*attachment)(nil)).Where("consultation_id = ?", c.ID).Where("material_id IN (?)", bun.List(ids)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("removing attachments from consultation %d: %w", c.ID, err)
	}
	if n, _ := res.RowsAffected(); n != int64(len(ids)) {
		var fe problem.Fields
		fe.Add("remove", "unknown", "要删除的附件不在该草案中。", "An attachment to remove is not attached to this draft.")
		return fe.Err()
	}
	return nil
}

// Attachments returns the files of the consultation, in the order they were uploaded.
func Attachments(ctx context.Context, db bun.IDB, c *Consultation) ([]materials.Material, error) {
	var out []materials.Material
	err := db.NewSelect().Model(&out).Where("id IN (?)",
		db.NewSelect().Model((*attachment)(nil)).Column("material_id").Where("consultation_id = ?", c.ID)).
		OrderExpr("id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the attachments of consultation %d: %w", c.ID, err)
	}
	return out, nil
}

// Attachment returns the file with materialID when it is attached to c, else problem.ErrNotFound.
func Attachment(ctx context.Context, db bun.IDB, c *Consultation, materialID int64) (*materials.Material, error) {
	ms, err := Attachments(ctx, db, c)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if ms[i].ID == materialID {
			return &ms[i], nil
		}
	}
	return nil, problem.ErrNotFound
}
