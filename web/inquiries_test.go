package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/inquiries"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/stacktest"
)

// outboxTo counts the outbox rows of template to the user (0 for any) or the address ("" for any).
func (st *site) outboxTo(template string, user int64, address string) int {
	st.t.Helper()
	sel := st.stack.DB.NewSelect().Model((*notify.Outbox)(nil)).ColumnExpr("COUNT(*)").Where("template = ?", template)
	if user != 0 {
		sel = sel.Where("user_id = ?", user)
	}
	if address != "" {
		sel = sel.Where("address = ?", address)
	}
	var n int
	if err := sel.Scan(context.Background(), &n); err != nil {
		st.t.Fatal(err)
	}
	return n
}

var (
	receiptNumber = regexp.MustCompile(`<code>((?:ZX|TS|JY)-\d{4}-\d{6})</code>`)
	receiptSecret = regexp.MustCompile(`<dt>查询密码</dt><dd><strong><code>([0-9A-Z]{12})</code>`)
)

// The "a complaint is answered and rated", through real HTTP: an anonymous complaint needs a
// contact; sent with one, the asker gets a number and a secret; staff of another jurisdiction cannot
// see it; staff of its jurisdiction answer, and the asker is told; the asker reads the reply with the
// secret and rates it, once; the publisher publishes it to /qa without the asker's particulars. A
// complaint left open is reminded and escalated once each as the clock moves; a logged-in asker finds
// their own on My enquiries; a burst from one address answers 429, never 5xx.
func TestComplaintAnsweredAndRated(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		st := startSite(t, s)
		acceptorID := st.user("iq.acceptor", "acceptor@2101*")
		approverID := st.user("iq.approver", "approver@2101*")
		provinceID := st.user("iq.province", "approver@21*")
		st.user("iq.dalian", "reviewer@2102*")
		st.user("iq.publisher", "publisher@2101*")
		st.user("iq.citizen", "citizen")
		st.user("iq.other", "citizen")
		dalian, acceptor, citizen, other := st.token("iq.dalian"), st.token("iq.acceptor"), st.token("iq.citizen"), st.token("iq.other")

		// The form refuses an anonymous complaint without a contact, and text with a bidi control.
		anon := st.browser()
		code, page, csrf := anon.get("/inquiries/new?kind=complaint")
		if code != http.StatusOK || !strings.Contains(page, "15个工作日内答复") {
			t.Fatalf("the form: %d\n%s", code, page)
		}
		form := url.Values{"_csrf": {csrf}, "kind": {"complaint"}, "jurisdiction": {"210100"}, "item": {"marriage-registration"},
			"title": {"窗口办理时间过长"}, "body": {"2026年9月在和平区婚姻登记处等候三个小时。"}, "name": {"王五"}, "publish": {"1"}}
		resp, page := anon.post("/inquiries/new", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "投诉须留下联系方式") {
			t.Fatalf("a complaint without a contact: %d\n%s", resp.StatusCode, page)
		}
		var e apiErr
		bad := map[string]any{"kind": "complaint", "jurisdiction": "210100", "title": "标题\u202e", "body": "内容", "contact": "13800138000"}
		if code := st.api("POST", "/api/v1/inquiries", "", bad, &e); code != http.StatusUnprocessableEntity ||
			len(e.Error.Fields) != 1 || e.Error.Fields[0].Path != "title" {
			t.Fatalf("a title with a bidi control: %d %+v", code, e)
		}

		// Sent with a contact: the receipt shows the number and the secret.
		form.Set("contact", "13900139000")
		resp, page = anon.post("/inquiries/new", form)
		n, sec := receiptNumber.FindStringSubmatch(page), receiptSecret.FindStringSubmatch(page)
		if resp.StatusCode != http.StatusOK || n == nil || sec == nil || !strings.HasPrefix(n[1], "TS-") {
			t.Fatalf("the receipt: %d\n%s", resp.StatusCode, page)
		}
		number, secret := n[1], sec[1]
		var staffList struct{ Inquiries []inquiries.Inquiry }
		if code := st.api("GET", "/api/v1/inquiries", acceptor, nil, &staffList); code != http.StatusOK || len(staffList.Inquiries) != 1 ||
			staffList.Inquiries[0].Number != number || staffList.Inquiries[0].Contact != "13900139000" {
			t.Fatalf("the acceptor's list: %d %+v", code, staffList)
		}
		q := staffList.Inquiries[0]

		// Staff of Dalian see nothing of it.
		if code := st.api("GET", fmt.Sprintf("/api/v1/inquiries/%d", q.ID), dalian, nil, nil); code != http.StatusNotFound {
			t.Errorf("Dalian's reviewer read the inquiry: %d", code)
		}
		if code := st.api("POST", fmt.Sprintf("/api/v1/inquiries/%d/reply", q.ID), dalian, map[string]string{"reply": "x"}, nil); code != http.StatusNotFound {
			t.Errorf("Dalian's reviewer replied: %d", code)
		}
		dl := st.browser()
		dl.login("iq.dalian")
		if code, _, _ := dl.get(fmt.Sprintf("/admin/inquiries/%d", q.ID)); code != http.StatusNotFound {
			t.Errorf("Dalian's reviewer opened the page: %d", code)
		}
		if code, body, _ := dl.get("/admin/inquiries"); code != http.StatusOK || strings.Contains(body, number) {
			t.Errorf("Dalian's list: %d", code)
		}

		// Shenyang's acceptor sees it open on the staff page and answers; the asker is told by SMS.
		sy := st.browser()
		sy.login("iq.acceptor")
		code, body, csrf := sy.get(fmt.Sprintf("/admin/inquiries/%d", q.ID))
		if code != http.StatusOK || !strings.Contains(body, "13900139000") {
			t.Fatalf("the acceptor's page: %d\n%s", code, body)
		}
		if code, list, _ := sy.get("/admin/inquiries"); code != http.StatusOK || !strings.Contains(list, number) || !strings.Contains(list, q.DueOn) {
			t.Fatalf("the staff list: %d\n%s", code, list)
		}
		resp, _ = sy.post(fmt.Sprintf("/admin/inquiries/%d/reply", q.ID), url.Values{"_csrf": {csrf}, "reply": {"经核实，已对窗口人员进行批评教育，并增开窗口。"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the reply: %d", resp.StatusCode)
		}
		if code := st.api("POST", fmt.Sprintf("/api/v1/inquiries/%d/reply", q.ID), acceptor, map[string]string{"reply": "再答"}, &e); code != http.StatusConflict {
			t.Errorf("a second reply: %d", code)
		}
		if st.outboxTo("inquiry_replied_contact", 0, "13900139000") != 1 {
			t.Error("the asker was not told of the reply by SMS")
		}

		// The asker reads the reply with the secret and rates it once.
		track := fmt.Sprintf("/inquiries/track?number=%s&secret=%s", number, secret)
		code, page, csrf = anon.get(track)
		if code != http.StatusOK || !strings.Contains(page, "增开窗口") {
			t.Fatalf("the asker's page: %d\n%s", code, page)
		}
		if code, _, _ := anon.get(fmt.Sprintf("/inquiries/track?number=%s&secret=AAAAAAAAAAAA", number)); code != http.StatusUnprocessableEntity {
			t.Errorf("a wrong secret: %d", code)
		}
		resp, page = anon.post("/inquiries/rate", url.Values{"_csrf": {csrf}, "number": {number}, "secret": {secret}, "level": {"4"}, "comment": {"处理及时。"}})
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "您的评价已记录") || !strings.Contains(page, "满意") {
			t.Fatalf("the rating: %d\n%s", resp.StatusCode, page)
		}
		if code := st.api("POST", "/api/v1/inquiries/rating", "", map[string]any{"number": number, "secret": secret, "level": 1}, &e); code != http.StatusConflict ||
			e.Error.Code != "already_rated" {
			t.Errorf("a second rating: %d %+v", code, e)
		}
		var mine inquiries.Inquiry
		if code := st.api("GET", "/api/v1/inquiries/track?number="+number+"&secret="+secret, "", nil, &mine); code != http.StatusOK ||
			mine.Rating == nil || *mine.Rating != 4 || mine.Publication != inquiries.PublicationPending {
			t.Errorf("the asker's inquiry after rating: %d %+v", code, mine)
		}

		// The publisher declines without a reason (refused), then publishes: /qa shows the question and
		// the reply, never the name or the contact.
		pub := st.browser()
		pub.login("iq.publisher")
		code, body, csrf = pub.get("/admin/inquiries/publication")
		if code != http.StatusOK || !strings.Contains(body, "窗口办理时间过长") {
			t.Fatalf("the publisher's page: %d\n%s", code, body)
		}
		decide := fmt.Sprintf("/admin/inquiries/%d/publication", q.ID)
		if resp, _ := pub.post(decide, url.Values{"_csrf": {csrf}, "decision": {"decline"}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("declining without a reason: %d", resp.StatusCode)
		}
		if code, body, _ := anon.get("/qa"); code != http.StatusOK || strings.Contains(body, "窗口办理时间过长") {
			t.Fatalf("/qa before publication: %d", code)
		}
		if resp, _ := pub.post(decide, url.Values{"_csrf": {csrf}, "decision": {"publish"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("publishing: %d", resp.StatusCode)
		}
		code, body, _ = anon.get("/qa?q=" + url.QueryEscape("等候 三个小时"))
		if code != http.StatusOK || !strings.Contains(body, "窗口办理时间过长") || !strings.Contains(body, "增开窗口") ||
			strings.Contains(body, "王五") || strings.Contains(body, "13900139000") {
			t.Fatalf("/qa after publication: %d\n%s", code, body)
		}
		var qa struct {
			Entries []map[string]any
			Total   int
		}
		if code := st.api("GET", "/api/v1/qa?kind=complaint&jurisdiction=210000", "", nil, &qa); code != http.StatusOK || qa.Total != 1 ||
			qa.Entries[0]["contact"] != nil || qa.Entries[0]["name"] != nil || qa.Entries[0]["reply"] == nil ||
			qa.Entries[0]["publish_consent"] != true || qa.Entries[0]["case_number"] != nil || qa.Entries[0]["rating"] != nil {
			t.Errorf("the Q&A API: %d %+v", code, qa)
		}

		// A logged-in citizen's question: no secret, found on My enquiries, nobody else's.
		var r inquiries.Receipt
		ask := map[string]any{"kind": "question", "jurisdiction": "210100", "title": "离婚冷静期怎么计算", "body": "从哪天开始算？"}
		if code := st.api("POST", "/api/v1/inquiries", citizen, ask, &r); code != http.StatusCreated || r.Secret != "" || !strings.HasPrefix(r.Inquiry.Number, "ZX-") {
			t.Fatalf("a citizen's question: %d %+v", code, r)
		}
		var list struct{ Inquiries []inquiries.Inquiry }
		if code := st.api("GET", "/api/v1/inquiries/mine", citizen, nil, &list); code != http.StatusOK || len(list.Inquiries) != 1 {
			t.Errorf("my enquiries: %d %+v", code, list)
		}
		if code := st.api("GET", "/api/v1/inquiries/track?number="+r.Inquiry.Number, other, nil, nil); code != http.StatusNotFound {
			t.Errorf("another citizen tracked it: %d", code)
		}
		cb, ob := st.browser(), st.browser()
		cb.login("iq.citizen")
		ob.login("iq.other")
		if code, body, _ := cb.get("/inquiries/mine"); code != http.StatusOK || !strings.Contains(body, "离婚冷静期怎么计算") {
			t.Errorf("the citizen's page: %d", code)
		}
		if code, _, _ := ob.get(fmt.Sprintf("/inquiries/mine/%d", r.Inquiry.ID)); code != http.StatusNotFound {
			t.Errorf("another citizen opened it: %d", code)
		}

		// The question left open: reminded once two working days before its due date, escalated to
		// Shenyang's approvers once overdue and to the province's five working days later.
		office := inquiries.New(s.DB, st.enf, inquiries.Options{})
		sched, err := calendar.New(s.DB).For(ctx, "210100")
		if err != nil {
			t.Fatal(err)
		}
		due, _ := calendar.ParseDate(r.Inquiry.DueOn)
		remind, _ := sched.AddWorkingDays(calendar.DateOf(st.clock.Now()), 3) // 2 working days before the 5th
		late, _ := sched.AddWorkingDays(due, 1)
		later, _ := sched.AddWorkingDays(due, 6)
		for _, step := range []struct {
			day      calendar.Date
			want     int
			template string
			to       int64
		}{
			{calendar.DateOf(st.clock.Now()), 0, "", 0},
			{remind, 1, inquiries.ReminderTemplate, acceptorID},
			{remind, 0, "", 0},
			{late, 1, inquiries.OverdueTemplate, approverID},
			{late, 0, "", 0},
			{later, 1, inquiries.OverdueTemplate, provinceID},
			{later.AddDays(30), 0, "", 0},
		} {
			sent, err := office.Tick(ctx, step.day.Time().Add(9*60*60*1e9))
			if err != nil || sent != step.want {
				t.Fatalf("tick on %s: %d %v, want %d", step.day, sent, err, step.want)
			}
			if step.template != "" && st.outboxTo(step.template, step.to, "") == 0 {
				t.Errorf("tick on %s: no %s to user %d", step.day, step.template, step.to)
			}
		}
		if n := st.outboxTo(inquiries.OverdueTemplate, provinceID, ""); n != 2 { // level 1 (21* covers Shenyang) and level 2
			t.Errorf("the province's approver got %d overdue notices, want 2", n)
		}

		// A burst from one address: some are taken, the rest refused with 429, none fails.
		var wg sync.WaitGroup
		statuses := make([]int, 15)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = st.api("POST", "/api/v1/inquiries", "", map[string]any{"kind": "suggestion", "jurisdiction": "210200",
					"title": fmt.Sprintf("建议%d", i), "body": "延长周末办理时间。"}, nil)
			}()
		}
		wg.Wait()
		counts := map[int]int{}
		for _, c := range statuses {
			counts[c]++
		}
		if counts[http.StatusCreated]+counts[http.StatusTooManyRequests] != len(statuses) || counts[http.StatusTooManyRequests] == 0 {
			t.Errorf("a burst of submissions answered %v", counts)
		}
		if code := st.api("POST", "/api/v1/inquiries", "", map[string]any{"kind": "suggestion", "jurisdiction": "210200", "title": "t", "body": "b"}, &e); code != http.StatusTooManyRequests ||
			e.Error.Code != "too_many_inquiries" {
			t.Errorf("after the burst: %d %+v", code, e)
		}
	})
}

