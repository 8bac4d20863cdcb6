package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
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
	"github.com/chromedp/chromedp/device"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/stacktest"
)

// saveViewport writes a PNG of what the screen shows now to the test's temporary directory, and to
// $CIVICFLOW_TEST_SCREENSHOTS when that is set. Long pages (the 筹备 form has 50 members) are better
// looked at a screen at a time than as one very tall image.
func saveViewport(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil || len(png) == 0 {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dirs := []string{t.TempDir()}
	if d := os.Getenv("CIVICFLOW_TEST_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loginInBrowser logs in through the login form of the tab and fails the test unless that works.
func loginInBrowser(t *testing.T, ctx context.Context, base, login string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), login),
		chromedp.SendKeys(chromedp.ID("password"), login+"-password"),
	); err != nil {
		t.Fatalf("opening the login page as %s: %v", login, err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`main form[action="/login"] button[type=submit]`)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("logging in as %s: %v %+v", login, err, resp)
	}
}

// An applicant fills in the 筹备 form on a phone and submits it; the acceptor finds the case among
// the work to do and accepts it with the button on the case page; then the case goes through review,
// approval, the 成立登记 application and its decision on the pages of each person, and what the
// decision produces reaches people (see registrationReachesPeople).
func TestBrowserApplicantSubmitsAndAcceptorAccepts(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to drive Chromium through the case pages")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("zhang.applicant", "org_applicant@*")
	st.user("sy.acceptor", "acceptor@2101*")
	st.user("sy.reviewer", "reviewer@2101*")
	st.user("sy.approver", "approver@2101*")

	// The 50 members, the sponsor and the six uploads are in a draft already, as if typed earlier.
	app := st.token("zhang.applicant")
	draft := preparationData(t, "", st.uploadAll(app, sgItem, prepSlots...))
	for _, k := range []string{"name", "domicile", "activity_area", "level", "funds", "legal_representative", "leaders"} {
		delete(draft, k)
	}
	if code := st.api("PUT", "/api/v1/drafts/"+sgItem, app, map[string]any{"data": draft}, nil); code != http.StatusNoContent {
		t.Fatalf("saving the draft: %d", code)
	}

	ctx := newBrowser(t, 180*time.Second)
	if err := chromedp.Do(ctx, chromedp.Emulate(device.IPhone12Pro)); err != nil {
		t.Fatal(err)
	}
	loginInBrowser(t, ctx, st.base, "zhang.applicant")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(st.base+"/catalog/"+sgItem+"/apply"),
		chromedp.WaitVisible(chromedp.ID("f-name")),
	); err != nil {
		t.Fatalf("opening the application form: %v", err)
	}
	fitsPhone(t, ctx, "the application form")
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`[
		document.getElementById("f-individual_members-49-name").value,
		document.getElementById("f-sponsor_unit").value,
		document.querySelectorAll('input[type=checkbox][name="draft_articles"]:checked').length]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != 3 || loaded[0] != "会员50" || loaded[1] != "沈阳市科学技术局" || loaded[2] != float64(1) {
		t.Fatalf("the form does not show the draft: %v", loaded)
	}
	saveViewport(t, ctx, "apply-phone-top")

	id := func(n int) string { return residentID(t, n) }
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("jurisdiction"), "210100"),
		chromedp.SendKeys(chromedp.ID("f-name"), "沈阳市青年创业促进会"),
		chromedp.SendKeys(chromedp.ID("f-domicile"), "沈阳市和平区南京北街1号"),
		chromedp.SetValue(chromedp.ID("f-activity_area"), "city"),
		chromedp.SetValue(chromedp.ID("f-level"), "city"),
		chromedp.SendKeys(chromedp.ID("f-funds"), "50000"),
		chromedp.SendKeys(chromedp.ID("f-legal_representative-name"), "张伟"),
		chromedp.SendKeys(chromedp.ID("f-legal_representative-id_number"), id(901)),
		chromedp.SendKeys(chromedp.ID("f-legal_representative-phone"), "13912345678"),
		chromedp.SendKeys(chromedp.ID("f-leaders-0-name"), "张伟"),
		chromedp.SendKeys(chromedp.ID("f-leaders-0-id_number"), id(901)),
		chromedp.SendKeys(chromedp.ID("f-leaders-0-position"), "会长"),
	); err != nil {
		t.Fatalf("filling in the form: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.ID("f-leaders-0-position"))); err != nil {
		t.Fatal(err)
	}
	saveViewport(t, ctx, "apply-phone-leaders")
	submit := chromedp.CSS(`form.application button[name=intent][value=submit]`)
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(submit)); err != nil {
		t.Fatal(err)
	}
	saveViewport(t, ctx, "apply-phone-submit")
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(submit))
	if err != nil {
		t.Fatalf("submitting: %v", err)
	}
	if resp.Status != http.StatusOK || !regexp.MustCompile(`/cases/\d+\?started=1$`).MatchString(resp.URL) {
		summary, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".error-summary") || {innerText: ""}).innerText`))
		saveViewport(t, ctx, "apply-phone-refused")
		t.Fatalf("after submitting: HTTP %d at %s; errors: %s", resp.Status, resp.URL, summary)
	}
	casePath := regexp.MustCompile(`/cases/\d+`).FindString(resp.URL)
	page, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[
		document.querySelector("main h1").innerText,
		document.querySelector(".status-line .state").innerText,
		(document.querySelector('.notice[role=status]') || {innerText: ""}).innerText]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 || !regexp.MustCompile(`210100-\d{4}-000001`).MatchString(page[0]) || page[1] != "筹备申请受理" || !strings.Contains(page[2], "申请已提交") {
		t.Errorf("the applicant's case page reads %q", page)
	}
	fitsPhone(t, ctx, "the applicant's case page")
	saveViewport(t, ctx, "case-phone-started")

	// The acceptor, in a browser context of their own (no shared cookies), on a desktop screen.
	actx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(actx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	loginInBrowser(t, actx, st.base, "sy.acceptor")
	if err := chromedp.Do(actx,
		chromedp.Navigate(st.base+"/inbox"),
		chromedp.WaitVisible(chromedp.CSS(`table.responsive a[href="`+casePath+`"]`)),
	); err != nil {
		t.Fatalf("the case is not in the acceptor's 待办件: %v", err)
	}
	row, err := chromedp.Run(actx, chromedp.Text(chromedp.CSS(`table.responsive tbody tr`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row, "社会团体成立登记") || !strings.Contains(row, "筹备申请受理") {
		t.Errorf("the inbox row reads %q", row)
	}
	saveViewport(t, actx, "inbox-acceptor")
	resp, err = chromedp.RunResponse(actx, chromedp.Click(chromedp.CSS(`table.responsive a[href="`+casePath+`"]`)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("opening the case from the inbox: %v %+v", err, resp)
	}
	buttons, err := chromedp.Run(actx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".actions-panel form button[type=submit]")).map(b => b.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(buttons, ",") != "受理,一次性告知补正,不予受理" {
		t.Errorf("the acceptor's buttons: %q", buttons)
	}
	saveViewport(t, actx, "case-acceptor-before")
	resp, err = chromedp.RunResponse(actx, chromedp.Click(chromedp.CSS(`form[action="`+casePath+`/actions/accept_prep"] button[type=submit]`)))
	if err != nil || resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, casePath) {
		t.Fatalf("accepting: %v %+v", err, resp)
	}
	after, err := chromedp.Run(actx, chromedp.Evaluate[[]string](`[
		document.querySelector(".status-line .state").innerText,
		...Array.from(document.querySelectorAll("ol.timeline li")).map(li => li.innerText.replace(/\s+/g, " "))]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != 3 || after[0] != "筹备审查" || !strings.Contains(after[2], "受理 → 筹备审查") || !strings.Contains(after[2], "sy.acceptor") {
		t.Errorf("after accepting, the state and timeline read %q", after)
	}
	if n, err := chromedp.Run(actx, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/actions/accept_prep"]').length`)); err != nil || n != 0 {
		t.Errorf("the accept button is still offered (%d, %v)", n, err)
	}
	saveViewport(t, actx, "case-acceptor-accepted")
	saveScreenshot(t, actx, "case-acceptor-accepted-full")

	// Review and decision, each by its own person in a browser context of their own.
	staff := func(login string) context.Context {
		c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		loginInBrowser(t, c, st.base, login)
		return c
	}
	rctx, pctx := staff("sy.reviewer"), staff("sy.approver")
	takeAction(t, rctx, st.base, casePath, "propose_prep", map[string]string{"opinion": "材料齐全，符合条件，建议准予筹备。"}, "筹备决定")
	// The approver leaves the number of the approval to the system.
	takeAction(t, pctx, st.base, casePath, "approve_preparation", nil, "筹备中（待提交成立登记申请）")
	year := strconv.Itoa(time.Now().In(calendar.Zone).Year())
	if docs, err := chromedp.Run(pctx, chromedp.Text(chromedp.CSS("ul.documents"))); err != nil || !strings.Contains(docs, "沈民社筹〔"+year+"〕1号") {
		t.Errorf("the approval is not numbered by the system: %q (%v)", docs, err)
	}

	// The applicant fills in the 成立登记 application on the phone, with its four uploads.
	scan := filepath.Join(t.TempDir(), "成立大会纪要.pdf")
	if err := os.WriteFile(scan, []byte("%PDF-1.4\n% minutes\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+casePath+"/edit?action=submit_establishment"), chromedp.WaitVisible(chromedp.ID("f-assembly_date"))); err != nil {
		t.Fatalf("opening the 成立登记 form: %v", err)
	}
	fitsPhone(t, ctx, "the 成立登记 form")
	assembly := time.Now().In(calendar.Zone).AddDate(0, 0, -3).Format(time.DateOnly)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`document.getElementById("f-assembly_date").value = "`+assembly+`"`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("f-members_present"), "46"),
		chromedp.Click(chromedp.ID("f-articles_adopted")),
		chromedp.SendKeys(chromedp.ID("f-legal_representative-name"), "张伟"),
		chromedp.SendKeys(chromedp.ID("f-legal_representative-id_number"), id(901)),
		chromedp.SendKeys(chromedp.ID("f-legal_representative-phone"), "13912345678"),
		chromedp.SendKeys(chromedp.ID("f-leaders-0-name"), "张伟"),
		chromedp.SendKeys(chromedp.ID("f-leaders-0-id_number"), id(901)),
		chromedp.SendKeys(chromedp.ID("f-leaders-0-position"), "会长"),
		chromedp.Click(chromedp.ID("f-leaders_confirmed")),
		chromedp.SetUploadFiles(chromedp.ID("f-registration_form"), []string{scan}),
		chromedp.SetUploadFiles(chromedp.ID("f-assembly_minutes"), []string{scan}),
		chromedp.SetUploadFiles(chromedp.ID("f-articles"), []string{scan}),
		chromedp.SetUploadFiles(chromedp.ID("f-leaders_list"), []string{scan}),
	); err != nil {
		t.Fatalf("filling in the 成立登记 form: %v", err)
	}
	submit = chromedp.CSS(`form.application button[value=submit]`)
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(submit)); err != nil {
		t.Fatal(err)
	}
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(submit))
	if err != nil || resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, casePath) {
		summary, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".error-summary") || {innerText: ""}).innerText`))
		saveViewport(t, ctx, "establishment-refused")
		t.Fatalf("submitting the 成立登记 application: %v %+v; errors: %s", err, resp, summary)
	}
	takeAction(t, actx, st.base, casePath, "accept_est", nil, "成立登记审查")
	takeAction(t, rctx, st.base, casePath, "propose_est", map[string]string{"opinion": "会议程序合法，建议准予登记。"}, "成立登记决定")
	takeAction(t, pctx, st.base, casePath, "approve_establishment", map[string]string{"decision_number": "沈民社登〔2026〕1号"}, "准予成立登记")
	registrationReachesPeople(t, ctx, st, casePath)

	// A refusal: the approver refuses another group's preparation on the case page with the reason;
	// the applicant downloads the 不予批准决定书, which states the reason and the remedies.
	other := st.startPreparation(app, "沈阳市不予批准测试促进会")
	other = st.step(st.token("sy.acceptor"), other, "accept_prep", "prep_review", nil)
	other = st.step(st.token("sy.reviewer"), other, "propose_prep", "prep_decision", map[string]any{"fields": map[string]any{"opinion": "不符合条件。"}})
	otherPath := "/cases/" + strconv.FormatInt(other.ID, 10)
	const reason = "同一行政区域内已有业务范围相同的社会团体。"
	takeAction(t, pctx, st.base, otherPath, "refuse", map[string]string{"reason": reason}, "不予受理或不予批准")
	text := pdfText(downloadDocument(t, ctx, st.base+otherPath, "不予批准决定书"))
	for _, says := range []string{"不予行政许可决定书", "沈阳市不予批准测试促进会", reason, "六十日内向沈阳市人民政府申请行政复议",
		"六个月内向沈阳市和平区人民法院提起行政诉讼"} {
		if !pdfSays(text, says) {
			t.Errorf("the decision refusing the application does not say %s", says)
		}
	}
}

// takeAction opens the case page in ctx, fills in the fields of action's form (by field name), sends
// it and fails the test unless the case page then shows the state want.
func takeAction(t *testing.T, ctx context.Context, base, casePath, action string, fields map[string]string, want string) {
	t.Helper()
	form := `form[action="` + casePath + `/actions/` + action + `"]`
	if err := chromedp.Do(ctx, chromedp.Navigate(base+casePath), chromedp.WaitVisible(chromedp.CSS(form))); err != nil {
		t.Fatalf("%s is not offered on the case page: %v", action, err)
	}
	for name, value := range fields {
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(form+` [name="`+name+`"]`), value)); err != nil {
			t.Fatalf("%s: filling in %s: %v", action, name, err)
		}
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(form+` button[type=submit]`)))
	if err != nil || resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, casePath) {
		errs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll(".field-error, .error-summary")).map(e => e.innerText).join("; ")`))
		t.Fatalf("%s: %v %+v; errors: %s", action, err, resp, errs)
	}
	state, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".status-line .state")))
	if err != nil || state != want {
		t.Fatalf("after %s the case is at %q (%v), want %q", action, state, err, want)
	}
}

