package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/credit"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// boundOrganisation registers an organisation of Shenyang and binds the applicant (login) to it, as
// the registration would.
func (st *site) boundOrganisation(name string, applicant int64) *register.Organisation {
	st.t.Helper()
	ctx := context.Background()
	o, err := register.Create(ctx, st.stack.DB, register.NewOrganisation{Name: name, Kind: register.KindSocialGroup, Jurisdiction: "210100"})
	if err != nil {
		st.t.Fatal(err)
	}
	b := &register.Binding{OrganisationID: o.ID, UserID: applicant, How: register.HowRequest, Status: register.BindingActive, CreatedAt: time.Now().UTC()}
	if _, err := st.stack.DB.NewInsert().Model(b).Exec(ctx); err != nil {
		st.t.Fatal(err)
	}
	return o
}

// missedReport lists the organisation as the annual report's deadline pass would.
func (st *site) missedReport(o *register.Organisation, year int) {
	st.t.Helper()
	err := st.stack.DB.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		return credit.ListForMissedReport(ctx, tx, o.ID, year, o.Jurisdiction)
	})
	if err != nil {
		st.t.Fatal(err)
	}
}

// refusedItemDir is a catalogue directory with a test item about an organisation that the abnormal
// and serious lists refuse.
func refusedItemDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	item, err := os.ReadFile("../catalog/testdata/about/items/sg-annual-report-test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	form, err := os.ReadFile("../catalog/testdata/about/forms/annual-report-test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(item), "\nabout: organisation", "\nabout: organisation\nrefused_if_listed: [abnormal, serious]", 1)
	for name, data := range map[string]string{"items/sg-annual-report-test.yaml": text, "forms/annual-report-test.yaml": string(form)} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// An organisation that missed its annual report is on the public abnormal list, its register entry
