package notices

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/problem"
)

// Attachments are uploads of the materials store, under this item code and slot: the code has a
// character no catalogue item's code may have, so that no application ever lists them.
const (
	AttachmentItem = "notices:attachments"
	AttachmentSlot = "attachment"
)

// AttachmentTypes are the file types a notice may attach, checked by content as every upload is.
var AttachmentTypes = []string{"pdf", "jpeg", "png"}

// MaxAttachments bounds the files of one version.
const MaxAttachments = 10

// attachment links a material to the version it was attached to.
type attachment struct {
	bun.BaseModel `bun:"table:notice_attachments"`

	VersionID  int64 `bun:",pk"`
	MaterialID int64 `bun:",pk"`
}

// attach links the actor's unlinked attachment uploads ids to version v, in tx. An id that is not
// such an upload of the actor is an Invalid problem on "attachments", like a file never sent.
func attach(ctx context.Context, tx bun.IDB, ownerID int64, v *Version, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var ms []materials.Material
	if err := tx.NewSelect().Model(&ms).Where("id IN (?)", bun.List(ids)).Where("owner_id = ? AND item_code = ? AND slot = ? AND case_id IS NULL",
		ownerID, AttachmentItem, AttachmentSlot).Scan(ctx); err != nil {
		return fmt.Errorf("reading attachments: %w", err)
	}
	var have []int64
	if err := tx.NewSelect().Model((*attachment)(nil)).Column("material_id").Where("version_id = ?", v.ID).Scan(ctx, &have); err != nil {
		return fmt.Errorf("reading attachments: %w", err)
	}
	var fe problem.Fields
	if len(ms) != len(slices.Compact(slices.Sorted(slices.Values(ids)))) {
		fe.Add("attachments", "unknown", "附件不存在。", "An attachment does not exist.")
	}
	if len(have)+len(ms) > MaxAttachments {
		fe.Add("attachments", "too_many", fmt.Sprintf("每个版本最多%d个附件。", MaxAttachments),
			fmt.Sprintf("A version may have at most %d attachments.", MaxAttachments))
	}
	if err := fe.Err(); err != nil {
		return err
	}
	for _, m := range ms {
		if slices.Contains(have, m.ID) {
			continue
		}
		if _, err := tx.NewInsert().Model(&attachment{VersionID: v.ID, MaterialID: m.ID}).Exec(ctx); err != nil {
			return fmt.Errorf("attaching material %d to notice %d: %w", m.ID, v.NoticeID, err)
		}
	}
	return nil
}

// detach takes the materials ids off version v, in tx: the material itself stays, as other versions
// (the published one a correction started from) may show it. An id not attached to v is an Invalid
// problem on "remove".
func detach(ctx context.Context, tx bun.IDB, v *Version, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	res, err := tx.NewDelete().Model((*attachment)(nil)).Where("version_id = ?", v.ID).Where("material_id IN (?)", bun.List(ids)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("removing attachments from notice %d: %w", v.NoticeID, err)
	}
	if n, _ := res.RowsAffected(); n != int64(len(ids)) {
		var fe problem.Fields
		fe.Add("remove", "unknown", "要删除的附件不在该版本中。", "An attachment to remove is not attached to this version.")
		return fe.Err()
	}
	return nil
}

// copyAttachments carries the attachments of version from over to version to (a correction).
func copyAttachments(ctx context.Context, tx bun.IDB, from, to int64) error {
	_, err := tx.NewRaw("INSERT INTO notice_attachments (version_id, material_id) SELECT ?, material_id FROM notice_attachments WHERE version_id = ?",
		to, from).Exec(ctx)
	if err != nil {
		return fmt.Errorf("carrying attachments over to version %d: %w", to, err)
	}
	return nil
}

// Attachments returns the files of the versions, by version id, in the order they were uploaded.
func Attachments(ctx context.Context, db bun.IDB, vs []Version) (map[int64][]materials.Material, error) {
	out := map[int64][]materials.Material{}
	if len(vs) == 0 {
		return out, nil
	}
	ids := make([]int64, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	var rows []struct {
		VersionID int64 `bun:"version_id"`
		materials.Material
	}
	err := db.NewSelect().TableExpr("notice_attachments AS na").ColumnExpr("na.version_id, m.*").
		Join("JOIN materials AS m ON m.id = na.material_id").Where("na.version_id IN (?)", bun.List(ids)).
		OrderExpr("m.id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("reading the attachments of notice %d: %w", vs[0].NoticeID, err)
	}
	for _, r := range rows {
		out[r.VersionID] = append(out[r.VersionID], r.Material)
	}
	return out, nil
}

// Attachment returns the file with materialID when it is attached to one of the versions vs (those
// the caller may see, from Visible), else problem.ErrNotFound.
func Attachment(ctx context.Context, db bun.IDB, vs []Version, materialID int64) (*materials.Material, error) {
	byVersion, err := Attachments(ctx, db, vs)
	if err != nil {
		return nil, err
	}
	for _, ms := range byVersion {
		for i := range ms {
			if ms[i].ID == materialID {
				return &ms[i], nil
			}
		}
	}
	return nil, problem.ErrNotFound
}
