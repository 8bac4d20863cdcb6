// Package nameindex is the index of organisations' names that finds a name by any two of its
// characters, on PostgreSQL and SQLite alike.
//
// Most searches for a Chinese name are two to four characters ("围棋", "养老服务"). Trigram indexes
// do not serve two characters (pg_trgm falls back to a scan, SQLite's FTS5 trigram tokenizer finds
// nothing), so the register keeps its own index of the names' grams, the same on both databases and
// in every test schema: org_name_bigrams holds each distinct character and each distinct pair of
// adjacent characters of a name (ASCII letters folded to lower case). A query of two or more
// characters looks up two of its pairs, rare and apart, a query of one character that character
// (Lookup); the organisations holding all of them are the candidates, and a substring check on the
// name confirms them (register.Search). The staff's case search finds cases by their organisation's name the same
// way, in case_name_grams (Cases), and by their applicant's name in user_name_grams (Users).
package nameindex

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/database"
)

// A Table is one index of names: its table of grams, the column of its rows' ids, the table of the
// names it indexes and the SQL expression of a name in a row of that table, and the column of a
// division code that its rows repeat after the gram ("" for none), so that a search within
// jurisdictions reads only their grams.
type Table struct {
	grams, id, source, name, scope string
}

// The indexes of names: the register's organisations (register.Search), the cases' organisations and
// their applicants (the staff's case search, workflow.Search). Case rows are never deleted, so the
// cases' index has no index by case: a case whose name changes keeps the grams of its old name too
// (see Add). A user's name is the one people read, as accounts.User.Name gives it; accounts index it
// when they write it.
var (
	Organisations = Table{grams: "org_name_bigrams", id: "organisation_id", source: "organisations", name: "name"}
	Cases         = Table{grams: "case_name_grams", id: "case_id", source: "cases", name: "org_name", scope: "jurisdiction"}
	Users         = Table{grams: "user_name_grams", id: "user_id", source: "users", name: UserName("")}
)

// UserName is the SQL expression of the name people read for a user (accounts.User.Name: the display
// name, else the login name), of the users' table aliased alias ("" for none).
func UserName(alias string) string {
	if alias != "" {
		alias += "."
	}
	return "COALESCE(NULLIF(" + alias + "display_name, ''), " + alias + "login)"
}

