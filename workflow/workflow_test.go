package workflow_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

func TestStartRejectsBadInputAndWritesNothing(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		bad := map[string]any{
			"funds":   "100",
			"members": []any{map[string]any{"name": "张伟", "id_number": "110101200001011233"}},
		}
		_, err := f.eng.Start(f.ctx, f.actor(f.applicant), itemCode, heping, bad)
		wantPaths(t, err, "jurisdiction=level_not_handled", "name=required", "funds=too_small",
			"members[0].id_number=id_card_check", "letter=required")

		_, err = f.eng.Start(f.ctx, f.actor(f.applicant), itemCode, "219900", f.application(f.applicant))
		wantPaths(t, err, "jurisdiction=unknown_jurisdiction")

		// Another applicant's upload: refused inside the transaction, which leaves nothing behind.
		data := f.application(f.applicant)
		data["letter"] = []any{f.material(f.other, "application_letter")}
		_, err = f.eng.Start(f.ctx, f.actor(f.applicant), itemCode, shenyang, data)
		wantPaths(t, err, "materials=unknown_material")

		// An upload for another material than the field's.
		data = f.application(f.applicant)
		data["articles"] = []any{f.material(f.applicant, "application_letter")}
		_, err = f.eng.Start(f.ctx, f.actor(f.applicant), itemCode, shenyang, data)
		wantPaths(t, err, "articles=wrong_material")

		_, err = f.eng.Start(f.ctx, f.actor(f.applicant), "no_such_item", shenyang, data)
		wantProblem(t, err, problem.NotFound, "")
		_, err = f.eng.Start(f.ctx, f.actor(0), itemCode, shenyang, f.application(f.applicant))
		wantProblem(t, err, problem.Unauthenticated, "")

		for _, table := range []string{"cases", "case_events", "sequences", "outbox", "documents"} {
			if n := f.count(table, "1 = 1"); n != 0 {
				t.Errorf("%s: %d rows after refused starts", table, n)
			}
		}
		if n := f.count("materials", "case_id IS NOT NULL"); n != 0 {
			t.Errorf("%d materials linked after refused starts", n)
		}
	})
}

