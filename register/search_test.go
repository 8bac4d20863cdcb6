package register_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

func TestSearch(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		entries := []struct{ name, kind, jurisdiction string }{
			{"沈阳市摄影家协会", register.KindSocialGroup, "210100"},
			{"沈阳市书法家协会", register.KindSocialGroup, "210102"},
			{"大连市摄影协会", register.KindSocialGroup, "210200"},
			{"100%公益促进会", register.KindSocialGroup, "210100"},
			{"Shenyang Chess Club", register.KindPrivateNonEnterprise, "210100"},
			{"沈阳市围棋协会", register.KindSocialGroup, "210102"},
			{"辽宁省养老服务基金会", register.KindFoundation, "210000"},
			{"和平区5G应用促进会", register.KindPrivateNonEnterprise, "210102"},
			{"协", register.KindSocialGroup, "210000"},
			{"ＣＦ全角协会", register.KindSocialGroup, "210000"},
		}
		orgs := map[string]*register.Organisation{}
		for _, e := range entries {
			o, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: e.name, Kind: e.kind, Jurisdiction: e.jurisdiction})
			if err != nil {
				t.Fatal(err)
			}
			orgs[e.name] = o
		}
		if _, err := s.DB.NewUpdate().Model((*register.Organisation)(nil)).Set("status = ?", register.StatusRevoked).
			Where("id = ?", orgs["沈阳市书法家协会"].ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		// 沈阳市围棋协会 was registered on 2025-12-31 at 23:30 in China, which is still 2025 there.
		if _, err := s.DB.NewUpdate().Model((*register.Organisation)(nil)).
			Set("registered_at = ?", time.Date(2025, 12, 31, 15, 30, 0, 0, time.UTC)).
			Where("id = ?", orgs["沈阳市围棋协会"].ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		search := func(q register.Query) ([]string, int) {
			t.Helper()
			res, err := register.Search(ctx, s.DB, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			out := []string{}
			for _, o := range res.Organisations {
				out = append(out, o.Name)
			}
			return out, res.Total
		}
		for _, c := range []struct {
			q    register.Query
			want string
		}{
			{register.Query{Q: "摄影"}, "大连市摄影协会,沈阳市摄影家协会"},
			{register.Query{Q: "围棋"}, "沈阳市围棋协会"},
			{register.Query{Q: "养老服务"}, "辽宁省养老服务基金会"},
			{register.Query{Q: "摄影协会"}, "大连市摄影协会"},          // every pair present is not enough: 摄影家协会 has no 影协
			{register.Query{Q: "家协会"}, "沈阳市摄影家协会,沈阳市书法家协会"}, // active first, revoked included
			{register.Query{Q: "棋"}, "沈阳市围棋协会"},
			// The name itself first, then active before revoked, the shortest names first.
			{register.Query{Q: "协"}, "协,ＣＦ全角协会,大连市摄影协会,沈阳市围棋协会,沈阳市摄影家协会,沈阳市书法家协会"},
			{register.Query{Q: "5g应用"}, "和平区5G应用促进会"},
			{register.Query{Q: "5"}, "和平区5G应用促进会"},
			{register.Query{Q: "ＣＦ全角"}, "ＣＦ全角协会"}, // as typed: lower() folds full-width letters on PostgreSQL only
			{register.Query{Q: "CHESS"}, "Shenyang Chess Club"},
			{register.Query{Q: "chess club"}, "Shenyang Chess Club"},
			// Words apart must each be in the name, in any order; a one-character word too.
			{register.Query{Q: "沈阳 协会"}, "沈阳市围棋协会,沈阳市摄影家协会,沈阳市书法家协会"},
			{register.Query{Q: " 协会　摄影 "}, "大连市摄影协会,沈阳市摄影家协会"},
			{register.Query{Q: "棋 沈阳"}, "沈阳市围棋协会"},
			{register.Query{Q: "摄影 围棋"}, ""},
			{register.Query{Q: "club shenyang"}, "Shenyang Chess Club"},
			{register.Query{Q: "100%"}, "100%公益促进会"},
			{register.Query{Q: "%"}, "100%公益促进会"},
			{register.Query{Q: "_"}, ""},
			{register.Query{Q: "象棋"}, ""},
			{register.Query{Q: strings.ToLower(orgs["大连市摄影协会"].USCC)}, "大连市摄影协会"},
			{register.Query{USCC: " " + strings.ToLower(orgs["大连市摄影协会"].USCC)}, "大连市摄影协会"},
			{register.Query{Q: "协会", Status: register.StatusRevoked}, "沈阳市书法家协会"},
			{register.Query{Kind: register.KindFoundation}, "辽宁省养老服务基金会"},
			{register.Query{Q: "促进会", Kind: register.KindPrivateNonEnterprise}, "和平区5G应用促进会"},
			{register.Query{Jurisdiction: "210102"}, "和平区5G应用促进会,沈阳市围棋协会,沈阳市书法家协会"},
			{register.Query{Q: "协会", Jurisdiction: "210100"}, "沈阳市围棋协会,沈阳市摄影家协会,沈阳市书法家协会"}, // and below
			{register.Query{Q: "协会", Jurisdiction: "210000"}, "ＣＦ全角协会,大连市摄影协会,沈阳市围棋协会,沈阳市摄影家协会,沈阳市书法家协会"},
			{register.Query{Year: 2025}, "沈阳市围棋协会"},
			{register.Query{Q: "围棋", Year: time.Now().Year()}, ""},
		} {
			got, total := search(c.q)
			if strings.Join(got, ",") != c.want || total != len(got) {
				t.Errorf("%+v: %v (total %d), want %s", c.q, got, total, c.want)
			}
		}

		// Pages: the same order, each name once, the total on every page.
		var all []string
		for page := 1; page <= 5; page++ {
			got, total := search(register.Query{Page: page, PerPage: 3})
			if total != len(entries) {
				t.Errorf("page %d: total %d", page, total)
			}
			if page == 5 && len(got) != 0 {
				t.Errorf("page 5: %v", got)
			}
			all = append(all, got...)
		}
		whole, _ := search(register.Query{PerPage: 100})
		if !slices.Equal(all, whole) || len(whole) != len(entries) {
			t.Errorf("pages %v, whole %v", all, whole)
		}
		if got, _ := search(register.Query{}); len(got) != len(entries) {
			t.Errorf("default page: %v", got)
		}

		// Every bad filter is named at once.
		_, err := register.Search(ctx, s.DB, register.Query{Q: strings.Repeat("协", register.MaxQueryLength+1), USCC: "123",
			Kind: "charity", Status: "gone", Jurisdiction: "21", Year: 1800, Page: -1, PerPage: register.MaxPerPage + 1})
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Invalid {
			t.Fatalf("bad query: %v", err)
		}
		var paths []string
		for _, f := range p.Fields {
			paths = append(paths, f.Path)
		}
		if want := "q,uscc,kind,status,jurisdiction,year,page,per_page"; strings.Join(paths, ",") != want {
			t.Errorf("fields %v, want %s", paths, want)
		}
		// Pages end with the first MaxExport matches.
		if _, err := register.Search(ctx, s.DB, register.Query{Page: register.MaxExport/20 + 1, PerPage: 20}); !problem.Is(err, problem.Invalid) {
			t.Errorf("a page beyond the first %d matches: %v", register.MaxExport, err)
		}
		if _, err := register.Search(ctx, s.DB, register.Query{Page: register.MaxExport / 20, PerPage: 20}); err != nil {
			t.Errorf("the last page of the first %d matches: %v", register.MaxExport, err)
		}
		if _, err := register.Search(ctx, s.DB, register.Query{Q: "\xff\xfe"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("invalid UTF-8: %v", err)
		}
		if got, _ := search(register.Query{Q: strings.Repeat("协", register.MaxQueryLength)}); len(got) != 0 {
			t.Errorf("longest query: %v", got)
		}
	})
}

// A search finds an organisation as soon as the transaction that registered it commits, and not
// before; a rolled-back registration leaves nothing in the index.
func TestSearchIndexFollowsTheTransaction(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		tx, err := s.DB.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := register.Create(ctx, tx, register.NewOrganisation{Name: "沈阳市桥牌协会", Kind: register.KindSocialGroup, Jurisdiction: "210100"}); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.DB.NewSelect().ColumnExpr("count(*)").TableExpr("org_name_bigrams").Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("index rows after a rollback: %d %v", n, err)
		}
		if _, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: "沈阳市桥牌协会", Kind: register.KindSocialGroup, Jurisdiction: "210100"}); err != nil {
			t.Fatal(err)
		}
		res, err := register.Search(ctx, s.DB, register.Query{Q: "桥牌"})
		if err != nil || res.Total != 1 {
			t.Fatalf("桥牌: %+v %v", res, err)
		}
	})
}

