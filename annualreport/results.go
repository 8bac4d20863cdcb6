package annualreport

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/problem"
)

// Stat is one line of a campaign's statistics: the reports of one jurisdiction and kind (or, in
// Totals, all of a campaign's).
type Stat struct {
	CampaignID   int64  `json:"-"`
	Jurisdiction string `json:"jurisdiction"`
	Kind         string `json:"kind"`
	Reports      int    `json:"reports"`
	Filed        int    `json:"filed"`
	OnTime       int    `json:"on_time"`
	Missed       int    `json:"missed"` // past the deadline unfiled (filed late ones count as filed)
	Pass         int    `json:"pass"`
	BasicPass    int    `json:"basic_pass"`
	Fail         int    `json:"fail"`
}

// countReports selects the counts of Stat over the reports (alias r) that the query groups.
func countReports(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("annual_reports AS r").
		ColumnExpr("COUNT(*) AS reports").
		ColumnExpr("SUM(CASE WHEN r.case_id IS NOT NULL THEN 1 ELSE 0 END) AS filed").
		ColumnExpr("SUM(CASE WHEN r.on_time THEN 1 ELSE 0 END) AS on_time").
		ColumnExpr("SUM(CASE WHEN r.status = ? THEN 1 ELSE 0 END) AS missed", StatusMissed).
		ColumnExpr("SUM(CASE WHEN r.result = ? THEN 1 ELSE 0 END) AS pass", ResultPass).
		ColumnExpr("SUM(CASE WHEN r.result = ? THEN 1 ELSE 0 END) AS basic_pass", ResultBasicPass).
		ColumnExpr("SUM(CASE WHEN r.result = ? THEN 1 ELSE 0 END) AS fail", ResultFail)
}

// Statistics counts the campaign's reports per jurisdiction and kind, in one query.
func Statistics(ctx context.Context, db bun.IDB, campaignID int64) ([]Stat, error) {
	out := []Stat{}
	err := countReports(db).ColumnExpr("r.jurisdiction, r.kind").
		Where("r.campaign_id = ?", campaignID).
		GroupExpr("r.jurisdiction, r.kind").OrderExpr("r.jurisdiction, r.kind").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("counting the reports of campaign %d: %w", campaignID, err)
	}
	return out, nil
}

// Totals counts the reports of each of the campaigns, in one query: the line of the campaigns list.
func Totals(ctx context.Context, db bun.IDB, campaigns []Campaign) (map[int64]Stat, error) {
	out := map[int64]Stat{}
	if len(campaigns) == 0 {
		return out, nil
	}
	ids := make([]int64, len(campaigns))
	for i, c := range campaigns {
		ids[i] = c.ID
	}
	var rows []Stat
	if err := countReports(db).ColumnExpr("r.campaign_id").Where("r.campaign_id IN (?)", bun.List(ids)).
		GroupExpr("r.campaign_id").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("counting the reports of %d campaigns: %w", len(ids), err)
	}
	for _, r := range rows {
		out[r.CampaignID] = r
	}
	return out, nil
}

var (
	errResultsPublished = problem.New(problem.Conflict, "results_published",
		"该年度的结果公告已经发布。", "The results of this campaign have been published already.")
	errNothingReviewed = problem.New(problem.Conflict, "nothing_reviewed",
		"尚无审查结论，不能发布结果公告。", "No report has been reviewed yet: there are no results to publish.")
)

// resultNames are the results as the notice prints them.
var resultNames = map[string]string{ResultPass: "合格", ResultBasicPass: "基本合格", ResultFail: "不合格"}

// PublishResults publishes the campaign's results as a 社会组织公告, at once (it repeats the reviews'
// results): every reviewed organisation with its result, then those that did not file. Only an
// approver of the campaign's jurisdiction publishes, once per campaign.
func PublishResults(ctx context.Context, db *bun.DB, auth Authorizer, actor audit.Actor, id int64) (*notices.Notice, error) {
	c, err := Get(ctx, db, auth, actor.UserID, id)
	if err != nil {
		return nil, err
	}
	if !MayPublish(auth, actor.UserID, c.Jurisdiction) {
		return nil, problem.ErrForbidden
	}
	var n *notices.Notice
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if c.ResultsNoticeID != nil {
			return errResultsPublished
		}
		var rows []struct {
			Name, USCC, Result, Status string
		}
		if err := tx.NewSelect().TableExpr("annual_reports AS r").Join("JOIN organisations AS o ON o.id = r.organisation_id").
			ColumnExpr("o.name, o.uscc, r.result, r.status").
			Where("r.campaign_id = ? AND (r.result <> '' OR r.status = ?)", c.ID, StatusMissed).
			OrderExpr("r.result = '', r.result, o.uscc").Scan(ctx, &rows); err != nil {
			return fmt.Errorf("reading the results of campaign %d: %w", id, err)
		}
		var results, missed []string
		for _, r := range rows {
			if r.Result != "" {
				results = append(results, fmt.Sprintf("%s（%s）：%s", r.Name, r.USCC, resultNames[r.Result]))
			} else {
				missed = append(missed, fmt.Sprintf("%s（%s）", r.Name, r.USCC))
			}
		}
		if len(results) == 0 {
			return errNothingReviewed
		}
		jur, err := jurisdictions.Get(ctx, tx, c.Jurisdiction)
		if err != nil {
			return err
		}
		title := fmt.Sprintf("关于%s社会组织%d年度工作报告结果的公告", jur.NameZH, c.Year)
		body := fmt.Sprintf("根据社会组织登记管理有关规定，现将%s社会组织%d年度工作报告审查结果公告如下：\n\n%s",
			jur.NameZH, c.Year, strings.Join(results, "\n"))
		if len(missed) > 0 {
			body += "\n\n以下社会组织未按规定报送年度工作报告：\n" + strings.Join(missed, "\n")
		}
		if n, err = notices.PublishSystem(ctx, tx, c.Jurisdiction, nil, notices.CategoryOrganisations, notices.KindAnnualResults,
			title, body, nil); err != nil {
			return err
		}
		c.ResultsNoticeID = &n.ID
		res, err := tx.NewUpdate().Model(c).Column("results_notice_id").WherePK().Where("results_notice_id IS NULL").Exec(ctx)
		if err != nil {
			return fmt.Errorf("recording the results notice of campaign %d: %w", id, err)
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return errResultsPublished // published by someone else meanwhile: this notice rolls back
		}
		return audit.Record(ctx, tx, actor, "campaign.publish_results", object, fmt.Sprint(c.ID), c.Jurisdiction,
			map[string]any{"notice": n.ID})
	})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("publishing the results of campaign %d: %w", id, err)
	}
	return n, nil
}