func TestHappyPath(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		var c *workflow.Case

		// Numbered, data stored, draft gone, materials linked, applicant notified.
		stacktest.Step(&f.t, "start", func(t *testing.T) {
			if err := f.eng.SaveDraft(f.ctx, f.applicant, itemCode, 0, map[string]any{"name": "草稿"}); err != nil {
				t.Fatal(err)
			}
			c = f.start()
			if !regexp.MustCompile(`^210100-2026-000001$`).MatchString(c.Number) || c.State != "accepting" || c.Version != 1 {
				t.Fatalf("started case: %+v", c)
			}
			if got := c.Data["sg_prep"].(map[string]any)["funds"]; got != int64(5000000) {
				t.Errorf("funds stored as %v (%T), want 5000000 fen", got, got)
			}
			if d, err := f.eng.Draft(f.ctx, f.applicant, itemCode, 0); err != nil || d != nil {
				t.Errorf("draft after start: %v %v", d, err)
			}
			if n := f.count("materials", "case_id = ?", c.ID); n != 1 {
				t.Errorf("%d materials linked, want 1", n)
			}
			if n := f.count("outbox", "user_id = ? AND template = ? AND channel = 'inbox'", f.applicant, workflow.ReceivedTemplate); n != 1 {
				t.Errorf("applicant notified of the new case %d times, want 1", n)
			}
			var o notify.Outbox
			if err := f.db.NewSelect().Model(&o).Where("user_id = ? AND template = ?", f.applicant, workflow.ReceivedTemplate).
				Limit(1).Scan(f.ctx); err != nil || c.QueryCode == "" || o.Data["query_code"] != c.QueryCode {
				t.Errorf("the notice of receipt carries query code %v, the case has %q (%v)", o.Data["query_code"], c.QueryCode, err)
			}
		})

		// Each refuses a wrong request first.
		stacktest.Step(&f.t, "accept and propose", func(t *testing.T) {
			_, err := f.eng.Apply(f.ctx, f.actor(f.acceptor), c.ID, workflow.ApplyRequest{Action: "accept", ExpectedVersion: c.Version, Comment: "a\x00b"})
			wantPaths(t, err, "comment=invalid_text")
			c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "accept", Comment: "材料齐全"})
			_, err = f.eng.Apply(f.ctx, f.actor(f.reviewer), c.ID, workflow.ApplyRequest{Action: "propose", ExpectedVersion: c.Version})
			wantPaths(t, err, "fields.opinion=required")
			c = f.apply(c, f.reviewer, workflow.ApplyRequest{Action: "propose", Fields: map[string]any{"opinion": "符合条件"}})
		})

		// The first signature keeps the case where it is; a second by the same approver is refused.
		stacktest.Step(&f.t, "co-signed approval", func(t *testing.T) {
			c = f.apply(c, f.approver1, workflow.ApplyRequest{Action: "approve", Fields: map[string]any{"decision_number": "辽民审〔2026〕1号"}})
			if c.State != "deciding" || c.Version != 4 || !slices.Equal(c.Cosign["approve"], []int64{f.approver1}) {
				t.Fatalf("after one signature: state %s version %d cosign %v", c.State, c.Version, c.Cosign)
			}
			_, err := f.eng.Apply(f.ctx, f.actor(f.approver1), c.ID, workflow.ApplyRequest{Action: "approve", ExpectedVersion: c.Version,
				Fields: map[string]any{"decision_number": "辽民审〔2026〕1号"}})
			wantProblem(t, err, problem.Conflict, "already_signed")
			approvedAt := f.clock.Now()
			c = f.apply(c, f.approver2, workflow.ApplyRequest{Action: "approve", Fields: map[string]any{"decision_number": "辽民审〔2026〕1号"}})
			if c.State != "preparing" || len(c.Cosign) != 0 {
				t.Fatalf("after two signatures: state %s cosign %v", c.State, c.Cosign)
			}
			if got := c.Fields["preparation_approved_at"]; got != approvedAt.UTC().Format(time.RFC3339) {
				t.Errorf("preparation_approved_at = %v, want %s", got, approvedAt.UTC().Format(time.RFC3339))
			}
		})

		// The second stage, registered by the run effect.
		stacktest.Step(&f.t, "establishment", func(t *testing.T) {
			f.clock.AddDate(0, 2, 0)
			c = f.apply(c, f.applicant, workflow.ApplyRequest{Action: "submit_establishment",
				Data: map[string]any{"assembly_date": "2026-04-20", "chair": "张伟"}})
			if c.State != "accepting2" || c.Data["sg_est"] == nil || c.Data["sg_prep"] == nil {
				t.Fatalf("after stage two: %s %v", c.State, c.Data)
			}
			c = f.apply(c, f.approver1, workflow.ApplyRequest{Action: "register"})
			if c.State != "registered" || c.Outcome != "approved" || c.ClosedAt == nil || f.ran.Load() != 1 {
				t.Fatalf("after registration: state %s outcome %q closed %v runs %d", c.State, c.Outcome, c.ClosedAt, f.ran.Load())
			}
			if c.Fields["organisation"] != "registered by "+itemCode {
				t.Errorf("the run effect's field was not kept: %v", c.Fields)
			}
		})

		// History, documents, nothing more to do, and staff reads audited.
		stacktest.Step(&f.t, "closed case", func(t *testing.T) {
			v, err := f.eng.Get(f.ctx, f.actor(f.applicant), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			var actions []string
			for _, ev := range v.Events {
				actions = append(actions, ev.Action)
			}
			want := []string{"start", "accept", "propose", "cosign", "approve", "submit_establishment", "register"}
			if !slices.Equal(actions, want) {
				t.Errorf("events %v, want %v", actions, want)
			}
			var docs []string
			for _, d := range v.Documents {
				docs = append(docs, d.Number)
			}
			if !slices.Equal(docs, []string{"preparation_approval-" + c.Number, "certificate-" + c.Number}) {
				t.Errorf("documents %v", docs)
			}
			if v.Documents[0].Data["decision_number"] != "辽民审〔2026〕1号" {
				t.Errorf("decision document data %v", v.Documents[0].Data)
			}
			if len(v.Allowed) != 0 || v.Item.Hash != hashA {
				t.Errorf("closed case: allowed %v, item %s", v.Allowed, v.Item.Hash)
			}
			if n := f.count("audit_log", "action = 'case.read'"); n != 0 {
				t.Errorf("the applicant's own read was audited")
			}
			if _, err := f.eng.Get(f.ctx, f.actor(f.auditor), c.ID); err != nil {
				t.Fatal(err)
			}
			if n := f.count("audit_log", "action = 'case.read' AND object_id = ? AND actor_user_id = ?", fmt.Sprint(c.ID), f.auditor); n != 1 {
				t.Errorf("staff read audited %d times, want 1", n)
			}
		})

		// The approval and the reviewers (role recipients) of the registration are notified; the chains hold.
		stacktest.Step(&f.t, "notifications and chains", func(t *testing.T) {
			if n := f.count("outbox", "user_id = ? AND channel = 'inbox'", f.reviewer); n != 1 {
				t.Errorf("reviewer notified %d times, want 1", n)
			}
			if n := f.count("outbox", "user_id = ? AND channel = 'inbox'", f.applicant); n < 1 {
				t.Errorf("applicant never notified")
			}
			// The query code goes to the people's notices only, never to staff.
			var code string
			if err := f.db.NewSelect().Table("cases").Column("query_code").Where("id = ?", c.ID).Scan(f.ctx, &code); err != nil || code == "" {
				t.Fatalf("the case's query code %q: %v", code, err)
			}
			var rows []notify.Outbox
			if err := f.db.NewSelect().Model(&rows).Where("channel = 'inbox' AND user_id IN (?)", bun.List([]int64{f.applicant, f.reviewer})).
				Scan(f.ctx); err != nil {
				t.Fatal(err)
			}
			for _, o := range rows {
				if got, want := o.Data["query_code"], map[bool]any{true: code, false: nil}[*o.UserID == f.applicant]; got != want {
					t.Errorf("%s to user %d carries query code %v, want %v", o.Template, *o.UserID, got, want)
				}
			}
			mine, err := f.eng.MyCases(f.ctx, f.applicant, 10)
			if err != nil || len(mine) != 1 || mine[0].ID != c.ID {
				t.Errorf("MyCases: %v %v", mine, err)
			}
			if r, err := workflow.CheckChains(f.ctx, f.db); err != nil || len(r.Broken) != 0 {
				t.Errorf("CheckChains: %v %v", r.Broken, err)
			}
		})
	})
}

