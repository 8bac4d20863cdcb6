package register

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/workflow"
)

// particularFields are the answers of an establishment's forms that the public register shows
// beside the name (see Particulars), as people read them: an option's label, money in 万元 as on
// the certificate (in yuan in English).
var particularFields = []string{"business_scope", "activity_area", "funds", "sponsor_unit"}

// CreateOrganisationEffect is the workflow effect "register.create_organisation": an approved
// establishment case enters its organisation in the register with a new credit code, inside the
// transaction of the approval. It reads the name, domicile, legal representative and the public
// particulars from the case's forms, the latest stage first, so that a later form's answer wins over
// the first application's, and keeps the number of the approving decision for the history. The
// case's applicant is bound to the new organisation (BindRegistrant).
func CreateOrganisationEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	var name, domicile, legalRep string
	particulars, entered := map[string]any{}, map[string]any{}
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
		form := item.Forms[formID]
		for _, p := range particularFields {
			fd, ok := form.Field(p)
			if _, done := particulars[p]; done || !ok || values[p] == nil {
				continue
			}
			particulars[p] = fd.InWanText(values[p]) // funds as the certificate prints them
			entered[p] = values[p]                   // what a change's form starts from (Prefill)
		}
	}
	kind, _ := c.Fields["organisation_kind"].(string)
	if kind == "" {
		kind = KindSocialGroup
	}
	data := map[string]any{"case_number": c.Number, "item_code": c.ItemCode, "particulars": particulars, "values": entered}
	if dn, ok := c.Fields["decision_number"].(string); ok {
		data["decision_number"] = dn
	}
	o, err := Create(ctx, tx, NewOrganisation{Name: name, Kind: kind, Jurisdiction: c.Jurisdiction, Domicile: domicile,
		LegalRepresentative: legalRep, CaseID: c.ID, Data: data})
	if err != nil {
		return fmt.Errorf("entering case %s in the register: %w", c.Number, err)
	}
	if c.Fields == nil {
		c.Fields = map[string]any{}
	}
	c.Fields["uscc"] = o.USCC
	return BindRegistrant(ctx, tx, o, c)
}
