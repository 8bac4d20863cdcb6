package register

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/problem"
)

// Limits of a search.
const (
	MaxQueryLength = 50  // characters of Query.Q
	MaxPerPage     = 100 // Query.PerPage
	DefaultPerPage = 20
	maxPage        = 10000
)

// Query is a search of the register; every filter given must hold.
type Query struct {
	Q            string // words of the name (each must be in it), or a whole credit code
	USCC         string // a credit code, exactly (letters in either case)
	Kind         string // one of Kinds
	Status       string // one of Statuses
	Jurisdiction string // a division code: its organisations and those of every division below it
	Year         int    // the year of registration, in China's time
	Page         int    // from 1; 0 means 1
	PerPage      int    // at most MaxPerPage; 0 means DefaultPerPage
}

// Results is one page of a search.
type Results struct {
	Organisations []Organisation `json:"organisations"`
	Total         int            `json:"total"` // matches on every page
	Page          int            `json:"page"`
	PerPage       int            `json:"per_page"`
}

// Pages is the number of pages of the results, at least 1.
func (r *Results) Pages() int { return max((r.Total+r.PerPage-1)/r.PerPage, 1) }

// check trims and completes q, and reports every invalid filter at once as one Invalid problem.
func (q *Query) check() error {
	var fe problem.Fields
	q.checkFilters(&fe)
	q.checkPage(&fe)
	return fe.Err()
}

func (q *Query) checkFilters(fe *problem.Fields) {
	q.Q = strings.TrimSpace(q.Q)
	q.USCC = strings.ToUpper(strings.TrimSpace(q.USCC))
	q.Jurisdiction = strings.TrimSpace(q.Jurisdiction)
	fe.CheckQuery("q", q.Q, MaxQueryLength)
	if q.USCC != "" && !usccShape(q.USCC) {
		fe.Add("uscc", "invalid", "统一社会信用代码须为18位数字或大写字母。",
			"The credit code must be 18 digits or capital letters.")
	}
	if q.Kind != "" && kindDigits[q.Kind] == 0 {
		fe.Add("kind", "invalid", "没有该组织类型。", "There is no such kind.")
	}
	if q.Status != "" && !slices.Contains(Statuses, q.Status) {
		fe.Add("status", "invalid", "没有该登记状态。", "There is no such status.")
	}
	if q.Jurisdiction != "" && !jurisdictions.ValidCode(q.Jurisdiction) {
		fe.Add("jurisdiction", "invalid", "登记管理机关须为六位行政区划代码。",
			"The jurisdiction must be a six-digit division code.")
	}
	if q.Year != 0 && (q.Year < 1949 || q.Year > 9999) {
		fe.Add("year", "invalid", "登记年份须在1949年以后。", "The year of registration must be 1949 or later.")
	}
}

// checkPage gives the page and its size their defaults and checks them. Pages end with the first
// MaxExport matches, as the export does: a page far beyond costs the database the whole way there
// and helps nobody, who would rather narrow the search.
func (q *Query) checkPage(fe *problem.Fields) {
	q.Page, q.PerPage = fe.CheckPaging(problem.Paging{Page: q.Page, PerPage: q.PerPage,
		DefaultPerPage: DefaultPerPage, MaxPerPage: MaxPerPage, MaxPage: maxPage})
	if q.Page >= 1 && q.Page <= maxPage && q.PerPage >= 1 && (q.Page-1)*q.PerPage >= MaxExport {
		fe.Add("page", "beyond_results", fmt.Sprintf("只能翻阅前%d条结果，请增加查询条件缩小范围。", MaxExport),
			fmt.Sprintf("Only the first %d results can be paged through: narrow the search with more filters.", MaxExport))
	}
}

