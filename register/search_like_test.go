package register_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// A search finds exactly the organisations a plain LIKE of each word finds, in Search's order
// (the name itself, active ones, shorter names, then by name) and with their count, on every page
// and beyond the last, with a status or without, for random names and queries from a small
// alphabet, so that grams repeat and candidates fail the substring check; a word with an ASCII
// letter is compared in lower case, one without (Chinese) as it is. The page and its count are
// one statement, beyond the last page too, after the count of the query's grams when it has more
// than two.
func TestSearchIsLike(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		log := &stacktest.Statements{}
		counted := s.DB.WithQueryHook(log)
		r := rand.New(rand.NewPCG(10, 14))
		alphabet := []rune("沈阳协会书法围棋aAb")
		word := func(n int) string {
			rs := make([]rune, 1+r.IntN(n))
			for i := range rs {
				rs[i] = alphabet[r.IntN(len(alphabet))]
			}
			return string(rs)
		}
		var names []string
		for range 400 {
			names = append(names, word(7))
		}
		insertBare(t, s, names)
		if _, err := s.DB.ExecContext(ctx, "UPDATE organisations SET status = ? WHERE id % 3 = 0", register.StatusDeregistered); err != nil {
			t.Fatal(err)
		}
		if err := nameindex.Organisations.Rebuild(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		queries := []string{"协会", "a", "A", "a会", "沈阳 书法", names[7], "围棋协会书法", "沈阳协会 书法围棋", "无"}
		for range 40 {
			queries = append(queries, word(3))
		}
		for _, q := range queries {
			grams := 0
			for _, w := range nameindex.Words(q) {
				grams += len(nameindex.Pairs(w))
			}
			for _, status := range []string{"", register.StatusActive, register.StatusDeregistered} {
				sel := s.DB.NewSelect().TableExpr("organisations").Column("name")
				for _, w := range nameindex.Words(q) {
					sel = sel.Where(`lower(name) LIKE lower(?) ESCAPE '\'`, "%"+database.EscapeLike(w)+"%")
				}
				if status != "" {
					sel = sel.Where("status = ?", status)
				}
				var want []string
				if err := sel.OrderExpr("CASE WHEN lower(name) = lower(?) THEN 0 ELSE 1 END, CASE WHEN status = 'active' THEN 0 ELSE 1 END, LENGTH(name), name, id",
					nameindex.Fold(q)).Scan(ctx, &want); err != nil {
					t.Fatal(err)
				}
				for _, p := range []struct{ page, perPage int }{{1, 100}, {2, 7}, {3, 100}} {
					var res *register.Results
					var err error
					stmts := log.During(func() {
						res, err = register.Search(ctx, counted, register.Query{Q: q, Status: status, Page: p.page, PerPage: p.perPage})
					})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, o := range res.Organisations {
						got = append(got, o.Name)
					}
					page := want[min((p.page-1)*p.perPage, len(want)):min(p.page*p.perPage, len(want))]
					if res.Total != len(want) || !slices.Equal(got, page) {
						t.Errorf("%q (%s), page %d of %d: %d %v, want %d %v", q, status, p.page, p.perPage, res.Total, got, len(want), page)
					}
					n := 1 // the page with its count
					if grams > 2 {
						n++ // after counting the names of each gram (nameindex.Lookup)
					}
					if len(stmts) != n {
						t.Errorf("%q, page %d of %d: %d statements, want %d:\n%s", q, p.page, p.perPage, len(stmts), n, strings.Join(stmts, "\n"))
					}
				}
			}
		}
	})
}

// The register's name index is looked up by two grams that share no character: in names made as
// real ones are (city + field + form), the two rarest grams of 养老服务中心 are 养老 and 老服, which
// every 养老服务 organisation holds both, so that their candidates were every such organisation.
func TestLookupTakesGramsApart(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		insertBare(t, s, syntheticNames(3000))
		if err := nameindex.Organisations.Rebuild(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"养老服务中心", "沈阳市摄影", "营口市信鸽协会"} {
			grams, err := nameindex.Lookup(ctx, s.DB, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(grams) != 2 || strings.ContainsAny(grams[0], grams[1]) {
				t.Errorf("%s: looked up %v, want two grams apart", q, grams)
			}
		}
	})
}
