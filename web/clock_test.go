package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/civicflow/civicflow/stacktest"
)

// An unanswered 补正 notice of the social-group item is deemed withdrawn by its timer once the period
// the definition sets (30 calendar days) is over — not before — and the applicant is told.
func TestUnansweredSupplementIsWithdrawnByTimer(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("timer.applicant", "org_applicant")
		st.user("timer.acceptor", "acceptor@2101*")
		applicant, acceptor := st.token("timer.applicant"), st.token("timer.acceptor")
		c := st.startPreparation(applicant, "沈阳市计时测试协会")
		req := map[string]any{"action": "supplement_prep", "expected_version": c.Version, "items": []string{"name"}, "comment": "请补正名称。"}
		if code := st.act(acceptor, c.ID, req, nil); code != http.StatusOK {
			t.Fatalf("supplement: %d", code)
		}
		ctx := context.Background()
		if n, err := st.engine.FireDueTimers(ctx, time.Now().AddDate(0, 0, 20)); err != nil || n != 0 {
			t.Fatalf("a timer fired after 20 days: %d %v", n, err)
		}
		if n, err := st.engine.FireDueTimers(ctx, time.Now().AddDate(0, 0, 45)); err != nil || n != 1 {
			t.Fatalf("after 45 days: fired %d, %v", n, err)
		}
		if got := st.getCase(applicant, c.ID); got.Case.State != "withdrawn" {
			t.Fatalf("state after the timer: %s", got.Case.State)
		}
		if n, err := st.engine.FireDueTimers(ctx, time.Now().AddDate(0, 0, 60)); err != nil || n != 0 {
			t.Fatalf("the timer fired twice: %d %v", n, err)
		}
		var outbox int
		if err := s.DB.NewSelect().TableExpr("outbox").ColumnExpr("count(*)").Where("template = 'case_deemed_withdrawn'").Scan(ctx, &outbox); err != nil || outbox == 0 {
			t.Fatalf("the applicant was not told: %d %v", outbox, err)
		}
	})
}
