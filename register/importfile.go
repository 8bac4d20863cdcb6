package register

import (
	"fmt"
	"strings"

	"golang.org/x/text/width"

	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/tables"
)

// ImportColumn is a column of an import file: the particular it gives and the header names it may
// have, Chinese and English. The first name is the one messages use.
type ImportColumn struct {
	Field    string
	Names    []string
	Required bool
}

// ImportColumns are the columns an import file may have, in the order the README lists them.
// Columns not listed are ignored (and named in the report); the order in the file does not matter.
var ImportColumns = []ImportColumn{
	{Field: "uscc", Names: []string{"统一社会信用代码", "信用代码", "uscc", "credit_code"}, Required: true},
	{Field: "name", Names: []string{"名称", "社会组织名称", "组织名称", "name"}, Required: true},
	{Field: "kind", Names: []string{"类型", "组织类型", "社会组织类型", "kind"}},
	{Field: "jurisdiction", Names: []string{"登记管理机关", "登记管理机关代码", "登记机关", "jurisdiction", "jurisdiction_code"}, Required: true},
	{Field: "domicile", Names: []string{"住所", "domicile"}},
	{Field: "legal_representative", Names: []string{"法定代表人", "法定代表人姓名", "legal_representative"}},
	{Field: "registered_on", Names: []string{"成立日期", "成立登记日期", "登记日期", "registered_on"}, Required: true},
	{Field: "status", Names: []string{"状态", "登记状态", "status"}},
	{Field: "business_scope", Names: []string{"业务范围", "business_scope"}},
	{Field: "activity_area", Names: []string{"活动地域", "activity_area"}},
	{Field: "funds", Names: []string{"注册资金", "开办资金", "原始基金", "funds"}},
	{Field: "sponsor_unit", Names: []string{"业务主管单位", "sponsor_unit"}},
}

// importHeader maps the particulars to their column in the file.
type importHeader struct {
	index   map[string]int    // field → column index
	names   map[string]string // field → the header as the file writes it, for messages
	ignored []string          // headers of columns that give nothing
}

// headerMatch finds the particular a header cell names, and how closely: 3 for the whole cell (名称,
// Legal representative); for a bilingual header as the register's own export writes it (统一社会信用代码
// Credit code), split at its first space, 2 when both parts name the particular and 1 when one part
// does. The closeness settles two columns naming the same particular: the export has both
// "登记管理机关代码 Jurisdiction code" (2) and "登记管理机关 Registration authority" (1), and the
// code is the one read.
func headerMatch(known map[string]string, cell string) (field string, rank int) {
	if f, ok := known[tables.HeaderKey(cell)]; ok {
		return f, 3
	}
	zh, en, ok := strings.Cut(strings.TrimSpace(width.Fold.String(cell)), " ")
	if !ok {
		return "", 0
	}
	fz, okz := known[tables.HeaderKey(zh)]
	fe, oke := known[tables.HeaderKey(en)]
	switch {
	case okz && oke && fz == fe:
		return fz, 2
	case okz && !oke:
		return fz, 1
	case oke && !okz:
		return fe, 1
	}
	return "", 0 // the parts name different particulars: not guessed
}

// readHeader reads the header row: every required column must be there, and no particular twice
// (but see headerMatch). Anything wrong is one Invalid problem that names every column concerned;
// a file whose first row looks like a title (one cell) is told that the header must come first.
func readHeader(cells []string) (*importHeader, error) {
	h := &importHeader{index: map[string]int{}, names: map[string]string{}}
	known := map[string]string{}
	for _, c := range ImportColumns {
		for _, n := range c.Names {
			known[tables.HeaderKey(n)] = c.Field
		}
	}
	ranks := map[string]int{}
	var zh, en []string
	for i, cell := range cells {
		field, rank := headerMatch(known, cell)
		switch {
		case rank == 0 || rank < ranks[field]:
			if strings.TrimSpace(cell) != "" {
				h.ignored = append(h.ignored, strings.TrimSpace(cell))
			}
		case rank == ranks[field]:
			zh = append(zh, fmt.Sprintf("“%s”与“%s”是同一列", h.names[field], cell))
			en = append(en, fmt.Sprintf("columns %q and %q both give %s", h.names[field], cell, field))
		default:
			if ranks[field] > 0 {
				h.ignored = append(h.ignored, h.names[field])
			}
			ranks[field] = rank
			h.index[field] = i
			h.names[field] = strings.TrimSpace(cell)
		}
	}
	missing := false
	for _, c := range ImportColumns {
		if _, ok := h.index[c.Field]; c.Required && !ok {
			missing = true
			zh = append(zh, fmt.Sprintf("缺少必需的列“%s”", c.Names[0]))
			en = append(en, fmt.Sprintf("required column %s (%s) is missing", c.Names[0], c.Field))
		}
	}
	if missing && len(cells)-countBlank(cells) == 1 {
		zh = append(zh, "第一行似乎是标题：标题行（列名）须为文件的第一行，请删除其上的标题行")
		en = append(en, "the first row looks like a title: the header naming the columns must be the first row, so delete the rows above it")
	}
	if len(en) > 0 {
		return nil, problem.New(problem.Invalid, "bad_import_header", "无法导入该文件，标题行有误："+strings.Join(zh, "；")+"。",
			"The file cannot be imported: the header row: "+strings.Join(en, "; ")+".")
	}
	return h, nil
}

// countBlank counts the empty cells of a row.
func countBlank(cells []string) int {
	n := 0
	for _, c := range cells {
		if strings.TrimSpace(c) == "" {
			n++
		}
	}
	return n
}

// cell returns the trimmed value of field in a row; empty when the file has no such column or the
// row is shorter. Line breaks are LF (a CSV saved on Windows or an Excel cell may have CRLF).
func (h *importHeader) cell(cells []string, field string) string {
	i, ok := h.index[field]
	if !ok || i >= len(cells) {
		return ""
	}
	s := strings.TrimSpace(strings.ReplaceAll(cells[i], "\r\n", "\n"))
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		s = s[1:] // the register's export guards a cell that Excel would take for a formula so ('=…)
	}
	return s
}

// code returns the value of a coded column (credit code, division, date, kind, status) as a person
// means it: full-width characters (２１０１００, as a Chinese input method types them) folded to
// half-width, and an integer written as a number with a zero fraction (210100.0, as a spreadsheet
// library writes a numeric cell) as the integer. Text columns keep what they say (cell): folding
// would turn the full-width punctuation of Chinese text（，；）into ASCII.
func (h *importHeader) code(cells []string, field string) string {
	s := strings.TrimSpace(width.Fold.String(h.cell(cells, field)))
	if whole, frac, ok := strings.Cut(s, "."); ok && whole != "" && strings.Trim(frac, "0") == "" && allDigits(whole) {
		return whole
	}
	return s
}

// allDigits reports whether s is ASCII digits only.
func allDigits(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}
