package web_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicflow/civicflow/stacktest"
)

// A citizen signs in through the unified identity platform in a browser: the button on the login
// page, the platform's own login page, and back, logged in to a new account linked to the platform.
func TestBrowserSignInThroughTheIdentityPlatform(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to sign in through the identity platform in Chromium")
		return
	}
	idp := startIdP(t, idpUser{Subject: "sub-zheng", Username: "zheng", Password: "pw-zheng", Name: "郑红",
		Phone: "13700137000", IDNumber: "110101200001011232", IDVerified: true})
	st := ssoSite(t, stacktest.SQLite(t), idp)
	ctx := newBrowser(t, 60*time.Second)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(st.base+"/login?next=/cases"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login/sso"] button`)),
		chromedp.Click(chromedp.CSS(`form[action="/login/sso"] button`)),
		chromedp.WaitVisible(chromedp.ID("username")),
	); err != nil {
		t.Fatalf("from the login button to the platform's login page: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("username"), "zheng"),
		chromedp.SendKeys(chromedp.ID("password"), "pw-zheng"),
		chromedp.Click(chromedp.ID("idp-submit")),
		chromedp.WaitVisible(chromedp.CSS(`nav a[href="/account"]`)),
	); err != nil {
		t.Fatalf("signing in at the platform: %v", err)
	}
	where, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if where != st.base+"/cases" {
		t.Fatalf("after signing in the browser is at %s, want /cases", where)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(st.base+"/account"),
		chromedp.Click(chromedp.CSS(`a[href="/account/sso"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/account/sso/unlink"]`)),
	); err != nil {
		t.Fatalf("the account's link page: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "本账户已关联") && !strings.Contains(text, "This account is linked") {
		t.Errorf("the link page reads %q", text)
	}
	saveScreenshot(t, ctx, "sso-linked-account")
}
