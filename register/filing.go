package register

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// The names of the register's effects for procedures about an organisation (docs/catalog.md).
const (
	EffectDeregister   = "register.deregister"
	EffectRecordFiling = "register.record_filing"
	EffectRecordTerm   = "register.record_term"
)

// EventProcedure is the kind of a registered event that a procedure about the organisation concluded
// (注销登记, 章程核准, a 备案): Event.Title names the procedure.
const EventProcedure = "procedure"

// Subject returns the organisation a case about an organisation concerns (its uscc field, which the
// start checked against the applicant's bindings), for the effects that act on it. The organisation
// must be registered in the case's jurisdiction: the staff deciding there have no power over an
// organisation another authority registered.
func Subject(ctx context.Context, tx bun.IDB, c *workflow.Case) (*Organisation, error) {
	o, err := ForCase(ctx, tx, c)
	if err != nil {
		return nil, err
	}
	if o == nil {
		return nil, fmt.Errorf("case %s names no organisation of the register", c.Number)
	}
	if o.Jurisdiction != c.Jurisdiction {
		return nil, problem.New(problem.Conflict, "other_authority",
			"该组织不由本机关登记，应由其登记管理机关办理。", "Another authority registered this organisation: its own authority decides.")
	}
	return o, nil
}

// errInactive answers a procedure about an organisation that was deregistered or revoked while its
// case was open.
var errInactive = problem.New(problem.Conflict, "organisation_inactive",
	"该组织已注销或被撤销登记。", "The organisation is deregistered or its registration revoked.")

// recordFiling adds the case's procedure to the organisation's history, with the decision's number
// and a short public note (an evaluation's level).
func recordFiling(ctx context.Context, tx bun.IDB, o *Organisation, c *workflow.Case, item *catalog.Item, at time.Time, note string) error {
	number, _ := c.Fields["decision_number"].(string)
	caseID := c.ID
	return RecordEvent(ctx, tx, o.ID, Event{Kind: EventProcedure, At: at, Decision: number, Title: item.Name, Note: note, CaseID: &caseID}, c.Number)
}

// RecordFilingEffect is the workflow effect EffectRecordFiling: the approved procedure (章程核准, a
// 备案) goes into the public history of the organisation the case is about.
func RecordFilingEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, err := Subject(ctx, tx, c)
	if err != nil {
		return err
	}
	if o.Status != StatusActive {
		return errInactive
	}
	return recordFiling(ctx, tx, o, c, item, time.Now().UTC().Truncate(time.Microsecond), "")
}

// DeregisterEffect is the workflow effect EffectDeregister (注销登记): the organisation the case is
// about leaves the register's active organisations as deregistered, with the procedure in its
// history. It stays on the register, and in its search, under its name and code. Revoking its
// certificate and publishing the 注销公告 are the effects that follow.
func DeregisterEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, err := Subject(ctx, tx, c)
	if err != nil {
		return err
	}
	res, err := tx.NewUpdate().Model((*Organisation)(nil)).Set("status = ?", StatusDeregistered).
		Where("id = ? AND status = ?", o.ID, StatusActive).Exec(ctx)
	if err != nil {
		return fmt.Errorf("deregistering %s: %w", o.USCC, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(err, errInactive)
	}
	return recordFiling(ctx, tx, o, c, item, time.Now().UTC().Truncate(time.Microsecond), "")
}

// Term is the current term of an organisation's organs (理事会、会员代表大会), recorded by its 换届
// filing; the bound applicants are reminded before it ends (RemindTerms).
type Term struct {
	bun.BaseModel `bun:"table:organisation_terms"`

	OrganisationID int64      `bun:"organisation_id,pk"`
	CaseID         int64      `bun:"case_id"`
	EndsOn         string     `bun:"ends_on"` // YYYY-MM-DD
	RemindedAt     *time.Time `bun:"reminded_at"`
}

// TermField is the field of a 换届 filing's application form that gives the last day of the new term.
const TermField = "term_ends_on"

