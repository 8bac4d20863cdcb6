package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
)

// The statements (round trips) of the three staff actions of civicflow-bench's cases scenario stay
// within their bounds, counted with a query hook on the second case (the first fills the caches).
// The bare transition the issue measures against costs select, conditional update and two inserts
// inside BEGIN … COMMIT: propose_prep costs that plus the bearer token's lookup. accept_prep and
// approve_preparation also stop a clock and issue a document. Raise a bound only with a reason.
func TestActionStatementsBounded(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		counted := *s
		log := &stacktest.Statements{}
		counted.DB = s.DB.WithQueryHook(log)
		st := startSite(t, &counted)
		st.user("app", "org_applicant@*")
		st.user("acc", "acceptor@2101*")
		st.user("rev", "reviewer@2101*")
		st.user("apr", "approver@2101*")
		app, acc, rev, apr := st.token("app"), st.token("acc"), st.token("rev"), st.token("apr")
		steps := []struct {
			token, action, to string
			extra             map[string]any
			bound             int
		}{
			// token, case, BEGIN, timers, clocks, clock, jurisdiction, outbox, number, number free?,
			// file, document, superseded, case, event, COMMIT
			{acc, "accept_prep", "prep_review", nil, 16},
			// token, case, BEGIN, outbox, case, event, COMMIT
			{rev, "propose_prep", "prep_decision", map[string]any{"fields": map[string]any{"opinion": "材料齐全"}}, 7},
			// token, case, BEGIN, clocks, clock, number free?, jurisdiction, outbox, file, document,
			// superseded, case, event, COMMIT
			{apr, "approve_preparation", "establishment_application", nil, 14},
		}
		for i, name := range []string{"沈阳市青年创业促进会", "沈阳市老年协会"} {
			c := st.startPreparation(app, name)
			for _, step := range steps {
				extra := step.extra
				if step.action == "approve_preparation" {
					extra = map[string]any{"fields": map[string]any{"decision_number": fmt.Sprintf("沈民社准〔2026〕%d号", i+1)}}
				}
				log.Take()
				c = st.step(step.token, c, step.action, step.to, extra)
				stmts := log.Take()
				if i == 1 && len(stmts) > step.bound {
					t.Errorf("%s: %d statements, bound %d:\n%s", step.action, len(stmts), step.bound, strings.Join(stmts, "\n"))
				}
				if step.action == "accept_prep" {
					numberedLast(t, stmts)
				}
			}
		}
	})
}

// numberedLast checks that an acceptance takes its notice's number after its other writes, with
// only what needs the number between it and COMMIT (the number free?, file, document, superseded,
// case, event): the counter's row stays locked until the commit, and every acceptance of the
// jurisdiction waits for it.
func numberedLast(t *testing.T, stmts []string) {
	t.Helper()
	number, outbox := -1, -1
	for i, q := range stmts {
		switch {
		case strings.Contains(q, "INSERT INTO sequences"):
			number = i
		case strings.Contains(q, "INSERT INTO outbox"):
			outbox = i
		}
	}
	if number < 0 || outbox < 0 || outbox > number || len(stmts)-number-1 > 7 {
		t.Errorf("accept_prep: the number is taken at statement %d of %d, the outbox written at %d:\n%s",
			number, len(stmts), outbox, strings.Join(stmts, "\n"))
	}
}
