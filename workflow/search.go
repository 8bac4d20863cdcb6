package workflow

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// Limits of a case search.
const (
	MaxSearchName     = 50  // characters of SearchQuery.Name
	MaxSearchNumber   = 30  // characters of SearchQuery.Number
	MaxSearchPerPage  = 100 // SearchQuery.PerPage
	DefaultSearchSize = 20
	// maxSearchPage bounds the offset: a page far beyond costs the database the whole way there and
	// helps nobody, who would rather narrow the search.
	maxSearchPage = 200
)

// The statuses a search filters by.
const (
	StatusOpen   = "open"
	StatusClosed = "closed"
)

// SearchQuery is a staff search of cases; every filter given must hold.
type SearchQuery struct {
	Number     string // part of the case number
	Name       string // part of the organisation's name or of the applicant's name
	CreditCode string // the organisation's unified social credit code, exactly
	ItemCode   string
	State      string
	Status     string // StatusOpen, StatusClosed or "" for both
	// ReceivedFrom and ReceivedTo bound the day the case was received, in China, both included:
	// YYYY-MM-DD or "".
	ReceivedFrom string
	ReceivedTo   string
	// Overdue keeps only the cases with a clock (running or paused) past a due date, as the inbox's.
	Overdue bool
	Page    int // from 1; 0 means 1, -1 a page that did not parse
	PerPage int // at most MaxSearchPerPage; 0 means DefaultSearchSize
}

// SearchResults is one page of a case search, newest received first.
type SearchResults struct {
	Cases []Case `json:"cases"`
	Total int    `json:"total"` // matches on every page, up to those the pages reach
	// Capped says that more cases match than the pages reach (maxSearchPage pages): Total counts
	// only those. Counting every match of a province would read a million rows to print a number
	// nobody pages to.
	Capped  bool `json:"capped,omitempty"`
	Page    int  `json:"page"`
	PerPage int  `json:"per_page"`
}

// Pages is the number of pages of the results, at least 1.
func (r *SearchResults) Pages() int { return max((r.Total+r.PerPage-1)/r.PerPage, 1) }

// Search returns one page of the cases, open or finished, of every jurisdiction where the user holds
// case:read (an auditor's too: reading gives it no action), newest received first. Like the inbox it
// reads no application data. Invalid filters are one Invalid problem with a field for each; a user
// without case:read anywhere finds nothing.
func (e *Engine) Search(ctx context.Context, userID int64, q SearchQuery) (*SearchResults, error) {
	from, to, err := e.checkSearch(&q)
	if err != nil {
		return nil, err
	}
	res := &SearchResults{Cases: []Case{}, Page: q.Page, PerPage: q.PerPage}
	scopes := e.enf.Scopes(userID, "case", "read")
	if len(scopes) == 0 {
		return res, nil
	}
	now := e.now()
	filter := func(sel *bun.SelectQuery) *bun.SelectQuery { return searchFilter(sel, scopes, q, from, to, now) }
	var named *bun.RawQuery
	if q.Name != "" {
		named = e.namedCases(scopes, q.Name)
	}
	statement := func(sel *bun.SelectQuery) *bun.SelectQuery {
		if named != nil {
			sel = sel.With("named", named)
		}
		return sel
	}
	// The count of the cases that match, up to those the pages reach, comes with the page, so that
	// the costly part of the search (named) is done once for both.
	reach := maxSearchPage * q.PerPage
	perPage, offset := int64(q.PerPage), int64((q.Page-1)*q.PerPage)
	matches := filter(e.db.NewSelect().Model((*Case)(nil)).ColumnExpr("1"))
	onPage := func(sel *bun.SelectQuery) *bun.SelectQuery {
		return filter(sel).OrderExpr("c.created_at DESC, c.id DESC").Limit(perPage).Offset(offset)
	}
	if q.nameAlone() {
		// named has the matches with their days of receipt, from indexes: the page reads the rows
		// of its own cases alone.
		matches = e.db.NewSelect().TableExpr("named").ColumnExpr("1")
		onPage = func(sel *bun.SelectQuery) *bun.SelectQuery {
			ids := e.db.NewSelect().TableExpr("named").Column("id").OrderExpr("created_at DESC, id DESC").Limit(perPage).Offset(offset)
			return sel.Where("c.id IN (?)", ids).OrderExpr("c.created_at DESC, c.id DESC")
		}
	}
	count := func() *bun.SelectQuery {
		return e.db.NewSelect().TableExpr("(?) AS m", matches.Limit(int64(reach+1))).ColumnExpr("count(*)")
	}
	var rows []searchRow
	err = onPage(statement(e.db.NewSelect()).Model(&rows).ExcludeColumn("data", "fields", "query_code").ColumnExpr("(?) AS total", count())).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("searching the cases of user %d (%+v): %w", userID, q, err)
	}
	if len(rows) > 0 {
		res.Total = rows[0].Total
	} else if q.Page > 1 { // a page beyond the matches carries no count; an empty first page has none
		if err := statement(count()).Scan(ctx, &res.Total); err != nil {
			return nil, fmt.Errorf("counting the cases of user %d (%+v): %w", userID, q, err)
		}
	}
	for _, r := range rows {
		res.Cases = append(res.Cases, r.Case)
	}
	res.Total, res.Capped = min(res.Total, reach), res.Total > reach
	if err := e.fillDue(ctx, res.Cases); err != nil {
		return nil, err
	}
	return res, nil
}

