package disclosure

import (
	"context"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/workflow"
)

// ItemCode is the code of the built-in information-disclosure item whose cases are the requests.
const ItemCode = "information-disclosure"

// Enter files a request that reached the office by post, fax, e-mail or in person, as the disclosure
// office enters it (workflow.Entered): data is the request form, entry its channel and day of receipt
// (art. 31), from which the reply period counts. The request has no applicant account. The entry is
// recorded in the audit log ("disclosure.enter") in the transaction that files it, and within, if not
// nil, runs there too (an idempotent retry's claim). The engine refuses an officer without the
// entry's role in the jurisdiction, and reports every error of the form and the entry at once.
func Enter(ctx context.Context, engine *workflow.Engine, actor audit.Actor, jurisdiction string, data, entry map[string]any,
	within func(ctx context.Context, tx bun.Tx, c *workflow.Case) error) (*workflow.Case, error) {
	return engine.Start(ctx, actor, ItemCode, jurisdiction, data, workflow.Entered(entry),
		workflow.WithinStart(func(ctx context.Context, tx bun.Tx, c *workflow.Case) error {
			err := audit.Record(ctx, tx, actor, "disclosure.enter", "case", strconv.FormatInt(c.ID, 10), c.Jurisdiction,
				map[string]any{"number": c.Number, "channel": c.Fields["channel"], "received_on": c.Fields["received_on"]})
			if err != nil || within == nil {
				return err
			}
			return within(ctx, tx, c)
		}))
}
