package web_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/stacktest"
)

// A citizen signs up with the code of the text message, books a marriage registration, changes the
// password on My account, logs out and logs in again with the new password.
func TestBrowserCitizenSignsUpBooksAndChangesPassword(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to drive Chromium through sign-up")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("signup.admin", "admin@21*")
	var office appointments.Office
	if code := st.api("POST", "/api/v1/offices", st.token("signup.admin"), officeBody("和平区婚姻登记处"), &office); code != http.StatusCreated {
		t.Fatalf("creating the office: %d", code)
	}
	ctx := newBrowser(t, 90*time.Second)
	submit := func(action, page string) {
		t.Helper()
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`main form[action="`+action+`"] button[type=submit]`)))
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("%s: %v %+v", page, err, resp)
		}
	}

	// From the login page to sign-up: the number, then the code from the text message.
	const phone = "13912345678"
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/login"), chromedp.WaitVisible(chromedp.CSS(`a[href="/signup"]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`a[href="/signup"]`)), chromedp.WaitVisible(chromedp.ID("phone")),
		chromedp.Click(chromedp.ID("kind-citizen")), chromedp.SendKeys(chromedp.ID("phone"), phone)); err != nil {
		t.Fatalf("sign-up page: %v", err)
	}
	submit("/signup", "asking for a code")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("code")),
		chromedp.SendKeys(chromedp.ID("code"), st.codeFor(phone)),
		chromedp.SendKeys(chromedp.ID("display_name"), "周伟"),
		chromedp.SendKeys(chromedp.ID("password"), "冬天的沈阳有很多很多雪"),
	); err != nil {
		t.Fatalf("confirm page: %v", err)
	}
	saveViewport(t, ctx, "signup-confirm")
	submit("/signup/confirm", "signing up")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`a[href="/account/security"]`))); err != nil {
		t.Fatalf("no account page after sign-up: %v", err)
	}

	// Book a marriage registration as the new citizen.
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/appointments"), chromedp.WaitVisible(chromedp.CSS(`.office-card`))); err != nil {
		t.Fatalf("opening /appointments: %v", err)
	}
	for _, s := range []struct{ click, then string }{
		{`.office-card a[href*="service=marriage"]`, `.day-picker`},
		{`.day-picker a`, `.slot-list`},
		{`.slot-list a.slot`, `#booker_name`},
	} {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(s.click)), chromedp.WaitVisible(chromedp.CSS(s.then))); err != nil {
			t.Fatalf("booking step %s: %v", s.click, err)
		}
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("booker_name"), "周伟"),
		chromedp.SendKeys(chromedp.ID("booker_id_number"), personID(t, "210102", "19900101", "001")),
		chromedp.SendKeys(chromedp.ID("partner_name"), "李娜"),
		chromedp.SendKeys(chromedp.ID("partner_id_number"), personID(t, "210102", "19920202", "002")),
		chromedp.SetValue(chromedp.ID("phone"), phone),
	); err != nil {
		t.Fatalf("filling in the booking form: %v", err)
	}
	submit("/appointments/book", "booking")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("booking-code"))); err != nil {
		t.Fatalf("no confirmation code after booking: %v", err)
	}

	// Change the password, log out, and log in with the new one.
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/account/security"), chromedp.WaitVisible(chromedp.ID("old_password")),
		chromedp.SendKeys(chromedp.ID("old_password"), "冬天的沈阳有很多很多雪"),
		chromedp.SendKeys(chromedp.ID("new_password"), "the sea at dalian in june")); err != nil {
		t.Fatalf("password page: %v", err)
	}
	submit("/account/password", "changing the password")
	saveViewport(t, ctx, "signup-password-changed")
	if resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/logout"] button`))); err != nil || resp.Status != http.StatusOK {
		t.Fatalf("logging out: %v %+v", err, resp)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/login"), chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), phone), chromedp.SendKeys(chromedp.ID("password"), "the sea at dalian in june")); err != nil {
		t.Fatal(err)
	}
	submit("/login", "logging in with the new password")
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/appointments/mine"), chromedp.WaitVisible(chromedp.CSS(`a[href^="/appointments/mine/"]`))); err != nil {
		t.Fatalf("the booking is not listed after logging in again: %v", err)
	}
	loggedIn, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('form[action="/logout"]')`))
	if err != nil || !loggedIn {
		t.Errorf("not logged in with the new password: %v", err)
	}
}
