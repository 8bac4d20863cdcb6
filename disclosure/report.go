package disclosure

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/problem"
)

// The annual government-information-disclosure report (政府信息公开工作年度报告) in the format of
// 国办公开办函〔2021〕30号, built from the data for one year and one jurisdiction: the department's
// own division code exactly (a city's report counts what the city's bureau did, not its counties',
// which report for themselves). Departments publish it by 31 January of the next year.

// AnnualReport is the report of a year: its four tables, the narrative sections staff write, and the
// tables other packages contribute (Other).
type AnnualReport struct {
	Year         int    `json:"year"`
	Jurisdiction string `json:"jurisdiction"`
	// Authority is the department reporting, e.g. 沈阳市民政局.
	Authority string `json:"authority"`
	// Proactive is table 二, 主动公开政府信息情况.
	Proactive Proactive `json:"proactive"`
	// Requests is table 三, 收到和处理政府信息公开申请情况.
	Requests RequestTable `json:"requests"`
	// Reviews is table 四, 政府信息公开行政复议、行政诉讼情况.
	Reviews ReviewTable `json:"reviews"`
	// Sections are the narrative sections, in the report's order, empty ones included.
	Sections []ReportSection `json:"sections"`
	// Other are the tables of the department's other work with the public that the seed's reports
	// count: consultations, complaints and suggestions answered, drafts put to public comment, and
	// service ratings (see otherTables).
	Other []ReportTable `json:"other"`
}

// ReportColumns are the keys of the columns of table 三: ApplicantTypes, then the total.
var ReportColumns = append(slices.Clone(ApplicantTypes), "total")

// columnNames are the columns' names in the format.
var columnNames = map[string]string{"natural": "自然人", "business": "商业企业", "research": "科研机构",
	"public_welfare": "社会公益组织", "legal_service": "法律服务机构", "other": "其他", "total": "总计"}

// ColumnName is the name of a column of table 三 in the format.
func ColumnName(key string) string { return columnNames[key] }

// colTotal is the index of the 总计 column in Counts.
const colTotal = 6

// Counts are the figures of one row of table 三 by column (ReportColumns): JSON writes them as an object
// keyed by column.
type Counts [7]int

// add counts one request of the applicant type.
func (c *Counts) add(applicantType string, n int) error {
	i := slices.Index(ApplicantTypes, applicantType)
	if i < 0 {
		return fmt.Errorf("disclosure requests: unknown applicant type %q in the data", applicantType)
	}
	c[i] += n
	c[colTotal] += n
	return nil
}

// MarshalJSON writes the counts as {"natural": n, …, "total": n}.
func (c Counts) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range ReportColumns {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%d", k, c[i])
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Counts) UnmarshalJSON(b []byte) error {
	var m map[string]int
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for i, k := range ReportColumns {
		c[i] = m[k]
	}
	return nil
}

// OutcomeCounts is one row of 三、本年度办理结果: an Outcome and its counts.
type OutcomeCounts struct {
	Code   string `json:"code"`
	Group  int    `json:"group"`
	Item   int    `json:"item"`
	Name   string `json:"name"`
	Counts Counts `json:"counts"`
}

// RequestTable is table 三. The rows are counted each by its own rule, so that the check
// 一 + 二 = 三(七) + 四 tests the data:
//   - 一 Received: requests received in the year;
//   - 二 CarriedIn: received before the year and not closed before it began;
//   - 三 Outcomes: requests closed in the year, by outcome, and Closed their total (七);
//   - 四 CarriedOut: received by 31 December and not closed by then.
type RequestTable struct {
	Received   Counts          `json:"received"`
	CarriedIn  Counts          `json:"carried_in"`
	Outcomes   []OutcomeCounts `json:"outcomes"`
	Closed     Counts          `json:"closed"`
	CarriedOut Counts          `json:"carried_out"`
}

// groupNames are the groups (一) to (六) of 三、本年度办理结果 in the format.
var groupNames = []string{"", "（一）予以公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
	"（三）不予公开", "（四）无法提供", "（五）不予处理", "（六）其他处理"}

