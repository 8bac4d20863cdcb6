package web_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/civicflow/civicflow/stacktest"
)

// The tables of repeats that a supplement answer leaves as they are take the form's whole width: on
// a desktop far more than the inputs' column, on a phone the screen's, scrolling sideways inside
// their box while the page itself fits.
func TestBrowserLockedTablesUseTheWidth(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to measure the supplement answer's tables")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("wide.applicant", "org_applicant@*")
	st.user("wide.acceptor", "acceptor@2101*")
	c := st.startPreparation(st.token("wide.applicant"), "沈阳市青年书法协会")
	st.step(st.token("wide.acceptor"), c, "supplement_prep", "prep_supplement", map[string]any{"comment": "请补正名称。", "items": []string{"name"}})
	editURL := st.base + "/cases/" + strconv.FormatInt(c.ID, 10) + "/edit?action=resubmit_prep"

	ctx := newBrowser(t, 90*time.Second)
	loginInBrowser(t, ctx, st.base, "wide.applicant")
	measure := func() []int {
		t.Helper()
		widths, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[
			document.querySelector("#f-leaders .table-scroll").getBoundingClientRect().width,
			document.querySelector("main").clientWidth,
			document.querySelector("#f-name").getBoundingClientRect().width].map(Math.round)`))
		if err != nil || len(widths) != 3 {
			t.Fatalf("measuring the answer page: %v", err)
		}
		t.Logf("leaders' table %d px, main %d px, an input %d px", widths[0], widths[1], widths[2])
		return widths
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(editURL), chromedp.WaitVisible(chromedp.ID("f-leaders"))); err != nil {
		t.Fatal(err)
	}
	// main's width less its padding (1rem each side) is the column; the inputs keep to 36rem.
	if w := measure(); w[0] < w[1]-40 || w[0] <= w[2] {
		t.Errorf("on a desktop the leaders' table is %d px wide in a %d px column (an input %d px)", w[0], w[1], w[2])
	}
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.ID("f-leaders"))); err != nil {
		t.Fatal(err)
	}
	saveViewport(t, ctx, "supplement-locked-desktop")
	if err := chromedp.Do(ctx, chromedp.Emulate(device.IPhone12Pro), chromedp.Navigate(editURL), chromedp.WaitVisible(chromedp.ID("f-leaders"))); err != nil {
		t.Fatal(err)
	}
	if w := measure(); w[0] < w[1]-40 {
		t.Errorf("on a phone the leaders' table is %d px wide in a %d px column", w[0], w[1])
	}
	fitsPhone(t, ctx, "the supplement answer with locked tables")
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.ID("f-leaders"))); err != nil {
		t.Fatal(err)
	}
	saveViewport(t, ctx, "supplement-locked-phone")
}

// In the header the logout button's text sits on the line of the language switch's text; a refused login's
// error summary has the focus when the page opens, so that a screen reader announces it.
func TestBrowserHeaderAlignedAndErrorSummaryFocused(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to measure the header and the focus")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("head.citizen", "citizen")
	ctx := newBrowser(t, 60*time.Second)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(st.base+"/login"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "head.citizen"),
		chromedp.SendKeys(chromedp.ID("password"), "wrong"),
		chromedp.Click(chromedp.CSS(`main form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(".error-summary")),
	); err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement === document.querySelector(".error-summary")`))
	if err != nil || !focused {
		t.Errorf("the error summary does not have the focus (%v)", err)
	}

	loginInBrowser(t, ctx, st.base, "head.citizen")
	// The bottom of each item's text, measured on the text itself, not on its box.
	bottoms, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const textBottom = el => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect().bottom; };
		return [textBottom(document.querySelector('.header-tools .lang-switch button')), textBottom(document.querySelector('.header-tools form[action="/logout"] button'))];
	})()`))
	if err != nil || len(bottoms) != 2 {
		t.Fatalf("measuring the header: %v", err)
	}
	if d := bottoms[1] - bottoms[0]; d > 1 || d < -1 {
		t.Errorf("the logout button's text is %.1f px below the language switch's text", d)
	}
	saveViewport(t, ctx, "header-logged-in")
}
