package workflow_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// A search by name finds, through the name indexes of cases and users, exactly the cases of the
// searcher's scope that a plain LIKE over the organisation's and the applicant's names finds, in the
// same order and with the same count, for random names and queries from a small alphabet (so that
// grams repeat and candidates fail the substring check): whole and partial pages, one character,
// mixed case, words with a space, none; names longer than index cases_org_name keeps (200
// characters); the name alone and with another filter (the status).
func TestSearchByNameIsLike(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		ctx := f.ctx
		first := f.start()
		r := rand.New(rand.NewPCG(14, 3))
		alphabet := []rune("沈阳协会书法王明aAbB ")
		name := func(n int) string {
			rs := make([]rune, 1+r.IntN(n))
			for i := range rs {
				rs[i] = alphabet[r.IntN(len(alphabet))]
			}
			return strings.TrimSpace(string(rs))
		}
		now := time.Now().UTC()
		var applicants []int64
		for i := range 40 {
			u := &accounts.User{Login: "person" + string(rune('a'+i%26)) + strings.Repeat("b", i/26), Locale: "zh-CN",
				PasswordHash: "x", CreatedAt: now, UpdatedAt: now}
			if i%4 != 0 { // a quarter go by their login name
				u.DisplayName = name(6)
			}
			if _, err := f.db.NewInsert().Model(u).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			applicants = append(applicants, u.ID)
		}
		var cases []workflow.Case
		for i := range 300 {
			c := *first
			c.ID, c.Number = 0, first.Number+"-"+string(rune('a'+i%26))+strings.Repeat("z", i/26)
			c.Jurisdiction = []string{shenyang, heping, dalian}[r.IntN(3)]
			c.ApplicantID = applicants[r.IntN(len(applicants))]
			c.OrgName = name(8)
			if i%25 == 0 { // a long name, the query's part anywhere in it
				c.OrgName = strings.Repeat("书", 100) + name(8) + strings.Repeat("法", 100) + name(8)
			}
			if i%2 == 0 {
				closed := first.CreatedAt
				c.ClosedAt = &closed
			}
			c.CreatedAt = first.CreatedAt.Add(-time.Duration(r.IntN(50)) * time.Hour) // ties too, ordered by id
			cases = append(cases, c)
		}
		if _, err := f.db.NewInsert().Model(&cases).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, idx := range []nameindex.Table{nameindex.Cases, nameindex.Users} { // as the engine and accounts would have
			if err := idx.Rebuild(ctx, f.db); err != nil {
				t.Fatal(err)
			}
		}
		queries := []string{"沈阳", "协", "a", "B", "Ab", "王明 书", "personc", "阳协会书", "无"}
		for range 60 {
			queries = append(queries, name(4))
		}
		for _, q := range queries {
			if q == "" {
				continue
			}
			for _, status := range []string{"", workflow.StatusClosed} {
				var want []string
				like := "%" + database.EscapeLike(q) + "%"
				if err := f.db.NewRaw(`SELECT c.number FROM cases AS c JOIN users AS u ON u.id = c.applicant_id
					WHERE c.jurisdiction >= '2101' AND c.jurisdiction < '2102' AND (? = '' OR c.closed_at IS NOT NULL)
						AND (lower(c.org_name) LIKE lower(?) ESCAPE '\' OR lower(`+nameindex.UserName("u")+`) LIKE lower(?) ESCAPE '\')
					ORDER BY c.created_at DESC, c.id DESC`, status, like, like).Scan(ctx, &want); err != nil {
					t.Fatal(err)
				}
				for _, p := range []struct{ page, perPage int }{{1, 100}, {2, 100}, {2, 7}} {
					res, err := f.eng.Search(ctx, f.acceptor, workflow.SearchQuery{Name: q, Status: status, PerPage: p.perPage, Page: p.page})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for _, c := range res.Cases {
						got = append(got, c.Number)
					}
					page := want[min((p.page-1)*p.perPage, len(want)):min(p.page*p.perPage, len(want))]
					if res.Total != len(want) || !slices.Equal(got, page) {
						t.Errorf("%q (status %q), page %d of %d: %d cases %v, want %d %v", q, status, p.page, p.perPage, res.Total, got, len(want), page)
					}
				}
			}
		}
	})
}

// A search by name costs two statements however many grams its query has (docs/benchmarks.md, issue
// 14): the cases, with the rarity of the query's grams counted in the same statement, and their
// clocks for the due dates; one when it finds nothing (before, a second statement counted the
// matches of an empty first page). Raise the bounds only with a reason.
func TestSearchByNameStatements(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f, log := countedFixture(t, s)
		c := f.start()
		if _, err := f.db.NewUpdate().Model((*workflow.Case)(nil)).Set("org_name = ?", "沈阳市围棋协会").Where("id = ?", c.ID).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if err := nameindex.Cases.Rebuild(f.ctx, f.db); err != nil {
			t.Fatal(err)
		}
		for _, want := range []struct {
			name         string
			cases, stmts int
		}{{"阳市围棋协", 1, 2}, {"阳市象棋协", 0, 1}} {
			var res *workflow.SearchResults
			stmts := log.During(func() {
				var err error
				if res, err = f.eng.Search(f.ctx, f.acceptor, workflow.SearchQuery{Name: want.name}); err != nil {
					t.Fatal(err)
				}
			})
			if res.Total != want.cases || len(stmts) != want.stmts {
				t.Errorf("%s: %d cases in %d statements, want %d in %d:\n%s", want.name, res.Total, len(stmts), want.cases, want.stmts, strings.Join(stmts, "\n"))
			}
		}
	})
}
