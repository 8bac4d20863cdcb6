package disclosure

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/problem"
)

// What staff keep for the annual report beside what the product counts: the figures of table 二 for
// what happens outside the product, the narrative sections, and the administrative reviews and
// lawsuits of table 四. Staff of the disclosure office (disclosure:write) keep them for their
// jurisdictions; whoever reads the report there (disclosure:report) sees them.

// ReportAuthorizer decides who may do what where: the casbin enforcer.
type ReportAuthorizer interface {
	Allowed(userID int64, jurisdiction, obj, act string) bool
	Scopes(userID int64, obj, act string) []string
}

// The permissions of policies/policy.csv for the report, in its jurisdiction.
const (
	reportObject    = "disclosure"
	reportActRead   = "report" // read the report, its figures, sections and records, and export it
	reportActWrite  = "write"  // keep the figures, sections and records
	reportMaxText   = 20000    // characters of a narrative section
	reportMaxRef    = 200      // characters of a review's or lawsuit's reference
	reportMaxFigure = 1_000_000_000
)

// MayReport reports whether the user reads the annual report of the jurisdiction.
func MayReport(auth ReportAuthorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth != nil && auth.Allowed(userID, jurisdiction, reportObject, reportActRead)
}

// MayKeep reports whether the user keeps the report's figures, sections and records of the jurisdiction.
func MayKeep(auth ReportAuthorizer, userID int64, jurisdiction string) bool {
	return userID != 0 && auth != nil && auth.Allowed(userID, jurisdiction, reportObject, reportActWrite)
}

// ReportFor is Report for a user, who must read reports in the jurisdiction (else 403: the
// jurisdictions themselves are public).
func ReportFor(ctx context.Context, db bun.IDB, auth ReportAuthorizer, userID int64, year int, jurisdiction string) (*AnnualReport, error) {
	jurisdiction = strings.TrimSpace(jurisdiction)
	if err := checkScope(ctx, db, year, jurisdiction); err != nil {
		return nil, err
	}
	if !MayReport(auth, userID, jurisdiction) {
		return nil, problem.ErrForbidden
	}
	return Report(ctx, db, year, jurisdiction)
}

// The figures staff enter for table 二 (Figures): counts, and the fees in fen.
const (
	FigureRulesIssued       = "rules_issued"       // 规章：本年制发件数
	FigureRulesRepealed     = "rules_repealed"     // 规章：本年废止件数
	FigureRulesInForce      = "rules_in_force"     // 规章：现行有效件数
	FigureNormativeIssued   = "normative_issued"   // 行政规范性文件：本年制发件数
	FigureNormativeRepealed = "normative_repealed" // 行政规范性文件：本年废止件数
	FigureNormativeInForce  = "normative_in_force" // 行政规范性文件：现行有效件数
	FigureLicencesOutside   = "licences_outside"   // 行政许可决定 taken outside the product
	FigurePenalties         = "penalties"          // 行政处罚：本年处理决定数量
	FigureEnforcement       = "enforcement"        // 行政强制：本年处理决定数量
	FigureFees              = "fees"               // 行政事业性收费, in fen (typed in 万元)
)

// Figures are the keys of the figures staff enter, in the order of the table.
var Figures = []string{FigureRulesIssued, FigureRulesRepealed, FigureRulesInForce, FigureNormativeIssued,
	FigureNormativeRepealed, FigureNormativeInForce, FigureLicencesOutside, FigurePenalties, FigureEnforcement, FigureFees}

// reportFigures reads the figures of the year and jurisdiction; those never entered are 0.
func reportFigures(ctx context.Context, db bun.IDB, year int, jurisdiction string) (map[string]int64, error) {
	var rows []struct {
		Figure string `bun:"figure"`
		Value  int64  `bun:"value"`
	}
	err := db.NewSelect().TableExpr("disclosure_report_figures").Column("figure", "value").
		Where("year = ? AND jurisdiction = ?", year, jurisdiction).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("reading the report figures of %s for %d: %w", jurisdiction, year, err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Figure] = r.Value
	}
	return out, nil
}

// FigureText writes a figure as staff type it: a count, or the fees in 万元.
func FigureText(key string, v int64) string {
	if key == FigureFees {
		return WanYuan(v)
	}
	return strconv.FormatInt(v, 10)
}

// FiguresOf returns the figures of the year and jurisdiction as staff type them (FigureText), for
// the form.
func FiguresOf(ctx context.Context, db bun.IDB, year int, jurisdiction string) (map[string]string, error) {
	f, err := reportFigures(ctx, db, year, jurisdiction)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(Figures))
	for _, k := range Figures {
		out[k] = FigureText(k, f[k])
	}
	return out, nil
}

