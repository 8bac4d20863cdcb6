package annualreport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// ItemCode is the catalogue item an organisation files its report with.
const ItemCode = "annual-report"

// The statuses of a report.
const (
	StatusPending  = "pending"  // to file
	StatusFiled    = "filed"    // its case is open
	StatusReviewed = "reviewed" // staff recorded the result
	StatusMissed   = "missed"   // the deadline passed unfiled (it may still be filed, late)
)

// The results of the review (domain.md §2).
const (
	ResultPass      = "pass"       // 合格
	ResultBasicPass = "basic_pass" // 基本合格: rectification demanded
	ResultFail      = "fail"       // 不合格: rectification demanded
)

// Results lists the results, best first.
var Results = []string{ResultPass, ResultBasicPass, ResultFail}

// The names of the workflow effects of this package, which the item annual-report runs.
const (
	EffectFile      = "annualreport.file"
	EffectResult    = "annualreport.record_result"
	EffectRectified = "annualreport.rectified"
)

// Register makes the engine run this package's effects.
func Register(e *workflow.Engine) {
	e.RegisterEffect(EffectFile, fileEffect)
	e.RegisterEffect(EffectResult, resultEffect)
	e.RegisterEffect(EffectRectified, rectifiedEffect)
}

// Report is one organisation's report of one year.
type Report struct {
	bun.BaseModel `bun:"table:annual_reports,alias:r"`

	ID                    int64      `bun:",pk,autoincrement" json:"id"`
	CampaignID            int64      `json:"campaign_id"`
	OrganisationID        int64      `json:"organisation_id"`
	Year                  int        `json:"year"`
	Kind                  string     `json:"kind"`
	Jurisdiction          string     `json:"jurisdiction"`
	Deadline              string     `json:"deadline"`
	Status                string     `json:"status"`
	CaseID                *int64     `json:"case_id,omitempty"`
	FiledAt               *time.Time `json:"filed_at,omitempty"`
	OnTime                *bool      `json:"on_time,omitempty"`
	Result                string     `json:"result,omitempty"`
	RectificationDeadline string     `json:"rectification_deadline,omitempty"`
	RectifiedAt           *time.Time `json:"rectified_at,omitempty"`
	RemindedAt            *time.Time `json:"-"`
	MissedAt              *time.Time `json:"missed_at,omitempty"`
}

// fileEffect is the on_start effect annualreport.file: the new case claims the report of the year its
// form names for the organisation of its credit code (checked bound by then), as filed now, on time
// when on or before the deadline. No report to file is an Invalid problem on "year" that refuses the
// case; one filed already a Conflict.
func fileEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	values, _ := c.Data[item.Form].(map[string]any)
	year, _ := values["year"].(int64)
	uscc, _ := c.Fields[catalog.OrganisationField].(string)
	r := new(Report)
	err := tx.NewSelect().Model(r).
		Where("r.year = ? AND r.organisation_id = (SELECT id FROM organisations WHERE uscc = ?)", year, uscc).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return yearProblem("no_report", "该组织该年度没有需要报送的年度工作报告（年度报告尚未开始或不在报送范围内）。",
			"This organisation has no annual report to file for this year (no campaign is open for it, or it is not included).")
	}
	if err != nil {
		return fmt.Errorf("reading the %d report of %s: %w", year, uscc, err)
	}
	if r.CaseID != nil {
		return yearProblem("already_filed", "该年度的年度工作报告已经报送。", "The report of this year has been filed already.")
	}
	filed := c.CreatedAt
	onTime := calendar.DateOf(filed).String() <= r.Deadline
	res, err := tx.NewUpdate().Model(r).Set("case_id = ?", c.ID).Set("filed_at = ?", filed).Set("on_time = ?", onTime).
		Set("status = ?", StatusFiled).Where("r.id = ? AND r.case_id IS NULL", r.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("filing the %d report of %s: %w", year, uscc, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return yearProblem("already_filed", "该年度的年度工作报告已经报送。", "The report of this year has been filed already.")
	}
	c.Fields["report_deadline"] = r.Deadline
	c.Fields["on_time"] = onTime
	return nil
}

// yearProblem is a refusal of a filing, on the form's year field.
func yearProblem(code, zh, en string) error {
	var fe problem.Fields
	fe.Add("year", code, zh, en)
	return fe.Err()
}

// resultEffect is the effect annualreport.record_result of the review actions: it records the case's
// result field (set by the action) and, for 基本合格 and 不合格, the rectification deadline the reviewer
// entered.
func resultEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, _ *catalog.Item) error {
	result, _ := c.Fields["result"].(string)
	if !validResult(result) {
		return fmt.Errorf("case %s: result %q is none of %v", c.Number, result, Results)
	}
	deadline, _ := c.Fields["rectification_deadline"].(string)
	if result == ResultPass {
		deadline = ""
	}
	return updateOfCase(ctx, tx, c, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("result = ?", result).Set("rectification_deadline = ?", deadline).Set("status = ?", StatusReviewed)
	})
}

// rectifiedEffect is the effect annualreport.rectified: staff accepted the rectification report.
func rectifiedEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, _ *catalog.Item) error {
	return updateOfCase(ctx, tx, c, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("rectified_at = ?", c.UpdatedAt)
	})
}

func validResult(r string) bool {
	for _, x := range Results {
		if x == r {
			return true
		}
	}
	return false
}

