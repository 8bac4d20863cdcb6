package web_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

const sgChange = "social-group-change"

// changeWorld is an imported social group and an imported foundation on the register, each bound to
// the clerk, and the staff of Shenyang who handle the group's change.
type changeWorld struct {
	group, foundation      *register.Organisation
	clerk, other           string // tokens of the bound applicant and of one bound to nothing
	acc, rev, apr, citizen string
}

func newChangeWorld(t *testing.T, st *site) changeWorld {
	t.Helper()
	ctx, db := context.Background(), st.stack.DB
	clerkID := st.user("oc.clerk", "org_applicant@*")
	st.user("oc.other", "org_applicant@*")
	st.user("oc.acceptor", "acceptor@2101*")
	st.user("oc.reviewer", "reviewer@2101*")
	st.user("oc.approver", "approver@2101*")
	st.user("oc.citizen", "citizen")
	group, err := register.Create(ctx, db, register.NewOrganisation{Name: "沈阳市围棋协会", Kind: register.KindSocialGroup,
		Jurisdiction: "210100", Domicile: "沈阳市和平区南京北街1号", LegalRepresentative: "李明",
		Data: map[string]any{
			"particulars": map[string]any{"business_scope": lang.Text{ZH: "围棋培训、比赛", EN: "围棋培训、比赛"},
				"funds": lang.Text{ZH: "3万元", EN: "30000 yuan"}, "sponsor_unit": lang.Text{ZH: "沈阳市体育局", EN: "沈阳市体育局"}},
			"values": map[string]any{"business_scope": "围棋培训、比赛", "funds": 3000000, "sponsor_unit": "沈阳市体育局"}}})
	if err != nil {
		t.Fatal(err)
	}
	foundation, err := register.Create(ctx, db, register.NewOrganisation{Name: "辽宁省助学基金会", Kind: register.KindFoundation,
		Jurisdiction: "210000", Domicile: "沈阳市皇姑区北陵大街45号", LegalRepresentative: "周红"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*register.Organisation{group, foundation} {
		b := &register.Binding{OrganisationID: o.ID, UserID: clerkID, How: register.HowRequest, Status: register.BindingActive,
			CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}
		if _, err := db.NewInsert().Model(b).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return changeWorld{group: group, foundation: foundation, clerk: st.token("oc.clerk"), other: st.token("oc.other"),
		acc: st.token("oc.acceptor"), rev: st.token("oc.reviewer"), apr: st.token("oc.approver"), citizen: st.token("oc.citizen")}
}

// changeData is the application of a social group's change: the form's start from the register with
// the changes over it.
func changeData(st *site, w changeWorld, uscc string, changes map[string]any) map[string]any {
	st.t.Helper()
	return changeDataFor(st, w, sgChange, uscc, changes)
}

// changeDataFor is changeData for the change item.
func changeDataFor(st *site, w changeWorld, item, uscc string, changes map[string]any) map[string]any {
	st.t.Helper()
	var pre struct{ Data map[string]any }
	if code := st.api("GET", "/api/v1/catalog/"+item+"/prefill?uscc="+uscc, w.clerk, nil, &pre); code != http.StatusOK {
		st.t.Fatalf("the prefill of %s: %d", uscc, code)
	}
	up := st.uploadAll(w.clerk, item, "application_letter", "resolution")
	data := pre.Data
	data["reason"] = "会员大会决议变更。"
	data["resolved_on"] = time.Now().In(calendar.Zone).AddDate(0, 0, -2).Format(time.DateOnly)
	data["application_letter"], data["resolution"] = []int64{up["application_letter"]}, []int64{up["resolution"]}
	for k, v := range changes {
		data[k] = v
	}
	return data
}

// approveChange takes a started change through acceptance, review and approval.
func approveChange(st *site, w changeWorld, c caseState, number string) caseState {
	st.t.Helper()
	c = st.step(w.acc, c, "accept", "review", nil)
	c = st.step(w.rev, c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "材料齐全，建议准予变更。"}})
	return st.step(w.apr, c, "approve", "changed", map[string]any{"fields": map[string]any{"decision_number": number}})
}

// certificateOf is the verification code and status of the certificate case caseID was issued.
func certificateOf(t *testing.T, st *site, caseID int64) (code, status string) {
	t.Helper()
	var d workflow.Document
	if err := st.stack.DB.NewSelect().Model(&d).Where("case_id = ? AND kind = ?", caseID, "registration_certificate").Scan(context.Background()); err != nil {
		t.Fatalf("the certificate of case %d: %v", caseID, err)
	}
	return *d.VerifyCode, d.Status
}

// A change registration of a social group through the API, on both databases: the form starts from
// the register; only the bound applicant may file it, for the right kind, and only once at a time; the
// case shows old → new; approval changes the register (the search finds the new name, the history
// keeps the old one), reissues the certificate and publishes the 变更公告; a second change supersedes
// the first change's certificate.
func TestOrgChangeThroughTheAPI(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		st := startSite(t, s)
		w := newChangeWorld(t, st)
		var c caseState

		stacktest.Step(&st.t, "prefill", func(t *testing.T) {
			var pre struct{ Data map[string]any }
			if code := st.api("GET", "/api/v1/catalog/"+sgChange+"/prefill?uscc="+strings.ToLower(w.group.USCC), w.clerk, nil, &pre); code != http.StatusOK {
				t.Fatalf("prefill: %d", code)
			}
			lr, _ := pre.Data["legal_representative"].(map[string]any)
			if pre.Data["uscc"] != w.group.USCC || pre.Data["name"] != "沈阳市围棋协会" || pre.Data["domicile"] != "沈阳市和平区南京北街1号" ||
				lr["name"] != "李明" || fmt.Sprint(pre.Data["funds"]) != "30000" || pre.Data["sponsor_unit"] != "沈阳市体育局" {
				t.Errorf("the prefill: %v", pre.Data)
			}
			for _, tc := range []struct {
				token, item, uscc string
				status            int
				field, code       string
			}{
				{w.other, sgChange, w.group.USCC, 422, "uscc", "not_bound"},
				{w.clerk, sgChange, w.foundation.USCC, 422, "uscc", "wrong_kind"},
				{w.clerk, sgChange, "", 422, "uscc", "required"},
				{w.clerk, sgItem, w.group.USCC, 404, "", "not_found"},
				{w.citizen, sgChange, w.group.USCC, 422, "uscc", "not_bound"},
			} {
				var e apiErr
				code := st.api("GET", "/api/v1/catalog/"+tc.item+"/prefill?uscc="+tc.uscc, tc.token, nil, &e)
				if code != tc.status || (tc.field != "" && !hasFieldError(e, tc.field, tc.code)) || (tc.field == "" && e.Error.Code != tc.code) {
					t.Errorf("prefill of %s for %s: %d %+v, want %d %s", tc.item, tc.uscc, code, e, tc.status, tc.code)
				}
			}
		})

		stacktest.Step(&st.t, "start", func(t *testing.T) {
			data := changeData(st, w, w.group.USCC, map[string]any{"name": "沈阳市围棋运动协会", "domicile": "沈阳市沈河区青年大街2号"})
			var e apiErr
			if code := st.api("POST", "/api/v1/cases", w.other, map[string]any{"item": sgChange, "jurisdiction": "210100", "data": data}, &e); code != 422 ||
				!hasFieldError(e, "uscc", "not_bound") {
				t.Errorf("another applicant filing the change: %d %+v", code, e)
			}
			c = st.startCase(w.clerk, sgChange, "210100", data)
			e = apiErr{}
			again := changeData(st, w, w.group.USCC, map[string]any{"name": "沈阳市棋类协会"})
			if code := st.api("POST", "/api/v1/cases", w.clerk, map[string]any{"item": sgChange, "jurisdiction": "210100", "data": again}, &e); code != 409 ||
				e.Error.Code != "case_open" || !hasFieldError(e, "uscc", "case_open") {
				t.Errorf("a second change while the first is open: %d %+v", code, e)
			}
			fdata := changeData(st, w, w.group.USCC, nil)
			fdata["uscc"] = w.foundation.USCC
			e = apiErr{}
			if code := st.api("POST", "/api/v1/cases", w.clerk, map[string]any{"item": sgChange, "jurisdiction": "210100", "data": fdata}, &e); code != 422 ||
				!hasFieldError(e, "uscc", "wrong_kind") {
				t.Errorf("a foundation's change on the social groups' item: %d %+v", code, e)
			}
		})

		stacktest.Step(&st.t, "case page shows old and new", func(t *testing.T) {
			br := st.browser()
			br.login("oc.clerk")
			status, page, _ := br.get(fmt.Sprintf("/cases/%d", c.ID))
			if status != http.StatusOK || !strings.Contains(page, "登记事项变更前后对照") || !strings.Contains(page, "沈阳市围棋协会") ||
				!strings.Contains(page, "<strong>沈阳市围棋运动协会</strong>") || !strings.Contains(page, "<strong>沈阳市沈河区青年大街2号</strong>") {
				t.Errorf("the case page: %d, without the particulars old → new", status)
			}
			status, page, _ = br.get("/catalog/" + sgChange + "/apply?uscc=" + w.group.USCC)
			if status != http.StatusOK || !strings.Contains(page, `value="沈阳市围棋协会"`) {
				t.Errorf("the application page does not start from the register: %d", status)
			}
			if !strings.Contains(page, `<option value="`+w.group.Jurisdiction+`" selected>`) {
				t.Errorf("the application page does not choose the organisation's registration authority %s", w.group.Jurisdiction)
			}
			status, page, _ = br.get("/account/organisations")
			if status != http.StatusOK || !strings.Contains(page, "/catalog/"+sgChange+"/apply?uscc="+w.group.USCC) ||
				!strings.Contains(page, "/catalog/foundation-change/apply?uscc="+w.foundation.USCC) ||
				strings.Contains(page, "/catalog/"+sgChange+"/apply?uscc="+w.foundation.USCC) {
				t.Errorf("My organisations does not link each organisation's procedures: %d", status)
			}
		})

		stacktest.Step(&st.t, "approved", func(t *testing.T) {
			c = approveChange(st, w, c, "沈民社变〔2026〕1号")
			o, err := register.ByUSCC(ctx, s.DB, w.group.USCC)
			if err != nil || o.Name != "沈阳市围棋运动协会" || o.Domicile != "沈阳市沈河区青年大街2号" || o.LegalRepresentative != "李明" {
				t.Fatalf("the register after the change: %+v %v", o, err)
			}
			var found struct{ Organisations []struct{ USCC string } }
			if code := st.api("GET", "/api/v1/register?q=围棋运动", "", nil, &found); code != 200 || len(found.Organisations) != 1 ||
				found.Organisations[0].USCC != w.group.USCC {
				t.Errorf("the register search for the new name: %d %+v", code, found)
			}
			var entry struct {
				History []register.Event
			}
			if code := st.api("GET", "/api/v1/register/"+w.group.USCC, "", nil, &entry); code != 200 {
				t.Fatalf("the register entry: %d", code)
			}
			last := entry.History[len(entry.History)-1]
			if last.Kind != register.EventChanged || last.Decision != "沈民社变〔2026〕1号" || len(last.Changes) != 2 ||
				last.Changes[0] != (register.Change{Particular: "name", Old: lang.Text{ZH: "沈阳市围棋协会", EN: "沈阳市围棋协会"},
					New: lang.Text{ZH: "沈阳市围棋运动协会", EN: "沈阳市围棋运动协会"}}) || last.Changes[1].Particular != "domicile" {
				t.Errorf("the history after the change: %+v", entry.History)
			}
			if _, status := certificateOf(t, st, c.ID); status != workflow.DocumentValid {
				t.Errorf("the reissued certificate is %s", status)
			}
			published, err := notices.ForOrganisation(ctx, s.DB, o)
			if err != nil || !slices.ContainsFunc(published, func(n notices.Notice) bool {
				return n.Kind == notices.KindChange && n.Title == "沈阳市围棋运动协会变更登记公告"
			}) {
				t.Fatalf("the organisation's notices: %+v %v", published, err)
			}
			_, page, _ := st.browser().get("/register/" + w.group.USCC)
			if !strings.Contains(page, "由“沈阳市围棋协会”变更为“沈阳市围棋运动协会”") || !strings.Contains(page, "变更登记公告") {
				t.Errorf("the register page shows neither the change nor its notice")
			}
		})

		stacktest.Step(&st.t, "second change supersedes the certificate", func(t *testing.T) {
			first, _ := certificateOf(t, st, c.ID)
			c2 := st.startCase(w.clerk, sgChange, "210100", changeData(st, w, w.group.USCC,
				map[string]any{"legal_representative": map[string]any{"name": "王强", "id_number": residentID(t, 903)}}))
			c2 = approveChange(st, w, c2, "沈民社变〔2026〕2号")
			var v struct {
				Status       string
				SupersededBy string `json:"superseded_by"`
			}
			if code := st.api("GET", "/api/v1/verify/"+first, "", nil, &v); code != 200 || v.Status != workflow.DocumentSuperseded || v.SupersededBy == "" {
				t.Errorf("the first certificate after the second change: %d %+v", code, v)
			}
			if _, status := certificateOf(t, st, c2.ID); status != workflow.DocumentValid {
				t.Errorf("the second certificate is %s", status)
			}
			o, _ := register.ByUSCC(ctx, s.DB, w.group.USCC)
			if o.LegalRepresentative != "王强" || o.Name != "沈阳市围棋运动协会" {
				t.Errorf("after the second change: %+v", o)
			}
		})
	})
}