// parseFigure reads what staff typed for a figure: a whole number from 0, or for the fees an amount
// in 万元 with at most six decimals (a fen), which it returns in fen. Empty is 0.
func parseFigure(key, s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	if key != FigureFees {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= 0 && n <= reportMaxFigure
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 6 || strings.ContainsFunc(whole+frac, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, false
	}
	r.Mul(r, big.NewRat(1_000_000, 1))
	if !r.IsInt() || r.Num().Cmp(big.NewInt(math.MaxInt64/2)) > 0 {
		return 0, false
	}
	return r.Num().Int64(), true
}

// SaveFigures records the figures of table 二 staff typed for the year and jurisdiction (key →
// text; keys left out keep their value), every bad one a field error at once; the actor must keep
// the jurisdiction's report. Audited with the figures changed.
func SaveFigures(ctx context.Context, db bun.IDB, auth ReportAuthorizer, actor audit.Actor, year int, jurisdiction string,
	typed map[string]string) error {
	jurisdiction = strings.TrimSpace(jurisdiction)
	if err := keepScope(ctx, db, auth, actor, year, jurisdiction); err != nil {
		return err
	}
	var fe problem.Fields
	values := map[string]int64{}
	for key, s := range typed {
		if !slices.Contains(Figures, key) {
			fe.Add(key, "unknown", "没有该项数据。", "There is no such figure.")
			continue
		}
		v, ok := parseFigure(key, s)
		switch {
		case !ok && key == FigureFees:
			fe.Add(key, "invalid", "请填写金额（万元），最多六位小数。", "Give an amount in 10,000 yuan, with at most six decimals.")
		case !ok:
			fe.Add(key, "invalid", fmt.Sprintf("请填写0至%d之间的整数。", reportMaxFigure), fmt.Sprintf("Give a whole number from 0 to %d.", reportMaxFigure))
		default:
			values[key] = v
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		before, err := reportFigures(ctx, tx, year, jurisdiction)
		if err != nil {
			return err
		}
		changed := map[string]any{}
		for _, key := range Figures {
			v, ok := values[key]
			if !ok {
				continue
			}
			_, err := tx.NewRaw(`INSERT INTO disclosure_report_figures (year, jurisdiction, figure, value, updated_at, updated_by)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (year, jurisdiction, figure) DO UPDATE
				SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
				year, jurisdiction, key, v, now, reportUser(actor)).Exec(ctx)
			if err != nil {
				return fmt.Errorf("saving report figure %s of %s for %d: %w", key, jurisdiction, year, err)
			}
			if before[key] != v {
				changed[key] = FigureText(key, v)
			}
		}
		return audit.Record(ctx, tx, actor, "disclosure_report.figures", "disclosure_report", reportID(year, jurisdiction), jurisdiction,
			map[string]any{"year": year, "changed": changed})
	})
}

// reportUser is the actor's user id for an updated_by column, nil for the command line.
func reportUser(actor audit.Actor) any {
	if actor.UserID == 0 {
		return nil
	}
	return actor.UserID
}

// reportID names a year's report of a jurisdiction in the audit log.
func reportID(year int, jurisdiction string) string { return fmt.Sprintf("%s/%d", jurisdiction, year) }

// keepScope checks the year and jurisdiction and that the actor keeps its report (auth nil: the
// operator at the command line).
func keepScope(ctx context.Context, db bun.IDB, auth ReportAuthorizer, actor audit.Actor, year int, jurisdiction string) error {
	if err := checkScope(ctx, db, year, jurisdiction); err != nil {
		return err
	}
	if auth != nil && !MayKeep(auth, actor.UserID, jurisdiction) {
		return problem.ErrForbidden
	}
	return nil
}

// The narrative sections of the report that staff write.
const (
	SectionOverview = "overview" // 一、总体情况
	SectionProblems = "problems" // 五、存在的主要问题及改进情况
	SectionOther    = "other"    // 六、其他需要报告的事项
)

// Sections are the narrative sections' keys in the report's order.
var Sections = []string{SectionOverview, SectionProblems, SectionOther}

// sectionTitles are their headings in the format.
var sectionTitles = map[string]string{SectionOverview: "一、总体情况", SectionProblems: "五、存在的主要问题及改进情况",
	SectionOther: "六、其他需要报告的事项"}

// ReportSection is a narrative section.
type ReportSection struct {
	Key   string `json:"key"`
	Title string `json:"title"`
	Body  string `json:"body"`
}

// SectionsOf returns the narrative sections of the year and jurisdiction, every one, empty when not
// written, for the form.
func SectionsOf(ctx context.Context, db bun.IDB, year int, jurisdiction string) ([]ReportSection, error) {
	return reportSections(ctx, db, year, jurisdiction)
}

// reportSections reads the sections of the year and jurisdiction, every one, empty when not written.
func reportSections(ctx context.Context, db bun.IDB, year int, jurisdiction string) ([]ReportSection, error) {
	var rows []struct {
		Section string `bun:"section"`
		Body    string `bun:"body"`
	}
	err := db.NewSelect().TableExpr("disclosure_report_texts").Column("section", "body").
		Where("year = ? AND jurisdiction = ?", year, jurisdiction).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("reading the report sections of %s for %d: %w", jurisdiction, year, err)
	}
	out := make([]ReportSection, len(Sections))
	for i, k := range Sections {
		out[i] = ReportSection{Key: k, Title: sectionTitles[k]}
		for _, r := range rows {
			if r.Section == k {
				out[i].Body = r.Body
			}
		}
	}
	return out, nil
}

// SaveSections records the narrative sections staff wrote for the year and jurisdiction (key → text;
// keys left out keep their text, an empty text empties the section); the actor must keep the
// jurisdiction's report. Audited with the sections changed.
func SaveSections(ctx context.Context, db bun.IDB, auth ReportAuthorizer, actor audit.Actor, year int, jurisdiction string,
	texts map[string]string) error {
	jurisdiction = strings.TrimSpace(jurisdiction)
	if err := keepScope(ctx, db, auth, actor, year, jurisdiction); err != nil {
		return err
	}
	var fe problem.Fields
	clean := map[string]string{}
	for key, s := range texts {
		if !slices.Contains(Sections, key) {
			fe.Add(key, "unknown", "没有该部分。", "There is no such section.")
			continue
		}
		s = strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
		forms.CheckText(&fe, key, s, false, reportMaxText, true)
		clean[key] = s
	}
	if err := fe.Err(); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var changed []string
		for _, key := range Sections {
			s, ok := clean[key]
			if !ok {
				continue
			}
			_, err := tx.NewRaw(`INSERT INTO disclosure_report_texts (year, jurisdiction, section, body, updated_at, updated_by)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (year, jurisdiction, section) DO UPDATE
				SET body = EXCLUDED.body, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
				year, jurisdiction, key, s, now, reportUser(actor)).Exec(ctx)
			if err != nil {
				return fmt.Errorf("saving report section %s of %s for %d: %w", key, jurisdiction, year, err)
			}
			changed = append(changed, key)
		}
		return audit.Record(ctx, tx, actor, "disclosure_report.sections", "disclosure_report", reportID(year, jurisdiction), jurisdiction,
			map[string]any{"year": year, "sections": changed})
	})
}

// The kinds of case of table 四.
const (
	RemedyReview                = "review"                  // 行政复议
	RemedyLitigation            = "litigation"              // 行政诉讼：未经复议直接起诉
	RemedyLitigationAfterReview = "litigation_after_review" // 行政诉讼：复议后起诉
)

// RemedyKinds are the kinds in the table's order.
var RemedyKinds = []string{RemedyReview, RemedyLitigation, RemedyLitigationAfterReview}

// The results of a case of table 四.
const (
	RemedyUpheld    = "upheld"    // 结果维持
	RemedyCorrected = "corrected" // 结果纠正
	RemedyOther     = "other"     // 其他结果
	RemedyPending   = "pending"   // 尚未审结
)

// RemedyResults are the results in the table's order.
var RemedyResults = []string{RemedyUpheld, RemedyCorrected, RemedyOther, RemedyPending}

// Remedy is one administrative review or lawsuit about the department's disclosure work, counted in
// table 四 of its year.
type Remedy struct {
	bun.BaseModel `bun:"table:disclosure_reviews,alias:dr"`

	ID           int64  `bun:",pk,autoincrement" json:"id"`
	Year         int    `json:"year"`
	Jurisdiction string `json:"jurisdiction"`
	Kind         string `json:"kind"`   // RemedyKinds
	Result       string `json:"result"` // RemedyResults
	// Reference is staff's note: the case number of the review body or court, the request it is about.
	Reference string    `json:"reference"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy *int64    `json:"-"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Remedies lists the reviews and lawsuits of the year and jurisdiction, oldest first.
func Remedies(ctx context.Context, db bun.IDB, year int, jurisdiction string) ([]Remedy, error) {
	out := []Remedy{}
	if err := db.NewSelect().Model(&out).Where("year = ? AND jurisdiction = ?", year, jurisdiction).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the reviews and lawsuits of %s for %d: %w", jurisdiction, year, err)
	}
	return out, nil
}

// checkRemedy checks a record's kind (when it is set: a change keeps it), result and reference.
func checkRemedy(fe *problem.Fields, r *Remedy, checkKind bool) {
	r.Kind, r.Result, r.Reference = strings.TrimSpace(r.Kind), strings.TrimSpace(r.Result), strings.TrimSpace(r.Reference)
	if checkKind && !slices.Contains(RemedyKinds, r.Kind) {
		fe.Add("kind", "invalid", "请选择复议或诉讼的类别。", "Choose the kind of case.")
	}
	if !slices.Contains(RemedyResults, r.Result) {
		fe.Add("result", "invalid", "请选择结果。", "Choose the result.")
	}
	forms.CheckText(fe, "reference", r.Reference, false, reportMaxRef, false)
}

// AddRemedy records a review or lawsuit of r.Year in r.Jurisdiction; the actor must keep the
// jurisdiction's report.
func AddRemedy(ctx context.Context, db bun.IDB, auth ReportAuthorizer, actor audit.Actor, r Remedy) (*Remedy, error) {
	r.Jurisdiction = strings.TrimSpace(r.Jurisdiction)
	var fe problem.Fields
	checkRemedy(&fe, &r, true)
	if err := checkScope(ctx, db, r.Year, r.Jurisdiction); err != nil {
		p, _ := problem.As(err)
		if p == nil || p.Kind != problem.Invalid {
			return nil, err
		}
		fe = append(p.Fields, fe...)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if auth != nil && !MayKeep(auth, actor.UserID, r.Jurisdiction) {
		return nil, problem.ErrForbidden
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	r.ID, r.CreatedAt, r.UpdatedAt = 0, now, now
	if actor.UserID != 0 {
		id := actor.UserID
		r.CreatedBy = &id
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return fmt.Errorf("recording a review or lawsuit of %s: %w", r.Jurisdiction, err)
		}
		return audit.Record(ctx, tx, actor, "disclosure_report.remedy_add", "disclosure_remedy", fmt.Sprint(r.ID), r.Jurisdiction,
			map[string]any{"year": r.Year, "kind": r.Kind, "result": r.Result})
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// remedy reads record id for a change by the actor: not found for one who may not read the report of
// its jurisdiction, forbidden for one who may read but not keep it.
func remedy(ctx context.Context, tx bun.IDB, auth ReportAuthorizer, actor audit.Actor, id int64) (*Remedy, error) {
	r := new(Remedy)
	err := tx.NewSelect().Model(r).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && auth != nil && !MayReport(auth, actor.UserID, r.Jurisdiction) &&
		!MayKeep(auth, actor.UserID, r.Jurisdiction)) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading review or lawsuit %d: %w", id, err)
	}
	if auth != nil && !MayKeep(auth, actor.UserID, r.Jurisdiction) {
		return nil, problem.ErrForbidden
	}
	return r, nil
}

// UpdateRemedy changes the result and reference of record id (a case decided since, a mistake).
func UpdateRemedy(ctx context.Context, db bun.IDB, auth ReportAuthorizer, actor audit.Actor, id int64, result, reference string) (*Remedy, error) {
	var out *Remedy
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		r, err := remedy(ctx, tx, auth, actor, id)
		if err != nil {
			return err
		}
		before := r.Result
		r.Result, r.Reference = result, reference
		var fe problem.Fields
		checkRemedy(&fe, r, false)
		if err := fe.Err(); err != nil {
			return err
		}
		r.UpdatedAt = time.Now().UTC().Truncate(time.Microsecond)
		if _, err := tx.NewUpdate().Model(r).Column("result", "reference", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("changing review or lawsuit %d: %w", id, err)
		}
		out = r
		return audit.Record(ctx, tx, actor, "disclosure_report.remedy_update", "disclosure_remedy", fmt.Sprint(r.ID), r.Jurisdiction,
			map[string]any{"year": r.Year, "from": before, "to": r.Result})
	})
	return out, err
}

// DeleteRemedy removes record id, entered by mistake.
func DeleteRemedy(ctx context.Context, db bun.IDB, auth ReportAuthorizer, actor audit.Actor, id int64) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		r, err := remedy(ctx, tx, auth, actor, id)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(r).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("deleting review or lawsuit %d: %w", id, err)
		}
		return audit.Record(ctx, tx, actor, "disclosure_report.remedy_delete", "disclosure_remedy", fmt.Sprint(r.ID), r.Jurisdiction,
			map[string]any{"year": r.Year, "kind": r.Kind, "result": r.Result, "reference": r.Reference})
	})
}
