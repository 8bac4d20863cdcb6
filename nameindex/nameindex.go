// Package nameindex is the index of organisations' names that finds a name by any two of its
// characters, on PostgreSQL and SQLite alike.
//
// Most searches for a Chinese name are two to four characters ("围棋", "养老服务"). Trigram indexes
// do not serve two characters (pg_trgm falls back to a scan, SQLite's FTS5 trigram tokenizer finds
// nothing), so the register keeps its own index of the names' grams, the same on both databases and
// in every test schema: org_name_bigrams holds each distinct character and each distinct pair of
// adjacent characters of a name (ASCII letters folded to lower case). A query of two or more
// characters looks up its two rarest pairs, a query of one character that character (Lookup); the
// organisations holding all of them are the candidates, and a substring check on the name confirms
// them (register.Search).
package nameindex

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// row is one row of the name index.
type row struct {
	bun.BaseModel `bun:"table:org_name_bigrams"`

	Bigram         string `bun:"bigram"`
	OrganisationID int64  `bun:"organisation_id"`
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

// queryGrams returns what a query looks up in the index: the distinct pairs of each of its
// whitespace-separated words, or a word's character itself when it has only one. A pair across the
// space between two words is no gram: the words are looked for apart, each anywhere in the name.
func queryGrams(q string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(g string) {
		if !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	for _, w := range Words(q) {
		rs := []rune(w)
		if len(rs) == 1 {
			add(w)
		}
		for i := 0; i+1 < len(rs); i++ {
			add(string(rs[i : i+2]))
		}
	}
	return out
}

// Words are the folded whitespace-separated words of a query, which a name must all contain.
func Words(q string) []string { return strings.Fields(Fold(q)) }

// Index replaces the index rows of organisation id with those of name. Call it in the
// transaction that writes the name, so that a search finds the organisation as soon as it commits.
func Index(ctx context.Context, db bun.IDB, id int64, name string) error {
	if _, err := db.NewDelete().Model((*row)(nil)).Where("organisation_id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("unindexing organisation %d: %w", id, err)
	}
	return IndexNew(ctx, db, []Named{{ID: id, Name: name}})
}

// Named is an organisation's ID and name, as IndexNew takes them.
type Named struct {
	ID   int64
	Name string
}

// IndexNew indexes organisations that have no index rows yet, all in one statement: a bulk write
// such as the register's import calls it in its transaction for each batch it inserts, where Index
// would cost two statements an organisation.
func IndexNew(ctx context.Context, db bun.IDB, orgs []Named) error {
	var rows []row
	for _, o := range orgs {
		for _, g := range Grams(o.Name) {
			rows = append(rows, row{Bigram: g, OrganisationID: o.ID})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if _, err := db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("indexing the names of %d organisations from %d: %w", len(orgs), orgs[0].ID, err)
	}
	return nil
}

// Rebuild rebuilds the name index of the whole register, a thousand organisations at a time. The
// migration that creates the index calls it; run it in one transaction.
func Rebuild(ctx context.Context, db bun.IDB) error {
	if _, err := db.NewDelete().Model((*row)(nil)).Where("1 = 1").Exec(ctx); err != nil {
		return fmt.Errorf("emptying the name index: %w", err)
	}
	var last int64
	for {
		var batch []Named
		if err := db.NewSelect().Table("organisations").Column("id", "name").Where("id > ?", last).
			Order("id").Limit(1000).Scan(ctx, &batch); err != nil {
			return fmt.Errorf("reading organisations after %d: %w", last, err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := IndexNew(ctx, db, batch); err != nil {
			return err
		}
		last = batch[len(batch)-1].ID
	}
}

// maxLookups is how many of a query's grams the search looks up in the index; countCap is where it
// stops counting the organisations of a gram.
const (
	maxLookups = 2
	countCap   = 5000
)

// gramCount is how many organisations a gram of a query has, up to countCap.
type gramCount struct {
	Bigram string
	N      int
}

// Lookup returns what a search for q looks up in the index: the grams of its words (pairs, or a
// word's one character) that the index holds for the fewest organisations, at most maxLookups of
// them, whichever words they come from: the candidates of the rarest two are few, and the substring
// check of every word confirms the rest of the query. Intersecting every pair instead would read
// every organisation with a common pair such as 协会 or 服务; counting stops at countCap for the same
// reason. A gram no name has is returned alone: nothing matches.
func Lookup(ctx context.Context, db bun.IDB, q string) ([]string, error) {
	grams := queryGrams(q)
	if len(grams) <= maxLookups {
		return grams, nil
	}
	parts := make([]string, len(grams))
	args := make([]any, 0, 3*len(grams))
	for i, g := range grams {
		parts[i] = "SELECT ? AS bigram, (SELECT count(*) FROM (SELECT 1 FROM org_name_bigrams WHERE bigram = ? LIMIT ?) AS g) AS n"
		args = append(args, g, g, countCap)
	}
	var counts []gramCount
	if err := db.NewRaw(strings.Join(parts, " UNION ALL "), args...).Scan(ctx, &counts); err != nil {
		return nil, fmt.Errorf("counting the organisations of %v: %w", grams, err)
	}
	slices.SortStableFunc(counts, func(a, b gramCount) int { return a.N - b.N })
	if counts[0].N == 0 {
		return []string{counts[0].Bigram}, nil
	}
	return []string{counts[0].Bigram, counts[1].Bigram}, nil
}
