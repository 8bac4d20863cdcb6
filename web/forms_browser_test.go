package web_test

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/civicflow/civicflow/stacktest"
)

// An organisation's clerk adds and removes a member row in the page without it reloading, then pastes
// 50 members copied from a spreadsheet (tab-separated, with the header row) into 个人会员 of
// 社会团体成立登记, imports them, and submits the application with them.
func TestBrowserClerkPastesFiftyMembers(t *testing.T) {
	if os.Getenv("CIVICFLOW_TEST_BROWSER") != "1" {
		t.Log("browser test not run: set CIVICFLOW_TEST_BROWSER=1 (CI does) to drive Chromium through the member list")
		return
	}
	st := startSite(t, stacktest.SQLite(t))
	st.user("clerk", "org_applicant@*")
	app := st.token("clerk")
	draft := preparationData(t, "沈阳市青年创业促进会", st.uploadAll(app, sgItem, prepSlots...))
	delete(draft, "individual_members")
	if code := st.api("PUT", "/api/v1/drafts/"+sgItem, app, map[string]any{"data": draft}, nil); code != http.StatusNoContent {
		t.Fatalf("saving the draft: %d", code)
	}

	ctx := newBrowser(t, 120*time.Second)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	loginInBrowser(t, ctx, st.base, "clerk")
	apply := st.base + "/catalog/" + sgItem + "/apply"
	if err := chromedp.Do(ctx, chromedp.Navigate(apply), chromedp.WaitVisible(chromedp.ID("f-individual_members")),
		chromedp.SetValue(chromedp.ID("jurisdiction"), "210100")); err != nil {
		t.Fatalf("opening the application form: %v", err)
	}

	// Adding and removing a row happens in the page: the marker set on the window survives.
	const rows = `document.querySelectorAll("#f-individual_members > ol.rows > li.row").length`
	count := func() (n int, same bool) {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`[`+rows+`, window.stillHere === true, document.activeElement.name || ""]`))
		if err != nil {
			t.Fatal(err)
		}
		return int(got[0].(float64)), got[1].(bool)
	}
	add := chromedp.CSS(`#f-individual_members > button.repeat-add`)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.stillHere = true`)); err != nil {
		t.Fatal(err)
	}
	if n, _ := count(); n != 1 {
		t.Fatalf("%d member rows on a new form, want 1 to type into", n)
	}
	if err := chromedp.Do(ctx, chromedp.Click(add), chromedp.Click(add)); err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.name`))
	if n, same := count(); n != 3 || !same || err != nil || focused != "individual_members[2].name" {
		t.Fatalf("after adding two rows: %d rows, page kept %v, focus on %q", n, same, focused)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("f-individual_members-2-name"), "多余的一行"),
		chromedp.Click(chromedp.CSS(`button.repeat-remove[value="remove_row:individual_members[2]"]`)),
		chromedp.Click(chromedp.CSS(`button.repeat-remove[value="remove_row:individual_members[1]"]`)),
	); err != nil {
		t.Fatal(err)
	}
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#f-individual_members li.row .repeat-remove').hidden`))
	if n, same := count(); n != 1 || !same || err != nil || !hidden {
		t.Fatalf("after removing two rows: %d rows, page kept %v, the last row's remove button hidden %v", n, same, hidden)
	}
	saveScreenshot(t, ctx, "members-in-page")

	// Pasting the list: what a spreadsheet puts on the clipboard is tab-separated rows.
	var list strings.Builder
	list.WriteString("姓名\t居民身份证号码\t手机号码\n")
	list.WriteString(memberRows(t, 1, 50))
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#f-individual_members details.table-import > summary`)),
		chromedp.WaitVisible(chromedp.ID("f-individual_members-paste")),
		chromedp.SetValue(chromedp.ID("f-individual_members-paste"), list.String()),
	); err != nil {
		t.Fatalf("pasting: %v", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`#f-individual_members button[value="import:individual_members"]`)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("importing: %v %+v", err, resp)
	}
	after, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`[location.hash, `+rows+`,
		document.getElementById("f-individual_members-49-name").value,
		(document.querySelector('#f-individual_members .notice[role=status]') || {innerText: ""}).innerText,
		window.scrollY > 0]`))
	if err != nil {
		t.Fatal(err)
	}
	if after[0] != "#f-individual_members" || after[1] != float64(51) || after[2] != "会员50" || !strings.Contains(after[3].(string), "已导入 50 行") || after[4] != true {
		t.Fatalf("after the import: %v", after)
	}
	saveScreenshot(t, ctx, "members-imported")

	resp, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`form.application button[name=intent][value=submit]`)))
	if err != nil || resp.Status != http.StatusOK || !regexp.MustCompile(`/cases/\d+\?started=1$`).MatchString(resp.URL) {
		summary, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".error-summary") || {innerText: ""}).innerText`))
		t.Fatalf("submitting: %v %+v; errors: %s", err, resp, summary)
	}
	var cs struct {
		Case struct{ Data map[string]map[string]any }
	}
	id := regexp.MustCompile(`/cases/(\d+)`).FindStringSubmatch(resp.URL)[1]
	if code := st.api("GET", "/api/v1/cases/"+id, app, nil, &cs); code != http.StatusOK {
		t.Fatalf("the case: %d", code)
	}
	if members, _ := cs.Case.Data["sg_preparation"]["individual_members"].([]any); len(members) != 50 {
		t.Errorf("the case has %d individual members, want 50", len(members))
	}
}
