// Package annualreport runs the annual work reports (年度工作报告, 年检) of social organisations as
// campaigns: an admin opens a year's campaign for a jurisdiction and the divisions below it, which
// gives every active organisation registered by the cut-off its report to file, with a deadline per
// kind (domain.md §2). The organisation files it as a case of the item annual-report; staff review it
// there with 合格, 基本合格 or 不合格 (the last two with a rectification demand and its deadline). The
// worker reminds those who have not filed before the deadline and, after it, hands each non-filer to
// OnMissed (the 活动异常名录). Opening is set-based — one INSERT … SELECT for the reports and batched
// outbox rows for the notices — so that 30,000 organisations open in seconds.
package annualreport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
)

// The kinds of campaign the command line and the API open; annual reports are the only one yet.
const KindAnnualReport = "annual-report"

// Campaign is one year's annual-report campaign of a jurisdiction.
type Campaign struct {
	bun.BaseModel `bun:"table:annual_campaigns,alias:ac"`

	ID           int64  `bun:",pk,autoincrement" json:"id"`
	Year         int    `json:"year"`
	Jurisdiction string `json:"jurisdiction"`
	// The deadlines by kind of organisation, YYYY-MM-DD.
	DeadlineSocialGroup          string    `json:"deadline_social_group"`
	DeadlinePrivateNonEnterprise string    `json:"deadline_private_non_enterprise"`
	DeadlineFoundation           string    `json:"deadline_foundation"`
	Cutoff                       string    `json:"cutoff"`      // organisations registered after this day skip the year
	RemindDays                   int       `json:"remind_days"` // reminders go this many days before a deadline
	OpenedAt                     time.Time `json:"opened_at"`
	OpenedBy                     *int64    `json:"-"`
	Reports                      int       `json:"reports"` // how many organisations got a report to file
	ResultsNoticeID              *int64    `json:"results_notice_id,omitempty"`
}

// Deadline returns the campaign's deadline for organisations of kind.
func (c *Campaign) Deadline(kind string) string {
	switch kind {
	case register.KindFoundation:
		return c.DeadlineFoundation
	case register.KindPrivateNonEnterprise:
		return c.DeadlinePrivateNonEnterprise
	}
	return c.DeadlineSocialGroup
}

// Opening is what an admin asks for when opening a campaign. Deadlines left empty take the defaults
// of domain.md §2: 31 May of the next year for social groups and private non-enterprise units, 31
// March for foundations (基金会管理条例 art. 36); RemindDays 0 takes DefaultRemindDays.
type Opening struct {
	Year         int               `json:"year"`
	Jurisdiction string            `json:"jurisdiction"`
	Deadlines    map[string]string `json:"deadlines,omitempty"` // kind → YYYY-MM-DD
	RemindDays   int               `json:"remind_days,omitempty"`
}

// DefaultRemindDays is how long before a deadline the reminder goes, unless the campaign says.
const DefaultRemindDays = 15

// defaultDeadlines are the month and day of the deadline in the year after the report's, by kind.
var defaultDeadlines = map[string]string{
	register.KindSocialGroup:          "05-31",
	register.KindPrivateNonEnterprise: "05-31",
	register.KindFoundation:           "03-31",
}

// DefaultDeadline is the deadline of the reports of year for organisations of kind, unless the
// campaign says otherwise.
func DefaultDeadline(year int, kind string) string {
	return fmt.Sprintf("%04d-%s", year+1, defaultDeadlines[kind])
}

// The permissions of policies/policy.csv, in the campaign's jurisdiction.
const (
	object     = "campaign"
	actRead    = "read"    // staff: see campaigns, their reports and statistics
	actOpen    = "open"    // admin: open a campaign
	actPublish = "publish" // approver: publish a campaign's results
)

// Authorizer decides who may do what where: the casbin enforcer.
type Authorizer interface {
	Allowed(userID int64, jurisdiction, obj, act string) bool
	Scopes(userID int64, obj, act string) []string
}

// MayOpen reports whether the user opens campaigns in the jurisdiction.
func MayOpen(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth.Allowed(userID, jurisdiction, object, actOpen)
}

// MayRead reports whether the user reads the campaigns of the jurisdiction.
func MayRead(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth.Allowed(userID, jurisdiction, object, actRead)
}

// MayPublish reports whether the user publishes the results of the jurisdiction's campaigns.
func MayPublish(auth Authorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth.Allowed(userID, jurisdiction, object, actPublish)
}

var errCampaignExists = problem.New(problem.Conflict, "campaign_exists",
	"该辖区该年度的年度工作报告已开始报送。", "This jurisdiction's annual-report campaign for this year is open already.")

