package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/credit"
	"github.com/civicflow/civicflow/stacktest"
)

// rawAPI sends a request with a raw body and answers the status and the body; safe in goroutines.
func (st *site) rawAPI(method, path, token, body string) (int, string) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, st.base+path, r)
	if err != nil {
		return 0, err.Error()
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// concurrently runs each request at once and answers their statuses and bodies in order.
func concurrently(n int, do func(i int) (int, string)) ([]int, []string) {
	codes, bodies := make([]int, n), make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i], bodies[i] = do(i)
		}()
	}
	close(start)
	wg.Wait()
	return codes, bodies
}

// Hostile paths, queries and bodies of the campaign and credit routes answer 4xx, never 500.
func TestP12HostileInputAnswers4xx(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		w := newCampaignWorld(t, s)
		st := w.st
		cases := []struct{ method, path, token, body string }{
			{"GET", "/api/v1/campaigns/-1", w.admin, ""},
			{"GET", "/api/v1/campaigns/99999999999999999999", w.admin, ""},
			{"GET", "/api/v1/campaigns/abc", w.admin, ""},
			{"POST", "/api/v1/campaigns/-1/results", w.approver, ""},
			{"POST", "/api/v1/campaigns", w.admin, `{"year": 99999999999999999999, "jurisdiction": "210100"}`},
			{"POST", "/api/v1/campaigns", w.admin, `{"year": "2025", "jurisdiction": "210100"}`},
			{"POST", "/api/v1/campaigns", w.admin, `{"year": -1, "jurisdiction": "999999"}`},
			{"POST", "/api/v1/campaigns", w.admin, `{"year": 2025, "jurisdiction": 210100}`},
			{"POST", "/api/v1/campaigns", w.admin, `{"year": 2025, "jurisdiction": "210100", "remind_days": -3}`},
			{"POST", "/api/v1/campaigns", w.admin, `{"year": 2025, "jurisdiction": "210100", "deadlines": {"social_group": "99999-99-99"}}`},
			{"POST", "/api/v1/campaigns", w.admin, `{"year": 2025, "jurisdiction": "210100", "deadlines": ["x"]}`},
			{"POST", "/api/v1/campaigns", w.admin, `[]`},
			{"POST", "/api/v1/campaigns", w.admin, `{"year": 2025, "jurisdiction": "` + strings.Repeat("2", 100000) + `"}`},
			{"GET", "/api/v1/credit/abnormal?page=99999999999999999999", "", ""},
			{"GET", "/api/v1/credit/abnormal?per_page=-1&page=abc", "", ""},
			{"GET", "/api/v1/credit/abnormal?jurisdiction=%00%27", "", ""},
			{"GET", "/api/v1/credit/abnormal?q=" + strings.Repeat("协", 5000), "", ""},
			{"GET", "/api/v1/credit/nolist", "", ""},
			{"GET", "/api/v1/register/%27%00/credit", "", ""},
			{"POST", "/api/v1/credit-listings/-1/remove", w.reviewer, `{"reason": "x"}`},
			{"POST", "/api/v1/credit-listings/99999999999999999999/remove", w.reviewer, `{"reason": "x"}`},
			{"POST", "/api/v1/credit-listings/123456/remove", w.reviewer, `{"reason": "x"}`},
			{"POST", "/api/v1/credit-listings", w.reviewer, `{"uscc": 5, "list": "abnormal"}`},
			{"POST", "/api/v1/credit-listings", w.reviewer, `{"uscc": "` + strings.Repeat("A", 10000) + `", "list": "abnormal", "reason": "unreachable", "detail": "x"}`},
			{"POST", "/api/v1/credit-listings", w.reviewer, `{"uscc": "` + w.group.USCC + `", "list": "abnormal", "reason": "unreachable", "detail": "` + strings.Repeat("长", 2001) + `"}`},
			{"GET", "/api/v1/catalog/social-group-change/prefill?uscc=" + strings.Repeat("9", 5000), w.clerk, ""},
			{"GET", "/api/v1/catalog/social-group-change/prefill?uscc=%00", w.clerk, ""},
			{"GET", "/api/v1/catalog/no-such-item/prefill?uscc=" + w.group.USCC, w.clerk, ""},
			{"GET", "/api/v1/catalog/annual-report/prefill?uscc=" + w.group.USCC + "&year=-1", w.clerk, ""},
		}
		for _, c := range cases {
			code, body := st.rawAPI(c.method, c.path, c.token, c.body)
			if code < 400 && !(c.method == "GET" && strings.Contains(c.path, "annual-report/prefill")) || code >= 500 {
				t.Errorf("%s %.120s: %d %.300s", c.method, c.path, code, body)
			}
		}
		// The pages too.
		b := st.browser()
		b.login("c.admin")
		for _, p := range []string{"/credit/abnormal?page=99999999999999999999", "/credit/serious?q=%FF%FE", "/credit/x", "/admin/campaigns/-1",
			"/admin/campaigns/99999999999999999999"} {
			if code, _, _ := b.get(p); code >= 500 || code < 400 {
				t.Errorf("GET %s: %d", p, code)
			}
		}
	})
}

