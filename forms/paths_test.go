package forms

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"

	"github.com/civicflow/civicflow/lang"
)

func TestFieldAndLabelOfAPath(t *testing.T) {
	t.Parallel()
	f := sampleForm()
	tests := []struct {
		path   string
		field  string // the name of the field found; "" for none
		zh, en string
	}{
		{"name", "name", "拟成立社会团体名称", "Proposed name"},
		{"leader.phone", "phone", "拟任负责人 手机", "Intended leader, Mobile"},
		{"members[1].name", "name", "发起会员 第2行 姓名或单位名称", "Founding members, row 2, Name"},
		{"members[11]", "members", "发起会员 第12行", "Founding members, row 12"},
		{"members", "members", "发起会员", "Founding members"},
		{"articles", "articles", "章程草案", "Draft articles"},
		{"members.name", "", "members.name", "members.name"}, // a repeat's field needs its row
		{"name[0]", "", "name[0]", "name[0]"},                // a row of a leaf
		{"name.first", "", "name.first", "name.first"},       // below a leaf
		{"members[01].name", "", "members[01].name", "members[01].name"},
		{"members[-1].name", "", "members[-1].name", "members[-1].name"},
		{"nothing", "", "nothing", "nothing"},
		{"", "", "", ""},
	}
	for _, tt := range tests {
		fd, ok := f.Field(tt.path)
		if got := ""; ok {
			got = fd.Name
			if got != tt.field {
				t.Errorf("Field(%q) = %q, want %q", tt.path, got, tt.field)
			}
		} else if tt.field != "" {
			t.Errorf("Field(%q) found nothing, want %q", tt.path, tt.field)
		}
		if got := f.Label(tt.path); got != (lang.Text{ZH: tt.zh, EN: tt.en}) {
			t.Errorf("Label(%q) = %+v, want %s / %s", tt.path, got, tt.zh, tt.en)
		}
	}
	var none *Form
	if _, ok := none.Field("name"); ok || none.Label("name").ZH != "name" {
		t.Error("a missing form names nothing")
	}
}

func TestEnteredAndDisplay(t *testing.T) {
	t.Parallel()
	f := sampleForm()
	field := func(name string) *Field {
		fd, ok := f.Field(name)
		if !ok {
			t.Fatalf("no field %s", name)
		}
		return fd
	}
	tests := []struct {
		field   string
		value   any
		entered []string
		zh, en  string
	}{
		{"funds", int64(3000050), []string{"30000.5"}, "30000.5 元", "30000.5 yuan"},
		{"funds", float64(5000000), []string{"50000"}, "50000 元", "50000 yuan"}, // read back from JSON
		{"funds", json.Number("1"), []string{"0.01"}, "0.01 元", "0.01 yuan"},
		{"funds", int64(-250), []string{"-2.5"}, "-2.5 元", "-2.5 yuan"},
		{"funds", "5万", []string{"5万"}, "5万", "5万"}, // typed into a draft, not valid yet
		{"funds", "30000", []string{"30000"}, "30000", "30000"},
		{"level", "city", []string{"city"}, "市", "City"},
		{"areas", []any{"education", "culture"}, []string{"education", "culture"}, "教育、文化", "Education, Culture"},
		{"agree", true, []string{"true"}, "是", "Yes"},
		{"agree", false, []string{"false"}, "否", "No"},
		{"agree", nil, nil, "否", "No"},
		{"staff", float64(3), []string{"3"}, "3", "3"},
		{"articles", []int64{17, 18}, []string{"17", "18"}, "2 个文件", "2 file(s)"},
		{"articles", []any{float64(17)}, []string{"17"}, "1 个文件", "1 file(s)"},
		{"name", nil, nil, "", ""},
		{"name", map[string]any{"a": float64(1)}, []string{`{"a":1}`}, `{"a":1}`, `{"a":1}`}, // a draft of the wrong shape
		{"staff", []any{float64(1), float64(2)}, []string{"[1,2]"}, "[1,2]", "[1,2]"},
		{"leader", map[string]any{"name": "张三"}, nil, "", ""},
	}
	for _, tt := range tests {
		fd := field(tt.field)
		if got := fd.Entered(tt.value); !reflect.DeepEqual(got, tt.entered) {
			t.Errorf("%s.Entered(%#v) = %q, want %q", tt.field, tt.value, got, tt.entered)
		}
		if got := fd.Display(tt.value); got != (lang.Text{ZH: tt.zh, EN: tt.en}) {
			t.Errorf("%s.Display(%#v) = %+v, want %s / %s", tt.field, tt.value, got, tt.zh, tt.en)
		}
	}
}

