package catalog_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// The built-in 筹备 form refuses a social group with fewer than 50 individual members (or 30 units),
// and one whose activity funds are below the local minimum, naming the field each time.
func TestSocialGroupPreparationRules(t *testing.T) {
	cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	f, ok := cat.Form("sg_preparation")
	if !ok {
		t.Fatal("no sg_preparation form")
	}
	application := func(members int, funds string) map[string]any {
		list := make([]any, members)
		for i := range list {
			list[i] = map[string]any{"name": fmt.Sprintf("会员%d", i), "id_number": idNumber(i)}
		}
		return map[string]any{
			"name": "沈阳市测试协会", "domicile": "沈阳市和平区1号", "activity_area": "city", "level": "city",
			"business_scope": "测试", "funds": funds, "individual_members": list,
			"legal_representative": map[string]any{"name": "张三", "id_number": idNumber(1), "phone": "13900000000"},
			"leaders":              []any{map[string]any{"name": "张三", "id_number": idNumber(1), "position": "会长"}},
			"sponsor_unit":         "沈阳市测试局",
			"application_letter":   []any{1}, "sponsor_approval": []any{2}, "capital_verification": []any{3},
			"premises_proof": []any{4}, "founders_details": []any{5}, "draft_articles": []any{6},
		}
	}
	opts := forms.Options{Now: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}
	if _, _, err := forms.Validate(f, application(50, "30000"), opts); err != nil {
		t.Fatalf("a valid application was refused: %v", err)
	}
	for _, tc := range []struct {
		name, path string
		members    int
		funds      string
	}{
		{"49 members", "individual_members", 49, "30000"},
		{"funds below 30,000 yuan", "funds", 50, "29999.99"},
	} {
		_, _, err := forms.Validate(f, application(tc.members, tc.funds), opts)
		p, ok := problem.As(err)
		if !ok || len(p.Fields) != 1 || p.Fields[0].Path != tc.path || p.Fields[0].Code != "rule" {
			t.Errorf("%s: want one rule error on %s, got %v", tc.name, tc.path, err)
		}
	}
}

// idNumber is the n-th valid resident ID number of someone born in 和平区 on 1990-01-01.
func idNumber(n int) string {
	body := fmt.Sprintf("21010219900101%03d", n%1000)
	for _, c := range "0123456789X" {
		if _, err := forms.ParseIDCard(body + string(c)); err == nil {
			return body + string(c)
		}
	}
	panic("no check character")
}

// The social-group item declares its legal clock (社会团体登记管理条例: 筹备 decided within 60 days,
// 成立登记 within 30, plain days; the promised limits in working days), 补正 pausing it, and timers
// that deem an unanswered 补正 withdrawn by the system; and in each acceptance state the limit of
// 行政许可法 art. 32, 5 working days, after which a timer deems the application accepted.
func TestSocialGroupClocksAndTimers(t *testing.T) {
	cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	it, ok := cat.Item("social-group-establishment")
	if !ok {
		t.Fatal("no social-group-establishment item")
	}
	want := map[string][2]catalog.Period{
		"prep": {{Days: 60, Unit: catalog.CalendarDays}, {Days: 20, Unit: catalog.WorkingDays}},
		"est":  {{Days: 30, Unit: catalog.CalendarDays}, {Days: 15, Unit: catalog.WorkingDays}},
		// 行政许可法 art. 32
		"acceptance_prep": {{Days: 5, Unit: catalog.WorkingDays}, {}},
		"acceptance_est":  {{Days: 5, Unit: catalog.WorkingDays}, {}},
	}
	pauses := map[string]string{"prep": "prep_supplement", "est": "est_supplement"}
	for _, k := range it.Workflow.Clocks {
		w, ok := want[k.ID]
		if !ok {
			t.Fatalf("unexpected clock %s", k.ID)
		}
		delete(want, k.ID)
		k.Statutory.Line, k.Promised.Line = 0, 0
		var wantPauses []string
		if p, ok := pauses[k.ID]; ok {
			wantPauses = []string{p}
		}
		if k.Statutory != w[0] || k.Promised != w[1] || !slices.Equal(k.Pauses, wantPauses) {
			t.Errorf("clock %s: %+v", k.ID, k)
		}
	}
	if len(want) > 0 {
		t.Errorf("missing clocks %v", want)
	}
	// state → the timer's period and where its action leads
	wantTimers := map[string]struct {
		after catalog.Period
		to    string
	}{
		"prep_supplement": {catalog.Period{Days: 30, Unit: catalog.CalendarDays}, "withdrawn"},
		"est_supplement":  {catalog.Period{Days: 30, Unit: catalog.CalendarDays}, "withdrawn"},
		"prep_acceptance": {catalog.Period{Days: 5, Unit: catalog.WorkingDays}, "prep_review"},
		"est_acceptance":  {catalog.Period{Days: 5, Unit: catalog.WorkingDays}, "est_review"},
	}
	timers := map[string]bool{}
	for _, tm := range it.Workflow.Timers {
		timers[tm.State] = true
		w := wantTimers[tm.State]
		if tm.After.Line = 0; tm.After != w.after {
			t.Errorf("timer of %s after %+v", tm.State, tm.After)
		}
		for _, a := range it.Workflow.Actions {
			if a.ID == tm.Action && (a.To != w.to || len(a.By) != 1 || a.By[0] != catalog.System) {
				t.Errorf("timer action %+v", a)
			}
		}
	}
	if len(timers) != len(wantTimers) {
		t.Errorf("timers %v", it.Workflow.Timers)
	}
}