// check validates the opening against today and fills in the defaults; every bad field at once.
func (o *Opening) check(ctx context.Context, db bun.IDB, today calendar.Date) (*Campaign, error) {
	var fe problem.Fields
	if o.Year < 2000 || o.Year > today.Year() {
		fe.Add("year", "invalid", fmt.Sprintf("年度须在2000年至%d年之间。", today.Year()),
			fmt.Sprintf("The year must be between 2000 and %d.", today.Year()))
	}
	o.Jurisdiction = strings.TrimSpace(o.Jurisdiction)
	if !jurisdictions.ValidCode(o.Jurisdiction) {
		fe.Add("jurisdiction", "invalid", "请填写六位行政区划代码。", "Give a six-digit division code.")
	} else if _, err := jurisdictions.Get(ctx, db, o.Jurisdiction); errors.Is(err, jurisdictions.ErrNotFound) {
		fe.Add("jurisdiction", "unknown", "没有该行政区划。", "There is no such jurisdiction.")
	} else if err != nil {
		return nil, err
	}
	if o.RemindDays == 0 {
		o.RemindDays = DefaultRemindDays
	}
	if o.RemindDays < 1 || o.RemindDays > 90 {
		fe.Add("remind_days", "invalid", "提醒提前天数须在1至90之间。", "Remind between 1 and 90 days before the deadline.")
	}
	c := &Campaign{Year: o.Year, Jurisdiction: o.Jurisdiction, RemindDays: o.RemindDays,
		Cutoff: fmt.Sprintf("%04d-07-01", o.Year)}
	for kind := range o.Deadlines {
		if _, ok := defaultDeadlines[kind]; !ok {
			fe.Add("deadlines."+kind, "unknown_kind", "没有这种组织类型。", "There is no such kind of organisation.")
		}
	}
	yearEnd := calendar.Date{}
	if d, err := calendar.ParseDate(fmt.Sprintf("%04d-12-31", o.Year)); err == nil {
		yearEnd = d
	}
	for _, kind := range register.Kinds {
		s := strings.TrimSpace(o.Deadlines[kind])
		if s == "" {
			s = DefaultDeadline(o.Year, kind)
		}
		d, err := calendar.ParseDate(s)
		switch {
		case err != nil:
			fe.Add("deadlines."+kind, "invalid_date", "截止日期格式须为YYYY-MM-DD。", "The deadline must be a date, YYYY-MM-DD.")
			continue
		case !yearEnd.IsZero() && !d.After(yearEnd):
			fe.Add("deadlines."+kind, "too_early", "截止日期须在报告年度结束之后。", "The deadline must come after the end of the year reported on.")
		}
		switch kind {
		case register.KindSocialGroup:
			c.DeadlineSocialGroup = d.String()
		case register.KindPrivateNonEnterprise:
			c.DeadlinePrivateNonEnterprise = d.String()
		case register.KindFoundation:
			c.DeadlineFoundation = d.String()
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Open opens the campaign asked for, if the actor may open campaigns in its jurisdiction (auth nil:
// the operator at the command line). In one
// transaction it records the campaign, gives each active organisation of the jurisdiction and the
// divisions below it that was registered on or before the cut-off (1 July of the year) and has no
// report of the year yet (from a campaign of a higher level) a pending report, with the deadline of
// its kind, by one INSERT … SELECT, and writes the annual_report_due notices to every applicant bound
// to one of them through the outbox in batches. A second campaign of the jurisdiction and year is a
// Conflict; bad input an Invalid problem on its fields. now is when it opens.
func Open(ctx context.Context, db bun.IDB, auth Authorizer, actor audit.Actor, o Opening, now time.Time) (*Campaign, error) {
	c, err := o.check(ctx, db, calendar.DateOf(now))
	if err != nil {
		return nil, err
	}
	if auth != nil && !MayOpen(auth, actor.UserID, c.Jurisdiction) {
		return nil, problem.ErrForbidden
	}
	c.OpenedAt = now.UTC().Truncate(time.Microsecond)
	if actor.UserID != 0 {
		id := actor.UserID
		c.OpenedBy = &id
	}
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		exists, err := tx.NewSelect().Model((*Campaign)(nil)).Where("year = ? AND jurisdiction = ?", c.Year, c.Jurisdiction).Exists(ctx)
		if err != nil {
			return err
		}
		if exists {
			return errCampaignExists
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return fmt.Errorf("inserting the campaign: %w", err)
		}
		if c.Reports, err = insertReports(ctx, tx, c); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(c).Column("reports").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("counting the campaign's reports: %w", err)
		}
		if err := notifyBound(ctx, tx, c, "annual_report_due", "r.campaign_id = ?", c.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "campaign.open", object, fmt.Sprint(c.ID), c.Jurisdiction,
			map[string]any{"year": c.Year, "reports": c.Reports})
	})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return nil, err
		}
		if database.IsUniqueViolation(err) {
			return nil, errCampaignExists
		}
		return nil, fmt.Errorf("opening the %d campaign of %s: %w", o.Year, o.Jurisdiction, err)
	}
	return c, nil
}

