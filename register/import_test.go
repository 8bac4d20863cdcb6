package register_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// oldCode returns a valid credit code of a civil-affairs organisation: type digit, division and a
// number n for the organisation-code body; with goodOrgCheck false its organisation-code check
// character is wrong, as in some real old codes, while the 18th character is right.
func oldCode(t testing.TB, digit byte, division string, n int, goodOrgCheck bool) string {
	t.Helper()
	body := fmt.Sprintf("T%07d", n)
	org, err := forms.OrgCodeCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	if !goodOrgCheck {
		org = map[bool]byte{true: '1', false: '2'}[org != '1']
	}
	first17 := "5" + string(digit) + division + body + string(org)
	check, err := forms.USCCCheckChar(first17)
	if err != nil {
		t.Fatal(err)
	}
	return first17 + string(check)
}

// wrongCheck returns code with another 18th character.
func wrongCheck(code string) string {
	last := byte('0')
	if code[17] == '0' {
		last = '1'
	}
	return code[:17] + string(last)
}

// csvFile writes rows as CSV lines after a byte order mark.
func csvFile(rows ...string) []byte {
	return []byte("\uFEFF" + strings.Join(rows, "\r\n") + "\r\n")
}

const zhHeader = "统一社会信用代码,名称,类型,登记管理机关,住所,法定代表人,成立日期,状态,业务范围,活动地域,注册资金,业务主管单位"

