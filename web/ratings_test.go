package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/ratings"
	"github.com/civicflow/civicflow/stacktest"
)

// ratingStanding is the answer of GET …/rating.
type ratingStanding struct {
	Rating *struct {
		ID      int64
		Level   int
		Comment string
		Subject string
	}
	Rateable      bool
	Reason        string
	Rectification *struct {
		Stage    string
		DueOn    string `json:"due_on"`
		ClosedOn string `json:"closed_on"`
		Result   string
	}
}

// cst is an instant in China.
func cst(day, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, calendar.Zone)
	if err != nil {
		panic(err)
	}
	return t
}

// taskID is the rectification the rating of case caseID opened.
func (st *site) taskID(caseID int64) int64 {
	st.t.Helper()
	var id int64
	err := st.stack.DB.NewSelect().TableExpr("rating_rectifications AS rr").Column("rr.id").
		Join("JOIN ratings AS rt ON rt.id = rr.rating_id").Where("rt.case_id = ?", caseID).Scan(context.Background(), &id)
	if err != nil {
		st.t.Fatal(err)
	}
	return id
}

// postStep records a step of a rectification through its page and returns the status and page.
func postStep(b *browser, task int64, step string, form url.Values) (int, string) {
	b.st.t.Helper()
	_, _, csrf := b.get(fmt.Sprintf("/admin/ratings/%d", task))
	form.Set("_csrf", csrf)
	resp, body := b.post(fmt.Sprintf("/admin/ratings/%d/%s", task, step), form)
	return resp.StatusCode, body
}

