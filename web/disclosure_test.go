package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

const drItem = "information-disclosure"

// drPerson is an online request of a natural person for information of Shenyang's bureau.
func drPerson(t testing.TB, n int) map[string]any {
	return map[string]any{"applicant_type": "natural", "name": "王晓明", "id_number": residentID(t, n), "mobile": "13912345678",
		"address": "沈阳市和平区南京北街1号 110001", "description": "2025年度本市社会团体年检结果汇总表。",
		"delivery_form": "electronic", "delivery_method": "online"}
}

// drOrganisation is a request of a business, as the office enters it from a letter.
func drOrganisation(t testing.TB) map[string]any {
	return map[string]any{"applicant_type": "business", "name": "沈阳市某某咨询有限公司", "credit_code": drUSCC(t, 7),
		"legal_representative": "李强", "mobile": "13812345678", "address": "沈阳市沈河区青年大街2号 110013",
		"description": "本局2025年行政处罚决定书（沈民罚〔2025〕3号）。", "document_number": "沈民罚〔2025〕3号",
		"delivery_form": "paper", "delivery_method": "post"}
}

// drUSCC is a valid unified social credit code of a company in Shenyang.
func drUSCC(t testing.TB, n int) string {
	t.Helper()
	body := fmt.Sprintf("MA%06d", n)
	org, err := forms.OrgCodeCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	first := "91210100" + body + string(org)
	check, err := forms.USCCCheckChar(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(check)
}

// drRow reads the report's record of the request of the case.
func drRow(t testing.TB, st *site, caseID int64) disclosure.Request {
	t.Helper()
	var r disclosure.Request
	if err := st.stack.DB.NewSelect().Model(&r).Where("case_id = ?", caseID).Scan(context.Background()); err != nil {
		t.Fatalf("the disclosure request of case %d: %v", caseID, err)
	}
	return r
}

// drClock reads the reply clock of the case that is not stopped.
func drClock(t testing.TB, st *site, caseID int64) workflow.CaseClock {
	t.Helper()
	var k workflow.CaseClock
	err := st.stack.DB.NewSelect().Model(&k).Where("case_id = ? AND clock = ? AND status <> 'stopped'", caseID, disclosure.ReplyClock).
		Scan(context.Background())
	if err != nil {
		t.Fatalf("the reply clock of case %d: %v", caseID, err)
	}
	return k
}

// drDue is the day n working days after day in Shenyang.
func drDue(t testing.TB, st *site, day calendar.Date, n int) string {
	t.Helper()
	s, err := calendar.New(st.stack.DB).For(context.Background(), "210100")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.Due(day, n, "working_days")
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// uploadToCase uploads a PDF for the material slot of the case, as staff attach a file to an action.
func (st *site) uploadToCase(token string, caseID int64, slot string) (int, int64) {
	st.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("slot", slot)
	fw, _ := w.CreateFormFile("file", "information.pdf")
	fmt.Fprintf(fw, "%%PDF-1.4\n%% information %d\n%%%%EOF\n", time.Now().UnixNano())
	_ = w.Close()
	req, _ := http.NewRequest("POST", st.base+"/api/v1/cases/"+strconv.FormatInt(caseID, 10)+"/materials", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		st.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct{ ID int64 }
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m.ID
}

// actErr takes an action that must be refused with status and code.
func (st *site) actErr(token string, c caseState, req map[string]any, status int, code string) {
	st.t.Helper()
	req["expected_version"] = c.Version
	var e apiErr
	if got := st.act(token, c.ID, req, &e); got != status || e.Error.Code != code {
		st.t.Fatalf("%v: %d %s %+v, want %d %s", req["action"], got, e.Error.Code, e.Error.Fields, status, code)
	}
}

// The done-when of 依申请公开 through the API: a request filed online is corrected after a 补正 notice
// (the reply period then runs again in full from the corrected request), extended once by the head of
// the disclosure office alone and by at most 20 working days, put to a third party that objects (no
// disclosure before the third party was told in writing), charged a fee that stops the clock until it
// is paid, and answered with a reply letter and the information attached; the report's record follows.
func TestDisclosureRequestWholePath(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("dr.citizen", "citizen")
		st.user("dr.other", "citizen")
		st.user("dr.officer", "disclosure_officer@2101*")
		st.user("dr.head", "disclosure_head@2101*")
		citizen, officer, head := st.token("dr.citizen"), st.token("dr.officer"), st.token("dr.head")
		ctx := context.Background()

		// Bad input: a person without an identity number, an organisation without its code.
		bad := drPerson(t, 1)
		delete(bad, "id_number")
		bad["delivery_method"] = "email"
		var e apiErr
		if code := st.api("POST", "/api/v1/cases", citizen, map[string]any{"item": drItem, "jurisdiction": "210100", "data": bad}, &e); code != http.StatusUnprocessableEntity {
			t.Fatalf("a request without an identity number: %d", code)
		}
		paths := map[string]bool{}
		for _, f := range e.Error.Fields {
			paths[f.Path] = true
		}
		if !paths["id_number"] || !paths["email"] {
			t.Fatalf("errors of a bad request: %+v", e.Error.Fields)
		}

		c := st.startCase(citizen, drItem, "210100", drPerson(t, 1))
		received := calendar.DateOf(st.clock.Now())
		r := drRow(t, st, c.ID)
		if r.Channel != "online" || r.ReceivedOn != received.String() || r.ApplicantType != "natural" || r.ApplicantKey != residentID(t, 1) || r.ClosedOn != nil {
			t.Fatalf("the record of an online request: %+v", r)
		}
		if k := drClock(t, st, c.ID); k.StatutoryDue != drDue(t, st, received, 20) {
			t.Fatalf("reply due %s, want 20 working days from %s", k.StatutoryDue, received)
		}

		// 补正: one notice listing everything; a second notice is not offered.
		c = st.step(officer, c, "request_supplement", "supplement", map[string]any{"items": []string{"description"}, "comment": "请写明所需信息的年度和范围。"})
		if k := drClock(t, st, c.ID); k.Status != workflow.ClockPaused {
			t.Fatalf("the reply clock during 补正: %+v", k)
		}
		st.clock.AddDate(0, 0, 5)
		corrected := drPerson(t, 1)
		corrected["description"] = "2025年度沈阳市社会团体年检结果汇总表（市级社会团体）。"
		c = st.step(citizen, c, "resubmit", "received", map[string]any{"data": corrected})
		restart := calendar.DateOf(st.clock.Now())
		if k := drClock(t, st, c.ID); k.Status != workflow.ClockRunning || k.StatutoryDue != drDue(t, st, restart, 20) {
			t.Fatalf("the reply clock after the correction: %+v, want 20 working days from %s", k, restart)
		}
		if v := st.getCase(officer, c.ID); contains(v.allowed(), "request_supplement") {
			t.Fatalf("a second 补正 notice is offered: %v", v.allowed())
		}
		c = st.step(officer, c, "register", "review", nil)

		// The extension: the head alone, once, at most 20 working days.
		st.actErr(officer, c, map[string]any{"action": "extend", "fields": map[string]any{"days": 10, "reason": "信息量大，需要汇总。"}}, http.StatusForbidden, "forbidden")
		st.actErr(head, c, map[string]any{"action": "extend", "fields": map[string]any{"days": 21, "reason": "信息量大，需要汇总。"}}, http.StatusUnprocessableEntity, "invalid_input")
		before := drClock(t, st, c.ID)
		c = st.step(head, c, "extend", "review", map[string]any{"fields": map[string]any{"days": 20, "reason": "信息量大，需要汇总。"}})
		due, _ := calendar.ParseDate(before.StatutoryDue)
		if k := drClock(t, st, c.ID); k.StatutoryDue != drDue(t, st, due, 20) || k.ExtendedDays != 20 {
			t.Fatalf("the reply clock after the extension: %+v, was due %s", k, before.StatutoryDue)
		}
		st.actErr(head, c, map[string]any{"action": "extend", "fields": map[string]any{"days": 1, "reason": "再延长。"}}, http.StatusConflict, "extensions_used")

		// A third party objects: nothing is disclosed before it is told in writing.
		c = st.step(officer, c, "consult", "consultation", map[string]any{"fields": map[string]any{"third_party_name": "沈阳市某协会"}})
		if k := drClock(t, st, c.ID); k.Status != workflow.ClockPaused {
			t.Fatalf("the reply clock during the consultation: %+v", k)
		}
		c = st.step(officer, c, "record_third_party", "review", map[string]any{"fields": map[string]any{"third_party_opinion": "objects", "third_party_reasons": "涉及商业秘密。"}})
		st.actErr(officer, c, map[string]any{"action": "reply", "fields": map[string]any{"outcome": "disclosed", "reply_text": "予以公开。"}}, http.StatusConflict, "third_party_not_told")
		c = st.step(officer, c, "notify_third_party", "review", map[string]any{"fields": map[string]any{"disclosure_grounds": "汇总表不含商业秘密，公开有利于社会监督。"}})

		// The fee: per page, 50 pages (20 pages at 10 yuan); the clock stands still until it is paid.
		c = st.step(officer, c, "fee_notice", "fee_pending", map[string]any{"fields": map[string]any{"fee_method": "per_page", "pages": 50}})
		if c.Fields["fee_yuan"] != "200" {
			t.Fatalf("fee: %v", c.Fields)
		}
		paused := drClock(t, st, c.ID)
		if paused.Status != workflow.ClockPaused {
			t.Fatalf("the reply clock while the fee waits: %+v", paused)
		}
		c = st.step(officer, c, "paid", "review", map[string]any{"fields": map[string]any{"payment_reference": "ZF2026-0001"}})
		if k := drClock(t, st, c.ID); k.Status != workflow.ClockRunning || k.StatutoryDue != paused.StatutoryDue {
			t.Fatalf("the reply clock after the payment the same day: %+v, was due %s", k, paused.StatutoryDue)
		}

		// The reply, with the information attached by the officer.
		if code, _ := st.uploadToCase(st.token("dr.other"), c.ID, "information"); code != http.StatusNotFound {
			t.Fatalf("another citizen uploads to the case: %d", code)
		}
		if code, _ := st.uploadToCase(citizen, c.ID, "information"); code != http.StatusConflict {
			t.Fatalf("the applicant uploads the information: %d", code)
		}
		code, info := st.uploadToCase(officer, c.ID, "information")
		if code != http.StatusCreated || info <= 0 {
			t.Fatalf("the officer uploads the information: %d", code)
		}
		st.actErr(officer, c, map[string]any{"action": "reply", "fields": map[string]any{"outcome": "partial", "reply_text": "部分公开。"}},
			http.StatusUnprocessableEntity, "invalid_input")
		c = st.step(officer, c, "reply", "disclosed", map[string]any{"fields": map[string]any{"outcome": "partial",
			"reply_text": "现将汇总表提供给你，见附件。", "withheld_reason": "其中个人信息部分不予公开。", "information": []int64{info}}})

		r = drRow(t, st, c.ID)
		today := calendar.DateOf(st.clock.Now()).String()
		if r.Outcome != "partial" || r.ClosedOn == nil || *r.ClosedOn != today || r.ReceivedOn != received.String() {
			t.Fatalf("the record once answered: %+v", r)
		}
		v := st.getCase(citizen, c.ID)
		kinds := map[string]int64{}
		for _, d := range v.Documents {
			kinds[d.Kind] = d.ID
		}
		for _, k := range []string{"disclosure_supplement_notice", "disclosure_extension_notice", "disclosure_objection_notice",
			"disclosure_fee_notice", "disclosure_reply"} {
			if kinds[k] == 0 {
				t.Errorf("no %s among the applicant's documents: %v", k, kinds)
			}
		}
		for _, path := range []string{"/api/v1/documents/" + strconv.FormatInt(kinds["disclosure_reply"], 10), "/api/v1/materials/" + strconv.FormatInt(info, 10)} {
			if code := st.api("GET", path, citizen, nil, nil); code != http.StatusOK {
				t.Errorf("the applicant downloads %s: %d", path, code)
			}
			if code := st.api("GET", path, st.token("dr.other"), nil, nil); code != http.StatusNotFound {
				t.Errorf("another citizen downloads %s: %d", path, code)
			}
		}
		// The case page shows the applicant the letter and the attachment.
		b := st.browser()
		b.login("dr.citizen")
		if code, body, _ := b.get("/cases/" + strconv.FormatInt(c.ID, 10)); code != http.StatusOK ||
			!strings.Contains(body, "/materials/"+strconv.FormatInt(info, 10)) || !strings.Contains(body, "/documents/"+strconv.FormatInt(kinds["disclosure_reply"], 10)) {
			t.Fatalf("the applicant's case page: %d", code)
		}
		_ = ctx
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// An unanswered 补正 notice ends the request by its timer (deemed abandoned); an unpaid fee ends it too;
// the fee per request counts the applicant's requests of the month, and a request that costs nothing
// gets no fee notice.
func TestDisclosureRequestEndsByTimers(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("dr.citizen", "citizen")
		st.user("dr.officer", "disclosure_officer@2101*")
		citizen, officer := st.token("dr.citizen"), st.token("dr.officer")
		ctx := context.Background()

		a := st.startCase(citizen, drItem, "210100", drPerson(t, 2))
		a = st.step(officer, a, "request_supplement", "supplement", map[string]any{"items": []string{"description"}, "comment": "内容不明确。"})
		if n, err := st.engine.FireDueTimers(ctx, st.clock.Now().AddDate(0, 0, 10)); err != nil || n != 0 {
			t.Fatalf("a timer fired after 10 days: %d %v", n, err)
		}
		if n, err := st.engine.FireDueTimers(ctx, st.clock.Now().AddDate(0, 0, 40)); err != nil || n != 1 {
			t.Fatalf("after 40 days: %d %v", n, err)
		}
		if v := st.getCase(citizen, a.ID); v.Case.State != "not_corrected" {
			t.Fatalf("state: %s", v.Case.State)
		}
		if r := drRow(t, st, a.ID); r.Outcome != "other.not_corrected" || r.ClosedOn == nil {
			t.Fatalf("the record of a request not corrected: %+v", r)
		}

		// Ten requests of the same person this month are free; the eleventh costs 100 yuan.
		var last caseState
		for i := 0; i < 10; i++ {
			last = st.startCase(citizen, drItem, "210100", drPerson(t, 3))
		}
		last = st.step(officer, last, "register", "review", nil)
		st.actErr(officer, last, map[string]any{"action": "fee_notice", "fields": map[string]any{"fee_method": "per_request"}}, http.StatusConflict, "no_fee")
		st.actErr(officer, last, map[string]any{"action": "fee_notice", "fields": map[string]any{"fee_method": "per_page"}}, http.StatusUnprocessableEntity, "invalid_input")
		b := st.startCase(citizen, drItem, "210100", drPerson(t, 3))
		b = st.step(officer, b, "register", "review", nil)
		b = st.step(officer, b, "fee_notice", "fee_pending", map[string]any{"fields": map[string]any{"fee_method": "per_request"}})
		if b.Fields["fee_yuan"] != "100" {
			t.Fatalf("the fee of the eleventh request: %v", b.Fields)
		}
		if n, err := st.engine.FireDueTimers(ctx, st.clock.Now().AddDate(0, 0, 60)); err != nil || n != 1 {
			t.Fatalf("after 60 days: %d %v", n, err)
		}
		if v := st.getCase(citizen, b.ID); v.Case.State != "fee_unpaid" {
			t.Fatalf("state: %s", v.Case.State)
		}
		if r := drRow(t, st, b.ID); r.Outcome != "other.fee_unpaid" || r.ClosedOn == nil {
			t.Fatalf("the record of an unpaid request: %+v", r)
		}
	})
}

// The office enters a request received by post with the day it signed for it: the reply period counts
// from that day, not the day of entry; the request has no applicant account; a day in the future or
// long ago, someone without the entry's role and an office of another city are refused.
func TestDisclosureEntryOfARequestByPost(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("dr.citizen", "citizen")
		st.user("dr.officer", "disclosure_officer@2101*")
		st.user("dr.dalian", "disclosure_officer@2102*")
		st.user("dr.head", "disclosure_head@2101*")
		officer := st.token("dr.officer")
		today := calendar.DateOf(st.clock.Now())
		signed := today.AddDays(-6)
		enter := func(token string, entry map[string]any) (int, apiErr, caseState) {
			var raw json.RawMessage
			code := st.api("POST", "/api/v1/disclosure/requests", token, map[string]any{"jurisdiction": "210100", "data": drOrganisation(t), "entry": entry}, &raw)
			var e apiErr
			var c caseState
			_ = json.Unmarshal(raw, &e)
			_ = json.Unmarshal(raw, &c)
			return code, e, c
		}
		for _, tc := range []struct {
			day  string
			code string
		}{{today.AddDays(1).String(), "in_future"}, {today.AddDays(-61).String(), "too_old"}} {
			code, e, _ := enter(officer, map[string]any{"channel": "post", "received_on": tc.day})
			if code != http.StatusUnprocessableEntity || len(e.Error.Fields) != 1 || e.Error.Fields[0].Path != "entry.received_on" || e.Error.Fields[0].Code != tc.code {
				t.Fatalf("received on %s: %d %+v", tc.day, code, e.Error.Fields)
			}
		}
		if code, _, _ := enter(st.token("dr.citizen"), map[string]any{"channel": "post", "received_on": signed.String()}); code != http.StatusForbidden {
			t.Fatalf("a citizen enters a request: %d", code)
		}
		if code, _, _ := enter(st.token("dr.dalian"), map[string]any{"channel": "post", "received_on": signed.String()}); code != http.StatusForbidden {
			t.Fatalf("Dalian's officer enters a request for Shenyang: %d", code)
		}
		if code, _, _ := enter(st.token("dr.head"), map[string]any{"channel": "post", "received_on": signed.String()}); code != http.StatusForbidden {
			t.Fatalf("the head enters a request: %d", code)
		}
		code, e, c := enter(officer, map[string]any{"channel": "post", "received_on": signed.String()})
		if code != http.StatusCreated {
			t.Fatalf("entering a request by post: %d %+v", code, e)
		}
		r := drRow(t, st, c.ID)
		if r.Channel != "post" || r.ReceivedOn != signed.String() || r.ApplicantType != "business" || r.ApplicantKey != drUSCC(t, 7) {
			t.Fatalf("the record of a request by post: %+v", r)
		}
		k := drClock(t, st, c.ID)
		if k.StartedOn != signed.String() || k.StatutoryDue != drDue(t, st, signed, 20) {
			t.Fatalf("the reply clock of a request by post: %+v, want 20 working days from %s", k, signed)
		}
		var cs workflow.Case
		if err := s.DB.NewSelect().Model(&cs).Where("id = ?", c.ID).Scan(context.Background()); err != nil || cs.ApplicantID != workflow.NoApplicant {
			t.Fatalf("the applicant of an entered request: %d %v", cs.ApplicantID, err)
		}
		var list struct{ Requests []disclosure.OpenRequest }
		if code := st.api("GET", "/api/v1/disclosure/requests", officer, nil, &list); code != http.StatusOK || len(list.Requests) != 1 ||
			list.Requests[0].CaseID != c.ID || list.Requests[0].StatutoryDue != k.StatutoryDue {
			t.Fatalf("the open requests: %d %+v", code, list)
		}
		if code := st.api("GET", "/api/v1/disclosure/requests", st.token("dr.dalian"), &list, nil); code != http.StatusOK {
			t.Fatalf("Dalian's list: %d", code)
		}
		var dalian struct{ Requests []disclosure.OpenRequest }
		st.api("GET", "/api/v1/disclosure/requests", st.token("dr.dalian"), nil, &dalian)
		if len(dalian.Requests) != 0 {
			t.Fatalf("Dalian's officer sees Shenyang's requests: %+v", dalian.Requests)
		}
		if code := st.api("GET", "/api/v1/disclosure/requests", st.token("dr.citizen"), nil, nil); code != http.StatusForbidden {
			t.Fatalf("a citizen lists the requests: %d", code)
		}

		// A 补正 notice by post, answered by post: the officer records the correction; the notice is
		// closed and the reply period runs again in full from that day.
		c = st.step(officer, c, "request_supplement", "supplement", map[string]any{"items": []string{"description"}, "comment": "请写明文件年度。"})
		st.clock.AddDate(0, 0, 3)
		c = st.step(officer, c, "record_correction", "received", map[string]any{"fields": map[string]any{"correction": "来函补正：2025年度。"}})
		if v := st.getCase(officer, c.ID); v.Case.Supplement != nil {
			t.Fatalf("the 补正 notice stays open after the correction was recorded: %+v", v.Case.Supplement)
		}
		if k = drClock(t, st, c.ID); k.StatutoryDue != drDue(t, st, calendar.DateOf(st.clock.Now()), 20) {
			t.Fatalf("the reply clock after a correction by post: %+v", k)
		}

		// The office's page: the request listed, then one entered through the form.
		br := st.browser()
		br.login("dr.officer")
		code, body, token := br.get("/disclosure")
		if code != http.StatusOK || !strings.Contains(body, c.Number) || !strings.Contains(body, k.StatutoryDue) {
			t.Fatalf("the office's page: %d", code)
		}
		form := url.Values{"_csrf": {token}, "jurisdiction": {"210100"}, "channel": {"in_person"}, "received_on": {today.String()}}
		for k, v := range drPerson(t, 9) {
			form.Set(k, v.(string))
		}
		form.Set("id_number", "")
		resp, body := br.post("/disclosure/requests", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "以自然人名义申请的，请填写居民身份证号码") || !strings.Contains(body, "王晓明") {
			t.Fatalf("an entry without an identity number: %d", resp.StatusCode)
		}
		form.Set("id_number", residentID(t, 9))
		if resp, body = br.post("/disclosure/requests", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("an entry through the page: %d %s", resp.StatusCode, body)
		}
		if code, _, _ := br.get(resp.Header.Get("Location")); code != http.StatusOK {
			t.Fatalf("the case page of an entered request: %d", code)
		}
	})
}

