package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/credit"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// importedCode is the n-th credit code of a Shenyang social group in the old register's file, with
// its check characters right.
func importedCode(t *testing.T, n int) string {
	t.Helper()
	org := "T" + strings.Repeat("0", 6) + strconv.Itoa(n)
	oc, err := forms.OrgCodeCheckChar(org)
	if err != nil {
		t.Fatal(err)
	}
	first := "51210100" + org + string(oc)
	cc, err := forms.USCCCheckChar(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(cc)
}

// fillIn sets the fields of the page's form by id (inputs, selects, textareas, date inputs alike) and
// gives its file inputs the file, as a person choosing and typing would.
func fillIn(t *testing.T, ctx context.Context, values map[string]string, file string, uploads ...string) {
	t.Helper()
	for id, v := range values {
		if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.ID(id), v)); err != nil {
			t.Fatalf("filling in %s: %v", id, err)
		}
	}
	for _, id := range uploads {
		if err := chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.ID(id), []string{file})); err != nil {
			t.Fatalf("choosing the file of %s: %v", id, err)
		}
	}
}

// submitApplication sends the application form of the page and returns the new case's path, failing
// the test with the page's errors when it is refused.
func submitApplication(t *testing.T, ctx context.Context, what string) string {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form.application button[name=intent][value=submit]`)))
	if err != nil || resp.Status != http.StatusOK || !regexp.MustCompile(`/cases/\d+\?started=1$`).MatchString(resp.URL) {
		errs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll(".field-error, .error-summary")).map(e => e.innerText).join("; ")`))
		saveViewport(t, ctx, "life-refused")
		t.Fatalf("submitting %s: %v %+v; errors: %s", what, err, resp, errs)
	}
	return regexp.MustCompile(`/cases/\d+`).FindString(resp.URL)
}

// openFrom clicks the link of the page in ctx at path whose address is href, failing the test unless it
// is there and answers.
func openFrom(t *testing.T, ctx context.Context, base, path, href string) {
	t.Helper()
	link := chromedp.CSS(`main a[href="` + href + `"]`)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(link)); err != nil {
		t.Fatalf("%s does not link to %s: %v", path, href, err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(link))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("following %s from %s: %v %+v", href, path, err, resp)
	}
}

// pageSays opens path in ctx and fails the test unless the main part of the page says each of want.
func pageSays(t *testing.T, ctx context.Context, base, path string, want ...string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not say %q:\n%s", path, w, text)
		}
	}
	return text
}

