package disclosure

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/tables"
)

// The report as the format prints it — the title, the narrative sections and the tables in order —
// and its exports: CSV, XLSX and PDF.

// ReportTable is a table of the report as printed: rows of cells, the first Head of them headings.
type ReportTable struct {
	Key   string     `json:"key"`
	Title string     `json:"title"`
	Head  int        `json:"head"`
	Rows  [][]string `json:"rows"`
	// Widths are the columns' relative widths on paper.
	Widths []float64 `json:"-"`
}

// ReportBlock is one part of the printed report: a heading with a text or a table.
type ReportBlock struct {
	Heading string
	Body    string
	Table   *ReportTable
}

// Title is the report's title, e.g. 沈阳市民政局2025年政府信息公开工作年度报告.
func (r *AnnualReport) Title() string {
	return fmt.Sprintf("%s%d年政府信息公开工作年度报告", r.Authority, r.Year)
}

// FileName is the name of an export with the extension ext: disclosure-report-210100-2025.csv.
func (r *AnnualReport) FileName(ext string) string {
	return fmt.Sprintf("disclosure-report-%s-%d.%s", r.Jurisdiction, r.Year, ext)
}

// section returns the narrative section with the key.
func (r *AnnualReport) section(key string) ReportSection {
	for _, s := range r.Sections {
		if s.Key == key {
			return s
		}
	}
	return ReportSection{Key: key, Title: sectionTitles[key]}
}

// Blocks are the parts of the report in the format's order: 一 the overview, 二 to 四 the tables, 五
// and 六 the sections on problems and other matters, then the contributed tables.
func (r *AnnualReport) Blocks() []ReportBlock {
	ts := r.Tables()
	ov, pr, ot := r.section(SectionOverview), r.section(SectionProblems), r.section(SectionOther)
	out := []ReportBlock{
		{Heading: ov.Title, Body: ov.Body},
		{Heading: "二、主动公开政府信息情况", Table: &ts[0]},
		{Heading: ts[1].Title, Table: &ts[1]},
		{Heading: "三、收到和处理政府信息公开申请情况", Table: &ts[2]},
		{Heading: "四、政府信息公开行政复议、行政诉讼情况", Table: &ts[3]},
		{Heading: pr.Title, Body: pr.Body},
		{Heading: ot.Title, Body: ot.Body},
	}
	for i := 4; i < len(ts); i++ {
		out = append(out, ReportBlock{Heading: ts[i].Title, Table: &ts[i]})
	}
	return out
}

// itoa writes a count.
func itoa(n int) string { return strconv.Itoa(n) }

// Tables are the report's tables as printed: 二, the product's own publications beside it, 三, 四,
// then the contributed ones.
func (r *AnnualReport) Tables() []ReportTable {
	p := r.Proactive
	two := ReportTable{Key: "proactive", Title: "主动公开政府信息情况", Widths: []float64{3, 2, 2, 2}, Rows: [][]string{
		{"第二十条第（一）项", "", "", ""},
		{"信息内容", "本年制发件数", "本年废止件数", "现行有效件数"},
		{"规章", itoa(p.Rules.Issued), itoa(p.Rules.Repealed), itoa(p.Rules.InForce)},
		{"行政规范性文件", itoa(p.Normative.Issued), itoa(p.Normative.Repealed), itoa(p.Normative.InForce)},
		{"第二十条第（五）项", "", "", ""},
		{"信息内容", "本年处理决定数量", "", ""},
		{"行政许可", itoa(p.Licences.Total), "", ""},
		{"第二十条第（六）项", "", "", ""},
		{"信息内容", "本年处理决定数量", "", ""},
		{"行政处罚", itoa(p.Penalties), "", ""},
		{"行政强制", itoa(p.Enforcement), "", ""},
		{"第二十条第（八）项", "", "", ""},
		{"信息内容", "本年收费金额（单位：万元）", "", ""},
		{"行政事业性收费", p.Fees, "", ""},
	}}
	own := ReportTable{Key: "published", Title: "（附）本系统本年公开发布情况", Head: 1, Widths: []float64{5, 2},
		Rows: [][]string{{"项目", "本年数量"}}}
	for _, l := range p.Notices {
		own.Rows = append(own.Rows, []string{"公告：" + l.Name, itoa(l.Count)})
	}
	own.Rows = append(own.Rows, []string{"行政许可决定：本系统作出并公示", itoa(p.Licences.Published)},
		[]string{"行政许可决定：系统外作出（工作人员填报）", itoa(p.Licences.Outside)})
	for _, l := range p.Documents {
		own.Rows = append(own.Rows, []string{"文书证照：" + l.Name, itoa(l.Count)})
	}
	return append([]ReportTable{two, own, r.requestsTable(), r.reviewsTable()}, r.Other...)
}