// and the API; an item refused to listed organisations refuses it; it applies for removal, staff
// approve and the entry is kept as removed; listed again and left two years, the worker's escalation
// puts it on the serious list. Staff list and remove by the page, in their jurisdiction only.
func TestCreditListsThroughAPIAndPages(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSiteWith(t, s, refusedItemDir(t))
		clerkID := st.user("cr.clerk", "org_applicant")
		st.user("cr.reviewer", "reviewer@2101*")
		st.user("cr.approver", "approver@2101*")
		st.user("cr.dalian", "reviewer@2102*")
		clerk, reviewer, approver := st.token("cr.clerk"), st.token("cr.reviewer"), st.token("cr.approver")
		org := st.boundOrganisation("沈阳市信用测试协会", clerkID)
		st.missedReport(org, 2026)

		var found credit.Results
		if code := st.api("GET", "/api/v1/credit/abnormal?q="+url.QueryEscape("信用测试"), "", nil, &found); code != http.StatusOK ||
			found.Total != 1 || found.Entries[0].Organisation.USCC != org.USCC || found.Entries[0].Reason != credit.ReasonAnnualReport {
			t.Fatalf("the public abnormal list: %d %+v", code, found)
		}
		anon := st.browser()
		if code, body, _ := anon.get("/credit/abnormal?q=" + url.QueryEscape(org.USCC)); code != http.StatusOK ||
			!strings.Contains(body, "沈阳市信用测试协会") || !strings.Contains(body, "未按规定报送年度工作报告") {
			t.Fatalf("the abnormal list page: %d\n%s", code, body)
		}
		if code, body, _ := anon.get("/register/" + org.USCC); code != http.StatusOK || !strings.Contains(body, "活动异常名录") ||
			!strings.Contains(body, "列入中") {
			t.Fatalf("the register entry: %d\n%s", code, body)
		}
		if code, _, _ := anon.get("/credit/grey"); code != http.StatusNotFound {
			t.Fatalf("an unknown list: %d", code)
		}

		// The item refused to listed organisations refuses it, on its uscc field.
		var e apiErr
		start := map[string]any{"item": "sg-annual-report-test", "jurisdiction": "210100", "data": map[string]any{"uscc": org.USCC, "summary": "本年度开展活动12次。"}}
		if code := st.api("POST", "/api/v1/cases", clerk, start, &e); code != http.StatusConflict || e.Error.Code != "listed" ||
			len(e.Error.Fields) != 1 || e.Error.Fields[0].Path != "uscc" {
			t.Fatalf("a listed organisation started a refused item: %d %+v", code, e)
		}

		// The application for removal, approved: the entry is removed, kept, and the item starts.
		removal := st.uploadAll(clerk, "credit-abnormal-removal", "application_letter", "correction_proof")
		c := st.startCase(clerk, "credit-abnormal-removal", "210100", map[string]any{"uscc": org.USCC, "correction": "已补报2026年度工作报告。",
			"application_letter": []int64{removal["application_letter"]}, "correction_proof": []int64{removal["correction_proof"]}})
		c = st.step(reviewer, c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "已补报，建议移出。"}})
		st.step(approver, c, "approve", "removed", nil)
		var entries struct{ Entries []credit.Entry }
		if code := st.api("GET", "/api/v1/register/"+org.USCC+"/credit", "", nil, &entries); code != http.StatusOK || len(entries.Entries) != 1 ||
			entries.Entries[0].RemovedAt == nil || entries.Entries[0].Removal != credit.RemovalApplication || entries.Entries[0].RemovalReason != "" {
			t.Fatalf("the entry after the approved application: %d %+v", code, entries)
		}
		if code, body, _ := anon.get("/register/" + org.USCC); code != http.StatusOK || !strings.Contains(body, "依申请移出") {
			t.Fatalf("the register entry after removal: %d\n%s", code, body)
		}
		if code := st.api("POST", "/api/v1/cases", clerk, start, nil); code != http.StatusCreated {
			t.Fatalf("the refused item after removal: %d", code)
		}

		// Listed again and left two years: the worker's escalation lists it on the serious list.
		st.missedReport(org, 2027)
		if n, err := credit.Escalate(context.Background(), s.DB, st.clock.Now().AddDate(2, 0, 1)); err != nil || n != 1 {
			t.Fatalf("escalation: %d %v", n, err)
		}
		if code, body, _ := anon.get("/credit/serious"); code != http.StatusOK || !strings.Contains(body, "沈阳市信用测试协会") ||
			!strings.Contains(body, "列入活动异常名录满2年") {
			t.Fatalf("the serious list page: %d\n%s", code, body)
		}

		// Staff list by the page; Dalian's staff may not list a Shenyang organisation.
		staff := st.browser()
		staff.login("cr.reviewer")
		_, page, csrf := staff.get("/admin/credit")
		if !strings.Contains(page, "沈阳市信用测试协会") {
			t.Fatalf("the staff page:\n%s", page)
		}
		other := st.boundOrganisation("沈阳市另一信用测试协会", clerkID)
		resp, body := staff.post("/admin/credit", url.Values{"_csrf": {csrf}, "uscc": {other.USCC}, "list": {"abnormal"}, "reason": {"unreachable"}, "detail": {""}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="detail-error"`) {
			t.Fatalf("a listing without facts: %d\n%s", resp.StatusCode, body)
		}
		resp, _ = staff.post("/admin/credit", url.Values{"_csrf": {csrf}, "uscc": {other.USCC}, "list": {"abnormal"}, "reason": {"unreachable"}, "detail": {"两次实地核查无人。"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the listing: %d", resp.StatusCode)
		}
		dalian := st.browser()
		dalian.login("cr.dalian")
		_, _, dcsrf := dalian.get("/admin/credit")
		resp, _ = dalian.post("/admin/credit", url.Values{"_csrf": {dcsrf}, "uscc": {other.USCC}, "list": {"serious"}, "reason": {"dishonest_debtor"}, "detail": {"法院名单。"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("Dalian's staff listed a Shenyang organisation: %d", resp.StatusCode)
		}
		if _, page, _ := dalian.get("/admin/credit"); strings.Contains(page, "沈阳市另一信用测试协会") {
			t.Fatal("Dalian's staff see Shenyang's entries")
		}
		// The public sees the listing without staff's facts; staff see them.
		if _, body, _ := anon.get("/register/" + other.USCC); strings.Contains(body, "两次实地核查无人") || !strings.Contains(body, "通过登记的住所无法取得联系") {
			t.Fatalf("the public register entry:\n%s", body)
		}
		if _, body, _ := staff.get("/register/" + other.USCC); !strings.Contains(body, "两次实地核查无人") {
			t.Fatalf("staff's register entry:\n%s", body)
		}
	})
}

// creditContract exercises the credit lists' API against the document: the public search and an
// organisation's entries, staff listing (with its conflicts and refusals) and removing.
func creditContract(t *testing.T, k *contract, st *site) {
	t.Helper()
	clerkID := st.user("k.credit.clerk", "org_applicant")
	st.user("k.credit.sy", "reviewer@2101*")
	st.user("k.credit.dl", "reviewer@2102*")
	st.user("k.credit.acc", "acceptor@2101*")
	sy, dl, acc, clerk := st.token("k.credit.sy"), st.token("k.credit.dl"), st.token("k.credit.acc"), st.token("k.credit.clerk")
	org := st.boundOrganisation("沈阳市合同测试协会", clerkID)
	st.missedReport(org, 2026)

	k.do(call{method: "GET", path: "/api/v1/credit/abnormal?q=" + url.QueryEscape("合同测试"), valid: true}, http.StatusOK)
	k.do(call{method: "GET", path: "/api/v1/credit/serious?jurisdiction=210100&page=1&per_page=5", valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: "/api/v1/credit/abnormal?jurisdiction=x&per_page=1000"}, http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "GET", path: "/api/v1/credit/grey"}, http.StatusNotFound, "not_found")
	k.do(call{method: "GET", path: "/api/v1/register/" + org.USCC + "/credit", valid: true}, http.StatusOK)
	k.do(call{method: "GET", path: "/api/v1/register/" + org.USCC + "/credit", token: sy, valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: "/api/v1/register/51210100MJ0000000X/credit"}, http.StatusNotFound, "not_found")

	listing := map[string]string{"uscc": org.USCC, "list": "abnormal", "reason": "unreachable", "detail": "两次实地核查无人。"}
	var e credit.Entry
	k.do(call{method: "POST", path: "/api/v1/credit-listings", token: sy, body: listing, valid: true, out: &e}, http.StatusCreated)
	if e.Detail != listing["detail"] || e.Source != credit.SourceStaff {
		t.Fatalf("the listing: %+v", e)
	}
	k.fails(call{method: "POST", path: "/api/v1/credit-listings", token: sy, body: listing}, http.StatusConflict, "already_listed")
	k.fails(call{method: "POST", path: "/api/v1/credit-listings", token: dl, body: listing}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/credit-listings", token: acc, body: listing}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/credit-listings", token: clerk, body: listing}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/credit-listings", body: listing}, http.StatusUnauthorized, "login_required")
	k.fails(call{method: "POST", path: "/api/v1/credit-listings", token: sy, body: map[string]string{"uscc": "x", "list": "grey", "reason": "y", "detail": ""}},
		http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "POST", path: "/api/v1/credit-listings", token: sy, body: `{"uscc":`}, http.StatusBadRequest, "bad_json")

	path := fmt.Sprintf("/api/v1/credit-listings/%d/remove", e.ID)
	k.fails(call{method: "POST", path: path, token: dl, body: map[string]string{"reason": "误列"}}, http.StatusNotFound, "not_found")
	k.fails(call{method: "POST", path: path, token: acc, body: map[string]string{"reason": "误列"}}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: path, token: sy, body: map[string]string{"reason": " "}}, http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "POST", path: fmt.Sprintf("/api/v1/credit-listings/%d/remove", unknownID), token: sy, body: map[string]string{"reason": "x"}},
		http.StatusNotFound, "not_found")
	k.do(call{method: "POST", path: path, token: sy, body: map[string]string{"reason": "已恢复联系。"}, valid: true, out: &e}, http.StatusOK)
	if e.RemovedAt == nil || e.Removal != credit.RemovalDecision {
		t.Fatalf("the removal: %+v", e)
	}
	k.fails(call{method: "POST", path: path, token: sy, body: map[string]string{"reason": "再次"}}, http.StatusConflict, "not_listed")
}

// seedCredit gives the crawl a case of the removal application in every state, two organisations of
// the applicant on the abnormal list (one listed again after its approved removal) and one entry on
// the serious list.
func (sd *seeder) seedCredit() {
	st, w := sd.st, sd.w
	app, reviewer, approver := w.who["applicant"], actorOf(w.who["reviewer-in"]), actorOf(w.who["approver-in"])
	start := func(o *register.Organisation) *workflow.Case {
		up := st.uploadAll(app.token, "credit-abnormal-removal", "application_letter", "correction_proof")
		c, err := st.engine.Start(sd.ctx, actorOf(app), "credit-abnormal-removal", "210100", map[string]any{"uscc": o.USCC,
			"correction": "已补报年度工作报告。", "application_letter": []int64{up["application_letter"]}, "correction_proof": []int64{up["correction_proof"]}})
		if err != nil {
			sd.t.Fatal(err)
		}
		return c
	}
	propose := func(c *workflow.Case) *workflow.Case {
		return sd.take(reviewer, c, workflow.ApplyRequest{Action: "propose", Fields: map[string]any{"opinion": "建议移出。"}})
	}
	first := st.boundOrganisation("沈阳市爬行信用测试协会", app.id)
	st.missedReport(first, 2026)
	sd.apply(actorOf(app), start(first), "withdraw")
	sd.apply(approver, start(first), "refuse")
	sd.apply(approver, propose(start(first)), "approve")
	st.missedReport(first, 2025)
	start(first)
	second := st.boundOrganisation("沈阳市爬行信用测试二会", app.id)
	st.missedReport(second, 2026)
	propose(start(second))
	if _, err := credit.ListManually(sd.ctx, st.stack.DB, st.enf, reviewer, credit.Manual{USCC: second.USCC, List: credit.ListSerious,
		Reason: "dishonest_debtor", Detail: "列入失信被执行人名单。"}); err != nil {
		sd.t.Fatal(err)
	}
}
