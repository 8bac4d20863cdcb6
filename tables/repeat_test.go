package tables

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/problem"
)

func intp(n int) *int { return &n }

// memberForm has the member lists of a social group's preparation form.
func memberForm(maxItems int) *forms.Form {
	return &forms.Form{ID: "sg_preparation", Fields: []forms.Field{
		{Name: "name", Type: forms.TypeText, Label: lang.Text{ZH: "名称", EN: "Name"}, Required: true},
		{Name: "individual_members", Type: forms.TypeRepeat, Label: lang.Text{ZH: "个人会员", EN: "Individual members"},
			Required: true, MinItems: intp(1), MaxItems: intp(maxItems), Fields: []forms.Field{
				{Name: "name", Type: forms.TypeText, Label: lang.Text{ZH: "姓名", EN: "Name"}, Required: true, MaxLength: intp(50)},
				{Name: "id_number", Type: forms.TypeIDCard, Label: lang.Text{ZH: "居民身份证号码", EN: "Resident identity number"}, Required: true},
				{Name: "phone", Type: forms.TypePhone, Label: lang.Text{ZH: "手机号码", EN: "Mobile number"}},
				{Name: "photo", Type: forms.TypeFile, Label: lang.Text{ZH: "照片", EN: "Photo"}},
			}},
		{Name: "unit_members", Type: forms.TypeRepeat, Label: lang.Text{ZH: "单位会员", EN: "Unit members"}, Fields: []forms.Field{
			{Name: "name", Type: forms.TypeText, Label: lang.Text{ZH: "单位名称", EN: "Name of the unit"}, Required: true},
			{Name: "uscc", Type: forms.TypeUSCC, Label: lang.Text{ZH: "统一社会信用代码", EN: "Unified social credit code"}, Required: true},
		}},
	}}
}

var opts = forms.Options{Now: time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)}

