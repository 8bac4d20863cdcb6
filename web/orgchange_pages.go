package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
)

// Procedures about an organisation of the register (变更登记 and the others with about: organisation):
// their application starts from the register's particulars, on the page and in the API.

// apiPrefill answers where the caller's application for the item, about the organisation with the
// credit code uscc, starts: the register's current particulars under the form's field names.
func (s *Server) apiPrefill(c *fiber.Ctx) error {
	it, err := s.item(c)
	if err != nil {
		return err
	}
	data, err := register.PrefillFor(c.UserContext(), s.DB, currentUser(c).ID, c.Query("uscc"), it)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": data})
}

// applyPrefill is what a new application page of an item about an organisation starts from when the
// applicant has no draft of it: the particulars of the organisation the address names (?uscc=), if
// the applicant may apply for it, with its registration authority chosen as the jurisdiction (the
// only one that may handle the case); else just that credit code, which the start then refuses with
// the reason on its field.
func (s *Server) applyPrefill(c *fiber.Ctx, it *catalog.Item) (map[string]any, error) {
	uscc := c.Query("uscc")
	if it.About != catalog.AboutOrganisation || uscc == "" {
		return nil, nil
	}
	data, err := register.PrefillFor(c.UserContext(), s.DB, currentUser(c).ID, uscc, it)
	if _, isProblem := problem.As(err); isProblem {
		return map[string]any{catalog.OrganisationField: uscc}, nil
	}
	if err != nil {
		return nil, err
	}
	o, err := register.ByUSCC(c.UserContext(), s.DB, uscc)
	if err != nil {
		return nil, err
	}
	data[draftJurisdiction] = o.Jurisdiction
	return data, nil
}

// eventCell pairs a registered event with the page, for the orgchange_event template.
type eventCell struct {
	V *view
	E register.Event
}

// EventCell pairs an event of an organisation's history with the page, for the orgchange_event template.
func (v *view) EventCell(e register.Event) eventCell { return eventCell{V: v, E: e} }

// proceduresFor lists, by credit code, the items about an organisation that each active binding's
// organisation may apply for (those serving its kind), for "My organisations" to link to their
// application pages, which start from the register.
func (s *Server) proceduresFor(bs []register.Binding) map[string][]*catalog.Item {
	out := map[string][]*catalog.Item{}
	for _, b := range bs {
		if b.Status != register.BindingActive || b.Organisation == nil || b.Organisation.Status != register.StatusActive {
			continue
		}
		for _, it := range s.Catalog.Items() {
			if it.About == catalog.AboutOrganisation && it.ServesKind(b.Organisation.USCC) {
				out[b.Organisation.USCC] = append(out[b.Organisation.USCC], it)
			}
		}
	}
	return out
}

// procedureCell pairs the procedures of one organisation (proceduresFor) with the page.
type procedureCell struct {
	V     *view
	USCC  string
	Items []*catalog.Item
}

// ProcedureCell is the procedures "My organisations" offers for the organisation with the credit code.
func (v *view) ProcedureCell(uscc string) procedureCell {
	m, _ := v.Data.(map[string]any)
	byCode, _ := m["Procedures"].(map[string][]*catalog.Item)
	return procedureCell{V: v, USCC: uscc, Items: byCode[uscc]}
}
