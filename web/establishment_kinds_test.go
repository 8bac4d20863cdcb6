package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/stacktest"
)

// The built-in items of part est_: the establishment of the two other kinds of social organisation.
const (
	pneItem        = "private-non-enterprise-establishment"
	foundationItem = "foundation-establishment"
)

var (
	pneSlots        = []string{"application_letter", "sponsor_approval", "premises_proof", "capital_verification", "leaders_details", "draft_articles"}
	foundationSlots = []string{"application_letter", "draft_articles", "capital_verification", "domicile_proof", "directors_details", "sponsor_consent"}
)

// pneData is a valid application for a private non-enterprise unit in Shenyang, with the uploads by
// slot and its start-up funds in yuan.
func pneData(t testing.TB, name, funds string, uploads map[string]int64) map[string]any {
	data := map[string]any{
		"name": name, "domicile": "沈阳市和平区南京北街2号", "business_scope": "为社区老年人提供日间照料和康复服务。",
		"funds": funds, "staff": 12, "sponsor_unit": "沈阳市民政局",
		"legal_representative": map[string]any{"name": "李娜", "id_number": residentID(t, 911), "phone": "13912345679"},
		"leaders":              []any{map[string]any{"name": "李娜", "id_number": residentID(t, 911), "position": "理事长"}},
	}
	for slot, id := range uploads {
		data[slot] = []int64{id}
	}
	return data
}

// foundationData is a valid application for a foundation of the kind (local_public, non_public) with
// its original fund in yuan, five directors and the uploads by slot.
func foundationData(t testing.TB, name, kind, funds string, uploads map[string]int64) map[string]any {
	directors := make([]any, 5)
	for i := range directors {
		directors[i] = map[string]any{"name": fmt.Sprintf("理事%d", i+1), "id_number": residentID(t, 920+i), "position": "理事"}
	}
	data := map[string]any{
		"name": name, "foundation_type": kind, "domicile": "沈阳市沈河区市府大路3号", "business_scope": "资助贫困学生完成学业。",
		"funds": funds, "fund_paid_in": true, "sponsor_unit": "辽宁省教育厅", "directors": directors,
		"legal_representative": map[string]any{"name": "理事1", "id_number": residentID(t, 920), "phone": "13912345670"},
	}
	for slot, id := range uploads {
		data[slot] = []int64{id}
	}
	return data
}

// startRefused posts an application that must be refused with 422 and a field error code on path.
func (st *site) startRefused(token, item, jurisdiction string, data map[string]any, path, code string) {
	st.t.Helper()
	var e apiErr
	if got := st.api("POST", "/api/v1/cases", token, map[string]any{"item": item, "jurisdiction": jurisdiction, "data": data}, &e); got != http.StatusUnprocessableEntity || !hasFieldError(e, path, code) {
		st.t.Fatalf("%s in %s: %d %+v, want 422 with %s on %s", item, jurisdiction, got, e, code, path)
	}
}

// registered checks that a case the approver registered entered its organisation of the kind in the
// public register (credit code of the kind's type digit), whose page names its funds as the kind
// calls them, and issued the kind's certificate.
func (st *site) registered(token string, id int64, kind, typeDigits, certificate, funds string) {
	st.t.Helper()
	v := st.getCase(token, id)
	uscc, _ := v.Case.Fields["uscc"].(string)
	if !strings.HasPrefix(uscc, typeDigits) {
		st.t.Fatalf("the credit code %q is not of a %s (%s…)", uscc, kind, typeDigits)
	}
	var org struct{ Kind, Status string }
	if code := st.api("GET", "/api/v1/register/"+uscc, "", nil, &org); code != http.StatusOK || org.Kind != kind || org.Status != "active" {
		st.t.Fatalf("the register's entry %s: %d %+v", uscc, code, org)
	}
	if code, page, _ := st.browser().get("/register/" + uscc); code != http.StatusOK || !strings.Contains(page, funds) || strings.Contains(page, "注册资金") {
		st.t.Fatalf("the register's page of %s: %d, want its funds as %s", uscc, code, funds)
	}
	issued := false
	for _, d := range v.Documents {
		issued = issued || (d.Kind == certificate && d.Status == "valid")
	}
	if !issued {
		st.t.Fatalf("no valid %s among %+v", certificate, v.Documents)
	}
}

