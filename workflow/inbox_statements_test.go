package workflow_test

import (
	"strings"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// An inbox costs two statements however many cases it holds (docs/benchmarks.md, issue 14): the
// versions with open cases, and the cases with their clocks' due dates; the user's grants are the
// enforcer's, in memory. The first call loads the versions' definitions, which stay cached.
// Raise the bound only with a reason.
func TestInboxStatements(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f, log := countedFixture(t, s)
		for range 3 {
			f.start()
		}
		inbox := func() {
			cases, err := f.eng.Inbox(f.ctx, f.acceptor, workflow.InboxFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(cases) != 3 {
				t.Fatalf("%d cases in the inbox, want 3", len(cases))
			}
		}
		log.During(inbox)
		if stmts := log.During(inbox); len(stmts) != 2 {
			t.Errorf("the inbox took %d statements, want 2:\n%s", len(stmts), strings.Join(stmts, "\n"))
		}
	})
}