// The "a 差评 is rectified within its limit": a case ends (refused), its applicant rates it 1
// on the case page; a task opens in the case's jurisdiction due 15 working days later on the legal
// clock; the city's approver records call-back, finding, rectification and result in this order
// (out of order, missing fields and other jurisdictions refused); the result reaches the rater; the
// task shows closed on time. A case not ended, a second rating and someone else's case are refused.
func TestPoorRatingIsRectifiedWithinItsLimit(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.clock.Set(cst("2026-09-24", "10:00")) // a Thursday before 中秋 and 国庆
		ctx := context.Background()
		app, c := st.refused("rq", "沈阳市好差评测试协会", "发起人不足五十名。")
		var applicantID int64
		if err := s.DB.NewSelect().Table("cases").Column("applicant_id").Where("id = ?", c.ID).Scan(ctx, &applicantID); err != nil {
			t.Fatal(err)
		}
		st.user("rq.approver", "approver@2101*")
		st.user("rq.province", "approver@210000")
		st.user("rq.dalian", "approver@2102*")
		st.user("rq.other", "org_applicant@*")
		other := st.token("rq.other")
		ratingPath := fmt.Sprintf("/api/v1/cases/%d/rating", c.ID)

		// Not ended yet: no rating; someone else's case: not found.
		open := st.startPreparation(app, "沈阳市好差评另一协会")
		var e apiErr
		if code := st.api("POST", fmt.Sprintf("/api/v1/cases/%d/rating", open.ID), app, map[string]any{"level": 5}, &e); code != http.StatusConflict || e.Error.Code != "case_not_ended" {
			t.Fatalf("rating a case not ended: %d %+v", code, e)
		}
		var sd ratingStanding
		if code := st.api("GET", fmt.Sprintf("/api/v1/cases/%d/rating", open.ID), app, nil, &sd); code != http.StatusOK || sd.Rateable || sd.Reason != "case_not_ended" {
			t.Fatalf("standing of a case not ended: %d %+v", code, sd)
		}
		for _, m := range []string{"GET", "POST"} {
			if code := st.api(m, ratingPath, other, map[string]any{"level": 1}, &e); code != http.StatusNotFound {
				t.Fatalf("%s someone else's case rating: %d %+v", m, code, e)
			}
		}

		// The applicant rates on the case page: a bad level is refused next to the form, then 非常不满意.
		b := st.browser()
		b.login("rq.applicant")
		code, page, csrf := b.get(fmt.Sprintf("/cases/%d", c.ID))
		if code != http.StatusOK || !strings.Contains(page, "评价本次服务") || !strings.Contains(page, fmt.Sprintf(`action="/cases/%d/rating"`, c.ID)) {
			t.Fatalf("the finished case page offers no rating form: %d\n%s", code, page)
		}
		resp, page := b.post(fmt.Sprintf("/cases/%d/rating", c.ID), url.Values{"_csrf": {csrf}, "level": {"9"}, "comment": {"太慢"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "请选择满意程度") || !strings.Contains(page, "太慢") {
			t.Fatalf("a bad level: %d\n%s", resp.StatusCode, page)
		}
		resp, _ = b.post(fmt.Sprintf("/cases/%d/rating", c.ID), url.Values{"_csrf": {csrf}, "level": {"1"}, "comment": {"窗口要求重复提交材料，等待时间太长。"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rating: %d", resp.StatusCode)
		}
		if code := st.api("POST", ratingPath, app, map[string]any{"level": 5}, &e); code != http.StatusConflict || e.Error.Code != "already_rated" {
			t.Fatalf("a second rating: %d %+v", code, e)
		}
		if code := st.api("POST", ratingPath, app, map[string]any{"level": 3, "comment": "a\u202eb"}, &e); code != http.StatusUnprocessableEntity ||
			e.Error.Fields[0].Path != "comment" || e.Error.Fields[0].Code != "invalid" {
			t.Fatalf("a comment with a bidi control: %d %+v", code, e)
		}

		// The task: in Shenyang, 15 working days after 2026-09-24 on the calendar (中秋 and 国庆 off,
		// 10-10 a make-up working day).
		task := st.taskID(c.ID)
		sd = ratingStanding{}
		if code := st.api("GET", ratingPath, app, nil, &sd); code != http.StatusOK || sd.Rating == nil || sd.Rating.Level != 1 ||
			sd.Rectification == nil || sd.Rectification.DueOn != "2026-10-22" || sd.Rectification.Stage != "callback" {
			t.Fatalf("the rater's standing: %d %+v", code, sd)
		}
		if n := countRows(t, s, "outbox", "template = 'rating_rectification_opened' AND user_id IN (SELECT id FROM users WHERE login = 'rq.approver')"); n != 1 {
			t.Errorf("the city's approver was told %d times of the new task, want 1", n)
		}
		approver := st.browser()
		approver.login("rq.approver")
		if code, page, _ := approver.get("/admin/ratings"); code != http.StatusOK || !strings.Contains(page, c.Number) ||
			!strings.Contains(page, "2026-10-22") || !strings.Contains(page, "窗口要求重复提交材料") {
			t.Fatalf("the staff list: %d\n%s", code, page)
		}

		// Steps out of order, missing fields, other jurisdictions, people without rating:rectify.
		st.clock.Set(cst("2026-09-28", "09:00"))
		if code, page := postStep(approver, task, "finding", url.Values{"founded": {"yes"}, "finding": {"属实"}}); code != http.StatusConflict || !strings.Contains(page, "回访") {
			t.Fatalf("a finding before the call-back: %d\n%s", code, page)
		}
		if code, page := postStep(approver, task, "callback", url.Values{"on": {"2026-09-29"}}); code != http.StatusUnprocessableEntity ||
			!strings.Contains(page, "回访日期须在差评之后") || !strings.Contains(page, "必填") {
			t.Fatalf("a call-back tomorrow without whom and what: %d\n%s", code, page)
		}
		dalian := st.browser()
		dalian.login("rq.dalian")
		if code, _, _ := dalian.get(fmt.Sprintf("/admin/ratings/%d", task)); code != http.StatusNotFound {
			t.Fatalf("Dalian's approver reads Shenyang's task: %d", code)
		}
		acceptor := st.browser()
		acceptor.login("rq.acceptor")
		if code, _, _ := acceptor.get(fmt.Sprintf("/admin/ratings/%d", task)); code != http.StatusForbidden {
			t.Fatalf("an acceptor reads the task: %d", code)
		}
		steps := []struct {
			step string
			form url.Values
		}{
			{"callback", url.Values{"on": {"2026-09-28"}, "reached": {"评价人本人"}, "summary": {"电话回访，评价人反映窗口两次要求补交同一份材料。"}}},
			{"finding", url.Values{"founded": {"yes"}, "finding": {"经调阅记录，窗口确有重复要求补正的情况。"}}},
			{"rectification", url.Values{"measures": {"对窗口人员批评教育，完善一次性告知清单。"}}},
			{"result", url.Values{"result": {"您反映的问题属实，我们已整改，感谢监督。"}}},
		}
		for i, sp := range steps {
			if i == 3 {
				st.clock.Set(cst("2026-10-22", "16:00")) // the last day of the limit
			}
			if code, page := postStep(approver, task, sp.step, sp.form); code != http.StatusSeeOther {
				t.Fatalf("step %s: %d\n%s", sp.step, code, page)
			}
		}
		if code, page := postStep(approver, task, "result", url.Values{"result": {"再次告知"}}); code != http.StatusConflict || !strings.Contains(page, "已办结") {
			t.Fatalf("a step after closing: %d\n%s", code, page)
		}

		// The result reached the rater, in the inbox; the task is closed on time.
		if n := countRows(t, s, "outbox", "template = 'rating_result' AND user_id = ? AND channel = 'inbox'", applicantID); n != 1 {
			t.Fatalf("%d results in the rater's inbox, want 1", n)
		}
		code, page, _ = approver.get(fmt.Sprintf("/admin/ratings/%d", task))
		if code != http.StatusOK || !strings.Contains(page, "按期办结") || !strings.Contains(page, "完善一次性告知清单") || strings.Contains(page, "已超期") {
			t.Fatalf("the closed task: %d\n%s", code, page)
		}
		sd = ratingStanding{}
		if code := st.api("GET", ratingPath, app, nil, &sd); code != http.StatusOK || sd.Rectification == nil || sd.Rectification.Stage != "closed" ||
			sd.Rectification.ClosedOn != "2026-10-22" || !strings.Contains(sd.Rectification.Result, "已整改") {
			t.Fatalf("the rater's standing after the result: %d %+v", code, sd)
		}
		if _, page, _ := b.get(fmt.Sprintf("/cases/%d", c.ID)); !strings.Contains(page, "已整改，感谢监督") || !strings.Contains(page, "非常不满意") {
			t.Fatalf("the case page after the result:\n%s", page)
		}
		for _, action := range []string{"rating.submit", "rating.open", "rating.callback", "rating.finding", "rating.rectification", "rating.result"} {
			if n := countRows(t, s, "audit_log", "action = ?", action); n != 1 {
				t.Errorf("%d audit entries %s, want 1", n, action)
			}
		}
		// The acceptor who refused the case sees the rating of their work, without the rater's name.
		if code, page, _ := acceptor.get("/staff/ratings"); code != http.StatusOK || !strings.Contains(page, c.Number) || strings.Contains(page, "rq.applicant") {
			t.Fatalf("the acceptor's own ratings: %d\n%s", code, page)
		}
		// Public: counted, without the comment.
		if code, page, _ := st.browser().get("/ratings?year=2026"); code != http.StatusOK || !strings.Contains(page, "社会团体成立登记") ||
			strings.Contains(page, "窗口要求重复提交材料") {
			t.Fatalf("the public statistics: %d\n%s", code, page)
		}
	})
}

// poorRating rates a refused case of Shenyang 2 by its applicant through the API and returns the task.
func (st *site) poorRating(prefix string) int64 {
	st.t.Helper()
	app, c := st.refused(prefix, "沈阳市"+prefix+"协会", "材料不全。")
	if code := st.api("POST", fmt.Sprintf("/api/v1/cases/%d/rating", c.ID), app, map[string]any{"level": 2}, nil); code != http.StatusCreated {
		st.t.Fatalf("rating: %d", code)
	}
	return st.taskID(c.ID)
}

// The worker reminds the city's approvers once when 3 working days are left, and once overdue tells
// them and the province's approvers (督办), whatever the number of runs.
func TestRectificationReminderAndEscalationOnce(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.clock.Set(cst("2026-09-24", "10:00"))
		ctx := context.Background()
		city := st.user("rm.approver", "approver@2101*")
		province := st.user("rm.province", "approver@210000")
		dalian := st.user("rm.dalian", "approver@2102*")
		st.poorRating("rm") // due 2026-10-22
		sent := func(template string, user int64) int {
			return countRows(t, s, "outbox", "template = ? AND user_id = ? AND channel = 'inbox'", template, user)
		}
		tick := func(day string, want int) {
			t.Helper()
			n, err := ratings.Tick(ctx, s.DB, st.enf, cst(day, "08:00"), 3)
			if err != nil || n != want {
				t.Fatalf("tick on %s: %d %v, want %d", day, n, err, want)
			}
		}
		tick("2026-10-16", 0) // 4 working days left
		tick("2026-10-19", 1) // 3 left: the reminder
		tick("2026-10-19", 0)
		tick("2026-10-21", 0)
		if sent("rating_rectification_reminder", city) != 1 || sent("rating_rectification_reminder", province) != 0 || sent("rating_rectification_reminder", dalian) != 0 {
			t.Fatal("the reminder went to the wrong people")
		}
		tick("2026-10-22", 0) // the last day: not overdue yet
		// Overdue: escalated once by two workers at once.
		results := make(chan int, 2)
		for range 2 {
			go func() {
				n, err := ratings.Tick(ctx, s.DB, st.enf, cst("2026-10-23", "08:00"), 3)
				if err != nil {
					t.Error(err)
				}
				results <- n
			}()
		}
		if n := <-results + <-results; n != 1 {
			t.Fatalf("two workers escalated %d times, want 1", n)
		}
		tick("2026-10-26", 0)
		if sent("rating_rectification_overdue", city) != 1 || sent("rating_rectification_overdue", province) != 1 || sent("rating_rectification_overdue", dalian) != 0 {
			t.Fatal("the escalation went to the wrong people")
		}
		b := st.browser()
		b.login("rm.approver")
		st.clock.Set(cst("2026-10-23", "09:00"))
		if code, page, _ := b.get("/admin/ratings"); code != http.StatusOK || !strings.Contains(page, "已超期") {
			t.Fatalf("the overdue task is not marked: %d\n%s", code, page)
		}
	})
}

