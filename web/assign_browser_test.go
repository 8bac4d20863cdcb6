package web_test

import (
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicflow/civicflow/stacktest"
)

// An approver assigns a case in review to a reviewer on the case page; the reviewer then finds it
// in the inbox under "mine", opens it, writes an internal note, and is not warned (the case is theirs).
func TestBrowserReviewerFindsAssignedCaseUnderMine(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to drive Chromium through assignment")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("br.applicant", "org_applicant@*")
	st.user("br.acceptor", "acceptor@2101*")
	wang := st.user("br.wang", "reviewer@2101*")
	st.user("br.li", "reviewer@2101*")
	st.user("br.approver", "approver@2101*")
	app, acc := st.token("br.applicant"), st.token("br.acceptor")
	mine := st.startPreparation(app, "沈阳市浏览器承办促进会")
	mine = st.step(acc, mine, "accept_prep", "prep_review", nil)
	notMine := st.step(acc, st.startPreparation(app, "沈阳市浏览器另案促进会"), "accept_prep", "prep_review", nil)
	casePath := "/cases/" + strconv.FormatInt(mine.ID, 10)

	ctx := newBrowser(t, 120*time.Second)
	loginInBrowser(t, ctx, st.base, "br.approver")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(st.base+casePath),
		chromedp.WaitVisible(chromedp.ID("assign-assignee")),
		chromedp.SetValue(chromedp.ID("assign-assignee"), strconv.FormatInt(wang, 10)),
	); err != nil {
		t.Fatalf("opening the assignment form: %v", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="`+casePath+`/assignment"] button[type=submit]`)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("assigning: %v %+v", err, resp)
	}
	assignee, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("assignee")))
	if err != nil || !strings.Contains(assignee, "br.wang") {
		t.Fatalf("after assigning, the page names %q (%v)", assignee, err)
	}
	saveViewport(t, ctx, "assign-approver")

	// The reviewer, in a browser context of their own (no shared cookies).
	ctx, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	loginInBrowser(t, ctx, st.base, "br.wang")
	if err := chromedp.Do(ctx,
		chromedp.Navigate(st.base+"/inbox"),
		chromedp.WaitVisible(chromedp.ID("mine")),
		chromedp.Click(chromedp.ID("mine")),
	); err != nil {
		t.Fatalf("opening the inbox: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`))); err != nil {
		t.Fatalf("filtering the inbox: %v", err)
	}
	listed, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`[location.search,
		Array.from(document.querySelectorAll('main table a')).map(a => a.textContent)]`))
	if err != nil {
		t.Fatal(err)
	}
	numbers, _ := listed[1].([]any)
	if search, _ := listed[0].(string); !strings.Contains(search, "mine=1") || len(numbers) != 1 || numbers[0] != mine.Number {
		t.Fatalf("the inbox under mine: %v (want only %s, not %s)", listed, mine.Number, notMine.Number)
	}
	saveViewport(t, ctx, "assign-inbox-mine")
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`main table a`))); err != nil {
		t.Fatalf("opening the case from the inbox: %v", err)
	}
	const note = "已约申请人下周一来核对原件。"
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("note-body")),
		chromedp.SendKeys(chromedp.ID("note-body"), note),
	); err != nil {
		t.Fatalf("writing a note: %v", err)
	}
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="`+casePath+`/notes"] button[type=submit]`))); err != nil {
		t.Fatalf("adding the note: %v", err)
	}
	page, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`[document.querySelector('.notes') ? document.querySelector('.notes').textContent : "",
		document.querySelectorAll('.assign-warning').length]`))
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := page[0].(string); !strings.Contains(text, note) || !strings.Contains(text, "br.wang") || page[1] != float64(0) {
		t.Fatalf("the assignee's case page after the note: %v", page)
	}
	saveViewport(t, ctx, "assign-case-notes")
}