// Fold is the form of a name or query the index and the substring check compare: ASCII letters
// in lower case, as SQL's lower() gives them on both databases. Other characters stay as they are.
func Fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// Grams returns the distinct characters and pairs of adjacent characters of name, folded: the rows
// of the index that find it (a bulk loader such as civicflow-bench writes them itself).
func Grams(name string) []string {
	rs := []rune(Fold(name))
	seen := map[string]bool{}
	var out []string
	add := func(g string) {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	for i := range rs {
		add(string(rs[i]))
		if i+1 < len(rs) {
			add(string(rs[i : i+2]))
		}
	}
	return out
}

// queryGrams returns what a query looks up in the index: the grams (Pairs) of each of its
// whitespace-separated words. A pair across the space between two words is no gram: the words are
// looked for apart, each anywhere in the name.
func queryGrams(q string) []string {
	var out []string
	for _, w := range Words(q) {
		for _, g := range Pairs(w) {
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// Pairs returns what finds s as a whole in a name: the distinct pairs of adjacent characters of s
// folded, or its one character when it has only one.
func Pairs(s string) []string {
	rs := []rune(Fold(s))
	if len(rs) == 1 {
		return []string{string(rs)}
	}
	var out []string
	for i := 0; i+1 < len(rs); i++ {
		if g := string(rs[i : i+2]); !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return out
}

// Words are the folded whitespace-separated words of a query, which a name must all contain.
func Words(q string) []string { return strings.Fields(Fold(q)) }

// Index replaces the index rows of organisation id with those of name. Call it in the
// transaction that writes the name, so that a search finds the organisation as soon as it commits.
func Index(ctx context.Context, db bun.IDB, id int64, name string) error {
	if _, err := db.NewDelete().TableExpr(Organisations.grams).Where("organisation_id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("unindexing organisation %d: %w", id, err)
	}
	return Organisations.Add(ctx, db, []Named{{ID: id, Name: name}})
}

// Named is the ID and name of an organisation, a case or a user, as Add takes them, with its
// division code for a Table that keeps one.
type Named struct {
	ID    int64
	Name  string
	Scope string
}

// Add adds the grams of names to t in one statement, keeping those already there: a bulk write such
// as the register's import calls it in its transaction for each batch it inserts, where Index would
// cost two statements a name. Grams of an old
// name that stay cost a search only a candidate that its substring check turns away, so a write that
// changes a name adds the new one's grams in its transaction and deletes nothing: one statement.
func (t Table) Add(ctx context.Context, db bun.IDB, names []Named) error {
	var values strings.Builder
	cols, row := "bigram, ?", "(?, ?)"
	args := []any{bun.Ident(t.grams), bun.Ident(t.id)}
	if t.scope != "" {
		cols, row = "bigram, ?, ?", "(?, ?, ?)"
		args = append(args, bun.Ident(t.scope))
	}
	header := len(args)
	for _, n := range names {
		for _, g := range Grams(n.Name) {
			if len(args) > header {
				values.WriteString(", ")
			}
			values.WriteString(row)
			args = append(args, g, n.ID)
			if t.scope != "" {
				args = append(args, n.Scope)
			}
		}
	}
	if len(args) == header {
		return nil
	}
	query := "INSERT INTO ? (" + cols + ") VALUES " + values.String() + " ON CONFLICT DO NOTHING"
	if _, err := db.NewRaw(query, args...).Exec(ctx); err != nil {
		return fmt.Errorf("indexing %d names from %s %d: %w", len(names), t.id, names[0].ID, err)
	}
	return nil
}

// Rebuild rebuilds t from the names of its whole source table in one statement, which computes the
// grams in SQL as Grams does in Go (a million names in minutes, where reading them into Go and
// writing them back took a quarter of an hour). The migration that creates the index calls it, in its
// transaction.
func (t Table) Rebuild(ctx context.Context, db bun.IDB) error {
	if _, err := db.NewDelete().TableExpr(t.grams).Where("1 = 1").Exec(ctx); err != nil {
		return fmt.Errorf("emptying %s: %w", t.grams, err)
	}
	// Fold's: ASCII letters only, which SQLite's lower() is and PostgreSQL's is not.
	fold := "lower(?)"
	if database.IsPostgres(db) {
		fold = "translate(?, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
	}
	cols, scope := "bigram, ?", ""
	args := []any{bun.Safe(t.name), bun.Ident(t.source), bun.Safe(t.name), bun.Ident(t.source), bun.Safe(t.name), bun.Ident(t.grams), bun.Ident(t.id)}
	if t.scope != "" {
		cols, scope = "bigram, ?, ?", ", "+t.scope
		args = append(args, bun.Ident(t.scope))
	}
	// Positions 1 to the longest name's length, by a recursive query both databases run; each name
	// gives its character at each position and the pair that starts there. The outer WHERE lets
	// SQLite read ON CONFLICT as the upsert rather than a join's condition.
	query := `WITH RECURSIVE pos (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM pos WHERE i < (SELECT max(length(?)) FROM ?)),
		names AS (SELECT id, ` + fold + ` AS n` + scope + ` FROM ? WHERE ? <> '')
		INSERT INTO ? (` + cols + `)
		SELECT * FROM (SELECT substr(n, i, 1) AS bigram, id` + scope + ` FROM names JOIN pos ON i <= length(n)
			UNION ALL SELECT substr(n, i, 2), id` + scope + ` FROM names JOIN pos ON i < length(n)) AS g
		WHERE 1 = 1 ON CONFLICT DO NOTHING`
	if _, err := db.NewRaw(query, args...).Exec(ctx); err != nil {
		return fmt.Errorf("indexing the names of %s in %s: %w", t.source, t.grams, err)
	}
	return nil
}

// maxLookups is how many of a query's grams the search looks up in the index; countCap and apartCap
// are where RarestQuery and Apart stop counting the names of a gram.
const (
	maxLookups = 2
	countCap   = 5000
	apartCap   = 1000
)

// gramCount is how many names a gram of a query has, up to a cap, and its place in the query.
type gramCount struct {
	Bigram string
	N      int
	At     int
}

// Lookup returns what a search of the register for q looks up in its index: one gram of q's words
// (Pairs), or two that the candidates must both hold (Apart).
func Lookup(ctx context.Context, db bun.IDB, q string) ([]string, error) {
	return Organisations.Apart(ctx, db, queryGrams(q))
}

// Apart returns the rarest of grams that t holds and, beside it, the rarest gram that shares no
// character with it: the organisations holding both are the candidates the search confirms. The
// two rarest (RarestQuery) are mostly neighbours of one word of the names, 养老 and 老服 of 养老服务中心,
// found together in every name that has either, so that intersecting them removed nothing (2,125
// candidates for no match among 100,000 organisations); grams apart come from different words (养老
// and 中心: 436). Between grams equally rare, as those that reach the count's cap are, the farther in
// the query is taken, for the same reason. Merging two grams' lists of names costs about what
// counting them does, so the count stops early, at apartCap, where it only tells rare grams from
// common ones: 0.4 ms for the five grams of 养老服务中心 among 100,000 organisations instead of
// 1.7 ms at countCap, for the same candidates. A gram no name has is returned alone: nothing matches.
func (t Table) Apart(ctx context.Context, db bun.IDB, grams []string) ([]string, error) {
	if len(grams) <= maxLookups {
		return grams, nil
	}
	counts, err := t.count(ctx, db, grams, apartCap, "")
	if err != nil {
		return nil, err
	}
	first := slices.MinFunc(counts, func(a, b gramCount) int { return a.N - b.N })
	if first.N == 0 {
		return []string{first.Bigram}, nil
	}
	shares := func(c gramCount) int {
		if strings.ContainsAny(c.Bigram, first.Bigram) {
			return 1
		}
		return 0
	}
	distance := func(c gramCount) int { return max(c.At-first.At, first.At-c.At) }
	others := slices.DeleteFunc(counts, func(c gramCount) bool { return c.At == first.At })
	second := slices.MinFunc(others, func(a, b gramCount) int {
		if d := shares(a) - shares(b); d != 0 {
			return d
		}
		if d := a.N - b.N; d != 0 {
			return d
		}
		return distance(b) - distance(a)
	})
	return []string{first.Bigram, second.Bigram}, nil
}

// RarestQuery selects the grams (column bigram) that t holds for the fewest names, at most
// maxLookups of them, for a statement that looks them up itself: the counts and the search in one
// round trip. The candidates of the rarest two are few, and the substring check of the search
// confirms the rest of its query. Intersecting every pair instead would read every name with a
// common pair such as 协会 or 服务; counting stops at countCap for the same reason. A gram no name has
// is selected without the others: nothing matches. With maxLookups grams or fewer it only lists them.
//
// within, when not empty, is a condition on the table's rows (with its args) that the count keeps
// to: the cases' grams are counted in the searcher's jurisdictions, where 沈阳 is common in Shenyang
// and rare elsewhere — counted over the province, every pair of a common query reaches the cap and
// the first two would be taken, however common in the searcher's city. One count, correlated with
// the list of grams, rather than one subquery per gram: PostgreSQL plans it once, where a subquery
// per gram made planning a statement cost more than the separate round trip it saves.
func (t Table) RarestQuery(db bun.IDB, grams []string, within string, args ...any) *bun.RawQuery {
	rows, list := make([]string, len(grams)), make([]any, 0, 2*len(grams))
	for i, g := range grams {
		rows[i] = "SELECT ? AS bigram, ? AS i"
		list = append(list, g, i)
	}
	if len(grams) <= maxLookups {
		return db.NewRaw("SELECT bigram FROM ("+strings.Join(rows, " UNION ALL ")+") AS q", list...)
	}
	if within == "" {
		within = "1 = 1"
	}
	all := append(append([]any{bun.Ident(t.grams)}, args...), countCap)
	all = append(append(all, list...), maxLookups)
	// The first of the fewest on a tie; when a gram has no name, only grams without one. Counts is
	// materialized so that PostgreSQL counts once rather than for each use of n.
	return db.NewRaw(`WITH counts AS MATERIALIZED (SELECT q.bigram, q.i,
			(SELECT count(*) FROM (SELECT 1 FROM ? AS g WHERE g.bigram = q.bigram AND `+within+` LIMIT ?) AS x) AS n
			FROM (`+strings.Join(rows, " UNION ALL ")+`) AS q)
		SELECT bigram FROM (SELECT bigram, i, n, min(n) OVER () AS least FROM counts) AS c
		WHERE n = 0 OR least > 0 ORDER BY n, i LIMIT ?`, all...)
}

// count counts the names of each of grams in t, up to limit, in one statement, keeping to within
// (see RarestQuery). The counts are in the order of grams.
func (t Table) count(ctx context.Context, db bun.IDB, grams []string, limit int, within string, args ...any) ([]gramCount, error) {
	if within == "" {
		within = "1 = 1"
	}
	parts := make([]string, len(grams))
	all := make([]any, 0, (5+len(args))*len(grams))
	for i, g := range grams {
		parts[i] = "SELECT ? AS bigram, (SELECT count(*) FROM (SELECT 1 FROM ? WHERE bigram = ? AND " + within + " LIMIT ?) AS g) AS n, ? AS at"
		all = append(append(append(all, g, bun.Ident(t.grams), g), args...), limit, i)
	}
	var counts []gramCount
	if err := db.NewRaw(strings.Join(parts, " UNION ALL "), all...).Scan(ctx, &counts); err != nil {
		return nil, fmt.Errorf("counting the names of %v in %s: %w", grams, t.grams, err)
	}
	slices.SortFunc(counts, func(a, b gramCount) int { return a.At - b.At }) // UNION ALL keeps no order
	return counts, nil
}