// An applicant's prefill of an organisation it does not act for tells nothing of its particulars.
func TestP12PrefillOfAnotherOrganisationLeaksNothing(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		w := newCampaignWorld(t, s)
		st := w.st
		code, body := st.rawAPI("GET", "/api/v1/catalog/social-group-change/prefill?uscc="+w.dl.USCC, w.clerk, "")
		if code != http.StatusUnprocessableEntity || strings.Contains(body, w.dl.Name) {
			t.Errorf("prefill of an organisation not bound: %d %s", code, body)
		}
		b := st.browser()
		b.login("c.clerk")
		code, page, _ := b.get("/apply/social-group-change?uscc=" + w.dl.USCC)
		if code >= 500 || strings.Contains(page, w.dl.Name) {
			t.Errorf("apply page of an organisation not bound: %d, shows its name: %v", code, strings.Contains(page, w.dl.Name))
		}
	})
}

// A procedure about an organisation goes to its registration authority: an annual report filed in
// Dalian for a Shenyang group is refused on the jurisdiction, else Dalian's staff would review and
// decide it (and, by a removal application, take Shenyang's listings off the credit lists).
func TestP12AnnualReportFiledWithAnotherAuthorityIsRefused(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		w := newCampaignWorld(t, s)
		st := w.st
		if code := st.api("POST", "/api/v1/campaigns", w.admin, map[string]any{"year": w.year, "jurisdiction": "210100"}, nil); code != http.StatusCreated {
			t.Fatalf("opening: %d", code)
		}
		pdf := st.uploadPDF(w.clerk, annualreport.ItemCode, "audit_report")
		var e apiErr
		code := st.api("POST", "/api/v1/cases", w.clerk, map[string]any{"item": annualreport.ItemCode, "jurisdiction": "210200",
			"data": w.reportData(w.group.USCC, pdf, false)}, &e)
		if code != http.StatusUnprocessableEntity || !hasFieldErr(e, "jurisdiction") {
			t.Fatalf("a Shenyang report filed in Dalian: %d %+v", code, e)
		}
		// Its registration authority takes it, and Dalian's reviewer never sees it.
		var cs struct{ ID int64 }
		if code := st.api("POST", "/api/v1/cases", w.clerk, map[string]any{"item": annualreport.ItemCode, "jurisdiction": "210100",
			"data": w.reportData(w.group.USCC, pdf, false)}, &cs); code != http.StatusCreated {
			t.Fatalf("filing with its authority: %d", code)
		}
		if code := st.api("GET", fmt.Sprintf("/api/v1/cases/%d", cs.ID), w.dlReviewer, nil, nil); code != http.StatusNotFound {
			t.Fatalf("Dalian's reviewer read a Shenyang report: %d", code)
		}
	})
}

