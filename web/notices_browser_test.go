package web_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/civicflow/civicflow/stacktest"
)

// A 双公示 entry and the list of notices read on a phone: the entry's fields fit the screen, the list
// leads to the entry and to the category's feed.
func TestNoticesOnAPhone(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to read the notices in Chromium")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("zhang.applicant", "org_applicant@*")
	st.user("sy.acceptor", "acceptor@2101*")
	st.user("sy.reviewer", "reviewer@2101*")
	st.user("sy.approver", "approver@2101*")
	app, acc, rev, apr := st.token("zhang.applicant"), st.token("sy.acceptor"), st.token("sy.reviewer"), st.token("sy.approver")
	c := st.groupToDecision(app, acc, rev, apr, "沈阳市名称很长的青少年围棋文化传播与交流促进协会")
	st.step(apr, c, "approve_establishment", "registered", map[string]any{"fields": map[string]any{"decision_number": "沈民社登〔2026〕12号"}})

	ctx := newBrowser(t, 60*time.Second)
	if err := chromedp.Do(ctx,
		chromedp.Emulate(device.IPhone12Pro),
		chromedp.Navigate(st.base+"/notices?category=licensing"),
		chromedp.WaitVisible(chromedp.CSS("main table")),
	); err != nil {
		t.Fatalf("the list of licences: %v", err)
	}
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main a")).map(a => a.getAttribute("href"))`))
	if err != nil {
		t.Fatal(err)
	}
	fitsPhone(t, ctx, "/notices?category=licensing")
	entry := ""
	for _, l := range links {
		if strings.HasPrefix(l, "/notices/") && !strings.HasPrefix(l, "/notices/feed/") {
			entry = l
		}
	}
	if entry == "" || !strings.Contains(strings.Join(links, " "), "/notices/feed/licensing.atom") {
		t.Fatalf("the list's links: %v", links)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(st.base+entry),
		chromedp.WaitVisible(chromedp.CSS("main table.particulars")),
	); err != nil {
		t.Fatalf("the 双公示 entry: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	fitsPhone(t, ctx, entry)
	for _, want := range []string{"沈民社登〔2026〕12号", "沈阳市名称很长的青少年围棋文化传播与交流促进协会", "准予社会团体成立登记", "210100", "张伟"} {
		if !strings.Contains(text, want) {
			t.Errorf("the entry does not say %q: %s", want, text)
		}
	}
	saveScreenshot(t, ctx, fmt.Sprintf("notice-%s", strings.TrimPrefix(entry, "/notices/")))
}