// updateOfCase applies set to the report the case filed.
func updateOfCase(ctx context.Context, tx bun.Tx, c *workflow.Case, set func(*bun.UpdateQuery) *bun.UpdateQuery) error {
	res, err := set(tx.NewUpdate().Model((*Report)(nil))).Where("case_id = ?", c.ID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("updating the report of case %s: %w", c.Number, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("case %s filed no annual report", c.Number)
	}
	return nil
}

// OnMissed is called, in the transaction that marks it missed, once for each organisation that did
// not file its report of the year by its deadline: the 活动异常名录 lists it (serve and the web
// tests set it to credit.ListForMissedReport; this package does not import credit, which reads
// the register). The jurisdiction is the organisation's registration authority. Nil does nothing
// but mark the report.
var OnMissed func(ctx context.Context, tx bun.IDB, organisationID int64, year int, jurisdiction string) error

// sweepBatch is how many reports one transaction of the deadline pass or the reminders handles.
const sweepBatch = 200

// PassDeadlines marks missed every pending report whose deadline was before today and hands each to
// OnMissed, once: a report is marked and handed in one transaction, a batch at a time. It returns
// how many it marked.
func PassDeadlines(ctx context.Context, db *bun.DB, today calendar.Date, now time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var due []Report
			if err := tx.NewSelect().Model(&due).Where("r.status = ? AND r.deadline < ?", StatusPending, today.String()).
				OrderExpr("r.id").Limit(sweepBatch).Scan(ctx); err != nil {
				return fmt.Errorf("reading reports past their deadline: %w", err)
			}
			for _, r := range due {
				res, err := tx.NewUpdate().Model((*Report)(nil)).Set("status = ?", StatusMissed).Set("missed_at = ?", now.UTC()).
					Where("id = ? AND status = ?", r.ID, StatusPending).Exec(ctx)
				if err != nil {
					return fmt.Errorf("marking report %d missed: %w", r.ID, err)
				}
				if k, _ := res.RowsAffected(); k != 1 {
					continue // another worker took it
				}
				n++
				if OnMissed == nil {
					continue
				}
				if err := OnMissed(ctx, tx, r.OrganisationID, r.Year, r.Jurisdiction); err != nil {
					return fmt.Errorf("listing organisation %d for its missed %d report: %w", r.OrganisationID, r.Year, err)
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n == 0 {
			if total > 0 {
				slog.InfoContext(ctx, "annual reports: deadlines passed", "missed", total)
			}
			return total, nil
		}
	}
}

// Remind sends annual_report_reminder, once, for every pending report whose deadline is within its
// campaign's reminder days of today, to the applicants bound to its organisation. It returns how many
// reports it reminded.
func Remind(ctx context.Context, db *bun.DB, today calendar.Date, now time.Time) (int, error) {
	var campaigns []Campaign
	if err := db.NewSelect().Model(&campaigns).
		Where("EXISTS (SELECT 1 FROM annual_reports AS r WHERE r.campaign_id = ac.id AND r.status = ? AND r.reminded_at IS NULL)", StatusPending).
		Scan(ctx); err != nil {
		return 0, fmt.Errorf("reading campaigns to remind: %w", err)
	}
	total := 0
	for i := range campaigns {
		c := &campaigns[i]
		until := today.AddDays(c.RemindDays).String()
		for {
			var n int64
			err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				var ids []int64
				if err := tx.NewSelect().Model((*Report)(nil)).Column("id").
					Where("r.campaign_id = ? AND r.status = ? AND r.reminded_at IS NULL AND r.deadline >= ? AND r.deadline <= ?",
						c.ID, StatusPending, today.String(), until).OrderExpr("r.id").Limit(sweepBatch).Scan(ctx, &ids); err != nil {
					return fmt.Errorf("reading reports to remind: %w", err)
				}
				if len(ids) == 0 {
					return nil
				}
				res, err := tx.NewUpdate().Model((*Report)(nil)).Set("reminded_at = ?", now.UTC()).
					Where("id IN (?) AND reminded_at IS NULL", bun.List(ids)).Exec(ctx)
				if err != nil {
					return fmt.Errorf("marking reports reminded: %w", err)
				}
				n, _ = res.RowsAffected()
				return notifyBound(ctx, tx, c, "annual_report_reminder", "r.id IN (?)", bun.List(ids))
			})
			if err != nil {
				return total, err
			}
			total += int(n)
			if n == 0 {
				break
			}
		}
	}
	return total, nil
}

// Tick is the worker's periodic work: reminders, then the deadlines that passed.
func Tick(ctx context.Context, db *bun.DB, now time.Time) error {
	today := calendar.DateOf(now)
	if _, err := Remind(ctx, db, today, now); err != nil {
		return err
	}
	_, err := PassDeadlines(ctx, db, today, now)
	return err
}

// Due is a report an applicant has to file: pending, or missed and still to be filed late.
type Due struct {
	ReportID     int64  `json:"report_id"`
	Year         int    `json:"year"`
	Deadline     string `json:"deadline"`
	Status       string `json:"status"`
	Jurisdiction string `json:"jurisdiction"` // where the report is filed: the organisation's authority
	Name         string `json:"name"`
	USCC         string `json:"uscc"`
}

// DueFor lists the reports still to file of the organisations the user actively acts for, the
// earliest deadline first.
func DueFor(ctx context.Context, db bun.IDB, userID int64) ([]Due, error) {
	out := []Due{}
	err := db.NewSelect().TableExpr("annual_reports AS r").
		Join("JOIN organisations AS o ON o.id = r.organisation_id").
		Join("JOIN organisation_bindings AS b ON b.organisation_id = r.organisation_id").
		ColumnExpr("r.id AS report_id, r.year, r.deadline, r.status, o.jurisdiction, o.name, o.uscc").
		Where("b.user_id = ? AND b.status = ?", userID, register.BindingActive).
		Where("r.status IN (?)", bun.List([]string{StatusPending, StatusMissed})).
		OrderExpr("r.deadline, o.uscc").Limit(200).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("listing the reports user %d has to file: %w", userID, err)
	}
	return out, nil
}
