package register

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// Changeable are the particulars a change registration (变更登记) may change, in the order pages list
// them: the answers of the same names of its forms (legal_representative a group with a name).
var Changeable = []string{"name", "domicile", "legal_representative", "business_scope", "funds", "sponsor_unit"}

// Change is a particular of the register a change registration changes: its value before and after,
// as people read them (money in 万元 in Chinese, as the certificate prints it).
type Change struct {
	Particular string    `json:"particular"` // one of Changeable
	Old        lang.Text `json:"old"`
	New        lang.Text `json:"new"`
}

// Changed reports whether the change changes anything.
func (ch Change) Changed() bool { return ch.Old != ch.New }

// current is the register's value of a changeable particular.
func (o *Organisation) current(particular string) lang.Text {
	plain := func(s string) lang.Text { return lang.Text{ZH: s, EN: s} }
	p := o.Particulars()
	switch particular {
	case "name":
		return plain(o.Name)
	case "domicile":
		return plain(o.Domicile)
	case "legal_representative":
		return plain(o.LegalRepresentative)
	case "business_scope":
		return p.BusinessScope
	case "funds":
		return p.Funds
	case "sponsor_unit":
		return p.SponsorUnit
	}
	return lang.Text{}
}

// proposal is what a case's forms answer for a changeable particular: the text the register shows
// and the raw answer a form can start from again.
type proposal struct {
	text lang.Text
	raw  any
}

// proposals reads the changeable particulars the case's forms answer, the latest form first.
func proposals(c *workflow.Case, item *catalog.Item) map[string]proposal {
	out := map[string]proposal{}
	ids := item.FormIDs()
	slices.Reverse(ids) // the latest stage's answer wins
	for _, formID := range ids {
		values, _ := c.Data[formID].(map[string]any)
		form := item.Forms[formID]
		if form == nil {
			continue
		}
		for _, p := range Changeable {
			fd, ok := form.Field(p)
			if _, done := out[p]; done || !ok || values[p] == nil {
				continue
			}
			if p == "legal_representative" {
				lr, _ := values[p].(map[string]any)
				name, _ := lr["name"].(string)
				out[p] = proposal{text: lang.Text{ZH: strings.TrimSpace(name), EN: strings.TrimSpace(name)}, raw: name}
				continue
			}
			t := fd.InWanText(values[p])
			if fd.Type != forms.TypeMoney {
				t = lang.Text{ZH: strings.TrimSpace(t.ZH), EN: strings.TrimSpace(t.EN)}
			}
			out[p] = proposal{text: t, raw: values[p]}
		}
	}
	return out
}

// changesOf lists, in the order of Changeable, each particular the case's forms answer with the
// register's value of o beside it, whether it changes or not.
func changesOf(o *Organisation, c *workflow.Case, item *catalog.Item) []Change {
	props := proposals(c, item)
	var out []Change
	for _, p := range Changeable {
		if pr, ok := props[p]; ok {
			out = append(out, Change{Particular: p, Old: o.current(p), New: pr.text})
		}
	}
	return out
}

// CaseChanges is what a case about an organisation changes in the register, old → new for each
// particular its forms answer: once the change is applied, what it changed as the history recorded
// it; before, its answers beside the register's current values. Nil for a case about no organisation
// of the register.
func CaseChanges(ctx context.Context, db bun.IDB, c *workflow.Case, item *catalog.Item) ([]Change, error) {
	if item.About != catalog.AboutOrganisation {
		return nil, nil
	}
	e, err := eventOfCase(ctx, db, c.ID)
	if err != nil {
		return nil, err
	}
	if e != nil && e.Kind == EventChanged {
		return e.Changes, nil
	}
	o, err := ForCase(ctx, db, c)
	if err != nil || o == nil {
		return nil, err
	}
	return changesOf(o, c, item), nil
}

// Prefill is where an application for an item about an organisation starts: the organisation's
// current particulars under the names of the form's fields that take them (the credit code, and the
// Changeable ones), so that the applicant edits only what changes. The form's values of
// business_scope, funds and sponsor_unit come from what the registration or the last change entered;
// an organisation imported from the old register has only their text, which starts the text fields
// (its funds, written as the old register wrote them, stay empty). Money is in yuan, as the form
// takes it.
func Prefill(o *Organisation, form *forms.Form) map[string]any {
	out := map[string]any{catalog.OrganisationField: o.USCC}
	entered, _ := o.Data["values"].(map[string]any)
	for _, p := range Changeable {
		fd, ok := form.Field(p)
		if !ok {
			continue
		}
		switch {
		case p == "name":
			out[p] = o.Name
		case p == "domicile":
			out[p] = o.Domicile
		case p == "legal_representative" && fd.Type == forms.TypeGroup:
			out[p] = map[string]any{"name": o.LegalRepresentative}
		case p == "legal_representative":
			out[p] = o.LegalRepresentative
		case entered[p] != nil:
			out[p] = entered[p]
		case fd.Type != forms.TypeMoney && o.current(p).ZH != "":
			out[p] = o.current(p).ZH
		}
	}
	return form.InYuan(out) // money as the form takes it, not in the fen it is stored in
}

