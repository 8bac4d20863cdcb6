package workflow_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/statistics"
	"github.com/civicflow/civicflow/statistics/closed"
	"github.com/civicflow/civicflow/workflow"
)

// On PostgreSQL the lists staff of a city read all day find their cases by index among a province's:
// with 60,000 cases in 14 cities and their counties (one in twenty open), the inbox, the desk's
// search (newest first, by a whole number, by a name through the name indexes of cases and users,
// its candidates' names read from an index alone, by state, the capped count) and the statistics of
// the city never scan table cases; the statistics read the closed cases' figures from
// statistics_closed and the open cases from an index alone.
func TestCaseListsUseIndexes(t *testing.T) {
	s := stacktest.PostgresOnly(t) // the plans are PostgreSQL's
	log := &stacktest.Statements{}
	s.DB = s.DB.WithQueryHook(log)
	f := newFixture(t, s)
	ctx := f.ctx
	first := f.start()
	for city := 1; city <= 14; city++ {
		for county := 0; county <= 8; county++ {
			code := fmt.Sprintf("21%02d%02d", city, county)
			if err := jurisdictions.Add(ctx, f.db, code, code, code); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 3,000 applicants, twenty cases each, as a province has them.
	_, err := f.db.ExecContext(ctx, `INSERT INTO users (login, display_name, password_hash, created_at, updated_at)
		SELECT 'plan-' || i, '申请人' || i, '!', now(), now() FROM generate_series(1, 3000) AS i`)
	if err != nil {
		t.Fatal(err)
	}
	// Six versions of the item, as the catalogue changed over the years, each with open cases.
	_, err = f.db.ExecContext(ctx, `INSERT INTO catalog_versions (hash, item_code, source, definition, loaded_at)
		SELECT hash || '-' || n, item_code, source, definition, loaded_at FROM catalog_versions, generate_series(1, 5) AS n
		WHERE hash = ?`, first.VersionHash)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.db.ExecContext(ctx, `INSERT INTO cases (number, item_code, version_hash, jurisdiction, applicant_id, state,
			version, data, fields, outcome, created_at, updated_at, state_entered_at, closed_at, org_name)
		SELECT 'P-' || i, item_code, version_hash || CASE WHEN i / 20 % 6 = 0 THEN '' ELSE '-' || (i / 20 % 6) END, '21' || lpad((i % 14 + 1)::text, 2, '0') || lpad((i % 9)::text, 2, '0'),
			(SELECT max(id) FROM users) - i % 3000, CASE WHEN i % 20 = 0 THEN state ELSE 'approved' END, 1, '{}', '{}',
			CASE WHEN i % 20 = 0 THEN '' ELSE 'approved' END, created_at - i * interval '1 hour', updated_at,
			state_entered_at - i * interval '1 hour', CASE WHEN i % 20 = 0 THEN NULL ELSE created_at END, '测试' || i || '协会'
		FROM cases, generate_series(1, 60000) AS i WHERE id = ?`, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, idx := range []nameindex.Table{nameindex.Cases, nameindex.Users} { // as the engine and accounts would have
		if err := idx.Rebuild(ctx, f.db); err != nil {
			t.Fatal(err)
		}
	}
	if err := closed.Rebuild(ctx, f.db); err != nil { // and counted the closed ones
		t.Fatal(err)
	}
	for _, table := range []string{"cases", "case_name_grams", "users", "user_name_grams", "statistics_closed"} { // as autovacuum would
		if _, err := f.db.ExecContext(ctx, "VACUUM ANALYZE "+table); err != nil {
			t.Fatal(err)
		}
	}
	// An index-only scan needs the cases' pages marked all-visible, which VACUUM cannot do while a
	// transaction older than the rows runs on the server (another package's tests): then PostgreSQL
	// rightly prefers indexes that lead to the rows, and only the rest of the plans is checked.
	var allVisible bool
	if err := f.db.NewRaw("SELECT relallvisible >= relpages FROM pg_class WHERE oid = 'cases'::regclass").Scan(ctx, &allVisible); err != nil {
		t.Fatal(err)
	}
	if !allVisible {
		t.Log("cases are not all-visible after VACUUM: the index-only scans of cases are not checked")
	}
	log.Take() // the set-up's

	reads := map[string]func() error{
		"inbox": func() error { _, err := f.eng.Inbox(ctx, f.acceptor, workflow.InboxFilter{}); return err },
		"inbox of a state": func() error {
			_, err := f.eng.Inbox(ctx, f.acceptor, workflow.InboxFilter{State: first.State})
			return err
		},
		"search": func() error { _, err := f.eng.Search(ctx, f.acceptor, workflow.SearchQuery{}); return err },
		"search by number": func() error {
			_, err := f.eng.Search(ctx, f.acceptor, workflow.SearchQuery{Number: first.Number})
			return err
		},
		"search by name": func() error {
			res, err := f.eng.Search(ctx, f.acceptor, workflow.SearchQuery{Name: "测试12348"})
			if err == nil && res.Total != 1 {
				err = fmt.Errorf("found %d cases named 测试12348…, want 1", res.Total)
			}
			return err
		},
		"search by the applicant's name": func() error {
			var want int
			if err := f.db.NewRaw(`SELECT count(*) FROM cases AS c JOIN users AS u ON u.id = c.applicant_id
				WHERE u.display_name LIKE '%申请人2346%' AND c.jurisdiction LIKE '2101%'`).Scan(ctx, &want); err != nil {
				return err
			}
			log.Take()
			res, err := f.eng.Search(ctx, f.acceptor, workflow.SearchQuery{Name: "申请人2346"})
			if err == nil && (res.Total != want || want == 0) { // of its twenty cases, those of Shenyang
				err = fmt.Errorf("found %d cases of 申请人2346, want %d", res.Total, want)
			}
			return err
		},
		"search of open cases in a state": func() error {
			_, err := f.eng.Search(ctx, f.acceptor, workflow.SearchQuery{Status: workflow.StatusOpen, State: first.State})
			return err
		},
		"statistics of a city": func() error {
			_, err := statistics.Compute(ctx, f.db, statistics.Filter{Scopes: []string{"2101*"}}, "2026-03-02")
			return err
		},
	}
	for name, read := range reads {
		if err := read(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		queries := casesSelects(log.Take())
		if len(queries) == 0 {
			t.Fatalf("%s: no query of cases recorded", name)
		}
		for _, q := range queries {
			var lines []string
			if err := f.db.NewRaw("EXPLAIN "+q).Scan(ctx, &lines); err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if strings.Contains(plan, "Seq Scan on cases") {
				t.Errorf("%s scans cases:\n%s\n%s", name, q, plan)
			}
			// The city's cases of the state, not the province's through the index by version.
			if strings.Contains(q, "IN (VALUES") && strings.Contains(plan, "cases_open_version") {
				t.Errorf("%s reads the open cases of every jurisdiction by version:\n%s\n%s", name, q, plan)
			}
			// The candidates of the indexes, looked up one by one, rather than every case of the scope
			// or every user; the organisations' names confirmed from an index alone, not the cases'
			// rows (those of the page only).
			if strings.HasPrefix(name, "search by") && strings.Contains(name, "name") && (!strings.Contains(plan, "case_name_grams_pkey") ||
				!strings.Contains(plan, "user_name_grams_pkey") || strings.Contains(plan, "Seq Scan") ||
				allVisible && (!strings.Contains(plan, "Index Only Scan using cases_org_name on cases n") ||
					strings.Contains(plan, "Index Scan using cases_pkey on cases n")) ||
				!strings.Contains(plan, "Index Scan using cases_pkey on cases c")) {
				t.Errorf("%s does not read the cases by the name indexes:\n%s\n%s", name, q, plan)
			}
			// The page of a state's open cases, newest first, straight from the index in that order
			// rather than every open case of the city in the state, sorted.
			if name == "search of open cases in a state" && strings.Contains(q, "LIMIT 20") &&
				!strings.Contains(plan, "Index Scan Backward using cases_open_state_created on cases c") {
				t.Errorf("%s sorts the state's open cases:\n%s\n%s", name, q, plan)
			}
			// The closed cases' figures per month, the open cases from their index alone.
			if name == "statistics of a city" && (!strings.Contains(plan, "statistics_closed_pkey") ||
				allVisible && !strings.Contains(plan, "Index Only Scan using cases_open_statistics on cases c")) {
				t.Errorf("%s does not read statistics_closed and the open cases' index:\n%s\n%s", name, q, plan)
			}
			t.Logf("%s:\n%s\n%s", name, q, plan)
		}
	}
}

// casesSelects are the SELECTs among stmts (with their WITH) that read table cases.
func casesSelects(stmts []string) []string {
	var out []string
	for _, q := range stmts {
		if (strings.HasPrefix(q, "SELECT") || strings.HasPrefix(q, "WITH")) && (strings.Contains(q, `"cases" AS "c"`) || strings.Contains(q, "cases AS c")) {
			out = append(out, q)
		}
	}
	return out
}
