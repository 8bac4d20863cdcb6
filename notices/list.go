package notices

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
)

// Limits of a listing.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
	MaxQuery       = 50 // characters of Query.Q
	maxPage        = 10000
)

// Query is a page of the public list of notices, the newest first.
type Query struct {
	Category string // one of Categories, or "" for all
	Q        string // words of the title, each of which must appear in it
	Page     int    // from 1; 0 means 1; -1 (what did not parse) is reported as invalid
	PerPage  int    // 0 means DefaultPerPage
}

// Page is one page of notices.
type Page struct {
	Notices []Notice `json:"notices"`
	Total   int      `json:"total"`
	Page    int      `json:"page"`
	PerPage int      `json:"per_page"`
}

// Pages is the number of pages of the listing, at least 1.
func (p *Page) Pages() int { return max((p.Total+p.PerPage-1)/p.PerPage, 1) }

func (q *Query) check() error {
	var fe problem.Fields
	q.Category, q.Q = strings.TrimSpace(q.Category), strings.TrimSpace(q.Q)
	if q.Category != "" && !ValidCategory(q.Category) {
		fe.Add("category", "invalid", "没有该公告类别。", "There is no such category.")
	}
	fe.CheckQuery("q", q.Q, MaxQuery)
	q.Page, q.PerPage = fe.CheckPaging(problem.Paging{Page: q.Page, PerPage: q.PerPage,
		DefaultPerPage: DefaultPerPage, MaxPerPage: MaxPerPage, MaxPage: maxPage})
	return fe.Err()
}

// publicQuery selects the public notices matching q, the newest publication first. Each word of
// q.Q must appear in the title, letters in either case as the database lowers them (both sides alike). Titles are read with LIKE: notices number in the thousands, not the
// register's hundreds of thousands, so they need no index of their own yet.
func publicQuery(db bun.IDB, q Query, out *[]Notice) *bun.SelectQuery {
	sel := db.NewSelect().Model(out).Where("n.status IN (?)", bun.List([]string{StatusPublished, StatusWithdrawn}))
	if q.Category != "" {
		sel = sel.Where("n.category = ?", q.Category)
	}
	for _, w := range strings.Fields(q.Q) {
		sel = sel.Where(`LOWER(n.title) LIKE LOWER(?) ESCAPE '\'`, "%"+database.EscapeLike(w)+"%")
	}
	return sel.OrderExpr("n.published_at DESC, n.id DESC")
}

// List answers a page of the public notices: published and withdrawn ones, the newest first.
func List(ctx context.Context, db bun.IDB, q Query) (*Page, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	var out []Notice
	total, err := publicQuery(db, q, &out).Limit(int64(q.PerPage)).Offset(int64((q.Page - 1) * q.PerPage)).ScanAndCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing notices: %w", err)
	}
	return &Page{Notices: out, Total: int(total), Page: q.Page, PerPage: q.PerPage}, nil
}

// Latest returns the n newest published notices of every category, withdrawn ones left out: what a
// home page shows.
func Latest(ctx context.Context, db bun.IDB, n int) ([]Notice, error) {
	var out []Notice
	err := db.NewSelect().Model(&out).Where("n.status = ?", StatusPublished).
		OrderExpr("n.published_at DESC, n.id DESC").Limit(int64(max(n, 0))).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the latest notices: %w", err)
	}
	return out, nil
}

// Search returns up to n public notices whose title has every word of words, the newest first: the
// notices part of a site search. Words longer than MaxQuery characters in all are an Invalid problem.
func Search(ctx context.Context, db bun.IDB, words string, n int) ([]Notice, error) {
	p, err := List(ctx, db, Query{Q: words, PerPage: min(max(n, 1), MaxPerPage)})
	if err != nil {
		return nil, err
	}
	return p.Notices, nil
}

// InProgress lists the notices not yet public or with a version not yet published, in the
// jurisdictions where the user holds notice:read, the most recently changed first: the staff's
// work list and, for publishers, the review queue (those with a version in review).
func InProgress(ctx context.Context, db bun.IDB, enf *policies.Enforcer, userID int64) ([]Notice, map[int64]Version, error) {
	scopes := enf.Scopes(userID, permObject, actRead)
	if len(scopes) == 0 {
		return nil, nil, nil
	}
	where, args := policies.ScopeFilter("n.jurisdiction", scopes)
	var vs []Version
	err := db.NewSelect().Model(&vs).
		Where("nv.status IN (?)", bun.List([]string{VersionDraft, VersionReview})).
		Where("nv.notice_id IN (?)", db.NewSelect().Model((*Notice)(nil)).Column("n.id").Where(where, args...)).
		Order("nv.id").Scan(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing notices in progress: %w", err)
	}
	if len(vs) == 0 {
		return nil, nil, nil
	}
	pending := make(map[int64]Version, len(vs))
	ids := make([]int64, 0, len(vs))
	for _, v := range vs {
		pending[v.NoticeID] = v
		ids = append(ids, v.NoticeID)
	}
	var ns []Notice
	if err := db.NewSelect().Model(&ns).Where("n.id IN (?)", bun.List(ids)).OrderExpr("n.updated_at DESC, n.id DESC").Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("listing notices in progress: %w", err)
	}
	return ns, pending, nil
}

// ForOrganisation returns the public notices of the organisation, the oldest first: those the decision
// that registered it published under its case (the 成立公告 and the 双公示 entry of the licence) and
// those of the later cases about it (its 变更公告 and 注销公告, its evaluation's 公示 and 公告), withdrawn ones included, as they
// stay public. An organisation taken over from an earlier register has only the latter.
func ForOrganisation(ctx context.Context, db bun.IDB, o *register.Organisation) ([]Notice, error) {
	var out []Notice
	err := db.NewSelect().Model(&out).
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			if o.CaseID != nil {
				q = q.WhereOr("n.case_id = ?", *o.CaseID)
			}
			// The cases about the organisation since, which name it by its credit code.
			return q.WhereOr("n.case_id IN (SELECT id FROM cases WHERE credit_code = ?)", o.USCC)
		}).
		Where("n.status IN (?)", bun.List([]string{StatusPublished, StatusWithdrawn})).
		OrderExpr("n.published_at, n.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the notices of organisation %s: %w", o.USCC, err)
	}
	return out, nil
}
