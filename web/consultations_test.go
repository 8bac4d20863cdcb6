package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/consultations"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/web"
)

// pcView is a consultation as the API answers it, as far as the tests read it.
type pcView struct {
	ID           int64
	Status       string
	Phase        string
	CommentCount int `json:"comment_count"`
	Comments     []struct {
		ID       int64
		Number   int
		Body     string
		Name     string
		Contact  string
		Status   string
		Decision string
		Reason   string
		Group    int
	}
	Attachments []struct{ ID int64 }
	Report      *struct {
		Summary   string
		Responses []struct {
			Comments []int
			Decision string
			Reason   string
		}
	}
}

// outboxTemplates counts the messages of template sent to the user (inbox channel).
func outboxCount(t *testing.T, st *site, userID int64, template string) int {
	t.Helper()
	n, err := st.stack.DB.NewSelect().Table("outbox").Where("user_id = ? AND template = ? AND channel = 'inbox'", userID, template).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// movePeriod moves the consultation's period days back, as if that many days had passed.
func movePeriod(t *testing.T, st *site, id int64, starts, ends calendar.Date) {
	t.Helper()
	if _, err := st.stack.DB.NewUpdate().Table("consultations").Set("starts_on = ?", starts.String()).Set("ends_on = ?", ends.String()).
		Where("id = ?", id).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A draft is consulted on and its adoption published (issue 13), through the pages and the API: a
// period too short is refused on its field; the author cannot approve the draft; a publisher of the
// jurisdiction publishes it; the public comment without an account; moderation shows and hides;
// comments after the end are refused; the comments are answered and the adoption report, returned
// once, is published and shown; the annual report's counts are exact. Staff of another jurisdiction
// are told the draft does not exist.
func TestConsultationIsConsultedAndItsAdoptionPublished(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		// The author also holds the publisher's role: the review is still someone else's.
		author := st.user("pc.author", "reviewer@210100", "publisher@210100")
		publisher := st.user("pc.publisher", "publisher@210100")
		st.user("pc.dalian", "publisher@210200", "reviewer@210200")
		today := calendar.Today()
		svc := consultations.Service{DB: s.DB, Auth: st.enf, Min: consultations.DefaultMinimums}

		b := st.browser()
		b.login("pc.author")
		status, page, token := b.get("/admin/consultations")
		if status != http.StatusOK || !strings.Contains(page, "起草征求意见稿") {
			t.Fatalf("the staff page: %d %s", status, page)
		}
		form := url.Values{"_csrf": {token}, "jurisdiction": {"210100"}, "kind": {"normative"}, "title": {"沈阳市社会组织登记管理办法（征求意见稿）"},
			"body": {"第一条 为了规范社会组织登记管理，制定本办法。"}, "explanation": {"一、起草背景。"},
			"starts_on": {today.String()}, "ends_on": {today.AddDays(2).String()}}
		resp, body := b.postMultipart("/admin/consultations", form, map[string]string{"attachments": "起草说明附件.pdf"})
		earliest, err := svc.EarliestEnd(ctx, "210100", consultations.KindNormative, today)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="ends_on-error"`) || !strings.Contains(body, earliest.String()) {
			t.Fatalf("a period of 3 days: %d %s", resp.StatusCode, body)
		}
		form.Set("ends_on", earliest.String())
		resp, body = b.postMultipart("/admin/consultations", form, map[string]string{"attachments": "起草说明附件.pdf"})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("creating the draft: %d %s", resp.StatusCode, body)
		}
		var id int64
		if _, err := fmt.Sscanf(resp.Header.Get("Location"), "/admin/consultations/%d", &id); err != nil {
			t.Fatal(resp.Header.Get("Location"))
		}
		staffPage := fmt.Sprintf("/admin/consultations/%d", id)
		publicPage := fmt.Sprintf("/consultations/%d", id)
		apiPath := fmt.Sprintf("/api/v1/consultations/%d", id)

		// Nobody but staff sees the draft; staff of Dalian are told it does not exist.
		anon := st.browser()
		if status, _, _ := anon.get(publicPage); status != http.StatusNotFound {
			t.Errorf("the draft's public page before publication: %d", status)
		}
		dalian := st.token("pc.dalian")
		if code := st.api("GET", apiPath, dalian, nil, nil); code != http.StatusNotFound {
			t.Errorf("Dalian reads the draft: %d", code)
		}
		other := st.browser()
		other.login("pc.dalian")
		if status, _, _ := other.get(staffPage); status != http.StatusNotFound {
			t.Errorf("Dalian's staff page of the draft: %d", status)
		}

		// Submitted; the author may not approve it, Dalian's publisher cannot see it, Shenyang's publishes it.
		_, _, token = b.get(staffPage)
		if resp, body := b.post(staffPage+"/submit", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("submitting: %d %s", resp.StatusCode, body)
		}
		if n := outboxCount(t, st, publisher, "consultation_review_requested"); n != 1 {
			t.Errorf("the publisher was told %d times of the draft", n)
		}
		if n := outboxCount(t, st, author, "consultation_review_requested"); n != 0 {
			t.Errorf("the author was asked to review its own draft")
		}
		_, _, token = b.get(staffPage)
		if resp, body := b.post(staffPage+"/approve", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "不能审查自己撰写的内容") {
			t.Fatalf("the author approves its own draft: %d %s", resp.StatusCode, body)
		}
		var e apiErr
		if code := st.api("POST", apiPath+"/actions", dalian, map[string]string{"action": "approve"}, &e); code != http.StatusNotFound {
			t.Errorf("Dalian's publisher approves: %d %+v", code, e)
		}
		pub := st.token("pc.publisher")
		var v pcView
		if code := st.api("POST", apiPath+"/actions", pub, map[string]string{"action": "return"}, &e); code != http.StatusUnprocessableEntity {
			t.Errorf("a return without a comment: %d", code)
		}
		if code := st.api("POST", apiPath+"/actions", pub, map[string]string{"action": "approve"}, &v); code != http.StatusOK || v.Status != "published" || v.Phase != "open" {
			t.Fatalf("the publisher approves: %d %+v", code, v)
		}
		if n := outboxCount(t, st, author, "consultation_published"); n != 1 {
			t.Errorf("the author was told %d times of the publication", n)
		}

		// The public page: the draft, its file, the comment form; the list shows it open.
		status, page, token = anon.get(publicPage)
		if status != http.StatusOK || !strings.Contains(page, "第一条 为了规范") || !strings.Contains(page, "起草背景") ||
			!strings.Contains(page, "起草说明附件.pdf") || !strings.Contains(page, `action="/consultations/`) {
			t.Fatalf("the public page: %d %s", status, page)
		}
		if status, list, _ := anon.get("/consultations?state=open"); status != http.StatusOK || !strings.Contains(list, publicPage) {
			t.Errorf("the list of open drafts: %d %s", status, list)
		}
		if status, list, _ := anon.get("/consultations?state=closed"); status != http.StatusOK || strings.Contains(list, publicPage) {
			t.Errorf("the list of closed drafts: %d", status)
		}

		// Comments without an account: one by the form, others by the API; bad ones refused on their field.
		resp, body = anon.post(publicPage+"/comments", url.Values{"_csrf": {token}, "body": {"建议第一条写明上位法依据。"}, "name": {"王五"}, "contact": {"13800000001"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("commenting through the page: %d %s", resp.StatusCode, body)
		}
		for _, bad := range []struct{ body, field string }{{"", "body"}, {"意见\u202e内容", "body"}, {"意见\x07", "body"}, {strings.Repeat("长", 2001), "body"}} {
			var e apiErr
			if code := st.api("POST", apiPath+"/comments", "", map[string]string{"body": bad.body}, &e); code != http.StatusUnprocessableEntity ||
				len(e.Error.Fields) != 1 || e.Error.Fields[0].Path != bad.field {
				t.Errorf("comment %q: %d %+v", bad.body, code, e)
			}
		}
		if code := st.api("POST", apiPath+"/comments", "", map[string]string{"body": "x", "name": "名\u200f字"}, &e); code != http.StatusUnprocessableEntity {
			t.Errorf("a name with a direction mark: %d", code)
		}
		for _, text := range []string{"建议延长办理时限。", "垃圾广告", "建议增加网上办理渠道。"} {
			if code := st.api("POST", apiPath+"/comments", "", map[string]string{"body": text}, nil); code != http.StatusCreated {
				t.Fatalf("commenting %q: %d", text, code)
			}
		}
		// Nothing is shown before moderation.
		if code := st.api("GET", apiPath, "", nil, &v); code != http.StatusOK || len(v.Comments) != 0 || v.CommentCount != 4 {
			t.Fatalf("the public answer before moderation: %d %+v", code, v)
		}
		var staffView pcView
		st.api("GET", apiPath, pub, nil, &staffView)
		if len(staffView.Comments) != 4 || staffView.Comments[0].Contact != "13800000001" || staffView.Comments[0].Status != "pending" {
			t.Fatalf("the staff's answer: %+v", staffView)
		}
		ids := map[int]int64{}
		for _, c := range staffView.Comments {
			ids[c.Number] = c.ID
		}
		// The author shows three through its page, the publisher hides the advertisement by the API.
		for _, n := range []int{1, 2, 4} {
			_, _, token = b.get(staffPage)
			if resp, body := b.post(fmt.Sprintf("%s/comments/%d/moderate", staffPage, ids[n]), url.Values{"_csrf": {token}, "status": {"approved"}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("showing comment %d: %d %s", n, resp.StatusCode, body)
			}
		}
		if code := st.api("POST", fmt.Sprintf("%s/comments/%d/moderation", apiPath, ids[3]), pub, map[string]string{"status": "hidden"}, nil); code != http.StatusOK {
			t.Fatalf("hiding: %d", code)
		}
		if code := st.api("POST", fmt.Sprintf("%s/comments/%d/moderation", apiPath, ids[3]), dalian, map[string]string{"status": "approved"}, nil); code != http.StatusNotFound {
			t.Errorf("Dalian moderates: %d", code)
		}
		_, page, _ = anon.get(publicPage)
		if !strings.Contains(page, "建议第一条写明上位法依据") || !strings.Contains(page, "王五") || strings.Contains(page, "13800000001") ||
			strings.Contains(page, "垃圾广告") || !strings.Contains(page, "建议增加网上办理渠道") {
			t.Fatalf("the public page after moderation: %s", page)
		}
		// Answers wait for the end of the period.
		tok := st.token("pc.author")
		if code := st.api("POST", apiPath+"/responses", tok, map[string]any{"comments": []int64{ids[1]}, "decision": "adopted"}, &e); code != http.StatusConflict || e.Error.Code != "period_not_ended" {
			t.Errorf("answering during the period: %d %+v", code, e)
		}

		// The period ends; the worker closes it (once, run twice) and reminds the author.
		movePeriod(t, st, id, today.AddDays(-20), today.AddDays(-1))
		for i, want := range []int{1, 0} {
			if n, err := consultations.Tick(ctx, s.DB, time.Now()); err != nil || n != want {
				t.Fatalf("tick %d: %d %v", i, n, err)
			}
		}
		if n := outboxCount(t, st, author, "consultation_closed"); n != 1 {
			t.Errorf("the author was reminded %d times", n)
		}
		if code := st.api("POST", apiPath+"/comments", "", map[string]string{"body": "迟到的意见"}, &e); code != http.StatusConflict || e.Error.Code != "consultation_closed" {
			t.Errorf("a comment after the end: %d %+v", code, e)
		}
		_, _, anonToken := anon.get(publicPage)
		resp, body = anon.post(publicPage+"/comments", url.Values{"_csrf": {anonToken}, "body": {"迟到的意见"}})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "征求意见期已结束") {
			t.Errorf("a comment after the end through the page: %d", resp.StatusCode)
		}

		// The answers and the adoption report.
		if code := st.api("POST", apiPath+"/actions", tok, map[string]string{"action": "report", "report": "共收到意见4条。"}, &e); code != http.StatusConflict || e.Error.Code != "comments_unanswered" {
			t.Errorf("the report before the answers: %d %+v", code, e)
		}
		if code := st.api("POST", apiPath+"/responses", tok, map[string]any{"comments": []int64{ids[2]}, "decision": "not_adopted"}, &e); code != http.StatusUnprocessableEntity || e.Error.Fields[0].Path != "reason" {
			t.Errorf("not adopted without a reason: %d %+v", code, e)
		}
		if code := st.api("POST", apiPath+"/responses", tok, map[string]any{"comments": []int64{ids[3]}, "decision": "adopted"}, &e); code != http.StatusUnprocessableEntity {
			t.Errorf("answering a hidden comment: %d %+v", code, e)
		}
		if code := st.api("POST", apiPath+"/responses", tok, map[string]any{"comments": []int64{ids[2]}, "decision": "not_adopted", "reason": "办理时限由上位法规定。"}, nil); code != http.StatusOK {
			t.Fatalf("answering comment 2: %d", code)
		}
		_, _, token = b.get(staffPage)
		if resp, body := b.post(staffPage+"/responses", url.Values{"_csrf": {token}, "comments": {fmt.Sprint(ids[1]), fmt.Sprint(ids[4])},
			"decision": {"partly"}, "reason": {"已在第二条补充依据；网上渠道另行规定。"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("answering comments 1 and 4 together: %d %s", resp.StatusCode, body)
		}
		_, _, token = b.get(staffPage)
		if resp, body := b.post(staffPage+"/report", url.Values{"_csrf": {token}, "report": {"本次共收到意见4条，其中1条与草案无关未予显示。"}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("submitting the report: %d %s", resp.StatusCode, body)
		}
		if n := outboxCount(t, st, publisher, "consultation_report_review_requested"); n != 1 {
			t.Errorf("the publisher was told %d times of the report", n)
		}
		if code := st.api("POST", apiPath+"/actions", tok, map[string]string{"action": "report_approve"}, &e); code != http.StatusForbidden || e.Error.Code != "own_text" {
			t.Errorf("the author approves its report: %d %+v", code, e)
		}
		if code := st.api("POST", apiPath+"/actions", pub, map[string]string{"action": "report_return", "comment": "请写明隐藏意见的理由。"}, &v); code != http.StatusOK || v.Status != "closed" {
			t.Fatalf("the report returned: %d %+v", code, v)
		}
		if code := st.api("POST", apiPath+"/actions", tok, map[string]string{"action": "report", "report": "本次共收到意见4条，其中1条为广告，与草案无关，未予显示。"}, nil); code != http.StatusOK {
			t.Fatalf("the report submitted again: %d", code)
		}
		if _, _, anonPage := anon.get(publicPage); strings.Contains(anonPage, "广告，与草案无关") {
			t.Error("the report is public before its review")
		}
		pb := st.browser()
		pb.login("pc.publisher")
		_, _, token = pb.get(staffPage)
		if resp, body := pb.post(staffPage+"/report/approve", url.Values{"_csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("the report approved: %d %s", resp.StatusCode, body)
		}
		if n := outboxCount(t, st, author, "consultation_report_published"); n != 1 {
			t.Errorf("the author was told %d times of the report's publication", n)
		}
		_, page, _ = anon.get(publicPage)
		for _, want := range []string{"意见采纳情况", "广告，与草案无关", "部分采纳", "不予采纳", "办理时限由上位法规定", "第1条、第4条"} {
			if !strings.Contains(page, want) {
				t.Errorf("the public page lacks %q", want)
			}
		}
		if strings.Contains(page, "垃圾广告") || strings.Contains(page, "13800000001") || strings.Contains(page, `action="/consultations/`) {
			t.Error("the public page shows the hidden comment, a contact or the comment form")
		}
		var end pcView // decoded afresh: what the public is not sent must not linger from an earlier answer
		if code := st.api("GET", apiPath, "", nil, &end); code != http.StatusOK || end.Status != "concluded" || end.Report == nil || len(end.Report.Responses) != 2 ||
			len(end.Comments) != 3 || end.Comments[0].Contact != "" || end.Comments[0].Status != "" || end.Comments[0].Decision != "partly" {
			t.Fatalf("the public answer at the end: %d %+v", code, end)
		}
		if status, list, _ := anon.get("/consultations?state=closed"); status != http.StatusOK || !strings.Contains(list, publicPage) {
			t.Errorf("the list of closed drafts: %d", status)
		}

		// The counts of the annual report.
		year := calendar.DateOf(time.Now()).Year()
		for _, tc := range []struct {
			year   int
			prefix string
			want   consultations.Count
		}{
			{year, "2101", consultations.Count{Year: year, Drafts: 1, Comments: 4, Adopted: 2}},
			{year, "", consultations.Count{Year: year, Drafts: 1, Comments: 4, Adopted: 2}},
			{year, "2102", consultations.Count{Year: year}},
			{year - 1, "21", consultations.Count{Year: year - 1}},
		} {
			if got, err := consultations.Counts(ctx, s.DB, tc.year, tc.prefix); err != nil || got != tc.want {
				t.Errorf("Counts(%d, %q) = %+v, %v; want %+v", tc.year, tc.prefix, got, err, tc.want)
			}
		}

		// Every staff step is in the audit log.
		entries, err := audit.List(ctx, s.DB, "consultation", 100, "object_id = ?", fmt.Sprint(id))
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, en := range entries {
			have[en.Action] = true
		}
		for _, a := range []string{"consultation.create", "consultation.submit", "consultation.publish", "consultation.moderate", "consultation.close",
			"consultation.respond", "consultation.report_submit", "consultation.report_return", "consultation.report_publish", "consultation.comments_read"} {
			if !have[a] {
				t.Errorf("no audit entry %s", a)
			}
		}
	})
}

// publishedConsultation writes and publishes a normative draft of Shenyang open from today, as
// staff do, and returns its id.
func publishedConsultation(t testing.TB, st *site, writer, publisher audit.Actor) int64 {
	t.Helper()
	ctx := context.Background()
	svc := consultations.Service{DB: st.stack.DB, Auth: st.enf}
	today := calendar.Today()
	end, err := svc.EarliestEnd(ctx, "210100", consultations.KindNormative, today)
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.Create(ctx, writer, consultations.Draft{Jurisdiction: "210100", Kind: consultations.KindNormative, Title: "测试征求意见稿",
		Body: "正文", Explanation: "说明", StartsOn: today.String(), EndsOn: end.String()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, writer, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, publisher, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// A burst of comments from one address is throttled: every answer is 201 or 429, exactly the
// allowance gets through, none fails.
func TestConsultationCommentsBurst(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSiteWith(t, s, "", func(_ string, d *web.Deps) { d.Config.ConsultationCommentsPerIP = 5 })
		writer := audit.Actor{UserID: st.user("burst.writer", "reviewer@210100"), Label: "burst.writer"}
		publisher := audit.Actor{UserID: st.user("burst.publisher", "publisher@210100"), Label: "burst.publisher"}
		id := publishedConsultation(t, st, writer, publisher)
		path := fmt.Sprintf("/api/v1/consultations/%d/comments", id)
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code := st.api("POST", path, "", map[string]string{"body": fmt.Sprintf("意见%d", i)}, nil)
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codes[http.StatusCreated] != 5 || codes[http.StatusTooManyRequests] != 15 {
			t.Fatalf("answers to a burst of 20 comments: %v", codes)
		}
		var v pcView
		st.api("GET", fmt.Sprintf("/api/v1/consultations/%d", id), st.token("burst.publisher"), nil, &v)
		if v.CommentCount != 5 || len(v.Comments) != 5 {
			t.Fatalf("comments recorded: %d, %d", v.CommentCount, len(v.Comments))
		}
		for i, c := range v.Comments {
			if c.Number != i+1 {
				t.Errorf("comment %d is numbered %d", i, c.Number)
			}
		}
	})
}

// consultationReaders are the roles that read consultations (policy.csv).
var consultationReaders = []string{"reviewer", "approver", "disclosure_officer", "publisher", "auditor"}

// readsConsultations reports whether the persona reads consultations of the jurisdiction.
func (p *persona) readsConsultations(jurisdiction string) bool {
	for _, g := range p.grants {
		role, pattern, _ := strings.Cut(g, "@")
		if slices.Contains(consultationReaders, role) && policies.Covers(pattern, jurisdiction) {
			return true
		}
	}
	return false
}

// crawlConsultationFile is an attachment of the crawl's consultations.
type crawlConsultationFile struct {
	ID             int64 `bun:"material_id"`
	ConsultationID int64 `bun:"consultation_id"`
}

// seedConsultations gives the crawl a consultation of Shenyang in every status, one returned, one
// still to begin, comments in every moderation status and answers, and a file on a draft and on a
// published one.
func (sd *seeder) seedConsultations() {
	ctx, st := sd.ctx, sd.st
	writerP, publisherP := sd.w.who["reviewer-in"], sd.w.who["publisher-in"]
	writer, publisher := actorOf(writerP), actorOf(publisherP)
	svc := consultations.Service{DB: st.stack.DB, Auth: st.enf}
	today := calendar.Today()
	must := func(_ *consultations.Consultation, err error) {
		sd.t.Helper()
		if err != nil {
			sd.t.Fatal(err)
		}
	}
	create := func(title string, start calendar.Date, file bool) int64 {
		end, err := svc.EarliestEnd(ctx, "210100", consultations.KindNormative, start)
		if err != nil {
			sd.t.Fatal(err)
		}
		if !file {
			c, err := svc.Create(ctx, writer, consultations.Draft{Jurisdiction: "210100", Kind: consultations.KindNormative, Title: title,
				Body: "正文", Explanation: "说明", StartsOn: start.String(), EndsOn: end.String()})
			if err != nil {
				sd.t.Fatal(err)
			}
			return c.ID
		}
		b := st.browser()
		base, _ := url.Parse(st.base)
		b.c.Jar.SetCookies(base, []*http.Cookie{{Name: "cf_session", Value: writerP.session}})
		_, _, token := b.get("/admin/consultations")
		resp, body := b.postMultipart("/admin/consultations", url.Values{"_csrf": {token}, "jurisdiction": {"210100"}, "kind": {"normative"},
			"title": {title}, "body": {"正文"}, "explanation": {"说明"}, "starts_on": {start.String()}, "ends_on": {end.String()}},
			map[string]string{"attachments": "附件.pdf"})
		var id int64
		if _, err := fmt.Sscanf(resp.Header.Get("Location"), "/admin/consultations/%d", &id); err != nil {
			sd.t.Fatalf("creating a consultation with a file: %d %s", resp.StatusCode, body)
		}
		return id
	}
	publish := func(id int64) {
		must(svc.Submit(ctx, writer, id))
		must(svc.Approve(ctx, publisher, id, ""))
	}
	comment := func(id int64, text string) int64 {
		cm, err := consultations.Send(ctx, st.stack.DB, consultations.Throttle{Max: 1000, Window: time.Hour}, consultations.Sender{IP: "192.0.2.1"}, id,
			consultations.NewComment{Body: text, Name: "爬行", Contact: "13800000000"})
		if err != nil {
			sd.t.Fatal(err)
		}
		return cm.ID
	}
	create("爬行草稿", today, true)
	must(svc.Return(ctx, publisher, func() int64 { id := create("爬行退回", today, false); must(svc.Submit(ctx, writer, id)); return id }(), "请修改"))
	must(svc.Submit(ctx, writer, create("爬行审查中", today, false)))
	open := create("爬行征求中", today, true)
	publish(open)
	shown, hidden := comment(open, "显示的意见"), comment(open, "隐藏的意见")
	comment(open, "待审核的意见")
	if _, err := svc.Moderate(ctx, publisher, open, shown, consultations.CommentApproved); err != nil {
		sd.t.Fatal(err)
	}
	if _, err := svc.Moderate(ctx, publisher, open, hidden, consultations.CommentHidden); err != nil {
		sd.t.Fatal(err)
	}
	publish(create("爬行未开始", today.AddDays(1), false))
	// Three whose period ends: left closed, with the report in review, and concluded.
	for _, title := range []string{"爬行已结束", "爬行采纳待审", "爬行已公布"} {
		id := create(title, today, false)
		publish(id)
		cm := comment(id, "意见")
		if _, err := svc.Moderate(ctx, publisher, id, cm, consultations.CommentApproved); err != nil {
			sd.t.Fatal(err)
		}
		movePeriod(sd.t, st, id, today.AddDays(-10), today.AddDays(-1))
		if title == "爬行已结束" {
			continue
		}
		must(svc.Respond(ctx, writer, id, consultations.Response{Comments: []int64{cm}, Decision: consultations.DecisionNotAdopted, Reason: "理由"}))
		must(svc.SubmitReport(ctx, writer, id, "采纳情况"))
		if title == "爬行已公布" {
			must(svc.ApproveReport(ctx, publisher, id, ""))
		}
	}
	if _, err := consultations.Tick(ctx, st.stack.DB, time.Now()); err != nil {
		sd.t.Fatal(err)
	}
	if err := st.stack.DB.NewSelect().Model(&sd.w.consultations).Order("id").Scan(ctx); err != nil {
		sd.t.Fatal(err)
	}
	if err := st.stack.DB.NewSelect().Table("consultation_attachments").Column("material_id", "consultation_id").Scan(ctx, &sd.w.consultationFiles); err != nil {
		sd.t.Fatal(err)
	}
	if len(sd.w.consultations) != 8 || len(sd.w.consultationFiles) != 2 {
		sd.t.Fatalf("the crawl's consultations: %d, files %d", len(sd.w.consultations), len(sd.w.consultationFiles))
	}
}

// byConsultation visits every consultation of the world and one that does not exist: a public one
// anybody sees, others only staff reading consultations of its jurisdiction. Staff pages (staff
// true) are checked only for not failing: who gets 403 rather than 404 depends on the route's
// permission (TestConsultationIsConsultedAndItsAdoptionPublished checks staff of another jurisdiction).
func byConsultation(format string, staff bool, queries ...string) func(*crawlWorld) []target {
	return func(w *crawlWorld) []target {
		out := []target{{path: fmt.Sprintf(format, unknownID), seen: nobody, public: true}}
		if staff {
			out[0].seen = nil
		}
		for _, c := range w.consultations {
			for _, q := range append([]string{""}, queries...) {
				t := target{path: fmt.Sprintf(format, c.ID) + q, public: true}
				if !staff {
					t.seen = func(p *persona) bool { return consultations.Public(c.Status) || p.readsConsultations(c.Jurisdiction) }
				}
				out = append(out, t)
			}
		}
		return out
	}
}

// byConsultationFile visits every attachment by its consultation and by another one.
func byConsultationFile(w *crawlWorld) []target {
	out := []target{{path: fmt.Sprintf("/consultations/%d/attachments/%d", unknownID, unknownID), seen: nobody, public: true}}
	for _, f := range w.consultationFiles {
		var c consultations.Consultation
		for _, x := range w.consultations {
			if x.ID == f.ConsultationID {
				c = x
			}
		}
		out = append(out,
			target{path: fmt.Sprintf("/consultations/%d/attachments/%d", f.ConsultationID, f.ID), public: true,
				seen: func(p *persona) bool { return consultations.Public(c.Status) || p.readsConsultations(c.Jurisdiction) }},
			target{path: fmt.Sprintf("/consultations/%d/attachments/%d", w.consultations[len(w.consultations)-1].ID, f.ID), public: true, seen: nobody})
	}
	return out
}

// consultationsContract calls the consultations API as documented: the list with filters, a draft
// written, refused and reviewed, comments (one refused), moderation, answers and the adoption report.
func consultationsContract(t *testing.T, k *contract, st *site) {
	t.Helper()
	st.user("k.pc.writer", "reviewer@210100")
	st.user("k.pc.publisher", "publisher@210100")
	st.user("k.pc.dalian", "reviewer@210200")
	writer, publisher, dalian := st.token("k.pc.writer"), st.token("k.pc.publisher"), st.token("k.pc.dalian")
	today := calendar.Today()
	end, err := consultations.Service{DB: st.stack.DB, Auth: st.enf}.EarliestEnd(context.Background(), "210100", consultations.KindRule, today)
	if err != nil {
		t.Fatal(err)
	}
	draft := map[string]string{"jurisdiction": "210100", "kind": "rule", "title": "沈阳市养老服务条例实施办法（草案）", "body": "第一条 ……",
		"explanation": "起草说明", "starts_on": today.String(), "ends_on": today.AddDays(10).String()}
	e := k.fails(call{method: "POST", path: "/api/v1/consultations", token: writer, body: draft, valid: true}, http.StatusUnprocessableEntity, "invalid_input")
	if !e.hasField("ends_on", "period_too_short") {
		t.Errorf("a draft rule open 11 days: %+v", e)
	}
	draft["ends_on"] = end.String()
	k.fails(call{method: "POST", path: "/api/v1/consultations", token: dalian, body: draft, valid: true}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/consultations", body: draft}, http.StatusUnauthorized, "login_required")
	var v pcView
	k.do(call{method: "POST", path: "/api/v1/consultations", token: writer, body: draft, valid: true, out: &v}, http.StatusCreated)
	path := fmt.Sprintf("/api/v1/consultations/%d", v.ID)
	k.fails(call{method: "GET", path: path}, http.StatusNotFound, "not_found")
	k.fails(call{method: "GET", path: path, token: dalian}, http.StatusNotFound, "not_found")
	k.do(call{method: "GET", path: path, token: writer, valid: true}, http.StatusOK)
	k.fails(call{method: "POST", path: path + "/comments", body: map[string]string{"body": "太早"}, valid: true}, http.StatusNotFound, "not_found")
	k.fails(call{method: "POST", path: path + "/actions", token: writer, body: map[string]string{"action": "approve"}, valid: true}, http.StatusForbidden, "forbidden")
	k.fails(call{method: "POST", path: path + "/actions", token: writer, body: map[string]string{"action": "x"}}, http.StatusUnprocessableEntity, "invalid_input")
	k.do(call{method: "POST", path: path + "/actions", token: writer, body: map[string]string{"action": "submit"}, valid: true}, http.StatusOK)
	k.fails(call{method: "POST", path: path + "/actions", token: writer, body: map[string]string{"action": "submit"}, valid: true}, http.StatusConflict, "not_draft")
	k.fails(call{method: "POST", path: path + "/actions", token: dalian, body: map[string]string{"action": "approve"}, valid: true}, http.StatusNotFound, "not_found")
	k.do(call{method: "POST", path: path + "/actions", token: publisher, body: map[string]string{"action": "approve", "comment": "同意发布。"}, valid: true}, http.StatusOK)

	k.do(call{method: "GET", path: "/api/v1/consultations?state=open&page=1&per_page=5", valid: true}, http.StatusOK)
	k.do(call{method: "GET", path: "/api/v1/consultations", valid: true}, http.StatusOK)
	k.fails(call{method: "GET", path: "/api/v1/consultations?state=x&per_page=1000"}, http.StatusUnprocessableEntity, "invalid_input")
	k.do(call{method: "GET", path: path, valid: true}, http.StatusOK)

	var got struct{ Number int }
	k.do(call{method: "POST", path: path + "/comments", body: map[string]string{"body": "建议明确补贴标准。", "name": "李四", "contact": "lisi@example.com"}, valid: true, out: &got}, http.StatusCreated)
	k.fails(call{method: "POST", path: path + "/comments", body: map[string]string{"body": "\u202e"}, valid: true}, http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "POST", path: fmt.Sprintf("/api/v1/consultations/%d/comments", unknownID), body: map[string]string{"body": "意见"}, valid: true}, http.StatusNotFound, "not_found")
	k.do(call{method: "GET", path: path, token: writer, valid: true, out: &v}, http.StatusOK)
	if len(v.Comments) != 1 || got.Number != 1 {
		t.Fatalf("the comment: %+v %+v", got, v)
	}
	moderation := fmt.Sprintf("%s/comments/%d/moderation", path, v.Comments[0].ID)
	k.fails(call{method: "POST", path: moderation, token: publisher, body: map[string]string{"status": "x"}, valid: false}, http.StatusUnprocessableEntity, "invalid_input")
	k.fails(call{method: "POST", path: moderation, token: dalian, body: map[string]string{"status": "approved"}, valid: true}, http.StatusNotFound, "not_found")
	k.do(call{method: "POST", path: moderation, token: publisher, body: map[string]string{"status": "approved"}, valid: true}, http.StatusOK)
	answer := map[string]any{"comments": []int64{v.Comments[0].ID}, "decision": "adopted", "reason": ""}
	k.fails(call{method: "POST", path: path + "/responses", token: writer, body: answer, valid: true}, http.StatusConflict, "period_not_ended")

	movePeriod(t, st, v.ID, today.AddDays(-40), today.AddDays(-1))
	k.fails(call{method: "POST", path: path + "/comments", body: map[string]string{"body": "迟到"}, valid: true}, http.StatusConflict, "consultation_closed")
	k.fails(call{method: "POST", path: path + "/actions", token: writer, body: map[string]string{"action": "report", "report": "说明"}, valid: true}, http.StatusConflict, "comments_unanswered")
	k.fails(call{method: "POST", path: path + "/responses", token: writer, body: map[string]any{"comments": []int64{unknownID}, "decision": "adopted"}, valid: true},
		http.StatusUnprocessableEntity, "invalid_input")
	k.do(call{method: "POST", path: path + "/responses", token: writer, body: answer, valid: true}, http.StatusOK)
	k.do(call{method: "POST", path: path + "/actions", token: writer, body: map[string]string{"action": "report", "report": "共收到意见1条，已采纳。"}, valid: true}, http.StatusOK)
	k.fails(call{method: "POST", path: moderation, token: publisher, body: map[string]string{"status": "hidden"}, valid: true}, http.StatusConflict, "report_submitted")
	k.do(call{method: "POST", path: path + "/actions", token: publisher, body: map[string]string{"action": "report_approve"}, valid: true}, http.StatusOK)
	var final pcView
	k.do(call{method: "GET", path: path, valid: true, out: &final}, http.StatusOK)
	if final.Status != "concluded" || final.Report == nil || len(final.Report.Responses) != 1 || final.Comments[0].Contact != "" {
		t.Fatalf("the concluded consultation: %+v", final)
	}
}

// Comments answered at once, each on its own, get answers of their own: the adoption report never
// puts two separate answers (with their own decisions and reasons) under one number.
func TestConsultationAnswersAtOnceAreNumberedApart(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		writer := audit.Actor{UserID: st.user("race.writer", "reviewer@210100"), Label: "race.writer"}
		publisher := audit.Actor{UserID: st.user("race.publisher", "publisher@210100"), Label: "race.publisher"}
		svc := consultations.Service{DB: st.stack.DB, Auth: st.enf}
		id := publishedConsultation(t, st, writer, publisher)
		const n = 8
		var ids []int64
		for i := range n {
			cm, err := consultations.Send(ctx, st.stack.DB, consultations.Throttle{Max: 1000, Window: time.Hour}, consultations.Sender{IP: "192.0.2.9"}, id,
				consultations.NewComment{Body: fmt.Sprintf("意见%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Moderate(ctx, publisher, id, cm.ID, consultations.CommentApproved); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, cm.ID)
		}
		today := calendar.Today()
		movePeriod(t, st, id, today.AddDays(-30), today.AddDays(-1))
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, cm := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.Respond(ctx, writer, id, consultations.Response{Comments: []int64{cm}, Decision: consultations.DecisionNotAdopted,
					Reason: fmt.Sprintf("理由%d", i)})
			}()
		}
		wg.Wait()
		groups := map[int]int64{}
		c, err := consultations.Get(ctx, st.stack.DB, id)
		if err != nil {
			t.Fatal(err)
		}
		all, err := consultations.Comments(ctx, st.stack.DB, c, true)
		if err != nil {
			t.Fatal(err)
		}
		for i, cm := range all {
			if errs[i] != nil {
				if !strings.Contains(errs[i].Error(), "stale") {
					t.Errorf("answer %d: %v", i, errs[i])
				}
				continue
			}
			if other, ok := groups[cm.Group]; ok {
				t.Errorf("comments %d and %d, answered apart, share answer %d", other, cm.ID, cm.Group)
			}
			groups[cm.Group] = cm.ID
		}
	})
}