// usccShape reports whether code has the shape of a credit code: 18 digits or capital letters. The
// search does not check its check character: a wrong code simply finds nothing.
func usccShape(code string) bool {
	if len(code) != 18 {
		return false
	}
	for _, c := range []byte(code) {
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// Search returns one page of the organisations that match q, whatever their status unless q says:
// active ones first, then by name. Invalid filters are one Invalid problem with a field for each.
func Search(ctx context.Context, db bun.IDB, q Query) (*Results, error) {
	if err := q.check(); err != nil {
		return nil, err
	}
	return search(ctx, db, q, q.PerPage, (q.Page-1)*q.PerPage)
}

// MaxExport is how many organisations Export returns at most.
const MaxExport = 10000

// Export returns the first MaxExport organisations that match q in the order of Search, whatever
// q's page; Results.Total says how many match in all.
func Export(ctx context.Context, db bun.IDB, q Query) (*Results, error) {
	q.Page, q.PerPage = 0, 0
	if err := q.check(); err != nil {
		return nil, err
	}
	res, err := search(ctx, db, q, MaxExport, 0)
	if res != nil {
		res.PerPage = MaxExport
	}
	return res, err
}

func search(ctx context.Context, db bun.IDB, q Query, limit, offset int) (*Results, error) {
	grams, err := nameindex.Lookup(ctx, db, q.Q)
	if err != nil {
		return nil, err
	}
	res := &Results{Organisations: []Organisation{}, Page: q.Page, PerPage: q.PerPage}
	if q.Q == "" {
		// Without a name no candidate is confirmed: the count is an index's, cheaper apart than
		// the whole register's rows kept for it.
		sel := searchOrder(searchQuery(db, q, nil, &res.Organisations), q, "").Limit(int64(limit)).Offset(int64(offset))
		total, err := sel.ScanAndCount(ctx)
		if err != nil {
			return nil, fmt.Errorf("searching the register (%+v): %w", q, err)
		}
		res.Total = int(total)
		return res, nil
	}
	var rows []searchRow
	if err := searchPage(db, q, grams, &rows, limit, offset).Scan(ctx); err != nil {
		return nil, fmt.Errorf("searching the register (%+v): %w", q, err)
	}
	for _, r := range rows {
		res.Total = r.Total
		if r.ID != 0 { // the row of a page beyond the matches carries only the count
			res.Organisations = append(res.Organisations, r.Organisation)
		}
	}
	return res, nil
}

// searchRow is an organisation of a page of the search with the count of all the matches.
type searchRow struct {
	Organisation `bun:",extend"`
	Total        int `bun:"total,scanonly"`
}

// searchPage selects into dest the page of the organisations that match the checked query q, which
// has a name (limit from offset, in the order of Search), each with the count of all the matches, or
// a row of the count alone when the page has none: one statement in every case. The matches' ids
// and sort keys are found once, in the statement's m, for both: the substring check that confirms
// each candidate of the name index reads the organisation, and a count apart read them all again.
func searchPage(db bun.IDB, q Query, grams []string, dest *[]searchRow, limit, offset int) *bun.SelectQuery {
	page := searchOrder(db.NewSelect().TableExpr("m").Column("id", "name", "status"), q, "").Limit(int64(limit)).Offset(int64(offset))
	sel := db.NewSelect().With("m", matches(db, q, grams)).Model(dest).
		ModelTableExpr("(SELECT count(*) AS total FROM m) AS t").ColumnExpr("organisation.*").ColumnExpr("t.total").
		Join("LEFT JOIN (?) AS p ON 1 = 1", page).Join("LEFT JOIN organisations AS organisation ON organisation.id = p.id")
	return searchOrder(sel, q, "p.")
}

// searchOrder orders sel, a select of organisations whose columns are named with prefix, as Search
// lists them: active ones first, then by name.
func searchOrder(sel *bun.SelectQuery, q Query, prefix string) *bun.SelectQuery {
	name, status := bun.Safe(prefix+"name"), bun.Safe(prefix+"status")
	if q.Q != "" {
		// The organisation named exactly so first, then the closest names: the shorter, the less
		// they add to the words looked for.
		sel = sel.OrderExpr("CASE WHEN ? = ? THEN 0 ELSE 1 END", folded(name, q.Q), folded(nameindex.Fold(q.Q), q.Q))
	}
	sel = sel.OrderExpr("CASE WHEN ? = ? THEN 0 ELSE 1 END", status, StatusActive)
	if q.Q != "" {
		sel = sel.OrderExpr("LENGTH(?)", name)
	}
	return sel.OrderExpr("?, ?", name, bun.Safe(prefix+"id"))
}

// matches selects the id, name and status of the organisations that match the checked query q.
func matches(db bun.IDB, q Query, grams []string) *bun.SelectQuery {
	return searchQuery(db, q, grams, (*Organisation)(nil)).Column("id", "name", "status")
}

// searchQuery selects the organisations (model) that match the checked query q, looking up
// grams of q.Q (nameindex.Lookup: one, or two apart) in the name index, and confirming the
// candidates with a substring check on the name for each word of q.Q.
func searchQuery(db bun.IDB, q Query, grams []string, model any) *bun.SelectQuery {
	sel := db.NewSelect().Model(model)
	if q.Q != "" {
		// The organisations that hold every gram, each gram's organisations read in order of their
		// IDs from the index's key, so that PostgreSQL merges them. HAVING is always true (an
		// organisation holds a gram once) but keeps PostgreSQL's estimate of the candidates low:
		// taking them for as many as a common gram has, it scanned the whole register (80 ms at
		// 100,000 organisations) rather than confirm each through the index (3 ms for 2,000).
		byName := `id IN (SELECT g0.organisation_id FROM org_name_bigrams AS g0`
		var args []any
		for i, g := range grams[1:] {
			byName += fmt.Sprintf(" JOIN org_name_bigrams AS g%[1]d ON g%[1]d.organisation_id = g0.organisation_id AND g%[1]d.bigram = ?", i+1)
			args = append(args, g)
		}
		byName += ` WHERE g0.bigram = ? GROUP BY g0.organisation_id HAVING COUNT(*) = 1)`
		args = append(args, grams[0])
		for _, w := range nameindex.Words(q.Q) { // every word, in any order
			byName += " AND ? LIKE ? ESCAPE '\\'"
			args = append(args, folded(bun.Ident("name"), w), folded("%"+database.EscapeLike(w)+"%", w))
		}
		// Only a query shaped like a credit code may also be one: an OR on every query would cost
		// PostgreSQL the index.
		if code := strings.ToUpper(q.Q); usccShape(code) {
			byName = "(" + byName + ") OR uscc = ?"
			args = append(args, code)
		}
		sel = sel.Where("("+byName+")", args...)
	}
	if q.USCC != "" {
		sel = sel.Where("uscc = ?", q.USCC)
	}
	if q.Kind != "" {
		sel = sel.Where("kind = ?", q.Kind)
	}
	if q.Status != "" {
		sel = sel.Where("status = ?", q.Status)
	}
	if q.Jurisdiction != "" {
		// Division codes nest by prefix: 21 for the province 210000, 2101 for the city 210100.
		prefix := strings.TrimSuffix(jurisdictions.Subtree(q.Jurisdiction), "*")
		sel = sel.Where("jurisdiction LIKE ?", prefix+"%")
	}
	if q.Year != 0 {
		from := time.Date(q.Year, time.January, 1, 0, 0, 0, 0, calendar.Zone).UTC()
		sel = sel.Where("registered_at >= ? AND registered_at < ?", from, from.AddDate(1, 0, 0))
	}
	return sel
}

// folded is the SQL of s (a column, or a value) as a search for words compares it: in lower case,
// unless words have no letter that has a case (Chinese, digits), which lower() could neither make nor
// change, so that names compare the same without it. lower() is most of the cost of checking a
// name on PostgreSQL, which converts every character of a UTF-8 name to change the ASCII letters.
func folded(s any, words string) any {
	for _, r := range words {
		if unicode.SimpleFold(r) != r {
			return bun.SafeQuery("lower(?)", s)
		}
	}
	return s
}
