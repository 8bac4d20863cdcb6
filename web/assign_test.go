package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// assignCase is what the tests read of a case after an assignment.
type assignCase struct {
	ID         int64
	Version    int64
	State      string
	AssigneeID *int64 `json:"assignee_id"`
}

// assignContract exercises assignment (承办人) and internal notes through the API, every answer
// checked against openapi.json: the reviewers offered, assignment and reassignment with and
// without a reason, who is refused and how, the inbox's "mine", the history, notes for staff only.
func assignContract(t *testing.T, k *contract, st *site) {
	t.Helper()
	st.user("asg.applicant", "org_applicant@*")
	acceptor := st.user("asg.acceptor", "acceptor@2101*")
	rev1 := st.user("asg.reviewer1", "reviewer@2101*")
	rev2 := st.user("asg.reviewer2", "reviewer@210100")
	dalianRev := st.user("asg.dalian.reviewer", "reviewer@2102*")
	st.user("asg.approver", "approver@2101*")
	st.user("asg.dalian.approver", "approver@2102*")
	st.user("asg.auditor", "auditor@21*")
	app, acc, apr := st.token("asg.applicant"), st.token("asg.acceptor"), st.token("asg.approver")
	r1, r2, dr := st.token("asg.reviewer1"), st.token("asg.reviewer2"), st.token("asg.dalian.reviewer")
	dapr, aud := st.token("asg.dalian.approver"), st.token("asg.auditor")

	c := st.startPreparation(app, "沈阳市承办测试促进会")
	c = st.step(acc, c, "accept_prep", "prep_review", nil)
	base := "/api/v1/cases/" + strconv.FormatInt(c.ID, 10)
	assign := func(token string, assignee int64, reason string, version int64) call {
		body := map[string]any{"assignee_id": assignee, "expected_version": version}
		if reason != "" {
			body["reason"] = reason
		}
		return call{method: "POST", path: base + "/assignment", token: token, valid: true, body: body}
	}

	// The reviewers of the jurisdiction are offered, by name; not Dalian's.
	var rl struct{ Reviewers []workflow.Reviewer }
	k.do(call{method: "GET", path: base + "/reviewers", token: apr, valid: true, out: &rl}, 200)
	offered := map[int64]bool{}
	for _, r := range rl.Reviewers {
		offered[r.ID] = true
	}
	if !offered[rev1] || !offered[rev2] || offered[dalianRev] || offered[acceptor] {
		t.Errorf("reviewers offered: %+v", rl.Reviewers)
	}
	k.fails(call{method: "GET", path: base + "/reviewers", token: r1}, 403, "forbidden")
	k.fails(call{method: "GET", path: base + "/reviewers", token: dapr}, 404, "not_found")

	// Refusals: not a reviewer of the jurisdiction (422), not an approver (403), not the approver's
	// jurisdiction (404), an older version (409).
	for _, who := range []int64{dalianRev, acceptor, 0} {
		e := k.fails(assign(apr, who, "", c.Version), 422, "invalid_input")
		if !e.hasField("assignee_id", "not_reviewer") && !e.hasField("assignee_id", "required") {
			t.Errorf("assigning to user %d: %+v", who, e)
		}
	}
	k.fails(assign(r1, rev1, "", c.Version), 403, "forbidden")
	k.fails(assign(aud, rev1, "", c.Version), 403, "forbidden")
	k.fails(assign(dapr, rev1, "", c.Version), 404, "not_found")
	k.fails(assign(apr, rev1, "", c.Version-1), 409, "stale_version")

	// Assign, then reassign: a reason is required the second time.
	var after assignCase
	k.do(call{method: "POST", path: base + "/assignment", token: apr, valid: true, out: &after,
		body: map[string]any{"assignee_id": rev1, "expected_version": c.Version}}, 200)
	if after.AssigneeID == nil || *after.AssigneeID != rev1 || after.Version != c.Version+1 || after.State != "prep_review" {
		t.Fatalf("after the assignment: %+v", after)
	}
	if e := k.fails(assign(apr, rev2, "", after.Version), 422, "invalid_input"); !e.hasField("reason", "required") {
		t.Errorf("a reassignment without a reason: %+v", e)
	}
	if e := k.fails(assign(apr, rev1, "再派一次", after.Version), 422, "invalid_input"); !e.hasField("assignee_id", "unchanged") {
		t.Errorf("assigning to the assignee again: %+v", e)
	}
	tooLong := assign(apr, rev2, strings.Repeat("长", workflow.MaxAssignReasonLength+1), after.Version)
	tooLong.valid = false // the document says so too
	if e := k.fails(tooLong, 422, "invalid_input"); !e.hasField("reason", "too_long") {
		t.Errorf("too long a reason: %+v", e)
	}
	k.do(call{method: "POST", path: base + "/assignment", token: apr, valid: true, out: &after,
		body: map[string]any{"assignee_id": rev2, "reason": "原承办人出差。", "expected_version": after.Version}}, 200)
	if *after.AssigneeID != rev2 {
		t.Fatalf("after the reassignment: %+v", after)
	}

	// "mine" lists the case for its assignee only; the whole inbox still lists it for every reviewer.
	inboxHas := func(token, query string) bool {
		var list struct{ Cases []assignCase }
		k.do(call{method: "GET", path: "/api/v1/inbox" + query, token: token, valid: true, out: &list}, 200)
		for _, x := range list.Cases {
			if x.ID == c.ID {
				return true
			}
		}
		return false
	}
	if !inboxHas(r2, "?mine=1") || inboxHas(r1, "?mine=1") || !inboxHas(r1, "") {
		t.Error("the inbox's mine filter does not list the case for its assignee only")
	}
	// Another reviewer of the jurisdiction still acts on the case.
	if got := st.getCase(r1, c.ID).allowed(); len(got) == 0 {
		t.Error("a reviewer the case is not assigned to may not act on it")
	}

	// The history has both assignments, with the reason; the applicant sees neither, nor the assignee.
	staff := st.getCase(apr, c.ID)
	var assigned []string
	for _, ev := range staff.Events {
		if ev.Action == workflow.EventAssign {
			assigned = append(assigned, ev.Comment)
		}
	}
	if len(assigned) != 2 || assigned[1] != "原承办人出差。" || staff.Case.Version != int64(len(staff.Events)) {
		t.Errorf("the history of the assignments: %q (version %d, %d events)", assigned, staff.Case.Version, len(staff.Events))
	}
	var own map[string]any
	st.api("GET", base, app, nil, &own)
	if s := fmt.Sprint(own); strings.Contains(s, "assignee") || strings.Contains(s, workflow.EventAssign) || strings.Contains(s, "原承办人出差") {
		t.Errorf("the applicant's view shows the assignment: %s", s)
	}

	// Internal notes: staff write and read them; auditors only read; Dalian and the applicant see none.
	if e := k.fails(call{method: "POST", path: base + "/notes", token: r1, valid: true, body: map[string]string{"body": " \n "}}, 422, "invalid_input"); !e.hasField("body", "required") {
		t.Errorf("an empty note: %+v", e)
	}
	if e := k.fails(call{method: "POST", path: base + "/notes", token: r1, body: map[string]string{"body": strings.Repeat("长", workflow.MaxNoteLength+1)}}, 422, "invalid_input"); !e.hasField("body", "too_long") {
		t.Errorf("too long a note: %+v", e)
	}
	const note = "申请人住所已电话核实。"
	var written struct {
		ID         int64
		Body       string
		AuthorName string `json:"author_name"`
	}
	k.do(call{method: "POST", path: base + "/notes", token: r1, valid: true, out: &written, body: map[string]string{"body": note}}, 201)
	if written.Body != note || written.AuthorName != "asg.reviewer1" {
		t.Errorf("the note written: %+v", written)
	}
	k.fails(call{method: "POST", path: base + "/notes", token: aud, valid: true, body: map[string]string{"body": note}}, 403, "forbidden")
	k.fails(call{method: "POST", path: base + "/notes", token: dr, valid: true, body: map[string]string{"body": note}}, 404, "not_found")
	var notes struct{ Notes []struct{ Body string } }
	k.do(call{method: "GET", path: base + "/notes", token: aud, valid: true, out: &notes}, 200)
	if len(notes.Notes) != 1 || notes.Notes[0].Body != note {
		t.Errorf("the notes the auditor reads: %+v", notes)
	}
	k.fails(call{method: "GET", path: base + "/notes", token: app}, 404, "not_found")
	k.fails(call{method: "GET", path: base + "/notes", token: dr}, 404, "not_found")
	k.fails(call{method: "GET", path: base + "/notes"}, 401, "login_required")

	// Audited, and told: the first assignee, then the second and the first again on the reassignment,
	// and the assignee of a note someone else wrote.
	for _, want := range []struct {
		user     int64
		template string
	}{{rev1, "case_assigned"}, {rev2, "case_assigned"}, {rev1, "case_reassigned"}, {rev2, "case_note_added"}} {
		if countRows(t, st.stack, "outbox", "user_id = ? AND template = ?", want.user, want.template) == 0 {
			t.Errorf("user %d was not sent %s", want.user, want.template)
		}
	}
	assertAudited(t, st.stack, "case.assign")
	assertAudited(t, st.stack, "case.note")
	st.api("GET", base, app, nil, &own)
	if strings.Contains(fmt.Sprint(own), note) {
		t.Error("the applicant's view of the case shows the note")
	}

	// A closed case is assigned no more.
	refused := st.startPreparation(app, "沈阳市承办测试二促进会")
	refused = st.step(acc, refused, "reject", "refused", map[string]any{"fields": map[string]any{"reason": "不属于本机关登记管理范围。"}})
	k.fails(call{method: "POST", path: fmt.Sprintf("/api/v1/cases/%d/assignment", refused.ID), token: apr, valid: true,
		body: map[string]any{"assignee_id": rev1, "expected_version": refused.Version}}, 409, "case_closed")
}