// registrationReachesPeople follows what the registration produced, as the applicant on the phone in
// ctx and as anyone: the certificate the applicant downloads, the verification page its QR code opens,
// the register that finds the group by two characters of its name, and the 成立公告 and 双公示 entry
// public and in their feeds.
func registrationReachesPeople(t *testing.T, ctx context.Context, st *site, casePath string) {
	t.Helper()
	pdf := downloadDocument(t, ctx, st.base+casePath, "登记证书")
	text := pdfText(pdf)
	for _, says := range []string{"社会团体法人登记证书", "沈阳市青年创业促进会", "张伟", "沈阳市民政局"} {
		if !pdfSays(text, says) {
			t.Errorf("the certificate does not say %s", says)
		}
	}
	// The QR code and the link under it carry the same address: the verification page at the
	// installation's public address, here served by the test's site.
	verify := regexp.MustCompile(`/URI \((https?://[^)]+/verify/([0-9A-Z-]+))\)`).FindSubmatch(pdf)
	if verify == nil {
		t.Fatal("the certificate links to no verification page")
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/verify/"+string(verify[2])), chromedp.WaitVisible(chromedp.CSS(".verify-status"))); err != nil {
		t.Fatalf("opening %s: %v", verify[1], err)
	}
	fitsPhone(t, ctx, "the verification page")
	page, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.querySelector(".verify-status").innerText, document.querySelector("dl.summary").innerText]`))
	if err != nil || !strings.HasPrefix(page[0], "有效") || !strings.Contains(page[1], "签名有效") || !strings.Contains(page[1], "沈阳市青年创业促进会") {
		t.Errorf("the verification page reads %q (%v)", page, err)
	}
	saveViewport(t, ctx, "verify-valid")

	// Anyone finds the group in the register by two characters of its name, at once.
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/register?q="+url.QueryEscape("创业")),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="/register/51210100"]`))); err != nil {
		t.Fatalf("the register does not find the group by 创业: %v", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`a[href^="/register/51210100"]`)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("opening the group's register page: %v %+v", err, resp)
	}
	org, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.querySelector("main").innerText,
		String(document.querySelectorAll('main a[href$="/verify/`+string(verify[2])+`"]').length)]`))
	if err != nil || !strings.Contains(org[0], "沈阳市青年创业促进会") || !strings.Contains(org[0], "社会团体法人登记证书") || org[1] != "1" {
		t.Errorf("the group's register page reads %q and links to the certificate's verification %s times (%v)", org[0], org[1], err)
	}
	saveViewport(t, ctx, "register-organisation")

	// The 成立公告 and the 双公示 entry are public, on the notices page and in the feeds.
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/notices"), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	list, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText`))
	if err != nil || !strings.Contains(list, "沈阳市青年创业促进会成立登记公告") || !strings.Contains(list, "行政许可") {
		t.Errorf("the notices page reads %q (%v)", list, err)
	}
	saveViewport(t, ctx, "notices")
	for _, feed := range []string{"organisations", "licensing"} {
		resp, err := http.Get(st.base + "/notices/feed/" + feed + ".atom")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "沈阳市青年创业促进会") {
			t.Errorf("the %s feed does not have the group: %d %s", feed, resp.StatusCode, body)
		}
	}
}

