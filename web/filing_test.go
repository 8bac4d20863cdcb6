package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// filingData is an application about the organisation with the uploads of its slots and the extra
// answers.
func (st *site) filingData(token, item, uscc, name string, extra map[string]any, slots ...string) map[string]any {
	data := map[string]any{"uscc": uscc, "name": name}
	for slot, id := range st.uploadAll(token, item, slots...) {
		data[slot] = []int64{id}
	}
	for k, v := range extra {
		data[k] = v
	}
	return data
}

// termReminders counts the term reminders written for a user.
func termReminders(t *testing.T, st *site, userID int64) int {
	t.Helper()
	n, err := st.stack.DB.NewSelect().Table("outbox").
		Where("template = ? AND user_id = ? AND channel = ?", "filing_term_reminder", userID, "inbox").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// The life of a registered social group after its birth, through the API on both databases: a 换届
// filing records the term's end (a term over five years refused on its field) and its reminder goes
// once, six months before the end; 章程核准 and 负责人变更备案 enter the history; somebody not bound
// to the group, and the deregistration item of another kind, are refused at start; the 注销登记 then
// deregisters it: still found by the register's search as deregistered, its certificate verifies as
// revoked, the 注销公告 is on its page, and no further procedure about it starts.
func TestDeregistrationAndFilingsThroughTheAPI(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx, db := context.Background(), s.DB
		appID := st.user("c.app", "org_applicant")
		st.user("c.other", "org_applicant")
		st.user("c.acc", "acceptor@2101*")
		st.user("c.rev", "reviewer@2101*")
		st.user("c.apr", "approver@2101*")
		app, other, acc, rev, apr := st.token("c.app"), st.token("c.other"), st.token("c.acc"), st.token("c.rev"), st.token("c.apr")
		const name = "沈阳市终结测试协会"
		est := st.groupToDecision(app, acc, rev, apr, name)
		est = st.step(apr, est, "approve_establishment", "registered", map[string]any{"fields": map[string]any{"decision_number": "沈民社登〔2026〕31号"}})
		uscc, _ := est.Fields["uscc"].(string)
		org, err := register.ByUSCC(ctx, db, uscc)
		if err != nil {
			t.Fatal(err)
		}
		today := calendar.DateOf(time.Now())
		day := func(months int) string { return today.Time().AddDate(0, months, 0).Format(time.DateOnly) }

		// 换届备案: a term longer than five years is refused on its field, without a case.
		term := func(ends string) map[string]any {
			return st.filingData(app, "term-renewal-filing", uscc, name, map[string]any{"assembly_date": today.String(), "term_starts_on": today.String(),
				"term_ends_on": ends, "leaders": []any{map[string]any{"name": "李娜", "id_number": residentID(t, 902), "position": "会长"}}}, "minutes")
		}
		var e apiErr
		if code := st.api("POST", "/api/v1/cases", app, map[string]any{"item": "term-renewal-filing", "jurisdiction": "210100", "data": term(day(61))}, &e); code != http.StatusUnprocessableEntity ||
			!hasFieldError(e, "term_ends_on", "rule") {
			t.Fatalf("a term of more than five years: %d %+v", code, e)
		}
		// Nobody but those bound to the organisation files for it.
		e = apiErr{}
		if code := st.api("POST", "/api/v1/cases", other, map[string]any{"item": "term-renewal-filing", "jurisdiction": "210100",
			"data": st.filingData(other, "term-renewal-filing", uscc, name, map[string]any{"assembly_date": today.String(), "term_starts_on": today.String(),
				"term_ends_on": day(7), "leaders": []any{map[string]any{"name": "李娜", "id_number": residentID(t, 902), "position": "会长"}}}, "minutes")}, &e); code != http.StatusUnprocessableEntity ||
			!hasFieldError(e, "uscc", "not_bound") {
			t.Fatalf("an applicant not bound to the organisation: %d %+v", code, e)
		}
		c := st.startCase(app, "term-renewal-filing", "210100", term(day(7)))
		c = st.step(rev, c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "材料齐全。"}})
		st.step(apr, c, "approve", "done", nil)
		var entry struct {
			Status     string
			TermEndsOn string `json:"term_ends_on"`
			History    []struct {
				Kind  string
				Title struct{ ZH string }
			}
		}
		if code := st.api("GET", "/api/v1/register/"+uscc, "", nil, &entry); code != http.StatusOK || entry.TermEndsOn != day(7) {
			t.Fatalf("the register's term after the 换届 filing: %d %+v", code, entry)
		}
		// The reminder: not seven months ahead, once six months ahead, and never twice.
		if err := register.RemindTerms(ctx, db, time.Now()); err != nil || termReminders(t, st, appID) != 0 {
			t.Fatalf("a reminder seven months before the term ends: %v", err)
		}
		for range 2 {
			if err := register.RemindTerms(ctx, db, time.Now().AddDate(0, 1, 1)); err != nil || termReminders(t, st, appID) != 1 {
				t.Fatalf("the reminder six months before the term ends: %v, %d sent", err, termReminders(t, st, appID))
			}
		}

		// 章程核准 and 负责人变更备案.
		c = st.startCase(app, "articles-approval", "210100", st.filingData(app, "articles-approval", uscc, name,
			map[string]any{"adopted_on": today.String(), "adopted_by": "representatives", "changes": "修改第十条会费标准。"}, "articles", "comparison", "minutes"))
		c = st.step(rev, c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "符合规定。"}})
		st.step(apr, c, "approve", "done", nil)
		if v := st.getCase(app, c.ID); len(v.Documents) != 1 || v.Documents[0].Kind != "articles_approval_notice" {
			t.Fatalf("the articles' approval issued %+v", v.Documents)
		}
		c = st.startCase(app, "leaders-change-filing", "210100", st.filingData(app, "leaders-change-filing", uscc, name,
			map[string]any{"decided_on": today.String(), "leaders": []any{map[string]any{"change": "joined", "name": "王强", "id_number": residentID(t, 903), "position": "秘书长"}}},
			"resolution", "leaders_details"))
		c = st.step(rev, c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "材料齐全。"}})
		st.step(apr, c, "approve", "done", nil)

		// 注销登记: the foundations' item refuses a social group.
		dereg := func(token string) map[string]any {
			return st.filingData(token, "social-group-deregistration", uscc, name, map[string]any{"grounds": "dissolution", "grounds_detail": "会员大会决议解散。",
				"resolution_date": today.AddDays(-40).String(), "liquidation_completed_on": today.AddDays(-5).String(), "contact_name": "张伟", "contact_phone": "13912345678"},
				"application_letter", "resolution", "liquidation_report", "audit_report", "creditor_announcement")
		}
		e = apiErr{}
		if code := st.api("POST", "/api/v1/cases", app, map[string]any{"item": "foundation-deregistration", "jurisdiction": "210000", "data": dereg(app)}, &e); code != http.StatusUnprocessableEntity ||
			!hasFieldError(e, "uscc", "wrong_kind") {
			t.Fatalf("a social group under the foundations' deregistration: %d %+v", code, e)
		}
		c = st.startCase(app, "social-group-deregistration", "210100", dereg(app))
		c = st.step(acc, c, "accept", "review", nil)
		c = st.step(rev, c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "清算完毕，建议准予注销。"}})
		st.step(apr, c, "approve", "deregistered", map[string]any{"fields": map[string]any{"decision_number": "沈民社注〔2026〕3号"}})
		if v := st.getCase(app, c.ID); len(v.Documents) != 2 || v.Documents[1].Kind != "deregistration_notice" {
			t.Fatalf("the deregistration issued %+v", v.Documents)
		}

		entry.History = nil
		if code := st.api("GET", "/api/v1/register/"+uscc, "", nil, &entry); code != http.StatusOK || entry.Status != register.StatusDeregistered {
			t.Fatalf("the register after the deregistration: %d %+v", code, entry)
		}
		var titles []string
		for _, h := range entry.History {
			if h.Kind == register.EventProcedure {
				titles = append(titles, h.Title.ZH)
			}
		}
		if strings.Join(titles, "|") != "社会组织换届备案|社会组织章程核准|社会组织负责人变更备案|社会团体注销登记" {
			t.Errorf("the history's procedures: %q", titles)
		}
		var found struct {
			Organisations []struct{ USCC, Status string }
		}
		if code := st.api("GET", "/api/v1/register?q="+url.QueryEscape("终结测试"), "", nil, &found); code != http.StatusOK ||
			len(found.Organisations) != 1 || found.Organisations[0].USCC != uscc || found.Organisations[0].Status != register.StatusDeregistered {
			t.Fatalf("the register's search after the deregistration: %d %+v", code, found)
		}
		var verifyCode string
		if err := db.NewSelect().Table("documents").Column("verify_code").Where("organisation_id = ? AND kind = ?", org.ID, "registration_certificate").
			Scan(ctx, &verifyCode); err != nil {
			t.Fatal(err)
		}
		var v struct{ Status string }
		if code := st.api("GET", "/api/v1/verify/"+verifyCode, "", nil, &v); code != http.StatusOK || v.Status != "revoked" {
			t.Fatalf("the certificate after the deregistration: %d %+v", code, v)
		}
		anon := st.browser()
		if code, page, _ := anon.get("/verify/" + verifyCode); code != http.StatusOK || !strings.Contains(page, "已撤销") {
			t.Errorf("the certificate's verification page does not say it is revoked: %d", code)
		}
		code, page, _ := anon.get("/register/" + uscc)
		if code != http.StatusOK || !strings.Contains(page, name+"注销登记公告") || !strings.Contains(page, "社会团体注销登记") || !strings.Contains(page, day(7)) {
			t.Errorf("the register page after the deregistration (notice, history, term): %d\n%s", code, page)
		}
		// No procedure about a deregistered organisation starts.
		e = apiErr{}
		if code := st.api("POST", "/api/v1/cases", app, map[string]any{"item": "term-renewal-filing", "jurisdiction": "210100", "data": term(day(30))}, &e); code != http.StatusUnprocessableEntity ||
			!hasFieldError(e, "uscc", "not_bound") {
			t.Fatalf("a filing for a deregistered organisation: %d %+v", code, e)
		}
		// Its term reminder is not sent any more either (a new term would be due otherwise).
		if _, err := db.NewUpdate().Table("organisation_terms").Set("reminded_at = NULL").Where("organisation_id = ?", org.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := register.RemindTerms(ctx, db, time.Now().AddDate(0, 1, 1)); err != nil || termReminders(t, st, appID) != 1 {
			t.Fatalf("a reminder for a deregistered organisation: %v", err)
		}
	})
}
