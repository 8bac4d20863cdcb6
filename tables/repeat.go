package tables

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/problem"
)

// Bounds of a list read into a repeat, whatever the form allows, so that hostile input costs little:
// the bytes of pasted text or of a file, the rows, and the characters of a cell (longer than any
// field of a member list; a longer cell is refused without being shown again).
const (
	MaxBytes     = 4 << 20
	MaxRows      = 5000
	MaxCellChars = 1000
)

// Column is a column of a repeat's list: a field of its rows that a cell can hold (not a file, a
// group, a nested list or a multiple choice).
type Column struct {
	Name  string
	Label lang.Text
}

// Columns are the columns of the repeat fd, in the order of its fields.
func Columns(fd *forms.Field) []Column {
	var out []Column
	for _, f := range fd.Fields {
		switch f.Type {
		case forms.TypeFile, forms.TypeGroup, forms.TypeRepeat, forms.TypeMultiSelect:
			continue
		}
		out = append(out, Column{Name: f.Name, Label: f.Label})
	}
	return out
}

// Template is the list to fill in for the repeat fd: a header row of its columns' labels in locale.
// Import reads the labels in either language, and the field names.
func Template(fd *forms.Field, locale string) [][]string {
	cols := Columns(fd)
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Label.In(locale)
	}
	return [][]string{header}
}

// Repeat finds the repeat of f at path ("members", or "group.members"; not a list inside a list's
// row), which a list can be imported into.
func Repeat(f *forms.Form, path string) (*forms.Field, bool) {
	fd, ok := f.Field(path)
	if !ok || fd.Type != forms.TypeRepeat || strings.ContainsRune(path, '[') {
		return nil, false
	}
	return fd, true
}

// Error is a problem of an imported list: at a row (its line in the pasted text or the file; 0 for
// the list as a whole) and a column (the field's name; "" for the whole row).
type Error struct {
	Row     int       `json:"row"`
	Column  string    `json:"column,omitempty"`
	Label   lang.Text `json:"label"` // the column's label, empty for the whole row
	Code    string    `json:"code"`
	Message lang.Text `json:"message"`
}

// Result is a list read for a repeat: its rows as the values of the row's fields (text as typed,
// to be added to the form's data) with the line each came from, and every problem found.
type Result struct {
	Rows   []map[string]any `json:"rows"`
	Lines  []int            `json:"lines"`
	Errors []Error          `json:"errors"`
}

// Import reads the list r for the repeat at path of the form f, to be added after the rows the
// applicant has already entered (existing). The first row is a header when its cells name columns
// (by label in either language, or field name); else the cells are taken in the order of Columns.
// Every row is checked as the form's validation checks it (opts), an ID number or credit code must
// not repeat another row's, imported or entered, and the rows in all must fit the repeat's maximum.
// Rows with errors are listed with them all the same, so that an API client sees what was read; a
// page adds the rows only when there is no error. A list that cannot be read at all (not CSV, TSV or
// XLSX, broken quoting, too long) is an Invalid problem.
func Import(f *forms.Form, path string, existing []map[string]any, r io.Reader, opts forms.Options) (*Result, error) {
	fd, ok := Repeat(f, path)
	if !ok {
		return nil, problem.New(problem.NotFound, "not_found", "表单中没有这个名单。", "The form has no such list.")
	}
	records, lines, err := readAll(r)
	if err != nil {
		return nil, err
	}
	cols := Columns(fd)
	res := &Result{Rows: []map[string]any{}, Lines: []int{}, Errors: []Error{}}
	order, header := headerOf(cols, records)
	if header {
		records, lines = records[1:], lines[1:]
	}
	for i, cells := range records {
		if row, ok := res.row(cols, order, cells, lines[i]); ok {
			res.Rows = append(res.Rows, row)
			res.Lines = append(res.Lines, lines[i])
		}
	}
	if len(res.Rows) == 0 && len(res.Errors) == 0 {
		res.listError("empty_list", "名单中没有内容。", "The list is empty.")
		return res, nil
	}
	if fd.MaxItems != nil && len(existing)+len(res.Rows) > *fd.MaxItems {
		res.listError("too_many", fmt.Sprintf("最多 %d 行：已填写 %d 行，名单又有 %d 行。", *fd.MaxItems, len(existing), len(res.Rows)),
			fmt.Sprintf("At most %d rows are allowed: %d are entered and the list has %d more.", *fd.MaxItems, len(existing), len(res.Rows)))
		return res, nil
	}
	if err := res.validate(f, fd, opts); err != nil {
		return nil, err
	}
	res.duplicates(fd, existing)
	slices.SortStableFunc(res.Errors, func(a, b Error) int { return cmp.Compare(a.Row, b.Row) })
	return res, nil
}

