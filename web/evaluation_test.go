package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

const evalItem = "organisation-evaluation"

// evalOrganisation enters an organisation registered on the day given and binds the user to it.
func evalOrganisation(t *testing.T, st *site, name string, registered time.Time, userID int64) *register.Organisation {
	t.Helper()
	ctx, db := context.Background(), st.stack.DB
	o, err := register.Create(ctx, db, register.NewOrganisation{Name: name, Kind: register.KindSocialGroup, Jurisdiction: "210100"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewUpdate().Table("organisations").Set("registered_at = ?", registered.UTC()).Where("id = ?", o.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	b := &register.Binding{OrganisationID: o.ID, UserID: userID, How: register.HowRequest, Status: register.BindingActive, CreatedAt: time.Now().UTC()}
	if _, err := db.NewInsert().Model(b).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return o
}

// evalData is an evaluation application for the organisation, with its two materials uploaded.
func evalData(st *site, token, uscc string) map[string]any {
	up := st.uploadAll(token, evalItem, "self_assessment_report", "financial_statements")
	return map[string]any{"uscc": uscc, "contact_name": "李明", "contact_phone": "13912345678", "self_assessment_score": 860,
		"self_assessment_report": []int64{up["self_assessment_report"]}, "financial_statements": []int64{up["financial_statements"]}}
}

// scores are the fields of the score action: the experts' points per criterion and their opinion.
func scores(basic, governance, performance, social int) map[string]any {
	return map[string]any{"basic_conditions": basic, "internal_governance": governance, "work_performance": performance,
		"social_evaluation": social, "experts": "王教授、赵会计师、钱律师", "expert_opinion": "治理规范，成效明显。"}
}

// Evaluation through the API, on both databases: an organisation registered less than two full years
// ago and an applicant not bound to one are refused at the start; the experts' scores per criterion
// give 4A (850 of 1,000, a criterion over its weight refused); the proposed level is published, the
// organisation asks for a review, which upholds it; the level is announced with its certificate (the
// 1A/2A announcement is not offered), recorded in the register for five years (API and page) with its
// notices; a second organisation's 2A is announced after its 公示 ends by the timer, without a
// certificate; and the expiry reminder reaches the bound applicant once, six months before the end.
func TestEvaluationThroughTheAPI(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		k := newContract(t, st, loadOpenAPI(t))
		ctx := context.Background()
		applicantID := st.user("ev.applicant", "org_applicant")
		st.user("ev.other", "org_applicant")
		st.user("ev.acceptor", "acceptor@2101*")
		st.user("ev.reviewer", "reviewer@2101*")
		st.user("ev.approver", "approver@2101*")
		applicant, other := st.token("ev.applicant"), st.token("ev.other")
		acceptor, reviewer, approver := st.token("ev.acceptor"), st.token("ev.reviewer"), st.token("ev.approver")
		young := evalOrganisation(t, st, "沈阳市新星志愿者协会", time.Now().AddDate(-1, 0, 0), applicantID)
		old := evalOrganisation(t, st, "沈阳市围棋协会", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC), applicantID)
		second := evalOrganisation(t, st, "沈阳市象棋协会", time.Date(2018, 3, 1, 0, 0, 0, 0, time.UTC), applicantID)

		start := func(token, uscc string) (int, envelope) {
			var e envelope
			code := st.api("POST", "/api/v1/cases", token, map[string]any{"item": evalItem, "jurisdiction": "210100", "data": evalData(st, applicant, uscc)}, &e)
			return code, e
		}
		refused := func(code int, e envelope, want string) bool {
			return code == http.StatusUnprocessableEntity && len(e.Error.Fields) == 1 && e.Error.Fields[0].Code == want &&
				strings.HasSuffix(e.Error.Fields[0].Path, "uscc")
		}
		if code, e := start(applicant, young.USCC); !refused(code, e, "not_eligible") {
			t.Fatalf("a young organisation: %d %+v", code, e)
		}
		if code, e := start(other, old.USCC); !refused(code, e, "not_bound") {
			t.Fatalf("an applicant not bound: %d %+v", code, e)
		}

		c := st.startCase(applicant, evalItem, "210100", evalData(st, applicant, old.USCC))
		c = st.step(acceptor, c, "accept", "assessment", nil)
		if code := st.act(reviewer, c.ID, map[string]any{"action": "score", "expected_version": c.Version, "fields": scores(61, 340, 330, 130)}, nil); code != http.StatusUnprocessableEntity {
			t.Fatalf("a criterion over its weight: %d", code)
		}
		c = st.step(reviewer, c, "score", "proposal", map[string]any{"fields": scores(50, 340, 330, 130)})
		if v := st.getCase(approver, c.ID); v.Case.Fields["proposed_level"] != "4A" || v.Case.Fields["evaluation_score"] != float64(850) {
			t.Fatalf("the scoring: %+v", v.Case.Fields)
		}
		c = st.step(approver, c, "start_publicity", "publicity", nil)
		if n := countRows(t, s, "notices", "kind = ? AND case_id = ?", "evaluation_publicity", c.ID); n != 1 {
			t.Fatalf("publicity notices: %d", n)
		}
		c = st.step(applicant, c, "request_review", "review", map[string]any{"fields": map[string]any{"review_reason": "社会评价得分偏低。"}})
		c = st.step(approver, c, "uphold", "announcement", map[string]any{"fields": map[string]any{"review_decision": "经复核，维持原评估等级。"}})
		if code := st.act(approver, c.ID, map[string]any{"action": "announce", "expected_version": c.Version}, nil); code != http.StatusConflict {
			t.Fatalf("a 1A/2A announcement of a 4A: %d", code)
		}
		c = st.step(approver, c, "announce_with_certificate", "rated", nil)
		v := st.getCase(applicant, c.ID)
		var cert bool
		for _, d := range v.Documents {
			cert = cert || (d.Kind == "evaluation_certificate" && d.Status == "valid")
		}
		if !cert || v.Case.Fields["level"] != "4A" {
			t.Fatalf("the announcement: %+v %+v", v.Case.Fields, v.Documents)
		}
		var org struct {
			Evaluation *struct {
				Level      string
				Score      int
				ValidUntil string `json:"valid_until"`
				Valid      bool
			}
		}
		k.do(call{method: "GET", path: "/api/v1/register/" + old.USCC, valid: true, out: &org}, http.StatusOK)
		wantUntil := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(5, 0, -1).Format("2006-01-02")
		if e := org.Evaluation; e == nil || e.Level != "4A" || e.Score != 850 || !e.Valid || e.ValidUntil != wantUntil {
			t.Fatalf("the register's evaluation: %+v (want valid until %s)", org.Evaluation, wantUntil)
		}
		if code, body, _ := st.browser().get("/register/" + old.USCC); code != http.StatusOK || !strings.Contains(body, "评估等级") ||
			!strings.Contains(body, "4A") || !strings.Contains(body, "评估等级公告") {
			t.Fatalf("the register page: %d", code)
		}

		// The second organisation: 2A, no objection, the timer ends the 公示; no certificate.
		c2 := st.startCase(applicant, evalItem, "210100", evalData(st, applicant, second.USCC))
		c2 = st.step(acceptor, c2, "accept", "assessment", nil)
		c2 = st.step(reviewer, c2, "score", "proposal", map[string]any{"fields": scores(40, 250, 250, 100)})
		c2 = st.step(approver, c2, "start_publicity", "publicity", nil)
		if n, err := st.engine.FireDueTimers(ctx, time.Now().AddDate(0, 0, 3)); err != nil || n != 0 {
			t.Fatalf("the 公示 ended early: %d %v", n, err)
		}
		if n, err := st.engine.FireDueTimers(ctx, time.Now().AddDate(0, 0, 9)); err != nil || n != 1 {
			t.Fatalf("the 公示 did not end: %d %v", n, err)
		}
		c2.State, c2.Version = "announcement", st.getCase(approver, c2.ID).Case.Version
		if code := st.act(approver, c2.ID, map[string]any{"action": "announce_with_certificate", "expected_version": c2.Version}, nil); code != http.StatusConflict {
			t.Fatalf("a certificate for 2A: %d", code)
		}
		st.step(approver, c2, "announce", "rated", nil)
		if n := countRows(t, s, "documents", "case_id = ? AND kind = ?", c2.ID, "evaluation_certificate"); n != 0 {
			t.Fatalf("2A got %d certificates", n)
		}

		// The reminder before the levels expire: not yet after four years, once at four and a half.
		if err := register.RemindEvaluations(ctx, s.DB, time.Now().AddDate(4, 0, 0)); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, s, "outbox", "template = ?", "eval_expiry_reminder"); n != 0 {
			t.Fatalf("reminded four years on: %d", n)
		}
		for range 2 {
			if err := register.RemindEvaluations(ctx, s.DB, time.Now().AddDate(4, 7, 0)); err != nil {
				t.Fatal(err)
			}
		}
		if n := countRows(t, s, "outbox", "template = ? AND user_id = ? AND channel = 'inbox'", "eval_expiry_reminder", applicantID); n != 2 {
			t.Fatalf("reminders (one per organisation, once): %d", n)
		}
	})
}

