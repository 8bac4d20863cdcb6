package disclosure_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/disclosure/reporttest"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

func addJurisdictions(t *testing.T, s *stacktest.Stack) {
	t.Helper()
	for _, j := range [][3]string{{"210000", "辽宁省", "Liaoning"}, {"210100", "沈阳市", "Shenyang"}, {"210200", "大连市", "Dalian"}} {
		if err := jurisdictions.Add(context.Background(), s.DB, j[0], j[1], j[2]); err != nil {
			t.Fatal(err)
		}
	}
}

// row is a row of table 三 as the test writes it: the row's label and its counts by column
// (自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计).
type row struct {
	label  string
	counts disclosure.Counts
}

// requestRows lists table 三's rows with counts in the format's order.
func requestRows(t disclosure.RequestTable) []row {
	out := []row{{"一", t.Received}, {"二", t.CarriedIn}}
	for _, o := range t.Outcomes {
		out = append(out, row{o.Code, o.Counts})
	}
	return append(out, row{"三(七)", t.Closed}, row{"四", t.CarriedOut})
}

// The table of requests of 2025 for Shenyang, from 31 requests covering every outcome row and every
// applicant column, one carried over from 2024 and two into 2026, is the one written out here row by
// row; it adds up; requests of other years and of Dalian do not count.
func TestReportRequestTable(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s)
		reporttest.Insert(t, s.DB, reporttest.Requests2025()...)
		r, err := disclosure.Report(ctx, s.DB, 2025, "210100")
		if err != nil {
			t.Fatal(err)
		}
		want := []row{
			{"一", disclosure.Counts{5, 4, 5, 4, 4, 4, 26}},
			{"二", disclosure.Counts{1, 1, 0, 0, 0, 0, 2}},
			{"disclosed", disclosure.Counts{2, 0, 0, 1, 0, 1, 4}},
			{"partial", disclosure.Counts{1, 1, 0, 0, 0, 0, 2}},
			{"withheld.state_secret", disclosure.Counts{0, 0, 1, 0, 0, 0, 1}},
			{"withheld.law_prohibits", disclosure.Counts{0, 0, 0, 1, 0, 0, 1}},
			{"withheld.three_safeties", disclosure.Counts{0, 0, 0, 0, 1, 0, 1}},
			{"withheld.third_party", disclosure.Counts{0, 0, 0, 0, 0, 1, 1}},
			{"withheld.internal_affairs", disclosure.Counts{1, 0, 0, 0, 0, 0, 1}},
			{"withheld.process", disclosure.Counts{0, 1, 0, 0, 0, 0, 1}},
			{"withheld.enforcement_file", disclosure.Counts{0, 0, 1, 0, 0, 0, 1}},
			{"withheld.administrative_query", disclosure.Counts{0, 0, 0, 1, 0, 0, 1}},
			{"unavailable.not_held", disclosure.Counts{0, 0, 0, 0, 1, 0, 1}},
			{"unavailable.needs_creation", disclosure.Counts{0, 0, 0, 0, 0, 1, 1}},
			{"unavailable.still_unclear", disclosure.Counts{1, 0, 0, 0, 0, 0, 1}},
			{"not_processed.petition", disclosure.Counts{0, 1, 0, 0, 0, 0, 1}},
			{"not_processed.repeated", disclosure.Counts{0, 0, 1, 0, 0, 0, 1}},
			{"not_processed.publication", disclosure.Counts{0, 0, 0, 1, 0, 0, 1}},
			{"not_processed.mass_repeated", disclosure.Counts{0, 0, 0, 0, 1, 0, 1}},
			{"not_processed.confirmation", disclosure.Counts{0, 0, 0, 0, 0, 1, 1}},
			{"other.not_corrected", disclosure.Counts{1, 0, 0, 0, 0, 0, 1}},
			{"other.fee_unpaid", disclosure.Counts{0, 1, 0, 0, 0, 0, 1}},
			{"other.other", disclosure.Counts{0, 0, 1, 0, 0, 0, 1}},
			{"三(七)", disclosure.Counts{6, 4, 4, 4, 3, 4, 25}},
			{"四", disclosure.Counts{0, 1, 1, 0, 1, 0, 3}},
		}
		got := requestRows(r.Requests)
		if len(got) != len(want) {
			t.Fatalf("%d rows, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("row %d: got %s %v, want %s %v", i, got[i].label, got[i].counts, want[i].label, want[i].counts)
			}
		}
		// The check 一 + 二 = 三(七) + 四 holds in every column.
		for c := range disclosure.ReportColumns {
			if in, out := r.Requests.Received[c]+r.Requests.CarriedIn[c], r.Requests.Closed[c]+r.Requests.CarriedOut[c]; in != out {
				t.Errorf("column %s: %d in, %d out", disclosure.ReportColumns[c], in, out)
			}
		}
		// The printed table: the format's rows with their labels, in order.
		tbl := r.Tables()[2]
		labels := []string{}
		for _, rw := range tbl.Rows[tbl.Head:] {
			labels = append(labels, rw[0])
		}
		wantLabels := "一、本年新收政府信息公开申请数量|二、上年结转政府信息公开申请数量|三、本年度办理结果|（一）予以公开|" +
			"（二）部分公开（区分处理的，只计这一情形，不计其他情形）|（三）不予公开|1.属于国家秘密|2.其他法律行政法规禁止公开|" +
			"3.危及“三安全一稳定”|4.保护第三方合法权益|5.属于三类内部事务信息|6.属于四类过程性信息|7.属于行政执法案卷|8.属于行政查询事项|" +
			"（四）无法提供|1.本机关不掌握相关政府信息|2.没有现成信息需要另行制作|3.补正后申请内容仍不明确|（五）不予处理|1.信访举报投诉类申请|" +
			"2.重复申请|3.要求提供公开出版物|4.无正当理由大量反复申请|5.要求行政机关确认或重新出具已获取信息|（六）其他处理|" +
			"1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请|2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请|" +
			"3.其他|（七）总计|四、结转下年度继续办理"
		if got := strings.Join(labels, "|"); got != wantLabels {
			t.Errorf("the rows of table 三:\n%s\nwant\n%s", got, wantLabels)
		}
		if got := strings.Join(tbl.Rows[len(tbl.Rows)-2], ","); got != "（七）总计,6,4,4,4,3,4,25" {
			t.Errorf("printed 三(七): %s", got)
		}

		// Dalian's report counts its own request only; 2024's has the requests of 2024.
		d, err := disclosure.Report(ctx, s.DB, 2025, "210200")
		if err != nil {
			t.Fatal(err)
		}
		if d.Requests.Received != (disclosure.Counts{1, 0, 0, 0, 0, 0, 1}) || d.Requests.Closed != d.Requests.Received {
			t.Errorf("Dalian: %+v", d.Requests)
		}
		prev, err := disclosure.Report(ctx, s.DB, 2024, "210100")
		if err != nil {
			t.Fatal(err)
		}
		if prev.Requests.Received != (disclosure.Counts{2, 1, 0, 0, 0, 0, 3}) || prev.Requests.CarriedOut != (disclosure.Counts{1, 1, 0, 0, 0, 0, 2}) {
			t.Errorf("2024: %+v", prev.Requests)
		}
	})
}