// A foundation's change, on both databases: handled by the province only, it reissues the
// foundation's own certificate; a change that changes nothing is refused at the decision.
func TestOrgChangeOfAFoundation(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		st := startSite(t, s)
		w := newChangeWorld(t, st)
		st.user("oc.p.acceptor", "acceptor@210000")
		st.user("oc.p.reviewer", "reviewer@210000")
		st.user("oc.p.approver", "approver@210000")
		w.acc, w.rev, w.apr = st.token("oc.p.acceptor"), st.token("oc.p.reviewer"), st.token("oc.p.approver")
		const item = "foundation-change"
		var pre struct{ Data map[string]any }
		if code := st.api("GET", "/api/v1/catalog/"+item+"/prefill?uscc="+w.foundation.USCC, w.clerk, nil, &pre); code != http.StatusOK {
			t.Fatalf("prefill: %d", code)
		}
		up := st.uploadAll(w.clerk, item, "application_letter", "resolution")
		data := pre.Data
		data["business_scope"], data["funds"], data["reason"] = "资助家庭困难学生。", "4000000", "理事会决议增加原始基金。"
		data["resolved_on"] = time.Now().In(calendar.Zone).AddDate(0, 0, -1).Format(time.DateOnly)
		data["application_letter"], data["resolution"] = []int64{up["application_letter"]}, []int64{up["resolution"]}
		var e apiErr
		if code := st.api("POST", "/api/v1/cases", w.clerk, map[string]any{"item": item, "jurisdiction": "210100", "data": data}, &e); code != 422 ||
			!hasFieldError(e, "jurisdiction", "level_not_handled") {
			t.Errorf("a foundation's change filed with a city: %d %+v", code, e)
		}
		c := st.startCase(w.clerk, item, "210000", data)
		c = approveChange(st, w, c, "辽民基变〔2026〕1号")
		var d workflow.Document
		if err := s.DB.NewSelect().Model(&d).Where("case_id = ? AND kind = ?", c.ID, "foundation_registration_certificate").Scan(ctx); err != nil ||
			d.Status != workflow.DocumentValid || d.OrganisationID == nil || *d.OrganisationID != w.foundation.ID || d.Holder != "辽宁省助学基金会" {
			t.Fatalf("the foundation's certificate: %+v %v", d, err)
		}
		o, _ := register.ByUSCC(ctx, s.DB, w.foundation.USCC)
		if p := o.Particulars(); p.Funds.ZH != "400万元" || p.BusinessScope.ZH != "资助家庭困难学生。" {
			t.Errorf("the foundation's particulars after the change: %+v", p)
		}

		// The same particulars again: nothing to change, refused at the decision.
		same := st.startCase(w.clerk, item, "210000", changeDataFor(st, w, item, w.foundation.USCC, nil))
		same = st.step(w.acc, same, "accept", "review", nil)
		same = st.step(w.rev, same, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "无变更。"}})
		e = apiErr{}
		if code := st.act(w.apr, same.ID, map[string]any{"action": "approve", "expected_version": same.Version,
			"fields": map[string]any{"decision_number": "辽民基变〔2026〕2号"}}, &e); code != http.StatusConflict || e.Error.Code != "nothing_changed" {
			t.Errorf("approving a change of nothing: %d %+v", code, e)
		}
	})
}