func TestSupplementAndResubmit(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.start()
		orig := c.Data["sg_prep"].(map[string]any)

		_, err := f.eng.Apply(f.ctx, f.actor(f.acceptor), c.ID, workflow.ApplyRequest{Action: "request_supplement",
			ExpectedVersion: c.Version, Items: []string{"name", "nope", "members[5].name", "members.name", "assembly_minutes", "chair"}})
		// A material or field of the establishment form, a later stage, cannot be answered now.
		wantPaths(t, err, "items[1]=unknown_item", "items[2]=unknown_item", "items[3]=unknown_item", "items[4]=unknown_item",
			"items[5]=unknown_item", "comment=required")
		_, err = f.eng.Apply(f.ctx, f.actor(f.acceptor), c.ID, workflow.ApplyRequest{Action: "request_supplement",
			ExpectedVersion: c.Version, Comment: "请补正"})
		wantPaths(t, err, "items=required")

		items := []string{"name", "members[1].id_number", "application_letter"}
		c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "request_supplement", Comment: "名称不规范;第二位发起人身份证号码有误;申请书未盖章。", Items: items})
		if c.State != "supplementing" || c.Supplement == nil || !slices.Equal(c.Supplement.Items, items) || c.Supplement.Form != "sg_prep" {
			t.Fatalf("after the notice: %s %+v", c.State, c.Supplement)
		}
		allowed := names(f.eng.AllowedActions(f.actor(f.applicant), c, testItem(hashA, true)))
		if !slices.Equal(allowed, []string{"resubmit", "withdraw"}) {
			t.Errorf("applicant may %v", allowed)
		}

		fixed := f.application(f.applicant) // a new letter upload
		fixed["name"] = "沈阳市摄影协会"
		fixed["members"] = []any{
			map[string]any{"name": "张伟", "id_number": "110101200001011232"},
			map[string]any{"name": "李娜", "id_number": "110101199003074514"},
		}
		sneaky := clone(fixed)
		sneaky["funds"] = "60000"
		sneaky["members"] = []any{
			map[string]any{"name": "张大伟", "id_number": "110101200001011232"},
			map[string]any{"name": "李娜", "id_number": "110101199003074514"},
		}
		_, err = f.eng.Apply(f.ctx, f.actor(f.applicant), c.ID, workflow.ApplyRequest{Action: "resubmit", ExpectedVersion: c.Version, Data: sneaky})
		wantPaths(t, err, "data.funds=not_requested", "data.members[0].name=not_requested")

		c = f.apply(c, f.applicant, workflow.ApplyRequest{Action: "resubmit", Data: fixed})
		data := c.Data["sg_prep"].(map[string]any)
		if c.State != "accepting" || c.Supplement != nil || data["name"] != "沈阳市摄影协会" || fmt.Sprint(data["funds"]) != fmt.Sprint(orig["funds"]) {
			t.Fatalf("after resubmission: %s %+v %v", c.State, c.Supplement, data)
		}
		if n := f.count("materials", "case_id = ?", c.ID); n != 2 {
			t.Errorf("%d materials linked after resubmission, want 2", n)
		}
		v, err := f.eng.Get(f.ctx, f.actor(f.acceptor), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := v.Events[len(v.Events)-1]
		got := fmt.Sprint(last.Changes["data"])
		if got != "[name members[1].id_number letter]" {
			t.Errorf("resubmission event changes %v", last.Changes)
		}
		// Resubmitting again without a notice is not possible.
		_, err = f.eng.Apply(f.ctx, f.actor(f.applicant), c.ID, workflow.ApplyRequest{Action: "resubmit", ExpectedVersion: c.Version, Data: fixed})
		wantProblem(t, err, problem.Conflict, "action_not_available")
	})
}