// A visit is rated by its booker once checked in at the office, once; the clerk who checked it in
// sees it among the ratings of their work, and it counts for the item the service applies for.
func TestVisitRating(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		admin := audit.Actor{UserID: st.user("vr.admin", "admin@21*"), Label: "vr.admin"}
		st.user("vr.clerk", "acceptor@2101*")
		st.user("vr.citizen", "citizen")
		st.user("vr.other", "citizen")
		citizen, clerk, other := st.token("vr.citizen"), st.token("vr.clerk"), st.token("vr.other")
		office := st.hepingOffice(admin, appointments.Marriage)
		day := st.bookableDays(office.ID, "marriage", 1)[0]
		groom, bride := personID(t, "210102", "19900101", "001"), personID(t, "210102", "19920202", "002")
		var b appointments.Booking
		if code := st.api("POST", "/api/v1/bookings", citizen, map[string]any{"office_id": office.ID, "service": "marriage", "day": day, "start": "09:00",
			"booker_name": "周伟", "booker_id_number": groom, "partner_name": "李娜", "partner_id_number": bride, "phone": "13800000000"}, &b); code != http.StatusCreated {
			t.Fatalf("booking: %d", code)
		}
		path := fmt.Sprintf("/api/v1/bookings/%d/rating", b.ID)
		var e apiErr
		if code := st.api("POST", path, citizen, map[string]any{"level": 4}, &e); code != http.StatusConflict || e.Error.Code != "not_visited" {
			t.Fatalf("rating before the visit: %d %+v", code, e)
		}
		st.atOffice(day, "09:05")
		if code := st.api("POST", fmt.Sprintf("/api/v1/offices/%d/check-in", office.ID), clerk,
			map[string]any{"code": b.Code, "present": []string{groom, bride}, "service": "marriage"}, nil); code != http.StatusOK {
			t.Fatalf("check-in: %d", code)
		}
		if code := st.api("POST", path, other, map[string]any{"level": 1}, &e); code != http.StatusNotFound {
			t.Fatalf("rating someone else's visit: %d", code)
		}
		if code := st.api("POST", path, citizen, map[string]any{"level": 0, "comment": strings.Repeat("慢", 501)}, &e); code != http.StatusUnprocessableEntity ||
			len(e.Error.Fields) != 2 || e.Error.Fields[0].Path != "level" || e.Error.Fields[1].Code != "too_long" {
			t.Fatalf("a bad rating: %d %+v", code, e)
		}
		br := st.browser()
		br.login("vr.citizen")
		_, page, csrf := br.get(fmt.Sprintf("/appointments/mine/%d", b.ID))
		if !strings.Contains(page, fmt.Sprintf(`action="/appointments/mine/%d/rating"`, b.ID)) {
			t.Fatalf("the booking page offers no rating form:\n%s", page)
		}
		resp, _ := br.post(fmt.Sprintf("/appointments/mine/%d/rating", b.ID), url.Values{"_csrf": {csrf}, "level": {"4"}, "comment": {"引导清楚。"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("rating the visit: %d", resp.StatusCode)
		}
		if code := st.api("POST", path, citizen, map[string]any{"level": 5}, &e); code != http.StatusConflict || e.Error.Code != "already_rated" {
			t.Fatalf("a second rating of the visit: %d %+v", code, e)
		}
		var sd ratingStanding
		if code := st.api("GET", path, citizen, nil, &sd); code != http.StatusOK || sd.Rating == nil || sd.Rating.Level != 4 || sd.Rating.Subject != "visit" || sd.Rectification != nil {
			t.Fatalf("the booker's standing: %d %+v", code, sd)
		}
		if code := st.api("GET", path, other, nil, nil); code != http.StatusNotFound {
			t.Fatalf("someone else's visit rating: %d", code)
		}
		cb := st.browser()
		cb.login("vr.clerk")
		if code, page, _ := cb.get("/staff/ratings"); code != http.StatusOK || !strings.Contains(page, b.Code) || !strings.Contains(page, "引导清楚") {
			t.Fatalf("the clerk's own ratings: %d\n%s", code, page)
		}
		var stats ratings.Statistics
		year := calendar.DateOf(st.clock.Now()).Year()
		if code := st.api("GET", fmt.Sprintf("/api/v1/ratings/statistics?year=%d", year), "", nil, &stats); code != http.StatusOK ||
			len(stats.Items) != 1 || stats.Items[0].Key != "marriage-registration" || stats.Items[0].Of(4) != 1 ||
			len(stats.Departments) != 1 || stats.Departments[0].Key != "210102" {
			t.Fatalf("statistics after the visit: %d %+v", code, stats)
		}
	})
}

