package register_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// A search finds exactly the organisations a plain LIKE of each word finds, in Search's order
// (the name itself, active ones, shorter names, then by name) and with their count, on every page
// (the page and its count are one statement) and beyond the last, for random names and queries from
// a small alphabet, so that grams repeat and candidates fail the substring check.
func TestSearchIsLike(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
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
		queries := []string{"协会", "a", "A", "沈阳 书法", names[7], "围棋协会书法", "无"}
		for range 40 {
			queries = append(queries, word(3))
		}
		for _, q := range queries {
			sel := s.DB.NewSelect().TableExpr("organisations").Column("name")
			for _, w := range nameindex.Words(q) {
				sel = sel.Where(`lower(name) LIKE lower(?) ESCAPE '\'`, "%"+database.EscapeLike(w)+"%")
			}
			var want []string
			if err := sel.OrderExpr("CASE WHEN lower(name) = lower(?) THEN 0 ELSE 1 END, CASE WHEN status = 'active' THEN 0 ELSE 1 END, LENGTH(name), name, id",
				nameindex.Fold(q)).Scan(ctx, &want); err != nil {
				t.Fatal(err)
			}
			for _, p := range []struct{ page, perPage int }{{1, 100}, {2, 7}, {3, 100}} {
				res, err := register.Search(ctx, s.DB, register.Query{Q: q, Page: p.page, PerPage: p.perPage})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, o := range res.Organisations {
					got = append(got, o.Name)
				}
				page := want[min((p.page-1)*p.perPage, len(want)):min(p.page*p.perPage, len(want))]
				if res.Total != len(want) || !slices.Equal(got, page) {
					t.Errorf("%q, page %d of %d: %d %v, want %d %v", q, p.page, p.perPage, res.Total, got, len(want), page)
				}
			}
		}
	})
}