// searchRow is a case of a page of the search with the count of all the matches.
type searchRow struct {
	Case  `bun:",extend"`
	Total int `bun:"total,scanonly"`
}

// namedCases returns the query of the cases a search for name finds, with their days of receipt (id,
// created_at), which the search's statement names "named" (searchFilter): the cases of the scopes
// whose organisation's name contains name, by the cases' name index (nameindex.Cases), and those whose
// applicant's name contains it (accounts.User.Name: the display name, else the login name), by the
// users' (nameindex.Users); the rarest grams of name in each (counted in the same statement), the
// candidates confirmed by the substring. The organisations' names are read from index cases_org_name
// (an index-only scan); the few longer than it keeps (migration 20261213000300) are read from their
// rows, all at once (long_named, by index cases_long_org_name) rather than by a probe per candidate.
// A union, not an OR, so that PostgreSQL reads each by its index rather than every case of the scope.
func (e *Engine) namedCases(scopes []string, name string) *bun.RawQuery {
	pairs := nameindex.Pairs(name)
	within, withinArgs := policies.ScopeFilter("jurisdiction", scopes)
	gramScope, gramArgs := policies.ScopeFilter("g.jurisdiction", scopes)
	caseScope, caseArgs := policies.ScopeFilter("a.jurisdiction", scopes)
	like := "%" + database.EscapeLike(name) + "%"
	args := []any{nameindex.Cases.RarestQuery(e.db, pairs, within, withinArgs...), nameindex.Users.RarestQuery(e.db, pairs, "")}
	args = append(append(append(append(args, gramArgs...), like, like), caseArgs...), like)
	return e.db.NewRaw(`WITH rare AS (?), rare_users AS (?),
		candidates AS (SELECT g.case_id FROM case_name_grams AS g WHERE g.bigram IN (SELECT bigram FROM rare) AND `+gramScope+`
			GROUP BY g.case_id HAVING COUNT(*) = (SELECT count(*) FROM rare)),
		long_named AS MATERIALIZED (SELECT l.id, l.created_at FROM cases AS l WHERE length(l.org_name) > 200
			AND lower(l.org_name) LIKE lower(?) ESCAPE '\')
		SELECT n.id, n.created_at FROM cases AS n WHERE n.id IN (SELECT case_id FROM candidates)
			AND length(n.org_name) <= 200 AND lower(n.org_name) LIKE lower(?) ESCAPE '\'
		UNION SELECT l.id, l.created_at FROM long_named AS l WHERE l.id IN (SELECT case_id FROM candidates)
		UNION SELECT a.id, a.created_at FROM cases AS a WHERE `+caseScope+` AND a.applicant_id IN (SELECT u.id FROM users AS u
			WHERE u.id IN (SELECT ug.user_id FROM user_name_grams AS ug WHERE ug.bigram IN (SELECT bigram FROM rare_users)
				GROUP BY ug.user_id HAVING COUNT(*) = (SELECT count(*) FROM rare_users))
			AND lower(`+nameindex.UserName("u")+`) LIKE lower(?) ESCAPE '\')`, args...)
}

