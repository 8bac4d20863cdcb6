package ratings

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
)

// Tally counts ratings per level.
type Tally struct {
	// Levels counts the ratings of each level: Levels[0] those of level 1 (非常不满意) … Levels[4]
	// those of level 5 (非常满意).
	Levels [5]int `json:"levels"`
	Total  int    `json:"total"`
	Good   int    `json:"good"` // 好评: levels 5 and 4
	Bad    int    `json:"bad"`  // 差评: levels 2 and 1
	// GoodRate is 好评 / total, nil when there is no rating.
	GoodRate *float64 `json:"good_rate"`
}

// Of returns the count of a level.
func (t Tally) Of(level int) int {
	if level < 1 || level > 5 {
		return 0
	}
	return t.Levels[level-1]
}

// add counts n ratings of level.
func (t *Tally) add(level, n int) {
	if level < 1 || level > 5 {
		return
	}
	t.Levels[level-1] += n
	t.Total += n
	if Good(level) {
		t.Good += n
	}
	if Bad(level) {
		t.Bad += n
	}
	r := float64(t.Good) / float64(t.Total)
	t.GoodRate = &r
}

// Percent words the 好评率 as a percentage with one decimal ("87.5%"), "—" when there is none.
func (t Tally) Percent() string {
	if t.GoodRate == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *t.GoodRate*100)
}

// Row is the tally of one item or department.
type Row struct {
	Key string `json:"key"` // the item code, or the jurisdiction code
	Tally
}

// Statistics are the public figures of a year: all ratings, and a ranking per service item and per
// department (jurisdiction), the highest 好评率 first (then the most ratings, then the code).
type Statistics struct {
	Year int `json:"year"`
	// Jurisdiction is the code prefix the figures are limited to ("" for all).
	Jurisdiction string `json:"jurisdiction,omitempty"`
	Total        Tally  `json:"total"`
	Items        []Row  `json:"items"`
	Departments  []Row  `json:"departments"`
}

// yearSpan is the span of created_at of a year in China, for an index-friendly comparison.
func yearSpan(year int) (time.Time, time.Time) {
	from := calendar.NewDate(year, time.January, 1).Time().UTC()
	return from, calendar.NewDate(year+1, time.January, 1).Time().UTC()
}

// checkQuery validates a year and a jurisdiction prefix (digits, at most six).
func checkQuery(year int, prefix string) error {
	var fe problem.Fields
	if year < 2000 || year > 9999 {
		fe.Add("year", "invalid", "请填写年份，如 2026。", "Enter a year such as 2026.")
	}
	if len(prefix) > 6 || strings.ContainsFunc(prefix, func(r rune) bool { return r < '0' || r > '9' }) {
		fe.Add("jurisdiction", "invalid", "请填写行政区划代码或其前缀（数字，最多6位）。", "Enter a division code or its prefix (digits, at most 6).")
	}
	return fe.Err()
}

type countRow struct {
	ItemCode     string
	Jurisdiction string
	Level        int
	N            int
}

// counts reads the ratings of the year per item, jurisdiction and level.
func counts(ctx context.Context, db bun.IDB, year int, prefix string) ([]countRow, error) {
	from, to := yearSpan(year)
	var rows []countRow
	q := db.NewSelect().Model((*Rating)(nil)).ColumnExpr("rt.item_code, rt.jurisdiction, rt.level, COUNT(*) AS n").
		Where("rt.created_at >= ? AND rt.created_at < ?", from, to).GroupExpr("rt.item_code, rt.jurisdiction, rt.level")
	if prefix != "" {
		q = q.Where("rt.jurisdiction LIKE ?", prefix+"%")
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("counting the ratings of %d: %w", year, err)
	}
	return rows, nil
}

// Counts tallies the ratings of the year in the jurisdictions whose code starts with prefix ("" for
// all), for the annual report and the dashboards.
func Counts(ctx context.Context, db bun.IDB, year int, prefix string) (Tally, error) {
	if err := checkQuery(year, prefix); err != nil {
		return Tally{}, err
	}
	rows, err := counts(ctx, db, year, prefix)
	if err != nil {
		return Tally{}, err
	}
	var t Tally
	for _, r := range rows {
		t.add(r.Level, r.N)
	}
	return t, nil
}