// Applications racing for the same procedure about the same organisation: exactly one starts, the
// others are told the organisation has one open, on both databases.
func TestOrgChangeOpenCaseRace(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		w := newChangeWorld(t, st)
		const n = 4
		datas := make([]map[string]any, n)
		for i := range datas {
			datas[i] = changeData(st, w, w.group.USCC, map[string]any{"name": fmt.Sprintf("沈阳市围棋协会%d", i)})
		}
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				codes[i] = st.api("POST", "/api/v1/cases", w.clerk, map[string]any{"item": sgChange, "jurisdiction": "210100", "data": datas[i]}, nil)
			})
		}
		wg.Wait()
		started, refused := 0, 0
		for _, code := range codes {
			switch code {
			case http.StatusCreated:
				started++
			case http.StatusConflict:
				refused++
			}
		}
		if started != 1 || refused != n-1 {
			t.Errorf("racing applications answered %v, want one 201 and 409s", codes)
		}
	})
}

// orgChangeContract exercises, for TestAPIAnswersAsDocumented, the start of an application about an
// organisation and the refusal of a second one while the first is open.
func orgChangeContract(t *testing.T, k *contract, st *site) {
	t.Helper()
	w := newChangeWorld(t, st)
	path := "/api/v1/catalog/" + sgChange + "/prefill?uscc="
	k.do(call{method: "GET", path: path + w.group.USCC, token: w.clerk, valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: path + w.group.USCC, token: w.other, valid: true}, http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "GET", path: path + w.foundation.USCC, token: w.clerk, valid: true}, http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "GET", path: "/api/v1/catalog/" + sgItem + "/prefill?uscc=" + w.group.USCC, token: w.clerk, valid: true},
		http.StatusNotFound, "not_found")
	k.fails(call{method: "GET", path: path + w.group.USCC}, http.StatusUnauthorized, "login_required")
	start := func() call {
		return call{method: "POST", path: "/api/v1/cases", token: w.clerk, valid: true,
			body: map[string]any{"item": sgChange, "jurisdiction": "210100", "data": changeData(st, w, w.group.USCC, map[string]any{"name": "沈阳市围棋运动协会"})}}
	}
	var started struct{ ID int64 }
	k.do(call{method: "POST", path: "/api/v1/cases", token: w.clerk, valid: true, out: &started,
		body: map[string]any{"item": sgChange, "jurisdiction": "210100", "data": changeData(st, w, w.group.USCC, map[string]any{"name": "沈阳市围棋运动协会"})}},
		http.StatusCreated)
	k.fails(start(), http.StatusConflict, "case_open")
	var view struct{ Changes []register.Change }
	k.do(call{method: "GET", path: fmt.Sprintf("/api/v1/cases/%d", started.ID), token: w.clerk, valid: true, out: &view}, http.StatusOK)
	if len(view.Changes) == 0 || view.Changes[0].Particular != "name" || view.Changes[0].New.ZH != "沈阳市围棋运动协会" {
		t.Errorf("the case's changes in the API: %+v", view.Changes)
	}
}
