package register

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// eventRow is a recorded event of an organisation's history, a row of organisation_events.
type eventRow struct {
	bun.BaseModel `bun:"table:organisation_events"`

	ID             int64     `bun:",pk,autoincrement"`
	OrganisationID int64     `bun:",notnull"`
	Kind           string    `bun:",notnull"`
	At             time.Time `bun:",notnull"`
	CaseID         *int64
	CaseNumber     string
	DecisionNumber string
	Changes        []Change `bun:",nullzero"`
	Note           string
	Title          lang.Text `bun:",nullzero"`
}

// RecordEvent adds e to the public history of the organisation with organisationID, in the
// transaction of the decision that made it (a change, a deregistration, an evaluation level), so that
// the history and the register's particulars cannot disagree. A zero At is now; caseNumber may be empty.
func RecordEvent(ctx context.Context, tx bun.IDB, organisationID int64, e Event, caseNumber string) error {
	if strings.TrimSpace(e.Kind) == "" {
		return fmt.Errorf("recording an event of organisation %d: no kind", organisationID)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	r := &eventRow{OrganisationID: organisationID, Kind: e.Kind, At: e.At.UTC().Truncate(time.Microsecond), CaseID: e.CaseID,
		CaseNumber: caseNumber, DecisionNumber: e.Decision, Changes: e.Changes, Note: e.Note, Title: e.Title}
	if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
		return fmt.Errorf("recording the %s event of organisation %d: %w", e.Kind, organisationID, err)
	}
	return nil
}

// HistoryOf is the organisation's whole public history, the oldest first: what its entry tells
// (History) and the events procedures recorded since (RecordEvent).
func HistoryOf(ctx context.Context, db bun.IDB, o *Organisation) ([]Event, error) {
	events := o.History()
	var rows []eventRow
	if err := db.NewSelect().Model(&rows).Where("organisation_id = ?", o.ID).OrderExpr("at, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the history of %s: %w", o.USCC, err)
	}
	for _, r := range rows {
		events = append(events, r.event())
	}
	slices.SortStableFunc(events, func(a, b Event) int { return a.At.Compare(b.At) })
	return events, nil
}

func (r eventRow) event() Event {
	return Event{Kind: r.Kind, At: r.At, On: calendar.DateOf(r.At), Decision: r.DecisionNumber, Changes: r.Changes,
		Note: r.Note, CaseID: r.CaseID, Title: r.Title}
}

// eventOfCase is the event case caseID recorded, or nil.
func eventOfCase(ctx context.Context, db bun.IDB, caseID int64) (*Event, error) {
	var rows []eventRow
	if err := db.NewSelect().Model(&rows).Where("case_id = ?", caseID).OrderExpr("id DESC").Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the event of case %d: %w", caseID, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	e := rows[0].event()
	return &e, nil
}

// ForCase returns the organisation a case concerns, found by the credit code the case carries (the
// one its application named for an item about an organisation, or the one its registration issued),
// else nil. Documents and notices of a case find their organisation through it.
func ForCase(ctx context.Context, db bun.IDB, c *workflow.Case) (*Organisation, error) {
	code, _ := c.Fields[catalog.OrganisationField].(string)
	if code == "" {
		code = c.CreditCode
	}
	if code == "" {
		return nil, nil
	}
	o, err := ByUSCC(ctx, db, code)
	if errors.Is(err, problem.ErrNotFound) {
		return nil, nil
	}
	return o, err
}
