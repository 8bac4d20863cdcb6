package consultations

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// Limits of a listing.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	maxPage        = 10000
)

// The states a public listing filters by.
const (
	StateOpen   = "open"   // published, the period not ended (those still to begin included)
	StateClosed = "closed" // the period ended
)

// Query is a page of the public list, the newest publication first.
type Query struct {
	State   string // StateOpen, StateClosed or "" for both
	Page    int    // from 1; 0 means 1; -1 (what did not parse) is reported as invalid
	PerPage int    // 0 means DefaultPerPage
}

// Page is one page of consultations.
type Page struct {
	Consultations []Consultation `json:"consultations"`
	Total         int            `json:"total"`
	Page          int            `json:"page"`
	PerPage       int            `json:"per_page"`
}

// Pages is the number of pages of the listing, at least 1.
func (p *Page) Pages() int { return max((p.Total+p.PerPage-1)/p.PerPage, 1) }

// List answers a page of the public consultations, as of today.
func List(ctx context.Context, db bun.IDB, q Query) (*Page, error) {
	var fe problem.Fields
	q.State = strings.TrimSpace(q.State)
	if q.State != "" && q.State != StateOpen && q.State != StateClosed {
		fe.Add("state", "invalid", "没有该状态。", "There is no such state.")
	}
	q.Page, q.PerPage = fe.CheckPaging(problem.Paging{Page: q.Page, PerPage: q.PerPage,
		DefaultPerPage: DefaultPerPage, MaxPerPage: MaxPerPage, MaxPage: maxPage})
	if err := fe.Err(); err != nil {
		return nil, err
	}
	today := calendar.Today().String()
	var out []Consultation
	sel := db.NewSelect().Model(&out).ExcludeColumn("body", "explanation", "report")
	switch q.State {
	case StateOpen:
		sel = sel.Where("pc.status = ? AND pc.ends_on >= ?", StatusPublished, today)
	case StateClosed:
		sel = sel.WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("pc.status IN (?)", bun.List([]string{StatusClosed, StatusReport, StatusConcluded})).
				WhereOr("pc.status = ? AND pc.ends_on < ?", StatusPublished, today)
		})
	default:
		sel = sel.Where("pc.status IN (?)", bun.List([]string{StatusPublished, StatusClosed, StatusReport, StatusConcluded}))
	}
	total, err := sel.OrderExpr("pc.published_at DESC, pc.id DESC").Limit(int64(q.PerPage)).Offset(int64((q.Page - 1) * q.PerPage)).ScanAndCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing consultations: %w", err)
	}
	return &Page{Consultations: out, Total: int(total), Page: q.Page, PerPage: q.PerPage}, nil
}

// Work is a consultation on the staff's list, with what waits on it.
type Work struct {
	Consultation
	Pending int `json:"pending"` // comments waiting for moderation
}

// InProgress lists the consultations of the jurisdictions where the user reads consultations that
// are not concluded, the most recently changed first: drafts, those in review, open ones with their
// comments to moderate, closed ones whose adoption report is to be written or reviewed.
func InProgress(ctx context.Context, db bun.IDB, enf *policies.Enforcer, userID int64) ([]Work, error) {
	scopes := enf.Scopes(userID, permObject, actRead)
	if len(scopes) == 0 {
		return nil, nil
	}
	where, args := policies.ScopeFilter("pc.jurisdiction", scopes)
	var out []Work
	err := db.NewSelect().Model(&out).ModelTableExpr("consultations AS pc").ColumnExpr("pc.*").
		ColumnExpr("(SELECT COUNT(*) FROM consultation_comments AS cc WHERE cc.consultation_id = pc.id AND cc.status = ?) AS pending", CommentPending).
		Where(where, args...).Where("pc.status <> ?", StatusConcluded).
		OrderExpr("pc.updated_at DESC, pc.id DESC").Limit(500).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing consultations in progress: %w", err)
	}
	return out, nil
}

// Count is what the annual disclosure report draws on for one year: the drafts published for
// comment in the year (by the day of publication in China), the comments received on them (hidden
// ones included), and of those the comments adopted or partly adopted in a published adoption report.
type Count struct {
	Year     int `json:"year"`
	Drafts   int `json:"drafts"`
	Comments int `json:"comments"`
	Adopted  int `json:"adopted"`
}

// Counts counts the consultations of year in the jurisdictions whose codes start with
// jurisdictionPrefix ("" for all; "2101" for Shenyang and its districts).
func Counts(ctx context.Context, db bun.IDB, year int, jurisdictionPrefix string) (Count, error) {
	out := Count{Year: year}
	from := calendar.NewDate(year, 1, 1).Time().UTC()
	to := calendar.NewDate(year+1, 1, 1).Time().UTC()
	drafts := db.NewSelect().Model((*Consultation)(nil)).Column("pc.id").
		Where("pc.published_at >= ? AND pc.published_at < ?", from, to).
		Where("pc.jurisdiction LIKE ? ESCAPE '\\'", database.EscapeLike(jurisdictionPrefix)+"%")
	n, err := db.NewSelect().Model((*Consultation)(nil)).Where("pc.id IN (?)", drafts).Count(ctx)
	if err != nil {
		return out, fmt.Errorf("counting the consultations of %d: %w", year, err)
	}
	out.Drafts = int(n)
	if n, err = db.NewSelect().Model((*Comment)(nil)).Where("cc.consultation_id IN (?)", drafts).Count(ctx); err != nil {
		return out, fmt.Errorf("counting the comments of %d: %w", year, err)
	}
	out.Comments = int(n)
	n, err = db.NewSelect().Model((*Comment)(nil)).Where("cc.consultation_id IN (?)", drafts).
		Where("cc.status = ? AND cc.decision IN (?)", CommentApproved, bun.List([]string{DecisionAdopted, DecisionPartly})).
		Where("cc.consultation_id IN (SELECT id FROM consultations WHERE status = ?)", StatusConcluded).Count(ctx)
	if err != nil {
		return out, fmt.Errorf("counting the adopted comments of %d: %w", year, err)
	}
	out.Adopted = int(n)
	return out, nil
}
