package workflow

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/problem"
)

// What a case's start and its later actions both record, besides the case row: the links of the
// materials its data names, the actor and the field warnings of its event, and the data its
// notifications carry.

// linkMaterials attaches the materials named by the file fields of values (data of form) to the
// case, and checks that each was uploaded for the material its field is for; errors name the field
// under prefix. The uploads are the applicant's, or, for an application staff entered, theirs.
func linkMaterials(ctx context.Context, tx bun.IDB, c *Case, form *forms.Form, values map[string]any, prefix string) error {
	return linkUploads(ctx, tx, c.ApplicantID, c, form.Fields, values, prefix)
}

// linkUploads attaches the materials that owner uploaded and the file fields of values name to the
// case, each checked to be of its field's material; errors name the field under prefix.
func linkUploads(ctx context.Context, tx bun.IDB, owner int64, c *Case, fields []forms.Field, values map[string]any, prefix string) error {
	refs := fileRefs(fields, values)
	if len(refs) == 0 {
		return nil
	}
	ids := make([]int64, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	if err := materials.Link(ctx, tx, owner, c.ID, c.ItemCode, ids); err != nil {
		return err
	}
	var rows []materials.Material
	if err := tx.NewSelect().Model(&rows).Column("id", "slot").Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return fmt.Errorf("reading the slots of the materials of case %d: %w", c.ID, err)
	}
	slot := make(map[int64]string, len(rows))
	for _, m := range rows {
		slot[m.ID] = m.Slot
	}
	var fe problem.Fields
	for _, r := range refs {
		if slot[r.ID] != r.Slot {
			fe.Add(prefix+r.Path, "wrong_material", "该文件是为其他材料上传的，请在此处重新上传。",
				"This file was uploaded for another material; upload it again here.")
		}
	}
	return fe.Err()
}

// fieldList is field errors or warnings as event data: path and code of each.
func fieldList(fs []problem.Field) []map[string]any {
	out := make([]map[string]any, len(fs))
	for i, f := range fs {
		out[i] = map[string]any{"path": f.Path, "code": f.Code}
	}
	return out
}

// userRef is the actor's user ID for a nullable column.
func userRef(a audit.Actor) *int64 {
	if a.UserID <= 0 {
		return nil
	}
	id := a.UserID
	return &id
}

// noticeData is what notification templates about a case get: case_id, case_number, item_code,
// item_name and item_name_en, state, state_name and state_name_en (the state the case is now in),
// action, action_name and action_name_en (empty at the start), and comment.
func noticeData(c *Case, item *catalog.Item, a *catalog.Action, comment string) map[string]any {
	d := map[string]any{
		"case_id": c.ID, "case_number": c.Number, "item_code": c.ItemCode,
		"item_name": item.Name.ZH, "item_name_en": nonEmpty(item.Name.EN, item.Name.ZH),
		"state": c.State, "state_name": c.State, "state_name_en": c.State,
		"action": "", "action_name": "", "action_name_en": "", "comment": comment,
	}
	if st, ok := item.State(c.State); ok {
		d["state_name"] = nonEmpty(st.Name.ZH, st.ID)
		d["state_name_en"] = nonEmpty(st.Name.EN, nonEmpty(st.Name.ZH, st.ID))
	}
	if a != nil {
		d["action"] = a.ID
		d["action_name"] = nonEmpty(a.Name.ZH, a.ID)
		d["action_name_en"] = nonEmpty(a.Name.EN, nonEmpty(a.Name.ZH, a.ID))
	}
	return d
}
