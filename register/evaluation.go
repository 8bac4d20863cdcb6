package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// EffectRecordEvaluation is the workflow effect that enters an announced evaluation level in the
// register (RecordEvaluationEffect).
const EffectRecordEvaluation = "register.record_evaluation"

// evaluationYears is how long an evaluation level is valid: five years (社会组织评估管理办法).
const evaluationYears = 5

// EvaluationRemindMonths is how long before a level expires its organisation is reminded to apply
// again: six months, the time an evaluation round takes.
const EvaluationRemindMonths = 6

// Evaluation is an evaluation level (评估等级, 1A–5A) announced for an organisation.
type Evaluation struct {
	bun.BaseModel `bun:"table:organisation_evaluations,alias:ev"`

	ID             int64     `bun:",pk,autoincrement" json:"-"`
	OrganisationID int64     `json:"-"`
	CaseID         int64     `json:"-"`
	Level          string    `json:"level"`
	Score          int64     `json:"score"`
	AnnouncedAt    time.Time `json:"announced_at"`
	// ValidUntil is the last day the level is valid, YYYY-MM-DD in China.
	ValidUntil string     `json:"valid_until"`
	RemindedAt *time.Time `json:"-"`
	// Valid is false once ValidUntil has passed: the register still shows the level, as expired.
	Valid bool `bun:"-" json:"valid"`
}

// levelValidUntil is the last day of a level announced at t: evaluationYears later, less a day, as
// the certificate prints it.
func levelValidUntil(t time.Time) calendar.Date {
	d := calendar.DateOf(t)
	return calendar.NewDate(d.Year()+evaluationYears, d.Month(), d.Day()).AddDays(-1)
}

// eligibleFrom is the first day on which an organisation registered at t has been registered for
// years full calendar years (年度): a year counts from its 1 January, so an organisation registered
// in the course of 2024 has its first full year in 2025 and two of them on 1 January 2027.
func eligibleFrom(t time.Time, years int) calendar.Date {
	d := calendar.DateOf(t)
	first := d.Year()
	if d.Month() != time.January || d.Day() != 1 {
		first++
	}
	return calendar.NewDate(first+years, time.January, 1)
}

// checkRegisteredYears refuses, on the form's uscc field, an organisation registered for fewer full
// years than the item asks (catalog.Item.RegisteredFullYears), saying from when it may apply.
func checkRegisteredYears(o *Organisation, item *catalog.Item, now time.Time) error {
	if item.RegisteredFullYears <= 0 {
		return nil
	}
	from := eligibleFrom(o.RegisteredAt, item.RegisteredFullYears)
	if !calendar.DateOf(now).Before(from) {
		return nil
	}
	var fe problem.Fields
	fe.Add(catalog.OrganisationField, "not_eligible",
		fmt.Sprintf("该组织于%s登记，登记未满%d个完整年度，%s起方可申请本事项。", calendar.DateOf(o.RegisteredAt), item.RegisteredFullYears, from),
		fmt.Sprintf("The organisation was registered on %s, less than %d full calendar years ago: it may apply from %s.",
			calendar.DateOf(o.RegisteredAt), item.RegisteredFullYears, from))
	return fe.Err()
}

// RecordEvaluationEffect is the workflow effect EffectRecordEvaluation: the level an evaluation case
// proposed (its proposed_level and evaluation_score fields, set by the scoring) is announced for the
// organisation the case is about, valid five years from the announcement. It stores the case's
// fields level, level_valid_until and organisation_name, which the certificate and the notices print.
func RecordEvaluationEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, err := Subject(ctx, tx, c)
	if err != nil {
		return err
	}
	level, _ := c.Fields["proposed_level"].(string)
	score, err := strconv.ParseInt(fmt.Sprint(c.Fields["evaluation_score"]), 10, 64)
	if level == "" || err != nil {
		return fmt.Errorf("case %s: %s runs after the scoring set proposed_level and evaluation_score (have %q, %v)",
			c.Number, EffectRecordEvaluation, level, c.Fields["evaluation_score"])
	}
	at := c.UpdatedAt // the engine's time of the action
	ev := &Evaluation{OrganisationID: o.ID, CaseID: c.ID, Level: level, Score: score, AnnouncedAt: at,
		ValidUntil: levelValidUntil(at).String()}
	if _, err := tx.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("recording the evaluation of %s by case %s: %w", o.USCC, c.Number, err)
	}
	c.Fields["level"], c.Fields["level_valid_until"], c.Fields["organisation_name"] = level, ev.ValidUntil, o.Name
	return recordFiling(ctx, tx, o, c, item, at, level)
}