func TestRefusalNeedsAReason(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.start()
		_, err := f.eng.Apply(f.ctx, f.actor(f.acceptor), c.ID, workflow.ApplyRequest{Action: "refuse", ExpectedVersion: c.Version,
			Fields: map[string]any{"reason": "  "}})
		wantPaths(t, err, "fields.reason=required")
		const reason = "同一区域已有业务范围相似的社会团体。"
		c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "refuse", Fields: map[string]any{"reason": reason}})
		if c.State != "refused" || c.Outcome != "refused" || c.ClosedAt == nil || c.Fields["reason"] != reason {
			t.Fatalf("after refusal: %+v", c)
		}
		// The notification's comment is the reason, which the refusal templates show.
		var msg notify.Outbox
		if err := f.db.NewSelect().Model(&msg).Where("user_id = ? AND channel = 'inbox'", f.applicant).
			OrderExpr("id DESC").Limit(1).Scan(f.ctx); err != nil {
			t.Fatal(err)
		}
		if msg.Data["comment"] != reason || msg.Data["case_number"] != c.Number || msg.Data["state_name"] != "不予许可" {
			t.Errorf("refusal notification data %v", msg.Data)
		}
		_, err = f.eng.Apply(f.ctx, f.actor(f.applicant), c.ID, workflow.ApplyRequest{Action: "withdraw", ExpectedVersion: c.Version})
		wantProblem(t, err, problem.Conflict, "action_not_available")
	})
}

func TestWithdrawByApplicantOnly(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.start()
		_, err := f.eng.Apply(f.ctx, f.actor(f.acceptor), c.ID, workflow.ApplyRequest{Action: "withdraw", ExpectedVersion: c.Version})
		wantProblem(t, err, problem.Forbidden, "")
		c = f.apply(c, f.applicant, workflow.ApplyRequest{Action: "withdraw", Comment: "暂不申请"})
		if c.State != "withdrawn" || c.Outcome != "withdrawn" || c.ClosedAt == nil {
			t.Fatalf("after withdrawal: %+v", c)
		}
	})
}

func TestOthersCannotSeeOrAct(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.start()
		for _, u := range []int64{f.other, f.dalianAcceptor} {
			if _, err := f.eng.Get(f.ctx, f.actor(u), c.ID); !isProblem(err, problem.NotFound) {
				t.Errorf("user %d reads another's case: %v", u, err)
			}
			_, err := f.eng.Apply(f.ctx, f.actor(u), c.ID, workflow.ApplyRequest{Action: "withdraw", ExpectedVersion: c.Version})
			if !isProblem(err, problem.NotFound) {
				t.Errorf("user %d acts on another's case: %v", u, err)
			}
		}
		if _, err := f.eng.Get(f.ctx, f.actor(f.applicant), c.ID+1000); !isProblem(err, problem.NotFound) {
			t.Errorf("missing case: %v", err)
		}
		// A staff member who may read the case but holds the deciding role elsewhere only.
		c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "accept"})
		c = f.apply(c, f.reviewer, workflow.ApplyRequest{Action: "propose", Fields: map[string]any{"opinion": "同意"}})
		_, err := f.eng.Apply(f.ctx, f.actor(f.mixed), c.ID, workflow.ApplyRequest{Action: "approve", ExpectedVersion: c.Version,
			Fields: map[string]any{"decision_number": "1"}})
		wantProblem(t, err, problem.Forbidden, "")
		if got := names(f.eng.AllowedActions(f.actor(f.mixed), c, testItem(hashA, true))); len(got) != 0 {
			t.Errorf("mixed may %v", got)
		}
		if n := f.count("case_events", "case_id = ?", c.ID); n != 3 {
			t.Errorf("%d events, want 3: refused actions must write nothing", n)
		}
	})
}