// readAll reads the records of a list and their lines, within MaxBytes and MaxRows, dropping
// blank rows.
func readAll(r io.Reader) (records [][]string, lines []int, err error) {
	lr := &io.LimitedReader{R: r, N: MaxBytes + 1}
	rows, err := Open(lr)
	if err != nil {
		return nil, nil, unreadable(err)
	}
	defer rows.Close()
	for {
		cells, line, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, unreadable(err)
		}
		if lr.N <= 0 {
			return nil, nil, errTooLarge
		}
		if blank(cells) {
			continue
		}
		if len(records) > MaxRows { // the header and MaxRows rows
			return nil, nil, problem.New(problem.Invalid, "list_too_long", fmt.Sprintf("名单过长：一次最多导入 %d 行。", MaxRows),
				fmt.Sprintf("The list is too long: at most %d rows at a time.", MaxRows))
		}
		records, lines = append(records, cells), append(lines, line)
	}
	if lr.N <= 0 {
		return nil, nil, errTooLarge
	}
	return records, lines, nil
}

// errTooLarge is the problem of a list over MaxBytes.
var errTooLarge = problem.New(problem.TooLarge, "list_too_large", fmt.Sprintf("名单过大：最多 %d MB。", MaxBytes>>20),
	fmt.Sprintf("The list is too large: at most %d MB.", MaxBytes>>20))

// unreadable is the problem of a list that is not a table.
func unreadable(err error) error {
	return problem.New(problem.Invalid, "list_unreadable", "无法读取名单：请粘贴从表格复制的内容，或上传 CSV、XLSX 文件。",
		"The list cannot be read: paste cells copied from a spreadsheet, or upload a CSV or XLSX file.").Because(err)
}

// headerOf says which column each cell of a row gives (order[i] is the index in cols of cell i, -1
// for none) and whether the first record is a header: it is when one of its cells names a column.
func headerOf(cols []Column, records [][]string) (order []int, header bool) {
	known := map[string]int{}
	for i, c := range cols {
		for _, name := range []string{c.Name, c.Label.ZH, c.Label.EN} {
			known[HeaderKey(strings.TrimSuffix(strings.TrimSpace(name), "*"))] = i
		}
	}
	if len(records) > 0 {
		order = make([]int, len(records[0]))
		for i, cell := range records[0] {
			j, ok := known[HeaderKey(strings.TrimSuffix(strings.TrimSpace(cell), "*"))]
			order[i] = -1
			if ok && strings.TrimSpace(cell) != "" {
				order[i], header = j, true
			}
		}
	}
	if !header {
		order = make([]int, len(cols))
		for i := range order {
			order[i] = i
		}
	}
	return order, header
}

// row reads the cells of one record into a row, reporting cells that no column takes and cells too
// long to keep; ok is false when the row is refused as a whole.
func (res *Result) row(cols []Column, order []int, cells []string, line int) (map[string]any, bool) {
	row := map[string]any{}
	for i, cell := range cells {
		cell = strings.TrimSpace(strings.ReplaceAll(cell, "\r\n", "\n"))
		if cell == "" {
			continue
		}
		if i >= len(order) || order[i] < 0 {
			res.Errors = append(res.Errors, Error{Row: line, Code: "extra_cell",
				Message: lang.Text{ZH: fmt.Sprintf("第 %d 列不属于名单的任何一项。", i+1), EN: fmt.Sprintf("Column %d is not one of the list's columns.", i+1)}})
			return nil, false
		}
		col := cols[order[i]]
		if utf8.RuneCountInString(cell) > MaxCellChars {
			res.Errors = append(res.Errors, Error{Row: line, Column: col.Name, Label: col.Label, Code: "cell_too_long",
				Message: lang.Text{ZH: fmt.Sprintf("内容过长（超过 %d 个字）。", MaxCellChars), EN: fmt.Sprintf("Too long (over %d characters).", MaxCellChars)}})
			continue
		}
		row[col.Name] = cell
	}
	return row, true
}