// Stats are the public statistics of the year in the jurisdictions whose code starts with prefix.
func Stats(ctx context.Context, db bun.IDB, year int, prefix string) (*Statistics, error) {
	if err := checkQuery(year, prefix); err != nil {
		return nil, err
	}
	rows, err := counts(ctx, db, year, prefix)
	if err != nil {
		return nil, err
	}
	out := &Statistics{Year: year, Jurisdiction: prefix, Items: []Row{}, Departments: []Row{}}
	items, departments := map[string]*Tally{}, map[string]*Tally{}
	for _, r := range rows {
		out.Total.add(r.Level, r.N)
		tallyOf(items, r.ItemCode).add(r.Level, r.N)
		tallyOf(departments, r.Jurisdiction).add(r.Level, r.N)
	}
	out.Items, out.Departments = ranking(items), ranking(departments)
	return out, nil
}

// tallyOf is the tally of key in m, added when missing.
func tallyOf(m map[string]*Tally, key string) *Tally {
	if m[key] == nil {
		m[key] = &Tally{}
	}
	return m[key]
}

// ranking orders the tallies by 好评率, then by the number of ratings, then by key.
func ranking(m map[string]*Tally) []Row {
	out := make([]Row, 0, len(m))
	for k, t := range m {
		out = append(out, Row{Key: k, Tally: *t})
	}
	slices.SortFunc(out, func(a, b Row) int {
		// good_a/total_a > good_b/total_b, in integers.
		return cmp.Or(cmp.Compare(b.Good*a.Total, a.Good*b.Total), cmp.Compare(b.Total, a.Total), cmp.Compare(a.Key, b.Key))
	})
	return out
}

// Listed is a rating as staff list it, with its rectification if it opened one.
type Listed struct {
	Rating
	Label         string         `json:"label"`
	Rectification *Rectification `json:"rectification,omitempty"`
}

// list reads ratings matching where, the latest first, with their labels and tasks.
func list(ctx context.Context, db bun.IDB, where string, args ...any) ([]Listed, error) {
	var rows []Rating
	if err := db.NewSelect().Model(&rows).Where(where, args...).OrderExpr("rt.created_at DESC, rt.id DESC").Limit(MaxListed).Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing ratings: %w", err)
	}
	out := make([]Listed, 0, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	rs := make([]*Rating, len(rows))
	for i := range rows {
		ids[i], rs[i] = rows[i].ID, &rows[i]
	}
	ls, err := labels(ctx, db, rs)
	if err != nil {
		return nil, err
	}
	var tasks []Rectification
	if err := db.NewSelect().Model(&tasks).Where("rating_id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the rectifications of ratings: %w", err)
	}
	byRating := map[int64]*Rectification{}
	for i := range tasks {
		byRating[tasks[i].RatingID] = &tasks[i]
	}
	for _, r := range rows {
		out = append(out, Listed{Rating: r, Label: ls[r.ID], Rectification: byRating[r.ID]})
	}
	return out, nil
}

// Recent lists the latest ratings, comments included, of the jurisdictions where the user reads
// ratings.
func Recent(ctx context.Context, db bun.IDB, auth Authorizer, userID int64) ([]Listed, error) {
	scopes := auth.Scopes(userID, object, actRead)
	if len(scopes) == 0 {
		return []Listed{}, nil
	}
	where, args := policies.ScopeFilter("rt.jurisdiction", scopes)
	return list(ctx, db, where, args...)
}

// OwnWork lists the ratings of the staff member's own work ("staff see their own"): of the cases
// they took an action on or were assigned, and of the visits they checked in; never their own
// ratings as an applicant.
func OwnWork(ctx context.Context, db bun.IDB, userID int64) ([]Listed, error) {
	if userID <= 0 {
		return nil, problem.ErrLoginRequired
	}
	return list(ctx, db, `rt.rater_id <> ? AND (rt.clerk_id = ?
		OR EXISTS (SELECT 1 FROM case_events AS ev WHERE ev.case_id = rt.case_id AND ev.actor_user_id = ?)
		OR EXISTS (SELECT 1 FROM cases AS c WHERE c.id = rt.case_id AND c.assignee_id = ?))`, userID, userID, userID, userID)
}
