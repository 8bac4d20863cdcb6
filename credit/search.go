package credit

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// Limits of a search of a list.
const (
	MaxQueryLength = 50
	DefaultPerPage = 20
	MaxPerPage     = 100
	maxPage        = 1000
)

// Query is a search of one list's standing entries; every filter given must hold.
type Query struct {
	List         string // ListAbnormal or ListSerious
	Q            string // words of the organisation's name (each must be in it), or its whole credit code
	Jurisdiction string // a division code: the entries of its authority and of every division below it
	Page         int    // from 1; 0 means 1
	PerPage      int    // 0 means DefaultPerPage
}

// Results is one page of a search.
type Results struct {
	Entries []Entry `json:"entries"`
	Total   int     `json:"total"`
	Page    int     `json:"page"`
	PerPage int     `json:"per_page"`
}

// Pages is the number of pages of the results, at least 1.
func (r *Results) Pages() int { return max((r.Total+r.PerPage-1)/r.PerPage, 1) }

// Search returns a page of the organisations standing on q.List that match q, the latest listed
// first, as the public sees them. Invalid filters are one Invalid problem with a field for each; an
// unknown list is not found.
func Search(ctx context.Context, db bun.IDB, q Query) (*Results, error) {
	if _, ok := Reasons[q.List]; !ok {
		return nil, problem.ErrNotFound
	}
	var fe problem.Fields
	q.Q, q.Jurisdiction = strings.TrimSpace(q.Q), strings.TrimSpace(q.Jurisdiction)
	fe.CheckQuery("q", q.Q, MaxQueryLength)
	if q.Jurisdiction != "" && !jurisdictions.ValidCode(q.Jurisdiction) {
		fe.Add("jurisdiction", "invalid", "登记管理机关须为六位行政区划代码。", "The jurisdiction must be a six-digit division code.")
	}
	q.Page, q.PerPage = fe.CheckPaging(problem.Paging{Page: q.Page, PerPage: q.PerPage,
		DefaultPerPage: DefaultPerPage, MaxPerPage: MaxPerPage, MaxPage: maxPage})
	if err := fe.Err(); err != nil {
		return nil, err
	}
	res := &Results{Entries: []Entry{}, Page: q.Page, PerPage: q.PerPage}
	sel := db.NewSelect().Model(&res.Entries).Relation("Organisation").Where("cl.list = ? AND cl.removed_at IS NULL", q.List)
	if q.Q != "" {
		byName := "(1 = 1"
		var args []any
		for _, w := range nameindex.Words(q.Q) {
			byName += ` AND lower(organisation.name) LIKE lower(?) ESCAPE '\'`
			args = append(args, "%"+database.EscapeLike(w)+"%")
		}
		byName += ") OR organisation.uscc = ?"
		args = append(args, strings.ToUpper(q.Q))
		sel = sel.Where("("+byName+")", args...)
	}
	if q.Jurisdiction != "" {
		where, args := policies.ScopeFilter("cl.authority", []string{jurisdictions.Subtree(q.Jurisdiction)})
		sel = sel.Where(where, args...)
	}
	total, err := sel.OrderExpr("cl.listed_at DESC, cl.id DESC").Limit(int64(q.PerPage)).Offset(int64((q.Page - 1) * q.PerPage)).ScanAndCount(ctx)
	if err != nil {
		return nil, fmt.Errorf("searching the %s list (%+v): %w", q.List, q, err)
	}
	res.Total = int(total)
	for i := range res.Entries {
		res.Entries[i] = res.Entries[i].Public()
	}
	return res, nil
}

// MaxListed is how many entries the staff list shows.
const MaxListed = 200

// ForStaff lists the entries of organisations in the jurisdictions where the user reads credit
// entries, the standing ones only unless removed, the latest first, at most MaxListed.
func ForStaff(ctx context.Context, db bun.IDB, auth Authorizer, userID int64, removed bool) ([]Entry, error) {
	out := []Entry{}
	scopes := auth.Scopes(userID, object, actRead)
	if len(scopes) == 0 {
		return out, nil
	}
	where, args := policies.ScopeFilter("organisation.jurisdiction", scopes)
	sel := db.NewSelect().Model(&out).Relation("Organisation").Where(where, args...)
	if !removed {
		sel = sel.Where("cl.removed_at IS NULL")
	}
	if err := sel.OrderExpr("cl.listed_at DESC, cl.id DESC").Limit(MaxListed).Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing credit entries for user %d: %w", userID, err)
	}
	for i := range out {
		o := out[i].Organisation.Public()
		out[i].Organisation = &o
	}
	return out, nil
}