func importFile(t *testing.T, s *stacktest.Stack, file []byte, opts register.ImportOptions) *register.ImportReport {
	t.Helper()
	if opts.Source == "" {
		opts.Source = "test.csv"
	}
	rep, err := register.Import(context.Background(), s.DB, bytes.NewReader(file), opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func countOrganisations(t *testing.T, s *stacktest.Stack) int {
	t.Helper()
	n, err := s.DB.NewSelect().Table("organisations").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestImportCSV(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		go1, pension, fund := oldCode(t, '1', "210100", 1, true), oldCode(t, '2', "210102", 2, true), oldCode(t, '3', "210000", 3, true)
		good := csvFile(zhHeader,
			go1+",沈阳市围棋协会,社会团体,210100,沈阳市和平区南京北街1号,王强,2015-03-20,正常,围棋培训、比赛,沈阳市,3万元,沈阳市体育局",
			pension+",和平区康乐养老服务中心,,和平区,和平区太原街2号,李梅,2018/6/1,,养老服务,和平区,10万元,",
			fund+",辽宁省助学基金会,基金会,辽宁省民政厅,沈阳市皇姑区3号,赵刚,2009年12月31日,注销,资助,辽宁省,400万元,辽宁省教育厅",
			",,,,,,,,,,,") // a blank row is no row
		rep := importFile(t, s, good, register.ImportOptions{})
		if len(rep.Errors) != 0 || rep.Read != 3 || rep.Inserted != 3 || !rep.Written {
			t.Fatalf("good file: %+v", rep)
		}
		// Found by two characters of its name at once, with what the file says.
		res, err := register.Search(ctx, s.DB, register.Query{Q: "围棋"})
		if err != nil || res.Total != 1 || res.Organisations[0].USCC != go1 {
			t.Fatalf("search 围棋: %+v, %v", res, err)
		}
		o, err := register.ByUSCC(ctx, s.DB, pension)
		if err != nil {
			t.Fatal(err)
		}
		if o.Kind != register.KindPrivateNonEnterprise || o.Jurisdiction != "210102" || o.Status != register.StatusActive ||
			calendar.DateOf(o.RegisteredAt) != calendar.NewDate(2018, time.June, 1) || o.LegalRepresentative != "李梅" {
			t.Errorf("imported: %+v", o)
		}
		if p := o.Particulars(); p.BusinessScope.ZH != "养老服务" || p.Funds.ZH != "10万元" || p.SponsorUnit.ZH != "" {
			t.Errorf("particulars: %+v", p)
		}
		if h := o.History(); len(h) != 1 || h[0].Kind != register.EventImported {
			t.Errorf("history: %+v", h)
		}
		f, _ := register.ByUSCC(ctx, s.DB, fund)
		if f.Jurisdiction != "210000" || f.Status != register.StatusDeregistered || f.Kind != register.KindFoundation {
			t.Errorf("foundation: %+v", f)
		}

		// Importing the same file again changes nothing.
		rep = importFile(t, s, good, register.ImportOptions{})
		if rep.Unchanged != 3 || rep.Inserted != 0 || rep.Updated != 0 || countOrganisations(t, s) != 3 {
			t.Fatalf("again: %+v", rep)
		}
		if o, _ := register.ByUSCC(ctx, s.DB, pension); len(o.History()) != 1 {
			t.Errorf("an unchanged import added to the history: %+v", o.History())
		}
		// A renamed organisation is updated, found by its new name only, with a second import event.
		renamed := bytes.Replace(good, []byte("沈阳市围棋协会"), []byte("沈阳市象棋协会"), 1)
		rep = importFile(t, s, renamed, register.ImportOptions{})
		if rep.Updated != 1 || rep.Unchanged != 2 {
			t.Fatalf("renamed: %+v", rep)
		}
		if res, _ := register.Search(ctx, s.DB, register.Query{Q: "围棋"}); res.Total != 0 {
			t.Error("the old name is still found")
		}
		if res, _ := register.Search(ctx, s.DB, register.Query{Q: "象棋"}); res.Total != 1 {
			t.Error("the new name is not found")
		}
		if o, _ := register.ByUSCC(ctx, s.DB, go1); len(o.History()) != 2 || o.Particulars().SponsorUnit.ZH != "沈阳市体育局" {
			t.Errorf("after the update: %+v %+v", o.History(), o.Particulars())
		}
		// A file with fewer columns leaves the others as they are.
		rep = importFile(t, s, csvFile("uscc,name,jurisdiction,registered_on", go1+",沈阳市象棋协会,210100,2015-03-20",
			fund+",辽宁省助学基金会,210000,2009-12-31"), register.ImportOptions{})
		if rep.Unchanged != 2 || rep.Updated != 0 || len(rep.Errors) != 0 {
			t.Errorf("fewer columns: %+v", rep)
		}
		// An empty cell leaves what is on record: the deregistered foundation stays deregistered and
		// keeps its legal representative and sponsor unit; a value given corrects one.
		rep = importFile(t, s, csvFile(zhHeader, fund+",辽宁省助学基金会,,210000,,,2009-12-31,,,,,",
			go1+",沈阳市象棋协会,,210100,,,2015-03-20,撤销,,,,"), register.ImportOptions{})
		if rep.Updated != 1 || rep.Unchanged != 1 || len(rep.Errors) != 0 {
			t.Errorf("empty cells: %+v", rep)
		}
		f, _ = register.ByUSCC(ctx, s.DB, fund)
		if f.Status != register.StatusDeregistered || f.LegalRepresentative != "赵刚" || f.Domicile != "沈阳市皇姑区3号" ||
			f.Particulars().SponsorUnit.ZH != "辽宁省教育厅" || len(f.History()) != 1 {
			t.Errorf("emptied: %+v %+v", f, f.Particulars())
		}
		o, _ = register.ByUSCC(ctx, s.DB, go1)
		if o.Status != register.StatusRevoked || o.LegalRepresentative != "王强" || o.Particulars().BusinessScope.ZH != "围棋培训、比赛" {
			t.Errorf("corrected: %+v %+v", o, o.Particulars())
		}
	})
}

func TestImportReportsEveryBadRowAndWritesNothing(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		a, b, c := oldCode(t, '1', "210100", 11, true), oldCode(t, '1', "210100", 12, true), oldCode(t, '2', "210200", 13, true)
		d, old := oldCode(t, '2', "210200", 15, true), oldCode(t, '1', "210100", 14, false)
		file := csvFile("名称,统一社会信用代码,登记管理机关,成立日期,类型,备注",
			"沈阳市桥牌协会,"+a+",210100,2016-01-05,,",                                          // line 2: good
			"沈阳市钓鱼协会,"+wrongCheck(b)+",210100,2016-01-05,,",                              // 3: check character
			","+c+",210200,2016-01-05,,",                                                 // 4: no name
			"沈阳市钓鱼协会,"+a+",210100,2016-01-05,,",                                          // 5: duplicate of line 2
			"大连市某协会,"+d+",990100,2016-02-30,社会团体,",                                       // 6: unknown jurisdiction, bad date, kind against code 52
			"沈阳市老年书画协会,"+old+",沈阳市民政局,2001-07-01,,旧代码",                                   // 7: warning only
			"某其他组织,"+oldCode(t, '9', "210100", 16, true)+",210100,2001-07-01 00:00:00,,") // 8: type 9 is no kind of the register
		for _, dry := range []bool{false, true} {
			rep := importFile(t, s, file, register.ImportOptions{DryRun: dry})
			if rep.Written || countOrganisations(t, s) != 0 {
				t.Fatalf("a file with errors wrote (dry run %v): %+v", dry, rep)
			}
			var got []string
			for _, e := range rep.Errors {
				got = append(got, fmt.Sprintf("%d %s %s", e.Line, e.Column, e.Code))
			}
			want := []string{"3 统一社会信用代码 check_character", "4 名称 required", "5 统一社会信用代码 duplicate",
				"6 类型 kind_mismatch", "6 登记管理机关 unknown", "6 成立日期 invalid", "8 统一社会信用代码 unsupported_kind"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("errors:\n got %q\nwant %q", got, want)
			}
			if len(rep.Warnings) != 1 || rep.Warnings[0].Line != 7 || rep.Warnings[0].Code != "org_code_check" {
				t.Errorf("warnings: %+v", rep.Warnings)
			}
			if rep.Read != 7 || rep.Skipped != 5 || rep.Inserted != 2 || len(rep.IgnoredColumns) != 1 || rep.IgnoredColumns[0] != "备注" {
				t.Errorf("counts: %+v", rep)
			}
		}
		// --skip-errors imports the good rows, the old code with its warning among them.
		rep := importFile(t, s, file, register.ImportOptions{SkipErrors: true})
		if !rep.Written || rep.Inserted != 2 || countOrganisations(t, s) != 2 {
			t.Fatalf("skip errors: %+v", rep)
		}
		if o, err := register.ByUSCC(ctx, s.DB, old); err != nil || o.Jurisdiction != "210100" {
			t.Errorf("old code: %+v %v", o, err)
		}
		if res, _ := register.Search(ctx, s.DB, register.Query{Q: "书画"}); res.Total != 1 {
			t.Error("the old code's organisation is not found")
		}
	})
}