// Assignment and notes through the API, on both databases.
func TestAssignmentAndNotesThroughTheAPI(t *testing.T) {
	doc := loadOpenAPI(t)
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		assignContract(t, newContract(t, st, doc), st)
		report, err := workflow.CheckChains(context.Background(), s.DB)
		if err != nil || len(report.Broken) > 0 {
			t.Errorf("the chains after assignments: %v %+v", err, report.Broken)
		}
	})
}

// Two approvers assigning the same case at once: one wins, the other is told the case changed, and
// the history keeps every assignment that happened, chained.
func TestConcurrentAssignmentsLoseNothing(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("race.applicant", "org_applicant@*")
		st.user("race.acceptor", "acceptor@2101*")
		revs := []int64{st.user("race.reviewer1", "reviewer@2101*"), st.user("race.reviewer2", "reviewer@2101*")}
		st.user("race.approver1", "approver@2101*")
		st.user("race.approver2", "approver@2101*")
		tokens := []string{st.token("race.approver1"), st.token("race.approver2")}
		c := st.startPreparation(st.token("race.applicant"), "沈阳市并发测试促进会")
		c = st.step(st.token("race.acceptor"), c, "accept_prep", "prep_review", nil)

		for round := 0; round < 3; round++ {
			codes := make([]int, 2)
			errs := make([]apiErr, 2)
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Go(func() {
					body := map[string]any{"assignee_id": revs[(i+round)%2], "expected_version": c.Version}
					if round > 0 {
						body["reason"] = fmt.Sprintf("第%d轮调整", round)
					}
					codes[i] = st.api("POST", fmt.Sprintf("/api/v1/cases/%d/assignment", c.ID), tokens[i], body, &errs[i])
				})
			}
			wg.Wait()
			won, lost := 0, 0
			for i, code := range codes {
				switch {
				case code == http.StatusOK:
					won++
				case code == http.StatusConflict && errs[i].Error.Code == "stale_version":
					lost++
				case code == http.StatusUnprocessableEntity && round > 0:
					lost++ // the reviewer already assigned: unchanged
				default:
					t.Fatalf("round %d: approver %d got %d %+v", round, i, code, errs[i])
				}
			}
			v := st.getCase(tokens[0], c.ID)
			if won > 1 || won+lost != 2 {
				t.Fatalf("round %d: %d won, %d lost", round, won, lost)
			}
			if v.Case.Version != int64(len(v.Events)) || v.Case.Version != c.Version+int64(won) {
				t.Fatalf("round %d: version %d with %d events, from %d with %d winners", round, v.Case.Version, len(v.Events), c.Version, won)
			}
			c.Version = v.Case.Version
		}
		report, err := workflow.CheckChains(context.Background(), s.DB)
		if err != nil || len(report.Broken) > 0 {
			t.Errorf("the chains after racing assignments: %v %+v", err, report.Broken)
		}
	})
}