// ReviewCounts are the figures of one kind of case of table 四.
type ReviewCounts struct {
	Upheld    int `json:"upheld"`    // 结果维持
	Corrected int `json:"corrected"` // 结果纠正
	Other     int `json:"other"`     // 其他结果
	Pending   int `json:"pending"`   // 尚未审结
	Total     int `json:"total"`     // 总计
}

// cells are the figures in the format's order.
func (r ReviewCounts) cells() []int { return []int{r.Upheld, r.Corrected, r.Other, r.Pending, r.Total} }

// ReviewTable is table 四: the administrative reviews and the lawsuits, directly or after a review.
type ReviewTable struct {
	Review      ReviewCounts `json:"review"`                  // 行政复议
	Direct      ReviewCounts `json:"litigation"`              // 行政诉讼：未经复议直接起诉
	AfterReview ReviewCounts `json:"litigation_after_review"` // 行政诉讼：复议后起诉
}

// Proactive is table 二 with the figures the product counts beside it.
type Proactive struct {
	// Rules (规章) and Normative (行政规范性文件): issued, repealed and in force; entered by staff.
	Rules     DocumentCounts `json:"rules"`
	Normative DocumentCounts `json:"normative"`
	// Licences is 行政许可, 本年处理决定数量: the licence decisions the product published (双公示 entries),
	// plus those staff report taken outside it.
	Licences LicenceCounts `json:"licences"`
	// Penalties (行政处罚) and Enforcement (行政强制) decisions; entered by staff.
	Penalties   int `json:"penalties"`
	Enforcement int `json:"enforcement"`
	// FeesFen is 行政事业性收费 collected, in fen; the table shows 万元 (Fees).
	FeesFen int64  `json:"fees_fen"`
	Fees    string `json:"fees_wan_yuan"`
	// Notices are the notices the product published in the year by category; Documents the
	// documents and certificates it issued by kind.
	Notices   []ReportLine `json:"notices"`
	Documents []ReportLine `json:"documents"`
}

// DocumentCounts are the 规章 or 规范性文件 of the year.
type DocumentCounts struct {
	Issued   int `json:"issued"`
	Repealed int `json:"repealed"`
	InForce  int `json:"in_force"`
}

// LicenceCounts are the licence decisions of the year.
type LicenceCounts struct {
	Published int `json:"published"` // 双公示 entries the product published
	Outside   int `json:"outside"`   // entered by staff: decisions taken outside the product
	Total     int `json:"total"`
}

// ReportLine is a named count.
type ReportLine struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// noticeCategoryNames name the notice categories as the portal does.
var noticeCategoryNames = map[string]string{notices.CategoryLicensing: "行政许可公示（双公示）",
	notices.CategoryOrganisations: "社会组织公告", notices.CategoryGeneral: "通知公告"}

// MinYear is the first year a report can be made for.
const MinYear = 2008 // 政府信息公开条例 in force from 1 May 2008

// checkScope validates the year (MinYear to this year) and the jurisdiction (an existing division
// code), every bad field at once.
func checkScope(ctx context.Context, db bun.IDB, year int, jurisdiction string) error {
	var fe problem.Fields
	if this := calendar.Today().Year(); year < MinYear || year > this {
		fe.Add("year", "invalid", fmt.Sprintf("年度须在%d年至%d年之间。", MinYear, this),
			fmt.Sprintf("The year must be between %d and %d.", MinYear, this))
	}
	if !jurisdictions.ValidCode(jurisdiction) {
		fe.Add("jurisdiction", "invalid", "请填写六位行政区划代码。", "Give a six-digit division code.")
	} else if _, err := jurisdictions.Get(ctx, db, jurisdiction); errors.Is(err, jurisdictions.ErrNotFound) {
		fe.Add("jurisdiction", "unknown", "没有该行政区划。", "There is no such jurisdiction.")
	} else if err != nil {
		return fmt.Errorf("reading jurisdiction %s: %w", jurisdiction, err)
	}
	return fe.Err()
}

// bounds are the first and last day of the year, YYYY-MM-DD, which compare as text.
func yearBounds(year int) (string, string) {
	return fmt.Sprintf("%04d-01-01", year), fmt.Sprintf("%04d-12-31", year)
}