// The "Done when" through the pages, where a person acts (setting up the register, the
// campaign and the passing of time through the packages and the API): four social groups imported
// from the old register. The first is bound to its applicant on the binding request and staff pages,
// changes its name through the application page and the case page (the register search finds the new
// name, the history keeps the old one, the certificate of an earlier change verifies as superseded),
// files its annual report in a campaign and is given 合格; the second misses the deadline and is on
// the public 活动异常名录, and two years on on the 严重违法失信名单; the third is deregistered and
// its certificate verifies as revoked; the fourth is rated 4A after its 公示, on its register entry.
func TestBrowserOrganisationLife(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to walk an organisation's life through the pages in Chromium")
		return
	}
	bg := context.Background()
	s := stacktest.SQLite(t)
	st := startSite(t, s)
	clerkID := st.user("ol.clerk", "org_applicant@*")
	st.user("ol.acceptor", "acceptor@2101*")
	st.user("ol.reviewer", "reviewer@2101*")
	st.user("ol.approver", "approver@2101*")
	st.user("ol.admin", "admin@21*")
	w := changeWorld{clerk: st.token("ol.clerk"), acc: st.token("ol.acceptor"), rev: st.token("ol.reviewer"), apr: st.token("ol.approver")}

	// The old register's file: four social groups of Shenyang, registered years ago.
	names := []string{"沈阳市围棋协会", "沈阳市象棋协会", "沈阳市桥牌协会", "沈阳市书法家协会"}
	file := "统一社会信用代码,名称,登记管理机关,成立日期,业务范围\n"
	codes := make([]string, len(names))
	for i, name := range names {
		codes[i] = importedCode(t, i+1)
		file += codes[i] + "," + name + ",210100,2015-03-20,棋牌培训、比赛\n"
	}
	if rep, err := register.Import(bg, s.DB, strings.NewReader(file), register.ImportOptions{Source: "旧登记库.csv"}); err != nil || rep.Inserted != 4 {
		t.Fatalf("importing the old register: %+v %v", rep, err)
	}
	goChess, chess, bridge, calligraphy := codes[0], codes[1], codes[2], codes[3]
	// The third and fourth are bound to the applicant already; the first is bound on the pages below.
	for _, code := range []string{bridge, calligraphy} {
		o, err := register.ByUSCC(bg, s.DB, code)
		if err != nil {
			t.Fatal(err)
		}
		b := &register.Binding{OrganisationID: o.ID, UserID: clerkID, How: register.HowRequest, Status: register.BindingActive, CreatedAt: time.Now().UTC()}
		if _, err := s.DB.NewInsert().Model(b).Exec(bg); err != nil {
			t.Fatal(err)
		}
	}
	// A change that gives an imported organisation its first certificate (the old register's ones
	// are not in CivicFlow), returning the certificate's verification code.
	certify := func(uscc string, n int) string {
		t.Helper()
		c := st.startCase(w.clerk, sgChange, "210100", changeData(st, w, uscc, map[string]any{"domicile": "沈阳市和平区南京北街" + strconv.Itoa(n) + "号",
			"legal_representative": map[string]any{"name": "李明"}, "funds": 30000}))
		c = approveChange(st, w, c, "沈民社变〔2026〕"+strconv.Itoa(n)+"号")
		code, _ := certificateOf(t, st, c.ID)
		return code
	}
	bridgeCertificate := certify(bridge, 1)

	scan := filepath.Join(t.TempDir(), "材料.pdf")
	if err := os.WriteFile(scan, tinyPDF, 0o644); err != nil {
		t.Fatal(err)
	}
	today := func() calendar.Date { return calendar.DateOf(st.clock.Now()) }

	ctx := newBrowser(t, 240*time.Second)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	person := func(login string) context.Context {
		c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		if login != "" {
			loginInBrowser(t, c, st.base, login)
		}
		return c
	}
	loginInBrowser(t, ctx, st.base, "ol.clerk")
	actx, rctx, pctx, anon := person("ol.acceptor"), person("ol.reviewer"), person("ol.approver"), person("")
	// The member of the public reads Chinese: Chromium asks for English, so switch with the header's button.
	if err := chromedp.Do(anon, chromedp.Navigate(st.base+"/register"), chromedp.WaitVisible(chromedp.CSS(`header .lang-switch button`))); err != nil {
		t.Fatal(err)
	}
	if lang, _ := chromedp.Run(anon, chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "zh-CN" {
		if resp, err := chromedp.RunResponse(anon, chromedp.Click(chromedp.CSS(`header .lang-switch button`))); err != nil || resp.Status != http.StatusOK {
			t.Fatalf("switching to Chinese: %v %+v", err, resp)
		}
	}

	// 1. The applicant asks to act for the first organisation on My organisations; staff approve it.
	t.Log("binding request page and staff approval")
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/account/organisations"), chromedp.WaitVisible(chromedp.ID("uscc"))); err != nil {
		t.Fatalf("opening My organisations: %v", err)
	}
	fillIn(t, ctx, map[string]string{"uscc": goChess}, scan, "letter")
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/account/organisations"] button[type=submit]`)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("asking to act for the organisation: %v %+v", err, resp)
	}
	approve := chromedp.CSS(`button[formaction^="/admin/bindings/"][formaction*="/approve"]`)
	if err := chromedp.Do(actx, chromedp.Navigate(st.base+"/admin/bindings"), chromedp.WaitVisible(approve)); err != nil {
		t.Fatalf("the request is not on the staff's bindings page: %v", err)
	}
	if row, _ := chromedp.Run(actx, chromedp.Text(chromedp.CSS("table.bindings tbody tr"))); !strings.Contains(row, "沈阳市围棋协会") || !strings.Contains(row, "ol.clerk") {
		t.Errorf("the staff's row reads %q", row)
	}
	if resp, err := chromedp.RunResponse(actx, chromedp.Click(approve)); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("approving the binding: %v %+v", err, resp)
	}
	firstCertificate := certify(goChess, 2)

	// 2. It changes its name through the application page its row on My organisations links to.
	t.Log("change of name: application page and case page")
	openFrom(t, ctx, st.base, "/account/organisations", "/catalog/"+sgChange+"/apply?uscc="+goChess)
	if old, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-name"))); err != nil || old != "沈阳市围棋协会" {
		t.Fatalf("the change form does not start from the register's name: %q %v", old, err)
	}
	fillIn(t, ctx, map[string]string{"jurisdiction": "210100", "f-name": "沈阳市围棋运动协会", "f-reason": "会员大会决议更名。",
		"f-resolved_on": today().AddDays(-2).String()}, scan, "f-application_letter", "f-resolution")
	casePath := submitApplication(t, ctx, "the change of name")
	takeAction(t, actx, st.base, casePath, "accept", nil, "审查")
	takeAction(t, rctx, st.base, casePath, "propose", map[string]string{"opinion": "材料齐全，建议准予变更。"}, "决定")
	takeAction(t, pctx, st.base, casePath, "approve", map[string]string{"decision_number": "沈民社变〔2026〕3号"}, "准予变更登记")

	// Anyone finds it by its new name; its history keeps the old one; the old certificate is superseded.
	openFrom(t, anon, st.base, "/register?q="+url.QueryEscape("围棋运动"), "/register/"+goChess)
	pageSays(t, anon, st.base, "/register/"+goChess, "沈阳市围棋运动协会", "由“沈阳市围棋协会”变更为“沈阳市围棋运动协会”", "变更登记公告")
	pageSays(t, anon, st.base, "/verify/"+firstCertificate, "已被替换")

	// 3. The third organisation is deregistered; its certificate verifies as revoked.
	t.Log("deregistration: application page and case page")
	openFrom(t, ctx, st.base, "/account/organisations", "/catalog/social-group-deregistration/apply?uscc="+bridge)
	fillIn(t, ctx, map[string]string{"jurisdiction": "210100", "f-grounds": "dissolution", "f-grounds_detail": "会员大会决议解散。",
		"f-resolution_date": today().AddDays(-40).String(), "f-liquidation_completed_on": today().AddDays(-5).String(),
		"f-contact_name": "张伟", "f-contact_phone": "13912345678"},
		scan, "f-application_letter", "f-resolution", "f-liquidation_report", "f-audit_report", "f-creditor_announcement")
	casePath = submitApplication(t, ctx, "the deregistration")
	takeAction(t, actx, st.base, casePath, "accept", nil, "审查")
	takeAction(t, rctx, st.base, casePath, "propose", map[string]string{"opinion": "清算完毕，建议准予注销。"}, "决定")
	takeAction(t, pctx, st.base, casePath, "approve", map[string]string{"decision_number": "沈民社注〔2026〕1号"}, "准予注销登记")
	pageSays(t, anon, st.base, "/verify/"+bridgeCertificate, "已撤销")

	// 4. The fourth is evaluated: 850 points, 4A, published, announced after the 公示.
	t.Log("evaluation: application page, case page and 公示")
	openFrom(t, ctx, st.base, "/account/organisations", "/catalog/organisation-evaluation/apply?uscc="+calligraphy)
	fillIn(t, ctx, map[string]string{"jurisdiction": "210100", "f-contact_name": "李明", "f-contact_phone": "13912345678",
		"f-self_assessment_score": "860"}, scan, "f-self_assessment_report", "f-financial_statements")
	casePath = submitApplication(t, ctx, "the evaluation")
	takeAction(t, actx, st.base, casePath, "accept", nil, "实地评估与专家评分")
	takeAction(t, rctx, st.base, casePath, "score", map[string]string{"basic_conditions": "50", "internal_governance": "340", "work_performance": "330",
		"social_evaluation": "130", "experts": "王教授、赵会计师、钱律师", "expert_opinion": "治理规范，成效明显。"}, "评估委员会审定拟定等级")
	takeAction(t, pctx, st.base, casePath, "start_publicity", nil, "拟定等级公示中")
	pageSays(t, anon, st.base, "/notices", "沈阳市书法家协会")
	if n, err := st.engine.FireDueTimers(bg, time.Now().AddDate(0, 0, 9)); err != nil || n != 1 {
		t.Fatalf("the 公示 did not end: %d %v", n, err)
	}
	takeAction(t, pctx, st.base, casePath, "announce_with_certificate", nil, "已评定等级")
	pageSays(t, anon, st.base, "/register/"+calligraphy, "评估等级", "4A")

	// 5. The annual reports: a campaign in January of next year; the first organisation files its
	// report on the page, the reviewer gives 合格; the second files nothing and misses the deadline.
	t.Log("annual report: campaign, application page, review")
	year := st.clock.Now().In(calendar.Zone).Year()
	st.clock.Set(time.Date(year+1, 1, 15, 10, 0, 0, 0, calendar.Zone))
	var cp annualreport.Campaign
	if code := st.api("POST", "/api/v1/campaigns", st.token("ol.admin"), map[string]any{"year": year, "jurisdiction": "210100"}, &cp); code != http.StatusCreated {
		t.Fatalf("opening the campaign: %d", code)
	}
	openFrom(t, ctx, st.base, "/account/organisations", "/catalog/"+annualreport.ItemCode+"/apply?uscc="+goChess)
	fillIn(t, ctx, map[string]string{"jurisdiction": "210100", "f-year": strconv.Itoa(year),
		"f-balance_sheet-total_assets": "10000", "f-balance_sheet-total_liabilities": "4000", "f-balance_sheet-net_assets": "6000",
		"f-income-donations": "100", "f-income-membership_fees": "200", "f-income-services": "0", "f-income-government_grants": "0",
		"f-income-other": "0", "f-income-total": "300",
		"f-expenses-programmes": "150", "f-expenses-administration": "50", "f-expenses-fundraising": "0", "f-expenses-other": "0", "f-expenses-total": "200",
		"f-activities": "举办围棋比赛三次。", "f-full_time_staff": "3", "f-branches": "0", "f-party_organisation": "joint", "f-party_members": "2"},
		scan, "f-audit_report")
	casePath = submitApplication(t, ctx, "the annual report")
	takeAction(t, rctx, st.base, casePath, "pass", nil, "合格")

	// The deadline passes (the worker's periodic work): the non-filer is on the public 活动异常名录.
	t.Log("deadline pass: 活动异常名录, and two years on 严重违法失信名单")
	deadline, err := calendar.ParseDate(cp.DeadlineSocialGroup)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := annualreport.PassDeadlines(bg, s.DB, deadline.AddDays(1), time.Now()); err != nil {
		t.Fatal(err)
	}
	pageSays(t, anon, st.base, "/credit/abnormal?q="+url.QueryEscape(chess), "沈阳市象棋协会", "未按规定报送年度工作报告")
	if text := pageSays(t, anon, st.base, "/credit/abnormal"); strings.Contains(text, "围棋运动协会") {
		t.Error("the organisation that filed its report is on the 活动异常名录")
	}
	if n, err := credit.Escalate(bg, s.DB, deadline.Time().AddDate(2, 1, 0)); err != nil || n == 0 {
		t.Fatalf("moving the listed organisations two years on: %d %v", n, err)
	}
	pageSays(t, anon, st.base, "/credit/serious?q="+url.QueryEscape(chess), "沈阳市象棋协会", "列入活动异常名录满2年")
}
