package web_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/civicflow/civicflow/stacktest"
)

// The verification page that a document's QR code opens fits a phone, long hash included, and says
// whether the document is valid.
func TestBrowserVerifyPageOnAPhone(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to open the verification page on a phone")
		return
	}
	s := stacktest.SQLite(t)
	st := startSite(t, s)
	st.user("vp.applicant", "org_applicant@*")
	st.user("vp.acceptor", "acceptor@2101*")
	c := st.startPreparation(st.token("vp.applicant"), "沈阳市青年书法协会")
	st.step(st.token("vp.acceptor"), c, "accept_prep", "prep_review", nil)
	var code string
	if err := s.DB.NewSelect().TableExpr("documents").Column("verify_code").Where("case_id = ?", c.ID).Scan(context.Background(), &code); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, 60*time.Second)
	if err := chromedp.Do(ctx, chromedp.Emulate(device.IPhone12Pro), chromedp.Navigate(st.base+"/verify/"+code),
		chromedp.WaitVisible(chromedp.ID("file"))); err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".verify-status").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(status, "Valid") && !strings.HasPrefix(status, "有效") {
		t.Errorf("the verification page says %q", status)
	}
	fitsPhone(t, ctx, "the verification page")
	saveScreenshot(t, ctx, "verify-phone")
}
