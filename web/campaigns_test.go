package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// campaignWorld is a province with three Shenyang organisations — a social group and a foundation
// bound to the clerk, and one registered after the cut-off — and one Dalian organisation, with the
// staff of a campaign.
type campaignWorld struct {
	st                          *site
	admin, reviewer, approver   string // tokens
	clerk, dlReviewer, dlAdmin  string
	group, foundation, late, dl *register.Organisation
	year                        int
}

func newCampaignWorld(t *testing.T, s *stacktest.Stack) *campaignWorld {
	t.Helper()
	ctx := context.Background()
	st := startSite(t, s)
	st.user("c.admin", "admin@21*")
	st.user("c.reviewer", "reviewer@2101*")
	st.user("c.approver", "approver@2101*")
	st.user("c.dladmin", "admin@2102*")
	st.user("c.dlreviewer", "reviewer@2102*")
	clerkID := st.user("c.clerk", "org_applicant")
	w := &campaignWorld{st: st, admin: st.token("c.admin"), reviewer: st.token("c.reviewer"), approver: st.token("c.approver"),
		clerk: st.token("c.clerk"), dlReviewer: st.token("c.dlreviewer"), dlAdmin: st.token("c.dladmin"),
		year: st.clock.Now().In(calendar.Zone).Year()}
	// The campaign opens in January of the next year, before every deadline.
	st.clock.Set(time.Date(w.year+1, 1, 15, 10, 0, 0, 0, calendar.Zone))
	create := func(name, kind, jur string, registered time.Time, bind bool) *register.Organisation {
		o, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: name, Kind: kind, Jurisdiction: jur})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewUpdate().Table("organisations").Set("registered_at = ?", registered).Where("id = ?", o.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if bind {
			b := &register.Binding{OrganisationID: o.ID, UserID: clerkID, How: register.HowRequest, Status: register.BindingActive, CreatedAt: time.Now().UTC()}
			if _, err := s.DB.NewInsert().Model(b).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return o
	}
	july := func(day int) time.Time { return time.Date(w.year, 7, day, 12, 0, 0, 0, calendar.Zone) }
	w.group = create("沈阳市书法家协会", register.KindSocialGroup, "210100", july(1), true)
	w.foundation = create("沈阳市助学基金会", register.KindFoundation, "210100", july(1).AddDate(-3, 0, 0), true)
	w.late = create("沈阳市新成立协会", register.KindSocialGroup, "210100", july(2), true)
	w.dl = create("大连市围棋协会", register.KindSocialGroup, "210200", july(1).AddDate(-1, 0, 0), false)
	return w
}

// reportData is an annual report of the organisation whose accounts add up, unless broken.
func (w *campaignWorld) reportData(uscc string, auditReport int64, broken bool) map[string]any {
	net := 600000
	if broken {
		net = 500000
	}
	return map[string]any{
		"uscc": uscc, "year": w.year,
		"balance_sheet": map[string]any{"total_assets": 1000000, "total_liabilities": 400000, "net_assets": net},
		"income":        map[string]any{"donations": 100, "membership_fees": 200, "services": 0, "government_grants": 0, "other": 0, "total": 300},
		"expenses":      map[string]any{"programmes": 150, "administration": 50, "fundraising": 0, "other": 0, "total": 200},
		"activities":    "举办书法展览三次。", "full_time_staff": 3, "branches": 0, "party_organisation": "joint", "party_members": 2,
		"audit_report": []int64{auditReport},
	}
}

