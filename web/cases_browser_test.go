package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

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
// the work to do and accepts it with the button on the case page.
func TestBrowserApplicantSubmitsAndAcceptorAccepts(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to drive Chromium through the case pages")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("zhang.applicant", "org_applicant@*")
	st.user("sy.acceptor", "acceptor@2101*")

	// The 50 members, the sponsor and the six uploads are in a draft already, as if typed earlier.
	app := st.token("zhang.applicant")
	draft := preparationData(t, "", st.uploadAll(app, sgItem, prepSlots...))
	for _, k := range []string{"name", "domicile", "activity_area", "level", "funds", "legal_representative", "leaders"} {
		delete(draft, k)
	}
	if code := st.api("PUT", "/api/v1/drafts/"+sgItem, app, map[string]any{"data": draft}, nil); code != http.StatusNoContent {
		t.Fatalf("saving the draft: %d", code)
	}

	ctx := newBrowser(t, 90*time.Second)
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
}