// wholeNumber is the shape of a whole case number (jurisdiction-year-sequence), which the search
// finds by the number's unique index rather than as a part of every number.
var wholeNumber = regexp.MustCompile(`^[0-9]{6}-[0-9]{4}-[0-9]{6,}$`)

// searchFilter adds the conditions of the checked query q to sel, a select of cases c in the
// jurisdictions of scopes, in a statement that names "named" the cases q.Name finds.
func searchFilter(sel *bun.SelectQuery, scopes []string, q SearchQuery, from, to calendar.Date, now time.Time) *bun.SelectQuery {
	scope, args := policies.ScopeFilter("c.jurisdiction", scopes)
	sel = sel.Where(scope, args...)
	switch {
	case wholeNumber.MatchString(q.Number):
		sel = sel.Where("c.number = ?", q.Number)
	case q.Number != "":
		sel = sel.Where(`c.number LIKE ? ESCAPE '\'`, "%"+database.EscapeLike(q.Number)+"%")
	}
	if q.Name != "" {
		sel = sel.Where("c.id IN (SELECT id FROM named)") // the statement's (Engine.namedCases)
	}
	if q.CreditCode != "" {
		sel = sel.Where("c.credit_code = ?", q.CreditCode)
	}
	if q.ItemCode != "" {
		sel = sel.Where("c.item_code = ?", q.ItemCode)
	}
	if q.State != "" {
		sel = sel.Where("c.state = ?", q.State)
	}
	switch q.Status {
	case StatusOpen:
		sel = sel.Where("c.closed_at IS NULL")
	case StatusClosed:
		sel = sel.Where("c.closed_at IS NOT NULL")
	}
	if !from.IsZero() {
		sel = sel.Where("c.created_at >= ?", from.Time().UTC())
	}
	if !to.IsZero() {
		sel = sel.Where("c.created_at < ?", to.AddDays(1).Time().UTC())
	}
	if q.Overdue {
		today := calendar.DateOf(now).String()
		sel = sel.Where(overdueCond, today, today)
	}
	return sel
}

// checkSearch trims and completes q and returns its days of receipt, or every invalid filter at once
// as one Invalid problem.
func (e *Engine) checkSearch(q *SearchQuery) (from, to calendar.Date, err error) {
	var fe problem.Fields
	q.Number, q.Name = strings.TrimSpace(q.Number), strings.TrimSpace(q.Name)
	q.CreditCode = strings.ToUpper(strings.TrimSpace(q.CreditCode))
	q.ItemCode, q.State, q.Status = strings.TrimSpace(q.ItemCode), strings.TrimSpace(q.State), strings.TrimSpace(q.Status)
	fe.CheckQuery("name", q.Name, MaxSearchName)
	if len(q.Number) > MaxSearchNumber || strings.Trim(q.Number, "0123456789-") != "" {
		fe.Add("number", "invalid", "案件编号只含数字和连字符。", "A case number has only digits and hyphens.")
	}
	if q.CreditCode != "" && !creditCodeShape(q.CreditCode) {
		fe.Add("credit_code", "invalid", "统一社会信用代码须为18位数字或大写字母。", "The credit code must be 18 digits or capital letters.")
	}
	e.checkItemState(q, &fe)
	if q.Status != "" && q.Status != StatusOpen && q.Status != StatusClosed {
		fe.Add("status", "invalid", "办理状态须为办理中或已办结。", "The status must be open or closed.")
	}
	from = searchDate(&fe, "received_from", q.ReceivedFrom)
	to = searchDate(&fe, "received_to", q.ReceivedTo)
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		fe.Add("received_to", "before_from", "截止日期不能早于起始日期。", "The last day cannot come before the first.")
	}
	q.Page, q.PerPage = fe.CheckPaging(problem.Paging{Page: q.Page, PerPage: q.PerPage,
		DefaultPerPage: DefaultSearchSize, MaxPerPage: MaxSearchPerPage, MaxPage: maxSearchPage})
	return from, to, fe.Err()
}

