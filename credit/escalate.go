package credit

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/register"
)

// Escalate moves to the serious list every organisation that has stood on the abnormal list for
// AbnormalYears at now (counted from its earliest entry still standing: a removal starts the count
// again), with the reason ReasonTwoYears, by the authority of that entry. It is the worker's periodic
// work: run again, or in two workers at once, it lists nobody twice. It returns how many it listed.
func Escalate(ctx context.Context, db bun.IDB, now time.Time) (int, error) {
	cutoff := now.UTC().AddDate(-AbnormalYears, 0, 0)
	var due []Entry
	// The earliest standing abnormal entry of each organisation that is due and not yet escalated.
	err := db.NewSelect().Model(&due).Relation("Organisation").
		Where("cl.list = ? AND cl.removed_at IS NULL AND cl.listed_at <= ?", ListAbnormal, cutoff).
		Where(`NOT EXISTS (SELECT 1 FROM credit_listings AS e WHERE e.organisation_id = cl.organisation_id
			AND e.list = ? AND e.removed_at IS NULL AND (e.listed_at < cl.listed_at OR (e.listed_at = cl.listed_at AND e.id < cl.id)))`, ListAbnormal).
		Where(`NOT EXISTS (SELECT 1 FROM credit_listings AS s WHERE s.organisation_id = cl.organisation_id
			AND s.list = ? AND s.reason = ? AND s.removed_at IS NULL)`, ListSerious, ReasonTwoYears).
		OrderExpr("cl.id").Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("finding organisations two years on the abnormal list: %w", err)
	}
	listed := 0
	for _, a := range due {
		if a.Organisation.Status != register.StatusActive {
			continue // deregistered or revoked meanwhile: nobody left to list
		}
		from := a.ID
		e := &Entry{OrganisationID: a.OrganisationID, List: ListSerious, Reason: ReasonTwoYears, Authority: a.Authority,
			Source: SourceEscalation, ListedAt: now.UTC().Truncate(time.Microsecond), EscalatedFrom: &from}
		var done bool
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) (err error) {
			done, err = insert(ctx, tx, audit.System, e, a.Organisation)
			return err
		})
		if err != nil {
			return listed, err
		}
		if done {
			listed++
		}
	}
	return listed, nil
}
