package web_test

import (
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/civicflow/civicflow/stacktest"
)

// On a phone the service hall fits the screen, with the search box above the entrances, and the
// progress lookup's form answers from the home page.
func TestBrowserServiceHallOnAPhone(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to look at the home page on a phone")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	ctx := newBrowser(t, 60*time.Second)
	if err := chromedp.Do(ctx, chromedp.Emulate(device.IPhone12Pro), chromedp.Navigate(st.base+"/"), chromedp.WaitVisible(chromedp.ID("site-q"))); err != nil {
		t.Fatal(err)
	}
	fitsPhone(t, ctx, "the home page")
	order, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[
		document.querySelector("#site-q").getBoundingClientRect().top,
		document.querySelector("#entrance-organisations").getBoundingClientRect().top,
		document.querySelector("#entrance-citizens").getBoundingClientRect().top].map(Math.round)`))
	if err != nil || len(order) != 3 || order[0] >= order[1] || order[1] >= order[2] {
		t.Errorf("search box, 法人办事 and 个人办事 from the top: %v %v", order, err)
	}
	saveViewport(t, ctx, "home-phone")
	if err := chromedp.Do(ctx, chromedp.SendKeys("#f-number", "210100-2026-000001"), chromedp.SendKeys("#f-code", "abcdef"),
		chromedp.Submit("#f-code"), chromedp.WaitVisible(chromedp.CSS(".error-summary"))); err != nil {
		t.Fatal(err)
	}
	fitsPhone(t, ctx, "a progress lookup that found nothing")
}