// disclosureContract calls the operations of 依申请公开 as the document describes them.
func disclosureContract(t *testing.T, k *contract, st *site) {
	t.Helper()
	st.user("k.dr.officer", "disclosure_officer@2101*")
	st.user("k.dr.dalian", "disclosure_officer@2102*")
	st.user("k.dr.citizen", "citizen")
	officer, dalian, citizen := st.token("k.dr.officer"), st.token("k.dr.dalian"), st.token("k.dr.citizen")
	today := calendar.DateOf(st.clock.Now())
	entry := map[string]any{"jurisdiction": "210100", "data": drOrganisation(t), "entry": map[string]any{"channel": "fax", "received_on": today.String()}}
	var c caseState
	k.do(call{method: "POST", path: "/api/v1/disclosure/requests", token: officer, body: entry, valid: true, out: &c}, http.StatusCreated)
	k.fails(call{method: "POST", path: "/api/v1/disclosure/requests", token: dalian, body: entry}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/disclosure/requests", token: citizen, body: entry}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/disclosure/requests", body: entry}, http.StatusUnauthorized, "login_required")
	k.fails(call{method: "POST", path: "/api/v1/disclosure/requests", token: officer, body: map[string]any{"jurisdiction": "210100", "data": map[string]any{}, "entry": map[string]any{}}},
		http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "POST", path: "/api/v1/disclosure/requests", token: officer, body: `{"data":`}, http.StatusBadRequest, "bad_json")
	k.do(call{method: "GET", path: "/api/v1/disclosure/requests", token: officer, valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: "/api/v1/disclosure/requests", token: citizen}, http.StatusForbidden, "forbidden")

	upload := func(token, slot string) call {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		_ = w.WriteField("slot", slot)
		fw, _ := w.CreateFormFile("file", "information.pdf")
		fmt.Fprintf(fw, "%%PDF-1.4\n%% contract\n%%%%EOF\n")
		_ = w.Close()
		return call{method: "POST", path: "/api/v1/cases/" + strconv.FormatInt(c.ID, 10) + "/materials", token: token, body: body.String(), contentType: w.FormDataContentType()}
	}
	k.fails(upload(officer, "information"), http.StatusConflict, "upload_not_available") // not yet at the reply
	c = st.step(officer, c, "register", "review", nil)
	u := upload(officer, "information")
	u.valid = true
	k.do(u, http.StatusCreated)
	k.fails(upload(dalian, "information"), http.StatusNotFound, "not_found")
}

