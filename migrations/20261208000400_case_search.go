package migrations

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/uptrace/bun"
)

// The staff desk's case search (workflow.Search): each case keeps the name and the credit code of the
// organisation it is about, and indexes serve the search's filters and order within a jurisdiction.
// The application keeps the two columns whenever a case changes (workflow's setSubject); this
// migration fills them in for the cases already there, by a frozen copy of that rule.
func init() {
	all.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, s := range []string{
				`ALTER TABLE cases ADD COLUMN org_name TEXT NOT NULL DEFAULT ''`,
				`ALTER TABLE cases ADD COLUMN credit_code TEXT NOT NULL DEFAULT ''`,
				`CREATE INDEX cases_credit_code ON cases (credit_code)`,
				`CREATE INDEX cases_jurisdiction_created ON cases (jurisdiction, created_at)`,
				`CREATE INDEX cases_item_created ON cases (item_code, created_at)`,
			} {
				if _, err := tx.ExecContext(ctx, s); err != nil {
					return fmt.Errorf("%s: %w", firstLine(s), err)
				}
			}
			return fillCaseSubjects(ctx, tx)
		})
	}, statements(
		`DROP INDEX cases_item_created`,
		`DROP INDEX cases_jurisdiction_created`,
		`DROP INDEX cases_credit_code`,
		`ALTER TABLE cases DROP COLUMN credit_code`,
		`ALTER TABLE cases DROP COLUMN org_name`,
	))
}

// subjectDefinition is the part of a stored catalogue version (catalog_versions.definition) that
// says where a case's organisation is named, as of this migration.
type subjectDefinition struct {
	Item struct {
		Audience []string `json:"audience"`
		Form     string   `json:"form"`
		Workflow struct {
			States []struct {
				Form string `json:"form"`
			} `json:"states"`
		} `json:"workflow"`
	} `json:"item"`
}

// fillCaseSubjects sets org_name and credit_code of every case of an item that serves organisations:
// the name and uscc answers of its latest form that has them, the credit code the register set in
// the field uscc first.
func fillCaseSubjects(ctx context.Context, tx bun.Tx) error {
	var rows []struct {
		ID         int64
		Data       []byte
		Fields     []byte
		Definition []byte
	}
	err := tx.NewSelect().Table("cases").ColumnExpr("cases.id, cases.data, cases.fields, v.definition").
		Join("JOIN catalog_versions AS v ON v.hash = cases.version_hash").Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("reading the cases to name their organisations: %w", err)
	}
	for _, r := range rows {
		var def subjectDefinition
		var data map[string]any
		var fields map[string]any
		if err := json.Unmarshal(r.Definition, &def); err != nil {
			return fmt.Errorf("reading the definition of case %d: %w", r.ID, err)
		}
		if !slices.Contains(def.Item.Audience, "organisations") {
			continue
		}
		_ = json.Unmarshal(r.Data, &data)     // a form that is not an object names nothing
		_ = json.Unmarshal(r.Fields, &fields) // likewise
		ids := []string{def.Item.Form}
		for _, st := range def.Item.Workflow.States {
			if st.Form != "" && !slices.Contains(ids, st.Form) {
				ids = append(ids, st.Form)
			}
		}
		slices.Reverse(ids)
		name, code := "", ""
		for _, id := range ids {
			values, _ := data[id].(map[string]any)
			if s, ok := values["name"].(string); ok && name == "" {
				name = s
			}
			if s, ok := values["uscc"].(string); ok && code == "" {
				code = s
			}
		}
		if s, ok := fields["uscc"].(string); ok && s != "" {
			code = s
		}
		if _, err := tx.ExecContext(ctx, `UPDATE cases SET org_name = ?, credit_code = ? WHERE id = ?`, name, code, r.ID); err != nil {
			return fmt.Errorf("naming the organisation of case %d: %w", r.ID, err)
		}
	}
	return nil
}