// idNumber is a valid resident ID number of someone born in 1980, told apart by n.
func idNumber(n int) string {
	body := fmt.Sprintf("210102198001%02d%03d", 1+n/1000%28, n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// uscc is a valid unified social credit code, told apart by n.
func uscc(t *testing.T, n int) string {
	t.Helper()
	base := fmt.Sprintf("51210100MJ%07d", n)
	org := base[8:16]
	c, err := forms.OrgCodeCheckChar(org)
	if err != nil {
		t.Fatal(err)
	}
	first := base[:16] + string(c)
	check, err := forms.USCCCheckChar(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(check)
}

func importText(t *testing.T, f *forms.Form, path string, existing []map[string]any, text string) *Result {
	t.Helper()
	res, err := Import(f, path, existing, strings.NewReader(text), opts)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return res
}

func TestImportReadsPastedCSVAndXLSX(t *testing.T) {
	f := memberForm(50)
	var tsv, csv strings.Builder
	tsv.WriteString("姓名\t居民身份证号码\t手机号码\n")
	csv.WriteString("\uFEFFname,id_number\n")
	for i := range 50 {
		fmt.Fprintf(&tsv, "会员%d\t%s\t139%08d\n", i, idNumber(i), i)
		fmt.Fprintf(&csv, "会员%d,%s\n", i, strings.ToLower(idNumber(i)))
	}
	for name, text := range map[string]string{"tab-separated with Chinese header": tsv.String(), "CSV with field names": csv.String()} {
		t.Run(name, func(t *testing.T) {
			res := importText(t, f, "individual_members", nil, text)
			if len(res.Errors) > 0 || len(res.Rows) != 50 {
				t.Fatalf("rows %d, errors %+v", len(res.Rows), res.Errors)
			}
			if res.Rows[3]["name"] != "会员3" || res.Lines[0] != 2 {
				t.Errorf("row 3 = %v, first line %d", res.Rows[3], res.Lines[0])
			}
		})
	}
	t.Run("no header: columns in the order of the fields", func(t *testing.T) {
		res := importText(t, f, "individual_members", nil, "张三\t"+idNumber(1)+"\n\n李四\t"+idNumber(2)+"\t13900000000\n")
		if len(res.Errors) > 0 || len(res.Rows) != 2 || res.Lines[1] != 3 || res.Rows[1]["phone"] != "13900000000" {
			t.Fatalf("%+v", res)
		}
	})
	t.Run("XLSX from the template", func(t *testing.T) {
		rows := append(Template(&f.Fields[1], "en"), []string{"王五", idNumber(5), ""}, []string{"赵六", idNumber(6), "13800000000"})
		b, err := WriteXLSX("members", rows)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Import(f, "individual_members", nil, bytes.NewReader(b), opts)
		if err != nil || len(res.Errors) > 0 || len(res.Rows) != 2 || res.Rows[1]["id_number"] != idNumber(6) {
			t.Fatalf("%v %+v", err, res)
		}
	})
	t.Run("GB18030 CSV as Excel on Chinese Windows saves it", func(t *testing.T) {
		gbk := []byte("\xd0\xd5\xc3\xfb," + "id_number\n\xd5\xc5\xc8\xfd," + idNumber(7) + "\n") // 姓名, 张三
		res, err := Import(f, "individual_members", nil, bytes.NewReader(gbk), opts)
		if err != nil || len(res.Errors) > 0 || res.Rows[0]["name"] != "张三" {
			t.Fatalf("%v %+v", err, res)
		}
	})
}

func TestImportErrorsByRowAndColumn(t *testing.T) {
	f := memberForm(50)
	text := "姓名\t居民身份证号码\t手机号码\n" +
		"张三\t" + idNumber(1) + "\t12345\n" + // line 2: phone
		"\t" + idNumber(2) + "\n" + // line 3: name required
		"李四\t210102198001011235\n" + // line 4: check character
		"王五\t" + idNumber(1) + "\n" + // line 5: same as line 2
		"赵六\t" + idNumber(3) + "\t\t多余\n" // line 6: a cell outside the columns
	res := importText(t, f, "individual_members", nil, text)
	got := map[string]string{}
	for _, e := range res.Errors {
		got[strconv.Itoa(e.Row)+":"+e.Column] = e.Code
	}
	want := map[string]string{"2:phone": "invalid_phone", "3:name": "required", "4:id_number": "id_card_check",
		"5:id_number": forms.CodeDuplicateRow, "2:id_number": forms.CodeDuplicateRow, "6:": "extra_cell"}
	for k, code := range want {
		if got[k] != code {
			t.Errorf("error at %s = %q, want %q (all: %+v)", k, got[k], code, res.Errors)
		}
	}
	if len(got) != len(want) {
		t.Errorf("errors %v, want %v", got, want)
	}
	for _, e := range res.Errors {
		if e.Row == 5 && !strings.Contains(e.Message.ZH, "第 2 行") {
			t.Errorf("the duplicate on line 5 does not name line 2: %s", e.Message.ZH)
		}
		if e.Row == 2 && e.Column == "id_number" && !strings.Contains(e.Message.ZH, "第 5 行") {
			t.Errorf("the duplicate on line 2 does not name line 5: %s", e.Message.ZH)
		}
	}
	if res.Errors[0].Row != 2 || res.Errors[len(res.Errors)-1].Row != 6 {
		t.Errorf("errors not in the order of the rows: %+v", res.Errors)
	}
}

func TestImportAgainstRowsAlreadyEntered(t *testing.T) {
	f := memberForm(3)
	existing := []map[string]any{{"name": "甲", "id_number": idNumber(1)}, {"name": "乙", "id_number": idNumber(2)}}
	res := importText(t, f, "individual_members", existing, "丙\t"+strings.ToLower(idNumber(2))+"\n")
	if len(res.Errors) != 1 || res.Errors[0].Code != forms.CodeDuplicateRow || !strings.Contains(res.Errors[0].Message.ZH, "已填写的第 2 行") {
		t.Fatalf("%+v", res.Errors)
	}
	res = importText(t, f, "individual_members", existing, "丙\t"+idNumber(3)+"\n丁\t"+idNumber(4)+"\n")
	if len(res.Errors) != 1 || res.Errors[0].Code != "too_many" || res.Errors[0].Row != 0 {
		t.Fatalf("over the maximum: %+v", res.Errors)
	}
	res = importText(t, f, "unit_members", nil, "单位名称,统一社会信用代码\n甲公司,"+uscc(t, 1)+"\n乙公司,"+uscc(t, 1)+"\n")
	if len(res.Errors) != 2 || res.Errors[0].Column != "uscc" || res.Errors[1].Code != forms.CodeDuplicateRow {
		t.Fatalf("credit codes: %+v", res.Errors)
	}
}

func TestImportRefusesHostileInput(t *testing.T) {
	f := memberForm(5000)
	cases := map[string]struct {
		text string
		kind problem.Kind
		code string
	}{
		"too many bytes":  {strings.Repeat("a", MaxBytes+10), problem.TooLarge, "list_too_large"},
		"too many rows":   {strings.Repeat("张三\t"+idNumber(1)+"\n", MaxRows+2), problem.Invalid, "list_too_long"},
		"broken quoting":  {"姓名,id_number\n\"张三,1\n\"x\"y\",2\n", problem.Invalid, "list_unreadable"},
		"not a workbook":  {"PK\x03\x04garbage", problem.Invalid, "list_unreadable"},
		"no such list":    {"x", problem.NotFound, "not_found"},
		"a row's field":   {"x", problem.NotFound, "not_found"},
		"a list of lists": {"x", problem.NotFound, "not_found"},
	}
	paths := map[string]string{"no such list": "leaders", "a row's field": "individual_members[0].name", "a list of lists": "individual_members[0]"}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := paths[name]
			if path == "" {
				path = "individual_members"
			}
			_, err := Import(f, path, nil, strings.NewReader(tc.text), opts)
			if p, ok := problem.As(err); !ok || p.Kind != tc.kind || p.Code != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
		})
	}
	t.Run("a huge cell is refused and not shown again", func(t *testing.T) {
		res := importText(t, f, "individual_members", nil, strings.Repeat("长", MaxCellChars+1)+"\t"+idNumber(1)+"\n")
		if len(res.Errors) != 2 || res.Errors[0].Code != "cell_too_long" || res.Errors[1].Code != "required" {
			t.Fatalf("%+v", res.Errors)
		}
		if strings.Contains(fmt.Sprint(res.Errors), "长长") {
			t.Error("the error repeats the cell")
		}
	})
	t.Run("empty", func(t *testing.T) {
		res := importText(t, f, "individual_members", nil, "\n \t \n")
		if len(res.Errors) != 1 || res.Errors[0].Code != "empty_list" {
			t.Fatalf("%+v", res.Errors)
		}
	})
	t.Run("a formula is text, checked like any", func(t *testing.T) {
		res := importText(t, f, "individual_members", nil, "=HYPERLINK(\"http://x\")\t"+idNumber(1)+"\n")
		if len(res.Errors) != 0 || res.Rows[0]["name"] != `=HYPERLINK("http://x")` {
			t.Fatalf("%+v", res)
		}
	})
}