// Report builds the report of the year for the jurisdiction (its own division code exactly) from
// the data. Bad input is an Invalid problem on "year" or "jurisdiction"; a table of requests that
// does not add up (一 + 二 ≠ 三(七) + 四 in a column, which consistent data never gives) is a
// Conflict "report_unbalanced" naming the column and the requests whose records are inconsistent.
// It does not check who asks: see ReportFor.
func Report(ctx context.Context, db bun.IDB, year int, jurisdiction string) (*AnnualReport, error) {
	jurisdiction = strings.TrimSpace(jurisdiction)
	if err := checkScope(ctx, db, year, jurisdiction); err != nil {
		return nil, err
	}
	auth, err := documents.AuthorityFor(ctx, db, &catalog.Catalog{}, jurisdiction)
	if err != nil {
		return nil, fmt.Errorf("naming the authority of %s: %w", jurisdiction, err)
	}
	r := &AnnualReport{Year: year, Jurisdiction: jurisdiction, Authority: auth.Name}
	if r.Requests, err = requestTable(ctx, db, year, jurisdiction); err != nil {
		return nil, err
	}
	if err := checkBalance(ctx, db, &r.Requests, jurisdiction); err != nil {
		return nil, err
	}
	if r.Proactive, err = proactive(ctx, db, year, jurisdiction); err != nil {
		return nil, err
	}
	if r.Reviews, err = reviewTable(ctx, db, year, jurisdiction); err != nil {
		return nil, err
	}
	if r.Sections, err = reportSections(ctx, db, year, jurisdiction); err != nil {
		return nil, err
	}
	if r.Other, err = otherTables(ctx, db, year, jurisdiction); err != nil {
		return nil, fmt.Errorf("disclosure report %d of %s: %w", year, jurisdiction, err)
	}
	return r, nil
}

// NameAuthority names the reporting department as the catalogue's authorities.yaml does (Report
// names it from the jurisdiction's name alone).
func (r *AnnualReport) NameAuthority(ctx context.Context, db bun.IDB, cat *catalog.Catalog) error {
	a, err := documents.AuthorityFor(ctx, db, cat, r.Jurisdiction)
	if err != nil {
		return fmt.Errorf("naming the authority of %s: %w", r.Jurisdiction, err)
	}
	r.Authority = a.Name
	return nil
}

// countRow is a count of requests by applicant type (and outcome).
type countRow struct {
	ApplicantType string `bun:"applicant_type"`
	Outcome       string `bun:"outcome"`
	N             int    `bun:"n"`
}

// countRequests counts the jurisdiction's requests meeting where, by applicant type (and outcome
// with byOutcome).
func countRequests(ctx context.Context, db bun.IDB, jurisdiction string, byOutcome bool, where string, args ...any) ([]countRow, error) {
	q := db.NewSelect().TableExpr("disclosure_requests").ColumnExpr("applicant_type, COUNT(*) AS n").
		Where("jurisdiction = ?", jurisdiction).Where(where, args...).GroupExpr("applicant_type")
	if byOutcome {
		q = q.ColumnExpr("outcome").GroupExpr("outcome")
	}
	var rows []countRow
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("counting the disclosure requests of %s: %w", jurisdiction, err)
	}
	return rows, nil
}

// sum counts rows into one row of the table.
func sumCounts(rows []countRow) (Counts, error) {
	var c Counts
	for _, r := range rows {
		if err := c.add(r.ApplicantType, r.N); err != nil {
			return c, err
		}
	}
	return c, nil
}

// requestTable counts table 三.
func requestTable(ctx context.Context, db bun.IDB, year int, jurisdiction string) (RequestTable, error) {
	first, last := yearBounds(year)
	var t RequestTable
	for _, part := range []struct {
		into  *Counts
		where string
		args  []any
	}{
		{&t.Received, "received_on >= ? AND received_on <= ?", []any{first, last}},
		{&t.CarriedIn, "received_on < ? AND (closed_on IS NULL OR closed_on >= ?)", []any{first, first}},
		{&t.CarriedOut, "received_on <= ? AND (closed_on IS NULL OR closed_on > ?)", []any{last, last}},
	} {
		rows, err := countRequests(ctx, db, jurisdiction, false, part.where, part.args...)
		if err != nil {
			return t, err
		}
		if *part.into, err = sumCounts(rows); err != nil {
			return t, err
		}
	}
	rows, err := countRequests(ctx, db, jurisdiction, true, "closed_on >= ? AND closed_on <= ?", first, last)
	if err != nil {
		return t, err
	}
	t.Outcomes = make([]OutcomeCounts, len(Outcomes))
	for i, o := range Outcomes {
		t.Outcomes[i] = OutcomeCounts{Code: o.Code, Group: o.Group, Item: o.Item, Name: o.Name}
		for _, r := range rows {
			if r.Outcome == o.Code {
				if err := t.Outcomes[i].Counts.add(r.ApplicantType, r.N); err != nil {
					return t, err
				}
			}
		}
		for k := range t.Closed {
			t.Closed[k] += t.Outcomes[i].Counts[k]
		}
	}
	return t, nil
}

