package workflow_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// What an answer to a supplement notice may change, as pages draw and read it, is what Apply accepts:
// the listed paths (and file fields of listed materials); everything else stays as submitted, money
// included, whatever the page posts.
func TestSupplementAnswerRules(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.start()
		item := testItem(hashA, true)
		staff, err := f.eng.Get(f.ctx, f.actor(f.acceptor), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := staff.SupplementForm(); got != "sg_prep" {
			t.Errorf("a notice now would be about %q", got)
		}
		// The fields of the 筹备 form and the materials it uploads; not the establishment's minutes.
		var choices []string
		for _, ch := range workflow.SupplementChoices(item, staff.SupplementForm()) {
			choices = append(choices, ch.ID+"="+ch.Label.ZH)
		}
		if want := []string{"name=名称", "funds=活动资金", "members=发起人", "application_letter=申请书", "articles=章程草案"}; !slices.Equal(choices, want) {
			t.Errorf("SupplementChoices = %v, want %v", choices, want)
		}
		c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "request_supplement", Comment: "第二位发起人身份证号码有误；申请书未盖章。",
			Items: []string{"name", "members[1].id_number", "application_letter"}})
		resubmit := item.Workflow.Actions[slices.IndexFunc(item.Workflow.Actions, func(a catalog.Action) bool { return a.ID == "resubmit" })]
		if got := workflow.FormFor(item, c, &resubmit); got != "sg_prep" {
			t.Errorf("the answer fills in %q", got)
		}
		sup, form := c.Supplement, item.Forms["sg_prep"]

		for path, want := range map[string]bool{
			"name": true, "funds": false, "members": false, "members[1]": false, "members[1].id_number": true,
			"members[1].name": false, "members[0].id_number": false, "letter": true, "articles": false, "nothing": false,
		} {
			if got := sup.Editable(form, path); got != want {
				t.Errorf("Editable(%s) = %v", path, got)
			}
		}
		for path, want := range map[string]bool{
			"members": true, "members[1]": true, "members[0]": false, "name": false, "funds": false, "letter": false,
		} {
			if got := sup.Encloses(form, path); got != want {
				t.Errorf("Encloses(%s) = %v", path, got)
			}
		}
		for id, want := range map[string]string{"members[1].id_number": "发起人 第2行 身份证号码", "application_letter": "申请书", "name": "名称"} {
			if got := workflow.ItemLabel(item, sup.Form, id).ZH; got != want {
				t.Errorf("ItemLabel(%s) = %q", id, got)
			}
		}

		letter := f.material(f.applicant, "application_letter")
		posted := map[string][]string{
			"name":                 {"沈阳市摄影协会"},
			"funds":                {"99999"},              // locked: ignored
			"members[0].name":      {"张大伟"},                // locked: ignored
			"members[1].id_number": {"110101199003074514"}, // listed
			"letter":               {strconv.FormatInt(letter, 10)},
			"_csrf":                {"not a field"},
		}
		submitted := c.Data["sg_prep"].(map[string]any)
		answer := sup.Answer(form, submitted, posted)
		members := answer["members"].([]any)
		if answer["name"] != "沈阳市摄影协会" || answer["funds"] != "50000" || len(members) != 2 ||
			members[0].(map[string]any)["name"] != "张伟" || members[1].(map[string]any)["id_number"] != "110101199003074514" ||
			fmt.Sprint(answer["letter"]) != fmt.Sprintf("[%d]", letter) {
			t.Fatalf("the answer: %v", answer)
		}
		c = f.apply(c, f.applicant, workflow.ApplyRequest{Action: "resubmit", Data: answer})
		data := c.Data["sg_prep"].(map[string]any)
		if fmt.Sprint(data["funds"]) != "5000000" || data["name"] != "沈阳市摄影协会" { // 50,000 yuan in fen, as filed
			t.Errorf("after the answer: %v", data)
		}
	})
}

// The case's history says what each event recorded, labelled from the definition: the reviewer's
// opinion for staff (not for the applicant), the decision number, the items of a notice and what the
// answer changed.
func TestEventDetails(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.start()
		c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "request_supplement", Comment: "请补正",
			Items: []string{"members[1].id_number", "articles"}})
		fixed := c.Data["sg_prep"].(map[string]any)
		fixed = clone(fixed)
		fixed["funds"] = "50000"
		fixed["members"] = []any{
			map[string]any{"name": "张伟", "id_number": "110101200001011232"},
			map[string]any{"name": "李娜", "id_number": "110101199003074514"},
		}
		c = f.apply(c, f.applicant, workflow.ApplyRequest{Action: "resubmit", Data: fixed})
		c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "accept"})
		c = f.apply(c, f.reviewer, workflow.ApplyRequest{Action: "propose", Fields: map[string]any{"opinion": "符合条件"}})
		f.apply(c, f.approver1, workflow.ApplyRequest{Action: "approve", Fields: map[string]any{"decision_number": "辽民审〔2026〕1号"}})

		lines := func(user int64) []string {
			t.Helper()
			v, err := f.eng.Get(f.ctx, f.actor(user), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for i, ds := range v.EventDetails() {
				for _, d := range ds {
					out = append(out, v.Events[i].Action+" "+d.Kind+" "+d.Path+" "+d.Label.ZH+"="+d.Value.ZH)
				}
			}
			return out
		}
		want := []string{
			"request_supplement supplement members[1].id_number 发起人 第2行 身份证号码=",
			"request_supplement supplement articles 章程草案=",
			"resubmit changed members[1].id_number 发起人 第2行 身份证号码=",
			"propose field opinion 审查意见=符合条件",
			"cosign field decision_number 决定书文号=辽民审〔2026〕1号",
		}
		if got := lines(f.approver2); !slices.Equal(got, want) {
			t.Errorf("the approver reads:\n%s", strings.Join(got, "\n"))
		}
		want = slices.DeleteFunc(want, func(l string) bool { return strings.HasPrefix(l, "propose ") })
		if got := lines(f.applicant); !slices.Equal(got, want) {
			t.Errorf("the applicant reads:\n%s", strings.Join(got, "\n"))
		}
	})
}