// countCells writes counts as cells after a label.
func countCells(label string, c Counts) []string {
	row := []string{label}
	for _, n := range c {
		row = append(row, itoa(n))
	}
	return row
}

// requestsTable is table 三 as the format lays it out.
func (r *AnnualReport) requestsTable() ReportTable {
	t := r.Requests
	blank := []string{"", "", "", "", "", "", ""}
	out := ReportTable{Key: "requests", Title: "收到和处理政府信息公开申请情况", Head: 3, Widths: []float64{5.2, 1, 1, 1, 1, 1, 1, 1},
		Rows: [][]string{
			{"本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和", "申请人情况", "", "", "", "", "", ""},
			{"", ColumnName("natural"), "法人或其他组织", "", "", "", "", ColumnName("total")},
			{"", "", ColumnName("business"), ColumnName("research"), ColumnName("public_welfare"),
				ColumnName("legal_service"), ColumnName("other"), ""},
			countCells("一、本年新收政府信息公开申请数量", t.Received),
			countCells("二、上年结转政府信息公开申请数量", t.CarriedIn),
			append([]string{"三、本年度办理结果"}, blank...),
		}}
	group := 0
	for _, o := range t.Outcomes {
		if o.Item == 0 {
			out.Rows = append(out.Rows, countCells(groupNames[o.Group], o.Counts))
			group = o.Group
			continue
		}
		if o.Group != group {
			out.Rows = append(out.Rows, append([]string{groupNames[o.Group]}, blank...))
			group = o.Group
		}
		out.Rows = append(out.Rows, countCells(fmt.Sprintf("%d.%s", o.Item, o.Name), o.Counts))
	}
	out.Rows = append(out.Rows, countCells("（七）总计", t.Closed), countCells("四、结转下年度继续办理", t.CarriedOut))
	return out
}

// reviewsTable is table 四 as the format lays it out: 行政复议, then 行政诉讼 directly and after a
// review, each with its five figures.
func (r *AnnualReport) reviewsTable() ReportTable {
	results := []string{"结果维持", "结果纠正", "其他结果", "尚未审结", "总计"}
	row := []string{}
	for _, c := range []ReviewCounts{r.Reviews.Review, r.Reviews.Direct, r.Reviews.AfterReview} {
		for _, n := range c.cells() {
			row = append(row, itoa(n))
		}
	}
	head := [][]string{make([]string, 15), make([]string, 15), {}}
	head[0][0], head[0][5] = "行政复议", "行政诉讼"
	head[1][5], head[1][10] = "未经复议直接起诉", "复议后起诉"
	for range 3 {
		head[2] = append(head[2], results...)
	}
	return ReportTable{Key: "reviews", Title: "政府信息公开行政复议、行政诉讼情况", Head: 3, Rows: append(head, row)}
}

// CSV exports the report as CSV (UTF-8 with a byte order mark, for Excel): the title, then each
// part — a heading, and its text or its table's rows — with an empty line between parts.
func (r *AnnualReport) CSV() ([]byte, error) {
	rows := [][]string{{r.Title()}, {}}
	for _, b := range r.Blocks() {
		rows = append(rows, []string{b.Heading})
		if b.Table != nil {
			rows = append(rows, b.Table.Rows...)
		} else if b.Body != "" {
			rows = append(rows, []string{b.Body})
		}
		rows = append(rows, []string{})
	}
	return tables.WriteCSV(rows)
}