// Unbalanced is the detail of a table of requests that does not add up.
type Unbalanced struct {
	// Column is the key of the first column that does not add up (ReportColumns).
	Column string `json:"column"`
	// In is 一 + 二 of that column, Out 三(七) + 四.
	In  int `json:"in"`
	Out int `json:"out"`
	// Cases are (some of) the cases whose request records cannot be right: closed before received,
	// closed without a known outcome, or with an outcome but not closed.
	Cases []int64 `json:"cases"`
}

// checkBalance refuses a table where 一 + 二 ≠ 三(七) + 四 in a column.
func checkBalance(ctx context.Context, db bun.IDB, t *RequestTable, jurisdiction string) error {
	for i, col := range ReportColumns {
		in, out := t.Received[i]+t.CarriedIn[i], t.Closed[i]+t.CarriedOut[i]
		if in == out {
			continue
		}
		codes := make([]string, len(Outcomes))
		for k, o := range Outcomes {
			codes[k] = o.Code
		}
		var cases []int64
		err := db.NewSelect().TableExpr("disclosure_requests").Column("case_id").Where("jurisdiction = ?", jurisdiction).
			Where("(closed_on IS NOT NULL AND (closed_on < received_on OR outcome NOT IN (?))) OR (closed_on IS NULL AND outcome <> '')",
				bun.List(codes)).OrderExpr("case_id").Limit(20).Scan(ctx, &cases)
		if err != nil {
			return fmt.Errorf("finding inconsistent disclosure requests of %s: %w", jurisdiction, err)
		}
		p := problem.New(problem.Conflict, "report_unbalanced",
			fmt.Sprintf("依申请公开情况表“%s”列不平：一、本年新收 + 二、上年结转 = %d，三(七)总计 + 四、结转下年度 = %d。请核对申请记录（受理日期、办结日期和办理结果）%s。",
				ColumnName(col), in, out, caseList(cases, "，涉及案件")),
			fmt.Sprintf("The table of requests does not add up in column %q (%s): received this year + carried over = %d, closed + carried into next year = %d. Check the requests' records (day received, day closed, outcome)%s.",
				col, ColumnName(col), in, out, caseList(cases, "; cases")))
		p.Detail = Unbalanced{Column: col, In: in, Out: out, Cases: append([]int64{}, cases...)}
		return p
	}
	return nil
}

