package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/device"

	"github.com/civicflow/civicflow/stacktest"
)

// chromiumPath is the browser the browser tests drive: $CHROME_PATH, else Debian's Chromium.
func chromiumPath() string {
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// newBrowser starts a headless Chromium with a fresh profile and returns a context for one tab. The
// whole browser stops when timeout passes or the test ends.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	exec := chromiumPath()
	if _, err := os.Stat(exec); err != nil {
		t.Fatalf("the browser tests need Chromium at %s (%v): install it with `apt-get update && apt-get install -y chromium`, "+
			"or set CHROME_PATH to a Chrome or Chromium binary", exec, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(exec),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)
	return tab
}

// saveScreenshot writes a PNG of the whole page to the test's temporary directory, and also to
// $CIVICFLOW_TEST_SCREENSHOTS when that is set, for people to look at.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(png) == 0 {
		t.Fatalf("screenshot %s is empty", name)
	}
	path := filepath.Join(t.TempDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("screenshot %s was not written: %v", path, err)
	}
	if dir := os.Getenv("CIVICFLOW_TEST_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fitsPhone fails the test when the page is wider than the phone's screen, so that people would have
// to scroll sideways.
func fitsPhone(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	widths, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(widths) != 2 || widths[0] > widths[1] {
		t.Errorf("%s: the page is %d px wide on a %d px screen", page, widths[0], widths[1])
	}
}

func TestAdminGrantsARoleOnAPhone(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to drive Chromium through the admin pages")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("zhao.admin", "admin@21*")
	clerk := st.user("qian.clerk")
	ctx := newBrowser(t, 60*time.Second)

	if err := chromedp.Do(ctx,
		chromedp.Emulate(device.IPhone12Pro), // 390×844, mobile, touch
		chromedp.Navigate(st.base+"/login"),
		chromedp.WaitVisible(chromedp.ID("login")),
	); err != nil {
		t.Fatalf("opening the login page: %v", err)
	}
	fitsPhone(t, ctx, "/login")

	// Log in through the form.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("login"), "zhao.admin"),
		chromedp.SendKeys(chromedp.ID("password"), "zhao.admin-password"),
	); err != nil {
		t.Fatal(err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`main form[action="/login"] button[type=submit]`)))
	if err != nil {
		t.Fatalf("logging in: %v", err)
	}
	if resp.Status != 200 {
		t.Fatalf("after logging in: HTTP %d at %s", resp.Status, resp.URL)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`nav a[href="/admin/users"]`))); err != nil {
		t.Fatalf("no link to the users page after logging in: %v", err)
	}

	// Grant qian.clerk the acceptor role in Shenyang and everything below it.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(st.base+"/admin/users"),
		chromedp.WaitVisible(chromedp.ID("user_id")),
	); err != nil {
		t.Fatalf("opening /admin/users: %v", err)
	}
	fitsPhone(t, ctx, "/admin/users")
	if err := chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("user_id"), strconv.FormatInt(clerk, 10)),
		chromedp.SetValue(chromedp.ID("role"), "acceptor"),
		chromedp.SetValue(chromedp.ID("jurisdiction"), "210100"),
		chromedp.Click(chromedp.ID("subtree")),
	); err != nil {
		t.Fatalf("filling in the grant form: %v", err)
	}
	chosen, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`(() => {
		const j = document.getElementById("jurisdiction");
		return [j.options[j.selectedIndex].text, document.getElementById("subtree").checked];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if len(chosen) != 2 || !strings.Contains(chosen[0].(string), "沈阳市") || chosen[1] != true {
		t.Fatalf("grant form: jurisdiction and subtree box show %v", chosen)
	}
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form[action="/admin/grants"] button[type=submit]`)))
	if err != nil {
		t.Fatalf("granting: %v", err)
	}
	if resp.Status != 200 {
		t.Fatalf("granting: HTTP %d", resp.Status)
	}
	notice, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.notice[role=status]`)))
	if err != nil {
		t.Fatalf("no notice after granting: %v", err)
	}
	if !strings.Contains(notice, "已授予角色") {
		t.Errorf("notice after granting: %q", notice)
	}
	row, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("table.responsive tbody tr"))
		.map(r => r.innerText).find(t => t.includes("qian.clerk")) || ""`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row, "受理人员") || !strings.Contains(row, "沈阳市及下级") {
		t.Errorf("the users table does not show the new grant; qian.clerk's row reads %q", row)
	}
	if !st.enf.Allowed(clerk, "210102", "jurisdiction", "read") || st.enf.Allowed(clerk, "210200", "jurisdiction", "read") {
		t.Error("the grant must hold in Shenyang and its counties, and not in Dalian")
	}
	fitsPhone(t, ctx, "the users page after granting")
	saveScreenshot(t, ctx, "admin-users-granted-zh")

	// Switch to English with the button in the header. The button returns to the address of the page
	// it is on, so open the users page by its own address first rather than use the page the grant's
	// POST /admin/grants answered with.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(st.base+"/admin/users"),
		chromedp.WaitVisible(chromedp.ID("user_id")),
	); err != nil {
		t.Fatal(err)
	}
	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`header .lang-switch button`)))
	if err != nil {
		t.Fatalf("switching language: %v", err)
	}
	if resp.Status != 200 {
		t.Fatalf("switching language: HTTP %d at %s", resp.Status, resp.URL)
	}
	lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		t.Fatal(err)
	}
	if lang != "en" {
		t.Errorf(`after switching language: <html lang=%q>, want "en"`, lang)
	}
	h1, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main h1`)))
	if err != nil {
		t.Fatal(err)
	}
	if h1 != "Users and roles" {
		t.Errorf("after switching language the page is titled %q", h1)
	}
	row, err = chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll("table.responsive tbody tr"))
		.map(r => r.innerText).find(t => t.includes("qian.clerk")) || ""`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(row, "Acceptance clerk") || !strings.Contains(row, "Shenyang and below") {
		t.Errorf("in English, qian.clerk's row reads %q", row)
	}
	fitsPhone(t, ctx, "the users page in English")
	saveScreenshot(t, ctx, "admin-users-en")
}