// XLSX exports the report as a workbook: a sheet per table and one of the title and narrative
// sections; counts are numbers, everything else text.
func (r *AnnualReport) XLSX() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	first := "报告"
	if err := f.SetSheetName("Sheet1", first); err != nil {
		return nil, fmt.Errorf("naming the first sheet: %w", err)
	}
	text := [][]string{{r.Title()}, {}}
	for _, b := range r.Blocks() {
		if b.Table == nil {
			text = append(text, []string{b.Heading}, []string{b.Body}, []string{})
		}
	}
	if err := writeSheet(f, first, text, 0); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(first, "A", "A", 100); err != nil {
		return nil, fmt.Errorf("sizing the first sheet: %w", err)
	}
	for i, t := range r.Tables() {
		name := fmt.Sprintf("%d %s", i+1, t.Title)
		if runes := []rune(name); len(runes) > 31 { // Excel's limit
			name = string(runes[:31])
		}
		if _, err := f.NewSheet(name); err != nil {
			return nil, fmt.Errorf("adding sheet %q: %w", name, err)
		}
		if err := writeSheet(f, name, t.Rows, t.Head); err != nil {
			return nil, err
		}
		if err := f.SetColWidth(name, "A", "A", 48); err != nil {
			return nil, fmt.Errorf("sizing sheet %q: %w", name, err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("writing the workbook: %w", err)
	}
	return buf.Bytes(), nil
}

// writeSheet writes rows into the sheet, whole numbers as numbers, the first head rows bold.
func writeSheet(f *excelize.File, sheet string, rows [][]string, head int) error {
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{WrapText: true}})
	if err != nil {
		return fmt.Errorf("making the heading style: %w", err)
	}
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if n, err := strconv.Atoi(v); err == nil && j > 0 {
				err = f.SetCellInt(sheet, cell, int64(n))
				if err != nil {
					return fmt.Errorf("writing cell %s of %s: %w", cell, sheet, err)
				}
			} else if err := f.SetCellStr(sheet, cell, tables.Guard(v)); err != nil {
				return fmt.Errorf("writing cell %s of %s: %w", cell, sheet, err)
			}
			if i < head {
				if err := f.SetCellStyle(sheet, cell, cell, bold); err != nil {
					return fmt.Errorf("styling cell %s of %s: %w", cell, sheet, err)
				}
			}
		}
	}
	return nil
}

// PDF prints the report on A4 with the documents' embedded font: the title, each section's text,
// each table ruled; dated now (the PDF's own dates).
func (r *AnnualReport) PDF(now time.Time) ([]byte, error) {
	s := documents.NewSheet(r.Title(), now)
	s.Title(r.Title())
	for _, b := range r.Blocks() {
		s.Heading(b.Heading)
		switch {
		case b.Table != nil:
			s.Table(b.Table.Rows, b.Table.Head, b.Table.Widths)
		case strings.TrimSpace(b.Body) != "":
			s.Paragraph(b.Body)
		default:
			s.Paragraph("（无）")
		}
	}
	s.Paragraph(fmt.Sprintf("%s  %s", r.Authority, calendar.DateOf(now)))
	return s.PDF()
}

// Formats are the export formats of the report, besides the text of the command line and the JSON
// of the API.
var Formats = []string{"csv", "xlsx", "pdf"}

// Export writes the report in format (Formats) and returns the bytes with their media type.
func (r *AnnualReport) Export(format string, now time.Time) ([]byte, string, error) {
	switch format {
	case "csv":
		b, err := r.CSV()
		return b, "text/csv; charset=utf-8", err
	case "xlsx":
		b, err := r.XLSX()
		return b, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", err
	case "pdf":
		b, err := r.PDF(now)
		return b, "application/pdf", err
	}
	return nil, "", fmt.Errorf("disclosure report: unknown format %q", format)
}

// Text writes the report as plain text for a terminal: each part's heading, then its text or its
// table's rows with the cells separated by " | ".
func (r *AnnualReport) Text() string {
	var b strings.Builder
	b.WriteString(r.Title() + "\n\n")
	for _, blk := range r.Blocks() {
		b.WriteString(blk.Heading + "\n")
		switch {
		case blk.Table != nil:
			for _, row := range blk.Table.Rows {
				b.WriteString("  " + strings.TrimRight(strings.Join(row, " | "), " |") + "\n")
			}
		case blk.Body != "":
			b.WriteString(blk.Body + "\n")
		default:
			b.WriteString("（无）\n")
		}
		b.WriteString("\n")
	}
	return b.String()
}