func TestImportXLSXAndGB18030(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		f := excelize.NewFile()
		sheet := f.GetSheetName(0)
		code := oldCode(t, '1', "210200", 21, true)
		date, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		for i, row := range [][]any{
			{"Credit code", "Name", "Jurisdiction", "Registered on", "Legal representative", "Business scope"},
			{code, "大连市摄影家协会", 210200, time.Date(2012, 5, 17, 0, 0, 0, 0, time.UTC), "孙丽", "摄影交流"},
		} {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		_ = f.SetCellStyle(sheet, "D2", "D2", date)
		// Row 3 is left empty; row 4 has a wrong check character, reported as row 4.
		if err := f.SetSheetRow(sheet, "A4", &[]any{wrongCheck(code), "大连市某协会", "210200", "2012-05-17"}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		rep := importFile(t, s, buf.Bytes(), register.ImportOptions{Source: "register.xlsx", SkipErrors: true})
		if rep.Inserted != 1 || rep.Read != 2 || len(rep.Errors) != 1 || rep.Errors[0].Line != 4 || rep.Errors[0].Column != "Credit code" {
			t.Fatalf("xlsx: %+v", rep)
		}
		o, err := register.ByUSCC(ctx, s.DB, code)
		if err != nil || o.Name != "大连市摄影家协会" || calendar.DateOf(o.RegisteredAt) != calendar.NewDate(2012, time.May, 17) ||
			o.Kind != register.KindSocialGroup || o.Particulars().BusinessScope.ZH != "摄影交流" {
			t.Fatalf("xlsx organisation: %+v %v", o, err)
		}
		// A CSV saved by Excel on Chinese Windows is GBK, which GB18030 includes.
		gbk := oldCode(t, '1', "210200", 22, true)
		text := "统一社会信用代码,名称,登记管理机关,成立日期\r\n" + gbk + ",大连市书法家协会,大连市,2011-01-01\r\n"
		encoded, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if rep := importFile(t, s, encoded, register.ImportOptions{}); rep.Inserted != 1 || len(rep.Errors) != 0 {
			t.Fatalf("gb18030: %+v", rep)
		}
		if o, err := register.ByUSCC(ctx, s.DB, gbk); err != nil || o.Name != "大连市书法家协会" {
			t.Fatalf("gb18030 organisation: %+v %v", o, err)
		}
	})
}