// A request closed before it was received cannot be counted consistently: the report is refused,
// naming the column that does not add up and the case.
func TestReportRefusesUnbalancedData(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s)
		reporttest.Insert(t, s.DB, reporttest.Requests2025()...)
		ids := reporttest.Insert(t, s.DB, reporttest.Request{Jurisdiction: "210100", ApplicantType: "research",
			Received: "2025-03-01", Closed: "2024-12-30", Outcome: "disclosed"})
		_, err := disclosure.Report(ctx, s.DB, 2025, "210100")
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Conflict || p.Code != "report_unbalanced" {
			t.Fatalf("unbalanced data: %v", err)
		}
		u, _ := p.Detail.(disclosure.Unbalanced)
		if u.Column != "research" || u.In != u.Out+1 || len(u.Cases) != 1 || u.Cases[0] != ids[0] ||
			!strings.Contains(p.Message.ZH, "科研机构") || !strings.Contains(p.Message.EN, "research") {
			t.Errorf("the refusal: %+v %+v", p.Message, u)
		}
		// Bad year and jurisdiction are field errors.
		_, err = disclosure.Report(ctx, s.DB, 1999, "999999")
		if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || len(p.Fields) != 2 {
			t.Errorf("bad input: %v", err)
		}
	})
}

// Table 二 counts what the product published in the year and the figures staff entered; table 四
// the reviews and lawsuits staff recorded; the sections staff wrote are the report's. Every export
// carries them: the CSV's rows, the workbook read back, a PDF with pages.
func TestReportStaffRecordsAndExports(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s)
		reporttest.Insert(t, s.DB, reporttest.Requests2025()...)
		ids := reporttest.Insert(t, s.DB, reporttest.Request{Jurisdiction: "210100", ApplicantType: "natural", Received: "2025-02-01"})
		in2025 := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
		for i, n := range []struct {
			category, kind string
			at             time.Time
		}{{"licensing", "licence_decision", in2025}, {"licensing", "licence_decision", in2025}, {"general", "text", in2025},
			{"general", "text", time.Date(2024, 12, 31, 16, 30, 0, 0, time.UTC)},   // 2025-01-01 in China
			{"general", "text", time.Date(2024, 12, 31, 15, 30, 0, 0, time.UTC)}} { // 2024 in China
			if _, err := s.DB.NewRaw(`INSERT INTO notices (category, kind, jurisdiction, status, title, version, created_at, published_at, updated_at)
				VALUES (?, ?, '210100', 'published', ?, 1, ?, ?, ?)`, n.category, n.kind, "公告"+string(rune('A'+i)), n.at, n.at, n.at).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.DB.NewRaw(`INSERT INTO documents (case_id, kind, number, issued_at, title) VALUES (?, 'acceptance_notice', '沈民受〔2025〕1号', ?, '受理通知书')`,
			ids[0], in2025).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		cli := audit.Actor{Label: "test"}
		if err := disclosure.SaveFigures(ctx, s.DB, nil, cli, 2025, "210100", map[string]string{"penalties": "x", "fees": "1.2345678", "rules_issued": "-1"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("bad figures: %v", err)
		} else if p, _ := problem.As(err); len(p.Fields) != 3 {
			t.Errorf("bad figures: %+v", p.Fields)
		}
		if err := disclosure.SaveFigures(ctx, s.DB, nil, cli, 2025, "210100", map[string]string{"penalties": "3", "fees": "12.34",
			"normative_issued": "2", "normative_in_force": "17", "licences_outside": "5"}); err != nil {
			t.Fatal(err)
		}
		if err := disclosure.SaveFigures(ctx, s.DB, nil, cli, 2025, "210100", map[string]string{"penalties": "4"}); err != nil {
			t.Fatal(err)
		}
		if err := disclosure.SaveSections(ctx, s.DB, nil, cli, 2025, "210100", map[string]string{"overview": "本年度依法公开。\n第二段。", "other": "无收费。"}); err != nil {
			t.Fatal(err)
		}
		if err := disclosure.SaveSections(ctx, s.DB, nil, cli, 2025, "210100", map[string]string{"problems": "bad\u202etext"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("a bidi control in a section: %v", err)
		}
		for _, rm := range []disclosure.Remedy{{Year: 2025, Kind: "review", Result: "upheld"}, {Year: 2025, Kind: "review", Result: "pending", Reference: "沈政复〔2025〕7号"},
			{Year: 2025, Kind: "litigation", Result: "corrected"}, {Year: 2025, Kind: "litigation_after_review", Result: "other"},
			{Year: 2024, Kind: "review", Result: "upheld"}} {
			rm.Jurisdiction = "210100"
			if _, err := disclosure.AddRemedy(ctx, s.DB, nil, cli, rm); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := disclosure.AddRemedy(ctx, s.DB, nil, cli, disclosure.Remedy{Year: 2025, Jurisdiction: "210100", Kind: "appeal", Result: "won"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("a bad record: %v", err)
		}

		r, err := disclosure.Report(ctx, s.DB, 2025, "210100")
		if err != nil {
			t.Fatal(err)
		}
		p := r.Proactive
		if p.Penalties != 4 || p.FeesFen != 12_340_000 || p.Fees != "12.34" || p.Normative != (disclosure.DocumentCounts{2, 0, 17}) ||
			p.Licences != (disclosure.LicenceCounts{Published: 2, Outside: 5, Total: 7}) {
			t.Errorf("table 二: %+v", p)
		}
		if p.Notices[0].Count != 2 || p.Notices[1].Count != 0 || p.Notices[2].Count != 2 {
			t.Errorf("notices: %+v", p.Notices)
		}
		if len(p.Documents) != 1 || p.Documents[0].Name != "受理通知书" || p.Documents[0].Count != 1 {
			t.Errorf("documents: %+v", p.Documents)
		}
		want := disclosure.ReviewTable{Review: disclosure.ReviewCounts{Upheld: 1, Pending: 1, Total: 2},
			Direct: disclosure.ReviewCounts{Corrected: 1, Total: 1}, AfterReview: disclosure.ReviewCounts{Other: 1, Total: 1}}
		if r.Reviews != want {
			t.Errorf("table 四: %+v", r.Reviews)
		}
		if r.Sections[0].Body != "本年度依法公开。\n第二段。" || r.Sections[1].Body != "" || r.Sections[2].Body != "无收费。" {
			t.Errorf("sections: %+v", r.Sections)
		}
		if r.Title() != "沈阳市民政局2025年政府信息公开工作年度报告" {
			t.Errorf("title: %s", r.Title())
		}

		// CSV: the rows of every table and the sections.
		b, err := r.CSV()
		if err != nil {
			t.Fatal(err)
		}
		rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF"))))
		rd.FieldsPerRecord = -1
		rows, err := rd.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		joined := map[string]bool{}
		for _, rw := range rows {
			joined[strings.Join(rw, ",")] = true
		}
		for _, w := range []string{"沈阳市民政局2025年政府信息公开工作年度报告", "一、总体情况", "本年度依法公开。\n第二段。", "行政处罚,4,,",
			"行政许可,7,,", "行政事业性收费,12.34,,", "一、本年新收政府信息公开申请数量,6,4,5,4,4,4,27", "（七）总计,6,4,4,4,3,4,25",
			"四、结转下年度继续办理,1,1,1,0,1,0,4", "1,0,0,1,2,0,1,0,0,1,0,0,1,0,1"} {
			if !joined[w] {
				t.Errorf("the CSV has no row %q", w)
			}
		}
		// XLSX: read back, counts as numbers.
		b, err = r.XLSX()
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		sheets := f.GetSheetList()
		if len(sheets) != 8 || sheets[0] != "报告" {
			t.Errorf("sheets: %q", sheets)
		}
		xrows, err := f.GetRows(sheets[3])
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(xrows[len(xrows)-1], ","); got != "四、结转下年度继续办理,1,1,1,0,1,0,4" {
			t.Errorf("the workbook's last row of table 三: %s", got)
		}
		if num, _ := f.GetCellType(sheets[3], "H4"); num == excelize.CellTypeSharedString || num == excelize.CellTypeInlineString {
			t.Errorf("a count is stored as text (%v)", num)
		} else if text, _ := f.GetCellType(sheets[3], "A4"); text != excelize.CellTypeSharedString {
			t.Errorf("a label is stored as %v", text)
		}
		_ = f.Close()
		// PDF.
		b, err = r.PDF(time.Date(2026, 1, 20, 2, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) || bytes.Count(b, []byte("/Type /Page\n")) < 2 {
			t.Errorf("the PDF: %d bytes, %d pages", len(b), bytes.Count(b, []byte("/Type /Page\n")))
		}

		// Records are changed and removed; keeping them needs disclosure:write (auth nil: the command line).
		list, err := disclosure.Remedies(ctx, s.DB, 2025, "210100")
		if err != nil || len(list) != 4 {
			t.Fatalf("records: %v %+v", err, list)
		}
		if _, err := disclosure.UpdateRemedy(ctx, s.DB, nil, cli, list[1].ID, "corrected", "沈政复〔2025〕7号"); err != nil {
			t.Fatal(err)
		}
		if err := disclosure.DeleteRemedy(ctx, s.DB, nil, cli, list[0].ID); err != nil {
			t.Fatal(err)
		}
		r, err = disclosure.Report(ctx, s.DB, 2025, "210100")
		if err != nil {
			t.Fatal(err)
		}
		if r.Reviews.Review != (disclosure.ReviewCounts{Corrected: 1, Total: 1}) {
			t.Errorf("after the change: %+v", r.Reviews.Review)
		}
	})
}