// drStart files an online request of the crawl's citizen.
func (sd *seeder) drStart(n int) *workflow.Case {
	c, err := sd.st.engine.Start(sd.ctx, actorOf(sd.w.who["citizen"]), drItem, "210100", drPerson(sd.t, 900+n))
	if err != nil {
		sd.t.Fatal(err)
	}
	return c
}

// seedDisclosureTimed starts the requests whose timers end them while the crawl's clock moves on: a
// 补正 notice not answered, a fee not paid.
func (sd *seeder) seedDisclosureTimed() {
	officer := actorOf(sd.w.who["disclosure_officer-in"])
	sd.take(officer, sd.drStart(1), workflow.ApplyRequest{Action: "request_supplement", Items: []string{"description"}, Comment: "请写明年度。"})
	c := sd.apply(officer, sd.drStart(2), "register")
	sd.take(officer, c, workflow.ApplyRequest{Action: "fee_notice", Fields: map[string]any{"fee_method": "per_page", "pages": 40}})
}

// seedDisclosure gives the crawl a request in every other state of the information-disclosure item,
// one of them entered by the office from a letter (no applicant account), one answered with the
// information attached.
func (sd *seeder) seedDisclosure() {
	st, officer := sd.st, actorOf(sd.w.who["disclosure_officer-in"])
	received := calendar.DateOf(st.clock.Now()).AddDays(-2).String()
	if _, err := disclosure.Enter(sd.ctx, st.engine, officer, "210100", drOrganisation(sd.t),
		map[string]any{"channel": "post", "received_on": received}, nil); err != nil {
		sd.t.Fatal(err)
	}
	sd.take(officer, sd.drStart(3), workflow.ApplyRequest{Action: "request_supplement", Items: []string{"description"}, Comment: "请写明年度。"})
	sd.apply(officer, sd.drStart(4), "register")
	sd.take(officer, sd.apply(officer, sd.drStart(5), "register"), workflow.ApplyRequest{Action: "consult",
		Fields: map[string]any{"third_party_name": "沈阳市某协会"}})
	sd.take(officer, sd.apply(officer, sd.drStart(6), "register"), workflow.ApplyRequest{Action: "fee_notice",
		Fields: map[string]any{"fee_method": "per_page", "pages": 40}})
	c := sd.apply(officer, sd.drStart(7), "register")
	_, info := st.uploadToCase(sd.w.who["disclosure_officer-in"].token, c.ID, "information")
	sd.take(officer, c, workflow.ApplyRequest{Action: "reply", Fields: map[string]any{"outcome": "disclosed", "reply_text": "予以公开，见附件。",
		"information": []int64{info}}})
	sd.take(officer, sd.apply(officer, sd.drStart(8), "register"), workflow.ApplyRequest{Action: "reply_other",
		Fields: map[string]any{"outcome": "unavailable.not_held", "reason": "本机关不掌握该信息。"}})
	sd.apply(actorOf(sd.w.who["citizen"]), sd.drStart(9), "withdraw")
}