func TestImportRefusesABadFileAndACaseRegisteredHere(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		_, err := register.Import(ctx, s.DB, bytes.NewReader(csvFile("名称,登记管理机关,成立日期", "某协会,210100,2015-01-01")), register.ImportOptions{})
		if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || !strings.Contains(p.Message.EN, "统一社会信用代码 (uscc) is missing") ||
			!strings.Contains(p.Message.ZH, "缺少必需的列“统一社会信用代码”") {
			t.Fatalf("missing column: %v", err)
		}
		_, err = register.Import(ctx, s.DB, bytes.NewReader(csvFile("uscc,名称,Name,登记管理机关,成立日期")), register.ImportOptions{})
		if p, ok := problem.As(err); !ok || !strings.Contains(p.Message.EN, `columns "名称" and "Name" both give name`) {
			t.Fatalf("a column twice: %v", err)
		}
		// A name two jurisdictions have must be given as a code.
		for _, j := range [][2]string{{"120000", "天津市"}, {"120100", "天津市辖区"}, {"120101", "和平区"}} {
			if err := jurisdictions.Add(ctx, s.DB, j[0], j[1], ""); err != nil {
				t.Fatal(err)
			}
		}
		rep := importFile(t, s, csvFile("uscc,name,jurisdiction,registered_on", oldCode(t, '1', "210102", 31, true)+",和平区围棋协会,和平区,2015-01-01"),
			register.ImportOptions{})
		if len(rep.Errors) != 1 || rep.Errors[0].Code != "ambiguous" {
			t.Errorf("an ambiguous name: %+v", rep)
		}
		if _, err := register.Import(ctx, s.DB, bytes.NewReader(nil), register.ImportOptions{}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("empty file: %v", err)
		}
		// An organisation this installation registered is changed by change registration, not by an import.
		o, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: "沈阳市篮球协会", Kind: register.KindSocialGroup,
			Jurisdiction: "210100", CaseID: newCase(t, s.DB)})
		if err != nil {
			t.Fatal(err)
		}
		on := calendar.DateOf(o.RegisteredAt).String()
		same := importFile(t, s, csvFile("uscc,name,jurisdiction,registered_on", o.USCC+",沈阳市篮球协会,210100,"+on), register.ImportOptions{})
		if same.Unchanged != 1 || len(same.Errors) != 0 {
			t.Errorf("the same particulars: %+v", same)
		}
		other := importFile(t, s, csvFile("uscc,name,jurisdiction,registered_on", o.USCC+",沈阳市足球协会,210100,"+on), register.ImportOptions{SkipErrors: true})
		if len(other.Errors) != 1 || other.Errors[0].Code != "registered_here" || other.Updated != 0 {
			t.Errorf("another name: %+v", other)
		}
		if again, _ := register.ByUSCC(ctx, s.DB, o.USCC); again.Name != "沈阳市篮球协会" {
			t.Errorf("renamed by an import: %s", again.Name)
		}
	})
}