// Stored data written back as a page posts it reads back to the same data: money is entered in
// yuan again, not taken for yuan while it is fen.
func TestFormValuesRoundTrip(t *testing.T) {
	t.Parallel()
	f := sampleForm()
	stored, _, err := Validate(f, validInput(), testOpts)
	if err != nil {
		t.Fatal(err)
	}
	// As the database gives it back: JSON, numbers as float64.
	b, _ := json.Marshal(stored)
	var fromDB map[string]any
	if err := json.Unmarshal(b, &fromDB); err != nil {
		t.Fatal(err)
	}
	posted := FormValues(f, fromDB)
	if got := posted["funds"]; !reflect.DeepEqual(got, []string{"30000.5"}) {
		t.Errorf("funds posted as %q", got)
	}
	if got := posted["members[49].id_number"]; len(got) != 1 || got[0] != memberID(49) {
		t.Errorf("members[49].id_number posted as %q", got)
	}
	again, _, err := Validate(f, FromFormValues(f, url.Values(posted)), testOpts)
	if err != nil {
		t.Fatalf("Validate(FromFormValues(FormValues(...))): %v", pathCodes(fieldErrors(t, err)))
	}
	if !reflect.DeepEqual(again, stored) {
		t.Errorf("round trip differs:\n got %v\nwant %v", again, stored)
	}
}

func TestDropBlankRows(t *testing.T) {
	t.Parallel()
	f := sampleForm()
	values := map[string][]string{
		"name":               {"沈阳市青年志愿者协会"},
		"members[0].name":    {"张三"},
		"members[0].kind":    {""},
		"members[1].name":    {" "}, // a blank row, as the page's empty row posts it
		"members[1].kind":    {""},
		"members[2].uscc":    {"91350100M000100Y43"},
		"leader.name":        {""},
		"members[x].name":    {"ignored: no index"},
		"membersfoo[3].name": {"another field"},
	}
	DropBlankRows(f, values)
	want := map[string][]string{
		"name":               {"沈阳市青年志愿者协会"},
		"members[0].name":    {"张三"},
		"members[0].kind":    {""},
		"members[2].uscc":    {"91350100M000100Y43"},
		"leader.name":        {""},
		"members[x].name":    {"ignored: no index"},
		"membersfoo[3].name": {"another field"},
	}
	if !reflect.DeepEqual(values, want) {
		t.Errorf("after DropBlankRows: %q", values)
	}
}

// A money field's value states its unit, so the label beside it drops the one it names for the
// input; in Chinese the register's text is in 万元 as on the certificate.
func TestReadLabelAndInWanText(t *testing.T) {
	t.Parallel()
	f := sampleForm()
	funds, _ := f.Field("funds")
	level, _ := f.Field("level")
	if got := funds.ReadLabel(); got != (lang.Text{ZH: "活动资金", EN: "Activity funds"}) {
		t.Errorf("the funds' read label: %+v", got)
	}
	if got := level.ReadLabel(); got != level.Label {
		t.Errorf("a select's read label: %+v, want %+v", got, level.Label)
	}
	if got := funds.InWanText(float64(5000000)); got != (lang.Text{ZH: "5万元", EN: "50000 yuan"}) {
		t.Errorf("the funds in 万元: %+v", got)
	}
	if got := funds.InWanText("5万"); got != (lang.Text{ZH: "5万", EN: "5万"}) {
		t.Errorf("a draft's text: %+v", got)
	}
}

func TestInWanYuan(t *testing.T) {
	t.Parallel()
	f := sampleForm()
	funds, _ := f.Field("funds")
	level, _ := f.Field("level")
	for _, tt := range []struct {
		fd   *Field
		v    any
		want string
		ok   bool
	}{
		{funds, int64(3000000), "3万元", true},
		{funds, float64(3050000), "3.05万元", true}, // read back from JSON
		{funds, int64(3000050), "3.00005万元", true},
		{funds, int64(1), "0.000001万元", true},
		{funds, int64(-2500000), "-2.5万元", true},
		{funds, "30000", "", false}, // a draft's text
		{level, int64(3000000), "", false},
	} {
		if got, ok := tt.fd.InWanYuan(tt.v); got != tt.want || ok != tt.ok {
			t.Errorf("InWanYuan(%v) = %q %v, want %q %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}