// Races: overlapping campaigns opened at once, one campaign opened twice at once, two deadline
// passes at once, two removals of one entry at once, one year's report filed twice at once.
func TestP12Races(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		w := newCampaignWorld(t, s)
		st := w.st
		// 210000 and 210100 at once, each twice.
		jurs := []string{"210000", "210100", "210000", "210100"}
		codes, bodies := concurrently(len(jurs), func(i int) (int, string) {
			return st.rawAPI("POST", "/api/v1/campaigns", w.admin, fmt.Sprintf(`{"year": %d, "jurisdiction": %q}`, w.year, jurs[i]))
		})
		created := 0
		for i, c := range codes {
			switch c {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
			default:
				t.Errorf("opening %s: %d %s", jurs[i], c, bodies[i])
			}
		}
		if created != 2 {
			t.Errorf("created %d campaigns, want 2: %v", created, codes)
		}
		n, err := s.DB.NewSelect().Model((*annualreport.Report)(nil)).Where("year = ?", w.year).Count(ctx)
		if err != nil || n != 3 {
			t.Errorf("reports: %d %v, want 3 (group, foundation, Dalian's)", n, err)
		}

		// Two deadline passes at once list each non-filer once.
		after, _ := calendar.ParseDate(fmt.Sprintf("%d-06-01", w.year+1))
		pcodes, pbodies := concurrently(3, func(int) (int, string) {
			k, err := annualreport.PassDeadlines(ctx, s.DB, after, st.clock.Now())
			if err != nil {
				return 500, err.Error()
			}
			return k, ""
		})
		total := 0
		for i, k := range pcodes {
			if pbodies[i] != "" {
				t.Errorf("deadline pass: %s", pbodies[i])
			}
			total += k
		}
		if total != 3 {
			t.Errorf("deadline passes marked %v, want 3 in all", pcodes)
		}
		var entries []credit.Entry
		if err := s.DB.NewSelect().Model(&entries).Where("list = ?", credit.ListAbnormal).Scan(ctx); err != nil || len(entries) != 3 {
			t.Fatalf("abnormal entries: %d %v, want 3", len(entries), err)
		}

		// Two removals of one entry at once: one removes, the other is a conflict.
		var mine credit.Entry
		for _, e := range entries {
			if e.OrganisationID == w.group.ID {
				mine = e
			}
		}
		rcodes, rbodies := concurrently(2, func(int) (int, string) {
			return st.rawAPI("POST", fmt.Sprintf("/api/v1/credit-listings/%d/remove", mine.ID), w.reviewer, `{"reason": "误列。"}`)
		})
		if !(rcodes[0] == 200 && rcodes[1] == 409 || rcodes[0] == 409 && rcodes[1] == 200) {
			t.Errorf("two removals: %v %v", rcodes, rbodies)
		}
		// Dalian's reviewer cannot remove Shenyang's entries; Shenyang's cannot remove Dalian's.
		for _, e := range entries {
			tok := w.dlReviewer
			if e.OrganisationID == w.dl.ID {
				tok = w.reviewer
			}
			if code, body := st.rawAPI("POST", fmt.Sprintf("/api/v1/credit-listings/%d/remove", e.ID), tok, `{"reason": "x"}`); code != http.StatusNotFound && code != http.StatusConflict {
				t.Errorf("removal by another jurisdiction of entry %d: %d %s", e.ID, code, body)
			}
		}

		// The same year's report filed twice at once (late now): exactly one case.
		pdfs := []int64{st.uploadPDF(w.clerk, annualreport.ItemCode, "audit_report"), st.uploadPDF(w.clerk, annualreport.ItemCode, "audit_report"),
			st.uploadPDF(w.clerk, annualreport.ItemCode, "audit_report")}
		fcodes, fbodies := concurrently(len(pdfs), func(i int) (int, string) {
			b, _ := json.Marshal(map[string]any{"item": annualreport.ItemCode, "jurisdiction": "210100", "data": w.reportData(w.foundation.USCC, pdfs[i], false)})
			return st.rawAPI("POST", "/api/v1/cases", w.clerk, string(b))
		})
		ok := 0
		for i, c := range fcodes {
			switch {
			case c == http.StatusCreated:
				ok++
			case c >= 500 || c < 400:
				t.Errorf("filing %d: %d %s", i, c, fbodies[i])
			}
		}
		if ok != 1 {
			t.Errorf("concurrent filings: %v %v, want exactly one created", fcodes, fbodies)
		}
	})
}

// A removal from the abnormal list that reached another authority (a case opened elsewhere before
// the start checked the authority) cannot take the organisation's listings off there.
func TestP12RemovalDecidedByAnotherAuthorityIsRefused(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		st := startSite(t, s)
		appID := st.user("r.app", "org_applicant")
		st.user("r.dlrev", "reviewer@2102*")
		st.user("r.dlapr", "approver@2102*")
		app, dlRev, dlApr := st.token("r.app"), st.token("r.dlrev"), st.token("r.dlapr")
		org := st.boundOrganisation("沈阳市跨区移出测试协会", appID)
		st.missedReport(org, 2026)
		up := st.uploadAll(app, "credit-abnormal-removal", "application_letter", "correction_proof")
		c := st.startCase(app, "credit-abnormal-removal", "210100", map[string]any{"uscc": org.USCC, "correction": "已补报。",
			"application_letter": []int64{up["application_letter"]}, "correction_proof": []int64{up["correction_proof"]}})
		if _, err := s.DB.NewUpdate().Table("cases").Set("jurisdiction = ?", "210200").Where("id = ?", c.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		c = st.step(dlRev, c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "建议移出。"}})
		var e apiErr
		if code := st.act(dlApr, c.ID, map[string]any{"action": "approve", "expected_version": c.Version}, &e); code != http.StatusConflict ||
			e.Error.Code != "other_authority" {
			t.Fatalf("Dalian approved the removal of a Shenyang listing: %d %+v", code, e)
		}
		n, err := s.DB.NewSelect().Model((*credit.Entry)(nil)).Where("organisation_id = ? AND removed_at IS NULL", org.ID).Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("standing entries: %d %v, want 1", n, err)
		}
	})
}