// nameAlone reports whether the name is q's only filter, as in most of the desk's searches by name.
func (q *SearchQuery) nameAlone() bool {
	return q.Name != "" && *q == SearchQuery{Name: q.Name, Page: q.Page, PerPage: q.PerPage}
}

// checkItemState records an item the catalogue does not have, and a state that is not one of the
// item's (or, without an item, not shaped like a state's id).
func (e *Engine) checkItemState(q *SearchQuery, fe *problem.Fields) {
	var item *catalog.Item
	if q.ItemCode != "" {
		it, ok := e.current(q.ItemCode)
		if !ok || it == nil {
			fe.Add("item", "invalid", "没有该事项。", "There is no such service item.")
		}
		item = it
	}
	if q.State == "" {
		return
	}
	if item != nil {
		if _, ok := item.State(q.State); !ok {
			fe.Add("state", "invalid", "该事项没有这一办理环节。", "The service item has no such state.")
		}
		return
	}
	if len(q.State) > 64 || strings.Trim(q.State, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		fe.Add("state", "invalid", "没有这一办理环节。", "There is no such state.")
	}
}

// searchDate reads a day of the search written YYYY-MM-DD, recording on path one that is not.
func searchDate(fe *problem.Fields, path, s string) calendar.Date {
	s = strings.TrimSpace(s)
	if s == "" {
		return calendar.Date{}
	}
	d, err := calendar.ParseDate(s)
	if err != nil || d.Year() < 2000 {
		fe.Add(path, "invalid", "日期须写作年-月-日，如2026-12-08。", "Write the date as YYYY-MM-DD, such as 2026-12-08.")
		return calendar.Date{}
	}
	return d
}

// creditCodeShape reports whether code has the shape of a unified social credit code: 18 digits or
// capital letters. The search does not check its check character: a wrong code simply finds nothing.
func creditCodeShape(code string) bool {
	return len(code) == 18 && strings.Trim(code, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// setSubject keeps on the case what the staff search finds it by: for an item that serves
// organisations, the organisation's name (the name answer of its latest form that has one, as
// register.CreateOrganisationEffect reads it) and its credit code (the field catalog.OrganisationField
// the register sets on registration, else that answer of a form about an organisation already
// registered).
func (c *Case) setSubject(item *catalog.Item) {
	if !slices.Contains(item.Audience, catalog.AudienceOrganisations) {
		return
	}
	name, code := "", ""
	ids := item.FormIDs()
	slices.Reverse(ids) // the latest stage's answer wins
	for _, id := range ids {
		values, _ := c.Data[id].(map[string]any)
		if s, ok := values["name"].(string); ok && name == "" {
			name = s
		}
		if s, ok := values[catalog.OrganisationField].(string); ok && code == "" {
			code = s
		}
	}
	if s, ok := c.Fields[catalog.OrganisationField].(string); ok && s != "" {
		code = s
	}
	c.OrgName, c.CreditCode = name, code
}

// indexName adds the grams of the case's organisation name to the cases' name index, in tx: one
// statement, when the case starts or its name changes (nameindex.Table.Add keeps an old name's).
func indexName(ctx context.Context, tx bun.Tx, c *Case) error {
	return nameindex.Cases.Add(ctx, tx, []nameindex.Named{{ID: c.ID, Name: c.OrgName, Scope: c.Jurisdiction}})
}

// SearchStates lists every state of items, in the order of the items and their workflows, for the
// search's state filter; a state id that several items share is one choice, as in InboxStates.
func SearchStates(items []*catalog.Item) []InboxState {
	var out []InboxState
	for _, it := range items {
		for _, st := range it.Workflow.States {
			out = addInboxState(out, st)
		}
	}
	return out
}