func TestConcurrentActionsOneWinner(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.start()
		const n = 50
		errs := make(chan error, n)
		start := make(chan struct{})
		for range n {
			go func() {
				<-start
				_, err := f.eng.Apply(f.ctx, f.actor(f.acceptor), c.ID, workflow.ApplyRequest{Action: "accept", ExpectedVersion: 1})
				errs <- err
			}()
		}
		close(start)
		wins, stale := 0, 0
		for range n {
			err := <-errs
			switch p, ok := problem.As(err); {
			case err == nil:
				wins++
			case ok && p.Kind == problem.Conflict && p.Code == "stale_version":
				stale++
				d := p.Detail.(map[string]any)
				if d["state"] != "reviewing" || d["version"] != int64(2) {
					t.Errorf("stale detail %v", d)
				}
			default:
				t.Errorf("unexpected: %v", err)
			}
		}
		if wins != 1 || stale != n-1 {
			t.Fatalf("%d wins, %d stale", wins, stale)
		}
		if got := f.count("case_events", "case_id = ?", c.ID); got != 2 {
			t.Fatalf("%d events, want 2", got)
		}
		report, err := workflow.CheckChains(f.ctx, f.db)
		if err != nil || len(report.Broken) != 0 || report.Cases != 1 || report.Events != 2 {
			t.Fatalf("CheckChains: %+v %v", report, err)
		}

		// Tampering with an event shows, and so does a case row that no longer matches its events.
		if _, err := f.db.NewUpdate().TableExpr("case_events").Set("comment = ?", "改过").
			Where("case_id = ? AND seq = 1", c.ID).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		r, err := workflow.CheckChains(f.ctx, f.db)
		if err != nil || len(r.Broken) != 1 || r.Broken[0].CaseID != c.ID || r.Broken[0].Seq != 1 {
			t.Fatalf("after tampering: %+v %v", r.Broken, err)
		}
		if _, err := f.db.NewUpdate().TableExpr("cases").Set("state = 'registered'").Where("id = ?", c.ID).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if r, _ := workflow.CheckChains(f.ctx, f.db); len(r.Broken) != 2 {
			t.Fatalf("after changing the case row: %+v", r.Broken)
		}
	})
}

func TestVersionPinning(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		old := f.start()
		f.setCurrent(testItem(hashB, false)) // B has no supplement loop
		fresh := f.start()
		if old.VersionHash != hashA || fresh.VersionHash != hashB {
			t.Fatalf("versions %s %s", old.VersionHash, fresh.VersionHash)
		}
		old = f.apply(old, f.acceptor, workflow.ApplyRequest{Action: "request_supplement", Comment: "补正", Items: []string{"name"}})
		if old.State != "supplementing" {
			t.Fatalf("old case: %s", old.State)
		}
		_, err := f.eng.Apply(f.ctx, f.actor(f.acceptor), fresh.ID, workflow.ApplyRequest{Action: "request_supplement",
			ExpectedVersion: fresh.Version, Comment: "补正", Items: []string{"name"}})
		wantProblem(t, err, problem.Conflict, "action_not_available")
		v, err := f.eng.Get(f.ctx, f.actor(f.applicant), old.ID)
		if err != nil || v.Item.Hash != hashA || !slices.Contains(names(v.Allowed), "resubmit") {
			t.Fatalf("old case view: %v %v", v, err)
		}
		// Both stay in the acceptor's inbox, each by its own version's states.
		inbox, err := f.eng.Inbox(f.ctx, f.acceptor, workflow.InboxFilter{})
		if err != nil || len(inbox) != 1 || inbox[0].ID != fresh.ID {
			t.Fatalf("inbox %v %v", inbox, err)
		}
	})
}