// A check answers as the call it checks would and writes nothing: no case, no event, no case number
// used up, no new version.
func TestChecksWriteNothing(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		bad := f.application(f.applicant)
		bad["name"] = ""
		bad["members"] = []any{map[string]any{"name": "张伟", "id_number": "1"}}
		err := f.eng.CheckStart(f.ctx, f.actor(f.applicant), itemCode, shenyang, bad)
		wantPaths(t, err, "name=required", "members[0].id_number=id_card_format")
		if err := f.eng.CheckStart(f.ctx, f.actor(f.applicant), itemCode, shenyang, f.application(f.applicant)); err != nil {
			t.Fatalf("checking a valid application: %v", err)
		}
		err = f.eng.CheckStart(f.ctx, f.actor(f.applicant), itemCode, heping, f.application(f.applicant))
		wantPaths(t, err, "jurisdiction=level_not_handled")
		if n := f.count("cases", "1 = 1") + f.count("case_events", "1 = 1"); n != 0 {
			t.Fatalf("the checks wrote %d cases and events", n)
		}
		c := f.start()
		if !strings.HasSuffix(c.Number, "-000001") {
			t.Errorf("the first case filed after the checks is %s", c.Number)
		}

		req := workflow.ApplyRequest{Action: "refuse", ExpectedVersion: c.Version}
		wantPaths(t, f.eng.CheckApply(f.ctx, f.actor(f.acceptor), c.ID, req), "fields.reason=required")
		wantProblem(t, f.eng.CheckApply(f.ctx, f.actor(f.applicant), c.ID, req), problem.Forbidden, "forbidden")
		req.Fields = map[string]any{"reason": "不符合条件"}
		if err := f.eng.CheckApply(f.ctx, f.actor(f.acceptor), c.ID, req); err != nil {
			t.Fatalf("checking a valid refusal: %v", err)
		}
		v, err := f.eng.Get(f.ctx, f.actor(f.acceptor), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Case.State != "accepting" || v.Case.Version != c.Version || len(v.Events) != 1 {
			t.Errorf("after the checks: %s v%d, %d events", v.Case.State, v.Case.Version, len(v.Events))
		}
	})
}

// A user's drafts of new applications are listed, latest first, and can be discarded; drafts of a
// case's forms are reached through the case.
func TestDraftsListedAndDiscarded(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		other := testItem("other-version", true)
		other.Code = "sg_other"
		f.storeVersion(other)
		f.setCurrent(other)
		c := f.start()
		if err := f.eng.SaveDraft(f.ctx, f.applicant, itemCode, c.ID, map[string]any{"chair": "张"}); err != nil {
			t.Fatal(err)
		}
		if err := f.eng.SaveDraft(f.ctx, f.applicant, itemCode, 0, map[string]any{"name": "一"}); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		if err := f.eng.SaveDraft(f.ctx, f.applicant, "sg_other", 0, map[string]any{"name": "二"}); err != nil {
			t.Fatal(err)
		}
		list, err := f.eng.Drafts(f.ctx, f.applicant)
		if err != nil || len(list) != 2 || list[0].ItemCode != "sg_other" || list[1].ItemCode != itemCode || !list[0].SavedAt.After(list[1].SavedAt) {
			t.Fatalf("the drafts: %+v %v", list, err)
		}
		if list, err := f.eng.Drafts(f.ctx, f.other); err != nil || len(list) != 0 {
			t.Errorf("another user's drafts: %+v %v", list, err)
		}
		wantProblem(t, f.eng.DiscardDraft(f.ctx, f.other, itemCode), problem.NotFound, "not_found")
		if err := f.eng.DiscardDraft(f.ctx, f.applicant, itemCode); err != nil {
			t.Fatal(err)
		}
		wantProblem(t, f.eng.DiscardDraft(f.ctx, f.applicant, itemCode), problem.NotFound, "not_found")
		if d, err := f.eng.Draft(f.ctx, f.applicant, itemCode, c.ID); err != nil || d["chair"] != "张" {
			t.Errorf("the case's draft after discarding the application's: %v %v", d, err)
		}
		if list, _ := f.eng.Drafts(f.ctx, f.applicant); len(list) != 1 || list[0].ItemCode != "sg_other" {
			t.Errorf("after discarding: %+v", list)
		}
	})
}