// The public statistics of a small data set, per item and per department, exactly: counts per
// level, totals and 好评率, the year taken in China's time, in the API, the page, the CSV export and
// Counts.
func TestRatingStatisticsAreExact(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		rater := st.user("rs.rater", "citizen")
		const a, b = "social-group-establishment", "marriage-registration"
		for _, r := range []struct {
			item, jurisdiction string
			level              int
			at                 time.Time
		}{
			{a, "210100", 5, cst("2026-03-01", "10:00")}, {a, "210100", 5, cst("2026-04-01", "10:00")},
			{a, "210100", 4, cst("2026-05-01", "10:00")}, {a, "210100", 2, cst("2026-06-01", "10:00")},
			{a, "210102", 1, cst("2026-07-01", "10:00")},
			{b, "210102", 5, cst("2026-08-01", "10:00")}, {b, "210102", 3, cst("2026-12-31", "23:50")},
			{b, "210100", 4, cst("2026-01-01", "00:10")},
			{b, "210102", 1, cst("2025-12-31", "23:30")}, // 2025 in China, though 2025-12-31T15:30Z
		} {
			row := &ratings.Rating{Subject: ratings.SubjectCase, RaterID: rater, ItemCode: r.item, Jurisdiction: r.jurisdiction, Level: r.level, CreatedAt: r.at.UTC()}
			if _, err := s.DB.NewInsert().Model(row).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		var got ratings.Statistics
		if code := st.api("GET", "/api/v1/ratings/statistics?year=2026", "", nil, &got); code != http.StatusOK {
			t.Fatalf("statistics: %d", code)
		}
		rate := func(r *float64) string {
			if r == nil {
				return "null"
			}
			return fmt.Sprintf("%.4f", *r)
		}
		line := func(key string, tl ratings.Tally) string {
			return fmt.Sprintf("%s %v total %d good %d bad %d rate %s", key, tl.Levels, tl.Total, tl.Good, tl.Bad, rate(tl.GoodRate))
		}
		var lines []string
		lines = append(lines, line("total", got.Total))
		for _, r := range got.Items {
			lines = append(lines, line(r.Key, r.Tally))
		}
		for _, r := range got.Departments {
			lines = append(lines, line(r.Key, r.Tally))
		}
		want := []string{
			"total [1 1 1 2 3] total 8 good 5 bad 2 rate 0.6250",
			b + " [0 0 1 1 1] total 3 good 2 bad 0 rate 0.6667",
			a + " [1 1 0 1 2] total 5 good 3 bad 2 rate 0.6000",
			"210100 [0 1 0 2 2] total 5 good 4 bad 1 rate 0.8000",
			"210102 [1 0 1 0 1] total 3 good 1 bad 1 rate 0.3333",
		}
		if strings.Join(lines, "\n") != strings.Join(want, "\n") {
			t.Fatalf("statistics of 2026:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
		}
		if code := st.api("GET", "/api/v1/ratings/statistics?year=2026&jurisdiction=210102", "", nil, &got); code != http.StatusOK ||
			got.Total.Total != 3 || len(got.Items) != 2 || len(got.Departments) != 1 {
			t.Fatalf("statistics of Heping: %d %+v", code, got)
		}
		if code := st.api("GET", "/api/v1/ratings/statistics?year=2024", "", nil, &got); code != http.StatusOK || got.Total.Total != 0 || got.Total.GoodRate != nil {
			t.Fatalf("statistics of a year without ratings: %d %+v", code, got)
		}
		var e apiErr
		if code := st.api("GET", "/api/v1/ratings/statistics?year=x&jurisdiction=21a", "", nil, &e); code != http.StatusUnprocessableEntity || len(e.Error.Fields) != 1 {
			t.Fatalf("a bad year: %d %+v", code, e)
		}
		if code := st.api("GET", "/api/v1/ratings/statistics?year=2026&jurisdiction=21a", "", nil, &e); code != http.StatusUnprocessableEntity || e.Error.Fields[0].Path != "jurisdiction" {
			t.Fatalf("a bad jurisdiction: %d %+v", code, e)
		}
		for prefix, want := range map[string]string{"": "[1 1 1 2 3] 62.5%", "2101": "[1 1 1 2 3] 62.5%", "210102": "[1 0 1 0 1] 33.3%", "2102": "[0 0 0 0 0] —"} {
			tl, err := ratings.Counts(ctx, s.DB, 2026, prefix)
			if got := fmt.Sprintf("%v %s", tl.Levels, tl.Percent()); err != nil || got != want {
				t.Errorf("Counts(2026, %q) = %s %v, want %s", prefix, got, err, want)
			}
		}
		if tl, err := ratings.Counts(ctx, s.DB, 2025, ""); err != nil || tl.Total != 1 || tl.Percent() != "0.0%" {
			t.Errorf("Counts(2025) = %+v %v", tl, err)
		}

		// The page: the rankings with names and percentages, unrated departments with "—".
		code, page, _ := st.browser().get("/ratings?year=2026")
		if code != http.StatusOK {
			t.Fatalf("the page: %d", code)
		}
		for _, want := range []string{"62.5%", "66.7%", "60.0%", "80.0%", "33.3%", "结婚登记", "社会团体成立登记", "大连市", "—"} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Index(page, "结婚登记") > strings.Index(page, "社会团体成立登记") {
			t.Error("the page ranks the items in the wrong order")
		}
		if code, _, _ := st.browser().get("/ratings?year=x"); code != http.StatusUnprocessableEntity {
			t.Errorf("the page with a bad year: %d", code)
		}
		code, csv, _ := st.browser().get("/ratings/statistics.csv?year=2026")
		if code != http.StatusOK || !strings.Contains(csv, "事项 Item,"+a+",社会团体成立登记,2,1,0,1,1,5,60.0%") ||
			!strings.Contains(csv, "部门 Department,210102,和平区,1,0,1,0,1,3,33.3%") || !strings.Contains(csv, "合计 Total,,,3,2,1,1,1,8,62.5%") {
			t.Fatalf("the CSV: %d\n%s", code, csv)
		}
	})
}