// caseList writes the case ids after a lead, or nothing when there are none.
func caseList(ids []int64, lead string) string {
	if len(ids) == 0 {
		return ""
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return lead + " " + strings.Join(s, ", ")
}

// proactive counts table 二: staff's figures and what the product published.
func proactive(ctx context.Context, db bun.IDB, year int, jurisdiction string) (Proactive, error) {
	var p Proactive
	f, err := reportFigures(ctx, db, year, jurisdiction)
	if err != nil {
		return p, err
	}
	p.Rules = DocumentCounts{int(f[FigureRulesIssued]), int(f[FigureRulesRepealed]), int(f[FigureRulesInForce])}
	p.Normative = DocumentCounts{int(f[FigureNormativeIssued]), int(f[FigureNormativeRepealed]), int(f[FigureNormativeInForce])}
	p.Penalties, p.Enforcement = int(f[FigurePenalties]), int(f[FigureEnforcement])
	p.FeesFen = f[FigureFees]
	p.Fees = WanYuan(p.FeesFen)
	from, to := calendar.NewDate(year, 1, 1).Time(), calendar.NewDate(year+1, 1, 1).Time()
	var byCategory []struct {
		Category string `bun:"category"`
		N        int    `bun:"n"`
	}
	err = db.NewSelect().TableExpr("notices").ColumnExpr("category, COUNT(*) AS n").
		Where("jurisdiction = ? AND published_at >= ? AND published_at < ?", jurisdiction, from.UTC(), to.UTC()).
		GroupExpr("category").Scan(ctx, &byCategory)
	if err != nil {
		return p, fmt.Errorf("counting the notices of %s in %d: %w", jurisdiction, year, err)
	}
	p.Notices = make([]ReportLine, len(notices.Categories))
	for i, c := range notices.Categories {
		p.Notices[i] = ReportLine{Key: c, Name: noticeCategoryNames[c]}
		for _, r := range byCategory {
			if r.Category == c {
				p.Notices[i].Count = r.N
			}
		}
	}
	published, err := db.NewSelect().TableExpr("notices").
		Where("jurisdiction = ? AND kind = ? AND published_at >= ? AND published_at < ?", jurisdiction, notices.KindLicence, from.UTC(), to.UTC()).
		Count(ctx)
	if err != nil {
		return p, fmt.Errorf("counting the licence decisions of %s in %d: %w", jurisdiction, year, err)
	}
	p.Licences.Published, p.Licences.Outside = int(published), int(f[FigureLicencesOutside])
	p.Licences.Total = p.Licences.Published + p.Licences.Outside
	var byKind []struct {
		Kind  string `bun:"kind"`
		Title string `bun:"title"`
		N     int    `bun:"n"`
	}
	err = db.NewSelect().TableExpr("documents AS d").Join("JOIN cases AS c ON c.id = d.case_id").
		ColumnExpr("d.kind AS kind, MIN(d.title) AS title, COUNT(*) AS n").
		Where("c.jurisdiction = ? AND d.issued_at >= ? AND d.issued_at < ?", jurisdiction, from.UTC(), to.UTC()).
		GroupExpr("d.kind").OrderExpr("d.kind").Scan(ctx, &byKind)
	if err != nil {
		return p, fmt.Errorf("counting the documents of %s in %d: %w", jurisdiction, year, err)
	}
	p.Documents = make([]ReportLine, len(byKind))
	for i, d := range byKind {
		p.Documents[i] = ReportLine{Key: d.Kind, Name: cmp.Or(d.Title, d.Kind), Count: d.N}
	}
	return p, nil
}

// WanYuan writes an amount in fen in 万元 (10,000 yuan), as table 二 asks, without trailing zeros:
// 12340000 fen is "12.34".
func WanYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	s := fmt.Sprintf("%s%d.%06d", sign, fen/1_000_000, fen%1_000_000)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// reviewTable counts table 四 from the records staff keep.
func reviewTable(ctx context.Context, db bun.IDB, year int, jurisdiction string) (ReviewTable, error) {
	var t ReviewTable
	var rows []struct {
		Kind   string `bun:"kind"`
		Result string `bun:"result"`
		N      int    `bun:"n"`
	}
	err := db.NewSelect().TableExpr("disclosure_reviews").ColumnExpr("kind, result, COUNT(*) AS n").
		Where("jurisdiction = ? AND year = ?", jurisdiction, year).GroupExpr("kind, result").Scan(ctx, &rows)
	if err != nil {
		return t, fmt.Errorf("counting the reviews and lawsuits of %s in %d: %w", jurisdiction, year, err)
	}
	for _, r := range rows {
		var c *ReviewCounts
		switch r.Kind {
		case RemedyReview:
			c = &t.Review
		case RemedyLitigation:
			c = &t.Direct
		case RemedyLitigationAfterReview:
			c = &t.AfterReview
		default:
			return t, fmt.Errorf("disclosure reviews of %s: unknown kind %q in the data", jurisdiction, r.Kind)
		}
		switch r.Result {
		case RemedyUpheld:
			c.Upheld += r.N
		case RemedyCorrected:
			c.Corrected += r.N
		case RemedyOther:
			c.Other += r.N
		case RemedyPending:
			c.Pending += r.N
		default:
			return t, fmt.Errorf("disclosure reviews of %s: unknown result %q in the data", jurisdiction, r.Result)
		}
		c.Total += r.N
	}
	return t, nil
}