// nameindex.Organisations.Rebuild, which the migration runs, rebuilds the index of names written without it.
func TestRebuildIndex(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		insertBare(t, s, []string{"沈阳市足球协会", "大连市篮球协会"})
		if res, err := register.Search(ctx, s.DB, register.Query{Q: "足球"}); err != nil || res.Total != 0 {
			t.Fatalf("unindexed: %+v %v", res, err)
		}
		if err := nameindex.Organisations.Rebuild(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{"足球": 1, "篮球": 1, "球协": 2, "球": 2} {
			res, err := register.Search(ctx, s.DB, register.Query{Q: q})
			if err != nil || res.Total != want {
				t.Errorf("%s: %+v %v", q, res, err)
			}
		}
	})
}

// insertBare puts organisations straight into the table, as the rows before the index were, with
// made-up credit codes.
func insertBare(t testing.TB, s *stacktest.Stack, names []string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	for start := 0; start < len(names); start += 1000 {
		var rows []register.Organisation
		for i, name := range names[start:min(start+1000, len(names))] {
			rows = append(rows, register.Organisation{USCC: fmt.Sprintf("5121010050%08d", start+i), Name: name,
				Kind: register.KindSocialGroup, Jurisdiction: "210100", Status: register.StatusActive, RegisteredAt: now})
		}
		if _, err := s.DB.NewInsert().Model(&rows).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
