package forms

import (
	"fmt"
	"time"

	"github.com/civicflow/civicflow/lang"
)

func intp(n int) *int              { return &n }
func floatp(x float64) *float64    { return &x }
func text(zh, en string) lang.Text { return lang.Text{ZH: zh, EN: en} }

// testNow is the fake clock of the tests.
var testNow = time.Date(2025, 6, 1, 10, 0, 0, 0, birthZone)

// knownDivisions stands in for the jurisdictions table.
func knownDivisions(code string) bool {
	switch code {
	case "210000", "210100", "210200", "210102":
		return true
	}
	return false
}

var testOpts = Options{Division: knownDivisions, Now: testNow}

// sampleForm is a social group's preparation application (社会团体筹备申请), using every type.
func sampleForm() *Form {
	return &Form{
		ID:    "sg_preparation",
		Title: text("社会团体筹备申请表", "Social group preparation application"),
		Fields: []Field{
			{Name: "name", Type: TypeText, Label: text("拟成立社会团体名称", "Proposed name"), Required: true, MinLength: intp(4), MaxLength: intp(50)},
			{Name: "purpose", Type: TypeTextarea, Label: text("宗旨和业务范围", "Purpose and scope"), Help: text("不超过 500 字", "At most 500 characters"), MaxLength: intp(500)},
			{Name: "staff", Type: TypeInteger, Label: text("专职工作人员数", "Full-time staff"), Min: floatp(1), Max: floatp(100)},
			{Name: "level", Type: TypeSelect, Label: text("活动地域", "Activity area"), Required: true, Options: []Option{
				{Value: "national", Label: text("全国", "National")},
				{Value: "provincial", Label: text("全省", "Provincial")},
				{Value: "city", Label: text("市", "City")},
				{Value: "county", Label: text("县", "County")},
			}},
			{Name: "funds", Type: TypeMoney, Label: text("活动资金(元)", "Activity funds (yuan)"), Required: true, Min: floatp(0), Rules: []Rule{
				{When: `level != "national" || funds >= 10000000`, Message: text("全国性社会团体的活动资金不得少于 10 万元。", "A national body needs at least 100,000 yuan of funds.")},
				{When: `funds >= 3000000`, Message: text("活动资金不得少于 3 万元。", "Activity funds must be at least 30,000 yuan.")},
			}},
			{Name: "founded", Type: TypeDate, Label: text("发起日期", "Date of initiative")},
			{Name: "areas", Type: TypeMultiSelect, Label: text("业务领域", "Fields of activity"), MaxItems: intp(2), Options: []Option{
				{Value: "education", Label: text("教育", "Education")},
				{Value: "health", Label: text("卫生", "Health")},
				{Value: "culture", Label: text("文化", "Culture")},
			}},
			{Name: "agree", Type: TypeCheckbox, Label: text("本人承诺所填内容真实", "I declare the above is true"), Required: true},
			{Name: "newsletter", Type: TypeCheckbox, Label: text("订阅通知", "Subscribe to notices")},
			{Name: "phone", Type: TypePhone, Label: text("联系电话", "Contact mobile"), Required: true},
			{Name: "email", Type: TypeEmail, Label: text("电子邮箱", "E-mail")},
			{Name: "sponsor_uscc", Type: TypeUSCC, Label: text("业务主管单位统一社会信用代码", "Sponsor's credit code")},
			{Name: "division", Type: TypeDivision, Label: text("住所所在地", "Division of the domicile"), Required: true},
			{Name: "articles", Type: TypeFile, Label: text("章程草案", "Draft articles"), Required: true, Material: "draft_articles", MaxItems: intp(3)},
			{Name: "leader", Type: TypeGroup, Label: text("拟任负责人", "Intended leader"), Required: true,
				Rules: []Rule{{When: `leader.phone == nil || leader.phone != phone`, Message: text("负责人电话不能与联系电话相同。", "The leader's phone must differ from the contact phone.")}},
				Fields: []Field{
					{Name: "name", Type: TypeText, Label: text("姓名", "Name"), Required: true, MaxLength: intp(20)},
					{Name: "id_number", Type: TypeIDCard, Label: text("身份证号码", "ID number"), Required: true},
					{Name: "phone", Type: TypePhone, Label: text("手机", "Mobile")},
				}},
			{Name: "members", Type: TypeRepeat, Label: text("发起会员", "Founding members"), Required: true, MinItems: intp(50), MaxItems: intp(500),
				Fields: []Field{
					{Name: "name", Type: TypeText, Label: text("姓名或单位名称", "Name"), Required: true},
					{Name: "kind", Type: TypeSelect, Label: text("会员类别", "Kind"), Required: true, Options: []Option{
						{Value: "person", Label: text("个人", "Person")}, {Value: "unit", Label: text("单位", "Unit")}}},
					{Name: "id_number", Type: TypeIDCard, Label: text("身份证号码", "ID number")},
					{Name: "uscc", Type: TypeUSCC, Label: text("统一社会信用代码", "Credit code"),
						Rules: []Rule{{When: `kind != "unit" || uscc != nil`, Message: text("单位会员须填写统一社会信用代码。", "A unit member needs its credit code.")}}},
				}},
		},
	}
}

// memberID is the valid ID number of the i-th test member, born in 1990.
func memberID(i int) string {
	first := fmt.Sprintf("21010219900101%03d", i%1000)
	return first + idCheck(first)
}

// members lists n valid person members as a JSON client sends them.
func members(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"name": fmt.Sprintf("会员%d", i), "kind": "person", "id_number": memberID(i)}
	}
	return out
}

// validInput is a complete, valid submission of sampleForm as decoded from JSON.
func validInput() map[string]any {
	return map[string]any{
		"name":         " 沈阳市青年志愿者协会 ",
		"purpose":      "组织志愿服务。\r\n开展培训。",
		"staff":        float64(3),
		"level":        "city",
		"funds":        "30,000.50",
		"founded":      "2025-03-01",
		"areas":        []any{"education", "culture"},
		"agree":        true,
		"phone":        "13800138000",
		"email":        "office@example.cn",
		"sponsor_uscc": "51110000500012358g",
		"division":     "210102",
		"articles":     []any{float64(17), "18"},
		"leader":       map[string]any{"name": "张三", "id_number": "11010519491231002x", "phone": "13900139000"},
		"members":      members(50),
		"unknown":      "dropped",
	}
}
