package workflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// The fixture jurisdictions.
const (
	liaoning = "210000"
	shenyang = "210100"
	heping   = "210102" // a county: the test item is not handled at county level
	dalian   = "210200"
)

// The test item's codes and versions.
const (
	itemCode = "sg_test"
	hashA    = "test-version-a"
	hashB    = "test-version-b"
)

// fixture is one stack with users, grants, the test item and an engine.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *bun.DB
	eng   *workflow.Engine
	enf   *policies.Enforcer
	clock *stacktest.Clock
	ran   atomic.Int64 // calls of the run effect

	mu      sync.Mutex
	current map[string]*catalog.Item

	applicant, other        int64 // two organisation applicants
	acceptor, reviewer      int64 // in Shenyang and below
	approver1, approver2    int64 // in Shenyang and below
	mixed                   int64 // reviewer in Shenyang, approver in Dalian only
	dalianAcceptor, auditor int64
}

func newFixture(t *testing.T, s *stacktest.Stack) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, db: s.DB, current: map[string]*catalog.Item{}}
	f.clock = stacktest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, calendar.Zone))

	for _, j := range []struct{ code, zh, en string }{
		{liaoning, "辽宁省", "Liaoning"}, {shenyang, "沈阳市", "Shenyang"}, {heping, "和平区", "Heping"}, {dalian, "大连市", "Dalian"},
	} {
		if err := jurisdictions.Add(ctx, s.DB, j.code, j.zh, j.en); err != nil {
			t.Fatal(err)
		}
	}
	f.applicant = f.user("applicant", policies.OrgApplicant, "*")
	f.other = f.user("other", policies.OrgApplicant, "*")
	f.acceptor = f.user("acceptor", policies.Acceptor, "2101*")
	f.reviewer = f.user("reviewer", policies.Reviewer, "2101*")
	f.approver1 = f.user("approver1", policies.Approver, "2101*")
	f.approver2 = f.user("approver2", policies.Approver, "2101*")
	f.mixed = f.user("mixed", policies.Reviewer, "2101*")
	f.grant(f.mixed, policies.Approver, dalian)
	f.dalianAcceptor = f.user("dalian.acceptor", policies.Acceptor, "2102*")
	f.auditor = f.user("auditor", policies.Auditor, "21*")

	enf, err := policies.New(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	f.enf = enf
	a := testItem(hashA, true)
	f.storeVersion(a)
	f.storeVersion(testItem(hashB, false))
	f.current[itemCode] = a

	versions := func(ctx context.Context, hash string) (*catalog.Item, error) { return catalog.Version(ctx, s.DB, hash) }
	current := func(code string) (*catalog.Item, bool) {
		f.mu.Lock()
		defer f.mu.Unlock()
		it, ok := f.current[code]
		return it, ok
	}
	f.eng = workflow.New(s.DB, enf, versions, current, workflow.WithClock(f.clock.Now))
	f.eng.RegisterEffect("test.register", func(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
		f.ran.Add(1)
		c.Fields["organisation"] = "registered by " + item.Code
		return nil
	})
	return f
}

// countedFixture is newFixture on a database whose statements log records, for tests that bound the
// round trips of an operation.
func countedFixture(t *testing.T, s *stacktest.Stack) (*fixture, *stacktest.Statements) {
	t.Helper()
	counted := *s
	log := &stacktest.Statements{}
	counted.DB = s.DB.WithQueryHook(log)
	return newFixture(t, &counted), log
}

// user inserts a user holding role in pattern and returns its id.
func (f *fixture) user(login, role, pattern string) int64 {
	f.t.Helper()
	now := time.Now().UTC()
	u := &accounts.User{Login: login, Locale: "zh-CN", PasswordHash: "x", Email: login + "@example.cn", CreatedAt: now, UpdatedAt: now}
	if _, err := f.db.NewInsert().Model(u).Exec(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	f.grant(u.ID, role, pattern)
	return u.ID
}

func (f *fixture) grant(userID int64, role, pattern string) {
	f.t.Helper()
	if err := policies.GrantSystem(f.ctx, f.db, userID, role, pattern); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) actor(id int64) audit.Actor {
	return audit.Actor{UserID: id, Label: fmt.Sprintf("user:%d", id)}
}

// setCurrent makes the item version the one new cases start on.
func (f *fixture) setCurrent(it *catalog.Item) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.current[it.Code] = it
}

