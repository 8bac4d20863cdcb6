package register

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/workflow"
)

// CreateOrganisationEffect is the workflow effect "register.create_organisation": an approved
// establishment case enters its organisation in the register with a new credit code, inside the
// transaction of the approval. It reads the name, domicile and legal representative from the case's
// forms, the latest stage first, so that a later form's answer wins over the first application's.
func CreateOrganisationEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	var name, domicile, legalRep string
	ids := item.FormIDs()
	slices.Reverse(ids) // the latest stage's answer wins
	for _, formID := range ids {
		values, _ := c.Data[formID].(map[string]any)
		if name == "" {
			name, _ = values["name"].(string)
		}
		if domicile == "" {
			domicile, _ = values["domicile"].(string)
		}
		if lr, ok := values["legal_representative"].(map[string]any); ok && legalRep == "" {
			legalRep, _ = lr["name"].(string)
		}
	}
	kind, _ := c.Fields["organisation_kind"].(string)
	if kind == "" {
		kind = KindSocialGroup
	}
	o, err := Create(ctx, tx, NewOrganisation{Name: name, Kind: kind, Jurisdiction: c.Jurisdiction, Domicile: domicile,
		LegalRepresentative: legalRep, CaseID: c.ID, Data: map[string]any{"case_number": c.Number, "item_code": c.ItemCode}})
	if err != nil {
		return fmt.Errorf("entering case %s in the register: %w", c.Number, err)
	}
	if c.Fields == nil {
		c.Fields = map[string]any{}
	}
	c.Fields["uscc"] = o.USCC
	return nil
}