// On the case page an approver assigns and reassigns (a reason required the second time, its error
// on the field), another reviewer is warned that the case is someone else's, staff read and write
// notes, and the applicant's page shows none of it; the inbox page lists the case under "mine".
func TestAssignmentOnTheCasePage(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("pg.applicant", "org_applicant@*")
		st.user("pg.acceptor", "acceptor@2101*")
		wang := st.user("pg.wang", "reviewer@2101*")
		li := st.user("pg.li", "reviewer@2101*")
		st.user("pg.approver", "approver@2101*")
		st.user("pg.auditor", "auditor@21*")
		c := st.startPreparation(st.token("pg.applicant"), "沈阳市页面测试促进会")
		c = st.step(st.token("pg.acceptor"), c, "accept_prep", "prep_review", nil)
		casePath := "/cases/" + strconv.FormatInt(c.ID, 10)

		approver := st.browser()
		approver.login("pg.approver")
		_, body, csrf := approver.get(casePath)
		if !strings.Contains(body, `action="`+casePath+`/assignment"`) || !strings.Contains(body, ">pg.wang</option>") ||
			!strings.Contains(body, "尚未分配") {
			t.Fatalf("the approver's case page offers no assignment:\n%s", body)
		}
		resp, _ := approver.post(casePath+"/assignment", url.Values{"_csrf": {csrf}, "assignee_id": {strconv.FormatInt(wang, 10)},
			"expected_version": {strconv.FormatInt(c.Version, 10)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("assigning from the page: %d", resp.StatusCode)
		}
		_, body, csrf = approver.get(casePath)
		if !strings.Contains(body, "<strong>pg.wang</strong>") || !strings.Contains(body, "改派理由") {
			t.Fatalf("the page does not show the assignee and the reassignment form:\n%s", body)
		}
		resp, body = approver.post(casePath+"/assignment", url.Values{"_csrf": {csrf}, "assignee_id": {strconv.FormatInt(li, 10)},
			"expected_version": {strconv.FormatInt(c.Version+1, 10)}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="reason-error"`) ||
			!strings.Contains(body, `<option value="`+strconv.FormatInt(li, 10)+`" selected>`) {
			t.Fatalf("a reassignment without a reason: %d\n%s", resp.StatusCode, body)
		}

		// Li, another reviewer, is warned but may still act; Wang, the assignee, is not warned.
		other := st.browser()
		other.login("pg.li")
		_, body, _ = other.get(casePath)
		if !strings.Contains(body, "此办件已分配给pg.wang承办") || !strings.Contains(body, "/actions/propose_prep") {
			t.Errorf("another reviewer's page lacks the warning or the action:\n%s", body)
		}
		assignee := st.browser()
		assignee.login("pg.wang")
		_, body, csrf = assignee.get(casePath)
		if strings.Contains(body, "此办件已分配给") {
			t.Error("the assignee is warned that the case is assigned to someone")
		}
		mine, _ := assignee.page("/inbox?mine=1", http.StatusOK)
		if !strings.Contains(mine, c.Number) || !strings.Contains(mine, `id="mine" name="mine" type="checkbox" value="1" checked`) {
			t.Error("the assignee's inbox does not list the case under mine")
		}
		if theirs, _ := other.page("/inbox?mine=1", http.StatusOK); strings.Contains(theirs, c.Number) {
			t.Error("another reviewer's mine lists the case")
		}

		// Notes: an empty one is refused on its field; a note shows to staff only.
		resp, body = assignee.post(casePath+"/notes", url.Values{"_csrf": {csrf}, "body": {"  "}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="body-error"`) {
			t.Fatalf("an empty note: %d", resp.StatusCode)
		}
		const note = "发起人名单需再核对一次。"
		if resp, _ = assignee.post(casePath+"/notes", url.Values{"_csrf": {csrf}, "body": {note}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("adding a note from the page: %d", resp.StatusCode)
		}
		auditor := st.browser()
		auditor.login("pg.auditor")
		_, body, _ = auditor.get(casePath)
		if !strings.Contains(body, note) || strings.Contains(body, `action="`+casePath+`/notes"`) || strings.Contains(body, `/assignment"`) {
			t.Error("the auditor does not read the note, or is offered to write or assign")
		}
		applicant := st.browser()
		applicant.login("pg.applicant")
		_, body, _ = applicant.get(casePath)
		for _, hidden := range []string{note, "pg.wang", "承办人", "内部备注"} {
			if strings.Contains(body, hidden) {
				t.Errorf("the applicant's case page shows %s", hidden)
			}
		}
		var p struct{ Stage struct{ ZH string } }
		var qc struct {
			Case struct {
				QueryCode string `json:"query_code"`
			}
		}
		st.api("GET", "/api/v1/cases/"+strconv.FormatInt(c.ID, 10), st.token("pg.applicant"), nil, &qc)
		code := st.api("GET", "/api/v1/progress?number="+c.Number+"&code="+qc.Case.QueryCode, "", nil, &p)
		_, progress, _ := st.browser().get("/progress?number=" + c.Number + "&code=" + qc.Case.QueryCode)
		if code != http.StatusOK || p.Stage.ZH == "" || strings.Contains(progress, note) || strings.Contains(progress, "pg.wang") {
			t.Errorf("the progress lookup: %d %+v", code, p)
		}
	})
}
