package workflow_test

import (
	"testing"

	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// An action claims its version only with its last write, after its effects: racers whose effects
// fail on what the winner wrote (the document number the winner just inserted) still hear
// stale_version, not the effect's error, and nothing of theirs stays.
func TestRacersFailingInAnEffectGetStaleVersion(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.start()
		c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "accept"})
		c = f.apply(c, f.reviewer, workflow.ApplyRequest{Action: "propose", Fields: map[string]any{"opinion": "符合条件"}})
		c = f.apply(c, f.approver1, workflow.ApplyRequest{Action: "approve", Fields: map[string]any{"decision_number": "辽民审〔2026〕1号"}})
		inbox := f.count("outbox", "user_id = ? AND channel = 'inbox'", f.applicant)
		const n = 8
		errs := make(chan error, n)
		start := make(chan struct{})
		for range n {
			go func() {
				<-start
				// The co-signature completes the action: each racer issues the same document number.
				_, err := f.eng.Apply(f.ctx, f.actor(f.approver2), c.ID, workflow.ApplyRequest{Action: "approve",
					ExpectedVersion: c.Version, Fields: map[string]any{"decision_number": "辽民审〔2026〕1号"}})
				errs <- err
			}()
		}
		close(start)
		wins := 0
		for range n {
			err := <-errs
			switch p, ok := problem.As(err); {
			case err == nil:
				wins++
			case ok && p.Code == "stale_version":
				if d := p.Detail.(map[string]any); d["state"] != "preparing" || d["version"] != c.Version+1 {
					t.Errorf("stale detail %v", d)
				}
			default:
				t.Errorf("a racer got %v, want stale_version", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d wins, want 1", wins)
		}
		if got := f.count("documents", "case_id = ?", c.ID); got != 1 {
			t.Errorf("%d documents, want 1", got)
		}
		if got := f.count("outbox", "user_id = ? AND channel = 'inbox'", f.applicant); got != inbox+1 {
			t.Errorf("%d inbox messages to the applicant, want the winner's only (%d)", got, inbox+1)
		}
		report, err := workflow.CheckChains(f.ctx, f.db)
		if err != nil || len(report.Broken) != 0 {
			t.Fatalf("CheckChains: %+v %v", report, err)
		}
	})
}
