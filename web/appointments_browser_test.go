package web_test

import (
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/stacktest"
)

// A citizen books a marriage registration on a phone: office, day, time, the two people, and the
// confirmation code, on pages that never need sideways scrolling.
func TestBrowserCitizenBooksOnAPhone(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to drive Chromium through the booking pages")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("phone.admin", "admin@21*")
	st.user("phone.citizen", "citizen")
	var office appointments.Office
	if code := st.api("POST", "/api/v1/offices", st.token("phone.admin"), officeBody("和平区婚姻登记处"), &office); code != http.StatusCreated {
		t.Fatalf("creating the office: %d", code)
	}
	ctx := newBrowser(t, 90*time.Second)
	if err := chromedp.Do(ctx, chromedp.Emulate(device.IPhone12Pro)); err != nil { // 390×844
		t.Fatal(err)
	}
	loginInBrowser(t, ctx, st.base, "phone.citizen")

	// Choose the office and the service, a day and a time.
	if err := chromedp.Do(ctx, chromedp.Navigate(st.base+"/appointments"), chromedp.WaitVisible(chromedp.CSS(`.office-card`))); err != nil {
		t.Fatalf("opening /appointments: %v", err)
	}
	fitsPhone(t, ctx, "/appointments")
	steps := []struct{ click, then, page string }{
		{`.office-card a[href*="service=marriage"]`, `.day-picker`, "the office's days"},
		{`.day-picker a`, `.slot-list`, "the day's times"},
		{`.slot-list a.slot`, `#booker_name`, "the booking form"},
	}
	for _, s := range steps {
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(s.click)))
		if err != nil || resp.Status != http.StatusOK {
			t.Fatalf("opening %s: %v %+v", s.page, err, resp)
		}
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(s.then))); err != nil {
			t.Fatalf("%s: %v", s.page, err)
		}
		fitsPhone(t, ctx, s.page)
	}
	saveViewport(t, ctx, "booking-form-phone")

	// Fill in the two people and book.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("booker_name"), "周伟"),
		chromedp.SendKeys(chromedp.ID("booker_id_number"), personID(t, "210102", "19900101", "001")),
		chromedp.SendKeys(chromedp.ID("partner_name"), "李娜"),
		chromedp.SendKeys(chromedp.ID("partner_id_number"), personID(t, "210102", "19920202", "002")),
		chromedp.SendKeys(chromedp.ID("phone"), "13800000000"),
	); err != nil {
		t.Fatalf("filling in the booking form: %v", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`main form[action="/appointments/book"] button[type=submit]`)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("booking: %v %+v", err, resp)
	}
	code, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("booking-code")))
	if err != nil {
		t.Fatalf("no confirmation code after booking: %v", err)
	}
	if !regexp.MustCompile(`^[A-Z0-9]{8}$`).MatchString(code) {
		t.Errorf("confirmation code %q", code)
	}
	fitsPhone(t, ctx, "the booking")
	saveScreenshot(t, ctx, "booking-done-phone")
}