// EvaluationOf returns the organisation's latest announced level, marked valid or not on the day of
// now, or nil when it was never evaluated.
func EvaluationOf(ctx context.Context, db bun.IDB, organisationID int64, now time.Time) (*Evaluation, error) {
	ev := new(Evaluation)
	err := db.NewSelect().Model(ev).Where("organisation_id = ?", organisationID).OrderExpr("announced_at DESC, id DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the evaluation level of organisation %d: %w", organisationID, err)
	}
	ev.Valid = calendar.DateOf(now).String() <= ev.ValidUntil
	return ev, nil
}

// RemindEvaluations is periodic work of the worker: the active applicants bound to an active
// organisation whose level expires within EvaluationRemindMonths of now get eval_expiry_reminder,
// once per level (claimed by reminded_at, so that several workers send it once). A level replaced by
// a later evaluation, or already expired, is not reminded of.
func RemindEvaluations(ctx context.Context, db bun.IDB, now time.Time) error {
	today := calendar.DateOf(now)
	horizon := calendar.DateOf(now.In(calendar.Zone).AddDate(0, EvaluationRemindMonths, 0))
	var due []Evaluation
	err := db.NewSelect().Model(&due).
		Where("ev.reminded_at IS NULL AND ev.valid_until >= ? AND ev.valid_until <= ?", today.String(), horizon.String()).
		Where("NOT EXISTS (SELECT 1 FROM organisation_evaluations later WHERE later.organisation_id = ev.organisation_id AND later.announced_at > ev.announced_at)").
		Where("EXISTS (SELECT 1 FROM organisations o WHERE o.id = ev.organisation_id AND o.status = ?)", StatusActive).
		OrderExpr("ev.id").Limit(500).Scan(ctx)
	if err != nil {
		return fmt.Errorf("looking for evaluation levels about to expire: %w", err)
	}
	for _, ev := range due {
		if err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return remindEvaluation(ctx, tx, ev, now) }); err != nil {
			return err
		}
	}
	return nil
}

// remindEvaluation claims the level's reminder and sends it to the organisation's bound applicants.
func remindEvaluation(ctx context.Context, tx bun.Tx, ev Evaluation, now time.Time) error {
	res, err := tx.NewUpdate().Model((*Evaluation)(nil)).Set("reminded_at = ?", now.UTC()).
		Where("id = ? AND reminded_at IS NULL", ev.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("claiming the reminder of evaluation %d: %w", ev.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // another worker sent it
	}
	o, err := Get(ctx, tx, ev.OrganisationID)
	if err != nil {
		return err
	}
	var users []int64
	if err := tx.NewSelect().Model((*Binding)(nil)).Column("user_id").
		Where("organisation_id = ? AND status = ?", o.ID, BindingActive).OrderExpr("user_id").Scan(ctx, &users); err != nil {
		return fmt.Errorf("reading the applicants of %s: %w", o.USCC, err)
	}
	for _, uid := range users {
		if err := notify.Send(ctx, tx, notify.Message{UserID: uid, Template: "eval_expiry_reminder",
			Data: map[string]any{"organisation": o.Name, "level": ev.Level, "valid_until": ev.ValidUntil}}); err != nil {
			return err
		}
	}
	return nil
}