func TestGuardAfterSixMonths(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.toPreparing()
		stage2 := workflow.ApplyRequest{Action: "submit_establishment", Data: map[string]any{"assembly_date": "2026-09-01", "chair": "张伟"}}
		f.clock.AddDate(0, 5, 27)
		if !slices.Contains(names(f.eng.AllowedActions(f.actor(f.applicant), c, testItem(hashA, true))), "submit_establishment") {
			t.Fatal("stage two not offered within 6 months")
		}
		f.clock.AddDate(0, 0, 4) // six whole months after the approval
		if slices.Contains(names(f.eng.AllowedActions(f.actor(f.applicant), c, testItem(hashA, true))), "submit_establishment") {
			t.Fatal("stage two offered after 6 months")
		}
		stage2.ExpectedVersion = c.Version
		_, err := f.eng.Apply(f.ctx, f.actor(f.applicant), c.ID, stage2)
		wantProblem(t, err, problem.Conflict, "guard_failed")

		// A case approved later is within its 6 months.
		c2 := f.toPreparing()
		f.clock.AddDate(0, 1, 0)
		stage2.Data["chair"] = "李娜"
		c2 = f.apply(c2, f.applicant, stage2)
		if c2.State != "accepting2" {
			t.Fatalf("stage two: %s", c2.State)
		}
		_, err = f.eng.Apply(f.ctx, f.actor(f.applicant), c2.ID, workflow.ApplyRequest{Action: "submit_establishment", ExpectedVersion: 1})
		wantProblem(t, err, problem.Conflict, "stale_version")
	})
}

func TestCaseNumbersPerJurisdictionAndYear(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		var got []string
		startIn := func(j string) {
			c, err := f.eng.Start(f.ctx, f.actor(f.applicant), itemCode, j, f.application(f.applicant))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, c.Number)
		}
		startIn(shenyang)
		startIn(shenyang)
		startIn(dalian)
		startIn(liaoning)
		f.clock.Set(time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC)) // already 2027 in Shanghai
		startIn(shenyang)
		want := []string{"210100-2026-000001", "210100-2026-000002", "210200-2026-000001", "210000-2026-000001", "210100-2027-000001"}
		if !slices.Equal(got, want) {
			t.Fatalf("numbers %v, want %v", got, want)
		}
	})
}

func TestInbox(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		a := f.start()
		b := f.start()
		b = f.apply(b, f.acceptor, workflow.ApplyRequest{Action: "accept"})
		d, err := f.eng.Start(f.ctx, f.actor(f.applicant), itemCode, dalian, f.application(f.applicant))
		if err != nil {
			t.Fatal(err)
		}
		ids := func(user int64, filter workflow.InboxFilter) []int64 {
			cs, err := f.eng.Inbox(f.ctx, user, filter)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return out
		}
		if got := ids(f.acceptor, workflow.InboxFilter{}); !slices.Equal(got, []int64{a.ID}) {
			t.Errorf("Shenyang acceptor: %v, want [%d]", got, a.ID)
		}
		if got := ids(f.dalianAcceptor, workflow.InboxFilter{}); !slices.Equal(got, []int64{d.ID}) {
			t.Errorf("Dalian acceptor: %v, want [%d]", got, d.ID)
		}
		if got := ids(f.reviewer, workflow.InboxFilter{}); !slices.Equal(got, []int64{b.ID}) {
			t.Errorf("reviewer: %v, want [%d]", got, b.ID)
		}
		if got := ids(f.acceptor, workflow.InboxFilter{State: "reviewing"}); len(got) != 0 {
			t.Errorf("acceptor, reviewing: %v", got)
		}
		if got := ids(f.applicant, workflow.InboxFilter{}); len(got) != 0 {
			t.Errorf("applicant has an inbox: %v", got)
		}
		if got := ids(f.auditor, workflow.InboxFilter{ItemCode: itemCode}); len(got) != 0 {
			t.Errorf("auditor, who acts on nothing, has an inbox: %v", got)
		}
	})
}