// PrefillFor is where the applicant's application for item, about the organisation with the credit
// code uscc, starts (Prefill): problem.ErrNotFound for an item about no organisation, and the
// problem Start would answer when the item does not serve the organisation's kind or the applicant
// does not act for it.
func PrefillFor(ctx context.Context, db bun.IDB, userID int64, uscc string, item *catalog.Item) (map[string]any, error) {
	form := item.Forms[item.Form]
	if item.About != catalog.AboutOrganisation || form == nil {
		return nil, problem.ErrNotFound
	}
	uscc = strings.ToUpper(strings.TrimSpace(uscc))
	if uscc == "" {
		var fe problem.Fields
		fe.Add(catalog.OrganisationField, "required", "请填写统一社会信用代码。", "Give the unified social credit code.")
		return nil, fe.Err()
	}
	if !item.ServesKind(uscc) {
		return nil, workflow.ErrWrongKind
	}
	if err := CheckBound(ctx, db, item, userID, uscc, ""); err != nil {
		return nil, err
	}
	o, err := ByUSCC(ctx, db, uscc)
	if err != nil {
		return nil, err
	}
	return Prefill(o, form), nil
}

// errNothingChanged refuses to apply a change that changes no particular.
var errNothingChanged = problem.New(problem.Conflict, "nothing_changed",
	"申请的登记事项与登记信息相同，没有可变更的内容。", "The application changes none of the registered particulars.")

// ApplyChangeEffect is the workflow effect "register.apply_change": an approved change registration
// (变更登记) writes the particulars its forms answer to the register entry of the organisation the case
// is about, in the transaction of the approval; keeps each previous value with the date, the case and
// the decision's number in the organisation's history (RecordEvent); and reindexes a new name, so that
// the register's search finds the organisation by it at once. Run it before the certificate's issue,
// which then prints the new particulars.
func ApplyChangeEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, err := Subject(ctx, tx, c)
	if err != nil {
		return err
	}
	if o.Status != StatusActive {
		return errInactive
	}
	var changes []Change
	for _, ch := range changesOf(o, c, item) {
		if ch.Changed() {
			changes = append(changes, ch)
		}
	}
	if len(changes) == 0 {
		return errNothingChanged
	}
	props := proposals(c, item)
	data := maps.Clone(o.Data)
	if data == nil {
		data = map[string]any{}
	}
	particulars := map[string]any{}
	if stored, ok := data["particulars"].(map[string]any); ok {
		maps.Copy(particulars, stored)
	}
	entered := map[string]any{}
	if stored, ok := data["values"].(map[string]any); ok {
		maps.Copy(entered, stored)
	}
	renamed := false
	for _, ch := range changes {
		switch ch.Particular {
		case "name":
			o.Name, renamed = ch.New.ZH, true
		case "domicile":
			o.Domicile = ch.New.ZH
		case "legal_representative":
			o.LegalRepresentative = ch.New.ZH
		default:
			particulars[ch.Particular], entered[ch.Particular] = ch.New, props[ch.Particular].raw
		}
	}
	data["particulars"], data["values"] = particulars, entered
	o.Data = data
	var fe problem.Fields
	checkText(&fe, "name", o.Name, true, maxNameLength)
	checkText(&fe, "domicile", o.Domicile, false, maxDomicileLength)
	checkText(&fe, "legal_representative", o.LegalRepresentative, false, maxPersonLength)
	if err := fe.Err(); err != nil {
		return err
	}
	// Still active as it was read: a deregistration decided meanwhile wins, and this change is refused.
	res, err := tx.NewUpdate().Model(o).Column("name", "domicile", "legal_representative", "data").WherePK().
		Where("status = ?", StatusActive).Exec(ctx)
	if err != nil {
		return fmt.Errorf("changing %s by case %s: %w", o.USCC, c.Number, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("changing %s by case %s: %w", o.USCC, c.Number, err)
	}
	if n != 1 {
		return errInactive
	}
	if renamed {
		if err := nameindex.Index(ctx, tx, o.ID, o.Name); err != nil {
			return fmt.Errorf("changing %s by case %s: %w", o.USCC, c.Number, err)
		}
	}
	number, _ := c.Fields["decision_number"].(string)
	caseID := c.ID
	return RecordEvent(ctx, tx, o.ID, Event{Kind: EventChanged, Decision: number, Changes: changes, CaseID: &caseID}, c.Number)
}
