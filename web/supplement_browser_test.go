package web_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/civicflow/civicflow/stacktest"
)

// An applicant answers a 补正 notice on a phone as a person would: reads the notice on the case page,
// opens the answer, finds only the listed items open, corrects a member's ID number, replaces the
// unclear file and submits the corrections; the case is back at acceptance with the new file only.
func TestBrowserApplicantAnswersASupplementNotice(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to drive Chromium through the supplement answer")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("zhang.applicant", "org_applicant@*")
	st.user("sy.acceptor", "acceptor@2101*")
	app := st.token("zhang.applicant")
	c := st.startPreparation(app, "沈阳市青年创业促进会")
	oldArticles := fmt.Sprint(st.getCase(app, c.ID).Case.Data["sg_preparation"].(map[string]any)["draft_articles"])
	const notice = "第2位个人会员的身份证号码有误；章程草案扫描不清，请重新上传。"
	c = st.step(st.token("sy.acceptor"), c, "supplement_prep", "prep_supplement", map[string]any{"comment": notice,
		"items": []string{"individual_members[1].id_number", "draft_articles"}})
	casePath := "/cases/" + strconv.FormatInt(c.ID, 10)
	clear := filepath.Join(t.TempDir(), "章程草案-清晰版.pdf")
	if err := os.WriteFile(clear, []byte("%PDF-1.4\n% the clear scan\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t, 90*time.Second)
	if err := chromedp.Do(ctx, chromedp.Emulate(device.IPhone12Pro)); err != nil {
		t.Fatal(err)
	}
	loginInBrowser(t, ctx, st.base, "zhang.applicant")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(st.base+casePath),
		chromedp.WaitVisible(chromedp.CSS(`.notice.supplement`)),
	); err != nil {
		t.Fatalf("opening the case: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".notice.supplement").innerText`))
	if err != nil || !strings.Contains(text, notice) || !strings.Contains(text, "个人会员 第2行 居民身份证号码") || !strings.Contains(text, "章程草案（筹备阶段）") {
		t.Errorf("the case page's notice reads %q (%v)", text, err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`.actions-panel a.button[href$="/edit?action=resubmit_prep"]`)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("opening the answer: %v %+v", err, resp)
	}
	fitsPhone(t, ctx, "the supplement answer page")
	page, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[
		Array.from(document.querySelectorAll("form.application input:not([type=hidden]), form.application select, form.application textarea")).map(e => e.name).join(","),
		document.querySelector(".notice.supplement").innerText,
		document.querySelector("form.application button[value=submit]").innerText,
		document.querySelector("form.application").innerText]`))
	if err != nil {
		t.Fatal(err)
	}
	if page[0] != "individual_members[1].id_number,upload:draft_articles" {
		t.Errorf("the answer page lets the applicant change %s", page[0])
	}
	if !strings.Contains(page[1], notice) || page[2] != "提交补正" {
		t.Errorf("the answer page's notice reads %q and its button %q", page[1], page[2])
	}
	for _, shown := range []string{"沈阳市和平区南京北街1号", "50000 元", "会员02", "上传新文件将替换上面的文件。"} {
		if !strings.Contains(page[3], shown) {
			t.Errorf("the answer page does not show %s", shown)
		}
	}
	saveViewport(t, ctx, "supplement-answer-top")

	idInput := chromedp.ID("f-individual_members-1-id_number")
	if err := chromedp.Do(ctx,
		chromedp.ScrollIntoView(idInput),
		chromedp.Clear(idInput),
		chromedp.SendKeys(idInput, residentID(t, 777)),
		chromedp.SetUploadFiles(chromedp.ID("f-draft_articles"), []string{clear}),
	); err != nil {
		t.Fatalf("correcting: %v", err)
	}
	saveViewport(t, ctx, "supplement-answer-corrected")
	submit := chromedp.CSS(`form.application button[value=submit]`)
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(submit)); err != nil {
		t.Fatal(err)
	}
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(submit))
	if err != nil || resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, casePath) {
		summary, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".error-summary") || {innerText: ""}).innerText`))
		t.Fatalf("submitting the corrections: %v %+v; errors: %s", err, resp, summary)
	}
	after, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[
		document.querySelector(".status-line .state").innerText,
		document.querySelector("ol.timeline > li:last-child").innerText.replace(/\s+/g, " "),
		document.body.innerText]`))
	if err != nil {
		t.Fatal(err)
	}
	if after[0] != "筹备申请受理" || !strings.Contains(after[1], "已修改 个人会员 第2行 居民身份证号码") || !strings.Contains(after[2], "章程草案-清晰版.pdf") {
		t.Errorf("after the answer the case page reads %q, its last event %q", after[0], after[1])
	}
	saveViewport(t, ctx, "supplement-answered")
	data := st.getCase(app, c.ID).Case.Data["sg_preparation"].(map[string]any)
	if articles := data["draft_articles"].([]any); len(articles) != 1 || fmt.Sprint(articles) == oldArticles {
		t.Errorf("the draft articles after the answer: %v (before %s)", articles, oldArticles)
	}
}