// evaluationChain is the way of an evaluation case to its level, as the persona whose work each step is.
var evaluationChain = []struct{ action, by string }{
	{"accept", "acceptor-in"}, {"score", "reviewer-in"}, {"start_publicity", "approver-in"}, {"request_review", "applicant"},
	{"uphold", "approver-in"}, {"announce_with_certificate", "approver-in"},
}

// seedEvaluations gives the crawl an evaluation case in every state, each of an organisation of its
// own registered in 2019 and bound to the applicant: the chain to the level, and the ways off it.
func (sd *seeder) seedEvaluations() {
	app := sd.w.who["applicant"]
	fields := map[string]map[string]any{
		"score":          scores(50, 340, 330, 130),
		"request_review": {"review_reason": "社会评价得分偏低。"},
		"uphold":         {"review_decision": "维持。"},
	}
	n := 0
	start := func() *workflow.Case {
		n++
		o := evalOrganisation(sd.t, sd.st, fmt.Sprintf("沈阳市评估测试协会%02d", n), time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC), app.id)
		return sd.reload(sd.st.startCase(app.token, evalItem, "210100", evalData(sd.st, app.token, o.USCC)).ID)
	}
	to := func(state string) *workflow.Case {
		c := start()
		for _, step := range evaluationChain {
			if c.State == state {
				break
			}
			c = sd.take(actorOf(sd.w.who[step.by]), c, workflow.ApplyRequest{Action: step.action, Fields: fields[step.action]})
		}
		if c.State != state {
			sd.t.Fatalf("the chain of an evaluation does not pass %s", state)
		}
		return c
	}
	for _, state := range []string{"acceptance", "assessment", "proposal", "publicity", "review", "announcement", "rated"} {
		to(state)
	}
	sd.take(sd.clerk, start(), workflow.ApplyRequest{Action: "request_supplement", Items: []string{"contact_name"}, Comment: "请核对联系人。"})
	sd.take(sd.clerk, start(), workflow.ApplyRequest{Action: "reject", Fields: map[string]any{"reason": "上一年度年检不合格。"}})
	sd.take(actorOf(app), start(), workflow.ApplyRequest{Action: "withdraw"})
	low := sd.take(actorOf(sd.w.who["acceptor-in"]), start(), workflow.ApplyRequest{Action: "accept"})
	low = sd.take(actorOf(sd.w.who["reviewer-in"]), low, workflow.ApplyRequest{Action: "score", Fields: scores(30, 200, 200, 50)})
	sd.take(actorOf(sd.w.who["approver-in"]), low, workflow.ApplyRequest{Action: "conclude_unrated", Fields: map[string]any{"reason": "得分不足500分。"}})
}