// A private non-enterprise unit is registered through the API: the start-up funds below the
// province's minimum are refused on their field; acceptance, review and approval enter a 民非 (52…)
// in the register with its 民办非企业单位（法人）登记证书.
func TestPrivateNonEnterpriseEstablishmentThroughTheAPI(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("pne.applicant", "org_applicant")
		st.user("pne.acceptor", "acceptor@2101*")
		st.user("pne.reviewer", "reviewer@2101*")
		st.user("pne.approver", "approver@2101*")
		applicant := st.token("pne.applicant")
		uploads := st.uploadAll(applicant, pneItem, pneSlots...)
		st.startRefused(applicant, pneItem, "210100", pneData(t, "沈阳市和平区康乐养老服务中心", "20000", uploads), "funds", "rule")
		st.startRefused(applicant, pneItem, "210100", pneData(t, "中华康乐养老服务中心", "50000", uploads), "name", "rule")

		c := st.startCase(applicant, pneItem, "210100", pneData(t, "沈阳市和平区康乐养老服务中心", "50000", uploads))
		if c.State != "acceptance" {
			t.Fatalf("started in %s", c.State)
		}
		c = st.step(st.token("pne.acceptor"), c, "accept", "review", nil)
		c = st.step(st.token("pne.reviewer"), c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "符合登记条件。"}})
		st.step(st.token("pne.approver"), c, "approve", "registered", map[string]any{"fields": map[string]any{"decision_number": "沈民非登〔2026〕1号"}})
		st.registered(applicant, c.ID, "private_non_enterprise", "52", "pne_registration_certificate", "开办资金")
	})
}

// A foundation is registered by the province only: a city is refused on the jurisdiction, and an
// original fund below its kind's minimum on the funds. Not answered within 5 working days, the
// application is deemed accepted by its timer (行政许可法 art. 32), from the day it arrived, as the
// progress lookup tells; approval enters a foundation (53…) with its 基金会法人登记证书.
func TestFoundationEstablishmentThroughTheAPI(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("fd.applicant", "org_applicant")
		st.user("fd.reviewer", "reviewer@210000")
		st.user("fd.approver", "approver@210000")
		applicant := st.token("fd.applicant")
		uploads := st.uploadAll(applicant, foundationItem, foundationSlots...)
		const name = "辽宁省助学基金会"
		st.startRefused(applicant, foundationItem, "210100", foundationData(t, name, "non_public", "2000000", uploads), "jurisdiction", "level_not_handled")
		st.startRefused(applicant, foundationItem, "210000", foundationData(t, name, "local_public", "3000000", uploads), "funds", "rule")

		c := st.startCase(applicant, foundationItem, "210000", foundationData(t, name, "local_public", "4000000", uploads))
		ctx := context.Background()
		if n, err := st.engine.FireDueTimers(ctx, time.Now().AddDate(0, 0, 2)); err != nil || n != 0 {
			t.Fatalf("a timer fired within 5 working days: %d %v", n, err)
		}
		if n, err := st.engine.FireDueTimers(ctx, time.Now().AddDate(0, 0, 20)); err != nil || n != 1 {
			t.Fatalf("after 20 days: fired %d, %v", n, err)
		}
		v := st.getCase(applicant, c.ID)
		if v.Case.State != "review" || v.Events[len(v.Events)-1].Action != "deem_accepted" {
			t.Fatalf("after the acceptance limit: state %s, events %+v", v.Case.State, v.Events)
		}
		var qc struct {
			Case struct {
				QueryCode string `json:"query_code"`
			}
		}
		st.api("GET", fmt.Sprintf("/api/v1/cases/%d", c.ID), applicant, nil, &qc)
		var p struct{ Received, Accepted string }
		if code := st.api("GET", "/api/v1/progress?number="+c.Number+"&code="+qc.Case.QueryCode, "", nil, &p); code != http.StatusOK ||
			p.Accepted == "" || p.Accepted != p.Received {
			t.Fatalf("the progress lookup: %d %+v, want accepted on the day received", code, p)
		}
		var outbox int
		if err := s.DB.NewSelect().TableExpr("outbox").ColumnExpr("count(*)").Where("template = 'case_deemed_accepted'").Scan(ctx, &outbox); err != nil || outbox != 1 {
			t.Fatalf("the applicant was not told once: %d %v", outbox, err)
		}

		c = caseState{ID: v.Case.ID, Number: v.Case.Number, State: v.Case.State, Version: v.Case.Version}
		c = st.step(st.token("fd.reviewer"), c, "propose", "decision", map[string]any{"fields": map[string]any{"opinion": "符合设立条件。"}})
		st.step(st.token("fd.approver"), c, "approve", "registered", map[string]any{"fields": map[string]any{"decision_number": "辽民基登〔2026〕1号"}})
		st.registered(applicant, c.ID, "foundation", "53", "foundation_registration_certificate", "原始基金")
	})
}