func TestAnnualReportCampaign(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		w := newCampaignWorld(t, s)
		st := w.st
		var missed []int64
		wired := annualreport.OnMissed
		annualreport.OnMissed = func(ctx context.Context, tx bun.IDB, organisationID int64, year int, jurisdiction string) error {
			if year != w.year || jurisdiction != "210100" {
				t.Errorf("OnMissed(%d, %d, %s)", organisationID, year, jurisdiction)
			}
			missed = append(missed, organisationID)
			return nil
		}
		t.Cleanup(func() { annualreport.OnMissed = wired })

		// Opening: bad input, someone else's jurisdiction, then the city's campaign.
		var e apiErr
		bad := map[string]any{"year": 1999, "jurisdiction": "210100", "deadlines": map[string]string{"foundation": "2000-13-01", "club": "x"}}
		if code := st.api("POST", "/api/v1/campaigns", w.admin, bad, &e); code != http.StatusUnprocessableEntity || len(e.Error.Fields) != 3 {
			t.Fatalf("bad opening: %d %+v", code, e)
		}
		opening := map[string]any{"year": w.year, "jurisdiction": "210100"}
		if code := st.api("POST", "/api/v1/campaigns", w.dlAdmin, opening, nil); code != http.StatusForbidden {
			t.Fatalf("Dalian's admin opened Shenyang's campaign: %d", code)
		}
		if code := st.api("POST", "/api/v1/campaigns", w.reviewer, opening, nil); code != http.StatusForbidden {
			t.Fatalf("a reviewer opened a campaign: %d", code)
		}
		var cp annualreport.Campaign
		if code := st.api("POST", "/api/v1/campaigns", w.admin, opening, &cp); code != http.StatusCreated {
			t.Fatalf("opening: %d", code)
		}
		if cp.Reports != 2 || cp.DeadlineSocialGroup != fmt.Sprintf("%d-05-31", w.year+1) || cp.DeadlineFoundation != fmt.Sprintf("%d-03-31", w.year+1) {
			t.Fatalf("campaign: %+v (want the group and the foundation, not the late one nor Dalian's)", cp)
		}
		if code := st.api("POST", "/api/v1/campaigns", w.admin, opening, &e); code != http.StatusConflict || e.Error.Code != "campaign_exists" {
			t.Fatalf("second opening: %d %+v", code, e)
		}
		var due int
		if err := s.DB.NewSelect().Model((*notify.Outbox)(nil)).ColumnExpr("COUNT(*)").Where("template = ?", "annual_report_due").Scan(ctx, &due); err != nil || due != 2 {
			t.Fatalf("annual_report_due messages: %d %v, want one to the clerk for each of two organisations", due, err)
		}
		path := fmt.Sprintf("/api/v1/campaigns/%d", cp.ID)
		if code := st.api("GET", path, w.dlReviewer, nil, nil); code != http.StatusNotFound {
			t.Fatalf("Dalian's reviewer read Shenyang's campaign: %d", code)
		}

		// Filing: the accounts must add up; an organisation without a report is refused on year.
		pdf := st.uploadPDF(w.clerk, annualreport.ItemCode, "audit_report")
		start := func(data map[string]any, out any) int {
			return st.api("POST", "/api/v1/cases", w.clerk, map[string]any{"item": annualreport.ItemCode, "jurisdiction": "210100", "data": data}, out)
		}
		e = apiErr{}
		if code := start(w.reportData(w.group.USCC, pdf, true), &e); code != http.StatusUnprocessableEntity || !hasFieldErr(e, "balance_sheet.net_assets") {
			t.Fatalf("accounts that do not add up: %d %+v", code, e)
		}
		e = apiErr{}
		if code := start(w.reportData(w.late.USCC, pdf, false), &e); code != http.StatusUnprocessableEntity || !hasFieldErr(e, "year") {
			t.Fatalf("a report nobody asked for: %d %+v", code, e)
		}
		var cs workflow.Case
		if code := start(w.reportData(w.group.USCC, pdf, false), &cs); code != http.StatusCreated {
			t.Fatalf("filing: %d", code)
		}
		if cs.Fields["on_time"] != true {
			t.Errorf("filed case fields: %+v", cs.Fields)
		}
		pdf2 := st.uploadPDF(w.clerk, annualreport.ItemCode, "audit_report")
		e = apiErr{}
		if code := start(w.reportData(w.group.USCC, pdf2, false), &e); code != http.StatusUnprocessableEntity || !hasFieldErr(e, "year") {
			t.Fatalf("filing twice: %d %+v", code, e)
		}
		// The next year's report is filed while this one is still open (concurrent_cases): a report in
		// review or rectification never blocks the next.
		if code := st.api("POST", "/api/v1/campaigns", w.admin, map[string]any{"year": w.year + 1, "jurisdiction": "210100"}, nil); code != http.StatusCreated {
			t.Fatalf("opening the next year's campaign: %d", code)
		}
		nextYear := w.reportData(w.group.USCC, st.uploadPDF(w.clerk, annualreport.ItemCode, "audit_report"), false)
		nextYear["year"] = w.year + 1
		if code := start(nextYear, nil); code != http.StatusCreated {
			t.Fatalf("filing the next year's report while this year's is open: %d", code)
		}

		// Review: 基本合格 with a rectification demand, the rectification report, accepted.
		act := func(token, action string, version int64, fields, data map[string]any) workflow.Case {
			t.Helper()
			var out workflow.Case
			req := map[string]any{"action": action, "expected_version": version, "fields": fields, "data": data}
			if code := st.api("POST", fmt.Sprintf("/api/v1/cases/%d/actions", cs.ID), token, req, &out); code != http.StatusOK {
				t.Fatalf("%s: %d", action, code)
			}
			return out
		}
		if code := st.api("POST", fmt.Sprintf("/api/v1/cases/%d/actions", cs.ID), w.dlReviewer,
			map[string]any{"action": "pass", "expected_version": cs.Version}, nil); code < 400 {
			t.Fatalf("Dalian's reviewer reviewed a Shenyang report: %d", code)
		}
		deadline := st.clock.Now().In(calendar.Zone).AddDate(0, 2, 0).Format("2006-01-02")
		cs = act(w.reviewer, "basic_pass", cs.Version, map[string]any{"rectification_demand": "补充理事会会议记录。", "rectification_deadline": deadline}, nil)
		rect := st.uploadPDF(w.clerk, annualreport.ItemCode, "rectification_report")
		cs = act(w.clerk, "submit_rectification", cs.Version, nil, map[string]any{"measures": "已补充。", "rectification_report": []int64{rect}})
		cs = act(w.reviewer, "accept_rectification", cs.Version, nil, nil)
		var r annualreport.Report
		if err := s.DB.NewSelect().Model(&r).Where("organisation_id = ?", w.group.ID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if r.Result != annualreport.ResultBasicPass || r.RectificationDeadline != deadline || r.RectifiedAt == nil || r.OnTime == nil || !*r.OnTime {
			t.Fatalf("report after review: %+v", r)
		}

		// The foundation's deadline passes: reminded once before, handed to OnMissed once after.
		fdl, _ := calendar.ParseDate(cp.DeadlineFoundation)
		if n, err := annualreport.Remind(ctx, s.DB, fdl.AddDays(-3), time.Now()); err != nil || n != 1 {
			t.Fatalf("reminders: %d %v, want the foundation's", n, err)
		}
		if n, err := annualreport.Remind(ctx, s.DB, fdl.AddDays(-2), time.Now()); err != nil || n != 0 {
			t.Fatalf("second reminders: %d %v", n, err)
		}
		for range 2 {
			if _, err := annualreport.PassDeadlines(ctx, s.DB, fdl.AddDays(1), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if len(missed) != 1 || missed[0] != w.foundation.ID {
			t.Fatalf("OnMissed got %v, want the foundation %d once", missed, w.foundation.ID)
		}

		// Statistics and the results notice.
		var view struct {
			Statistics []annualreport.Stat `json:"statistics"`
		}
		if code := st.api("GET", path, w.reviewer, nil, &view); code != http.StatusOK || len(view.Statistics) != 2 {
			t.Fatalf("statistics: %d %+v", code, view)
		}
		for _, row := range view.Statistics {
			want := annualreport.Stat{Jurisdiction: "210100", Kind: row.Kind, Reports: 1}
			if row.Kind == register.KindFoundation {
				want.Missed = 1
			} else {
				want.Filed, want.OnTime, want.BasicPass = 1, 1, 1
			}
			if row != want {
				t.Errorf("statistics row %+v, want %+v", row, want)
			}
		}
		if code := st.api("POST", path+"/results", w.reviewer, nil, nil); code != http.StatusForbidden {
			t.Fatalf("a reviewer published results: %d", code)
		}
		var published struct {
			NoticeID int64  `json:"notice_id"`
			Path     string `json:"path"`
		}
		if code := st.api("POST", path+"/results", w.approver, nil, &published); code != http.StatusCreated || published.NoticeID == 0 {
			t.Fatalf("publishing results: %d %+v", code, published)
		}
		_, body, _ := st.browser().get(published.Path)
		for _, want := range []string{"沈阳市书法家协会", "基本合格", "沈阳市助学基金会"} {
			if !strings.Contains(body, want) {
				t.Errorf("results notice lacks %q", want)
			}
		}
		e = apiErr{}
		if code := st.api("POST", path+"/results", w.approver, nil, &e); code != http.StatusConflict || e.Error.Code != "results_published" {
			t.Fatalf("publishing twice: %d %+v", code, e)
		}
	})
}

// hasFieldErr reports whether the API error names the field.
func hasFieldErr(e apiErr, path string) bool {
	for _, f := range e.Error.Fields {
		if f.Path == path {
			return true
		}
	}
	return false
}

// campaignsContract exercises the campaign API against openapi.json: open (bad input, someone
// else's jurisdiction, a second time), list, read, and publish results (nothing reviewed yet, then
// after a review, then again).
func campaignsContract(t *testing.T, k *contract, st *site) {
	t.Helper()
	ctx := context.Background()
	st.user("k.admin", "admin@2102*")
	st.user("k.approver", "approver@2102*")
	st.user("k.reviewer", "reviewer@2102*")
	admin, approver, reviewer := st.token("k.admin"), st.token("k.approver"), st.token("k.reviewer")
	year := st.engine.Now().In(calendar.Zone).Year()
	org, err := register.Create(ctx, st.stack.DB, register.NewOrganisation{Name: "大连市桥牌协会", Kind: register.KindSocialGroup, Jurisdiction: "210200"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.stack.DB.NewUpdate().Table("organisations").Set("registered_at = ?", time.Date(year-2, 3, 1, 0, 0, 0, 0, time.UTC)).
		Where("id = ?", org.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	k.fails(call{method: "POST", path: "/api/v1/campaigns", token: admin, valid: true,
		body: map[string]any{"year": year, "jurisdiction": "210200", "deadlines": map[string]string{"foundation": "soon"}}}, 422, "invalid_input")
	k.fails(call{method: "POST", path: "/api/v1/campaigns", token: admin, valid: true,
		body: map[string]any{"year": year, "jurisdiction": "210100"}}, 403, "forbidden")
	var cp annualreport.Campaign
	k.do(call{method: "POST", path: "/api/v1/campaigns", token: admin, valid: true, out: &cp,
		body: map[string]any{"year": year, "jurisdiction": "210200", "remind_days": 20}}, 201)
	k.fails(call{method: "POST", path: "/api/v1/campaigns", token: admin, valid: true,
		body: map[string]any{"year": year, "jurisdiction": "210200"}}, 409, "campaign_exists")
	k.do(call{method: "GET", path: "/api/v1/campaigns", token: reviewer, valid: true}, 200)
	k.fails(call{method: "GET", path: "/api/v1/campaigns", token: st.token("b.citizen")}, 403, "forbidden")
	path := fmt.Sprintf("/api/v1/campaigns/%d", cp.ID)
	k.do(call{method: "GET", path: path, token: reviewer, valid: true}, 200)
	k.fails(call{method: "GET", path: "/api/v1/campaigns/999999", token: reviewer, valid: true}, 404, "not_found")
	k.fails(call{method: "POST", path: path + "/results", token: approver, valid: true}, 409, "nothing_reviewed")
	if _, err := st.stack.DB.NewUpdate().Model((*annualreport.Report)(nil)).Set("result = ?", annualreport.ResultPass).
		Where("campaign_id = ?", cp.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	k.fails(call{method: "POST", path: path + "/results", token: reviewer, valid: true}, 403, "forbidden")
	k.do(call{method: "POST", path: path + "/results", token: approver, valid: true}, 201)
	k.fails(call{method: "POST", path: "/api/v1/campaigns/999999/results", token: approver, valid: true}, 404, "not_found")
}

// annualReports seeds the crawl with an annual-report campaign of Shenyang and one report case in
// each state of the item annual-report, each of its own organisation bound to the applicant.
func (sd *seeder) annualReports() {
	st, w := sd.st, sd.w
	app := w.who["applicant"]
	year := st.clock.Now().In(calendar.Zone).Year()
	states := []string{"review", "supplement", "passed", "rectification", "rectification_review", "rectified"}
	var orgs []*register.Organisation
	for i := range states {
		o, err := register.Create(sd.ctx, st.stack.DB, register.NewOrganisation{Name: fmt.Sprintf("沈阳市年报测试协会%02d", i),
			Kind: register.KindSocialGroup, Jurisdiction: "210100"})
		if err != nil {
			sd.t.Fatal(err)
		}
		if _, err := st.stack.DB.NewUpdate().Table("organisations").Set("registered_at = ?", time.Date(year-3, 1, 1, 0, 0, 0, 0, time.UTC)).
			Where("id = ?", o.ID).Exec(sd.ctx); err != nil {
			sd.t.Fatal(err)
		}
		b := &register.Binding{OrganisationID: o.ID, UserID: app.id, How: register.HowRequest, Status: register.BindingActive, CreatedAt: time.Now().UTC()}
		if _, err := st.stack.DB.NewInsert().Model(b).Exec(sd.ctx); err != nil {
			sd.t.Fatal(err)
		}
		orgs = append(orgs, o)
	}
	if _, err := annualreport.Open(sd.ctx, st.stack.DB, st.enf, actorOf(w.who["admin-province"]),
		annualreport.Opening{Year: year, Jurisdiction: "210100"}, st.clock.Now()); err != nil {
		sd.t.Fatal(err)
	}
	reviewer := actorOf(w.who["reviewer-in"])
	rectification := map[string]any{"rectification_demand": "补充会议记录。",
		"rectification_deadline": calendar.DateOf(st.clock.Now()).AddDays(60).String()}
	for i, state := range states {
		cw := &campaignWorld{year: year}
		data := cw.reportData(orgs[i].USCC, st.uploadPDF(app.token, annualreport.ItemCode, "audit_report"), false)
		c, err := st.engine.Start(sd.ctx, actorOf(app), annualreport.ItemCode, "210100", data)
		if err != nil {
			sd.t.Fatal(err)
		}
		switch state {
		case "supplement":
			sd.take(reviewer, c, workflow.ApplyRequest{Action: "request_supplement", Items: []string{"activities"}, Comment: "请补充活动情况。"})
		case "passed":
			sd.take(reviewer, c, workflow.ApplyRequest{Action: "pass"})
		case "rectification", "rectification_review", "rectified":
			c = sd.take(reviewer, c, workflow.ApplyRequest{Action: "fail", Fields: rectification})
			if state == "rectification" {
				break
			}
			rect := st.uploadPDF(app.token, annualreport.ItemCode, "rectification_report")
			c = sd.take(actorOf(app), c, workflow.ApplyRequest{Action: "submit_rectification",
				Data: map[string]any{"measures": "已整改。", "rectification_report": []int64{rect}}})
			if state == "rectified" {
				sd.take(reviewer, c, workflow.ApplyRequest{Action: "accept_rectification"})
			}
		}
	}
}