// BenchmarkImport imports CIVICFLOW_BENCH_ORGANISATIONS rows (default 30,000) of CSV into an empty
// register on PostgreSQL, then the same file again (every row unchanged), then the same rows as XLSX
// into an empty register; docs/benchmarks.md has a run.
func BenchmarkImport(b *testing.B) {
	s := stacktest.PostgresOnly(b)
	n := benchOrganisations(30000)
	ctx := context.Background()
	seed(b, s.DB)
	var file bytes.Buffer
	file.WriteString(zhHeader + "\n")
	book := excelize.NewFile()
	sheet, err := book.NewStreamWriter(book.GetSheetName(0))
	if err != nil {
		b.Fatal(err)
	}
	header := []any{}
	for _, h := range strings.Split(zhHeader, ",") {
		header = append(header, h)
	}
	if err := sheet.SetRow("A1", header); err != nil {
		b.Fatal(err)
	}
	divisions := []string{"210000", "210100", "210102", "210200"}
	for i, name := range syntheticNames(n) {
		div := divisions[i%len(divisions)]
		row := []string{oldCode(b, '1', div, i+1, true), name, "社会团体", div, fmt.Sprintf("%s某路%d号", name, i), fmt.Sprintf("张%d", i),
			fmt.Sprintf("%d-%02d-%02d", 1990+i%30, 1+i%12, 1+i%28), "正常", name + "的业务", div, "3万元", "某主管单位"}
		file.WriteString(strings.Join(row, ",") + "\n")
		cells := make([]any, len(row))
		for j, c := range row {
			cells[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sheet.SetRow(cell, cells); err != nil {
			b.Fatal(err)
		}
	}
	var xlsx bytes.Buffer
	if err := errors.Join(sheet.Flush(), book.Write(&xlsx)); err != nil {
		b.Fatal(err)
	}
	importAll := func(b *testing.B, file *bytes.Buffer) *register.ImportReport {
		rep, err := register.Import(ctx, s.DB, bytes.NewReader(file.Bytes()), register.ImportOptions{Source: "bench"})
		if err != nil || len(rep.Errors) > 0 || rep.Read != n {
			b.Fatalf("%v %+v", err, rep.Errors[:min(3, len(rep.Errors))])
		}
		return rep
	}
	// run imports file into an empty register (fresh) or into one that holds it already.
	run := func(b *testing.B, file *bytes.Buffer, fresh bool) {
		if !fresh {
			importAll(b, file)
		}
		for b.Loop() {
			if fresh {
				b.StopTimer()
				for _, table := range []string{"org_name_bigrams", "organisations"} {
					if _, err := s.DB.ExecContext(ctx, "DELETE FROM "+table); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
			}
			if rep := importAll(b, file); fresh && rep.Inserted != n || !fresh && rep.Unchanged != n {
				b.Fatalf("fresh %v: %+v", fresh, rep)
			}
		}
		b.ReportMetric(float64(n), "rows")
	}
	b.Run("csv/insert", func(b *testing.B) { run(b, &file, true) })
	b.Run("csv/unchanged", func(b *testing.B) { run(b, &file, false) })
	b.Run("xlsx/insert", func(b *testing.B) { run(b, &xlsx, true) })
}

// The forms spreadsheets and people write a cell in: a date with a midnight time part (Excel on
// Chinese Windows, ISO date-times), full-width digits, a numeric cell written 210100.0; a business
// scope over several lines, while a name must be one line; a time other than midnight is an error.
func TestImportReadsCellsAsWritten(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		codes := make([]string, 8)
		for i := range codes {
			codes[i] = oldCode(t, '1', "210100", 40+i, true)
		}
		file := csvFile("统一社会信用代码,名称,登记管理机关,成立日期,业务范围,注册资金",
			codes[0]+",沈阳市甲协会,210100,2015/3/20 0:00,\"围棋培训\r\n围棋比赛\",3万元", // line 2 (two lines)
			codes[1]+",沈阳市乙协会,２１０１００,2015-03-20T00:00:00,,",               // 4
			codes[2]+",沈阳市丙协会,210100.0,２０１５－０３－２０,,",                      // 5
			codes[3]+",沈阳市丁协会,210100,2015-03-20 00:00:00,,",               // 6
			"５"+codes[4][1:]+",沈阳市戊协会,210100,2015/3/20 9:30,,",            // 7: not midnight
			codes[5]+",\"沈阳市己\n协会\",210100,2015-03-20,,\"3万\n元\"",         // 8: a name and funds over two lines
			codes[6]+",沈阳市庚协会,210100,42083.5,,")                           // 11: an Excel date-time at noon
		rep := importFile(t, s, file, register.ImportOptions{SkipErrors: true})
		var got []string
		for _, e := range rep.Errors {
			got = append(got, fmt.Sprintf("%d %s %s", e.Line, e.Column, e.Code))
		}
		want := []string{"7 成立日期 time_of_day", "8 名称 line_break", "8 注册资金 line_break", "11 成立日期 time_of_day"}
		if rep.Inserted != 4 || strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("errors:\n got %q\nwant %q\n%+v", got, want, rep)
		}
		if !strings.Contains(rep.Errors[1].Message.EN, "Line breaks are not allowed") {
			t.Errorf("the message of a line break: %s", rep.Errors[1].Message.EN)
		}
		for _, c := range codes[:4] {
			o, err := register.ByUSCC(ctx, s.DB, c)
			if err != nil || o.Jurisdiction != "210100" || calendar.DateOf(o.RegisteredAt) != calendar.NewDate(2015, time.March, 20) {
				t.Errorf("%s: %+v %v", c, o, err)
			}
		}
		if o, _ := register.ByUSCC(ctx, s.DB, codes[0]); o.Particulars().BusinessScope.ZH != "围棋培训\n围棋比赛" {
			t.Errorf("a business scope of two lines: %q", o.Particulars().BusinessScope.ZH)
		}

		// An XLSX cell with Alt+Enter, a numeric division code (210100.0 as pandas writes it).
		f := excelize.NewFile()
		sheet := f.GetSheetName(0)
		for i, row := range [][]any{
			{"统一社会信用代码", "名称", "登记管理机关", "成立日期", "业务范围"},
			{codes[7], "沈阳市辛协会", 210100.0, "2015/3/20 0:00", "一、培训\r\n二、比赛"},
		} {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		if rep := importFile(t, s, buf.Bytes(), register.ImportOptions{}); rep.Inserted != 1 || len(rep.Errors) != 0 {
			t.Fatalf("xlsx: %+v", rep)
		}
		if o, _ := register.ByUSCC(ctx, s.DB, codes[7]); o.Particulars().BusinessScope.ZH != "一、培训\n二、比赛" || o.Jurisdiction != "210100" {
			t.Errorf("xlsx organisation: %+v %q", o, o.Particulars().BusinessScope.ZH)
		}
	})
}

// The headers of the register's own export (统一社会信用代码 Credit code), of which the jurisdiction
// code is read rather than the authority's name; a title above the header is pointed out.
func TestImportHeaders(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		code := oldCode(t, '3', "210100", 50, true)
		rep := importFile(t, s, csvFile("统一社会信用代码 Credit code,名称 Name,类型 Kind,登记状态 Status,登记管理机关代码 Jurisdiction code,"+
			"登记管理机关 Registration authority,住所 Domicile,法定代表人 Legal representative,成立登记日期 Registered on",
			code+",沈阳市助学基金会,Foundation,Registration revoked,210100,某某局,沈阳市1号,'=王五,2015-03-20"), register.ImportOptions{})
		if rep.Inserted != 1 || len(rep.Errors) != 0 || strings.Join(rep.IgnoredColumns, "|") != "登记管理机关 Registration authority" {
			t.Fatalf("the export's headers: %+v", rep)
		}
		o, err := register.ByUSCC(ctx, s.DB, code)
		if err != nil || o.Status != register.StatusRevoked || o.Jurisdiction != "210100" || o.LegalRepresentative != "=王五" || o.Kind != register.KindFoundation {
			t.Fatalf("imported: %+v %v", o, err)
		}
		_, err = register.Import(ctx, s.DB, bytes.NewReader(csvFile("沈阳市社会组织登记档案,,,", "统一社会信用代码,名称,登记管理机关,成立日期")), register.ImportOptions{})
		if p, ok := problem.As(err); !ok || !strings.Contains(p.Message.EN, "the header naming the columns must be the first row") {
			t.Fatalf("a title row: %v", err)
		}
	})
}