// inquiriesContract calls every operation of the inquiries' API and checks the answers against
// openapi.json.
func inquiriesContract(t *testing.T, k *contract, st *site) {
	t.Helper()
	st.user("k.inq.acc", "acceptor@2101*")
	st.user("k.inq.aud", "auditor@2101*")
	st.user("k.inq.dl", "reviewer@2102*")
	st.user("k.inq.pub", "publisher@2101*")
	st.user("k.inq.citizen", "citizen")
	acc, aud, dl, pub, citizen := st.token("k.inq.acc"), st.token("k.inq.aud"), st.token("k.inq.dl"), st.token("k.inq.pub"), st.token("k.inq.citizen")

	sub := map[string]any{"kind": "complaint", "jurisdiction": "210100", "item": "marriage-registration", "title": "窗口办理时间过长",
		"body": "等候三个小时。", "name": "王五", "contact": "wang.wu@example.cn", "publish": true}
	var r inquiries.Receipt
	k.do(call{method: "POST", path: "/api/v1/inquiries", body: sub, valid: true, out: &r}, http.StatusCreated)
	if r.Secret == "" {
		t.Fatalf("the receipt: %+v", r)
	}
	e := k.fails(call{method: "POST", path: "/api/v1/inquiries", body: map[string]any{"kind": "complaint", "jurisdiction": "999999", "title": "", "body": "b"}},
		http.StatusUnprocessableEntity, "invalid_input")
	if !e.hasField("jurisdiction", "unknown") || !e.hasField("title", "required") || !e.hasField("contact", "required") {
		t.Errorf("a bad submission: %+v", e)
	}
	var mine inquiries.Receipt
	k.do(call{method: "POST", path: "/api/v1/inquiries", token: citizen, valid: true, out: &mine,
		body: map[string]any{"kind": "question", "jurisdiction": "210102", "title": "结婚登记要带什么", "body": "户口本要原件吗？"}}, http.StatusCreated)
	k.do(call{method: "GET", path: "/api/v1/inquiries/mine", token: citizen, valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: "/api/v1/inquiries/mine"}, http.StatusUnauthorized, "login_required")

	id := fmt.Sprintf("/api/v1/inquiries/%d", r.Inquiry.ID)
	k.do(call{method: "GET", path: "/api/v1/inquiries", token: acc, valid: true}, http.StatusOK)
	k.do(call{method: "GET", path: "/api/v1/inquiries?answered=1", token: aud, valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: "/api/v1/inquiries", token: citizen}, http.StatusForbidden, "forbidden")
	k.do(call{method: "GET", path: id, token: aud, valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: id, token: dl}, http.StatusNotFound, "not_found")
	k.fails(call{method: "POST", path: id + "/reply", token: aud, body: map[string]string{"reply": "x"}}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: id + "/reply", token: acc, body: map[string]string{"reply": ""}}, http.StatusUnprocessableEntity, "invalid_input")
	k.do(call{method: "POST", path: id + "/reply", token: acc, body: map[string]string{"reply": "已增开窗口。"}, valid: true}, http.StatusOK)
	k.fails(call{method: "POST", path: id + "/reply", token: acc, body: map[string]string{"reply": "再答"}}, http.StatusConflict, "already_answered")

	track := "/api/v1/inquiries/track?number=" + r.Inquiry.Number + "&secret=" + r.Secret
	k.do(call{method: "GET", path: track, valid: true}, http.StatusOK)
	k.do(call{method: "GET", path: "/api/v1/inquiries/track?number=" + mine.Inquiry.Number, token: citizen, valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: "/api/v1/inquiries/track?number=" + r.Inquiry.Number + "&secret=AAAAAAAAAAAA"}, http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "GET", path: "/api/v1/inquiries/track?number=" + r.Inquiry.Number}, http.StatusUnprocessableEntity, "invalid_input")
	rating := map[string]any{"number": r.Inquiry.Number, "secret": r.Secret, "level": 2, "comment": "等候太久。"}
	k.fails(call{method: "POST", path: "/api/v1/inquiries/rating", body: map[string]any{"number": r.Inquiry.Number, "secret": r.Secret, "level": 6}},
		http.StatusUnprocessableEntity, "invalid_input")
	k.do(call{method: "POST", path: "/api/v1/inquiries/rating", body: rating, valid: true}, http.StatusOK)
	k.fails(call{method: "POST", path: "/api/v1/inquiries/rating", body: rating}, http.StatusConflict, "already_rated")
	k.fails(call{method: "POST", path: "/api/v1/inquiries/rating", token: citizen, body: map[string]any{"number": mine.Inquiry.Number, "level": 5}},
		http.StatusConflict, "not_answered")

	k.do(call{method: "GET", path: "/api/v1/inquiries/statistics?year=2026&jurisdiction=21", token: acc, valid: true}, http.StatusOK)
	k.do(call{method: "GET", path: "/api/v1/inquiries/statistics", token: aud, valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: "/api/v1/inquiries/statistics?year=1&jurisdiction=x"}, http.StatusUnauthorized, "login_required")
	k.fails(call{method: "GET", path: "/api/v1/inquiries/statistics?year=1&jurisdiction=x", token: acc}, http.StatusUnprocessableEntity, "invalid_input")

	var queue struct{ Inquiries []inquiries.Inquiry }
	k.do(call{method: "GET", path: "/api/v1/inquiries/publication", token: pub, valid: true, out: &queue}, http.StatusOK)
	if len(queue.Inquiries) != 1 || queue.Inquiries[0].Contact != "" || queue.Inquiries[0].Name != "" {
		t.Errorf("the publisher's queue: %+v", queue)
	}
	k.fails(call{method: "GET", path: "/api/v1/inquiries/publication", token: acc}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: id + "/publication", token: pub, body: map[string]any{"publish": false}}, http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "POST", path: id + "/publication", token: dl, body: map[string]any{"publish": true}}, http.StatusForbidden, "forbidden")
	k.do(call{method: "POST", path: id + "/publication", token: pub, body: map[string]any{"publish": true}, valid: true}, http.StatusOK)
	k.fails(call{method: "POST", path: id + "/publication", token: pub, body: map[string]any{"publish": true}}, http.StatusConflict, "not_pending")
	k.fails(call{method: "GET", path: fmt.Sprintf("/api/v1/inquiries/%d", unknownID), token: acc}, http.StatusNotFound, "not_found")

	k.do(call{method: "GET", path: "/api/v1/qa?q=" + url.QueryEscape("窗口") + "&kind=complaint&jurisdiction=210000&page=1&per_page=5", valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: "/api/v1/qa?kind=x&per_page=1000"}, http.StatusUnprocessableEntity, "invalid_input")
}

