package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/stacktest"
)

// The done-when of 依申请公开 in Chromium: a person files a request for government information on the
// application page; the disclosure office asks for a correction in one notice, which the person answers
// on the page; the head of the office extends the reply period; the officer answers with the
// information attached; the person downloads the reply letter (答复书) and the information from the
// case page, and the annual report's record says 予以公开.
func TestBrowserDisclosureRequest(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to file a request for government information in Chromium")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("db.citizen", "citizen")
	st.user("db.officer", "disclosure_officer@2101*")
	st.user("db.head", "disclosure_head@2101*")
	scan := filepath.Join(t.TempDir(), "汇总表.pdf")
	if err := os.WriteFile(scan, tinyPDF, 0o644); err != nil {
		t.Fatal(err)
	}

	ctx := newBrowser(t, 180*time.Second)
	person := func(login string) context.Context {
		c, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		if err := chromedp.Do(c, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		loginInBrowser(t, c, st.base, login)
		return c
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	loginInBrowser(t, ctx, st.base, "db.citizen") // starts the browser, whose other contexts the staff use
	citizen, officer, head := ctx, person("db.officer"), person("db.head")

	// 1. The request, on the application page the guide links to.
	openFrom(t, citizen, st.base, "/catalog/"+drItem, "/catalog/"+drItem+"/apply")
	fillIn(t, citizen, map[string]string{"jurisdiction": "210100", "f-applicant_type": "natural", "f-name": "王晓明",
		"f-id_number": residentID(t, 31), "f-mobile": "13912345678", "f-address": "沈阳市和平区南京北街1号 110001",
		"f-description": "社会团体年检结果。", "f-delivery_form": "electronic", "f-delivery_method": "online"}, "")
	casePath := submitApplication(t, citizen, "the request for government information")

	// 2. The office asks, in one notice, for a clearer description.
	supplement := `form[action="` + casePath + `/actions/request_supplement"]`
	if err := chromedp.Do(officer, chromedp.Navigate(st.base+casePath), chromedp.WaitVisible(chromedp.CSS(supplement)),
		chromedp.Click(chromedp.CSS(supplement+` input[name=items][value=description]`)),
		chromedp.SendKeys(chromedp.CSS(supplement+` textarea[name=comment]`), "请写明所需信息的年度和范围。")); err != nil {
		t.Fatalf("the 补正 form: %v", err)
	}
	if resp, err := chromedp.RunResponse(officer, chromedp.Click(chromedp.CSS(supplement+` button[type=submit]`))); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("sending the 补正 notice: %v %+v", err, resp)
	}
	pageSays(t, officer, st.base, casePath, "待补正", "补正申请告知书")

	// 3. The person corrects the description on the answer page.
	openFrom(t, citizen, st.base, casePath, casePath+"/edit?action=resubmit")
	description := chromedp.ID("f-description")
	if err := chromedp.Do(citizen, chromedp.Clear(description), chromedp.SendKeys(description, "2025年度沈阳市市级社会团体年检结果汇总表。")); err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(citizen, chromedp.Click(chromedp.CSS(`form.application button[value=submit]`)))
	if err != nil || resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, casePath) {
		t.Fatalf("answering the 补正 notice: %v %+v", err, resp)
	}
	pageSays(t, citizen, st.base, casePath, "已收到申请")
	var caseID int64
	if err := st.stack.DB.NewSelect().TableExpr("cases").Column("id").Where("number = ?", strings.TrimSpace(numberOn(t, citizen))).
		Scan(context.Background(), &caseID); err != nil {
		t.Fatal(err)
	}
	restarted := drClock(t, st, caseID)
	if restarted.StatutoryDue != drDue(t, st, calendar.DateOf(st.clock.Now()), 20) {
		t.Errorf("the reply period after the correction: %+v", restarted)
	}

	// 4. Registered; the head of the office extends the reply by 20 working days.
	takeAction(t, officer, st.base, casePath, "register", nil, "办理中")
	takeAction(t, head, st.base, casePath, "extend", map[string]string{"days": "20", "reason": "需要汇总多个处室的信息。"}, "办理中")
	due, _ := calendar.ParseDate(restarted.StatutoryDue)
	if k := drClock(t, st, caseID); k.ExtendedDays != 20 || k.StatutoryDue != drDue(t, st, due, 20) {
		t.Errorf("the reply period after the extension: %+v", k)
	}
	pageSays(t, citizen, st.base, casePath, "延期答复告知书")

	// 5. The reply, with the information attached on the case page.
	reply := `form[action="` + casePath + `/actions/reply"]`
	if err := chromedp.Do(officer, chromedp.Navigate(st.base+casePath), chromedp.WaitVisible(chromedp.CSS(reply)),
		chromedp.SetValue(chromedp.CSS(reply+` select[name=outcome]`), "disclosed"),
		chromedp.SendKeys(chromedp.CSS(reply+` textarea[name=reply_text]`), "现将汇总表提供给你，见附件。"),
		chromedp.SetUploadFiles(chromedp.CSS(reply+` input[type=file]`), []string{scan})); err != nil {
		t.Fatalf("the reply form: %v", err)
	}
	resp, err = chromedp.RunResponse(officer, chromedp.Click(chromedp.CSS(reply+` button[type=submit]`)))
	if err != nil || resp.Status != http.StatusOK || !strings.HasSuffix(resp.URL, casePath) {
		errs, _ := chromedp.Run(officer, chromedp.Evaluate[string](`Array.from(document.querySelectorAll(".field-error, .error-summary")).map(e => e.innerText).join("; ")`))
		t.Fatalf("replying: %v %+v; errors: %s", err, resp, errs)
	}

	// 6. The person reads the letter and downloads the information.
	text := pageSays(t, citizen, st.base, casePath, "已答复（予以公开）", "政府信息公开申请答复书", "汇总表.pdf")
	_ = text
	pdf := pdfText(downloadDocument(t, citizen, st.base+casePath, "答复书"))
	for _, says := range []string{"政府信息公开申请答复书", "王晓明", "予以公开", "行政复议"} {
		if !pdfSays(pdf, says) {
			t.Errorf("the reply letter does not say %s", says)
		}
	}
	status, err := chromedp.Run(citizen, chromedp.Evaluate[int](`fetch(document.querySelector("a[href^='/materials/']").getAttribute("href"),
		{credentials: "same-origin"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusOK {
		t.Errorf("downloading the information: %d %v", status, err)
	}
	if r := drRow(t, st, caseID); r.Outcome != "disclosed" || r.ClosedOn == nil {
		t.Errorf("the record of the request: %+v", r)
	}
	if r := drRow(t, st, caseID); r.Channel != "online" || r.ApplicantType != disclosure.ApplicantTypes[0] {
		t.Errorf("the record of the request: %+v", r)
	}
}

// numberOn reads the case number of the case page open in ctx.
func numberOn(t *testing.T, ctx context.Context) string {
	t.Helper()
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Fields(h1)
	return fields[len(fields)-1]
}