// listError records a problem of the list as a whole.
func (res *Result) listError(code, zh, en string) {
	res.Errors = append(res.Errors, Error{Code: code, Message: lang.Text{ZH: zh, EN: en}})
}

// validate checks the rows with the form's validation of the repeat's rows, alone: its bounds are
// checked on the list as a whole (Import), and duplicates are named by line (duplicates).
func (res *Result) validate(f *forms.Form, fd *forms.Field, opts forms.Options) error {
	lone := *fd
	lone.Required, lone.MinItems, lone.MaxItems, lone.Rules = false, nil, nil, nil
	list := make([]any, len(res.Rows))
	for i, row := range res.Rows {
		list[i] = row
	}
	_, _, err := forms.Validate(&forms.Form{ID: f.ID, Fields: []forms.Field{lone}}, map[string]any{lone.Name: list}, opts)
	p, ok := problem.As(err)
	if err != nil && !ok {
		return fmt.Errorf("checking a list for %s: %w", f.ID, err)
	}
	if !ok {
		return nil
	}
	for _, fe := range p.Fields {
		if fe.Code == forms.CodeDuplicateRow {
			continue
		}
		e := Error{Code: fe.Code, Message: fe.Message}
		if index, column, ok := rowPath(lone.Name, fe.Path); ok {
			e.Row, e.Column, e.Label = res.Lines[index], column, labelOf(fd, column)
		}
		res.Errors = append(res.Errors, e)
	}
	return nil
}

// rowPath reads "members[3].id_number" as row 3 and column id_number.
func rowPath(name, path string) (index int, column string, ok bool) {
	rest, ok := strings.CutPrefix(path, name+"[")
	if !ok {
		return 0, "", false
	}
	digits, column, ok := strings.Cut(rest, "].")
	n, err := strconv.Atoi(digits)
	return n, column, ok && err == nil
}

// duplicates refuses the ID numbers and credit codes of imported rows that an earlier row has, an
// imported one (named by its line) or one already entered (by its row on the form).
func (res *Result) duplicates(fd *forms.Field, existing []map[string]any) {
	all := append(append([]map[string]any{}, existing...), res.Rows...)
	for _, d := range fd.Duplicates(all) {
		if d.Row < len(existing) {
			continue // between rows already entered: the form's own validation says so
		}
		label, line := labelOf(fd, d.Field), res.Lines[d.Row-len(existing)]
		var msg lang.Text
		if d.Earlier < len(existing) {
			n := strconv.Itoa(d.Earlier + 1)
			msg = lang.Text{ZH: "与已填写的第 " + n + " 行相同，同一名单中不能重复。", EN: "The same as row " + n + " already entered; a list cannot hold it twice."}
		} else {
			other := res.Lines[d.Earlier-len(existing)]
			msg = sameLine(other)
			res.Errors = append(res.Errors, Error{Row: other, Column: d.Field, Label: label, Code: forms.CodeDuplicateRow, Message: sameLine(line)})
		}
		res.Errors = append(res.Errors, Error{Row: line, Column: d.Field, Label: label, Code: forms.CodeDuplicateRow, Message: msg})
	}
}

// sameLine says that a value is the one on another line of the list.
func sameLine(line int) lang.Text {
	return lang.Text{ZH: fmt.Sprintf("与名单第 %d 行相同，同一名单中不能重复。", line), EN: fmt.Sprintf("The same as line %d of the list; a list cannot hold it twice.", line)}
}

// labelOf is the label of the column named name in the rows of fd.
func labelOf(fd *forms.Field, name string) lang.Text {
	for _, c := range fd.Fields {
		if c.Name == name {
			return c.Label
		}
	}
	return lang.Text{}
}