// ratingsContract exercises the ratings API against the document: the rater's standing and rating of
// a finished case with its errors, a booking's, and the public statistics.
func ratingsContract(t *testing.T, k *contract, st *site) {
	app, c := st.refused("rk", "沈阳市好差评契约协会", "材料不全。")
	st.user("rk.other", "citizen")
	other := st.token("rk.other")
	path := fmt.Sprintf("/api/v1/cases/%d/rating", c.ID)
	k.do(call{method: "GET", path: path, token: app, valid: true}, 200)
	k.fails(call{method: "GET", path: path}, 401, "login_required")
	k.fails(call{method: "GET", path: path, token: other}, 404, "not_found")
	k.fails(call{method: "POST", path: path, token: app, body: map[string]any{"level": 7}}, 422, "invalid_input")
	k.fails(call{method: "POST", path: path, token: other, valid: true, body: map[string]any{"level": 4}}, 404, "not_found")
	k.fails(call{method: "POST", path: path, token: app, body: map[string]any{"level": 4, "stars": 5}}, 400, "bad_json")
	k.do(call{method: "POST", path: path, token: app, valid: true, body: map[string]any{"level": 4, "comment": "很好"}}, 201)
	k.fails(call{method: "POST", path: path, token: app, valid: true, body: map[string]any{"level": 4}}, 409, "already_rated")
	k.do(call{method: "GET", path: path, token: app, valid: true}, 200)
	bookingPath := fmt.Sprintf("/api/v1/bookings/%d/rating", unknownID)
	k.fails(call{method: "GET", path: bookingPath, token: app}, 404, "not_found")
	k.fails(call{method: "POST", path: bookingPath, token: app, valid: true, body: map[string]any{"level": 4}}, 404, "not_found")
	k.fails(call{method: "POST", path: bookingPath, body: map[string]any{"level": 4}}, 401, "login_required")
	k.do(call{method: "GET", path: "/api/v1/ratings/statistics?year=2026&jurisdiction=2101", valid: true}, 200)
	k.do(call{method: "GET", path: "/api/v1/ratings/statistics", valid: true}, 200)
	k.fails(call{method: "GET", path: "/api/v1/ratings/statistics?year=x"}, 422, "invalid_input")
}

// Fifty 差评 of one ended case sent at once: exactly one is recorded (201), every other answer is
// 409 already_rated, none fails, and one rectification task opens.
func TestCaseRatingBurstRecordsOnce(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		app, c := st.refused("rb", "沈阳市好差评并发测试协会", "发起人不足五十名。")
		path := fmt.Sprintf("/api/v1/cases/%d/rating", c.ID)
		var mu sync.Mutex
		codes := map[string]int{}
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var e apiErr
				code := st.api("POST", path, app, map[string]any{"level": 1 + i%2, "comment": fmt.Sprintf("差评%d", i)}, &e)
				mu.Lock()
				codes[fmt.Sprintf("%d %s", code, e.Error.Code)]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if codes["201 "] != 1 || codes["409 already_rated"] != 49 {
			t.Fatalf("answers to 50 ratings at once: %v", codes)
		}
		for table, want := range map[string]int64{"ratings": 1, "rating_rectifications": 1} {
			n, err := s.DB.NewSelect().Table(table).Count(ctx)
			if err != nil || n != want {
				t.Errorf("%s: %d rows (%v), want %d", table, n, err, want)
			}
		}
	})
}
