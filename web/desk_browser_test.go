package web_test

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/civicflow/civicflow/stacktest"
)

// A reviewer finds a finished case by part of its organisation's name: from the navigation to the
// desk, the search form, the row that names the organisation, the jurisdiction and the state, and the
// case itself, on a phone.
func TestBrowserReviewerFindsFinishedCaseByOrganisation(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to search the desk in Chromium")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("desk.applicant", "org_applicant@*")
	st.user("sy.acceptor", "acceptor@2101*")
	st.user("sy.reviewer", "reviewer@2101*")
	app, acc := st.token("desk.applicant"), st.token("sy.acceptor")
	finished := st.step(acc, st.startPreparation(app, "沈阳市老年围棋协会"), "reject", "refused",
		map[string]any{"fields": map[string]any{"reason": "发起人不足五十名。"}})
	st.startPreparation(app, "沈阳市青年书法协会") // open, and not a 围棋 one

	ctx := newBrowser(t, 60*time.Second)
	if err := chromedp.Do(ctx, chromedp.Emulate(device.IPhone12Pro)); err != nil {
		t.Fatal(err)
	}
	loginInBrowser(t, ctx, st.base, "sy.reviewer")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`nav a[href="/desk"]`)),
		chromedp.WaitVisible(chromedp.ID("f-name")),
		chromedp.SendKeys(chromedp.ID("f-name"), "围棋"),
	); err != nil {
		t.Fatalf("opening the desk: %v", err)
	}
	// The desk lists the newest cases before any search: wait for the answer to this one.
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`main form[action="/desk"] button[type=submit]`)))
	if err != nil || resp.Status != http.StatusOK || !strings.Contains(resp.URL, "name=") {
		t.Fatalf("searching the desk: %v %+v", err, resp)
	}
	fitsPhone(t, ctx, "/desk?name=围棋")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main tbody tr")).map(r => r.innerText)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("the search for 围棋 lists %d rows: %q", len(rows), rows)
	}
	for _, want := range []string{finished.Number, "沈阳市老年围棋协会", "沈阳市", "不予受理"} {
		if !strings.Contains(rows[0], want) {
			t.Errorf("the row does not say %q: %q", want, rows[0])
		}
	}
	saveScreenshot(t, ctx, "desk-search")
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`main tbody a[href^="/cases/"]`)),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	); err != nil {
		t.Fatalf("opening the case found: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if err != nil || !strings.Contains(title, finished.Number) {
		t.Errorf("the case page's title: %q %v", title, err)
	}
}
