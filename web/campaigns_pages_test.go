package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/credit"
	"github.com/civicflow/civicflow/stacktest"
)

// mustContain fails the test unless body contains every one of wants.
func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

// Admins open a campaign on its page (field errors shown next to the fields, someone else's
// jurisdiction and a second opening refused on the page), staff read it with its statistics, the
// applicant sees the reports to file on My organisations, and the approver publishes the results
// with the button, once, not before a review.
func TestCampaignPages(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		w := newCampaignWorld(t, s)
		st := w.st
		next := w.year + 1

		// The menu shows the campaigns to those who read them only; the form to those who open them.
		reviewer := st.browser()
		reviewer.login("c.reviewer")
		body, _ := reviewer.page("/admin/campaigns", http.StatusOK)
		mustContain(t, "the reviewer's campaigns", body, `href="/admin/campaigns"`)
		if strings.Contains(body, `href="/admin/campaigns/new"`) {
			t.Error("a reviewer is offered the opening form")
		}
		reviewer.page("/admin/campaigns/new", http.StatusForbidden)
		clerk := st.browser()
		clerk.login("c.clerk")
		if body, _ := clerk.page("/account/organisations", http.StatusOK); strings.Contains(body, `href="/admin/campaigns"`) {
			t.Error("an applicant's menu shows the campaigns")
		}
		clerk.page("/admin/campaigns", http.StatusForbidden)

		// The form shows the defaults of last year; bad input comes back with its errors and what was typed.
		admin := st.browser()
		admin.login("c.admin")
		body, csrf := admin.page("/admin/campaigns/new", http.StatusOK)
		mustContain(t, "the opening form", body, fmt.Sprintf(`value="%d"`, w.year), fmt.Sprintf("%d-05-31", next),
			fmt.Sprintf("%d-03-31", next), `value="15"`, `<option value="210100"`)
		form := url.Values{"_csrf": {csrf}, "year": {"x"}, "jurisdiction": {"210100"}, "deadline_foundation": {"2000-13-01"},
			"deadline_social_group": {""}, "remind_days": {"abc"}}
		resp, body := admin.post("/admin/campaigns", form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("bad opening: %d", resp.StatusCode)
		}
		mustContain(t, "the refused form", body, `id="year-error"`, `id="deadlines.foundation-error"`, `id="remind_days-error"`,
			`href="#deadline_foundation"`, `value="2000-13-01"`, `value="abc"`)
		dalian := st.browser()
		dalian.login("c.dladmin")
		if body, _ := dalian.page("/admin/campaigns/new", http.StatusOK); strings.Contains(body, `<option value="210100"`) {
			t.Error("Dalian's admin is offered Shenyang")
		}
		_, dcsrf := dalian.page("/admin/campaigns/new", http.StatusOK)
		if resp, _ := dalian.post("/admin/campaigns", url.Values{"_csrf": {dcsrf}, "year": {fmt.Sprint(w.year)}, "jurisdiction": {"210100"}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("Dalian's admin opened Shenyang's campaign: %d", resp.StatusCode)
		}

		form = url.Values{"_csrf": {csrf}, "year": {fmt.Sprint(w.year)}, "jurisdiction": {"210100"},
			"deadline_foundation": {fmt.Sprintf("%d-04-15", next)}, "remind_days": {"20"}}
		resp, _ = admin.post("/admin/campaigns", form)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?done=opened") {
			t.Fatalf("opening: %d %s", resp.StatusCode, loc)
		}
		page := strings.TrimSuffix(loc, "?done=opened")
		body, _ = admin.page(loc, http.StatusOK)
		mustContain(t, "the opened campaign", body, fmt.Sprintf("%d-04-15", next), fmt.Sprintf("%d-05-31", next),
			fmt.Sprintf("%d-07-01", w.year), "<dd>20</dd>", "<dd>2</dd>")
		if strings.Contains(body, "/results") {
			t.Error("an admin, who does not publish, is offered the results' publication")
		}
		if resp, body := admin.post("/admin/campaigns", form); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "open already") && !strings.Contains(body, "已开始报送") {
			t.Fatalf("second opening: %d", resp.StatusCode)
		}
		var cp annualreport.Campaign
		if err := s.DB.NewSelect().Model(&cp).Where("jurisdiction = ?", "210100").Scan(ctx); err != nil || page != fmt.Sprintf("/admin/campaigns/%d", cp.ID) {
			t.Fatalf("the campaign %s: %+v %v", page, cp, err)
		}
		if cp.DeadlineFoundation != fmt.Sprintf("%d-04-15", next) || cp.RemindDays != 20 || cp.OpenedBy == nil {
			t.Errorf("opened from the page: %+v", cp)
		}

		// Staff of the jurisdiction read it with its statistics; Dalian's do not see it.
		body, _ = reviewer.page("/admin/campaigns", http.StatusOK)
		mustContain(t, "the campaigns list", body, fmt.Sprintf(`href="%s"`, page))
		body, _ = reviewer.page(page, http.StatusOK)
		mustContain(t, "the campaign's statistics", body, "沈阳市", "<td data-label=")
		dlReviewer := st.browser()
		dlReviewer.login("c.dlreviewer")
		dlReviewer.page(page, http.StatusNotFound)
		if body, _ := dlReviewer.page("/admin/campaigns", http.StatusOK); strings.Contains(body, page) {
			t.Error("Dalian's reviewer sees Shenyang's campaign in the list")
		}

		// The applicant sees the reports to file, not the organisation registered after the cut-off.
		body, _ = clerk.page("/account/organisations", http.StatusOK)
		due := body[strings.Index(body, `id="annual-reports"`):]
		mustContain(t, "My organisations", due, `href="/catalog/annual-report/apply?uscc=`+w.group.USCC+`"`,
			`href="/catalog/annual-report/apply?uscc=`+w.foundation.USCC+`"`, fmt.Sprintf("%d-04-15", next))
		if n := strings.Count(due, `href="/catalog/annual-report/apply?uscc=`); n != 2 {
			t.Errorf("My organisations offers %d reports to file, want 2", n)
		}

		// The approver publishes: refused before any review, then once.
		approver := st.browser()
		approver.login("c.approver")
		body, pcsrf := approver.page(page, http.StatusOK)
		mustContain(t, "the approver's campaign page", body, fmt.Sprintf(`action="%s/results"`, page))
		if resp, body := approver.post(page+"/results", url.Values{"_csrf": {pcsrf}}); resp.StatusCode != http.StatusConflict ||
			!strings.Contains(body, "尚无审查结论") && !strings.Contains(body, "No report has been reviewed") {
			t.Fatalf("publishing before any review: %d", resp.StatusCode)
		}
		_, rcsrf := reviewer.page(page, http.StatusOK)
		if resp, _ := reviewer.post(page+"/results", url.Values{"_csrf": {rcsrf}}); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a reviewer published: %d", resp.StatusCode)
		}
		if _, err := s.DB.NewUpdate().Model((*annualreport.Report)(nil)).Set("result = ?", annualreport.ResultPass).
			Where("organisation_id = ?", w.group.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		resp, _ = approver.post(page+"/results", url.Values{"_csrf": {pcsrf}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != page+"?done=published" {
			t.Fatalf("publishing: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		if err := s.DB.NewSelect().Model(&cp).WherePK().Scan(ctx); err != nil || cp.ResultsNoticeID == nil {
			t.Fatalf("published: %+v %v", cp, err)
		}
		body, _ = approver.page(page+"?done=published", http.StatusOK)
		mustContain(t, "the published campaign", body, fmt.Sprintf(`href="/notices/%d"`, *cp.ResultsNoticeID))
		if strings.Contains(body, `/results"`) {
			t.Error("the publication is offered again")
		}
		if resp, _ := approver.post(page+"/results", url.Values{"_csrf": {pcsrf}}); resp.StatusCode != http.StatusConflict {
			t.Fatalf("publishing twice: %d", resp.StatusCode)
		}
	})
}

// After the deadline pass the worker runs, an organisation that did not file stands on the 活动异常名录
// of the API and on its register entry, and its applicant sees the report as missed; one whose
// deadline has not come is not listed.
func TestAnnualReportMissedIsListed(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		w := newCampaignWorld(t, s)
		st := w.st
		var cp annualreport.Campaign
		if code := st.api("POST", "/api/v1/campaigns", w.admin, map[string]any{"year": w.year, "jurisdiction": "210100"}, &cp); code != http.StatusCreated {
			t.Fatalf("opening: %d", code)
		}
		fdl, _ := calendar.ParseDate(cp.DeadlineFoundation)
		after := fdl.AddDays(1).Time().Add(10 * time.Hour)
		for range 2 {
			if err := annualreport.Tick(ctx, s.DB, after); err != nil {
				t.Fatal(err)
			}
		}
		var list struct {
			Entries []credit.Entry `json:"entries"`
			Total   int            `json:"total"`
		}
		if code := st.api("GET", "/api/v1/credit/abnormal?jurisdiction=210100", "", nil, &list); code != http.StatusOK || list.Total != 1 || len(list.Entries) != 1 {
			t.Fatalf("the abnormal list: %d %+v", code, list)
		}
		e := list.Entries[0]
		if e.OrganisationID != w.foundation.ID || e.Reason != credit.ReasonAnnualReport || e.Year != w.year || e.Authority != "210100" ||
			e.Source != credit.SourceAnnualReport || e.Organisation == nil || e.Organisation.USCC != w.foundation.USCC {
			t.Fatalf("the entry: %+v, want the foundation's missed %d report", e, w.year)
		}
		var own struct {
			Entries []credit.Entry `json:"entries"`
		}
		if code := st.api("GET", "/api/v1/register/"+w.foundation.USCC+"/credit", "", nil, &own); code != http.StatusOK || len(own.Entries) != 1 || own.Entries[0].Standing() == false {
			t.Fatalf("the foundation's entries: %d %+v", code, own)
		}
		if code := st.api("GET", "/api/v1/register/"+w.group.USCC+"/credit", "", nil, &own); code != http.StatusOK || len(own.Entries) != 0 {
			t.Fatalf("the group, whose deadline is to come, is listed: %d %+v", code, own)
		}
		body, _ := st.browser().page("/register/"+w.foundation.USCC, http.StatusOK)
		mustContain(t, "the foundation's register entry", body, `id="credit"`, "活动异常名录")
		clerk := st.browser()
		clerk.login("c.clerk")
		body, _ = clerk.page("/account/organisations", http.StatusOK)
		mustContain(t, "My organisations after the deadline", body, w.foundation.USCC, "已逾期")
	})
}