// storeVersion inserts the item's catalog_versions row as the catalog package stores it.
func (f *fixture) storeVersion(it *catalog.Item) {
	f.t.Helper()
	def, err := json.Marshal(map[string]any{"item": it, "forms": it.Forms})
	if err != nil {
		f.t.Fatal(err)
	}
	row := &versionRow{Hash: it.Hash, ItemCode: it.Code, Source: "test", Definition: string(def), LoadedAt: time.Now().UTC()}
	if _, err := f.db.NewInsert().Model(row).Exec(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

// versionRow is a row of catalog_versions.
type versionRow struct {
	bun.BaseModel `bun:"table:catalog_versions"`

	Hash       string `bun:",pk"`
	ItemCode   string
	Source     string
	Definition string
	LoadedAt   time.Time
}

// material records an upload by owner for the item's material slot and returns its id.
func (f *fixture) material(owner int64, slot string) int64 {
	f.t.Helper()
	m := &materials.Material{OwnerID: owner, ItemCode: itemCode, Slot: slot, SHA256: fmt.Sprintf("%064d", owner),
		Size: 10, ContentType: "application/pdf", Filename: slot + ".pdf", CreatedAt: time.Now().UTC()}
	if _, err := f.db.NewInsert().Model(m).Exec(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	return m.ID
}

// count returns the number of rows of table matching where.
func (f *fixture) count(table, where string, args ...any) int {
	f.t.Helper()
	n, err := f.db.NewSelect().TableExpr(table).Where(where, args...).Count(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return int(n)
}

// application is valid data for the application form, with the applicant's upload for the letter.
func (f *fixture) application(owner int64) map[string]any {
	return map[string]any{
		"name":  "沈阳市摄影家协会",
		"funds": "50,000",
		"members": []any{
			map[string]any{"name": "张伟", "id_number": "110101200001011232"},
			map[string]any{"name": "李娜", "id_number": "11010519491231002X"},
		},
		"letter": []any{float64(f.material(owner, "application_letter"))},
	}
}

// start files a valid application in Shenyang and returns the case.
func (f *fixture) start() *workflow.Case {
	f.t.Helper()
	c, err := f.eng.Start(f.ctx, f.actor(f.applicant), itemCode, shenyang, f.application(f.applicant))
	if err != nil {
		f.t.Fatalf("Start: %v", err)
	}
	return c
}

// apply takes an action that must succeed.
func (f *fixture) apply(c *workflow.Case, user int64, req workflow.ApplyRequest) *workflow.Case {
	f.t.Helper()
	req.ExpectedVersion = c.Version
	next, err := f.eng.Apply(f.ctx, f.actor(user), c.ID, req)
	if err != nil {
		f.t.Fatalf("Apply %s by user %d on %s (v%d): %v", req.Action, user, c.State, c.Version, err)
	}
	return next
}

// toPreparing moves a fresh case through acceptance, review and the co-signed approval.
func (f *fixture) toPreparing() *workflow.Case {
	f.t.Helper()
	c := f.start()
	c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "accept"})
	c = f.apply(c, f.reviewer, workflow.ApplyRequest{Action: "propose", Fields: map[string]any{"opinion": "符合条件"}})
	c = f.apply(c, f.approver1, workflow.ApplyRequest{Action: "approve", Fields: map[string]any{"decision_number": "辽民审〔2026〕1号"}})
	c = f.apply(c, f.approver2, workflow.ApplyRequest{Action: "approve", Fields: map[string]any{"decision_number": "辽民审〔2026〕1号"}})
	if c.State != "preparing" {
		f.t.Fatalf("after approval: state %s", c.State)
	}
	return c
}

// wantProblem fails unless err is a problem of kind with code ("" for any code).
func wantProblem(t *testing.T, err error, kind problem.Kind, code string) *problem.Error {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Kind != kind || (code != "" && p.Code != code) {
		t.Fatalf("want problem kind %d code %q, got %v", kind, code, err)
	}
	return p
}

// wantPaths fails unless err is Invalid with exactly the field paths (and codes) given as path=code.
func wantPaths(t *testing.T, err error, want ...string) {
	t.Helper()
	p := wantProblem(t, err, problem.Invalid, "")
	var got []string
	for _, f := range p.Fields {
		got = append(got, f.Path+"="+f.Code)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("field errors:\n got  %v\n want %v", got, want)
	}
}

// template picks a notification template that exists, preferring the named ones.
func template(prefer ...string) string {
	names := notify.TemplateNames()
	for _, p := range prefer {
		if slices.Contains(names, p) {
			return p
		}
	}
	return names[0]
}

func text(zh string) lang.Text { return lang.Text{ZH: zh, EN: zh} }

func intp(n int) *int { return &n }

func floatp(x float64) *float64 { return &x }

// testItem is a small two-stage item like the social group's (筹备 then 成立): acceptance with
// supplement, resubmission and refusal, review, a decision two approvers co-sign, a stage-two form
// the applicant must submit within 6 months, and a registration that runs an effect and issues a
// certificate. withSupplement false drops the supplementing state and its actions (version B).
func testItem(hash string, withSupplement bool) *catalog.Item {
	prep := &forms.Form{ID: "sg_prep", Title: text("筹备申请"), Fields: []forms.Field{
		{Name: "name", Label: text("名称"), Type: forms.TypeText, Required: true, MaxLength: intp(50)},
		{Name: "funds", Label: text("活动资金"), Type: forms.TypeMoney, Required: true, Min: floatp(30000)},
		{Name: "members", Label: text("发起人"), Type: forms.TypeRepeat, Required: true, MinItems: intp(1), Fields: []forms.Field{
			{Name: "name", Label: text("姓名"), Type: forms.TypeText, Required: true},
			{Name: "id_number", Label: text("身份证号码"), Type: forms.TypeIDCard, Required: true},
		}},
		{Name: "letter", Label: text("申请书"), Type: forms.TypeFile, Material: "application_letter", Required: true},
		{Name: "articles", Label: text("章程草案"), Type: forms.TypeFile, Material: "articles"},
	}}
	est := &forms.Form{ID: "sg_est", Title: text("成立登记申请"), Fields: []forms.Field{
		{Name: "assembly_date", Label: text("成立大会日期"), Type: forms.TypeDate, Required: true},
		{Name: "chair", Label: text("理事长"), Type: forms.TypeText, Required: true},
		{Name: "minutes", Label: text("成立大会纪要"), Type: forms.TypeFile, Material: "assembly_minutes"},
	}}
	notice := template("case_supplement_requested", "case_progress", "case_submitted")
	states := []catalog.State{
		{ID: "accepting", Name: text("受理")},
		{ID: "supplementing", Name: text("补正")},
		{ID: "reviewing", Name: text("审查")},
		{ID: "deciding", Name: text("决定")},
		{ID: "preparing", Name: text("筹备"), Form: "sg_est"},
		{ID: "accepting2", Name: text("成立登记受理")},
		{ID: "registered", Name: text("准予登记"), Final: true, Outcome: "approved"},
		{ID: "refused", Name: text("不予许可"), Final: true, Outcome: "refused"},
		{ID: "withdrawn", Name: text("已撤回"), Final: true, Outcome: "withdrawn"},
	}
	actions := []catalog.Action{
		{ID: "accept", Name: text("受理"), From: []string{"accepting"}, To: "reviewing", By: []string{policies.Acceptor}},
		{ID: "request_supplement", Name: text("一次性告知补正"), Kind: catalog.KindSupplement, From: []string{"accepting"},
			To: "supplementing", By: []string{policies.Acceptor},
			Effects: []catalog.Effect{{Notify: &catalog.NotifyEffect{To: catalog.Applicant, Template: notice}}}},
		{ID: "resubmit", Name: text("提交补正材料"), Kind: catalog.KindResubmit, From: []string{"supplementing"},
			To: "accepting", By: []string{catalog.Applicant}},
		{ID: "refuse", Name: text("不予受理"), Kind: catalog.KindRefuse, From: []string{"accepting"}, To: "refused",
			By:      []string{policies.Acceptor},
			Fields:  []forms.Field{{Name: "reason", Label: text("理由"), Type: forms.TypeTextarea}},
			Effects: []catalog.Effect{{Notify: &catalog.NotifyEffect{To: catalog.Applicant, Template: notice}}}},
		{ID: "propose", Name: text("提出审查意见"), From: []string{"reviewing"}, To: "deciding", By: []string{policies.Reviewer},
			Internal: true,
			Fields:   []forms.Field{{Name: "opinion", Label: text("审查意见"), Type: forms.TypeTextarea, Required: true}}},
		{ID: "approve", Name: text("准予筹备"), From: []string{"deciding"}, To: "preparing", By: []string{policies.Approver},
			Cosign: 2,
			Fields: []forms.Field{{Name: "decision_number", Label: text("决定书文号"), Type: forms.TypeText, Required: true}},
			Effects: []catalog.Effect{
				{Set: map[string]string{"preparation_approved_at": "now"}},
				{Issue: "preparation_approval"},
				{Notify: &catalog.NotifyEffect{To: catalog.Applicant, Template: notice}},
			}},
		{ID: "submit_establishment", Name: text("申请成立登记"), Kind: catalog.KindSubmit, From: []string{"preparing"},
			To: "accepting2", By: []string{catalog.Applicant},
			Guard: "months_between(fields.preparation_approved_at, now) < 6"},
		{ID: "register", Name: text("准予成立登记"), From: []string{"accepting2"}, To: "registered", By: []string{policies.Approver},
			Effects: []catalog.Effect{
				{Run: "test.register"},
				{Issue: "certificate"},
				{Notify: &catalog.NotifyEffect{To: policies.Reviewer, Template: notice}},
			}},
		{ID: "withdraw", Name: text("撤回申请"), Kind: catalog.KindWithdraw,
			From: []string{"accepting", "supplementing", "reviewing", "deciding", "preparing"}, To: "withdrawn",
			By: []string{catalog.Applicant}},
	}
	if !withSupplement {
		states = slices.DeleteFunc(states, func(s catalog.State) bool { return s.ID == "supplementing" })
		actions = slices.DeleteFunc(actions, func(a catalog.Action) bool {
			return a.Kind == catalog.KindSupplement || a.Kind == catalog.KindResubmit
		})
	}
	return &catalog.Item{
		Code: itemCode, Name: text("社会团体筹备及成立登记(测试)"), Category: "行政许可", Department: text("民政厅"),
		Levels: []string{"province", "city"},
		Materials: []catalog.Material{
			{ID: "application_letter", Name: text("申请书"), Required: true, Copies: 1},
			{ID: "articles", Name: text("章程草案"), Copies: 1},
			{ID: "assembly_minutes", Name: text("成立大会纪要"), Copies: 1}, // uploaded with the establishment form
		},
		Form:     "sg_prep",
		Workflow: catalog.Workflow{Start: "accepting", States: states, Actions: actions},
		Hash:     hash,
		Forms:    map[string]*forms.Form{"sg_prep": prep, "sg_est": est},
	}
}

// isProblem reports whether err is a problem of kind.
func isProblem(err error, kind problem.Kind) bool {
	var p *problem.Error
	return errors.As(err, &p) && p.Kind == kind
}