func TestDrafts(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		if err := f.eng.SaveDraft(f.ctx, f.applicant, itemCode, 0, map[string]any{"name": "一"}); err != nil {
			t.Fatal(err)
		}
		if err := f.eng.SaveDraft(f.ctx, f.applicant, itemCode, 0, map[string]any{"name": "二", "funds": "abc"}); err != nil {
			t.Fatal(err)
		}
		d, err := f.eng.Draft(f.ctx, f.applicant, itemCode, 0)
		if err != nil || d["name"] != "二" || d["funds"] != "abc" {
			t.Fatalf("draft %v %v", d, err)
		}
		if d, err := f.eng.Draft(f.ctx, f.other, itemCode, 0); err != nil || d != nil {
			t.Fatalf("another user's draft: %v %v", d, err)
		}
		err = f.eng.SaveDraft(f.ctx, f.applicant, itemCode, 0, map[string]any{"name": strings.Repeat("长", workflow.MaxDraftBytes/3+1)})
		wantProblem(t, err, problem.TooLarge, "")
		err = f.eng.SaveDraft(f.ctx, f.applicant, itemCode, 0, map[string]any{"name": []any{"a\x00"}})
		wantProblem(t, err, problem.Invalid, "")
		// A number no float64 holds would leave the draft unreadable: refused at its path.
		err = f.eng.SaveDraft(f.ctx, f.applicant, itemCode, 0, map[string]any{"funds": json.Number("1e5000")})
		if p, ok := problem.As(err); !ok || len(p.Fields) != 1 || p.Fields[0].Path != "funds" || p.Fields[0].Code != "invalid_number" {
			t.Fatalf("a draft of funds 1e5000: %v", err)
		}
		c := f.start()
		err = f.eng.SaveDraft(f.ctx, f.other, itemCode, c.ID, map[string]any{})
		wantProblem(t, err, problem.NotFound, "")
		if err := f.eng.SaveDraft(f.ctx, f.applicant, itemCode, c.ID, map[string]any{"chair": "张"}); err != nil {
			t.Fatal(err)
		}
		err = f.eng.SaveDraft(f.ctx, f.applicant, "no_such_item", 0, map[string]any{})
		wantProblem(t, err, problem.NotFound, "")
		if n := f.count("drafts", "1 = 1"); n != 1 {
			t.Errorf("%d drafts, want the case's one", n)
		}
	})
}

func names(as []catalog.Action) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// The applicant's view leaves out internal staff work: a reviewer's opinion and its comment.
func TestApplicantDoesNotSeeInternalWork(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		c := f.start()
		c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "accept"})
		f.apply(c, f.reviewer, workflow.ApplyRequest{Action: "propose", Comment: "内部意见", Fields: map[string]any{"opinion": "符合条件"}})
		mine, err := f.eng.Get(f.ctx, f.actor(f.applicant), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		staff, err := f.eng.Get(f.ctx, f.actor(f.reviewer), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := mine.Case.Fields["opinion"]; ok {
			t.Error("the applicant sees the review opinion")
		}
		if _, ok := staff.Case.Fields["opinion"]; !ok {
			t.Error("staff do not see the review opinion")
		}
		list, err := f.eng.MyCases(f.ctx, f.applicant, 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("my cases: %v %v", list, err)
		}
		if _, ok := list[0].Fields["opinion"]; ok {
			t.Error("the applicant's case list shows the review opinion")
		}
		withdrawn, err := f.eng.Apply(f.ctx, f.actor(f.applicant), c.ID, workflow.ApplyRequest{Action: "withdraw", ExpectedVersion: mine.Case.Version})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := withdrawn.Fields["opinion"]; ok {
			t.Error("the answer to the applicant's own action shows the review opinion")
		}
		for i, ev := range mine.Events {
			if ev.Action == "propose" && (ev.Comment != "" || ev.Changes != nil) {
				t.Errorf("the applicant sees the internal event: %+v", ev)
			}
			if ev.Action == "propose" && staff.Events[i].Comment != "内部意见" {
				t.Errorf("staff miss the comment: %+v", staff.Events[i])
			}
		}
	})
}

// Nobody handles their own application: an applicant who is also an acceptor cannot accept it.
func TestNoOneHandlesTheirOwnCase(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := newFixture(t, s)
		f.grant(f.applicant, policies.Acceptor, "2101*")
		if err := f.enf.Reload(f.ctx); err != nil {
			t.Fatal(err)
		}
		c := f.start()
		_, err := f.eng.Apply(f.ctx, f.actor(f.applicant), c.ID, workflow.ApplyRequest{Action: "accept", ExpectedVersion: c.Version})
		wantProblem(t, err, problem.Forbidden, "forbidden")
	})
}