// insertReports gives the campaign's organisations their pending reports in one statement and
// returns how many it gave.
func insertReports(ctx context.Context, tx bun.Tx, c *Campaign) (int, error) {
	cutoff, _ := calendar.ParseDate(c.Cutoff)
	registeredBy := cutoff.AddDays(1).Time().UTC() // registered on the cut-off day, in China, counts
	where, args := policies.ScopeFilter("o.jurisdiction", []string{jurisdictions.Subtree(c.Jurisdiction)})
	q := tx.NewSelect().TableExpr("organisations AS o").
		ColumnExpr("?, o.id, ?, o.kind, o.jurisdiction", c.ID, c.Year).
		ColumnExpr("CASE o.kind WHEN ? THEN ? WHEN ? THEN ? ELSE ? END",
			register.KindFoundation, c.DeadlineFoundation, register.KindPrivateNonEnterprise, c.DeadlinePrivateNonEnterprise,
			c.DeadlineSocialGroup).
		ColumnExpr("?", StatusPending).
		Where("o.status = ?", register.StatusActive).
		Where("o.registered_at < ?", registeredBy).
		Where(where, args...)
	// ON CONFLICT skips the organisations a campaign of a higher level gave their report already. (A NOT
	// EXISTS over annual_reports would rescan the pages this statement writes for every row: quadratic
	// on PostgreSQL.) The SELECT's WHERE keeps SQLite from reading ON as a join's.
	res, err := tx.NewRaw(`INSERT INTO annual_reports (campaign_id, organisation_id, year, kind, jurisdiction, deadline, status) ?
		ON CONFLICT (organisation_id, year) DO NOTHING`, q).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("giving the organisations their reports: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("counting the reports: %w", err)
	}
	return int(n), nil
}

// notifyBound writes the notice template to every applicant actively bound to an organisation of the
// reports that where selects (alias r), through the outbox in batches.
func notifyBound(ctx context.Context, tx bun.IDB, c *Campaign, template, where string, args ...any) error {
	var rows []struct {
		UserID   int64
		Name     string
		Deadline string
	}
	err := tx.NewSelect().TableExpr("annual_reports AS r").
		Join("JOIN organisations AS o ON o.id = r.organisation_id").
		Join("JOIN organisation_bindings AS b ON b.organisation_id = r.organisation_id AND b.status = ?", register.BindingActive).
		ColumnExpr("b.user_id, o.name, r.deadline").
		Where(where, args...).
		OrderExpr("r.id, b.user_id").Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("reading whom to notify: %w", err)
	}
	msgs := make([]notify.Message, len(rows))
	for i, r := range rows {
		msgs[i] = notify.Message{UserID: r.UserID, Template: template,
			Data: map[string]any{"organisation": r.Name, "year": c.Year, "deadline": r.Deadline}}
	}
	return notify.SendMany(ctx, tx, msgs)
}

// Campaigns lists the campaigns of the jurisdictions where the user reads campaigns, the newest first.
func Campaigns(ctx context.Context, db bun.IDB, auth Authorizer, userID int64) ([]Campaign, error) {
	out := []Campaign{}
	scopes := auth.Scopes(userID, object, actRead)
	if userID == 0 || len(scopes) == 0 {
		return out, nil
	}
	where, args := policies.ScopeFilter("ac.jurisdiction", scopes)
	if err := db.NewSelect().Model(&out).Where(where, args...).OrderExpr("ac.year DESC, ac.id DESC").Limit(200).Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing campaigns: %w", err)
	}
	return out, nil
}

// Get returns the campaign if the user reads campaigns in its jurisdiction; problem.ErrNotFound for
// one that does not exist or that the user may not see.
func Get(ctx context.Context, db bun.IDB, auth Authorizer, userID, id int64) (*Campaign, error) {
	c := new(Campaign)
	err := db.NewSelect().Model(c).Where("ac.id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !MayRead(auth, userID, c.Jurisdiction)) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading campaign %d: %w", id, err)
	}
	return c, nil
}
