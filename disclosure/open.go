package disclosure

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/policies"
)

// ReplyClock is the ID of the clock of the information-disclosure item that runs the reply period
// (政府信息公开条例 art. 33): the due date the disclosure office's list shows.
const ReplyClock = "reply"

// OpenRequest is a request not yet ended, as the disclosure office lists it: the record, the case's
// number, state and name of the applicant, and the reply period's due dates and status ("" when it
// does not run, as while a 补正 notice waits).
type OpenRequest struct {
	CaseID        int64  `bun:"case_id" json:"case_id"`
	Number        string `bun:"number" json:"number"`
	Jurisdiction  string `bun:"jurisdiction" json:"jurisdiction"`
	ApplicantType string `bun:"applicant_type" json:"applicant_type"`
	Applicant     string `bun:"applicant" json:"applicant"`
	Channel       string `bun:"channel" json:"channel"`
	ReceivedOn    string `bun:"received_on" json:"received_on"`
	State         string `bun:"state" json:"state"`
	ClockStatus   string `bun:"clock_status" json:"clock_status"`
	StatutoryDue  string `bun:"statutory_due" json:"statutory_due"`
	PromisedDue   string `bun:"promised_due" json:"promised_due"`
}

// maxOpen bounds the list of open requests.
const maxOpen = 500

// Open lists the requests not yet ended in the jurisdictions of the grant patterns (policies.Scopes
// of disclosure:read), the earliest reply due date first, those without a running reply period last.
func Open(ctx context.Context, db bun.IDB, patterns []string) ([]OpenRequest, error) {
	out := []OpenRequest{}
	if len(patterns) == 0 {
		return out, nil
	}
	where, args := policies.ScopeFilter("r.jurisdiction", patterns)
	err := db.NewSelect().TableExpr("disclosure_requests AS r").
		Join("JOIN cases AS c ON c.id = r.case_id").
		Join("LEFT JOIN case_clocks AS cc ON cc.case_id = r.case_id AND cc.clock = ? AND cc.status <> 'stopped'", ReplyClock).
		ColumnExpr("r.case_id, c.number, r.jurisdiction, r.applicant_type, c.org_name AS applicant, r.channel, r.received_on, c.state").
		ColumnExpr("COALESCE(cc.status, '') AS clock_status, COALESCE(cc.statutory_due, '') AS statutory_due, COALESCE(cc.promised_due, '') AS promised_due").
		Where("r.closed_on IS NULL").Where(where, args...).
		OrderExpr("COALESCE(cc.statutory_due, '9999-12-31'), r.received_on, r.case_id").Limit(maxOpen).
		Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("listing the open disclosure requests: %w", err)
	}
	return out, nil
}