// downloadDocument opens the case page at casePath in ctx, finds the document whose name contains
// kind and downloads it as the logged-in person of ctx does, returning the PDF.
func downloadDocument(t *testing.T, ctx context.Context, casePath, kind string) []byte {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(casePath), chromedp.WaitVisible(chromedp.CSS("ul.documents"))); err != nil {
		t.Fatalf("the case page lists no documents: %v", err)
	}
	saveViewport(t, ctx, "case-documents")
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(Array.from(document.querySelectorAll("ul.documents li")).
		find(li => li.innerText.includes(`+strconv.Quote(kind)+`) && li.querySelector("a[href^='/documents/']")) || {querySelector: () => ({getAttribute: () => ""})}).
		querySelector("a[href^='/documents/']").getAttribute("href")`))
	if err != nil || link == "" {
		t.Fatalf("the case page offers no %s to download (%v)", kind, err)
	}
	encoded, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+strconv.Quote(link)+`, {credentials: "same-origin"}).
		then(r => r.ok ? r.arrayBuffer() : Promise.reject(new Error("HTTP " + r.status))).
		then(b => { let s = ""; const u = new Uint8Array(b); for (let i = 0; i < u.length; i += 8192) { s += String.fromCharCode(...u.subarray(i, i + 8192)); } return btoa(s); })`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("downloading %s: %v", link, err)
	}
	pdf, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("%s is no PDF (%v): %.40q", link, err, pdf)
	}
	return pdf
}