func TestTemplatesGuardFormulas(t *testing.T) {
	rep := &forms.Field{Name: "m", Type: forms.TypeRepeat, Fields: []forms.Field{
		{Name: "a", Type: forms.TypeText, Label: lang.Text{ZH: "=1+1", EN: "=1+1"}},
		{Name: "b", Type: forms.TypeText, Label: lang.Text{ZH: "+86", EN: "+86"}},
		{Name: "c", Type: forms.TypeText, Label: lang.Text{ZH: "-x", EN: "-x"}},
		{Name: "d", Type: forms.TypeText, Label: lang.Text{ZH: "@SUM", EN: "@SUM"}},
		{Name: "e", Type: forms.TypeText, Label: lang.Text{ZH: "姓名", EN: "Name"}},
		{Name: "f", Type: forms.TypeFile, Label: lang.Text{ZH: "照片", EN: "Photo"}},
	}}
	rows := Template(rep, "zh-CN")
	want := []string{"'=1+1", "'+86", "'-x", "'@SUM", "姓名"}
	b, err := WriteCSV(rows)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != "\uFEFF"+strings.Join(want, ",")+"\n" {
		t.Errorf("CSV = %q", got)
	}
	x, err := WriteXLSX("名单", rows)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := excelize.OpenReader(bytes.NewReader(x))
	if err != nil {
		t.Fatal(err)
	}
	got, err := wb.GetRows("名单")
	if err != nil || strings.Join(got[0], ",") != strings.Join(want, ",") {
		t.Fatalf("XLSX header = %v, %v", got, err)
	}
	if formula, _ := wb.GetCellFormula("名单", "A1"); formula != "" {
		t.Errorf("A1 is a formula: %q", formula)
	}
}