// RecordTermEffect is the workflow effect EffectRecordTerm (换届备案): the end of the organisation's
// new term, the application form's TermField, replaces the one recorded before, whose reminder is
// forgotten, so that the new term gets its own.
func RecordTermEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, err := Subject(ctx, tx, c)
	if err != nil {
		return err
	}
	values, _ := c.Data[item.Form].(map[string]any)
	s, _ := values[TermField].(string)
	end, err := calendar.ParseDate(s)
	if err != nil {
		return fmt.Errorf("case %s: the application form %s has no date %s for %s: %w", c.Number, item.Form, TermField, EffectRecordTerm, err)
	}
	t := &Term{OrganisationID: o.ID, CaseID: c.ID, EndsOn: end.String()}
	_, err = tx.NewInsert().Model(t).On("CONFLICT (organisation_id) DO UPDATE").
		Set("case_id = EXCLUDED.case_id, ends_on = EXCLUDED.ends_on, reminded_at = NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("recording the term of %s: %w", o.USCC, err)
	}
	return nil
}

// TermOf returns the organisation's recorded term, nil when none was filed.
func TermOf(ctx context.Context, db bun.IDB, organisationID int64) (*Term, error) {
	var ts []Term
	if err := db.NewSelect().Model(&ts).Where("organisation_id = ?", organisationID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the term of organisation %d: %w", organisationID, err)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	return &ts[0], nil
}

// termReminderMonths is how long before its term ends an organisation is reminded of its 换届
// (社会团体登记管理条例: prepare the renewal about six months ahead).
const termReminderMonths = 6

// RemindTerms is periodic work of the worker: each active organisation whose recorded term ends
// within termReminderMonths of now has its reminder sent, once, to the applicants bound to it. Each
// term is claimed (reminded_at set) in the transaction that writes its notifications, so that two
// workers never both send it.
func RemindTerms(ctx context.Context, db *bun.DB, now time.Time) error {
	horizon := calendar.DateOf(now).Time().AddDate(0, termReminderMonths, 0)
	var due []Term
	err := db.NewSelect().Model(&due).
		Where("reminded_at IS NULL AND ends_on <= ?", calendar.DateOf(horizon).String()).
		Where("organisation_id IN (SELECT id FROM organisations WHERE status = ?)", StatusActive).
		OrderExpr("ends_on, organisation_id").Scan(ctx)
	if err != nil {
		return fmt.Errorf("looking for terms ending before %s: %w", calendar.DateOf(horizon), err)
	}
	var errs []error
	for _, t := range due {
		errs = append(errs, db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return remindTerm(ctx, tx, t, now)
		}))
	}
	return errors.Join(errs...)
}

// remindTerm claims the term and notifies the organisation's bound applicants; nothing when another
// worker claimed it first or a newer filing replaced it meanwhile.
func remindTerm(ctx context.Context, tx bun.Tx, t Term, now time.Time) error {
	res, err := tx.NewUpdate().Model((*Term)(nil)).Set("reminded_at = ?", now.UTC().Truncate(time.Microsecond)).
		Where("organisation_id = ? AND ends_on = ? AND reminded_at IS NULL", t.OrganisationID, t.EndsOn).Exec(ctx)
	if err != nil {
		return fmt.Errorf("claiming the term reminder of organisation %d: %w", t.OrganisationID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	o, err := Get(ctx, tx, t.OrganisationID)
	if err != nil {
		return err
	}
	var users []int64
	err = tx.NewSelect().Model((*Binding)(nil)).Column("user_id").
		Where("organisation_id = ? AND status = ?", o.ID, BindingActive).OrderExpr("user_id").Scan(ctx, &users)
	if err != nil {
		return fmt.Errorf("reading the applicants bound to %s: %w", o.USCC, err)
	}
	for _, u := range users {
		if err := notify.Send(ctx, tx, notify.Message{UserID: u, Template: "filing_term_reminder",
			Data: map[string]any{"organisation": o.Name, "uscc": o.USCC, "ends_on": t.EndsOn}}); err != nil {
			return fmt.Errorf("reminding user %d of the term of %s: %w", u, o.USCC, err)
		}
	}
	return nil
}