// seedInquiries adds to the crawl's world an anonymous complaint of Shenyang, answered, rated and
// published; a question of the citizen persona in Heping, open; and a suggestion of Dalian whose
// reply waits for the publisher.
func (sd *seeder) seedInquiries() {
	ctx := context.Background()
	o := inquiries.New(sd.st.stack.DB, sd.st.enf, inquiries.Options{})
	staff := func(name string) audit.Actor { p := sd.w.who[name]; return audit.Actor{UserID: p.id, Label: p.name} }
	submit := func(a audit.Actor, kind, jurisdiction, contact string) *inquiries.Receipt {
		r, err := o.Submit(ctx, a, inquiries.Submission{Kind: kind, Jurisdiction: jurisdiction, Title: "爬取" + kind, Body: "内容",
			Name: "赵六", Contact: contact, Publish: true})
		if err != nil {
			sd.t.Fatal(err)
		}
		return r
	}
	complaint := submit(audit.Actor{IP: "192.0.2.9"}, inquiries.KindComplaint, "210100", "13700137000")
	question := submit(staff("citizen"), inquiries.KindQuestion, "210102", "")
	suggestion := submit(audit.Actor{IP: "192.0.2.9"}, inquiries.KindSuggestion, "210200", "")
	for _, step := range []func() error{
		func() error {
			_, err := o.Reply(ctx, staff("acceptor-in"), complaint.Inquiry.ID, "已处理。")
			return err
		},
		func() error {
			_, err := o.Rate(ctx, audit.Actor{IP: "192.0.2.9"}, inquiries.Rating{Access: inquiries.Access{Number: complaint.Inquiry.Number,
				Secret: complaint.Secret}, Level: 1})
			return err
		},
		func() error {
			_, err := o.Decide(ctx, staff("publisher-in"), complaint.Inquiry.ID, inquiries.Decision{Publish: true})
			return err
		},
		func() error {
			_, err := o.Reply(ctx, staff("acceptor-out"), suggestion.Inquiry.ID, "谢谢建议。")
			return err
		},
	} {
		if err := step(); err != nil {
			sd.t.Fatal(err)
		}
	}
	sd.w.inquiries = []inquiries.Inquiry{*complaint.Inquiry, *question.Inquiry, *suggestion.Inquiry}
	sd.w.inquirySecret = complaint.Secret
}

