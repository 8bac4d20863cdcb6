package forms

import (
	"strings"
	"testing"

	"github.com/civicflow/civicflow/problem"
)

func TestValidateRefusesAnIDNumberTwiceInAList(t *testing.T) {
	in := validInput()
	list := members(50)
	list[7].(map[string]any)["id_number"] = strings.ToLower(memberID(2)) // same number, lower-case x or not
	list[9].(map[string]any)["id_number"] = " " + memberID(2) + " "
	list[3].(map[string]any)["kind"], list[3].(map[string]any)["uscc"] = "unit", "51110000500012358G"
	list[4].(map[string]any)["kind"], list[4].(map[string]any)["uscc"] = "unit", "51110000500012358g"
	in["members"] = list
	_, _, err := Validate(sampleForm(), in, testOpts)
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	got := map[string]string{}
	for _, f := range p.Fields {
		if f.Code != CodeDuplicateRow {
			t.Errorf("unexpected error %+v", f)
		}
		got[f.Path] = f.Message.ZH
	}
	want := map[string]string{
		"members[2].id_number": "第 8 行", "members[7].id_number": "第 3 行", "members[9].id_number": "第 3 行",
		"members[3].uscc": "第 5 行", "members[4].uscc": "第 4 行",
	}
	for path, row := range want {
		if !strings.Contains(got[path], row) {
			t.Errorf("%s: %q does not name %s", path, got[path], row)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors at %v, want %v", got, want)
	}
}

func TestRemoveAndAppendRows(t *testing.T) {
	f := sampleForm()
	values := map[string][]string{
		"members[0].name": {"甲"}, "members[1].name": {"乙"}, "members[2].name": {"丙"}, "name": {"协会"},
	}
	for _, bad := range []string{"members", "name[0]", "leader[0]", "members[x]", "nothing[1]", "members[1].name"} {
		if RemoveRow(f, values, bad) {
			t.Errorf("RemoveRow(%q) removed something", bad)
		}
	}
	if !RemoveRow(f, values, "members[1]") {
		t.Fatal("RemoveRow(members[1]) = false")
	}
	AppendRows(f, values, "members", []map[string]any{{"name": "丁", "id_number": "x"}, {"name": "戊"}})
	data := FromFormValues(f, values)
	var names []string
	for _, row := range data["members"].([]any) {
		names = append(names, row.(map[string]any)["name"].(string))
	}
	if strings.Join(names, "") != "甲丙丁戊" || values["members[3].id_number"][0] != "x" {
		t.Errorf("rows %v, values %v", names, values)
	}
}
