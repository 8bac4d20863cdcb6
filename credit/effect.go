package credit

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// EffectRemoveAbnormal is the name definitions run the removal on application by.
const EffectRemoveAbnormal = "credit.remove_abnormal"

var errNotOnList = problem.New(problem.Conflict, "not_listed",
	"该组织未列入活动异常名录，无需移出。", "The organisation is not on the abnormal-activity list: there is nothing to remove.")

// RemoveAbnormalEffect is the workflow effect "credit.remove_abnormal": an approved application for
// removal (移出活动异常名录申请) takes the organisation the case is about off the abnormal list, every
// entry of it, in the transaction of the approval, naming the case. An organisation that stands on
// it no longer (staff removed it meanwhile) makes the approval a conflict, and so does a case in
// another jurisdiction than the organisation's (register.Subject): only its authority removes it.
func RemoveAbnormalEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, _ *catalog.Item) error {
	o, err := register.Subject(ctx, tx, c)
	if err != nil {
		return err
	}
	var standing []Entry
	err = tx.NewSelect().Model(&standing).Where("organisation_id = ? AND list = ? AND removed_at IS NULL", o.ID, ListAbnormal).
		OrderExpr("id").Scan(ctx)
	if err != nil {
		return fmt.Errorf("case %s: reading the abnormal entries of %s: %w", c.Number, o.USCC, err)
	}
	if len(standing) == 0 {
		return errNotOnList
	}
	caseID := c.ID
	for i := range standing {
		e := &standing[i]
		e.Organisation, e.Removal, e.RemovalCaseID, e.RemovalReason = o, RemovalApplication, &caseID, c.Number
		if err := remove(ctx, tx, audit.System, e); err != nil {
			return err
		}
	}
	return nil
}

// CheckNotListed is the workflow.ListedCheck of items with refused_if_listed: the organisation with
// the credit code must stand on none of lists. Else it is a conflict on the form's uscc field that
// names the list. An unknown code passes: the check of bound applicants has refused it already.
func CheckNotListed(ctx context.Context, tx bun.IDB, uscc string, lists []string) error {
	var on []string // the bound check before it read the organisation: one query, by its code
	err := tx.NewSelect().Model((*Entry)(nil)).Column("list").Distinct().
		Where("organisation_id = (SELECT id FROM organisations WHERE uscc = ?) AND list IN (?) AND removed_at IS NULL",
			strings.ToUpper(strings.TrimSpace(uscc)), bun.List(lists)).Scan(ctx, &on)
	if err != nil {
		return fmt.Errorf("checking the credit lists of %s: %w", uscc, err)
	}
	if len(on) == 0 {
		return nil
	}
	zh, en := "该组织已列入活动异常名录，不能办理该事项；请先改正并申请移出。",
		"The organisation stands on the abnormal-activity list and cannot apply for this item: correct what it was listed for and apply for removal first."
	for _, l := range on {
		if l == ListSerious {
			zh, en = "该组织已列入严重违法失信名单，不能办理该事项。",
				"The organisation stands on the serious-dishonesty list and cannot apply for this item."
		}
	}
	return &problem.Error{Kind: problem.Conflict, Code: "listed", Message: problem.Text{ZH: zh, EN: en},
		Fields: []problem.Field{{Path: catalog.OrganisationField, Code: "listed", Message: problem.Text{ZH: zh, EN: en}}}}
}