// byInquiry visits every seeded inquiry and one that does not exist; with owner set, checking that
// only its asker's account sees it.
func byInquiry(format string, owner bool) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID)}}
		if owner {
			out[0].seen = nobody
		}
		for _, q := range w.inquiries {
			tg := target{path: fmt.Sprintf(format, q.ID)}
			if owner {
				tg.seen = func(p *persona) bool { return q.UserID != nil && *q.UserID == p.id }
			}
			out = append(out, tg)
		}
		return out
	}
}

// inquiryTrackPaths looks the seeded complaint up with its secret, with a wrong one and without
// input. The answers are not checked: wrong lookups of the crawl throttle its address.
func inquiryTrackPaths(path string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := paths(path, path+"?number=x&secret=", path+"?number=TS-2026-999999&secret=AAAAAAAAAAAA")(w)
		for _, q := range w.inquiries {
			out = append(out, target{path: path + "?number=" + q.Number}, target{path: path + "?number=" + q.Number + "&secret=" + w.inquirySecret})
		}
		return out
	}
}

// qaPaths searches the public Q&A list, which everybody sees, with every filter and with invalid ones.
func qaPaths(path string) func(*crawlWorld) []target {
	return func(*crawlWorld) []target {
		return []target{{path: path, seen: everybody, public: true},
			{path: path + "?q=%E7%88%AC%E5%8F%96&kind=complaint&jurisdiction=210100&page=1&per_page=1", seen: everybody, public: true},
			{path: path + "?q=%25_&kind=x&jurisdiction=y&page=z&per_page=1000"}}
	}
}
